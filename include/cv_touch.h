/* Where a touch or a click lands on the screen people see: the panel's
 * picture may be turned (rotation) and a touch sensor may sit askew on it
 * (a calibration matrix). Pure: no I/O, no SDL; the UI hands in the raw
 * points and hit-tests the answers. */
#ifndef CV_TOUCH_H
#define CV_TOUCH_H

#include <stdbool.h>
#include <stddef.h>

/* A touch calibration in libinput's LIBINPUT_CALIBRATION_MATRIX form, on
 * normalised coordinates (0..1 over the touch device, 0..1 over the
 * panel): x' = a*x + b*y + c, y' = d*x + e*y + f. It maps the sensor onto
 * the panel in the panel's own orientation, before any rotation. */
struct cv_touch_matrix {
	double a, b, c;
	double d, e, f;
};

#define CV_TOUCH_IDENTITY ((struct cv_touch_matrix){1, 0, 0, 0, 1, 0})

/* The smallest |a*e - b*d| a matrix may have: below it the touch surface
 * would be squashed onto (nearly) a line or a point of the screen. */
#define CV_TOUCH_DET_MIN 0.001

/* How the screen people see lies on the panel. */
struct cv_touch_geometry {
	int rotation; /* 0, 90, 180 or 270: degrees clockwise the picture is turned
	                 on the panel; any other value counts as 0 */
	int width;    /* the screen as people see it, in pixels (at least 1) */
	int height;
};

/* The size of one side turned by rotation: the panel's size for a screen
 * of width x height, and (the same swap) the screen's for a panel. */
void cv_touch_turn_size(int rotation, int width, int height, int *out_w, int *out_h);

/* Where to put the width x height screen for a renderer that turns a
 * rectangle clockwise about a point (SDL_RenderCopyEx): the rectangle's
 * top-left (*x, *y) and the point (*cx, *cy) relative to it, chosen so the
 * turned rectangle covers the panel (0, 0)..(panel_w, panel_h) exactly.
 * All are whole pixels even when a side is odd, so a renderer that drops
 * half pixels cannot shift the picture by one. Rotation 0 (or another
 * value): the rectangle at (0, 0), turned about its middle by nothing. */
void cv_touch_turn_placement(int rotation, int width, int height, int *x, int *y, int *cx, int *cy);

/* Applies m to the normalised point (*x, *y) in place. */
void cv_touch_matrix_apply(const struct cv_touch_matrix *m, double *x, double *y);

bool cv_touch_matrix_is_identity(const struct cv_touch_matrix *m);

/* The screen point of a touch at (x, y), normalised 0..1 over the touch
 * device (SDL's finger coordinates): calibrated by cal (NULL: identity),
 * turned back by the rotation, scaled to the screen and clamped into it.
 * A non-finite coordinate counts as 0. */
void cv_touch_from_finger(const struct cv_touch_geometry *g, const struct cv_touch_matrix *cal,
                          double x, double y, int *out_x, int *out_y);

/* The screen point of window pixel (x, y) on a window of win_w x win_h
 * (the panel): turned back by the rotation, scaled and clamped. A mouse
 * points where its pointer is drawn, so no calibration applies. At equal
 * sizes this is an exact one-to-one map of pixels. */
void cv_touch_from_window(const struct cv_touch_geometry *g, int win_w, int win_h, int x, int y,
                          int *out_x, int *out_y);

/* Parses a calibration: 6 numbers "a b c d e f" separated by blanks or
 * commas, or the 9 of a 3x3 matrix whose last row is 0 0 1 (xinput's
 * "Coordinate Transformation Matrix"). Returns 0 and *out, or CV_EINVAL
 * with why saying what is wrong (count, a word that is not a number, a
 * number that is not finite, a degenerate matrix); *out is then identity. */
int cv_touch_matrix_parse(const char *text, struct cv_touch_matrix *out, char *why, size_t whylen);

#endif
