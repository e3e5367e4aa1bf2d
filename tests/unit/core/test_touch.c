/* Tests of the touch mapping: every rotation at the corners and the centre,
 * window pixels mapped one to one as the rotated picture puts them,
 * calibration applied before the rotation, points outside the screen
 * clamped onto it, and the calibration parser's answers and errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cv_error.h"
#include "cv_touch.h"

#include "../../panel_pixel.h"

#define assert_contains(hay, needle)                                                               \
	do {                                                                                       \
		if (!strstr((hay), (needle)))                                                      \
			fail_msg("'%s' does not contain '%s'", (hay), (needle));                   \
	} while (0)

static const int rotations[] = {0, 90, 180, 270};

static void finger(int rotation, const struct cv_touch_matrix *cal, double x, double y, int *sx,
                   int *sy)
{
	struct cv_touch_geometry g = {rotation, 800, 480};
	cv_touch_from_finger(&g, cal, x, y, sx, sy);
}

#define assert_finger(rot, cal, x, y, ex, ey)                                                      \
	do {                                                                                       \
		int sx_, sy_;                                                                      \
		finger((rot), (cal), (x), (y), &sx_, &sy_);                                        \
		if (sx_ != (ex) || sy_ != (ey))                                                    \
			fail_msg("rotation %d, touch (%g, %g): got (%d, %d), want (%d, %d)",       \
			         (rot), (double)(x), (double)(y), sx_, sy_, (ex), (ey));           \
	} while (0)

static void test_turn_size(void **state)
{
	int w, h;

	(void)state;
	cv_touch_turn_size(0, 800, 480, &w, &h);
	assert_int_equal(w, 800);
	assert_int_equal(h, 480);
	cv_touch_turn_size(90, 800, 480, &w, &h);
	assert_int_equal(w, 480);
	assert_int_equal(h, 800);
	cv_touch_turn_size(180, 800, 480, &w, &h);
	assert_int_equal(w, 800);
	assert_int_equal(h, 480);
	cv_touch_turn_size(270, 1024, 600, &w, &h);
	assert_int_equal(w, 600);
	assert_int_equal(h, 1024);
	cv_touch_turn_size(45, 1024, 600, &w, &h); /* not a rotation: as 0 */
	assert_int_equal(w, 1024);
	assert_int_equal(h, 600);
}

/* The panel's four corners and centre, as the touch sensor reports them,
 * land on the screen people see (800x480) where the turned picture has
 * them. Rotation 90 turns the picture clockwise, so the screen's top-left
 * is at the panel's top-right; 270 puts it at the panel's bottom-left. */
static void test_corners_and_centre(void **state)
{
	(void)state;
	/* rotation 0: the panel is the screen */
	assert_finger(0, NULL, 0.0, 0.0, 0, 0);
	assert_finger(0, NULL, 1.0, 0.0, 799, 0);
	assert_finger(0, NULL, 0.0, 1.0, 0, 479);
	assert_finger(0, NULL, 1.0, 1.0, 799, 479);
	assert_finger(0, NULL, 0.5, 0.5, 400, 240);

	/* rotation 90 */
	assert_finger(90, NULL, 1.0, 0.0, 0, 0);     /* panel top-right: screen top-left */
	assert_finger(90, NULL, 1.0, 1.0, 799, 0);   /* panel bottom-right: screen top-right */
	assert_finger(90, NULL, 0.0, 1.0, 799, 479); /* panel bottom-left: screen bottom-right */
	assert_finger(90, NULL, 0.0, 0.0, 0, 479);   /* panel top-left: screen bottom-left */
	assert_finger(90, NULL, 0.5, 0.5, 400, 240);

	/* rotation 180 */
	assert_finger(180, NULL, 1.0, 1.0, 0, 0);
	assert_finger(180, NULL, 0.0, 1.0, 799, 0);
	assert_finger(180, NULL, 1.0, 0.0, 0, 479);
	assert_finger(180, NULL, 0.0, 0.0, 799, 479);
	assert_finger(180, NULL, 0.5, 0.5, 400, 240);

	/* rotation 270 */
	assert_finger(270, NULL, 0.0, 1.0, 0, 0);   /* panel bottom-left: screen top-left */
	assert_finger(270, NULL, 0.0, 0.0, 799, 0); /* panel top-left: screen top-right */
	assert_finger(270, NULL, 1.0, 0.0, 799, 479);
	assert_finger(270, NULL, 1.0, 1.0, 0, 479);
	assert_finger(270, NULL, 0.5, 0.5, 400, 240);

	/* a point off the centre tells a turn from its mirror image */
	assert_finger(0, NULL, 0.25, 0.1, 200, 48);
	assert_finger(90, NULL, 0.25, 0.1, 80, 360);
	assert_finger(180, NULL, 0.25, 0.1, 600, 432);
	assert_finger(270, NULL, 0.25, 0.1, 720, 120);

	/* the identity matrix is the same as none */
	for (size_t r = 0; r < 4; r++)
		for (int i = 0; i <= 10; i++) {
			int ax, ay, bx, by;
			double x = i / 10.0, y = 1 - i / 13.0;

			finger(rotations[r], NULL, x, y, &ax, &ay);
			finger(rotations[r], &CV_TOUCH_IDENTITY, x, y, &bx, &by);
			assert_int_equal(ax, bx);
			assert_int_equal(ay, by);
		}
}

/* Every pixel of a small screen, drawn turned onto the panel, is found
 * again exactly from the window pixel it was drawn on, and from a touch at
 * that pixel's centre. */
static void test_window_pixels_one_to_one(void **state)
{
	const int w = 7, h = 5;

	(void)state;
	for (size_t r = 0; r < 4; r++) {
		struct cv_touch_geometry g = {rotations[r], w, h};
		int pw, ph;

		cv_touch_turn_size(rotations[r], w, h, &pw, &ph);
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				int px, py, sx, sy;

				panel_pixel(rotations[r], w, h, x, y, &px, &py);
				assert_in_range(px, 0, pw - 1);
				assert_in_range(py, 0, ph - 1);
				cv_touch_from_window(&g, pw, ph, px, py, &sx, &sy);
				if (sx != x || sy != y)
					fail_msg("rotation %d: window (%d, %d) gave (%d, %d), want "
					         "(%d, %d)",
					         rotations[r], px, py, sx, sy, x, y);
				cv_touch_from_finger(&g, NULL, (px + 0.5) / pw, (py + 0.5) / ph,
				                     &sx, &sy);
				assert_int_equal(sx, x);
				assert_int_equal(sy, y);
			}
		}
	}
}

/* The rectangle and centre handed to the renderer: each pixel's centre,
 * turned clockwise about that centre, lands on the centre of the panel
 * pixel the picture has there, odd sides included, and everything is a
 * whole pixel. */
static void test_turn_placement(void **state)
{
	static const int sizes[][2] = {{7, 5},     {8, 6},     {7, 6},     {8, 5},
	                               {800, 480}, {803, 480}, {480, 801}, {1, 1}};

	(void)state;
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		int w = sizes[k][0], h = sizes[k][1];

		for (size_t r = 0; r < 4; r++) {
			int rx, ry, cx, cy;

			cv_touch_turn_placement(rotations[r], w, h, &rx, &ry, &cx, &cy);
			assert_in_range(rx, 0, 1);
			assert_in_range(ry, 0, 1);
			for (int y = 0; y<h; y += h> 10 ? 17 : 1) {
				for (int x = 0; x<w; x += w> 10 ? 13 : 1) {
					double dx = rx + x + 0.5 - (rx + cx);
					double dy = ry + y + 0.5 - (ry + cy);
					double tx = dx, ty = dy;
					int px, py;

					switch (rotations[r]) {
					case 90:
						tx = -dy;
						ty = dx;
						break;
					case 180:
						tx = -dx;
						ty = -dy;
						break;
					case 270:
						tx = dy;
						ty = -dx;
						break;
					}
					panel_pixel(rotations[r], w, h, x, y, &px, &py);
					if (tx + rx + cx != px + 0.5 || ty + ry + cy != py + 0.5)
						fail_msg(
						    "%dx%d rotation %d: pixel (%d, %d) lands at "
						    "(%g, %g), want the centre of (%d, %d)",
						    w, h, rotations[r], x, y, tx + rx + cx,
						    ty + ry + cy, px, py);
				}
			}
		}
	}
}

/* A window larger than the screen (a high-density display) scales down. */
static void test_window_scaled(void **state)
{
	struct cv_touch_geometry g = {90, 800, 480};
	int sx, sy;

	(void)state;
	/* the panel is 480x800; the window reports 960x1600 points */
	cv_touch_from_window(&g, 960, 1600, 959, 0, &sx, &sy);
	assert_int_equal(sx, 0);
	assert_int_equal(sy, 0);
	cv_touch_from_window(&g, 960, 1600, 480, 800, &sx, &sy);
	assert_int_equal(sx, 400);
	assert_int_equal(sy, 239);
}

/* The calibration maps the sensor onto the panel as the panel lies; the
 * rotation is turned back after it. */
static void test_calibration_then_rotation(void **state)
{
	/* the sensor's x runs the wrong way */
	const struct cv_touch_matrix mirror = {-1, 0, 1, 0, 1, 0};
	/* the sensor covers more than the panel: 10 % over on each side */
	const struct cv_touch_matrix wide = {1.2, 0, -0.1, 0, 1.2, -0.1};
	/* the sensor's axes are swapped */
	const struct cv_touch_matrix swap = {0, 1, 0, 1, 0, 0};
	/* only the right half of the panel is reached: tells the order apart */
	const struct cv_touch_matrix half = {0.5, 0, 0.5, 0, 1, 0};

	(void)state;
	assert_finger(0, &mirror, 0.25, 0.1, 600, 48);
	assert_finger(90, &mirror, 0.25, 0.1, 80, 120);
	assert_finger(180, &mirror, 0.25, 0.1, 200, 432);
	assert_finger(270, &mirror, 0.25, 0.1, 720, 360);

	assert_finger(0, &wide, 0.5, 0.5, 400, 240);
	/* (0.31, 0.71) calibrates to (0.272, 0.752) */
	assert_finger(0, &wide, 0.31, 0.71, 217, 360);
	assert_finger(180, &wide, 0.31, 0.71, 582, 119);
	assert_finger(90, &wide, 0.31, 0.71, 601, 349);

	assert_finger(0, &swap, 0.25, 0.1, 80, 120);
	assert_finger(270, &swap, 0.25, 0.1, 600, 48);

	/* calibrated first: (0, 0) -> (0.5, 0), then turned: (0, 0.5). Turned
	 * first it would be (0, 1) -> (0.5, 1), i.e. (400, 479). */
	assert_finger(90, &half, 0.0, 0.0, 0, 240);
	assert_finger(270, &half, 0.0, 0.0, 800 - 1, 240);
	assert_finger(180, &half, 0.0, 0.0, 400, 479);
}

/* Touches and clicks off the screen land on its nearest edge. */
static void test_clamped(void **state)
{
	const struct cv_touch_matrix wide = {1.2, 0, -0.1, 0, 1.2, -0.1};
	struct cv_touch_geometry g = {0, 800, 480};
	int sx, sy;

	(void)state;
	assert_finger(0, NULL, -0.2, 1.7, 0, 479);
	assert_finger(0, NULL, 3.0, -1.0, 799, 0);
	assert_finger(90, NULL, -0.2, 1.7, 799, 479);
	assert_finger(180, NULL, -0.2, 1.7, 799, 0);
	assert_finger(270, NULL, -0.2, 1.7, 0, 0);
	/* inside the sensor, outside the panel */
	assert_finger(0, &wide, 0.01, 0.99, 0, 479);
	assert_finger(90, &wide, 0.99, 0.01, 0, 0);
	/* values no sensor sends */
	assert_finger(0, NULL, NAN, INFINITY, 0, 0);
	assert_finger(0, NULL, 1e300, -1e300, 799, 0);
	assert_finger(90, NULL, -INFINITY, 0.5, 400, 479);

	cv_touch_from_window(&g, 800, 480, -5, 900, &sx, &sy);
	assert_int_equal(sx, 0);
	assert_int_equal(sy, 479);
	cv_touch_from_window(&g, 800, 480, 800, -1, &sx, &sy);
	assert_int_equal(sx, 799);
	assert_int_equal(sy, 0);
	g.rotation = 180;
	cv_touch_from_window(&g, 800, 480, 1000, 1000, &sx, &sy);
	assert_int_equal(sx, 0);
	assert_int_equal(sy, 0);
	/* a window size of 0 (not yet known) still gives a point on screen */
	cv_touch_from_window(&g, 0, 0, 3, 3, &sx, &sy);
	assert_in_range(sx, 0, 799);
	assert_in_range(sy, 0, 479);
}

static void test_apply_and_identity(void **state)
{
	const struct cv_touch_matrix m = {1, 2, 3, 4, 5, 6};
	double x = 0.5, y = 0.25;

	(void)state;
	cv_touch_matrix_apply(&m, &x, &y);
	assert_float_equal(x, 0.5 + 0.5 + 3, 1e-12);
	assert_float_equal(y, 2 + 1.25 + 6, 1e-12);
	assert_true(cv_touch_matrix_is_identity(&CV_TOUCH_IDENTITY));
	assert_false(cv_touch_matrix_is_identity(&m));
	assert_false(cv_touch_matrix_is_identity(&(struct cv_touch_matrix){1, 0, 0, 0, 1, 0.01}));
}

static void assert_matrix(const struct cv_touch_matrix *m, double a, double b, double c, double d,
                          double e, double f)
{
	assert_float_equal(m->a, a, 1e-12);
	assert_float_equal(m->b, b, 1e-12);
	assert_float_equal(m->c, c, 1e-12);
	assert_float_equal(m->d, d, 1e-12);
	assert_float_equal(m->e, e, 1e-12);
	assert_float_equal(m->f, f, 1e-12);
}

static void parse_ok(const char *text, struct cv_touch_matrix *m)
{
	char why[256] = "";

	if (cv_touch_matrix_parse(text, m, why, sizeof why) != 0)
		fail_msg("'%s' refused: %s", text, why);
}

static void test_parse_good(void **state)
{
	struct cv_touch_matrix m;

	(void)state;
	parse_ok("1 0 0 0 1 0", &m);
	assert_true(cv_touch_matrix_is_identity(&m));
	parse_ok("  -1 0 1\t0 1 0  ", &m);
	assert_matrix(&m, -1, 0, 1, 0, 1, 0);
	/* xinput and many guides write commas */
	parse_ok("1.2, 0, -0.1, 0, 1.2, -0.1", &m);
	assert_matrix(&m, 1.2, 0, -0.1, 0, 1.2, -0.1);
	parse_ok("0,1,0,1,0,0", &m);
	assert_matrix(&m, 0, 1, 0, 1, 0, 0);
	/* xinput's 3x3 "Coordinate Transformation Matrix" */
	parse_ok("1.1, 0, -0.05, 0, 1.15, -0.07, 0, 0, 1", &m);
	assert_matrix(&m, 1.1, 0, -0.05, 0, 1.15, -0.07);
	parse_ok("1.0 0.0 0.0 0.0 1.0 0.0 0.0 0.0 1.0", &m);
	assert_true(cv_touch_matrix_is_identity(&m));
	/* every way of writing a decimal number */
	parse_ok("+1.5 .5 5. 1e-1 2.5E+1 -0.0", &m);
	assert_matrix(&m, 1.5, 0.5, 5, 0.1, 25, 0);
	parse_ok("0.1 0 0 0 0.1 0", &m);
	assert_true(m.a == 0.1); /* the double nearest 0.1, as the compiler reads it */
	parse_ok("1 1e-400 0 0 1 0", &m);
	assert_float_equal(m.b, 0, 0);
	/* just far enough from degenerate */
	parse_ok("0.05 0 0 0 0.05 0", &m);
}

static void parse_bad(const char *text, const char *why_part)
{
	struct cv_touch_matrix m = {9, 9, 9, 9, 9, 9};
	char why[256] = "";

	if (cv_touch_matrix_parse(text, &m, why, sizeof why) != CV_EINVAL)
		fail_msg("'%s' was accepted", text);
	assert_contains(why, why_part);
	/* what comes back on failure is usable: no correction */
	assert_true(cv_touch_matrix_is_identity(&m));
}

static void test_parse_errors(void **state)
{
	(void)state;
	/* how many */
	parse_bad("", "must be 6 numbers a b c d e f");
	parse_bad("", "found 0");
	parse_bad(" , ,", "found 0");
	parse_bad("1 0 0 0 1", "found 5");
	parse_bad("1 0 0 0 1 0 0", "found 7");
	parse_bad("1 0 0 0 1 0 0 0", "found 8");
	parse_bad("1 0 0 0 1 0 0 0 1 0", "found 10");
	parse_bad("1 0 0 0 1 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0", "found more than 16");
	parse_bad("1 0 0 0 1 0 0 0 2", "last row must be 0 0 1");
	parse_bad("1 0 0 0 1 0 0.5 0 1", "(got 0.5 0 1)");

	/* not numbers */
	parse_bad("1 0 0 0 1 x", "number 6 ('x') is not a number");
	parse_bad("1 0 zero 0 1 0", "number 3 ('zero') is not a number");
	parse_bad("0x1 0 0 0 1 0", "number 1 ('0x1') is not a number");
	parse_bad("1..0 0 0 0 1 0", "is not a number");
	parse_bad("1 . 0 0 1 0", "number 2 ('.') is not a number");
	parse_bad("1 0 0 0 1 e5", "number 6 ('e5') is not a number");
	parse_bad("1e 0 0 0 1 0", "number 1 ('1e') is not a number");
	parse_bad("1 --1 0 0 1 0", "is not a number");
	parse_bad("1 0 0 0 1 0;", "is not a number");
	parse_bad("1;0;0;0;1;0", "is not a number");
	parse_bad("1 0 0 0 1 0x0123456789012345678901234567890123456789",
	          "('0x0123456789012345678901') is not a number");

	/* not finite */
	parse_bad("1 0 inf 0 1 0", "number 3 ('inf') is not finite");
	parse_bad("1 0 0 NaN 1 0", "number 4 ('NaN') is not finite");
	parse_bad("-Infinity 0 0 0 1 0", "number 1 ('-Infinity') is not finite");
	parse_bad("-inf 0 0 0 1 0", "number 1 ('-inf') is not finite");
	parse_bad("1e999 0 0 0 1 0", "number 1 ('1e999') is too large to be finite");
	parse_bad("1 0 0 0 1e99999999999999999999 0", "number 5");

	/* degenerate */
	parse_bad("0 0 0 0 0 0", "is degenerate: a*e - b*d is 0");
	parse_bad("1 1 0 1 1 0", "is degenerate");
	parse_bad("1 0 0 2 0 0", "is degenerate");
	parse_bad("0 0 0.5 0 0 0.5", "is degenerate"); /* every touch on one point */
	parse_bad("0.01 0 0 0 0.01 0", "is degenerate: a*e - b*d is 0.0001");
	parse_bad("0.01 0 0 0 0.01 0", "at least 0.001 away from 0");
}

/* A caller without room for the message still gets the code. */
static void test_parse_without_message(void **state)
{
	struct cv_touch_matrix m;
	char why[8];

	(void)state;
	assert_int_equal(cv_touch_matrix_parse("1 2", &m, NULL, 0), CV_EINVAL);
	assert_int_equal(cv_touch_matrix_parse("1 2", &m, why, sizeof why), CV_EINVAL);
	assert_int_equal(strlen(why), sizeof why - 1);
	assert_int_equal(cv_touch_matrix_parse("1 0 0 0 1 0", &m, NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_turn_size),
	    cmocka_unit_test(test_corners_and_centre),
	    cmocka_unit_test(test_window_pixels_one_to_one),
	    cmocka_unit_test(test_turn_placement),
	    cmocka_unit_test(test_window_scaled),
	    cmocka_unit_test(test_calibration_then_rotation),
	    cmocka_unit_test(test_clamped),
	    cmocka_unit_test(test_apply_and_identity),
	    cmocka_unit_test(test_parse_good),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_parse_without_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
