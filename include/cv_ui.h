/* The touchscreen UI: SDL2 and SDL2_ttf draw one screen per flow state,
 * laid out from the window size (800x480, 1024x600, 1920x1080, portrait
 * too). Drawing reads the view and never changes it. Only the SDL main
 * thread may call these. */
#ifndef CV_UI_H
#define CV_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cv_assets.h"
#include "cv_config.h"
#include "cv_flow.h"

struct cv_ui_options {
	int width;
	int height;
	bool fullscreen;
	bool headless;         /* SDL's offscreen video driver, no audio device */
	const char *font_path; /* NULL or "": found through fontconfig */
	bool sound;
};

/* Everything a frame is drawn from. */
struct cv_ui_view {
	const struct cv_flow_state *flow;
	const char *kiosk_name;
	const char *zone;
	enum cv_mode mode;
	int pair_window_ms;
};

/* A text the last frame drew, by its asset key, for tests. */
struct cv_ui_text_box {
	char key[48];
	int x, y, w, h;
};

struct cv_ui;

/* Initialises SDL video (and audio when sound), opens the window and
 * loads the fonts. Returns 0 and *out, or CV_EDEVICE / CV_ENOTFOUND with
 * err saying why. */
int cv_ui_create(const struct cv_ui_options *opts, const struct cv_assets *assets,
		 struct cv_ui **out, char *err, size_t errlen);
void cv_ui_destroy(struct cv_ui *ui);

/* Draws and presents the screen for view. Returns 0 or CV_EDEVICE. */
int cv_ui_draw(struct cv_ui *ui, const struct cv_ui_view *view);

/* The prompt option under window point (x, y) on the last frame, or -1. */
int cv_ui_hit_option(const struct cv_ui *ui, int x, int y);

/* Writes the last presented frame as a PNG. Returns 0 or CV_EIO. */
int cv_ui_save_png(struct cv_ui *ui, const char *path);

/* The texts of the last frame. */
size_t cv_ui_text_boxes(const struct cv_ui *ui, const struct cv_ui_text_box **boxes);

void cv_ui_size(const struct cv_ui *ui, int *width, int *height);

/* Plays the short confirmation sound, if sound is on. Never blocks. */
void cv_ui_play_confirm(struct cv_ui *ui);

#endif
