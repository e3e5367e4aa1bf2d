/* The rotated display, headless through SDL's offscreen driver: at rotation
 * 90, 180 and 270 the window (the panel) shows the upright frame of
 * rotation 0 turned clockwise, pixel for pixel; the screenshot stays
 * upright; and a finger or a click pushed through SDL's event queue where a
 * button appears on the panel lands on that button, with and without a
 * touch calibration. The panels and the screenshots are kept under
 * $CONVENE_TEST_ARTIFACTS/screens/rotation/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <SDL.h>
#include <SDL_image.h>

#include "cv_assets.h"
#include "cv_error.h"
#include "cv_touch.h"
#include "cv_ui.h"
#include "ui_check.h"

#include "../panel_pixel.h"

static char artifacts[512];
static char dir[640];
static struct cv_assets *assets;

static int setup(void **state)
{
	const char *env = getenv("CONVENE_TEST_ARTIFACTS");
	struct cv_config cfg;
	char err[512], path[600];

	(void)state;
	snprintf(artifacts, sizeof(artifacts), "%s", env && env[0] ? env : "test-artifacts");
	snprintf(path, sizeof(path), "%s/screens", artifacts);
	mkdir(artifacts, 0755);
	mkdir(path, 0755);
	snprintf(dir, sizeof(dir), "%s/rotation", path);
	mkdir(dir, 0755);
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.assets_dir, sizeof(cfg.assets_dir), "%s", CONVENE_SOURCE_ASSETS);
	snprintf(cfg.assets_language, sizeof(cfg.assets_language), "en");
	snprintf(cfg.assets_prompts, sizeof(cfg.assets_prompts), "default");
	snprintf(cfg.assets_theme, sizeof(cfg.assets_theme), "default");
	if (cv_assets_load(&cfg, &assets, err, sizeof(err)) != 0)
		fail_msg("assets: %s", err);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cv_assets_destroy(assets);
	return 0;
}

/* The prompt: a grid of buttons, none symmetric to another under every
 * turn, so a point turned the wrong way lands elsewhere. */
static void prompt_view(struct cv_flow_state *flow, struct cv_ui_view *view)
{
	memset(flow, 0, sizeof(*flow));
	flow->screen = CV_SCREEN_PROMPT;
	flow->answer = -1;
	flow->reader_online = true;
	snprintf(flow->first.person.name, sizeof(flow->first.person.name), "Zoë Ørsted");
	snprintf(flow->second.person.name, sizeof(flow->second.person.name), "Łukasz Nowak");
	memset(view, 0, sizeof(*view));
	view->flow = flow;
	view->kiosk_name = "Main entrance";
	view->zone = "Hall A";
	view->mode = CV_MODE_BOTH;
	view->pair_window_ms = 10000;
}

static struct cv_ui *open_ui(int w, int h, int rotation, const struct cv_touch_matrix *cal,
                             SDL_Window **window)
{
	struct cv_ui_options opts = {.width = w,
	                             .height = h,
	                             .rotation = rotation,
	                             .touch_calibration = cal,
	                             .headless = true};
	struct cv_ui *ui = NULL;
	char err[256];
	SDL_Event e;

	if (cv_ui_create(&opts, assets, &ui, err, sizeof(err)) != 0)
		fail_msg("cv_ui_create %dx%d rotation %d: %s", w, h, rotation, err);
	/* the window announces itself: its id finds it for reading back */
	*window = NULL;
	while (SDL_PollEvent(&e))
		if (e.type == SDL_WINDOWEVENT && !*window)
			*window = SDL_GetWindowFromID(e.window.windowID);
	assert_non_null(*window);
	return ui;
}

/* A copy of what the window shows now, in ARGB8888 (the caller frees it). */
static SDL_Surface *window_pixels(SDL_Window *window)
{
	SDL_Surface *shown = SDL_GetWindowSurface(window);
	SDL_Surface *copy;

	if (!shown)
		fail_msg("window surface: %s", SDL_GetError());
	copy = SDL_ConvertSurfaceFormat(shown, SDL_PIXELFORMAT_ARGB8888, 0);
	assert_non_null(copy);
	return copy;
}

/* Draws the prompt at w x h upright (rotation 0) and returns its window
 * pixels, the reference the turned panels are held to. */
static SDL_Surface *upright(int w, int h)
{
	struct cv_flow_state flow;
	struct cv_ui_view view;
	SDL_Window *window;
	struct cv_ui *ui = open_ui(w, h, 0, NULL, &window);
	SDL_Surface *s;
	char png[800];

	prompt_view(&flow, &view);
	assert_int_equal(cv_ui_draw(ui, &view), 0);
	s = window_pixels(window);
	assert_int_equal(s->w, w);
	assert_int_equal(s->h, h);
	snprintf(png, sizeof(png), "%s/prompt-%dx%d-rot0.png", dir, w, h);
	assert_int_equal(cv_ui_save_png(ui, png), 0);
	cv_ui_destroy(ui);
	return s;
}

/* The centre of option i's button on the last frame, found by hit-testing
 * the screen. */
static void option_centre(const struct cv_ui *ui, int i, int *cx, int *cy)
{
	int w, h, x0 = -1, y0 = -1, x1 = -1, y1 = -1;

	cv_ui_size(ui, &w, &h);
	for (int y = 0; y < h; y += 2)
		for (int x = 0; x < w; x += 2) {
			struct cv_ui_hit hit;

			if (!cv_ui_hit_test(ui, x, y, &hit) || hit.target != CV_UI_T_OPTION ||
			    hit.index != i)
				continue;
			if (x0 < 0 || x < x0)
				x0 = x;
			if (y0 < 0 || y < y0)
				y0 = y;
			if (x > x1)
				x1 = x;
			if (y > y1)
				y1 = y;
		}
	if (x0 < 0)
		fail_msg("option %d is not on the screen", i);
	*cx = (x0 + x1) / 2;
	*cy = (y0 + y1) / 2;
}

/* Pushes e through SDL's queue and takes it back as the kiosk's loop does
 * (a whole round of SDL_PollEvent: SDL ends each round at a marker, so the
 * queue is emptied before and after). */
static void round_trip(SDL_Event *e)
{
	Uint32 type = e->type;
	SDL_Event got;
	bool found = false;

	while (SDL_PollEvent(&got))
		continue;
	assert_int_equal(SDL_PushEvent(e), 1);
	while (SDL_PollEvent(&got))
		if (got.type == type && !found) {
			*e = got;
			found = true;
		}
	if (!found)
		fail_msg("event %u did not come back", (unsigned)type);
}

/* A finger at panel pixel (px, py), as the sensor would report it through
 * cal: the sensor's coordinate that cal maps onto that point. */
static SDL_Event finger_at(int px, int py, int pw, int ph, const struct cv_touch_matrix *cal)
{
	double u = (px + 0.5) / pw, v = (py + 0.5) / ph;
	SDL_Event e;

	if (cal) {
		/* invert the affine map: solve [a b; d e] (x y) = (u - c, v - f) */
		double det = cal->a * cal->e - cal->b * cal->d;
		double ru = u - cal->c, rv = v - cal->f;
		u = (cal->e * ru - cal->b * rv) / det;
		v = (cal->a * rv - cal->d * ru) / det;
	}
	memset(&e, 0, sizeof(e));
	e.type = SDL_FINGERDOWN;
	e.tfinger.touchId = 1;
	e.tfinger.fingerId = 1;
	e.tfinger.x = (float)u;
	e.tfinger.y = (float)v;
	e.tfinger.pressure = 1;
	return e;
}

static SDL_Event click_at(int px, int py, Uint32 which)
{
	SDL_Event e;

	memset(&e, 0, sizeof(e));
	e.type = SDL_MOUSEBUTTONDOWN;
	e.button.which = which;
	e.button.button = SDL_BUTTON_LEFT;
	e.button.state = SDL_PRESSED;
	e.button.clicks = 1;
	e.button.x = px;
	e.button.y = py;
	return e;
}

/* Each option, touched and clicked where the panel shows it, is hit; the
 * first option's panel point read as if the screen were not turned is
 * not. */
static void check_presses(struct cv_ui *ui, int rotation, const struct cv_touch_matrix *cal)
{
	int n = cv_assets_option_count(assets), w, h, pw, ph;

	cv_ui_size(ui, &w, &h);
	cv_touch_turn_size(rotation, w, h, &pw, &ph);
	for (int i = 0; i < n; i++) {
		struct cv_ui_hit hit;
		int cx, cy, px, py, sx, sy;
		SDL_Event e;

		option_centre(ui, i, &cx, &cy);
		panel_pixel(rotation, w, h, cx, cy, &px, &py);

		e = finger_at(px, py, pw, ph, cal);
		round_trip(&e);
		assert_true(cv_ui_event_point(ui, &e, &sx, &sy));
		if (abs(sx - cx) > 1 || abs(sy - cy) > 1)
			fail_msg("rotation %d: option %d at (%d, %d) shown at panel (%d, %d), "
			         "touched there lands at (%d, %d)",
			         rotation, i, cx, cy, px, py, sx, sy);
		assert_true(cv_ui_hit_event(ui, &e, &hit));
		assert_int_equal(hit.target, CV_UI_T_OPTION);
		assert_int_equal(hit.index, i);

		e = click_at(px, py, 0);
		round_trip(&e);
		assert_true(cv_ui_hit_event(ui, &e, &hit));
		assert_int_equal(hit.target, CV_UI_T_OPTION);
		assert_int_equal(hit.index, i);

		/* SDL's click made up from a touch: the finger already counted */
		e = click_at(px, py, SDL_TOUCH_MOUSEID);
		round_trip(&e);
		assert_false(cv_ui_hit_event(ui, &e, &hit));

		/* the top-left option has no twin under any turn */
		if (i == 0 && rotation != 0 && px < w && py < h &&
		    cv_ui_hit_test(ui, px, py, &hit) && hit.target == CV_UI_T_OPTION &&
		    hit.index == i)
			fail_msg("rotation %d: option %d is also under the unturned point (%d, %d)",
			         rotation, i, px, py);
	}
}

/* Draws the prompt at w x h turned by rotation and holds the window to the
 * upright reference: every pixel where the turn puts it. The panel and the
 * screenshot are kept; the screenshot must be the upright frame. */
static void check_turned(int w, int h, int rotation, const SDL_Surface *ref,
                         const struct cv_touch_matrix *cal, const char *tag)
{
	struct cv_flow_state flow;
	struct cv_ui_view view;
	SDL_Window *window;
	struct cv_ui *ui = open_ui(w, h, rotation, cal, &window);
	SDL_Surface *panel, *shot;
	char png[800];
	int sw, sh, pw, ph;
	long wrong = 0;

	prompt_view(&flow, &view);
	assert_int_equal(cv_ui_draw(ui, &view), 0);
	cv_ui_size(ui, &sw, &sh);
	assert_int_equal(sw, w);
	assert_int_equal(sh, h);

	panel = window_pixels(window);
	cv_touch_turn_size(rotation, w, h, &pw, &ph);
	assert_int_equal(panel->w, pw);
	assert_int_equal(panel->h, ph);
	snprintf(png, sizeof(png), "%s/prompt-%dx%d-rot%d%s-panel.png", dir, w, h, rotation, tag);
	assert_int_equal(IMG_SavePNG(panel, png), 0);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int px, py;

			panel_pixel(rotation, w, h, x, y, &px, &py);
			wrong += ui_check_pixel(panel, px, py) != ui_check_pixel(ref, x, y);
		}
	if (wrong > 0)
		fail_msg("rotation %d, %dx%d: %ld of %d panel pixels are not the upright frame "
		         "turned",
		         rotation, w, h, wrong, w * h);

	/* the screenshot is the screen people see: upright, as at rotation 0 */
	snprintf(png, sizeof(png), "%s/prompt-%dx%d-rot%d%s.png", dir, w, h, rotation, tag);
	assert_int_equal(cv_ui_save_png(ui, png), 0);
	shot = ui_check_load_png(png);
	assert_int_equal(shot->w, w);
	assert_int_equal(shot->h, h);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			wrong += ui_check_pixel(shot, x, y) != ui_check_pixel(ref, x, y);
	if (wrong > 0)
		fail_msg("rotation %d, %dx%d: the screenshot differs from the upright frame in "
		         "%ld pixels",
		         rotation, w, h, wrong);
	SDL_FreeSurface(shot);
	/* the usual checks of a saved frame (the options are checked below) */
	ui_check_frame(ui, assets, w, h, png, "turned prompt", NULL, 0, 0);

	/* saving drew the frame again without showing it: the window still
	 * shows the turned frame, and a new draw shows it again */
	SDL_FreeSurface(panel);
	assert_int_equal(cv_ui_draw(ui, &view), 0);
	panel = window_pixels(window);
	for (int y = 0; y < h; y += 7)
		for (int x = 0; x < w; x += 7) {
			int px, py;

			panel_pixel(rotation, w, h, x, y, &px, &py);
			wrong += ui_check_pixel(panel, px, py) != ui_check_pixel(ref, x, y);
		}
	assert_int_equal(wrong, 0);
	SDL_FreeSurface(panel);

	check_presses(ui, rotation, cal);
	cv_ui_destroy(ui);
}

static void test_landscape_turned(void **state)
{
	SDL_Surface *ref;

	(void)state;
	ref = upright(800, 480);
	check_turned(800, 480, 0, ref, NULL, "");
	check_turned(800, 480, 90, ref, NULL, "");
	check_turned(800, 480, 180, ref, NULL, "");
	check_turned(800, 480, 270, ref, NULL, "");
	SDL_FreeSurface(ref);
}

/* The usual reason to turn a screen: a portrait kiosk on a landscape panel
 * (the 7" display's 800x480 on its side). */
static void test_portrait_on_landscape_panel(void **state)
{
	SDL_Surface *ref;

	(void)state;
	ref = upright(480, 800);
	check_turned(480, 800, 90, ref, NULL, "");
	check_turned(480, 800, 270, ref, NULL, "");
	SDL_FreeSurface(ref);
}

/* Sides whose difference is odd: centring the turned frame on the window
 * falls on half pixels. */
static void test_odd_sizes(void **state)
{
	SDL_Surface *ref;

	(void)state;
	ref = upright(803, 480);
	check_turned(803, 480, 90, ref, NULL, "");
	check_turned(803, 480, 180, ref, NULL, "");
	check_turned(803, 480, 270, ref, NULL, "");
	SDL_FreeSurface(ref);
}

/* A sensor whose x runs the wrong way and that overshoots the panel: the
 * raw finger is calibrated onto the panel, then turned back. */
static void test_calibrated_touch(void **state)
{
	const struct cv_touch_matrix mirror = {-1.1, 0, 1.05, 0, 1.2, -0.1};
	SDL_Surface *ref;

	(void)state;
	ref = upright(800, 480);
	check_turned(800, 480, 90, ref, &mirror, "-calibrated");
	check_turned(800, 480, 180, ref, &mirror, "-calibrated");
	SDL_FreeSurface(ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_landscape_turned),
	    cmocka_unit_test(test_portrait_on_landscape_panel),
	    cmocka_unit_test(test_odd_sizes),
	    cmocka_unit_test(test_calibrated_touch),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
