/* Unit tests of the kiosk flow (src/flow.c): every transition of the table in
 * docs/flow.md for each mode, debounce, windows and timeouts, the store's
 * replies, consent (asked at the tap, changed from welcome, a pair with someone
 * who chose attendance only), the invariants, and a long seeded random walk
 * checked against a model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cv_flow.h"

#define T0 100000 /* the first tap of most tests, ms */

#define WINDOW_MS 5000
#define DEBOUNCE_MS 1500
#define PROMPT_MS 20000
#define MESSAGE_MS 3000
#define OPTIONS 5
#define NOT_TOGETHER 4

struct badge {
	const char *uid;
	int64_t person; /* 0: unknown */
	const char *name;
	bool random_uid;
	enum cv_consent consent;
};

static const struct badge BADGE_A = {"04A1A2A3A4A5A6", 1, "Ada Lovelace", false,
                                     CV_CONSENT_ENCOUNTERS};
static const struct badge BADGE_A2 = {"04A9A9A9A9A9A9", 1, "Ada Lovelace", false,
                                      CV_CONSENT_ENCOUNTERS}; /* Ada's spare */
static const struct badge BADGE_B = {"04B1B2B3B4B5B6", 2, "Brian Kernighan", false,
                                     CV_CONSENT_ENCOUNTERS};
static const struct badge BADGE_C = {"04C1C2C3C4C5C6", 3, "Carol Shaw", false,
                                     CV_CONSENT_ENCOUNTERS};
static const struct badge BADGE_D = {"04D1D2D3D4D5D6", 4, "Dennis Ritchie", false,
                                     CV_CONSENT_UNSET};
static const struct badge BADGE_U = {"04EEEEEEEEEEEE", 0, "", false, CV_CONSENT_UNSET};
static const struct badge BADGE_R = {"08123456", 0, "", true, CV_CONSENT_UNSET};
static const struct badge BADGE_R2 = {"08ABCDEF", 0, "", true, CV_CONSENT_UNSET};
/* Eve never said what may be logged; Pat chose attendance only. */
static const struct badge BADGE_E = {"04E1E2E3E4E5E6", 5, "Eve Undecided", false, CV_CONSENT_UNSET};
static const struct badge BADGE_P = {"04F1F2F3F4F5F6", 6, "Pat Private", false,
                                     CV_CONSENT_ATTENDANCE};

struct ctx {
	struct cv_flow_state st;
	struct cv_flow_params p;
	struct cv_flow_effects out;
	int64_t seq; /* the store's tap sequence */
};

static struct cv_flow_params params_for(enum cv_mode mode)
{
	struct cv_flow_params p = {
	    .mode = mode,
	    .pair_window_ms = WINDOW_MS,
	    .debounce_ms = DEBOUNCE_MS,
	    .prompt_timeout_ms = PROMPT_MS,
	    .message_ms = MESSAGE_MS,
	    .option_count = OPTIONS,
	    .not_together = NOT_TOGETHER,
	};
	return p;
}

static void ctx_init(struct ctx *c, enum cv_mode mode)
{
	memset(c, 0, sizeof *c);
	cv_flow_init(&c->st);
	c->p = params_for(mode);
	c->seq = 1000;
}

static void check_ok(const struct cv_flow_state *st, const struct cv_flow_params *p)
{
	const char *why = cv_flow_check(st, p);

	if (why != NULL)
		fail_msg("invariant broken: %s", why);
}

static bool run(struct ctx *c, const struct cv_flow_event *ev)
{
	bool changed = cv_flow_step(&c->st, &c->p, ev, &c->out);

	check_ok(&c->st, &c->p);
	assert_in_range(c->out.count, 0, CV_FLOW_EFFECTS_MAX);
	return changed;
}

static struct cv_flow_event tap_event(struct ctx *c, int64_t now, const struct badge *b)
{
	struct cv_flow_event ev;

	memset(&ev, 0, sizeof ev);
	ev.kind = CV_FLOW_EV_TAP;
	ev.now_ms = now;
	snprintf(ev.u.tap.uid, sizeof ev.u.tap.uid, "%s", b->uid);
	ev.u.tap.tap_seq = ++c->seq;
	ev.u.tap.random_uid = b->random_uid;
	ev.u.tap.checked_in_now = b->person != 0;
	ev.u.tap.person.id = b->person;
	ev.u.tap.person.consent = b->consent;
	snprintf(ev.u.tap.person.name, sizeof ev.u.tap.person.name, "%s", b->name);
	return ev;
}

static bool tap(struct ctx *c, int64_t now, const struct badge *b)
{
	struct cv_flow_event ev = tap_event(c, now, b);

	return run(c, &ev);
}

static bool press(struct ctx *c, int64_t now, int option)
{
	struct cv_flow_event ev = {.kind = CV_FLOW_EV_PRESS, .now_ms = now, .u.option = option};

	return run(c, &ev);
}

static bool tick(struct ctx *c, int64_t now)
{
	struct cv_flow_event ev = {.kind = CV_FLOW_EV_TICK, .now_ms = now};

	return run(c, &ev);
}

static bool reader(struct ctx *c, int64_t now, bool online)
{
	struct cv_flow_event ev = {.kind = CV_FLOW_EV_READER, .now_ms = now};

	ev.u.reader_online = online;
	return run(c, &ev);
}

static bool consent(struct ctx *c, int64_t now, enum cv_flow_consent_input input)
{
	struct cv_flow_event ev = {.kind = CV_FLOW_EV_CONSENT, .now_ms = now};

	ev.u.consent = input;
	return run(c, &ev);
}

static bool saved(struct ctx *c, int64_t now, uint32_t write_id, bool ok)
{
	struct cv_flow_event ev = {.kind = CV_FLOW_EV_SAVED, .now_ms = now};

	ev.u.saved.write_id = write_id;
	ev.u.saved.ok = ok;
	return run(c, &ev);
}

/* The effects as letters: E encounter, A answer, S sound, C consent. */
static const char *fx_str(const struct cv_flow_effects *out)
{
	static char buf[CV_FLOW_EFFECTS_MAX + 1];
	int n = 0;

	for (int i = 0; i < out->count && i < CV_FLOW_EFFECTS_MAX; i++) {
		switch (out->fx[i].kind) {
		case CV_FLOW_FX_RECORD_ENCOUNTER: buf[n++] = 'E'; break;
		case CV_FLOW_FX_RECORD_ANSWER: buf[n++] = 'A'; break;
		case CV_FLOW_FX_SOUND: buf[n++] = 'S'; break;
		case CV_FLOW_FX_RECORD_CONSENT: buf[n++] = 'C'; break;
		default: buf[n++] = '?'; break;
		}
	}
	buf[n] = '\0';
	return buf;
}

/* ---- the table of transitions, for each mode ---------------------------- */

enum ev_class {
	EV_TAP_OTHER,     /* a known badge of a person not on screen (C) */
	EV_TAP_SAME,      /* badge A again, after the debounce */
	EV_TAP_UNKNOWN,   /* a badge bound to nobody */
	EV_TAP_RANDOM,    /* a random UID */
	EV_PRESS,         /* option 0 */
	EV_PRESS_NT,      /* the "not together" option */
	EV_PRESS_BAD,     /* an option out of range */
	EV_TICK_EARLY,    /* before the deadline */
	EV_TICK_DEADLINE, /* at the deadline */
	EV_READER_OFF,
	EV_SAVED_OK,      /* the pending write's reply, or write 1 when none is pending */
	EV_TAP_UNDECIDED, /* a known badge of a person who never said (E) */
	EV_TAP_PRIVATE,   /* a known badge of a person who chose attendance only (P) */
	EV_CONSENT_OPEN,  /* welcome's consent button */
	EV_CONSENT_PICK,  /* "attendance only" */
	EV_CONSENT_DONE,
	EV_CLASS_COUNT
};

static const char *const ev_names[EV_CLASS_COUNT] = {
    "tap other",     "tap same",           "tap unknown",  "tap random",
    "press",         "press not-together", "press bad",    "tick early",
    "tick deadline", "reader off",         "saved ok",     "tap undecided",
    "tap private",   "consent open",       "consent pick", "consent done",
};

/* Each mode without [consent] ask (N_*) and with it (K_*); M_* is both. */
#define N_C (1u << CV_MODE_CHECKIN)
#define N_M (1u << CV_MODE_MEET)
#define N_B (1u << CV_MODE_BOTH)
#define K_C (N_C << 3)
#define K_M (N_M << 3)
#define K_B (N_B << 3)
#define N_ALL (N_C | N_M | N_B)
#define K_ALL (K_C | K_M | K_B)
#define N_PAIR (N_M | N_B)
#define K_PAIR (K_M | K_B)
#define M_C (N_C | K_C)
#define M_M (N_M | K_M)
#define M_B (N_B | K_B)
#define M_ALL (M_C | M_M | M_B)
#define M_PAIR (M_M | M_B)

struct row {
	unsigned modes;
	enum cv_screen from;
	enum ev_class ev;
	enum cv_screen to;
	const char *fx;
	bool changed;
};

#define IDLE CV_SCREEN_IDLE
#define WELC CV_SCREEN_WELCOME
#define PROM CV_SCREEN_PROMPT
#define THKS CV_SCREEN_THANKS
#define UNKN CV_SCREEN_UNKNOWN
#define REFU CV_SCREEN_REFUSED
#define CONS CV_SCREEN_CONSENT
#define PRIV CV_SCREEN_PRIVATE

/* The same table as docs/flow.md. */
static const struct row table[] = {
    {M_ALL, IDLE, EV_TAP_OTHER, WELC, "S", true},
    {M_ALL, IDLE, EV_TAP_SAME, WELC, "S", true},
    {M_ALL, IDLE, EV_TAP_UNKNOWN, UNKN, "", true},
    {M_ALL, IDLE, EV_TAP_RANDOM, REFU, "", true},
    {M_ALL, IDLE, EV_PRESS, IDLE, "", false},
    {M_ALL, IDLE, EV_PRESS_NT, IDLE, "", false},
    {M_ALL, IDLE, EV_PRESS_BAD, IDLE, "", false},
    {M_ALL, IDLE, EV_TICK_EARLY, IDLE, "", false},
    {M_ALL, IDLE, EV_TICK_DEADLINE, IDLE, "", false},
    {M_ALL, IDLE, EV_READER_OFF, IDLE, "", true},
    {M_ALL, IDLE, EV_SAVED_OK, IDLE, "", false},

    {M_C, WELC, EV_TAP_OTHER, WELC, "S", true},
    {M_M, WELC, EV_TAP_OTHER, PROM, "E", true},
    {M_B, WELC, EV_TAP_OTHER, PROM, "", true},
    {M_ALL, WELC, EV_TAP_SAME, WELC, "S", true},
    {M_ALL, WELC, EV_TAP_UNKNOWN, UNKN, "", true},
    {M_ALL, WELC, EV_TAP_RANDOM, REFU, "", true},
    {M_ALL, WELC, EV_PRESS, WELC, "", false},
    {M_ALL, WELC, EV_PRESS_NT, WELC, "", false},
    {M_ALL, WELC, EV_PRESS_BAD, WELC, "", false},
    {M_ALL, WELC, EV_TICK_EARLY, WELC, "", false},
    {M_ALL, WELC, EV_TICK_DEADLINE, IDLE, "", true},
    {M_ALL, WELC, EV_READER_OFF, WELC, "", true},
    {M_ALL, WELC, EV_SAVED_OK, WELC, "", false},

    {M_PAIR, PROM, EV_TAP_OTHER, WELC, "S", true},
    {M_PAIR, PROM, EV_TAP_SAME, WELC, "S", true},
    {M_PAIR, PROM, EV_TAP_UNKNOWN, UNKN, "", true},
    {M_PAIR, PROM, EV_TAP_RANDOM, REFU, "", true},
    {M_M, PROM, EV_PRESS, THKS, "AS", true},
    {M_B, PROM, EV_PRESS, THKS, "ES", true},
    {M_M, PROM, EV_PRESS_NT, THKS, "AS", true},
    {M_B, PROM, EV_PRESS_NT, THKS, "S", true},
    {M_PAIR, PROM, EV_PRESS_BAD, PROM, "", false},
    {M_PAIR, PROM, EV_TICK_EARLY, PROM, "", false},
    {M_PAIR, PROM, EV_TICK_DEADLINE, IDLE, "", true},
    {M_PAIR, PROM, EV_READER_OFF, PROM, "", true},
    {M_M, PROM, EV_SAVED_OK, PROM, "", true},
    {M_B, PROM, EV_SAVED_OK, PROM, "", false},

    {M_PAIR, THKS, EV_TAP_OTHER, WELC, "S", true},
    {M_PAIR, THKS, EV_TAP_SAME, WELC, "S", true},
    {M_PAIR, THKS, EV_TAP_UNKNOWN, UNKN, "", true},
    {M_PAIR, THKS, EV_TAP_RANDOM, REFU, "", true},
    {M_PAIR, THKS, EV_PRESS, THKS, "", false},
    {M_PAIR, THKS, EV_PRESS_NT, THKS, "", false},
    {M_PAIR, THKS, EV_PRESS_BAD, THKS, "", false},
    {M_PAIR, THKS, EV_TICK_EARLY, THKS, "", false},
    {M_PAIR, THKS, EV_TICK_DEADLINE, IDLE, "", true},
    {M_PAIR, THKS, EV_READER_OFF, THKS, "", true},
    {M_PAIR, THKS, EV_SAVED_OK, THKS, "", true},

    {M_ALL, UNKN, EV_TAP_OTHER, WELC, "S", true},
    {M_ALL, UNKN, EV_TAP_SAME, WELC, "S", true},
    {M_ALL, UNKN, EV_TAP_UNKNOWN, UNKN, "", true},
    {M_ALL, UNKN, EV_TAP_RANDOM, REFU, "", true},
    {M_ALL, UNKN, EV_PRESS, UNKN, "", false},
    {M_ALL, UNKN, EV_PRESS_NT, UNKN, "", false},
    {M_ALL, UNKN, EV_PRESS_BAD, UNKN, "", false},
    {M_ALL, UNKN, EV_TICK_EARLY, UNKN, "", false},
    {M_ALL, UNKN, EV_TICK_DEADLINE, IDLE, "", true},
    {M_ALL, UNKN, EV_READER_OFF, UNKN, "", true},
    {M_ALL, UNKN, EV_SAVED_OK, UNKN, "", false},

    {M_ALL, REFU, EV_TAP_OTHER, WELC, "S", true},
    {M_ALL, REFU, EV_TAP_SAME, WELC, "S", true},
    {M_ALL, REFU, EV_TAP_UNKNOWN, UNKN, "", true},
    {M_ALL, REFU, EV_TAP_RANDOM, REFU, "", true},
    {M_ALL, REFU, EV_PRESS, REFU, "", false},
    {M_ALL, REFU, EV_PRESS_NT, REFU, "", false},
    {M_ALL, REFU, EV_PRESS_BAD, REFU, "", false},
    {M_ALL, REFU, EV_TICK_EARLY, REFU, "", false},
    {M_ALL, REFU, EV_TICK_DEADLINE, IDLE, "", true},
    {M_ALL, REFU, EV_READER_OFF, REFU, "", true},
    {M_ALL, REFU, EV_SAVED_OK, REFU, "", false},

    {M_ALL, CONS, EV_TAP_OTHER, WELC, "S", true},
    {M_ALL, CONS, EV_TAP_SAME, WELC, "S", true},
    {M_ALL, CONS, EV_TAP_UNKNOWN, UNKN, "", true},
    {M_ALL, CONS, EV_TAP_RANDOM, REFU, "", true},
    {M_ALL, CONS, EV_PRESS, CONS, "", false},
    {M_ALL, CONS, EV_PRESS_NT, CONS, "", false},
    {M_ALL, CONS, EV_PRESS_BAD, CONS, "", false},
    {M_ALL, CONS, EV_TICK_EARLY, CONS, "", false},
    {M_ALL, CONS, EV_TICK_DEADLINE, IDLE, "", true},
    {M_ALL, CONS, EV_READER_OFF, CONS, "", true},
    {M_ALL, CONS, EV_SAVED_OK, CONS, "", false},

    {M_PAIR, PRIV, EV_TAP_OTHER, WELC, "S", true},
    {M_PAIR, PRIV, EV_TAP_SAME, WELC, "S", true},
    {M_PAIR, PRIV, EV_TAP_UNKNOWN, UNKN, "", true},
    {M_PAIR, PRIV, EV_TAP_RANDOM, REFU, "", true},
    {M_PAIR, PRIV, EV_PRESS, PRIV, "", false},
    {M_PAIR, PRIV, EV_PRESS_NT, PRIV, "", false},
    {M_PAIR, PRIV, EV_PRESS_BAD, PRIV, "", false},
    {M_PAIR, PRIV, EV_TICK_EARLY, PRIV, "", false},
    {M_PAIR, PRIV, EV_TICK_DEADLINE, IDLE, "", true},
    {M_PAIR, PRIV, EV_READER_OFF, PRIV, "", true},
    {M_PAIR, PRIV, EV_SAVED_OK, PRIV, "", false},

    /* A person who never said: without ask, like anyone else; with ask,
     * the consent screen from everywhere (a waiting pair ends). */
    {N_ALL, IDLE, EV_TAP_UNDECIDED, WELC, "S", true},
    {N_C, WELC, EV_TAP_UNDECIDED, WELC, "S", true},
    {N_M, WELC, EV_TAP_UNDECIDED, PROM, "E", true},
    {N_B, WELC, EV_TAP_UNDECIDED, PROM, "", true},
    {N_PAIR, PROM, EV_TAP_UNDECIDED, WELC, "S", true},
    {N_PAIR, THKS, EV_TAP_UNDECIDED, WELC, "S", true},
    {N_ALL, UNKN, EV_TAP_UNDECIDED, WELC, "S", true},
    {N_ALL, REFU, EV_TAP_UNDECIDED, WELC, "S", true},
    {N_ALL, CONS, EV_TAP_UNDECIDED, WELC, "S", true},
    {N_PAIR, PRIV, EV_TAP_UNDECIDED, WELC, "S", true},
    {K_ALL, IDLE, EV_TAP_UNDECIDED, CONS, "", true},
    {K_ALL, WELC, EV_TAP_UNDECIDED, CONS, "", true},
    {K_PAIR, PROM, EV_TAP_UNDECIDED, CONS, "", true},
    {K_PAIR, THKS, EV_TAP_UNDECIDED, CONS, "", true},
    {K_ALL, UNKN, EV_TAP_UNDECIDED, CONS, "", true},
    {K_ALL, REFU, EV_TAP_UNDECIDED, CONS, "", true},
    {K_ALL, CONS, EV_TAP_UNDECIDED, CONS, "", true},
    {K_PAIR, PRIV, EV_TAP_UNDECIDED, CONS, "", true},

    /* Attendance only: never paired, and the screen says so. */
    {M_ALL, IDLE, EV_TAP_PRIVATE, WELC, "S", true},
    {M_C, WELC, EV_TAP_PRIVATE, WELC, "S", true},
    {M_PAIR, WELC, EV_TAP_PRIVATE, PRIV, "S", true},
    {M_PAIR, PROM, EV_TAP_PRIVATE, WELC, "S", true},
    {M_PAIR, THKS, EV_TAP_PRIVATE, WELC, "S", true},
    {M_ALL, UNKN, EV_TAP_PRIVATE, WELC, "S", true},
    {M_ALL, REFU, EV_TAP_PRIVATE, WELC, "S", true},
    {M_ALL, CONS, EV_TAP_PRIVATE, WELC, "S", true},
    {M_PAIR, PRIV, EV_TAP_PRIVATE, WELC, "S", true},

    /* The consent buttons: open from welcome only, the rest on its screen. */
    {M_ALL, IDLE, EV_CONSENT_OPEN, IDLE, "", false},
    {M_ALL, WELC, EV_CONSENT_OPEN, CONS, "", true},
    {M_PAIR, PROM, EV_CONSENT_OPEN, PROM, "", false},
    {M_PAIR, THKS, EV_CONSENT_OPEN, THKS, "", false},
    {M_ALL, UNKN, EV_CONSENT_OPEN, UNKN, "", false},
    {M_ALL, REFU, EV_CONSENT_OPEN, REFU, "", false},
    {M_ALL, CONS, EV_CONSENT_OPEN, CONS, "", false},
    {M_PAIR, PRIV, EV_CONSENT_OPEN, PRIV, "", false},
    {M_ALL, IDLE, EV_CONSENT_PICK, IDLE, "", false},
    {M_ALL, WELC, EV_CONSENT_PICK, WELC, "", false},
    {M_PAIR, PROM, EV_CONSENT_PICK, PROM, "", false},
    {M_PAIR, THKS, EV_CONSENT_PICK, THKS, "", false},
    {M_ALL, UNKN, EV_CONSENT_PICK, UNKN, "", false},
    {M_ALL, REFU, EV_CONSENT_PICK, REFU, "", false},
    {M_ALL, CONS, EV_CONSENT_PICK, CONS, "", true},
    {M_PAIR, PRIV, EV_CONSENT_PICK, PRIV, "", false},
    {M_ALL, IDLE, EV_CONSENT_DONE, IDLE, "", false},
    {M_ALL, WELC, EV_CONSENT_DONE, WELC, "", false},
    {M_PAIR, PROM, EV_CONSENT_DONE, PROM, "", false},
    {M_PAIR, THKS, EV_CONSENT_DONE, THKS, "", false},
    {M_ALL, UNKN, EV_CONSENT_DONE, UNKN, "", false},
    {M_ALL, REFU, EV_CONSENT_DONE, REFU, "", false},
    {M_ALL, CONS, EV_CONSENT_DONE, WELC, "CS", true},
    {M_PAIR, PRIV, EV_CONSENT_DONE, PRIV, "", false},
};

/* Brings a fresh flow to screen; false when the mode cannot reach it. */
static bool reach(struct ctx *c, enum cv_screen screen)
{
	switch (screen) {
	case CV_SCREEN_IDLE: return true;
	case CV_SCREEN_WELCOME: tap(c, T0, &BADGE_A); break;
	case CV_SCREEN_PROMPT:
	case CV_SCREEN_THANKS:
		if (c->p.mode == CV_MODE_CHECKIN)
			return false;
		tap(c, T0, &BADGE_A);
		tap(c, T0 + 1000, &BADGE_B);
		assert_int_equal(c->st.screen, CV_SCREEN_PROMPT);
		if (screen == CV_SCREEN_THANKS)
			press(c, T0 + 2000, 0);
		break;
	case CV_SCREEN_UNKNOWN: tap(c, T0, &BADGE_U); break;
	case CV_SCREEN_REFUSED: tap(c, T0, &BADGE_R); break;
	case CV_SCREEN_CONSENT:
		/* Ada, who agreed to encounters, opens it from welcome */
		tap(c, T0, &BADGE_A);
		consent(c, T0 + 500, CV_FLOW_CONSENT_OPEN);
		assert_int_equal(c->st.consent_choice, CV_CONSENT_ENCOUNTERS);
		break;
	case CV_SCREEN_PRIVATE:
		if (c->p.mode == CV_MODE_CHECKIN)
			return false;
		tap(c, T0, &BADGE_A);
		tap(c, T0 + 1000, &BADGE_P);
		break;
	default: fail();
	}
	assert_int_equal(c->st.screen, screen);
	return true;
}

static bool apply_class(struct ctx *c, enum ev_class ev)
{
	/* Late enough for A's debounce to be over, early enough for every deadline. */
	int64_t now = c->st.entered_ms + DEBOUNCE_MS + 100;
	uint32_t id;

	switch (ev) {
	case EV_TAP_OTHER: return tap(c, now, &BADGE_C);
	case EV_TAP_SAME: return tap(c, now, &BADGE_A);
	case EV_TAP_UNKNOWN: return tap(c, now, &BADGE_U);
	case EV_TAP_RANDOM:
		return tap(c, now, c->st.screen == CV_SCREEN_REFUSED ? &BADGE_R2 : &BADGE_R);
	case EV_PRESS: return press(c, now, 0);
	case EV_PRESS_NT: return press(c, now, NOT_TOGETHER);
	case EV_PRESS_BAD: return press(c, now, OPTIONS);
	case EV_TICK_EARLY: return tick(c, now);
	case EV_TICK_DEADLINE:
		return tick(c, c->st.deadline_ms != 0 ? c->st.deadline_ms : now + 1000000000);
	case EV_READER_OFF: return reader(c, now, false);
	case EV_SAVED_OK:
		id = c->st.pending_write_id != 0 ? c->st.pending_write_id : 1;
		return saved(c, now, id, true);
	case EV_TAP_UNDECIDED: return tap(c, now, &BADGE_E);
	case EV_TAP_PRIVATE: return tap(c, now, &BADGE_P);
	case EV_CONSENT_OPEN: return consent(c, now, CV_FLOW_CONSENT_OPEN);
	case EV_CONSENT_PICK: return consent(c, now, CV_FLOW_CONSENT_ATTENDANCE);
	case EV_CONSENT_DONE: return consent(c, now, CV_FLOW_CONSENT_DONE);
	default: fail();
	}
	return false;
}

static void test_table_every_transition(void **unused)
{
	(void)unused;
	for (int col = 0; col < 6; col++) {
		int mode = col % 3;
		bool ask = col >= 3;

		for (int from = 0; from < CV_SCREEN_COUNT; from++) {
			for (int ev = 0; ev < EV_CLASS_COUNT; ev++) {
				const struct row *r = NULL;
				struct ctx c;
				struct cv_flow_state before;
				bool changed;

				for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
					if ((table[i].modes & (1u << col)) &&
					    (int)table[i].from == from && (int)table[i].ev == ev) {
						if (r != NULL)
							fail_msg("two rows for column %d %s x %s",
							         col, cv_flow_screen_name(from),
							         ev_names[ev]);
						r = &table[i];
					}
				}
				ctx_init(&c, (enum cv_mode)mode);
				c.p.consent_ask = ask;
				if (!reach(&c, (enum cv_screen)from)) {
					if (r != NULL)
						fail_msg("row for unreachable %s in column %d",
						         cv_flow_screen_name(from), col);
					continue;
				}
				if (r == NULL)
					fail_msg("no row for column %d %s x %s", col,
					         cv_flow_screen_name(from), ev_names[ev]);
				before = c.st;
				changed = apply_class(&c, (enum ev_class)ev);
				if (c.st.screen != r->to || strcmp(fx_str(&c.out), r->fx) != 0 ||
				    changed != r->changed)
					fail_msg("column %d %s x %s: got %s [%s] changed=%d, want "
					         "%s [%s] "
					         "changed=%d",
					         col, cv_flow_screen_name(from), ev_names[ev],
					         cv_flow_screen_name(c.st.screen), fx_str(&c.out),
					         changed, cv_flow_screen_name(r->to), r->fx,
					         r->changed);
				if (!r->changed && ev != EV_TICK_EARLY && ev != EV_TICK_DEADLINE) {
					/* Ignored events leave the state as it was, byte for byte.
					 */
					assert_memory_equal(&before, &c.st, sizeof before);
				}
				if (ev == EV_TAP_OTHER && r->to == WELC)
					assert_int_equal(c.st.first.person.id, BADGE_C.person);
				if (ev == EV_TAP_SAME && r->to == WELC)
					assert_int_equal(c.st.first.person.id, BADGE_A.person);
			}
		}
	}
}

/* ---- the flows, with their effects in detail ---------------------------- */

static void test_init_and_names(void **unused)
{
	struct cv_flow_state st;
	struct cv_flow_params p = params_for(CV_MODE_MEET);

	(void)unused;
	memset(&st, 0x5a, sizeof st);
	cv_flow_init(&st);
	assert_int_equal(st.screen, CV_SCREEN_IDLE);
	assert_int_equal(st.deadline_ms, 0);
	assert_int_equal(st.answer, -1);
	assert_true(st.reader_online);
	assert_false(st.store_failed);
	assert_int_equal(st.pending_write_id, 0);
	assert_null(cv_flow_check(&st, &p));
	assert_null(cv_flow_check(&st, NULL));

	assert_string_equal(cv_flow_screen_name(CV_SCREEN_IDLE), "idle");
	assert_string_equal(cv_flow_screen_name(CV_SCREEN_WELCOME), "welcome");
	assert_string_equal(cv_flow_screen_name(CV_SCREEN_PROMPT), "prompt");
	assert_string_equal(cv_flow_screen_name(CV_SCREEN_THANKS), "thanks");
	assert_string_equal(cv_flow_screen_name(CV_SCREEN_UNKNOWN), "unknown");
	assert_string_equal(cv_flow_screen_name(CV_SCREEN_REFUSED), "refused");
	assert_string_equal(cv_flow_screen_name(CV_SCREEN_COUNT), "invalid");
}

static void test_checkin_never_pairs(void **unused)
{
	struct ctx c;

	(void)unused;
	ctx_init(&c, CV_MODE_CHECKIN);
	assert_true(tap(&c, T0, &BADGE_A));
	assert_int_equal(c.st.screen, CV_SCREEN_WELCOME);
	assert_string_equal(fx_str(&c.out), "S");
	assert_int_equal(c.st.deadline_ms, T0 + MESSAGE_MS);
	assert_true(c.st.first.checked_in_now);
	assert_string_equal(c.st.first.person.name, "Ada Lovelace");

	assert_true(tap(&c, T0 + 500, &BADGE_B));
	assert_int_equal(c.st.screen, CV_SCREEN_WELCOME);
	assert_int_equal(c.st.first.person.id, BADGE_B.person);
	assert_int_equal(c.st.second.person.id, 0);
	assert_string_equal(fx_str(&c.out), "S");
	assert_int_equal(c.st.next_write_id, 0);

	assert_false(tick(&c, T0 + 500 + MESSAGE_MS - 1));
	assert_true(tick(&c, T0 + 500 + MESSAGE_MS));
	assert_int_equal(c.st.screen, CV_SCREEN_IDLE);
	assert_int_equal(c.st.first.person.id, 0);
}

static void test_meet_full_flow(void **unused)
{
	struct ctx c;
	int64_t a_seq, b_seq;
	const struct cv_flow_effect *fx;

	(void)unused;
	ctx_init(&c, CV_MODE_MEET);
	tap(&c, T0, &BADGE_A);
	a_seq = c.seq;
	assert_int_equal(c.st.deadline_ms, T0 + WINDOW_MS);
	assert_true(tap(&c, T0 + 1200, &BADGE_B));
	b_seq = c.seq;
	assert_int_equal(c.st.screen, CV_SCREEN_PROMPT);
	assert_int_equal(c.st.entered_ms, T0 + 1200);
	assert_int_equal(c.st.deadline_ms, T0 + 1200 + PROMPT_MS);
	assert_int_equal(c.st.first.person.id, 1);
	assert_int_equal(c.st.second.person.id, 2);
	assert_true(c.st.encounter_recorded);
	assert_string_equal(fx_str(&c.out), "E");
	fx = &c.out.fx[0];
	assert_int_equal(fx->write_id, 1);
	assert_int_equal(fx->person_a, 1);
	assert_int_equal(fx->person_b, 2);
	assert_int_equal(fx->a_tap_seq, a_seq);
	assert_int_equal(fx->b_tap_seq, b_seq);
	assert_int_equal(fx->answer, -1);
	assert_int_equal(c.st.pending_write_id, 1);

	assert_true(saved(&c, T0 + 1300, 1, true));
	assert_int_equal(c.st.pending_write_id, 0);
	assert_false(c.st.store_failed);

	assert_true(press(&c, T0 + 4000, 2));
	assert_int_equal(c.st.screen, CV_SCREEN_THANKS);
	assert_int_equal(c.st.answer, 2);
	assert_int_equal(c.st.deadline_ms, T0 + 4000 + MESSAGE_MS);
	assert_string_equal(fx_str(&c.out), "AS");
	fx = &c.out.fx[0];
	assert_int_equal(fx->write_id, 2);
	assert_int_equal(fx->b_tap_seq, b_seq);
	assert_int_equal(fx->a_tap_seq, a_seq);
	assert_int_equal(fx->person_a, 1);
	assert_int_equal(fx->person_b, 2);
	assert_int_equal(fx->answer, 2);
	assert_int_equal(c.st.pending_write_id, 2);

	assert_false(tick(&c, T0 + 4000 + MESSAGE_MS - 1));
	assert_true(tick(&c, T0 + 4000 + MESSAGE_MS));
	assert_int_equal(c.st.screen, CV_SCREEN_IDLE);
	assert_int_equal(c.st.answer, -1);
	assert_false(c.st.encounter_recorded);
	/* The write is still outstanding after the screen left. */
	assert_int_equal(c.st.pending_write_id, 2);
}

static void test_meet_not_together_is_an_answer(void **unused)
{
	struct ctx c;

	(void)unused;
	ctx_init(&c, CV_MODE_MEET);
	tap(&c, T0, &BADGE_A);
	tap(&c, T0 + 100, &BADGE_B);
	assert_true(press(&c, T0 + 200, NOT_TOGETHER));
	assert_string_equal(fx_str(&c.out), "AS");
	assert_int_equal(c.out.fx[0].answer, NOT_TOGETHER);
	assert_int_equal(c.st.answer, NOT_TOGETHER);
	assert_true(c.st.encounter_recorded);
}

static void test_both_full_flow(void **unused)
{
	struct ctx c;
	int64_t a_seq, b_seq;
	const struct cv_flow_effect *fx;

	(void)unused;
	ctx_init(&c, CV_MODE_BOTH);
	tap(&c, T0, &BADGE_A);
	a_seq = c.seq;
	assert_int_equal(c.st.deadline_ms, T0 + WINDOW_MS);
	assert_true(tap(&c, T0 + 100, &BADGE_B));
	b_seq = c.seq;
	assert_int_equal(c.st.screen, CV_SCREEN_PROMPT);
	assert_int_equal(c.out.count, 0);
	assert_false(c.st.encounter_recorded);
	assert_int_equal(c.st.next_write_id, 0);

	assert_true(press(&c, T0 + 3000, 1));
	assert_string_equal(fx_str(&c.out), "ES");
	fx = &c.out.fx[0];
	assert_int_equal(fx->write_id, 1);
	assert_int_equal(fx->person_a, 1);
	assert_int_equal(fx->person_b, 2);
	assert_int_equal(fx->a_tap_seq, a_seq);
	assert_int_equal(fx->b_tap_seq, b_seq);
	assert_int_equal(fx->answer, 1);
	assert_int_equal(c.st.screen, CV_SCREEN_THANKS);
	assert_int_equal(c.st.answer, 1);
	assert_true(c.st.encounter_recorded);
	assert_int_equal(c.st.pending_write_id, 1);
}

static void test_both_not_together_records_nothing(void **unused)
{
	struct ctx c;

	(void)unused;
	ctx_init(&c, CV_MODE_BOTH);
	tap(&c, T0, &BADGE_A);
	tap(&c, T0 + 100, &BADGE_B);
	assert_true(press(&c, T0 + 200, NOT_TOGETHER));
	assert_string_equal(fx_str(&c.out), "S");
	assert_int_equal(c.st.screen, CV_SCREEN_THANKS);
	assert_int_equal(c.st.answer, NOT_TOGETHER);
	assert_false(c.st.encounter_recorded);
	assert_int_equal(c.st.pending_write_id, 0);
	assert_int_equal(c.st.next_write_id, 0);
	assert_true(tick(&c, T0 + 200 + MESSAGE_MS));
	assert_int_equal(c.st.screen, CV_SCREEN_IDLE);
}

static void test_pair_window_edges(void **unused)
{
	(void)unused;
	for (int mode = CV_MODE_MEET; mode <= CV_MODE_BOTH; mode++) {
		struct ctx c;

		/* Just inside the window, measured from A's tap. */
		ctx_init(&c, (enum cv_mode)mode);
		tap(&c, T0, &BADGE_A);
		assert_true(tap(&c, T0 + WINDOW_MS - 1, &BADGE_B));
		assert_int_equal(c.st.screen, CV_SCREEN_PROMPT);

		/* At the window's end it has closed: B is welcomed on their own. */
		ctx_init(&c, (enum cv_mode)mode);
		tap(&c, T0, &BADGE_A);
		assert_true(tap(&c, T0 + WINDOW_MS, &BADGE_B));
		assert_int_equal(c.st.screen, CV_SCREEN_WELCOME);
		assert_int_equal(c.st.first.person.id, BADGE_B.person);
		assert_string_equal(fx_str(&c.out), "S");
		assert_int_equal(c.st.next_write_id, 0);

		/* Well after, with a tick in between: the same. */
		ctx_init(&c, (enum cv_mode)mode);
		tap(&c, T0, &BADGE_A);
		assert_true(tick(&c, T0 + WINDOW_MS + 10));
		assert_int_equal(c.st.screen, CV_SCREEN_IDLE);
		tap(&c, T0 + WINDOW_MS + 20, &BADGE_B);
		assert_int_equal(c.st.screen, CV_SCREEN_WELCOME);
	}
}

static void test_rewelcome_restarts_window(void **unused)
{
	struct ctx c;

	(void)unused;
	ctx_init(&c, CV_MODE_MEET);
	tap(&c, T0, &BADGE_A);
	assert_true(tap(&c, T0 + 2000, &BADGE_A));
	assert_int_equal(c.st.screen, CV_SCREEN_WELCOME);
	assert_string_equal(fx_str(&c.out), "S");
	assert_int_equal(c.st.entered_ms, T0 + 2000);
	assert_int_equal(c.st.deadline_ms, T0 + 2000 + WINDOW_MS);
	/* Past the first window, inside the restarted one. */
	assert_true(tap(&c, T0 + WINDOW_MS + 1000, &BADGE_B));
	assert_int_equal(c.st.screen, CV_SCREEN_PROMPT);
	assert_int_equal(c.out.fx[0].a_tap_seq, c.st.first.tap_seq);

	/* The same person's other badge is the same person: never a pair. */
	ctx_init(&c, CV_MODE_BOTH);
	tap(&c, T0, &BADGE_A);
	assert_true(tap(&c, T0 + 100, &BADGE_A2));
	assert_int_equal(c.st.screen, CV_SCREEN_WELCOME);
	assert_string_equal(c.st.first.uid, BADGE_A2.uid);
	assert_int_equal(c.st.deadline_ms, T0 + 100 + WINDOW_MS);
}

static void test_debounce(void **unused)
{
	struct ctx c;
	struct cv_flow_state before;

	(void)unused;
	ctx_init(&c, CV_MODE_MEET);
	tap(&c, T0, &BADGE_A);
	before = c.st;
	/* A held badge seen again at once, and the same badge inside the window:
	 * nothing at all. */
	assert_false(tap(&c, T0, &BADGE_A));
	assert_int_equal(c.out.count, 0);
	assert_false(tap(&c, T0 + DEBOUNCE_MS - 1, &BADGE_A));
	assert_int_equal(c.out.count, 0);
	assert_memory_equal(&before, &c.st, sizeof before);
	/* The same person's other badge is another badge: taken. */
	assert_true(tap(&c, T0 + DEBOUNCE_MS - 1, &BADGE_A2));
	assert_int_equal(c.st.screen, CV_SCREEN_WELCOME);
	assert_string_equal(c.st.first.uid, BADGE_A2.uid);

	/* Ignored taps do not extend the debounce: it runs from the taken tap. */
	ctx_init(&c, CV_MODE_MEET);
	tap(&c, T0, &BADGE_A);
	before = c.st;
	assert_false(tap(&c, T0 + 1000, &BADGE_A));
	assert_int_equal(c.out.count, 0);
	assert_memory_equal(&before, &c.st, sizeof before);
	assert_true(tap(&c, T0 + DEBOUNCE_MS, &BADGE_A));
	assert_int_equal(c.st.entered_ms, T0 + DEBOUNCE_MS);
	assert_string_equal(fx_str(&c.out), "S");

	/* In the prompt, either badge brought back at once changes nothing. */
	ctx_init(&c, CV_MODE_MEET);
	tap(&c, T0, &BADGE_A);
	tap(&c, T0 + 200, &BADGE_B);
	before = c.st;
	assert_false(tap(&c, T0 + 300, &BADGE_B));
	assert_false(tap(&c, T0 + 400, &BADGE_A));
	assert_memory_equal(&before, &c.st, sizeof before);
	assert_int_equal(c.st.next_write_id, 1);
	/* After the window B starts a new flow; the encounter stays unanswered. */
	assert_true(tap(&c, T0 + 200 + DEBOUNCE_MS, &BADGE_B));
	assert_int_equal(c.st.screen, CV_SCREEN_WELCOME);
	assert_int_equal(c.st.first.person.id, BADGE_B.person);
	assert_int_equal(c.st.pending_write_id, 1);

	/* A debounced tap still lets a passed deadline apply. */
	ctx_init(&c, CV_MODE_CHECKIN);
	c.p.debounce_ms = MESSAGE_MS + 1000;
	tap(&c, T0, &BADGE_A);
	assert_true(tap(&c, T0 + MESSAGE_MS + 10, &BADGE_A));
	assert_int_equal(c.st.screen, CV_SCREEN_IDLE);
	assert_int_equal(c.out.count, 0);

	/* Seven other badges since: A is still remembered. */
	ctx_init(&c, CV_MODE_CHECKIN);
	tap(&c, T0, &BADGE_A);
	for (int i = 0; i < CV_FLOW_RECENT - 1; i++) {
		struct badge other = {NULL, 0, "", false, CV_CONSENT_UNSET};
		char uid[CV_UID_HEX_MAX];

		snprintf(uid, sizeof uid, "04000000%06d", i);
		other.uid = uid;
		assert_true(tap(&c, T0 + 10 + i, &other));
		assert_int_equal(c.st.screen, CV_SCREEN_UNKNOWN);
	}
	assert_false(tap(&c, T0 + 100, &BADGE_A));
	assert_int_equal(c.st.screen, CV_SCREEN_UNKNOWN);

	/* debounce_ms 0: every tap counts, even at the same time. */
	ctx_init(&c, CV_MODE_CHECKIN);
	c.p.debounce_ms = 0;
	tap(&c, T0, &BADGE_A);
	assert_true(tap(&c, T0, &BADGE_A));
	assert_string_equal(fx_str(&c.out), "S");
}

static void test_prompt_timeout(void **unused)
{
	struct ctx c;

	(void)unused;
	ctx_init(&c, CV_MODE_MEET);
	tap(&c, T0, &BADGE_A);
	tap(&c, T0 + 100, &BADGE_B);
	assert_false(tick(&c, T0 + 100 + PROMPT_MS - 1));
	assert_int_equal(c.st.screen, CV_SCREEN_PROMPT);
	assert_true(tick(&c, T0 + 100 + PROMPT_MS));
	assert_int_equal(c.st.screen, CV_SCREEN_IDLE);
	assert_int_equal(c.out.count, 0); /* the encounter stays, unanswered */
	assert_int_equal(c.st.next_write_id, 1);
	/* A press that comes too late is ignored. */
	assert_false(press(&c, T0 + 100 + PROMPT_MS + 1, 0));
	assert_int_equal(c.out.count, 0);

	ctx_init(&c, CV_MODE_BOTH);
	tap(&c, T0, &BADGE_A);
	tap(&c, T0 + 100, &BADGE_B);
	/* The timeout is applied before the press it arrives with. */
	assert_true(press(&c, T0 + 100 + PROMPT_MS, 0));
	assert_int_equal(c.st.screen, CV_SCREEN_IDLE);
	assert_int_equal(c.out.count, 0);
	assert_int_equal(c.st.next_write_id, 0);
}

static void test_new_badge_during_prompt_and_thanks(void **unused)
{
	struct ctx c;

	(void)unused;
	ctx_init(&c, CV_MODE_MEET);
	tap(&c, T0, &BADGE_A);
	tap(&c, T0 + 100, &BADGE_B);
	assert_true(tap(&c, T0 + 200, &BADGE_C));
	assert_int_equal(c.st.screen, CV_SCREEN_WELCOME);
	assert_int_equal(c.st.first.person.id, BADGE_C.person);
	assert_int_equal(c.st.second.person.id, 0);
	assert_string_equal(fx_str(&c.out), "S");
	assert_false(c.st.encounter_recorded);
	assert_int_equal(c.st.pending_write_id, 1); /* A-B stays */
	/* C's window is a new one: D pairs with C. */
	assert_true(tap(&c, T0 + 300, &BADGE_D));
	assert_int_equal(c.st.screen, CV_SCREEN_PROMPT);
	assert_string_equal(fx_str(&c.out), "E");
	assert_int_equal(c.out.fx[0].person_a, BADGE_C.person);
	assert_int_equal(c.out.fx[0].person_b, BADGE_D.person);
	assert_int_equal(c.out.fx[0].write_id, 2);

	ctx_init(&c, CV_MODE_BOTH);
	tap(&c, T0, &BADGE_A);
	tap(&c, T0 + 100, &BADGE_B);
	press(&c, T0 + 200, 0);
	assert_true(tap(&c, T0 + 300, &BADGE_C));
	assert_int_equal(c.st.screen, CV_SCREEN_WELCOME);
	assert_int_equal(c.st.answer, -1);
	assert_false(c.st.encounter_recorded);
	assert_true(tap(&c, T0 + 400, &BADGE_D));
	assert_int_equal(c.st.screen, CV_SCREEN_PROMPT);
	assert_int_equal(c.st.first.person.id, BADGE_C.person);
}

static void test_unknown_and_refused(void **unused)
{
	(void)unused;
	for (int mode = CV_MODE_CHECKIN; mode <= CV_MODE_BOTH; mode++) {
		struct ctx c;
		struct cv_flow_event ev;

		/* Unknown during welcome ends A's window. */
		ctx_init(&c, (enum cv_mode)mode);
		tap(&c, T0, &BADGE_A);
		assert_true(tap(&c, T0 + 100, &BADGE_U));
		assert_int_equal(c.st.screen, CV_SCREEN_UNKNOWN);
		assert_int_equal(c.st.deadline_ms, T0 + 100 + MESSAGE_MS);
		assert_int_equal(c.out.count, 0);
		assert_string_equal(c.st.first.uid, BADGE_U.uid);
		assert_true(tap(&c, T0 + 200, &BADGE_B));
		assert_int_equal(c.st.screen, CV_SCREEN_WELCOME);
		assert_int_equal(c.st.first.person.id, BADGE_B.person);
		assert_int_equal(c.st.next_write_id, 0);

		/* A random UID during welcome: refused, and the window is over. */
		ctx_init(&c, (enum cv_mode)mode);
		tap(&c, T0, &BADGE_A);
		assert_true(tap(&c, T0 + 100, &BADGE_R));
		assert_int_equal(c.st.screen, CV_SCREEN_REFUSED);
		assert_int_equal(c.st.deadline_ms, T0 + 100 + MESSAGE_MS);
		assert_int_equal(c.out.count, 0);
		tap(&c, T0 + 200, &BADGE_B);
		assert_int_equal(c.st.screen, CV_SCREEN_WELCOME);
		assert_true(
		    tick(&c, T0 + 200 + (mode == CV_MODE_CHECKIN ? MESSAGE_MS : WINDOW_MS)));
		assert_int_equal(c.st.screen, CV_SCREEN_IDLE);

		/* A random UID never shows a person, whatever came with it. */
		ctx_init(&c, (enum cv_mode)mode);
		ev = tap_event(&c, T0, &BADGE_R);
		ev.u.tap.person.id = 7;
		snprintf(ev.u.tap.person.name, sizeof ev.u.tap.person.name, "Somebody");
		assert_true(run(&c, &ev));
		assert_int_equal(c.st.screen, CV_SCREEN_REFUSED);
		assert_int_equal(c.st.first.person.id, 0);
		assert_string_equal(c.st.first.person.name, "");

		/* An unknown then a known badge: welcome, never a pair. */
		ctx_init(&c, (enum cv_mode)mode);
		tap(&c, T0, &BADGE_U);
		tap(&c, T0 + 100, &BADGE_A);
		assert_int_equal(c.st.screen, CV_SCREEN_WELCOME);
		assert_string_equal(fx_str(&c.out), "S");

		if (mode == CV_MODE_CHECKIN)
			continue;
		/* During the prompt: unknown or refused ends it; meet keeps A-B. */
		ctx_init(&c, (enum cv_mode)mode);
		tap(&c, T0, &BADGE_A);
		tap(&c, T0 + 100, &BADGE_B);
		assert_true(tap(&c, T0 + 200, &BADGE_U));
		assert_int_equal(c.st.screen, CV_SCREEN_UNKNOWN);
		assert_int_equal(c.st.second.person.id, 0);
		assert_false(c.st.encounter_recorded);
		assert_int_equal(c.st.next_write_id, mode == CV_MODE_MEET ? 1 : 0);
		assert_false(press(&c, T0 + 300, 0));

		ctx_init(&c, (enum cv_mode)mode);
		tap(&c, T0, &BADGE_A);
		tap(&c, T0 + 100, &BADGE_B);
		assert_true(tap(&c, T0 + 200, &BADGE_R));
		assert_int_equal(c.st.screen, CV_SCREEN_REFUSED);
		assert_false(press(&c, T0 + 300, 0));
		assert_int_equal(c.out.count, 0);
	}
}

static void test_saved_replies(void **unused)
{
	struct ctx c;

	(void)unused;
	ctx_init(&c, CV_MODE_MEET);
	/* Nothing asked yet: any reply is ignored, a failure too. */
	assert_false(saved(&c, T0, 1, false));
	assert_false(c.st.store_failed);
	assert_false(saved(&c, T0, 0, false));

	tap(&c, T0, &BADGE_A);
	tap(&c, T0 + 100, &BADGE_B); /* write 1 */
	assert_false(saved(&c, T0 + 150, 0, false));
	assert_false(saved(&c, T0 + 150, 2, false)); /* never asked */
	assert_false(c.st.store_failed);
	assert_int_equal(c.st.pending_write_id, 1);

	/* The matching reply fails: the warning shows, nothing is pending. */
	assert_true(saved(&c, T0 + 200, 1, false));
	assert_true(c.st.store_failed);
	assert_int_equal(c.st.pending_write_id, 0);
	/* The same reply again changes nothing. */
	assert_false(saved(&c, T0 + 210, 1, false));

	press(&c, T0 + 300, 0); /* write 2 */
	assert_int_equal(c.st.pending_write_id, 2);
	assert_true(c.st.store_failed);
	/* A matching success clears the warning. */
	assert_true(saved(&c, T0 + 400, 2, true));
	assert_false(c.st.store_failed);
	assert_int_equal(c.st.pending_write_id, 0);

	/* A stale success is ignored; a stale failure still warns. */
	ctx_init(&c, CV_MODE_MEET);
	tap(&c, T0, &BADGE_A);
	tap(&c, T0 + 100, &BADGE_B); /* write 1 */
	press(&c, T0 + 200, 1);      /* write 2 */
	assert_int_equal(c.st.pending_write_id, 2);
	assert_false(saved(&c, T0 + 300, 1, true));
	assert_int_equal(c.st.pending_write_id, 2);
	assert_false(c.st.store_failed);
	assert_true(saved(&c, T0 + 310, 1, false));
	assert_true(c.st.store_failed);
	assert_int_equal(c.st.pending_write_id, 2);
	assert_true(saved(&c, T0 + 320, 2, true));
	assert_false(c.st.store_failed);
	assert_int_equal(c.st.pending_write_id, 0);

	/* Replies do not move the screen. */
	assert_int_equal(c.st.screen, CV_SCREEN_THANKS);
}

static void test_write_ids_skip_zero(void **unused)
{
	struct ctx c;

	(void)unused;
	ctx_init(&c, CV_MODE_MEET);
	c.st.next_write_id = UINT32_MAX;
	tap(&c, T0, &BADGE_A);
	tap(&c, T0 + 100, &BADGE_B);
	assert_string_equal(fx_str(&c.out), "E");
	assert_int_equal(c.out.fx[0].write_id, 1);
	assert_int_equal(c.st.pending_write_id, 1);
	assert_true(saved(&c, T0 + 200, 1, true));
	assert_int_equal(c.st.pending_write_id, 0);
}

static void test_reader_online(void **unused)
{
	struct ctx c;

	(void)unused;
	ctx_init(&c, CV_MODE_BOTH);
	assert_false(reader(&c, T0, true));
	assert_true(reader(&c, T0, false));
	assert_false(c.st.reader_online);
	assert_false(reader(&c, T0 + 10, false));
	/* Taps still work: the reader may come back between two events. */
	tap(&c, T0 + 20, &BADGE_A);
	assert_false(c.st.reader_online);
	assert_true(reader(&c, T0 + 30, true));
	assert_true(c.st.reader_online);
	assert_int_equal(c.st.screen, CV_SCREEN_WELCOME);
	assert_int_equal(c.out.count, 0);
}

static void test_press_outside_prompt_or_range(void **unused)
{
	struct ctx c;

	(void)unused;
	ctx_init(&c, CV_MODE_MEET);
	tap(&c, T0, &BADGE_A);
	tap(&c, T0 + 100, &BADGE_B);
	assert_false(press(&c, T0 + 200, -1));
	assert_false(press(&c, T0 + 200, OPTIONS));
	assert_false(press(&c, T0 + 200, 1000000));
	assert_int_equal(c.st.screen, CV_SCREEN_PROMPT);
	assert_int_equal(c.st.next_write_id, 1);
	assert_true(press(&c, T0 + 300, OPTIONS - 1));
	/* One answer per pair: a second press on thanks does nothing. */
	assert_false(press(&c, T0 + 400, 0));
	assert_int_equal(c.st.answer, OPTIONS - 1);
	assert_int_equal(c.st.next_write_id, 2);
}

static void test_time_going_backwards(void **unused)
{
	struct ctx c;
	struct cv_flow_state before;

	(void)unused;
	ctx_init(&c, CV_MODE_MEET);
	/* Before the epoch of the state: counts as 0. */
	assert_true(tap(&c, -5000, &BADGE_A));
	assert_int_equal(c.st.entered_ms, 0);
	assert_int_equal(c.st.deadline_ms, WINDOW_MS);

	ctx_init(&c, CV_MODE_MEET);
	tap(&c, T0, &BADGE_A);
	before = c.st;
	assert_false(tick(&c, T0 - 90000));
	assert_memory_equal(&before, &c.st, sizeof before);
	/* The same badge from "the past" is within its debounce. */
	assert_false(tap(&c, T0 - 50000, &BADGE_A));
	/* Another badge from the past pairs as if no time had passed. */
	assert_true(tap(&c, T0 - 50000, &BADGE_B));
	assert_int_equal(c.st.screen, CV_SCREEN_PROMPT);
	assert_int_equal(c.st.entered_ms, T0);
	assert_int_equal(c.st.deadline_ms, T0 + PROMPT_MS);
	assert_true(press(&c, 0, 1));
	assert_int_equal(c.st.screen, CV_SCREEN_THANKS);
	assert_int_equal(c.st.entered_ms, T0);
}

static void test_extreme_values(void **unused)
{
	struct ctx c;
	struct cv_flow_event ev;

	(void)unused;
	/* A clock at the end of time: the deadline saturates. */
	ctx_init(&c, CV_MODE_MEET);
	assert_true(tap(&c, INT64_MAX - 10, &BADGE_A));
	assert_int_equal(c.st.deadline_ms, INT64_MAX);
	assert_true(tick(&c, INT64_MAX));
	assert_int_equal(c.st.screen, CV_SCREEN_IDLE);

	/* Zero durations still give every screen a deadline after its entry. */
	ctx_init(&c, CV_MODE_BOTH);
	c.p.message_ms = 0;
	c.p.pair_window_ms = -5;
	c.p.prompt_timeout_ms = 0;
	c.p.debounce_ms = 0;
	tap(&c, 0, &BADGE_A);
	assert_int_equal(c.st.deadline_ms, 1);
	assert_true(tick(&c, 1));
	assert_int_equal(c.st.screen, CV_SCREEN_IDLE);

	/* Text without a terminator is cut, never read past. */
	ctx_init(&c, CV_MODE_CHECKIN);
	ev = tap_event(&c, T0, &BADGE_A);
	memset(ev.u.tap.uid, 'F', sizeof ev.u.tap.uid);
	memset(ev.u.tap.person.name, 'x', sizeof ev.u.tap.person.name);
	memset(ev.u.tap.person.organization, 'y', sizeof ev.u.tap.person.organization);
	assert_true(run(&c, &ev));
	assert_int_equal(strlen(c.st.first.uid), CV_UID_HEX_MAX - 1);
	assert_int_equal(strlen(c.st.first.person.name), CV_NAME_MAX - 1);
	ev.now_ms = T0 + 10;
	assert_false(run(&c, &ev)); /* and the cut uid is debounced like any other */

	/* An unknown kind of event is ignored. */
	ctx_init(&c, CV_MODE_CHECKIN);
	memset(&ev, 0, sizeof ev);
	ev.kind = (enum cv_flow_event_kind)99;
	ev.now_ms = T0;
	assert_false(run(&c, &ev));
}

/* The checker must catch broken states, or asserting it proves nothing. */
static void test_check_catches_broken_states(void **unused)
{
	struct ctx c;
	struct cv_flow_state good, bad;
	struct cv_flow_params p;

	(void)unused;
	ctx_init(&c, CV_MODE_MEET);
	tap(&c, T0, &BADGE_A);
	tap(&c, T0 + 100, &BADGE_B);
	good = c.st; /* prompt, meet */
	assert_null(cv_flow_check(&good, &c.p));

#define EXPECT_BROKEN(mutation)                                                                    \
	do {                                                                                       \
		bad = good;                                                                        \
		mutation;                                                                          \
		assert_non_null(cv_flow_check(&bad, &c.p));                                        \
	} while (0)

	EXPECT_BROKEN(bad.second.person.id = bad.first.person.id);
	EXPECT_BROKEN(bad.second.person.id = 0);
	EXPECT_BROKEN(bad.deadline_ms = 0);
	EXPECT_BROKEN(bad.deadline_ms = bad.entered_ms - 1);
	EXPECT_BROKEN(bad.encounter_recorded = false);
	EXPECT_BROKEN(bad.answer = 0);
	EXPECT_BROKEN(bad.pending_write_id = bad.next_write_id + 1);
	EXPECT_BROKEN(bad.screen = CV_SCREEN_COUNT);
	EXPECT_BROKEN(bad.screen = CV_SCREEN_IDLE);
	EXPECT_BROKEN(bad.screen = CV_SCREEN_WELCOME);
	EXPECT_BROKEN(bad.screen = CV_SCREEN_UNKNOWN);
	EXPECT_BROKEN(bad.screen = CV_SCREEN_REFUSED);
	EXPECT_BROKEN(bad.screen = CV_SCREEN_THANKS);
	EXPECT_BROKEN(memset(bad.first.uid, 'A', sizeof bad.first.uid));
	EXPECT_BROKEN(bad.recent[1] = bad.recent[0]);
	EXPECT_BROKEN(bad.recent[0].at_ms = bad.entered_ms + 1);
	EXPECT_BROKEN(bad.entered_ms = -1);
	EXPECT_BROKEN((bad.screen = CV_SCREEN_THANKS, bad.answer = OPTIONS));

	/* The same state does not hold in checkin or both mode. */
	p = c.p;
	p.mode = CV_MODE_CHECKIN;
	assert_non_null(cv_flow_check(&good, &p));
	p.mode = CV_MODE_BOTH;
	assert_non_null(cv_flow_check(&good, &p));
	/* Without params the mode's checks are skipped. */
	assert_null(cv_flow_check(&good, NULL));

	/* Bad params. */
	p = c.p;
	p.option_count = 0;
	assert_non_null(cv_flow_check(&good, &p));
	p.option_count = CV_FLOW_OPTIONS_MAX + 1;
	assert_non_null(cv_flow_check(&good, &p));
	p = c.p;
	p.not_together = OPTIONS;
	assert_non_null(cv_flow_check(&good, &p));
	p.not_together = -1;
	assert_non_null(cv_flow_check(&good, &p));

	/* Idle, welcome, unknown and refused. */
	cv_flow_init(&good);
	EXPECT_BROKEN(bad.deadline_ms = 5);
	EXPECT_BROKEN(bad.first.person.id = 3);
	EXPECT_BROKEN(bad.store_failed = true);
	EXPECT_BROKEN(bad.answer = 0);
	ctx_init(&c, CV_MODE_MEET);
	tap(&c, T0, &BADGE_A);
	good = c.st;
	EXPECT_BROKEN(bad.first.person.id = 0);
	EXPECT_BROKEN(bad.first.random_uid = true);
	EXPECT_BROKEN(bad.second.person.id = 2);
	EXPECT_BROKEN(bad.encounter_recorded = true);
	tap(&c, T0 + 100, &BADGE_U);
	good = c.st;
	assert_null(cv_flow_check(&good, &c.p));
	EXPECT_BROKEN(bad.first.person.id = 2);
	EXPECT_BROKEN(bad.first.random_uid = true);
	tap(&c, T0 + 200, &BADGE_R);
	good = c.st;
	assert_null(cv_flow_check(&good, &c.p));
	EXPECT_BROKEN(bad.first.random_uid = false);
	EXPECT_BROKEN(bad.first.person.id = 2);
#undef EXPECT_BROKEN
	assert_non_null(cv_flow_check(NULL, NULL));
}

/* ---- consent ------------------------------------------------------------ */

static void test_consent_asked_at_first_tap(void **unused)
{
	struct ctx c;

	(void)unused;
	ctx_init(&c, CV_MODE_MEET);
	c.p.consent_ask = true;
	assert_true(tap(&c, T0, &BADGE_E));
	assert_int_equal(c.st.screen, CV_SCREEN_CONSENT);
	assert_int_equal(c.st.deadline_ms, T0 + PROMPT_MS);
	assert_int_equal(c.out.count, 0);
	/* nothing chosen: DONE waits; the name starts hidden */
	assert_false(consent(&c, T0 + 100, CV_FLOW_CONSENT_DONE));
	assert_false(c.st.consent_show_name);
	assert_false(consent(&c, T0 + 100, CV_FLOW_CONSENT_HIDE_NAME));
	assert_true(consent(&c, T0 + 200, CV_FLOW_CONSENT_ATTENDANCE));
	assert_true(consent(&c, T0 + 300, CV_FLOW_CONSENT_ENCOUNTERS));
	assert_true(consent(&c, T0 + 400, CV_FLOW_CONSENT_SHOW_NAME));
	assert_true(consent(&c, T0 + 500, CV_FLOW_CONSENT_DONE));
	assert_string_equal(fx_str(&c.out), "CS");
	assert_int_equal(c.out.fx[0].write_id, 1);
	assert_int_equal(c.out.fx[0].person_a, BADGE_E.person);
	assert_int_equal(c.out.fx[0].a_tap_seq, c.st.first.tap_seq);
	assert_int_equal(c.out.fx[0].consent, CV_CONSENT_ENCOUNTERS);
	assert_true(c.out.fx[0].show_name);
	assert_int_equal(c.st.pending_write_id, 1);
	/* welcome with a fresh window: Eve can pair now */
	assert_int_equal(c.st.screen, CV_SCREEN_WELCOME);
	assert_int_equal(c.st.deadline_ms, T0 + 500 + WINDOW_MS);
	assert_int_equal(c.st.first.person.consent, CV_CONSENT_ENCOUNTERS);
	assert_true(c.st.first.person.show_name);
	assert_int_equal(c.st.consent_choice, CV_CONSENT_UNSET);
	assert_false(c.st.consent_show_name);
	assert_true(tap(&c, T0 + 1000, &BADGE_B));
	assert_int_equal(c.st.screen, CV_SCREEN_PROMPT);
	assert_string_equal(fx_str(&c.out), "E");
	assert_int_equal(c.out.fx[0].person_a, BADGE_E.person);

	/* left alone, the question times out to idle with nothing written */
	ctx_init(&c, CV_MODE_BOTH);
	c.p.consent_ask = true;
	tap(&c, T0, &BADGE_E);
	consent(&c, T0 + 100, CV_FLOW_CONSENT_ATTENDANCE);
	assert_true(tick(&c, T0 + PROMPT_MS));
	assert_int_equal(c.st.screen, CV_SCREEN_IDLE);
	assert_int_equal(c.st.next_write_id, 0);
	assert_int_equal(c.st.consent_choice, CV_CONSENT_UNSET);

	/* without ask, Eve is welcomed like anyone */
	ctx_init(&c, CV_MODE_MEET);
	tap(&c, T0, &BADGE_E);
	assert_int_equal(c.st.screen, CV_SCREEN_WELCOME);
}

static void test_consent_changed_from_welcome(void **unused)
{
	struct ctx c;

	(void)unused;
	ctx_init(&c, CV_MODE_CHECKIN);
	tap(&c, T0, &BADGE_A);
	assert_true(consent(&c, T0 + 100, CV_FLOW_CONSENT_OPEN));
	assert_int_equal(c.st.screen, CV_SCREEN_CONSENT);
	/* what Ada agreed to before is chosen already */
	assert_int_equal(c.st.consent_choice, CV_CONSENT_ENCOUNTERS);
	assert_false(consent(&c, T0 + 200, CV_FLOW_CONSENT_OPEN));
	assert_true(consent(&c, T0 + 300, CV_FLOW_CONSENT_ATTENDANCE));
	assert_true(consent(&c, T0 + 400, CV_FLOW_CONSENT_DONE));
	assert_string_equal(fx_str(&c.out), "CS");
	assert_int_equal(c.out.fx[0].consent, CV_CONSENT_ATTENDANCE);
	assert_false(c.out.fx[0].show_name);
	assert_int_equal(c.st.screen, CV_SCREEN_WELCOME);
	assert_int_equal(c.st.deadline_ms, T0 + 400 + MESSAGE_MS);
	assert_int_equal(c.st.first.person.consent, CV_CONSENT_ATTENDANCE);
	/* the reply clears the pending write like any other */
	assert_true(saved(&c, T0 + 500, 1, true));
	assert_int_equal(c.st.pending_write_id, 0);
}

static void test_private_pair_records_nothing(void **unused)
{
	for (int mode = CV_MODE_MEET; mode <= CV_MODE_BOTH; mode++) {
		struct ctx c;

		(void)unused;
		/* either side: Pat first or second */
		ctx_init(&c, (enum cv_mode)mode);
		tap(&c, T0, &BADGE_P);
		assert_true(tap(&c, T0 + 1000, &BADGE_B));
		assert_int_equal(c.st.screen, CV_SCREEN_PRIVATE);
		assert_string_equal(fx_str(&c.out), "S");
		assert_int_equal(c.st.first.person.id, BADGE_P.person);
		assert_int_equal(c.st.second.person.id, BADGE_B.person);
		assert_int_equal(c.st.deadline_ms, T0 + 1000 + MESSAGE_MS);
		assert_false(press(&c, T0 + 1100, 0));
		assert_int_equal(c.st.next_write_id, 0);

		ctx_init(&c, (enum cv_mode)mode);
		tap(&c, T0, &BADGE_B);
		tap(&c, T0 + 1000, &BADGE_P);
		assert_int_equal(c.st.screen, CV_SCREEN_PRIVATE);
		assert_true(tick(&c, T0 + 1000 + MESSAGE_MS));
		assert_int_equal(c.st.screen, CV_SCREEN_IDLE);
		assert_int_equal(c.st.next_write_id, 0);

		/* having changed their mind on screen, Ada's next pair is private too */
		ctx_init(&c, (enum cv_mode)mode);
		tap(&c, T0, &BADGE_A);
		consent(&c, T0 + 100, CV_FLOW_CONSENT_OPEN);
		consent(&c, T0 + 200, CV_FLOW_CONSENT_ATTENDANCE);
		consent(&c, T0 + 300, CV_FLOW_CONSENT_DONE);
		tap(&c, T0 + 1000, &BADGE_B);
		assert_int_equal(c.st.screen, CV_SCREEN_PRIVATE);
		assert_string_equal(fx_str(&c.out), "S");
	}
}

static void test_consent_ids(void **unused)
{
	(void)unused;
	for (int i = 0; i < CV_FLOW_CONSENT_INPUT_COUNT; i++) {
		const char *id = cv_flow_consent_input_id((enum cv_flow_consent_input)i);

		assert_non_null(id);
		assert_int_equal(cv_flow_consent_input_from_id(id), i);
	}
	assert_string_equal(cv_flow_consent_input_id(CV_FLOW_CONSENT_DONE), "consent-done");
	assert_null(cv_flow_consent_input_id(CV_FLOW_CONSENT_INPUT_COUNT));
	assert_int_equal(cv_flow_consent_input_from_id("talked"), -1);
	assert_int_equal(cv_flow_consent_input_from_id(NULL), -1);
	assert_string_equal(cv_flow_screen_name(CV_SCREEN_CONSENT), "consent");
	assert_string_equal(cv_flow_screen_name(CV_SCREEN_PRIVATE), "private");
}

static void test_check_catches_consent_states(void **unused)
{
	struct ctx c;
	struct cv_flow_state bad;

	(void)unused;
	ctx_init(&c, CV_MODE_MEET);
	tap(&c, T0, &BADGE_A);
	bad = c.st;
	bad.consent_choice = CV_CONSENT_ATTENDANCE; /* a choice on welcome */
	assert_non_null(cv_flow_check(&bad, &c.p));
	bad = c.st;
	bad.first.person.consent = (enum cv_consent)7;
	assert_non_null(cv_flow_check(&bad, &c.p));
	bad = c.st;
	bad.first.person.consent = CV_CONSENT_UNSET;
	c.p.consent_ask = true; /* welcomed without saying, though asked */
	assert_non_null(cv_flow_check(&bad, &c.p));
	c.p.consent_ask = false;
	assert_null(cv_flow_check(&bad, &c.p));

	tap(&c, T0 + 1000, &BADGE_B);
	assert_int_equal(c.st.screen, CV_SCREEN_PROMPT);
	bad = c.st;
	bad.second.person.consent = CV_CONSENT_ATTENDANCE; /* prompted though private */
	assert_non_null(cv_flow_check(&bad, &c.p));
	bad.screen = CV_SCREEN_PRIVATE;
	bad.encounter_recorded = false;
	assert_null(cv_flow_check(&bad, &c.p));
	bad.second.person.consent = CV_CONSENT_ENCOUNTERS; /* private without a reason */
	assert_non_null(cv_flow_check(&bad, &c.p));

	ctx_init(&c, CV_MODE_MEET);
	tap(&c, T0, &BADGE_A);
	consent(&c, T0 + 100, CV_FLOW_CONSENT_OPEN);
	bad = c.st;
	bad.first.person.id = 0; /* nobody to ask */
	assert_non_null(cv_flow_check(&bad, &c.p));
}

/* ---- the random walk ---------------------------------------------------- */

static uint64_t rng_state;

static uint32_t rng(void)
{
	/* xorshift64*: deterministic across platforms. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static const struct badge pool[] = {
    /* the consent each person starts with; the walk changes it as the
     * flow asks (the model plays the store) */
    {"04000000000001", 1, "One", false, CV_CONSENT_ENCOUNTERS},
    {"04000000000011", 1, "One", false, CV_CONSENT_ENCOUNTERS},
    {"04000000000002", 2, "Two", false, CV_CONSENT_UNSET},
    {"04000000000022", 2, "Two", false, CV_CONSENT_UNSET},
    {"04000000000003", 3, "Three", false, CV_CONSENT_ATTENDANCE},
    {"04000000000004", 4, "Four", false, CV_CONSENT_ENCOUNTERS},
    {"04000000000005", 5, "Five", false, CV_CONSENT_UNSET},
    {"04000000000E01", 0, "", false, CV_CONSENT_UNSET},
    {"04000000000E02", 0, "", false, CV_CONSENT_UNSET},
    {"08000001", 0, "", true, CV_CONSENT_UNSET},
    {"08000002", 0, "", true, CV_CONSENT_UNSET},
    {"08000003", 0, "", true, CV_CONSENT_UNSET},
};
#define PEOPLE_N 6 /* person ids 1..5 */
#define POOL_N ((int)(sizeof pool / sizeof pool[0]))
#define ENCOUNTERS_MAX 100000

struct encounter {
	int64_t b_tap_seq;
	int64_t a, b;
	bool answered;
};

struct model {
	bool accepted[POOL_N];
	int64_t accept_at[POOL_N];
	uint32_t next_write_id;
	int encounter_count;
	long fx_count[4];
	enum cv_consent consent[PEOPLE_N]; /* by person id: what the store holds */
	long private_pairs;
	long visits[CV_SCREEN_COUNT];
	long ignored_taps;
};

static struct encounter encounters[ENCOUNTERS_MAX];

static struct encounter *find_encounter(struct model *m, int64_t b_tap_seq)
{
	for (int i = m->encounter_count - 1; i >= 0; i--) {
		if (encounters[i].b_tap_seq == b_tap_seq)
			return &encounters[i];
	}
	return NULL;
}

/* Whether the flow must still remember badge k: fewer than CV_FLOW_RECENT
 * other badges were taken since (at the same time or later). */
static bool surely_remembered(const struct model *m, int k)
{
	int others = 0;

	for (int j = 0; j < POOL_N; j++) {
		if (j != k && m->accepted[j] && m->accept_at[j] >= m->accept_at[k])
			others++;
	}
	return others < CV_FLOW_RECENT;
}

static bool drawn_equal(const struct cv_flow_state *a, const struct cv_flow_state *b)
{
	return a->screen == b->screen && a->answer == b->answer &&
	       a->reader_online == b->reader_online && a->store_failed == b->store_failed &&
	       a->pending_write_id == b->pending_write_id &&
	       memcmp(&a->first, &b->first, sizeof a->first) == 0 &&
	       memcmp(&a->second, &b->second, sizeof a->second) == 0;
}

static void check_writes(struct model *m, const struct cv_flow_state *st,
                         const struct cv_flow_params *p, const struct cv_flow_event *ev,
                         const struct cv_flow_effects *out)
{
	uint32_t last_write = 0;

	for (int i = 0; i < out->count; i++) {
		const struct cv_flow_effect *fx = &out->fx[i];
		struct encounter *e;

		assert_in_range(fx->kind, CV_FLOW_FX_RECORD_ENCOUNTER, CV_FLOW_FX_RECORD_CONSENT);
		m->fx_count[fx->kind]++;
		if (fx->kind == CV_FLOW_FX_SOUND)
			continue;
		if (fx->kind == CV_FLOW_FX_RECORD_CONSENT) {
			/* only the consent screen's DONE, for the person it asked */
			assert_int_equal(ev->kind, CV_FLOW_EV_CONSENT);
			assert_int_equal(ev->u.consent, CV_FLOW_CONSENT_DONE);
			m->next_write_id++;
			if (m->next_write_id == 0)
				m->next_write_id = 1;
			assert_int_equal(fx->write_id, m->next_write_id);
			last_write = fx->write_id;
			assert_in_range(fx->person_a, 1, PEOPLE_N - 1);
			assert_int_equal(fx->person_a, st->first.person.id);
			assert_int_equal(fx->a_tap_seq, st->first.tap_seq);
			assert_true(fx->consent == CV_CONSENT_ATTENDANCE ||
			            fx->consent == CV_CONSENT_ENCOUNTERS);
			assert_int_equal(st->first.person.consent, fx->consent);
			m->consent[fx->person_a] = fx->consent;
			continue;
		}
		assert_int_not_equal(p->mode, CV_MODE_CHECKIN);
		m->next_write_id++;
		if (m->next_write_id == 0)
			m->next_write_id = 1;
		assert_int_equal(fx->write_id, m->next_write_id);
		last_write = fx->write_id;
		assert_int_not_equal(fx->person_a, 0);
		assert_int_not_equal(fx->person_b, 0);
		assert_int_not_equal(fx->person_a, fx->person_b);
		assert_int_equal(fx->person_a, st->first.person.id);
		assert_int_equal(fx->person_b, st->second.person.id);
		assert_int_equal(fx->a_tap_seq, st->first.tap_seq);
		assert_int_equal(fx->b_tap_seq, st->second.tap_seq);
		/* nobody who chose attendance only is ever in an encounter */
		assert_int_not_equal(m->consent[fx->person_a], CV_CONSENT_ATTENDANCE);
		assert_int_not_equal(m->consent[fx->person_b], CV_CONSENT_ATTENDANCE);
		if (fx->kind == CV_FLOW_FX_RECORD_ENCOUNTER) {
			assert_null(find_encounter(m, fx->b_tap_seq));
			if (p->mode == CV_MODE_MEET) {
				assert_int_equal(ev->kind, CV_FLOW_EV_TAP);
				assert_int_equal(fx->answer, -1);
			} else {
				assert_int_equal(ev->kind, CV_FLOW_EV_PRESS);
				assert_int_equal(fx->answer, ev->u.option);
				assert_int_not_equal(fx->answer, p->not_together);
			}
			assert_true(m->encounter_count < ENCOUNTERS_MAX);
			encounters[m->encounter_count++] = (struct encounter){
			    fx->b_tap_seq, fx->person_a, fx->person_b, p->mode != CV_MODE_MEET};
		} else {
			assert_int_equal(p->mode, CV_MODE_MEET);
			assert_int_equal(ev->kind, CV_FLOW_EV_PRESS);
			e = find_encounter(m, fx->b_tap_seq);
			assert_non_null(e);
			assert_false(e->answered);
			assert_int_equal(e->a, fx->person_a);
			assert_int_equal(e->b, fx->person_b);
			assert_int_equal(fx->answer, ev->u.option);
			e->answered = true;
		}
	}
	if (last_write != 0)
		assert_int_equal(st->pending_write_id, last_write);
	assert_int_equal(st->next_write_id, m->next_write_id);
}

static void random_walk(enum cv_mode mode, bool ask, uint64_t seed, int steps)
{
	struct ctx c;
	struct model m;
	int64_t now = T0;

	ctx_init(&c, mode);
	c.p.consent_ask = ask;
	memset(&m, 0, sizeof m);
	for (int i = 0; i < POOL_N; i++)
		if (pool[i].person != 0)
			m.consent[pool[i].person] = pool[i].consent;
	rng_state = seed;

	for (int n = 0; n < steps; n++) {
		struct cv_flow_state before = c.st, timed;
		struct cv_flow_effects tick_out;
		struct cv_flow_event ev, tick_ev;
		uint32_t r = rng() % 100;
		int64_t eff;
		int k = -1;
		bool changed, ignored;

		/* Mostly forward, sometimes a long pause, now and then backwards. */
		if (r < 3)
			now -= rng() % 5000;
		else if (r < 80)
			now += rng() % 2000;
		else
			now += rng() % 25000;

		memset(&ev, 0, sizeof ev);
		r = rng() % 100;
		if (r < 45) {
			k = (int)(rng() % POOL_N);
			ev = tap_event(&c, now, &pool[k]);
			ev.u.tap.person.consent = m.consent[pool[k].person];
		} else if (r < 55) {
			ev.kind = CV_FLOW_EV_CONSENT;
			ev.u.consent =
			    (enum cv_flow_consent_input)(rng() % CV_FLOW_CONSENT_INPUT_COUNT);
		} else if (r < 65) {
			ev.kind = CV_FLOW_EV_PRESS;
			ev.u.option = (int)(rng() % (OPTIONS + 2)) - 1;
		} else if (r < 80) {
			ev.kind = CV_FLOW_EV_TICK;
		} else if (r < 95) {
			ev.kind = CV_FLOW_EV_SAVED;
			ev.u.saved.write_id = (rng() % 2 && c.st.pending_write_id != 0)
			                          ? c.st.pending_write_id
			                          : rng() % (c.st.next_write_id + 3);
			ev.u.saved.ok = rng() % 100 < 80;
		} else {
			ev.kind = CV_FLOW_EV_READER;
			ev.u.reader_online = rng() % 2;
		}
		ev.now_ms = now;

		/* The state after deadlines alone: the flow's own TICK, on a copy. */
		timed = before;
		tick_ev = (struct cv_flow_event){.kind = CV_FLOW_EV_TICK, .now_ms = now};
		cv_flow_step(&timed, &c.p, &tick_ev, &tick_out);
		assert_int_equal(tick_out.count, 0);
		eff = now < before.entered_ms ? before.entered_ms : now;

		changed = run(&c, &ev);
		check_writes(&m, &c.st, &c.p, &ev, &c.out);
		m.visits[c.st.screen]++;

		if (!changed)
			assert_true(drawn_equal(&before, &c.st));
		if (ev.kind == CV_FLOW_EV_TICK) {
			bool due = before.deadline_ms != 0 && eff >= before.deadline_ms;

			assert_int_equal(changed, due);
			assert_int_equal(c.out.count, 0);
			if (!due)
				assert_memory_equal(&before, &c.st, sizeof before);
			continue;
		}
		if (ev.kind == CV_FLOW_EV_READER) {
			assert_int_equal(c.st.reader_online, ev.u.reader_online);
			assert_int_equal(c.st.screen, timed.screen);
			continue;
		}
		if (ev.kind == CV_FLOW_EV_SAVED) {
			uint32_t id = ev.u.saved.write_id;
			bool failed = timed.store_failed;
			uint32_t pending = timed.pending_write_id;

			if (id != 0 && id == pending) {
				pending = 0;
				failed = !ev.u.saved.ok;
			} else if (id != 0 && id <= timed.next_write_id && !ev.u.saved.ok) {
				failed = true;
			}
			assert_int_equal(c.st.store_failed, failed);
			assert_int_equal(c.st.pending_write_id, pending);
			assert_int_equal(c.st.screen, timed.screen);
			assert_int_equal(c.out.count, 0);
			continue;
		}
		if (ev.kind == CV_FLOW_EV_CONSENT) {
			enum cv_flow_consent_input in = ev.u.consent;
			bool taken;

			if (in == CV_FLOW_CONSENT_OPEN)
				taken = timed.screen == CV_SCREEN_WELCOME;
			else if (in == CV_FLOW_CONSENT_DONE)
				taken = timed.screen == CV_SCREEN_CONSENT &&
				        timed.consent_choice != CV_CONSENT_UNSET;
			else if (in == CV_FLOW_CONSENT_ATTENDANCE ||
			         in == CV_FLOW_CONSENT_ENCOUNTERS)
				taken = timed.screen == CV_SCREEN_CONSENT &&
				        timed.consent_choice != (in == CV_FLOW_CONSENT_ATTENDANCE
				                                     ? CV_CONSENT_ATTENDANCE
				                                     : CV_CONSENT_ENCOUNTERS);
			else
				taken =
				    timed.screen == CV_SCREEN_CONSENT &&
				    timed.consent_show_name != (in == CV_FLOW_CONSENT_SHOW_NAME);
			if (!taken) {
				assert_memory_equal(&timed, &c.st, sizeof timed);
				assert_int_equal(c.out.count, 0);
				continue;
			}
			assert_int_equal(c.st.first.person.id, timed.first.person.id);
			if (in == CV_FLOW_CONSENT_OPEN) {
				assert_int_equal(c.st.screen, CV_SCREEN_CONSENT);
				assert_int_equal(c.st.consent_choice, timed.first.person.consent);
				assert_int_equal(c.out.count, 0);
			} else if (in == CV_FLOW_CONSENT_DONE) {
				assert_int_equal(c.st.screen, CV_SCREEN_WELCOME);
				assert_string_equal(fx_str(&c.out), "CS");
				assert_int_equal(c.st.first.person.consent, timed.consent_choice);
				assert_int_equal(c.st.first.person.show_name,
				                 timed.consent_show_name);
			} else {
				assert_int_equal(c.st.screen, CV_SCREEN_CONSENT);
				assert_int_equal(c.out.count, 0);
			}
			continue;
		}
		if (ev.kind == CV_FLOW_EV_PRESS) {
			bool taken = timed.screen == CV_SCREEN_PROMPT && ev.u.option >= 0 &&
			             ev.u.option < OPTIONS;

			if (!taken) {
				assert_memory_equal(&timed, &c.st, sizeof timed);
				assert_int_equal(c.out.count, 0);
				continue;
			}
			assert_int_equal(c.st.screen, CV_SCREEN_THANKS);
			assert_int_equal(c.st.answer, ev.u.option);
			assert_int_equal(c.st.entered_ms, eff);
			assert_int_equal(c.out.fx[c.out.count - 1].kind, CV_FLOW_FX_SOUND);
			continue;
		}

		/* A tap: taken or debounced, against the model. */
		ignored = memcmp(&timed, &c.st, sizeof timed) == 0 && c.out.count == 0;
		if (m.accepted[k] && eff - m.accept_at[k] < DEBOUNCE_MS) {
			if (surely_remembered(&m, k))
				assert_true(ignored);
		} else {
			assert_false(ignored);
		}
		if (ignored) {
			m.ignored_taps++;
			continue;
		}
		m.accepted[k] = true;
		m.accept_at[k] = eff;
		assert_int_equal(c.st.entered_ms, eff);
		if (pool[k].random_uid) {
			assert_int_equal(c.st.screen, CV_SCREEN_REFUSED);
			assert_int_equal(c.out.count, 0);
		} else if (pool[k].person == 0) {
			assert_int_equal(c.st.screen, CV_SCREEN_UNKNOWN);
			assert_int_equal(c.out.count, 0);
		} else if (ask && m.consent[pool[k].person] == CV_CONSENT_UNSET) {
			assert_int_equal(c.st.screen, CV_SCREEN_CONSENT);
			assert_int_equal(c.st.first.person.id, pool[k].person);
			assert_int_equal(c.st.consent_choice, CV_CONSENT_UNSET);
			assert_int_equal(c.out.count, 0);
		} else if (timed.screen == CV_SCREEN_WELCOME && mode != CV_MODE_CHECKIN &&
		           timed.first.person.id != pool[k].person &&
		           (m.consent[timed.first.person.id] == CV_CONSENT_ATTENDANCE ||
		            m.consent[pool[k].person] == CV_CONSENT_ATTENDANCE)) {
			assert_int_equal(c.st.screen, CV_SCREEN_PRIVATE);
			assert_int_equal(c.st.second.person.id, pool[k].person);
			assert_string_equal(fx_str(&c.out), "S");
			m.private_pairs++;
		} else if (timed.screen == CV_SCREEN_WELCOME && mode != CV_MODE_CHECKIN &&
		           timed.first.person.id != pool[k].person) {
			assert_int_equal(c.st.screen, CV_SCREEN_PROMPT);
			assert_int_equal(c.st.first.person.id, timed.first.person.id);
			assert_int_equal(c.st.second.person.id, pool[k].person);
			assert_string_equal(fx_str(&c.out), mode == CV_MODE_MEET ? "E" : "");
		} else {
			assert_int_equal(c.st.screen, CV_SCREEN_WELCOME);
			assert_int_equal(c.st.first.person.id, pool[k].person);
			assert_string_equal(fx_str(&c.out), "S");
		}
	}

	/* The walk went everywhere the mode allows. */
	assert_true(m.visits[CV_SCREEN_IDLE] > 0);
	assert_true(m.visits[CV_SCREEN_WELCOME] > 0);
	assert_true(m.visits[CV_SCREEN_UNKNOWN] > 0);
	assert_true(m.visits[CV_SCREEN_REFUSED] > 0);
	assert_true(m.ignored_taps > 0);
	assert_true(m.fx_count[CV_FLOW_FX_SOUND] > 0);
	assert_true(m.visits[CV_SCREEN_CONSENT] > 0);
	assert_true(m.fx_count[CV_FLOW_FX_RECORD_CONSENT] > 0);
	if (mode == CV_MODE_CHECKIN) {
		assert_int_equal(m.visits[CV_SCREEN_PRIVATE], 0);
		assert_int_equal(m.visits[CV_SCREEN_PROMPT], 0);
		assert_int_equal(m.encounter_count, 0);
	} else {
		assert_true(m.visits[CV_SCREEN_PROMPT] > 0);
		assert_true(m.visits[CV_SCREEN_THANKS] > 0);
		assert_true(m.encounter_count > 0);
		assert_true(m.visits[CV_SCREEN_PRIVATE] > 0);
		assert_true(m.private_pairs > 0);
	}
	if (mode == CV_MODE_MEET)
		assert_true(m.fx_count[CV_FLOW_FX_RECORD_ANSWER] > 0);
	else
		assert_int_equal(m.fx_count[CV_FLOW_FX_RECORD_ANSWER], 0);
}

static void test_random_walk(void **unused)
{
	(void)unused;
	/* 100,000 events in each mode, with and without [consent] ask, each
	 * from its own fixed seed. */
	random_walk(CV_MODE_CHECKIN, false, 0x9e3779b97f4a7c15ULL, 100000);
	random_walk(CV_MODE_MEET, false, 0xd1b54a32d192ed03ULL, 100000);
	random_walk(CV_MODE_BOTH, false, 0x8cb92ba72f3d8dd7ULL, 100000);
	random_walk(CV_MODE_CHECKIN, true, 0x2545f4914f6cdd1dULL, 100000);
	random_walk(CV_MODE_MEET, true, 0x94d049bb133111ebULL, 100000);
	random_walk(CV_MODE_BOTH, true, 0xbf58476d1ce4e5b9ULL, 100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_and_names),
	    cmocka_unit_test(test_table_every_transition),
	    cmocka_unit_test(test_checkin_never_pairs),
	    cmocka_unit_test(test_meet_full_flow),
	    cmocka_unit_test(test_meet_not_together_is_an_answer),
	    cmocka_unit_test(test_both_full_flow),
	    cmocka_unit_test(test_both_not_together_records_nothing),
	    cmocka_unit_test(test_pair_window_edges),
	    cmocka_unit_test(test_rewelcome_restarts_window),
	    cmocka_unit_test(test_debounce),
	    cmocka_unit_test(test_prompt_timeout),
	    cmocka_unit_test(test_new_badge_during_prompt_and_thanks),
	    cmocka_unit_test(test_unknown_and_refused),
	    cmocka_unit_test(test_saved_replies),
	    cmocka_unit_test(test_write_ids_skip_zero),
	    cmocka_unit_test(test_reader_online),
	    cmocka_unit_test(test_press_outside_prompt_or_range),
	    cmocka_unit_test(test_time_going_backwards),
	    cmocka_unit_test(test_extreme_values),
	    cmocka_unit_test(test_check_catches_broken_states),
	    cmocka_unit_test(test_consent_asked_at_first_tap),
	    cmocka_unit_test(test_consent_changed_from_welcome),
	    cmocka_unit_test(test_private_pair_records_nothing),
	    cmocka_unit_test(test_consent_ids),
	    cmocka_unit_test(test_check_catches_consent_states),
	    cmocka_unit_test(test_random_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
