/* The kiosk flow: a pure state machine. Events in (a tap already written to
 * the store, an option pressed, time passing, the reader's health), a new
 * state and a list of effects out. No SDL, SQLite, libnfc or clock reads:
 * time comes in with each event. docs/flow.md has the diagram and the table
 * of transitions. */
#ifndef CV_FLOW_H
#define CV_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "cv_badge.h"
#include "cv_config.h"
#include "cv_consent.h"

enum cv_screen {
	CV_SCREEN_IDLE,    /* "tap your badge" */
	CV_SCREEN_WELCOME, /* a known badge: welcome, and the pair hint */
	CV_SCREEN_PROMPT,  /* "how did you two connect?" */
	CV_SCREEN_THANKS,  /* the pair's answer is saved */
	CV_SCREEN_UNKNOWN, /* a badge bound to nobody: "please see a host" */
	CV_SCREEN_REFUSED, /* a random-UID card: it cannot be a badge */
	CV_SCREEN_CONSENT, /* what may be logged about the person, and their name shown */
	CV_SCREEN_PRIVATE, /* a pair with someone who chose attendance only: nothing recorded */
	CV_SCREEN_COUNT
};

enum cv_role { CV_ROLE_ATTENDEE, CV_ROLE_ORGANIZER, CV_ROLE_STAFF };

#define CV_FLOW_RECENT 8 /* badges remembered for debouncing */
#define CV_FLOW_OPTIONS_MAX 12

struct cv_flow_person {
	int64_t id; /* store id; 0 for nobody */
	char name[CV_NAME_MAX];
	char organization[CV_NAME_MAX];
	enum cv_role role;
	enum cv_consent consent; /* what they agreed to; UNSET when never said */
	bool show_name;          /* their name may appear on the live screen */
};

struct cv_flow_params {
	enum cv_mode mode;
	int pair_window_ms;
	int debounce_ms;
	int prompt_timeout_ms;
	int message_ms;   /* how long welcome/thanks/unknown/refused stay */
	int option_count; /* prompt options, 1..CV_FLOW_OPTIONS_MAX */
	int not_together; /* index of the "not together" option */
	bool consent_ask; /* [consent] ask: a person who never said is asked at the tap */
};

enum cv_flow_event_kind {
	CV_FLOW_EV_TAP,     /* a badge read, already written to the store */
	CV_FLOW_EV_PRESS,   /* a prompt option chosen (touch, mouse or script) */
	CV_FLOW_EV_TICK,    /* time passed; deadlines are checked on every event */
	CV_FLOW_EV_READER,  /* the reader went online or offline */
	CV_FLOW_EV_SAVED,   /* the store finished a write the flow asked for */
	CV_FLOW_EV_CONSENT, /* a consent button (touch or script): consent */
};

/* The consent screen's buttons, and the welcome screen's button that opens it. */
enum cv_flow_consent_input {
	CV_FLOW_CONSENT_OPEN,       /* welcome: change what I agreed to */
	CV_FLOW_CONSENT_ATTENDANCE, /* "attendance only" */
	CV_FLOW_CONSENT_ENCOUNTERS, /* "attendance and the people I meet" */
	CV_FLOW_CONSENT_SHOW_NAME,  /* my name may appear on the live screen */
	CV_FLOW_CONSENT_HIDE_NAME,  /* count me, do not name me */
	CV_FLOW_CONSENT_DONE,       /* save the choice */
	CV_FLOW_CONSENT_INPUT_COUNT
};

struct cv_flow_tap {
	char uid[CV_UID_HEX_MAX];
	int64_t tap_seq;              /* the tap's sequence number in the store */
	bool random_uid;              /* refused: identifies nobody */
	bool checked_in_now;          /* this tap was the person's first today in this zone */
	struct cv_flow_person person; /* id 0: unknown badge */
};

struct cv_flow_event {
	enum cv_flow_event_kind kind;
	int64_t now_ms; /* monotonic */
	union {
		struct cv_flow_tap tap;
		int option;                         /* CV_FLOW_EV_PRESS */
		bool reader_online;                 /* CV_FLOW_EV_READER */
		enum cv_flow_consent_input consent; /* CV_FLOW_EV_CONSENT */
		struct {
			uint32_t write_id;
			bool ok;
		} saved;
	} u;
};

struct cv_flow_recent {
	char uid[CV_UID_HEX_MAX];
	int64_t at_ms;
};

struct cv_flow_state {
	enum cv_screen screen;
	int64_t entered_ms;        /* when this screen was entered */
	int64_t deadline_ms;       /* when it times out; 0 for never (idle) */
	struct cv_flow_tap first;  /* welcome/unknown/refused: the tap; prompt: badge A */
	struct cv_flow_tap second; /* prompt/thanks: badge B */
	int answer;                /* thanks: the option chosen, -1 for none */
	bool encounter_recorded;   /* meet: at B's tap; both: at the answer */
	uint32_t next_write_id;
	uint32_t pending_write_id; /* 0 when no write is outstanding */
	bool store_failed;         /* the last write failed: the screen says so */
	bool reader_online;
	struct cv_flow_recent recent[CV_FLOW_RECENT];
	/* consent: the choice being made for first (UNSET until one is touched) */
	enum cv_consent consent_choice;
	bool consent_show_name;
};

enum cv_flow_effect_kind {
	CV_FLOW_FX_RECORD_ENCOUNTER, /* write person A met person B (answer may be -1) */
	CV_FLOW_FX_RECORD_ANSWER,    /* add the answer to the encounter of tap b_tap_seq */
	CV_FLOW_FX_SOUND,            /* play the confirmation sound */
	CV_FLOW_FX_RECORD_CONSENT, /* write person_a's consent and show_name (a_tap_seq: the tap) */
};

struct cv_flow_effect {
	enum cv_flow_effect_kind kind;
	uint32_t write_id; /* for RECORD_*: echoed in CV_FLOW_EV_SAVED */
	int64_t person_a;
	int64_t person_b;
	int64_t a_tap_seq;
	int64_t b_tap_seq;
	int answer;              /* option index, -1 for none */
	enum cv_consent consent; /* RECORD_CONSENT */
	bool show_name;          /* RECORD_CONSENT */
};

#define CV_FLOW_EFFECTS_MAX 4

struct cv_flow_effects {
	int count;
	struct cv_flow_effect fx[CV_FLOW_EFFECTS_MAX];
};

/* Starts at idle with the reader assumed online. */
void cv_flow_init(struct cv_flow_state *state);

/* Applies one event. Deadlines that passed by ev->now_ms are applied first,
 * so a TICK is only needed to leave a screen on time. out is always reset.
 * Returns true when the screen or anything drawn from the state changed
 * (the people, the answer, reader_online, store_failed, pending_write_id).
 * A now_ms earlier than state->entered_ms (a clock run backwards) counts as
 * entered_ms: no time passed. params must be valid (cv_flow_check) and the
 * same for every step of a flow; change them only while the screen is idle.
 * Pure: no I/O, clock, allocation or logging; call from one thread. */
bool cv_flow_step(struct cv_flow_state *state, const struct cv_flow_params *params,
                  const struct cv_flow_event *ev, struct cv_flow_effects *out);

/* Checks the invariants of a state (asserted after every step in debug
 * builds and in the tests). Returns NULL when they hold, else a static text
 * naming the one that failed. params may be NULL: the checks that depend on
 * the mode and the options are then skipped. */
const char *cv_flow_check(const struct cv_flow_state *state, const struct cv_flow_params *params);

/* The id a sim script presses for a consent input ("consent-open",
 * "consent-attendance", "consent-encounters", "consent-show-name",
 * "consent-hide-name", "consent-done"), or NULL out of range. */
const char *cv_flow_consent_input_id(enum cv_flow_consent_input input);

/* The input of such an id, or -1 for any other text. */
int cv_flow_consent_input_from_id(const char *id);

/* The screen's lower-case name ("idle", "welcome", ...; used for screenshot
 * file names), or "invalid" for a value out of range. */
const char *cv_flow_screen_name(enum cv_screen screen);

#endif
