/* The UI's private seam: the handle's innards and the drawing helpers that
 * ui.c shares with the organiser, keyboard and live screens (ui_organizer.c,
 * ui_keyboard.c, ui_live.c). Nothing outside the UI's files includes it. */
#ifndef CV_UI_INTERNAL_H
#define CV_UI_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include "cv_ui.h"

#define BUTTONS_MAX 96

struct ui_button {
	SDL_Rect r;
	struct cv_ui_hit hit;
};

struct ui_live_layout;

#define TEXT_BOXES_MAX 64
#define FONT_CACHE_MAX 48
#define TEXT_MAX 1024
#define MIN_TEXT_PX 14
#define MIN_TOUCH_PX 48

enum face { FACE_REGULAR, FACE_BOLD, FACE_COUNT };

enum icon { ICON_NONE, ICON_TAP, ICON_CHECK, ICON_ALERT, ICON_CROSS };

struct font_slot {
	enum face face;
	int px;
	TTF_Font *font; /* owned */
};

struct cv_ui {
	SDL_Window *window;
	SDL_Renderer *renderer;
	const struct cv_assets *assets; /* borrowed: outlives the UI */
	bool headless;
	bool video_up;
	bool ttf_up;
	/* the screen as people see it: the last frame's size, the window's
	 * turned by the rotation */
	int w, h;
	int rotation;                       /* 0, 90, 180 or 270 */
	struct cv_touch_matrix calibration; /* touch sensor onto the panel */
	/* Rotation other than 0: the frame is drawn upright into this target
	 * (owned, w x h) and copied turned onto the window. */
	SDL_Texture *frame;
	char font_path[FACE_COUNT][CV_PATH_MAX];
	bool synth_bold; /* one font file for both faces: bold is synthesised */
	struct font_slot fonts[FONT_CACHE_MAX];
	int font_count;

	/* The last frame's view, copied so that cv_ui_save_png can draw the
	 * very same frame again: drawing is a function of the view only. */
	bool have_frame;
	struct cv_flow_state flow;
	struct cv_ui_view view;
	char kiosk_name[CV_NAME_MAX];
	char zone[CV_NAME_MAX];

	struct cv_ui_text_box boxes[TEXT_BOXES_MAX];
	size_t box_count;
	SDL_Rect option_rects[CV_FLOW_OPTIONS_MAX];
	int option_count;
	struct ui_button buttons[BUTTONS_MAX]; /* organiser screens, welcome's extra button */
	int button_count;

	/* organiser mode and the live screen, copied like the flow */
	struct cv_org_state org;
	struct cv_ui_org_data org_data;
	struct ui_live_layout *layout; /* owned: the network map's positions */
	long long fill_count;          /* what {count} stands for in the next ui_fill */

	bool audio_up;
	SDL_AudioDeviceID audio; /* 0: no sound */
	Uint8 *wav;              /* owned (SDL_FreeWAV) */
	Uint32 wav_len;
};

/* Sizes for one frame, all derived from the window's short side so the
 * same screen reads well on 800x480 and on 1920x1080, and in portrait. */
struct metrics {
	int w, h, s;
	int margin;
	int gap;
	int title_px;
	int heading_px;
	int body_px;
	int small_px;
	int button_px;
	int banner_px;
	int icon;
	int radius;
};

void ui_metrics_for(int w, int h, struct metrics *m);
int ui_at_least(int v, int min);
TTF_Font *ui_font_get(struct cv_ui *ui, enum face face, int px);
SDL_Color ui_colour(uint32_t rgb);
void ui_set_colour(SDL_Renderer *r, uint32_t rgb, float alpha);
void ui_fill_round(SDL_Renderer *r, float x, float y, float w, float h, float rad, uint32_t rgb);
void ui_fill_disc(SDL_Renderer *r, float cx, float cy, float rad, uint32_t rgb);
void ui_stroke(SDL_Renderer *r, float x0, float y0, float x1, float y1, float t, uint32_t rgb);
void ui_draw_icon(struct cv_ui *ui, enum icon icon, int size, int cx, int cy, uint32_t rgb);
/* Fills a template's {placeholders} from the view. */
void ui_fill(const struct cv_ui *ui, const char *tmpl, char *out, size_t outlen);
bool ui_blank(const char *s);
SDL_Surface *ui_render_fit(struct cv_ui *ui, const char *text, enum face face, int px, int max_w,
                           int lines, int max_h, uint32_t rgb, int *px_out);
void ui_record_box(struct cv_ui *ui, const char *key, SDL_Rect r);
/* Cuts a one-line rendering of text down to the text's own width (takes s,
 * returns the surface to use). */
SDL_Surface *ui_trim(struct cv_ui *ui, SDL_Surface *s, const char *text, enum face face, int px);
int ui_blit_text(struct cv_ui *ui, const char *key, SDL_Surface *s, int cx, int top, int max_w);

/* Registers a touch target of the frame being drawn. */
void ui_add_button(struct cv_ui *ui, SDL_Rect r, enum cv_ui_target target, int index,
                   const char *text);
/* A filled (or, quiet, outlined) rounded button with a centred label; the
 * label is recorded as a text box under key and the rectangle as a target. */
void ui_button(struct cv_ui *ui, const struct metrics *m, SDL_Rect r, const char *key,
               const char *label, int px, bool quiet, enum cv_ui_target target, int index,
               const char *text);
/* Draws a text left-aligned (centred when center) at (x, y) within max_w,
 * recorded under key. Returns its height, 0 when empty. */
int ui_text(struct cv_ui *ui, const char *key, const char *text, enum face face, int px, int x,
            int y, int max_w, int lines, uint32_t rgb, bool center);

/* ui_organizer.c: the organiser screens, in area. */
void ui_draw_organizer(struct cv_ui *ui, const struct metrics *m, SDL_Rect area);
/* ui_keyboard.c: the on-screen keyboard filling area, with accents. */
void ui_draw_keyboard(struct cv_ui *ui, const struct metrics *m, SDL_Rect area);
/* ui_consent.c: the consent screen of the flow, in area. */
void ui_draw_consent(struct cv_ui *ui, const struct metrics *m, SDL_Rect area);
/* ui_live.c: the live attendance screen in area; frees the layout. */
void ui_draw_live(struct cv_ui *ui, const struct metrics *m, SDL_Rect area);
void ui_live_free(struct cv_ui *ui);

#endif
