/* The touchscreen UI: SDL2 and SDL2_ttf draw one screen per flow state,
 * laid out from the window size (800x480, 1024x600, 1920x1080, portrait
 * too) turned by the rotation, so the screen as people see it is what is
 * laid out, hit-tested and saved. Drawing reads the view and never changes
 * it. Only the SDL main thread may call these. */
#ifndef CV_UI_H
#define CV_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cv_assets.h"
#include "cv_config.h"
#include "cv_flow.h"
#include "cv_live.h"
#include "cv_organizer.h"
#include "cv_sync_client.h"
#include "cv_touch.h"

struct cv_ui_options {
	int width; /* the screen as people see it: the window is turned by rotation */
	int height;
	int rotation; /* 0, 90, 180 or 270 degrees clockwise the picture is turned */
	/* the touch sensor onto the panel (cv_touch.h); NULL: identity */
	const struct cv_touch_matrix *touch_calibration;
	bool fullscreen;
	bool headless;         /* SDL's offscreen video driver, no audio device */
	const char *font_path; /* NULL or "": found through fontconfig */
	bool sound;
};

#define CV_UI_RESULTS_MAX 6 /* roster search results shown */
#define CV_UI_ZONES_MAX 12

/* The background sync as the organiser menu shows it. */
struct cv_ui_sync_view {
	bool configured;              /* [sync] url is set */
	bool syncing;                 /* a run is under way */
	bool finished;                /* a run has finished: outcome and at say how */
	enum cv_sync_outcome outcome; /* of the last finished run */
	int64_t pending;              /* records still to upload; -1 when unknown */
	int64_t quarantined;          /* records held back after a refusal */
	char at[8];                   /* local "HH:MM" the last run finished */
};

/* What organiser mode draws besides its state. */
struct cv_ui_org_data {
	int result_count;
	struct cv_flow_person results[CV_UI_RESULTS_MAX]; /* roster search */
	int zone_count;
	char zones[CV_UI_ZONES_MAX][CV_ID_MAX];
	struct cv_ui_sync_view sync; /* the menu's sync lines */
};

/* Everything a frame is drawn from. */
struct cv_ui_view {
	const struct cv_flow_state *flow;
	const char *kiosk_name;
	const char *zone;
	enum cv_mode mode;
	int pair_window_ms;
	/* Additions for organiser mode and the live screen; all may be NULL/0. */
	int64_t now_ms;                 /* monotonic: lock countdown, tie animation */
	const struct cv_org_state *org; /* active: its screen instead of the flow's */
	const struct cv_ui_org_data *org_data;
	bool live_only;        /* [kiosk] mode = live: the live screen only */
	bool organizer_button; /* welcome: offer organiser mode (an organiser, PIN set) */
	const struct cv_live_snapshot *live; /* borrowed until the next cv_ui_draw */
};

/* What a touch at a point hits. */
enum cv_ui_target {
	CV_UI_T_NONE,
	CV_UI_T_OPTION,    /* prompt option: index */
	CV_UI_T_ORGANIZER, /* welcome: open organiser mode */
	CV_UI_T_DIGIT,     /* keypad: index is the digit */
	CV_UI_T_ERASE,     /* keypad or keyboard */
	CV_UI_T_ENTER,     /* keypad */
	CV_UI_T_BACK,
	CV_UI_T_ITEM,   /* menu: index is an enum cv_org_item */
	CV_UI_T_ZONE,   /* zone list: index */
	CV_UI_T_KEY,    /* keyboard: text */
	CV_UI_T_RESULT, /* search result: index */
	CV_UI_T_UNBIND,
	CV_UI_T_REVOKE,
	CV_UI_T_CONSENT, /* welcome's consent button, the consent screen's: index is an
	                    enum cv_flow_consent_input */
};

struct cv_ui_hit {
	enum cv_ui_target target;
	int index;
	char text[8];
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

/* What screen point (x, y) hits on the last frame; false (and target
 * NONE) for nothing. Points are on the screen as people see it (the last
 * frame's cv_ui_size), whatever the rotation. */
bool cv_ui_hit_test(const struct cv_ui *ui, int x, int y, struct cv_ui_hit *out);

union SDL_Event;

/* The screen point of a press: an SDL_FINGERDOWN (calibrated, turned back
 * by the rotation) or a left SDL_MOUSEBUTTONDOWN that SDL did not make up
 * from a touch (turned back). False for any other event. */
bool cv_ui_event_point(const struct cv_ui *ui, const union SDL_Event *e, int *x, int *y);

/* What the press e hits on the last frame: cv_ui_event_point, then
 * cv_ui_hit_test. False (and target NONE) for other events and misses. */
bool cv_ui_hit_event(const struct cv_ui *ui, const union SDL_Event *e, struct cv_ui_hit *out);

/* Advances the live network map's layout and its animations to now_ms for
 * snap (borrowed). Returns true while something still moves: call again
 * and redraw about every 33 ms until it returns false. */
bool cv_ui_live_step(struct cv_ui *ui, const struct cv_live_snapshot *snap, int64_t now_ms);

/* Writes the last presented frame as a PNG, upright as people see it
 * (not turned as the panel shows it). Returns 0 or CV_EIO. */
int cv_ui_save_png(struct cv_ui *ui, const char *path);

/* The texts of the last frame. */
size_t cv_ui_text_boxes(const struct cv_ui *ui, const struct cv_ui_text_box **boxes);

/* The size of the screen as people see it, in pixels: the panel's turned
 * by the rotation. */
void cv_ui_size(const struct cv_ui *ui, int *width, int *height);

/* Plays the short confirmation sound, if sound is on. Never blocks. */
void cv_ui_play_confirm(struct cv_ui *ui);

#endif
