/* Organiser mode: a pure state machine beside the kiosk flow. An organiser's
 * badge opens a PIN keypad (five wrong PINs lock it for a minute), the PIN
 * opens a menu (live screen, enrolment, zone, sync, export, back), and a
 * minute untouched closes it. No SDL, SQLite, libsodium or clock reads: the
 * PIN is checked by the caller (effect VERIFY_PIN, event PIN_CHECKED) and
 * time comes with each event. docs/flow.md, "Organiser mode", has the table. */
#ifndef CV_ORGANIZER_H
#define CV_ORGANIZER_H

#include <stdbool.h>
#include <stdint.h>

#include "cv_flow.h"

enum cv_org_screen {
	CV_ORG_OFF,      /* the kiosk flow has the screen */
	CV_ORG_PIN,      /* the keypad */
	CV_ORG_CHECKING, /* the PIN is being checked */
	CV_ORG_MENU,
	CV_ORG_LIVE,   /* the live attendance screen */
	CV_ORG_ENROL,  /* waiting for a badge to enrol */
	CV_ORG_SEARCH, /* an unknown badge: search the roster for its person */
	CV_ORG_BADGE,  /* a known badge: its person, unbind or revoke */
	CV_ORG_ZONE,   /* choose this kiosk's zone */
	CV_ORG_NOTICE, /* the outcome of an action */
	CV_ORG_SCREEN_COUNT
};

enum cv_org_item {
	CV_ORG_ITEM_LIVE,
	CV_ORG_ITEM_ENROL,
	CV_ORG_ITEM_ZONE,
	CV_ORG_ITEM_SYNC,
	CV_ORG_ITEM_EXPORT,
	CV_ORG_ITEM_BACK,
	CV_ORG_ITEM_COUNT
};

/* What a notice says. */
enum cv_org_notice {
	CV_ORG_NOTICE_NONE,
	CV_ORG_NOTICE_WORKING, /* an action is under way (waits for DONE) */
	CV_ORG_NOTICE_SYNC,    /* sync started / failed */
	CV_ORG_NOTICE_EXPORT,  /* exported / failed */
	CV_ORG_NOTICE_BOUND,
	CV_ORG_NOTICE_UNBOUND,
	CV_ORG_NOTICE_REVOKED,
	CV_ORG_NOTICE_ZONE,
	CV_ORG_NOTICE_RANDOM, /* a random-UID card cannot be enrolled */
};

#define CV_ORG_PIN_MIN 4
#define CV_ORG_PIN_MAX 12
#define CV_ORG_QUERY_MAX 64 /* bytes of UTF-8 search text, with the terminator */

struct cv_org_params {
	bool enabled;     /* a PIN hash is configured: without one, OPEN is ignored */
	int timeout_ms;   /* untouched this long: back to the kiosk (60000) */
	int lock_ms;      /* how long max_failures wrong PINs lock the keypad (60000) */
	int max_failures; /* wrong PINs in a row that lock it (5) */
	int notice_ms;    /* how long a notice stays */
	int zone_count;   /* zones to choose from, 0..: ZONE events index them */
};

enum cv_org_event_kind {
	CV_ORG_EV_OPEN,        /* the organiser button: person (an organiser) */
	CV_ORG_EV_DIGIT,       /* keypad: digit 0..9 */
	CV_ORG_EV_ERASE,       /* keypad or keyboard: remove the last character */
	CV_ORG_EV_ENTER,       /* keypad: check the PIN */
	CV_ORG_EV_PIN_CHECKED, /* the caller's verdict on the PIN: ok */
	CV_ORG_EV_ITEM,        /* menu: item */
	CV_ORG_EV_BACK,        /* back: to the menu, from the menu or keypad to the kiosk */
	CV_ORG_EV_TAP,         /* a badge read (already in the store): tap */
	CV_ORG_EV_TEXT,        /* keyboard: text (one UTF-8 character) appended */
	CV_ORG_EV_PICK,        /* search: person chosen for the badge */
	CV_ORG_EV_UNBIND,      /* badge screen: unbind the badge */
	CV_ORG_EV_REVOKE,      /* badge screen: revoke the badge (lost) */
	CV_ORG_EV_ZONE,        /* zone screen: index */
	CV_ORG_EV_DONE,        /* an action asked for has finished: ok */
	CV_ORG_EV_TICK,        /* time passed */
};

struct cv_org_event {
	enum cv_org_event_kind kind;
	int64_t now_ms; /* monotonic */
	union {
		struct cv_flow_person person; /* OPEN, PICK */
		int digit;                    /* DIGIT */
		bool ok;                      /* PIN_CHECKED, DONE */
		enum cv_org_item item;        /* ITEM */
		struct cv_flow_tap tap;       /* TAP */
		char text[8];                 /* TEXT: one character, UTF-8 */
		int zone;                     /* ZONE */
	} u;
};

enum cv_org_effect_kind {
	CV_ORG_FX_VERIFY_PIN, /* check pin against the hash; answer with PIN_CHECKED */
	CV_ORG_FX_SEARCH,     /* search the roster for query; results are the caller's */
	CV_ORG_FX_BIND,       /* bind uid to person; answer with DONE */
	CV_ORG_FX_UNBIND,     /* uid: answer with DONE */
	CV_ORG_FX_REVOKE,     /* uid: answer with DONE */
	CV_ORG_FX_SET_ZONE,   /* zone: answer with DONE */
	CV_ORG_FX_SYNC,       /* start a sync: answer with DONE */
	CV_ORG_FX_EXPORT,     /* export to removable storage: answer with DONE */
	CV_ORG_FX_CLOSED,     /* organiser mode ended: the kiosk flow has the screen again */
	CV_ORG_FX_PASS_TAP,   /* hand tap to the kiosk flow (after CLOSED) */
};

struct cv_org_effect {
	enum cv_org_effect_kind kind;
	char text[CV_ORG_QUERY_MAX]; /* VERIFY_PIN: the PIN; SEARCH: the query */
	char uid[CV_UID_HEX_MAX];    /* BIND, UNBIND, REVOKE */
	int64_t person;              /* BIND */
	int zone;                    /* SET_ZONE */
	struct cv_flow_tap tap;      /* PASS_TAP */
};

#define CV_ORG_EFFECTS_MAX 3

struct cv_org_effects {
	int count;
	struct cv_org_effect fx[CV_ORG_EFFECTS_MAX];
};

struct cv_org_state {
	enum cv_org_screen screen;
	int64_t touched_ms;              /* the last input (or entry): the timeout runs from it */
	int64_t deadline_ms;             /* 0 at OFF; else when it closes (or a notice ends) */
	struct cv_flow_person organizer; /* who opened it */
	char pin[CV_ORG_PIN_MAX + 1];    /* digits typed so far; cleared once checked */
	int pin_len;
	bool pin_wrong;               /* the last PIN was wrong: the keypad says so */
	int failures;                 /* wrong PINs in a row; kept while closed */
	int64_t locked_until_ms;      /* 0, or the keypad is locked until then; kept while closed */
	char query[CV_ORG_QUERY_MAX]; /* SEARCH: the text typed */
	struct cv_flow_tap badge;     /* ENROL..BADGE: the badge tapped */
	enum cv_org_notice notice;
	bool notice_ok;
	enum cv_org_screen notice_return; /* where a notice goes when it ends */
	enum cv_org_notice pending;       /* the action a WORKING notice waits for */
};

void cv_org_init(struct cv_org_state *state);

/* True while organiser mode has the screen. */
bool cv_org_active(const struct cv_org_state *state);

/* True when the keypad refuses digits at now (five wrong PINs). */
bool cv_org_locked(const struct cv_org_state *state, int64_t now_ms);

/* Applies one event; the timeout (or a notice's end) is applied first. out
 * is always reset. Returns true when anything drawn changed. Pure; one thread. */
bool cv_org_step(struct cv_org_state *state, const struct cv_org_params *params,
                 const struct cv_org_event *ev, struct cv_org_effects *out);

/* The invariants: NULL when they hold, else a static text naming the one broken. */
const char *cv_org_check(const struct cv_org_state *state, const struct cv_org_params *params);

/* Lower-case screen name ("pin", "menu", ...), "invalid" out of range. */
const char *cv_org_screen_name(enum cv_org_screen screen);

#endif
