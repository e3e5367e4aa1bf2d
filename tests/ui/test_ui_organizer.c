/* Draws organiser mode's screens and the live attendance screen headless at
 * 800x480, 1024x600, 1920x1080 and 480x800, saves each frame under
 * $CONVENE_TEST_ARTIFACTS/screens/<size>/org-*.png and checks it like the
 * kiosk's screens: not blank, the expected texts drawn inside the screen,
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
	K_PIN,
	K_PIN_WRONG,
	K_PIN_LOCKED,
	K_MENU,
	K_ZONE,
	K_ENROL,
	K_SEARCH,
	K_SEARCH_EMPTY,
	K_BADGE,
	K_NOTICE_OK,
	K_NOTICE_FAIL,
	K_LIVE,
	K_LIVE_ORG,
	K_LIVE_EMPTY,
	K_SYNC_OFF,
	K_SYNC_OK,
	K_SYNC_CLOCK,
	K_SYNC_QUARANTINE
};

struct variant {
	const char *name;
	enum kind kind;
	bool german;
	const char *keys[KEYS_MAX];
	int targets; /* touch targets at least */
};

static const struct variant variants[] = {
    {"org-welcome-button", K_WELCOME, false, {"welcome.title", "welcome.organizer"}, 1},
    {"org-pin",
     K_PIN,
     false,
     {"org.pin_title", "org.pin_hint", "org.ok", "org.erase", "key.0"},
     13},
    {"org-pin-wrong", K_PIN_WRONG, false, {"org.pin_title", "org.pin_wrong"}, 13},
    {"org-pin-locked", K_PIN_LOCKED, true, {"org.pin_title", "org.pin_locked"}, 13},
    {"org-menu",
     K_MENU,
     false,
     {"org.menu_title", "org.item_live", "org.item_enrol", "org.item_zone", "org.item_sync",
      "org.item_export", "org.item_back"},
     6},
    {"org-menu-de", K_MENU, true, {"org.menu_title", "org.item_live", "org.item_back"}, 6},
    {"org-zone", K_ZONE, false, {"org.zone_title", "zone.hall-a", "zone.workshop-2"}, 4},
    {"org-enrol", K_ENROL, false, {"org.enrol_title", "org.enrol_body"}, 1},
    {"org-search",
     K_SEARCH,
     false,
     {"org.search_title", "org.query", "org.result.0", "key.é", "key.erase", "key.space"},
     40},
    {"org-search-empty",
     K_SEARCH_EMPTY,
     true,
     {"org.search_title", "org.search_none", "key.ß"},
     40},
    {"org-badge", K_BADGE, false, {"org.badge_title", "org.unbind", "org.revoke"}, 3},
    {"org-notice-bound", K_NOTICE_OK, false, {"org.done_bound"}, 1},
    {"org-notice-failed", K_NOTICE_FAIL, false, {"org.failed"}, 1},
    {"live-standalone",
     K_LIVE,
     false,
     {"live.title", "live.checked_in", "live.expected", "live.encounters", "live.arrivals",
      "live.zones", "live.map", "live.lonely", "live.intros", "live.intro.0", "live.name.0"},
     0},
    {"live-organizer-de", K_LIVE_ORG, true, {"live.title", "live.map", "org.back"}, 1},
    {"live-empty", K_LIVE_EMPTY, false, {"live.title", "live.lonely_none", "live.intros_none"}, 0},
    {"org-menu-sync-off",
     K_SYNC_OFF,
     false,
     {"org.menu_title", "org.sync_off", "org.item_sync"},
     6},
    {"org-menu-sync-ok",
     K_SYNC_OK,
     false,
     {"org.sync_done", "org.sync_pending", "org.item_back"},
     6},
    {"org-menu-sync-clock",
     K_SYNC_CLOCK,
     false,
     {"org.sync_clock", "org.sync_pending", "org.item_live"},
     6},
    {"org-menu-sync-clock-de",
     K_SYNC_CLOCK,
     true,
     {"org.sync_clock", "org.sync_pending", "org.item_back"},
     6},
    {"org-menu-sync-quarantine",
     K_SYNC_QUARANTINE,
     false,
     {"org.sync_held", "org.sync_pending", "org.sync_quarantined", "org.sync_retry_hint",
      "org.item_back"},
     6},
    {"org-menu-sync-quarantine-de",
     K_SYNC_QUARANTINE,
     true,
     {"org.sync_held", "org.sync_quarantined", "org.sync_retry_hint", "org.item_back"},
     6},
};

#define VARIANT_COUNT (sizeof(variants) / sizeof(variants[0]))

static char artifacts[512];
static struct cv_assets *en, *de;
static struct cv_live_snapshot *live, *empty;

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

/* A convening of 80 people, 60 here, in five organisations; some named. */
static struct cv_live_snapshot *make_live(void)
{
	static const char *const first[] = {"Zoë",   "Łukasz", "Anaïs", "Jörg",  "Amara",
	                                    "Kenji", "Søren",  "Inès",  "Mateo", "Priya"};
	static const char *const orgs[] = {"Green Schools", "Climate Kraków", "Clinica Norte",
	                                   "Ørsted Skolen", "Youth Forum"};
	struct cv_live_snapshot *s = calloc(1, sizeof(*s));
	uint64_t x = 42;

	assert_non_null(s);
	snprintf(s->day, sizeof(s->day), "2025-05-06");
	s->expected = 80;
	s->checked_in = 60;
	s->person_count = 60;
	s->people = calloc(60, sizeof(*s->people));
	s->ties = calloc(200, sizeof(*s->ties));
	assert_non_null(s->people);
	assert_non_null(s->ties);
	for (int i = 0; i < 5; i++)
		snprintf(s->orgs[s->org_count++], sizeof(s->orgs[0]), "%s", orgs[i]);
	for (int i = 0; i < 60; i++) {
		s->people[i].id = i + 1;
		s->people[i].present = true;
		s->people[i].org = i % 6 == 5 ? -1 : i % 5;
		if (i % 3 == 0)
			snprintf(s->people[i].name, sizeof(s->people[i].name), "%s %c.",
			         first[i / 3 % 10], 'A' + i % 26);
	}
	for (int k = 0; k < 90; k++) {
		int a, b;
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		a = (int)((x >> 33) % 48);
		b = (int)((x >> 45) % 48);
		if (a == b)
			continue;
		s->ties[s->tie_count++] = (struct cv_live_tie){a, b, 1 + (int)(x >> 60) % 3};
		s->people[a].partners++;
		s->people[b].partners++;
		s->encounters += 1;
	}
	for (int i = 0; i < 60; i++)
		if (s->people[i].partners == 0) {
			s->lonely++;
			if (s->people[i].name[0] && s->lonely_named_count < CV_LIVE_LIST_MAX)
				s->lonely_named[s->lonely_named_count++] = i;
		}
	for (int slot = 34; slot < 42; slot++)
		s->arrivals[slot] = 3 + (slot * 7) % 11;
	s->zone_count = 3;
	snprintf(s->zones[0].zone, sizeof(s->zones[0].zone), "entrance");
	s->zones[0].people = 60;
	snprintf(s->zones[1].zone, sizeof(s->zones[1].zone), "hall-a");
	s->zones[1].people = 34;
	snprintf(s->zones[2].zone, sizeof(s->zones[2].zone), "workshop-2");
	s->zones[2].people = 12;
	s->intro_count = 3;
	s->intros[0] = (struct cv_live_intro){0, 3, 4};
	s->intros[1] = (struct cv_live_intro){6, 9, 3};
	s->intros[2] = (struct cv_live_intro){12, 15, 2};
	return s;
}

static struct cv_live_snapshot *make_empty(void)
{
	struct cv_live_snapshot *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->expected = 120;
	return s;
}

static int setup(void **state)
{
	const char *env = getenv("CONVENE_TEST_ARTIFACTS");

	(void)state;
	snprintf(artifacts, sizeof(artifacts), "%s", env && env[0] ? env : "test-artifacts");
	en = load("en", "default");
	de = load("de", "high-contrast");
	live = make_live();
	empty = make_empty();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cv_assets_destroy(en);
	cv_assets_destroy(de);
	cv_live_snapshot_free(live);
	cv_live_snapshot_free(empty);
	return 0;
}

struct scene {
	struct cv_flow_state flow;
	struct cv_org_state org;
	struct cv_ui_org_data data;
	struct cv_ui_view view;
};

static void build(const struct variant *v, struct scene *sc)
{
	struct cv_org_state *o = &sc->org;

	memset(sc, 0, sizeof(*sc));
	sc->flow.screen = CV_SCREEN_IDLE;
	sc->flow.answer = -1;
	sc->flow.reader_online = true;
	cv_org_init(o);
	o->organizer.id = 7;
	o->organizer.role = CV_ROLE_ORGANIZER;
	snprintf(o->organizer.name, sizeof(o->organizer.name), "Oona Ørsted");
	o->deadline_ms = NOW + 60000;
	o->touched_ms = NOW;
	sc->data.zone_count = 4;
	snprintf(sc->data.zones[0], CV_ID_MAX, "entrance");
	snprintf(sc->data.zones[1], CV_ID_MAX, "hall-a");
	snprintf(sc->data.zones[2], CV_ID_MAX, "hall-b");
	snprintf(sc->data.zones[3], CV_ID_MAX, "workshop-2");
	sc->view.flow = &sc->flow;
	sc->view.kiosk_name = "Main entrance";
	sc->view.zone = "hall-a";
	sc->view.mode = CV_MODE_BOTH;
	sc->view.pair_window_ms = 8000;
	sc->view.now_ms = NOW;
	sc->view.org = o;
	sc->view.org_data = &sc->data;
	switch (v->kind) {
	case K_WELCOME:
		cv_org_init(o);
		sc->flow.screen = CV_SCREEN_WELCOME;
		sc->flow.first.person = o->organizer;
		sc->flow.first.person.id = 7;
		snprintf(sc->flow.first.person.name, sizeof(sc->flow.first.person.name),
		         "Oona Ørsted");
		snprintf(sc->flow.first.person.organization, CV_NAME_MAX, "Green Schools Network");
		sc->view.organizer_button = true;
		break;
	case K_PIN:
		o->screen = CV_ORG_PIN;
		snprintf(o->pin, sizeof(o->pin), "24");
		o->pin_len = 2;
		break;
	case K_PIN_WRONG:
		o->screen = CV_ORG_PIN;
		o->pin_wrong = true;
		o->failures = 2;
		break;
	case K_PIN_LOCKED:
		o->screen = CV_ORG_PIN;
		o->pin_wrong = true;
		o->locked_until_ms = NOW + 42000;
		break;
	case K_MENU: o->screen = CV_ORG_MENU; break;
	case K_SYNC_OFF:
	case K_SYNC_OK:
	case K_SYNC_CLOCK:
	case K_SYNC_QUARANTINE:
		o->screen = CV_ORG_MENU;
		if (v->kind == K_SYNC_OFF)
			break;
		sc->data.sync.configured = true;
		sc->data.sync.finished = true;
		sc->data.sync.pending = v->kind == K_SYNC_CLOCK ? 20000 : 12;
		sc->data.sync.quarantined = v->kind == K_SYNC_QUARANTINE ? 3 : 0;
		sc->data.sync.outcome = v->kind == K_SYNC_OK      ? CV_SYNC_DONE
		                        : v->kind == K_SYNC_CLOCK ? CV_SYNC_CLOCK
		                                                  : CV_SYNC_QUARANTINED;
		snprintf(sc->data.sync.at, sizeof(sc->data.sync.at), "12:03");
		break;
	case K_ZONE: o->screen = CV_ORG_ZONE; break;
	case K_ENROL: o->screen = CV_ORG_ENROL; break;
	case K_SEARCH:
	case K_SEARCH_EMPTY:
		o->screen = CV_ORG_SEARCH;
		snprintf(o->badge.uid, sizeof(o->badge.uid), "04A1B2C3D4E5F6");
		if (v->kind == K_SEARCH) {
			snprintf(o->query, sizeof(o->query), "zoë ø");
			sc->data.result_count = 3;
			for (int i = 0; i < 3; i++) {
				sc->data.results[i].id = 10 + i;
				snprintf(sc->data.results[i].name, CV_NAME_MAX, "%s",
				         i == 0   ? "Zoë Ørsted"
				         : i == 1 ? "Zoë Øberg-Nuñez"
				                  : "Zoëlle Ørn");
				snprintf(sc->data.results[i].organization, CV_NAME_MAX, "%s",
				         i == 1 ? "" : "Green Schools Network");
			}
		} else {
			snprintf(o->query, sizeof(o->query), "qqq");
		}
		break;
	case K_BADGE:
		o->screen = CV_ORG_BADGE;
		snprintf(o->badge.uid, sizeof(o->badge.uid), "04A1B2C3D4E5F6");
		o->badge.person.id = 12;
		snprintf(o->badge.person.name, CV_NAME_MAX, "Łukasz Nowak");
		snprintf(o->badge.person.organization, CV_NAME_MAX, "Climate Kraków");
		break;
	case K_NOTICE_OK:
	case K_NOTICE_FAIL:
		o->screen = CV_ORG_NOTICE;
		o->notice = CV_ORG_NOTICE_BOUND;
		o->notice_ok = v->kind == K_NOTICE_OK;
		o->notice_return = CV_ORG_ENROL;
		o->badge.person.id = 12;
		snprintf(o->badge.person.name, CV_NAME_MAX, "Anaïs Søndergaard-Nuñez");
		break;
	case K_LIVE:
	case K_LIVE_EMPTY:
		cv_org_init(o);
		sc->view.live_only = true;
		sc->view.live = v->kind == K_LIVE ? live : empty;
		break;
	case K_LIVE_ORG:
		o->screen = CV_ORG_LIVE;
		sc->view.live = live;
		break;
	}
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
			if (sc.view.live) {
				/* settle the map as the kiosk would, frame by frame */
				for (int f = 0;
				     f < 400 && cv_ui_live_step(ui, sc.view.live, NOW + f * 33);
				     f++)
					;
				sc.view.now_ms = NOW + 400 * 33;
			}
			assert_int_equal(cv_ui_draw(ui, &sc.view), 0);
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

/* The keypad's keys are where their labels are, and the keyboard types accents. */
static void test_hits(void **state)
{
	struct cv_ui_options opts = {.width = 800, .height = 480, .headless = true};
	const struct cv_ui_text_box *boxes;
	struct cv_ui *ui = NULL;
	struct cv_ui_hit hit;
	struct scene sc;
	char err[256];
	size_t n;

	(void)state;
	assert_int_equal(cv_ui_create(&opts, en, &ui, err, sizeof(err)), 0);
	build(&variants[1], &sc);
	assert_int_equal(cv_ui_draw(ui, &sc.view), 0);
	n = cv_ui_text_boxes(ui, &boxes);
	for (int d = 0; d <= 9; d++) {
		char key[8];
		const struct cv_ui_text_box *b;

		snprintf(key, sizeof(key), "key.%d", d);
		b = ui_check_find_box(boxes, n, key);
		assert_non_null(b);
		assert_true(cv_ui_hit_test(ui, b->x + b->w / 2, b->y + b->h / 2, &hit));
		assert_int_equal(hit.target, CV_UI_T_DIGIT);
		assert_int_equal(hit.index, d);
	}
	build(&variants[8], &sc);
	assert_int_equal(cv_ui_draw(ui, &sc.view), 0);
	n = cv_ui_text_boxes(ui, &boxes);
	{
		const struct cv_ui_text_box *b = ui_check_find_box(boxes, n, "key.ł");
		assert_non_null(b);
		assert_true(cv_ui_hit_test(ui, b->x + b->w / 2, b->y + b->h / 2, &hit));
		assert_int_equal(hit.target, CV_UI_T_KEY);
		assert_string_equal(hit.text, "ł");
		b = ui_check_find_box(boxes, n, "org.result.1");
		assert_non_null(b);
		assert_true(cv_ui_hit_test(ui, b->x + b->w / 2, b->y + b->h / 2, &hit));
		assert_int_equal(hit.target, CV_UI_T_RESULT);
		assert_int_equal(hit.index, 1);
	}
	/* the kiosk's idle screen has no organiser targets */
	sc.view.org = NULL;
	assert_int_equal(cv_ui_draw(ui, &sc.view), 0);
	assert_false(cv_ui_hit_test(ui, 400, 240, &hit));
	cv_ui_destroy(ui);
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
