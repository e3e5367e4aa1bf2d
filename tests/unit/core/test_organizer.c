/* Unit tests of organiser mode (src/organizer.c): opening with an organiser's
 * badge, the keypad and its lock, the menu and each of its screens, the
 * timeout, taps while open, enrolment, and a seeded random walk with the
 * invariants checked after every step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cv_organizer.h"

#define T0 50000
#define TIMEOUT 60000
#define LOCK 60000
#define NOTICE 3000

struct ctx {
	struct cv_org_state st;
	struct cv_org_params p;
	struct cv_org_effects out;
	int64_t now;
};

static void ctx_init(struct ctx *c)
{
	memset(c, 0, sizeof *c);
	cv_org_init(&c->st);
	c->p = (struct cv_org_params){.enabled = true,
	                              .timeout_ms = TIMEOUT,
	                              .lock_ms = LOCK,
	                              .max_failures = 5,
	                              .notice_ms = NOTICE,
	                              .zone_count = 3};
	c->now = T0;
}

static bool step(struct ctx *c, struct cv_org_event ev)
{
	bool changed;
	const char *why;

	ev.now_ms = c->now;
	changed = cv_org_step(&c->st, &c->p, &ev, &c->out);
	why = cv_org_check(&c->st, &c->p);
	if (why)
		fail_msg("invariant broken: %s", why);
	return changed;
}

static struct cv_flow_person organiser(void)
{
	struct cv_flow_person p = {.id = 7, .role = CV_ROLE_ORGANIZER};
	snprintf(p.name, sizeof p.name, "Oona Organiser");
	return p;
}

static bool open_mode(struct ctx *c)
{
	struct cv_org_event ev = {.kind = CV_ORG_EV_OPEN};
	ev.u.person = organiser();
	return step(c, ev);
}

static void digit(struct ctx *c, int d)
{
	struct cv_org_event ev = {.kind = CV_ORG_EV_DIGIT};
	ev.u.digit = d;
	step(c, ev);
}

static void simple(struct ctx *c, enum cv_org_event_kind kind)
{
	struct cv_org_event ev = {.kind = kind};
	step(c, ev);
}

static void checked(struct ctx *c, bool ok)
{
	struct cv_org_event ev = {.kind = CV_ORG_EV_PIN_CHECKED};
	ev.u.ok = ok;
	step(c, ev);
}

static void type_pin(struct ctx *c, const char *pin)
{
	for (const char *d = pin; *d; d++)
		digit(c, *d - '0');
	simple(c, CV_ORG_EV_ENTER);
}

static void item(struct ctx *c, enum cv_org_item it)
{
	struct cv_org_event ev = {.kind = CV_ORG_EV_ITEM};
	ev.u.item = it;
	step(c, ev);
}

static void done(struct ctx *c, bool ok)
{
	struct cv_org_event ev = {.kind = CV_ORG_EV_DONE};
	ev.u.ok = ok;
	step(c, ev);
}

static bool tap(struct ctx *c, const char *uid, int64_t person, bool random_uid)
{
	struct cv_org_event ev = {.kind = CV_ORG_EV_TAP};
	snprintf(ev.u.tap.uid, sizeof ev.u.tap.uid, "%s", uid);
	ev.u.tap.person.id = person;
	ev.u.tap.random_uid = random_uid;
	if (person)
		snprintf(ev.u.tap.person.name, sizeof ev.u.tap.person.name, "P%lld",
		         (long long)person);
	return step(c, ev);
}

static void to_menu(struct ctx *c)
{
	open_mode(c);
	type_pin(c, "2468");
	checked(c, true);
	assert_int_equal(c->st.screen, CV_ORG_MENU);
}

static void test_open_needs_organiser_and_pin(void **state)
{
	struct ctx c;
	struct cv_org_event ev = {.kind = CV_ORG_EV_OPEN};

	(void)state;
	ctx_init(&c);
	ev.u.person = organiser();
	ev.u.person.role = CV_ROLE_ATTENDEE;
	assert_false(step(&c, ev));
	assert_int_equal(c.st.screen, CV_ORG_OFF);
	ev.u.person.role = CV_ROLE_STAFF;
	assert_false(step(&c, ev));
	c.p.enabled = false; /* no PIN hash configured */
	assert_false(open_mode(&c));
	assert_int_equal(c.st.screen, CV_ORG_OFF);
	c.p.enabled = true;
	assert_true(open_mode(&c));
	assert_int_equal(c.st.screen, CV_ORG_PIN);
	assert_int_equal(c.st.organizer.id, 7);
	assert_int_equal(c.st.deadline_ms, T0 + TIMEOUT);
}

static void test_pin_entry(void **state)
{
	struct ctx c;

	(void)state;
	ctx_init(&c);
	open_mode(&c);
	digit(&c, 1);
	digit(&c, 2);
	digit(&c, 3);
	assert_string_equal(c.st.pin, "123");
	simple(&c, CV_ORG_EV_ENTER); /* too short: nothing happens */
	assert_int_equal(c.st.screen, CV_ORG_PIN);
	assert_int_equal(c.out.count, 0);
	simple(&c, CV_ORG_EV_ERASE);
	assert_string_equal(c.st.pin, "12");
	digit(&c, 10); /* not a digit */
	digit(&c, -1);
	assert_string_equal(c.st.pin, "12");
	for (int i = 0; i < 20; i++)
		digit(&c, 9);
	assert_int_equal(c.st.pin_len, CV_ORG_PIN_MAX);
	simple(&c, CV_ORG_EV_ENTER);
	assert_int_equal(c.st.screen, CV_ORG_CHECKING);
	assert_int_equal(c.out.count, 1);
	assert_int_equal(c.out.fx[0].kind, CV_ORG_FX_VERIFY_PIN);
	assert_string_equal(c.out.fx[0].text, "129999999999");
	/* the state keeps no digits once they went to be checked */
	assert_int_equal(c.st.pin_len, 0);
	assert_string_equal(c.st.pin, "");
	checked(&c, true);
	assert_int_equal(c.st.screen, CV_ORG_MENU);
	assert_int_equal(c.st.failures, 0);
}

static void test_five_wrong_pins_lock_a_minute(void **state)
{
	struct ctx c;

	(void)state;
	ctx_init(&c);
	open_mode(&c);
	for (int i = 1; i <= 4; i++) {
		type_pin(&c, "0000");
		checked(&c, false);
		assert_int_equal(c.st.screen, CV_ORG_PIN);
		assert_true(c.st.pin_wrong);
		assert_int_equal(c.st.failures, i);
		assert_false(cv_org_locked(&c.st, c.now));
	}
	/* closing and opening again does not forget the failures */
	simple(&c, CV_ORG_EV_BACK);
	assert_int_equal(c.st.screen, CV_ORG_OFF);
	open_mode(&c);
	assert_int_equal(c.st.failures, 4);
	c.now += 1000;
	type_pin(&c, "0000");
	checked(&c, false);
	assert_true(cv_org_locked(&c.st, c.now));
	assert_int_equal(c.st.locked_until_ms, c.now + LOCK);
	/* locked: digits and enter are refused, even after reopening */
	digit(&c, 2);
	assert_int_equal(c.st.pin_len, 0);
	simple(&c, CV_ORG_EV_BACK);
	open_mode(&c);
	digit(&c, 2);
	assert_int_equal(c.st.pin_len, 0);
	c.now += LOCK - 1;
	assert_true(cv_org_locked(&c.st, c.now));
	c.now += 1; /* exactly a minute after the fifth wrong PIN (and untouched) */
	assert_true(step(&c, (struct cv_org_event){.kind = CV_ORG_EV_TICK}));
	assert_false(cv_org_locked(&c.st, c.now));
	assert_int_equal(c.st.locked_until_ms, 0);
	assert_int_equal(c.st.screen, CV_ORG_OFF);
	open_mode(&c);
	type_pin(&c, "2468");
	checked(&c, true);
	assert_int_equal(c.st.screen, CV_ORG_MENU);
}

static void test_timeout_untouched(void **state)
{
	struct ctx c;

	(void)state;
	ctx_init(&c);
	to_menu(&c);
	c.now += TIMEOUT - 1;
	assert_false(step(&c, (struct cv_org_event){.kind = CV_ORG_EV_TICK}));
	item(&c, CV_ORG_ITEM_LIVE); /* a touch: the minute starts over */
	c.now += TIMEOUT - 1;
	simple(&c, CV_ORG_EV_TICK);
	assert_int_equal(c.st.screen, CV_ORG_LIVE);
	c.now += 1;
	assert_true(step(&c, (struct cv_org_event){.kind = CV_ORG_EV_TICK}));
	assert_int_equal(c.st.screen, CV_ORG_OFF);
	assert_int_equal(c.out.count, 1);
	assert_int_equal(c.out.fx[0].kind, CV_ORG_FX_CLOSED);
	assert_int_equal(c.st.organizer.id, 0);
	/* the keypad times out too, and its digits go with it */
	open_mode(&c);
	digit(&c, 5);
	c.now += TIMEOUT;
	simple(&c, CV_ORG_EV_TICK);
	assert_int_equal(c.st.screen, CV_ORG_OFF);
	assert_int_equal(c.st.pin_len, 0);
}

static void test_menu_items(void **state)
{
	struct ctx c;

	(void)state;
	ctx_init(&c);
	to_menu(&c);
	item(&c, CV_ORG_ITEM_LIVE);
	assert_int_equal(c.st.screen, CV_ORG_LIVE);
	simple(&c, CV_ORG_EV_BACK);
	assert_int_equal(c.st.screen, CV_ORG_MENU);

	item(&c, CV_ORG_ITEM_SYNC);
	assert_int_equal(c.st.screen, CV_ORG_NOTICE);
	assert_int_equal(c.st.notice, CV_ORG_NOTICE_WORKING);
	assert_int_equal(c.out.fx[0].kind, CV_ORG_FX_SYNC);
	simple(&c, CV_ORG_EV_BACK); /* working: back waits for the outcome */
	assert_int_equal(c.st.screen, CV_ORG_NOTICE);
	done(&c, true);
	assert_int_equal(c.st.notice, CV_ORG_NOTICE_SYNC);
	assert_true(c.st.notice_ok);
	c.now += NOTICE;
	simple(&c, CV_ORG_EV_TICK);
	assert_int_equal(c.st.screen, CV_ORG_MENU);

	item(&c, CV_ORG_ITEM_EXPORT);
	assert_int_equal(c.out.fx[0].kind, CV_ORG_FX_EXPORT);
	done(&c, false);
	assert_int_equal(c.st.notice, CV_ORG_NOTICE_EXPORT);
	assert_false(c.st.notice_ok);
	simple(&c, CV_ORG_EV_BACK);
	assert_int_equal(c.st.screen, CV_ORG_MENU);

	item(&c, CV_ORG_ITEM_ZONE);
	assert_int_equal(c.st.screen, CV_ORG_ZONE);
	{
		struct cv_org_event ev = {.kind = CV_ORG_EV_ZONE};
		ev.u.zone = 3; /* out of range */
		assert_false(step(&c, ev));
		ev.u.zone = 2;
		assert_true(step(&c, ev));
		assert_int_equal(c.out.fx[0].kind, CV_ORG_FX_SET_ZONE);
		assert_int_equal(c.out.fx[0].zone, 2);
	}
	done(&c, true);
	assert_int_equal(c.st.notice, CV_ORG_NOTICE_ZONE);
	simple(&c, CV_ORG_EV_BACK);
	item(&c, CV_ORG_ITEM_BACK);
	assert_int_equal(c.st.screen, CV_ORG_OFF);
	assert_int_equal(c.out.fx[0].kind, CV_ORG_FX_CLOSED);
	/* a late reply after closing changes nothing */
	assert_false(step(&c, (struct cv_org_event){.kind = CV_ORG_EV_DONE}));
	checked(&c, true);
	assert_int_equal(c.st.screen, CV_ORG_OFF);
}

static void test_taps_while_open(void **state)
{
	struct ctx c;

	(void)state;
	ctx_init(&c);
	to_menu(&c);
	/* the organiser's own badge again: ignored */
	assert_false(tap(&c, "04AA", 7, false));
	assert_int_equal(c.st.screen, CV_ORG_MENU);
	/* an attendee: the kiosk is theirs, the tap goes to the flow */
	assert_true(tap(&c, "04BB", 3, false));
	assert_int_equal(c.st.screen, CV_ORG_OFF);
	assert_int_equal(c.out.count, 2);
	assert_int_equal(c.out.fx[0].kind, CV_ORG_FX_CLOSED);
	assert_int_equal(c.out.fx[1].kind, CV_ORG_FX_PASS_TAP);
	assert_string_equal(c.out.fx[1].tap.uid, "04BB");
	/* closed: taps are not the organiser machine's */
	assert_false(tap(&c, "04CC", 3, false));
	assert_int_equal(c.out.count, 0);
}

static void test_enrolment(void **state)
{
	struct ctx c;
	struct cv_org_event ev;

	(void)state;
	ctx_init(&c);
	to_menu(&c);
	item(&c, CV_ORG_ITEM_ENROL);
	assert_int_equal(c.st.screen, CV_ORG_ENROL);
	/* an unknown badge: the search opens, empty */
	tap(&c, "04DEAD", 0, false);
	assert_int_equal(c.st.screen, CV_ORG_SEARCH);
	assert_int_equal(c.out.fx[0].kind, CV_ORG_FX_SEARCH);
	assert_string_equal(c.out.fx[0].text, "");
	ev = (struct cv_org_event){.kind = CV_ORG_EV_TEXT};
	snprintf(ev.u.text, sizeof ev.u.text, "Z");
	step(&c, ev);
	snprintf(ev.u.text, sizeof ev.u.text, "ö");
	step(&c, ev);
	assert_string_equal(c.st.query, "Zö");
	assert_string_equal(c.out.fx[0].text, "Zö");
	simple(&c, CV_ORG_EV_ERASE); /* removes the whole two-byte ö */
	assert_string_equal(c.st.query, "Z");
	snprintf(ev.u.text, sizeof ev.u.text, "\n");
	assert_false(step(&c, ev));
	ev = (struct cv_org_event){.kind = CV_ORG_EV_PICK};
	ev.u.person.id = 12;
	snprintf(ev.u.person.name, sizeof ev.u.person.name, "Zoë Ørsted");
	step(&c, ev);
	assert_int_equal(c.out.fx[0].kind, CV_ORG_FX_BIND);
	assert_string_equal(c.out.fx[0].uid, "04DEAD");
	assert_int_equal(c.out.fx[0].person, 12);
	done(&c, true);
	assert_int_equal(c.st.notice, CV_ORG_NOTICE_BOUND);
	assert_string_equal(c.st.badge.person.name, "Zoë Ørsted");
	/* the next badge may come at once, during the notice */
	tap(&c, "04BEEF", 12, false);
	assert_int_equal(c.st.screen, CV_ORG_BADGE);
	simple(&c, CV_ORG_EV_REVOKE);
	assert_int_equal(c.out.fx[0].kind, CV_ORG_FX_REVOKE);
	assert_string_equal(c.out.fx[0].uid, "04BEEF");
	done(&c, true);
	c.now += NOTICE;
	simple(&c, CV_ORG_EV_TICK);
	assert_int_equal(c.st.screen, CV_ORG_ENROL);
	tap(&c, "04BEEF", 12, false);
	simple(&c, CV_ORG_EV_UNBIND);
	assert_int_equal(c.out.fx[0].kind, CV_ORG_FX_UNBIND);
	done(&c, false);
	assert_false(c.st.notice_ok);
	simple(&c, CV_ORG_EV_BACK);
	/* a random UID cannot be enrolled */
	tap(&c, "08123456", 0, true);
	assert_int_equal(c.st.notice, CV_ORG_NOTICE_RANDOM);
	simple(&c, CV_ORG_EV_BACK);
	assert_int_equal(c.st.screen, CV_ORG_ENROL);
	simple(&c, CV_ORG_EV_BACK);
	assert_int_equal(c.st.screen, CV_ORG_MENU);
}

static void test_query_limit(void **state)
{
	struct ctx c;
	struct cv_org_event ev = {.kind = CV_ORG_EV_TEXT};

	(void)state;
	ctx_init(&c);
	to_menu(&c);
	item(&c, CV_ORG_ITEM_ENROL);
	tap(&c, "04DEAD", 0, false);
	snprintf(ev.u.text, sizeof ev.u.text, "é");
	for (int i = 0; i < 100; i++)
		step(&c, ev);
	/* two-byte characters up to the last whole one that fits */
	assert_int_equal(strlen(c.st.query), CV_ORG_QUERY_MAX - 2);
}

static void test_checker_catches_broken_states(void **state)
{
	struct cv_org_state s;

	(void)state;
	cv_org_init(&s);
	assert_null(cv_org_check(&s, NULL));
	s.screen = CV_ORG_MENU;
	assert_non_null(cv_org_check(&s, NULL)); /* no deadline, no organiser */
	s.deadline_ms = 10;
	assert_non_null(cv_org_check(&s, NULL));
	s.organizer.id = 3;
	s.organizer.role = CV_ROLE_ORGANIZER;
	assert_null(cv_org_check(&s, NULL));
	s.pin[0] = '1';
	s.pin_len = 1;
	assert_non_null(cv_org_check(&s, NULL)); /* digits outside the keypad */
	s.screen = CV_ORG_PIN;
	assert_null(cv_org_check(&s, NULL));
	s.pin[0] = 'x';
	assert_non_null(cv_org_check(&s, NULL));
	s.pin[0] = '1';
	s.screen = CV_ORG_NOTICE;
	s.pin_len = 0;
	s.pin[0] = '\0';
	assert_non_null(cv_org_check(&s, NULL)); /* a notice screen without a notice */
	s.notice = CV_ORG_NOTICE_WORKING;
	assert_non_null(cv_org_check(&s, NULL)); /* working without a pending action */
	s.pending = CV_ORG_NOTICE_SYNC;
	assert_null(cv_org_check(&s, NULL));
	assert_string_equal(cv_org_screen_name(CV_ORG_SEARCH), "search");
	assert_string_equal(cv_org_screen_name(CV_ORG_SCREEN_COUNT), "invalid");
}

/* Random events for a long time: the invariants hold after every step, the
 * keypad never opens the menu without a PIN_CHECKED(true) in CHECKING, a
 * lock always follows the fifth wrong PIN in a row, and nothing stays open
 * longer than the timeout after its last touch. */
static void test_random_walk(void **state)
{
	struct ctx c;
	uint64_t x = 0x9E3779B97F4A7C15ull;
	int wrong_in_row = 0;

	(void)state;
	ctx_init(&c);
	for (int i = 0; i < 200000; i++) {
		struct cv_org_event ev;
		enum cv_org_screen before = c.st.screen;
		int64_t deadline = c.st.deadline_ms;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memset(&ev, 0, sizeof ev);
		ev.kind = (enum cv_org_event_kind)(x % (CV_ORG_EV_TICK + 1));
		c.now += (int64_t)((x >> 8) % 4000);
		switch (ev.kind) {
		case CV_ORG_EV_OPEN:
			ev.u.person = organiser();
			ev.u.person.role = (enum cv_role)((x >> 20) % 3);
			break;
		case CV_ORG_EV_DIGIT: ev.u.digit = (int)((x >> 20) % 12) - 1; break;
		case CV_ORG_EV_PIN_CHECKED:
		case CV_ORG_EV_DONE: ev.u.ok = (x >> 20) % 4 == 0; break;
		case CV_ORG_EV_ITEM: ev.u.item = (enum cv_org_item)((x >> 20) % 6); break;
		case CV_ORG_EV_TAP:
			snprintf(ev.u.tap.uid, sizeof ev.u.tap.uid, "04%02X",
			         (unsigned)(x >> 24) & 0xff);
			ev.u.tap.person.id = (int64_t)((x >> 32) % 9);
			ev.u.tap.random_uid = (x >> 40) % 10 == 0;
			break;
		case CV_ORG_EV_TEXT:
			snprintf(ev.u.text, sizeof ev.u.text, "%s", (x >> 20) % 2 ? "a" : "ß");
			break;
		case CV_ORG_EV_PICK: ev.u.person.id = (int64_t)((x >> 20) % 5); break;
		case CV_ORG_EV_ZONE: ev.u.zone = (int)((x >> 20) % 5) - 1; break;
		default: break;
		}
		step(&c, ev);
		if (before == CV_ORG_CHECKING && ev.kind == CV_ORG_EV_PIN_CHECKED &&
		    (deadline == 0 || ev.now_ms < deadline)) {
			wrong_in_row = ev.u.ok ? 0 : wrong_in_row + 1;
			if (wrong_in_row == 5) {
				assert_true(cv_org_locked(&c.st, c.now));
				wrong_in_row = 0;
			}
		}
		if (c.st.screen == CV_ORG_MENU && before != CV_ORG_MENU) {
			bool via_pin = before == CV_ORG_CHECKING &&
			               ev.kind == CV_ORG_EV_PIN_CHECKED && ev.u.ok;
			bool via_back = before != CV_ORG_OFF && before != CV_ORG_PIN &&
			                before != CV_ORG_CHECKING;
			assert_true(via_pin || via_back);
		}
		if (c.st.screen != CV_ORG_OFF)
			assert_true(c.st.deadline_ms <= c.st.touched_ms + TIMEOUT);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_needs_organiser_and_pin),
	    cmocka_unit_test(test_pin_entry),
	    cmocka_unit_test(test_five_wrong_pins_lock_a_minute),
	    cmocka_unit_test(test_timeout_untouched),
	    cmocka_unit_test(test_menu_items),
	    cmocka_unit_test(test_taps_while_open),
	    cmocka_unit_test(test_enrolment),
	    cmocka_unit_test(test_query_limit),
	    cmocka_unit_test(test_checker_catches_broken_states),
	    cmocka_unit_test(test_random_walk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
