/* Draws every screen in every variant headless at 800x480, 1024x600,
 * 1920x1080 and 480x800, saves each frame as a PNG under
 * $CONVENE_TEST_ARTIFACTS/screens/<size>/ and checks the saved image: not
 * blank, every expected text drawn inside the screen without overlap and
 * large enough, and the prompt's buttons big enough to touch. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <SDL.h>
#include <SDL_image.h>

#include "cv_assets.h"
#include "cv_error.h"
#include "cv_ui.h"

#define KEYS_MAX 24

struct size {
	int w, h;
	const char *name;
};

static const struct size sizes[] = {
    {800, 480, "800x480"},
    {1024, 600, "1024x600"},
    {1920, 1080, "1920x1080"},
    {480, 800, "480x800"},
};

/* Which assets a variant is drawn with. */
enum set { SET_DEFAULT, SET_DE_CONTRAST, SET_TWO, SET_TWELVE, SET_COUNT };

struct variant {
	const char *name; /* <screen>-<variant>, the PNG's name */
	enum set set;
	enum cv_screen screen;
	enum cv_mode mode;
	bool checked_in_now;
	bool long_names;
	bool reader_offline;
	bool store_failed;
	bool not_together;            /* thanks: the answer */
	const char *keys[KEYS_MAX];   /* must be drawn */
	const char *absent[KEYS_MAX]; /* must not be drawn */
};

static const struct variant variants[] = {
    {"idle-checkin", SET_DEFAULT, CV_SCREEN_IDLE, CV_MODE_CHECKIN,
     .keys = {"idle.title", "idle.subtitle", "idle.place"}, .absent = {"idle.meet_hint"}},
    {"idle-meet", SET_DEFAULT, CV_SCREEN_IDLE, CV_MODE_MEET,
     .keys = {"idle.title", "idle.subtitle", "idle.place", "idle.meet_hint"}},
    {"idle-reader-offline", SET_DEFAULT, CV_SCREEN_IDLE, CV_MODE_BOTH, .reader_offline = true,
     .keys = {"banner.reader_offline", "idle.title", "idle.subtitle", "idle.place",
              "idle.meet_hint"},
     .absent = {"banner.store_failed"}},
    {"welcome-checkedin", SET_DEFAULT, CV_SCREEN_WELCOME, CV_MODE_CHECKIN, .checked_in_now = true,
     .keys = {"welcome.title", "welcome.organization", "welcome.checked_in"},
     .absent = {"welcome.back", "welcome.pair_hint"}},
    {"welcome-back-meet", SET_DEFAULT, CV_SCREEN_WELCOME, CV_MODE_MEET,
     .keys = {"welcome.title", "welcome.organization", "welcome.back", "welcome.pair_hint"},
     .absent = {"welcome.checked_in"}},
    {"welcome-longname", SET_DEFAULT, CV_SCREEN_WELCOME, CV_MODE_BOTH, .checked_in_now = true,
     .long_names = true,
     .keys = {"welcome.title", "welcome.organization", "welcome.checked_in", "welcome.pair_hint"}},
    {"prompt-5", SET_DEFAULT, CV_SCREEN_PROMPT, CV_MODE_BOTH,
     .keys = {"prompt.question", "prompt.names"}},
    {"prompt-longnames-banners", SET_DEFAULT, CV_SCREEN_PROMPT, CV_MODE_BOTH, .long_names = true,
     .reader_offline = true, .store_failed = true,
     .keys = {"banner.reader_offline", "banner.store_failed", "prompt.question", "prompt.names"}},
    {"prompt-2", SET_TWO, CV_SCREEN_PROMPT, CV_MODE_BOTH,
     .keys = {"prompt.question", "prompt.names"}},
    {"prompt-12", SET_TWELVE, CV_SCREEN_PROMPT, CV_MODE_BOTH,
     .keys = {"prompt.question", "prompt.names"}},
    {"thanks-normal", SET_DEFAULT, CV_SCREEN_THANKS, CV_MODE_BOTH,
     .keys = {"thanks.title", "thanks.body"},
     .absent = {"thanks.not_together_title", "thanks.not_together_body"}},
    {"thanks-not-together", SET_DEFAULT, CV_SCREEN_THANKS, CV_MODE_BOTH, .not_together = true,
     .keys = {"thanks.not_together_title", "thanks.not_together_body"},
     .absent = {"thanks.title", "thanks.body"}},
    {"thanks-store-failed", SET_DEFAULT, CV_SCREEN_THANKS, CV_MODE_MEET, .store_failed = true,
     .keys = {"banner.store_failed", "thanks.title", "thanks.body"},
     .absent = {"banner.reader_offline"}},
    {"unknown-badge", SET_DEFAULT, CV_SCREEN_UNKNOWN, CV_MODE_BOTH,
     .keys = {"unknown.title", "unknown.body"}},
    {"refused-card", SET_DEFAULT, CV_SCREEN_REFUSED, CV_MODE_BOTH,
     .keys = {"refused.title", "refused.body"}},
    {"welcome-de-contrast", SET_DE_CONTRAST, CV_SCREEN_WELCOME, CV_MODE_BOTH, .long_names = true,
     .keys = {"welcome.title", "welcome.organization", "welcome.back", "welcome.pair_hint"}},
    {"prompt-de-contrast", SET_DE_CONTRAST, CV_SCREEN_PROMPT, CV_MODE_BOTH, .reader_offline = true,
     .keys = {"banner.reader_offline", "prompt.question", "prompt.names"}},
    {"refused-de-contrast", SET_DE_CONTRAST, CV_SCREEN_REFUSED, CV_MODE_CHECKIN,
     .store_failed = true, .keys = {"banner.store_failed", "refused.title", "refused.body"}},
};

#define VARIANT_COUNT (sizeof(variants) / sizeof(variants[0]))

static char artifacts[512];
static struct cv_assets *sets[SET_COUNT];

static void mkdirs(const char *path)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	}
	mkdir(buf, 0755);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* An assets folder with the shipped strings, themes and sounds and two
 * more prompt sets: the smallest and the largest grid. */
static void make_grid_assets(char *dir, size_t len)
{
	const char *src = CONVENE_SOURCE_ASSETS;
	const char *parts[] = {"strings", "themes", "sounds"};
	char path[2048], target[2048], text[4096];
	size_t used;

	snprintf(dir, len, "%s/ui-assets", artifacts);
	snprintf(path, sizeof(path), "%s/prompts", dir);
	mkdirs(path);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, parts[i]);
		snprintf(target, sizeof(target), "%s/%s", src, parts[i]);
		unlink(path);
		assert_int_equal(symlink(target, path), 0);
	}
	snprintf(path, sizeof(path), "%s/prompts/two.ini", dir);
	write_file(path, "[prompt]\nquestion = Did you two meet here?\n"
	                 "[option.yes]\nlabel = Yes, we met\n"
	                 "[option.no]\nlabel = No, we didn't\nnot_together = true\n");
	used = (size_t)snprintf(text, sizeof(text),
	                        "[prompt]\nquestion = What brought you two together today?\n");
	for (int i = 1; i <= 12; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		                         "[option.o%d]\nlabel = %s %d\n%s", i,
		                         i % 3 ? "Answer" : "A much longer answer that wraps", i,
		                         i == 12 ? "not_together = true\n" : "");
	snprintf(path, sizeof(path), "%s/prompts/twelve.ini", dir);
	write_file(path, text);
}

static struct cv_assets *load(const char *dir, const char *lang, const char *prompts,
                              const char *theme)
{
	struct cv_config cfg;
	struct cv_assets *a = NULL;
	char err[512];
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.assets_dir, sizeof(cfg.assets_dir), "%s", dir);
	snprintf(cfg.assets_language, sizeof(cfg.assets_language), "%s", lang);
	snprintf(cfg.assets_prompts, sizeof(cfg.assets_prompts), "%s", prompts);
	snprintf(cfg.assets_theme, sizeof(cfg.assets_theme), "%s", theme);
	rc = cv_assets_load(&cfg, &a, err, sizeof(err));
	if (rc != 0)
		fail_msg("assets %s/%s/%s: %s", lang, prompts, theme, err);
	return a;
}

static int setup(void **state)
{
	const char *env = getenv("CONVENE_TEST_ARTIFACTS");
	char grid[1024];

	(void)state;
	snprintf(artifacts, sizeof(artifacts), "%s", env && env[0] ? env : "test-artifacts");
	make_grid_assets(grid, sizeof(grid));
	sets[SET_DEFAULT] = load(CONVENE_SOURCE_ASSETS, "en", "default", "default");
	sets[SET_DE_CONTRAST] = load(CONVENE_SOURCE_ASSETS, "de", "de", "high-contrast");
	sets[SET_TWO] = load(grid, "en", "two", "default");
	sets[SET_TWELVE] = load(grid, "en", "twelve", "default");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < SET_COUNT; i++)
		cv_assets_destroy(sets[i]);
	return 0;
}

static void person(struct cv_flow_tap *tap, int64_t id, const char *name, const char *org)
{
	tap->person.id = id;
	snprintf(tap->person.name, sizeof(tap->person.name), "%s", name);
	snprintf(tap->person.organization, sizeof(tap->person.organization), "%s", org);
}

static void build(const struct variant *v, const struct cv_assets *a, struct cv_flow_state *flow,
                  struct cv_ui_view *view)
{
	memset(flow, 0, sizeof(*flow));
	flow->screen = v->screen;
	flow->answer = -1;
	flow->reader_online = !v->reader_offline;
	flow->store_failed = v->store_failed;
	flow->first.checked_in_now = v->checked_in_now;
	if (v->long_names) {
		person(&flow->first, 1, "Łukasz Zoë Ørsted-Brzęczyszczykiewicz",
		       "Fundación para la Educación Pública — Ciudad de México");
		person(&flow->second, 2, "Anaïs Søndergaard-Nuñez", "Ørsted Skolen");
	} else {
		person(&flow->first, 1, "Zoë Ørsted", "Green Schools Network");
		person(&flow->second, 2, "Łukasz Nowak", "Climate Kraków");
	}
	if (v->screen == CV_SCREEN_REFUSED)
		flow->first.random_uid = true;
	if (v->screen == CV_SCREEN_UNKNOWN)
		memset(&flow->first.person, 0, sizeof(flow->first.person));
	if (v->screen == CV_SCREEN_THANKS)
		flow->answer = v->not_together ? cv_assets_not_together(a) : 0;
	memset(view, 0, sizeof(*view));
	view->flow = flow;
	view->kiosk_name = "Main entrance";
	view->zone = "Hall A";
	view->mode = v->mode;
	view->pair_window_ms = 10000;
}

static const struct cv_ui_text_box *find_box(const struct cv_ui_text_box *boxes, size_t n,
                                             const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(boxes[i].key, key) == 0)
			return &boxes[i];
	return NULL;
}

static Uint32 pixel(const SDL_Surface *s, int x, int y)
{
	return *(const Uint32 *)((const Uint8 *)s->pixels + (size_t)y * (size_t)s->pitch +
	                         (size_t)x * 4) &
	       0xFFFFFF;
}

static bool overlap(const struct cv_ui_text_box *a, const struct cv_ui_text_box *b)
{
	return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

/* The saved image: its size, more than a couple of colours, and a fair
 * share of pixels that are not the background. */
static void check_image(const char *png, int w, int h, uint32_t background, const char *what)
{
	SDL_Surface *raw = IMG_Load(png), *s;
	Uint32 seen[64];
	int distinct = 0;
	long other = 0;

	if (!raw)
		fail_msg("%s: cannot read %s: %s", what, png, IMG_GetError());
	s = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_ARGB8888, 0);
	SDL_FreeSurface(raw);
	assert_non_null(s);
	assert_int_equal(s->w, w);
	assert_int_equal(s->h, h);
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			Uint32 p = pixel(s, x, y);
			bool known = false;

			if (p != background)
				other++;
			for (int i = 0; i < distinct && !known; i++)
				known = seen[i] == p;
			if (!known && distinct < 64)
				seen[distinct++] = p;
		}
	}
	if (distinct < 8)
		fail_msg("%s: only %d colours", what, distinct);
	if (other * 100 < (long)w * h * 2)
		fail_msg("%s: only %ld of %d pixels drawn", what, other, w * h);
	SDL_FreeSurface(s);
}

/* Inside each text box the pixels must vary: text was really drawn there. */
static void check_boxes_inked(const char *png, const struct cv_ui_text_box *boxes, size_t n,
                              const char *what)
{
	SDL_Surface *raw = IMG_Load(png), *s;

	assert_non_null(raw);
	s = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_ARGB8888, 0);
	SDL_FreeSurface(raw);
	assert_non_null(s);
	for (size_t i = 0; i < n; i++) {
		const struct cv_ui_text_box *b = &boxes[i];
		Uint32 corner = pixel(s, b->x, b->y);
		long differ = 0;

		for (int y = b->y; y < b->y + b->h; y++)
			for (int x = b->x; x < b->x + b->w; x++)
				differ += pixel(s, x, y) != corner;
		if (differ * 100 < (long)b->w * b->h * 3)
			fail_msg("%s: text %s looks empty (%ld of %d pixels inked)", what, b->key,
			         differ, b->w * b->h);
	}
	SDL_FreeSurface(s);
}

/* The extent of the pixels along a line through (x, y) that hit option i. */
static int hit_run(const struct cv_ui *ui, int i, int x, int y, bool horizontal, int limit)
{
	int run = 0;

	for (int k = 0; k < limit; k++)
		run += cv_ui_hit_option(ui, horizontal ? k : x, horizontal ? y : k) == i;
	return run;
}

static void check_frame(struct cv_ui *ui, const struct variant *v, const struct cv_assets *a,
                        const struct size *sz, const char *png)
{
	const struct cv_ui_text_box *boxes;
	size_t n = cv_ui_text_boxes(ui, &boxes);
	char what[128];
	int w, h;

	snprintf(what, sizeof(what), "%s %s", sz->name, v->name);
	cv_ui_size(ui, &w, &h);
	assert_int_equal(w, sz->w);
	assert_int_equal(h, sz->h);
	check_image(png, w, h, cv_assets_theme(a)->background, what);

	for (int k = 0; k < KEYS_MAX && v->keys[k]; k++)
		if (!find_box(boxes, n, v->keys[k]))
			fail_msg("%s: %s was not drawn", what, v->keys[k]);
	for (int k = 0; k < KEYS_MAX && v->absent[k]; k++)
		if (find_box(boxes, n, v->absent[k]))
			fail_msg("%s: %s drawn but should not be", what, v->absent[k]);
	for (size_t i = 0; i < n; i++) {
		const struct cv_ui_text_box *b = &boxes[i];

		if (b->x < 0 || b->y < 0 || b->w <= 0 || b->h <= 0 || b->x + b->w > w ||
		    b->y + b->h > h)
			fail_msg("%s: %s at %d,%d %dx%d leaves the %dx%d screen", what, b->key,
			         b->x, b->y, b->w, b->h, w, h);
		/* readable: no line under ~14 px type anywhere */
		if (b->h < 16)
			fail_msg("%s: %s is only %d px high", what, b->key, b->h);
		for (size_t j = i + 1; j < n; j++)
			if (overlap(b, &boxes[j]))
				fail_msg("%s: %s overlaps %s", what, b->key, boxes[j].key);
	}
	check_boxes_inked(png, boxes, n, what);

	if (v->screen == CV_SCREEN_PROMPT) {
		int count = cv_assets_option_count(a);

		for (int i = 0; i < count; i++) {
			char key[64];
			const struct cv_ui_text_box *b;
			int cx, cy;

			snprintf(key, sizeof(key), "option.%s", cv_assets_option(a, i)->id);
			b = find_box(boxes, n, key);
			if (!b)
				fail_msg("%s: option %s has no label", what, key);
			cx = b->x + b->w / 2;
			cy = b->y + b->h / 2;
			assert_int_equal(cv_ui_hit_option(ui, cx, cy), i);
			if (hit_run(ui, i, cx, cy, true, w) < 48 ||
			    hit_run(ui, i, cx, cy, false, h) < 48)
				fail_msg("%s: option %s is smaller than a fingertip", what, key);
		}
		/* the margin is not a button */
		assert_int_equal(cv_ui_hit_option(ui, 1, h - 2), -1);
	} else {
		assert_int_equal(cv_ui_hit_option(ui, w / 2, h / 2), -1);
	}
}

static void render_size(const struct size *sz)
{
	char dir[1024];

	snprintf(dir, sizeof(dir), "%s/screens/%s", artifacts, sz->name);
	mkdirs(dir);
	for (int set = 0; set < SET_COUNT; set++) {
		struct cv_ui_options opts = {.width = sz->w, .height = sz->h, .headless = true};
		struct cv_ui *ui = NULL;
		char err[256];
		int rc = cv_ui_create(&opts, sets[set], &ui, err, sizeof(err));

		if (rc != 0)
			fail_msg("cv_ui_create %s: %s", sz->name, err);
		for (size_t i = 0; i < VARIANT_COUNT; i++) {
			const struct variant *v = &variants[i];
			struct cv_flow_state flow;
			struct cv_ui_view view;
			char png[1200];

			if (v->set != (enum set)set)
				continue;
			build(v, sets[set], &flow, &view);
			assert_int_equal(cv_ui_draw(ui, &view), 0);
			snprintf(png, sizeof(png), "%s/%s.png", dir, v->name);
			assert_int_equal(cv_ui_save_png(ui, png), 0);
			check_frame(ui, v, sets[set], sz, png);
		}
		cv_ui_destroy(ui);
	}
}

static void test_800x480(void **state)
{
	(void)state;
	render_size(&sizes[0]);
}

static void test_1024x600(void **state)
{
	(void)state;
	render_size(&sizes[1]);
}

static void test_1920x1080(void **state)
{
	(void)state;
	render_size(&sizes[2]);
}

static void test_480x800_portrait(void **state)
{
	(void)state;
	render_size(&sizes[3]);
}

/* The frame saved is the frame drawn last, and the texts recorded belong
 * to it alone. */
static void test_save_matches_last_frame(void **state)
{
	struct cv_ui_options opts = {.width = 800, .height = 480, .headless = true};
	const struct cv_ui_text_box *boxes;
	struct cv_flow_state flow;
	struct cv_ui_view view;
	struct cv_ui *ui = NULL;
	char err[256], a[1024], b[1024];
	size_t n;

	(void)state;
	assert_int_equal(cv_ui_create(&opts, sets[SET_DEFAULT], &ui, err, sizeof(err)), 0);
	assert_int_equal(cv_ui_save_png(ui, "/nonexistent/none.png"), CV_EIO);
	build(&variants[0], sets[SET_DEFAULT], &flow, &view);
	assert_int_equal(cv_ui_draw(ui, &view), 0);
	flow.screen = CV_SCREEN_UNKNOWN; /* changed after drawing: must not leak in */
	snprintf(a, sizeof(a), "%s/screens/save-a.png", artifacts);
	assert_int_equal(cv_ui_save_png(ui, a), 0);
	n = cv_ui_text_boxes(ui, &boxes);
	assert_non_null(find_box(boxes, n, "idle.title"));
	assert_null(find_box(boxes, n, "unknown.title"));
	assert_int_equal(cv_ui_draw(ui, &view), 0);
	snprintf(b, sizeof(b), "%s/screens/save-b.png", artifacts);
	assert_int_equal(cv_ui_save_png(ui, b), 0);
	n = cv_ui_text_boxes(ui, &boxes);
	assert_non_null(find_box(boxes, n, "unknown.title"));
	assert_null(find_box(boxes, n, "idle.title"));
	assert_int_not_equal(cv_ui_save_png(ui, "/nonexistent/dir/x.png"), 0);
	cv_ui_destroy(ui);
}

/* With sound on (the dummy audio driver here) the chime plays without
 * blocking, and a missing font file is an error, not a crash. */
static void test_sound_and_font_errors(void **state)
{
	struct cv_ui_options opts = {.width = 640, .height = 400, .sound = true};
	struct cv_ui *ui = NULL;
	char err[256];

	(void)state;
	/* a window like the kiosk's, but drawn without a GPU stack here */
	setenv("SDL_RENDER_DRIVER", "software", 1);
	assert_int_equal(cv_ui_create(&opts, sets[SET_DEFAULT], &ui, err, sizeof(err)), 0);
	cv_ui_play_confirm(ui);
	cv_ui_play_confirm(ui);
	cv_ui_destroy(ui);

	opts.sound = false;
	opts.headless = true;
	opts.font_path = "/nonexistent/font.ttf";
	assert_int_equal(cv_ui_create(&opts, sets[SET_DEFAULT], &ui, err, sizeof(err)),
	                 CV_ENOTFOUND);
	assert_null(ui);
	assert_non_null(strstr(err, "/nonexistent/font.ttf"));

	opts.font_path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
	if (access(opts.font_path, R_OK) == 0) {
		assert_int_equal(cv_ui_create(&opts, sets[SET_DEFAULT], &ui, err, sizeof(err)), 0);
		cv_ui_destroy(ui);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_800x480),
	    cmocka_unit_test(test_1024x600),
	    cmocka_unit_test(test_1920x1080),
	    cmocka_unit_test(test_480x800_portrait),
	    cmocka_unit_test(test_save_matches_last_frame),
	    cmocka_unit_test(test_sound_and_font_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
