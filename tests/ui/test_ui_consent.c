/* Draws the consent screens headless at 800x480, 1024x600, 1920x1080 and
 * 480x800 (the welcome screen's consent button, the consent question with
 * each choice, the "not recorded" screen of a pair), saves each frame under
 * $CONVENE_TEST_ARTIFACTS/screens/<size>/consent-*.png and checks it like
 * the other screens: not blank, the expected texts drawn inside the screen,
 * large enough and apart, and every touch target a fingertip wide. */
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
#include "cv_ui.h"
#include "ui_check.h"

#define KEYS_MAX 16
#define NOW 1000000

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

enum kind {
	K_WELCOME,
	K_WELCOME_ORG,
	K_WELCOME_PRIVATE,
	K_ASK,
	K_ATTENDANCE,
	K_ENCOUNTERS,
	K_PRIVATE,
	K_LIVE_UNNAMED,
	K_LIVE_SOME_NAMED
};

struct variant {
	const char *name;
	enum kind kind;
	bool german;
	const char *keys[KEYS_MAX];
	int targets; /* touch targets at least */
};

static const struct variant variants[] = {
    {"consent-welcome-button", K_WELCOME, false, {"welcome.title", "welcome.consent"}, 1},
    {"consent-welcome-organizer",
     K_WELCOME_ORG,
     false,
     {"welcome.title", "welcome.consent", "welcome.organizer"},
     2},
    {"consent-welcome-attendance-only",
     K_WELCOME_PRIVATE,
     true,
     {"welcome.title", "welcome.consent", "welcome.attendance_only"},
     1},
    {"consent-ask",
     K_ASK,
     false,
     {"consent.title", "consent.attendance", "consent.encounters", "consent.name_question",
      "consent.show_name", "consent.hide_name", "consent.done"},
     5},
    {"consent-attendance",
     K_ATTENDANCE,
     false,
     {"consent.title", "consent.attendance", "consent.done"},
     5},
    {"consent-encounters-name",
     K_ENCOUNTERS,
     false,
     {"consent.title", "consent.encounters", "consent.show_name"},
     5},
    {"consent-ask-de",
     K_ASK,
     true,
     {"consent.title", "consent.attendance", "consent.encounters", "consent.name_question",
      "consent.done"},
     5},
    {"consent-private", K_PRIVATE, false, {"private.title", "private.body"}, 0},
    {"consent-private-de", K_PRIVATE, true, {"private.title", "private.body"}, 0},
    /* the live screen when nobody who has not met anyone may be named */
    {"consent-live-unnamed", K_LIVE_UNNAMED, false, {"live.lonely", "live.unnamed"}, 0},
    {"consent-live-some-named",
     K_LIVE_SOME_NAMED,
     false,
     {"live.lonely", "live.lonely.0", "live.more"},
     0},
};

#define VARIANT_COUNT (sizeof(variants) / sizeof(variants[0]))

static char artifacts[512];
static struct cv_assets *en, *de;
static struct cv_live_snapshot *unnamed, *some_named;

/* Five people here, none has met anyone; named ones first (named of them). */
static struct cv_live_snapshot *make_lonely(int named)
{
	struct cv_live_snapshot *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	snprintf(s->day, sizeof(s->day), "2025-05-06");
	s->expected = 9;
	s->checked_in = 5;
	s->person_count = 5;
	s->people = calloc(5, sizeof(*s->people));
	assert_non_null(s->people);
	for (int i = 0; i < 5; i++) {
		s->people[i].id = i + 1;
		s->people[i].present = true;
		s->people[i].org = -1;
		if (i < named) {
			snprintf(s->people[i].name, sizeof(s->people[i].name), "Zoë %c.", 'A' + i);
			s->lonely_named[s->lonely_named_count++] = i;
		}
	}
	s->lonely = 5;
	return s;
}

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

static struct cv_assets *load(const char *lang, const char *theme)
{
	struct cv_config cfg;
	struct cv_assets *a = NULL;
	char err[512];

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.assets_dir, sizeof(cfg.assets_dir), "%s", CONVENE_SOURCE_ASSETS);
	snprintf(cfg.assets_language, sizeof(cfg.assets_language), "%s", lang);
	snprintf(cfg.assets_prompts, sizeof(cfg.assets_prompts), "%s",
	         strcmp(lang, "de") ? "default" : "de");
	snprintf(cfg.assets_theme, sizeof(cfg.assets_theme), "%s", theme);
	if (cv_assets_load(&cfg, &a, err, sizeof(err)) != 0)
		fail_msg("assets %s: %s", lang, err);
	return a;
}

static int setup(void **state)
{
	const char *env = getenv("CONVENE_TEST_ARTIFACTS");

	(void)state;
	snprintf(artifacts, sizeof(artifacts), "%s", env && env[0] ? env : "test-artifacts");
	en = load("en", "default");
	de = load("de", "high-contrast");
	unnamed = make_lonely(0);
	some_named = make_lonely(1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cv_assets_destroy(en);
	cv_assets_destroy(de);
	cv_live_snapshot_free(unnamed);
	cv_live_snapshot_free(some_named);
	return 0;
}

struct scene {
	struct cv_flow_state flow;
	struct cv_ui_view view;
};

static void person(struct cv_flow_person *p, int64_t id, const char *name, const char *org)
{
	p->id = id;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->organization, sizeof(p->organization), "%s", org);
}

static void build(const struct variant *v, struct scene *sc)
{
	struct cv_flow_state *f = &sc->flow;

	memset(sc, 0, sizeof(*sc));
	cv_flow_init(f);
	f->entered_ms = NOW;
	f->deadline_ms = NOW + 8000;
	snprintf(f->first.uid, sizeof(f->first.uid), "04A1B2C3D4E5F6");
	f->first.tap_seq = 12;
	f->first.checked_in_now = true;
	person(&f->first.person, 4, "Anaïs Søndergaard-Nuñez", "Clinica Norte");
	f->first.person.consent = CV_CONSENT_ENCOUNTERS;
	sc->view.flow = f;
	sc->view.kiosk_name = "Main entrance";
	sc->view.zone = "hall-a";
	sc->view.mode = CV_MODE_BOTH;
	sc->view.pair_window_ms = 8000;
	sc->view.now_ms = NOW;
	switch (v->kind) {
	case K_WELCOME: f->screen = CV_SCREEN_WELCOME; break;
	case K_WELCOME_ORG:
		f->screen = CV_SCREEN_WELCOME;
		f->first.person.role = CV_ROLE_ORGANIZER;
		sc->view.organizer_button = true;
		break;
	case K_WELCOME_PRIVATE:
		f->screen = CV_SCREEN_WELCOME;
		f->first.person.consent = CV_CONSENT_ATTENDANCE;
		break;
	case K_ASK:
		f->screen = CV_SCREEN_CONSENT;
		f->first.person.consent = CV_CONSENT_UNSET;
		break;
	case K_ATTENDANCE:
		f->screen = CV_SCREEN_CONSENT;
		f->consent_choice = CV_CONSENT_ATTENDANCE;
		break;
	case K_ENCOUNTERS:
		f->screen = CV_SCREEN_CONSENT;
		f->consent_choice = CV_CONSENT_ENCOUNTERS;
		f->consent_show_name = true;
		break;
	case K_PRIVATE:
		f->screen = CV_SCREEN_PRIVATE;
		f->first.person.consent = CV_CONSENT_ATTENDANCE;
		snprintf(f->second.uid, sizeof(f->second.uid), "04B1B2C3D4E5F6");
		f->second.tap_seq = 13;
		person(&f->second.person, 5, "Łukasz Nowak", "Climate Kraków");
		break;
	case K_LIVE_UNNAMED:
	case K_LIVE_SOME_NAMED:
		cv_flow_init(f);
		sc->view.live_only = true;
		sc->view.live = v->kind == K_LIVE_UNNAMED ? unnamed : some_named;
		break;
	}
	assert_null(cv_flow_check(f, NULL));
}

static void check_frame(struct cv_ui *ui, const struct variant *v, const struct cv_assets *a,
                        const struct size *sz, const char *png)
{
	char what[128];

	snprintf(what, sizeof(what), "%s %s", sz->name, v->name);
	ui_check_frame(ui, a, sz->w, sz->h, png, what, v->keys, KEYS_MAX, v->targets);
}

static void render_size(const struct size *sz)
{
	char dir[1024];

	snprintf(dir, sizeof(dir), "%s/screens/%s", artifacts, sz->name);
	mkdirs(dir);
	for (int lang = 0; lang < 2; lang++) {
		struct cv_assets *a = lang ? de : en;
		struct cv_ui_options opts = {.width = sz->w, .height = sz->h, .headless = true};
		struct cv_ui *ui = NULL;
		char err[256];

		if (cv_ui_create(&opts, a, &ui, err, sizeof(err)) != 0)
			fail_msg("cv_ui_create: %s", err);
		for (size_t i = 0; i < VARIANT_COUNT; i++) {
			const struct variant *v = &variants[i];
			struct scene sc;
			char png[1200];

			if (v->german != (lang == 1))
				continue;
			build(v, &sc);
			if (sc.view.live)
				for (int f = 0;
				     f < 400 && cv_ui_live_step(ui, sc.view.live, NOW + f * 33);
				     f++)
					;
			assert_int_equal(cv_ui_draw(ui, &sc.view), 0);
			if (sc.view.live) {
				/* one line or the other, never both */
				const struct cv_ui_text_box *boxes;
				size_t n = cv_ui_text_boxes(ui, &boxes);
				bool has_more = ui_check_find_box(boxes, n, "live.more") != NULL;
				bool has_unnamed =
				    ui_check_find_box(boxes, n, "live.unnamed") != NULL;
				assert_true(has_more != has_unnamed);
			}
			snprintf(png, sizeof(png), "%s/%s.png", dir, v->name);
			assert_int_equal(cv_ui_save_png(ui, png), 0);
			check_frame(ui, v, a, sz, png);
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
static void test_480x800(void **state)
{
	(void)state;
	render_size(&sizes[3]);
}

static void expect_hit(struct cv_ui *ui, const char *key, enum cv_flow_consent_input input)
{
	const struct cv_ui_text_box *boxes;
	size_t n = cv_ui_text_boxes(ui, &boxes);
	const struct cv_ui_text_box *b = ui_check_find_box(boxes, n, key);
	struct cv_ui_hit hit;

	if (!b)
		fail_msg("%s was not drawn", key);
	assert_true(cv_ui_hit_test(ui, b->x + b->w / 2, b->y + b->h / 2, &hit));
	assert_int_equal(hit.target, CV_UI_T_CONSENT);
	assert_int_equal(hit.index, input);
}

/* Each button is where its label is and says which input it is. */
static void test_hits(void **state)
{
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		struct cv_ui_options opts = {
		    .width = sizes[s].w, .height = sizes[s].h, .headless = true};
		struct cv_ui *ui = NULL;
		struct scene sc;
		char err[256];

		(void)state;
		assert_int_equal(cv_ui_create(&opts, en, &ui, err, sizeof(err)), 0);
		build(&variants[0], &sc);
		assert_int_equal(cv_ui_draw(ui, &sc.view), 0);
		expect_hit(ui, "welcome.consent", CV_FLOW_CONSENT_OPEN);
		build(&variants[3], &sc);
		assert_int_equal(cv_ui_draw(ui, &sc.view), 0);
		expect_hit(ui, "consent.attendance", CV_FLOW_CONSENT_ATTENDANCE);
		expect_hit(ui, "consent.encounters", CV_FLOW_CONSENT_ENCOUNTERS);
		expect_hit(ui, "consent.show_name", CV_FLOW_CONSENT_SHOW_NAME);
		expect_hit(ui, "consent.hide_name", CV_FLOW_CONSENT_HIDE_NAME);
		expect_hit(ui, "consent.done", CV_FLOW_CONSENT_DONE);
		cv_ui_destroy(ui);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_800x480),   cmocka_unit_test(test_1024x600),
	    cmocka_unit_test(test_1920x1080), cmocka_unit_test(test_480x800),
	    cmocka_unit_test(test_hits),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
