/* The kiosk's store: one SQLite database in WAL mode, schema versioned by
 * PRAGMA user_version and migrated forward on open. A handle is one
 * connection and belongs to the thread that opened it. Every record (tap,
 * check-in, encounter, answer) carries the kiosk id, a per-kiosk sequence
 * number shared by all record kinds, and the clock stamp. */
#ifndef CV_STORE_H
#define CV_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "cv_clock.h"
#include "cv_flow.h"
#include "cv_roster.h"

#define CV_STORE_SCHEMA_VERSION 8

struct cv_store;

/* Opens (creating it when missing) and migrates the database at path to
 * CV_STORE_SCHEMA_VERSION. kiosk_id names the records this connection
 * writes. Returns 0 and *out, or CV_ESCHEMA (a newer database), CV_ESTORE,
 * CV_EPERM, CV_ENOMEM; err says why. */
int cv_store_open(const char *path, const char *kiosk_id, struct cv_store **out, char *err,
                  size_t errlen);

/* Like cv_store_open but stops migrating at version target (tests build
 * old databases with it). */
int cv_store_open_at_version(const char *path, const char *kiosk_id, int target,
                             struct cv_store **out, char *err, size_t errlen);

void cv_store_close(struct cv_store *store);

int cv_store_schema_version(struct cv_store *store, int *out);

/* Runs one SQL script (tests and migrations). */
int cv_store_exec(struct cv_store *store, const char *sql);

/* What a tap resolved to. */
struct cv_tap_result {
	int64_t tap_seq;
	bool known;          /* an active badge's person, or (UID never bound) the NDEF id's */
	bool checked_in_now; /* first known tap of this person today in this zone */
	struct cv_flow_person person;
};

/* Appends a tap to the raw log and, for a known badge on its first tap of
 * the day (local date of stamp->wall_ms) in zone, a check-in, in one
 * transaction committed before return
 * (the WAL write survives the process dying; durability.c makes it safe
 * against power loss within a second). uid_hex is normalised hex.
 * ndef_id is the attendee id read from the badge, or NULL: it binds
 * nobody by itself but finds the person when the UID is unbound. */
int cv_store_record_tap(struct cv_store *store, const char *uid_hex, const char *ndef_id,
                        const char *zone, const struct cv_stamp *stamp, struct cv_tap_result *out);

/* Records that two people met. answer is the option id, or NULL when it is
 * not known yet. Returns 0 and the encounter's sequence in *seq_out. */
int cv_store_record_encounter(struct cv_store *store, int64_t person_a, int64_t person_b,
                              int64_t a_tap_seq, int64_t b_tap_seq, const char *answer,
                              const char *zone, const struct cv_stamp *stamp, int64_t *seq_out);

/* Appends the answer to the encounter recorded with tap b_tap_seq by this
 * kiosk (the latest answer counts). Returns CV_ENOTFOUND when there is
 * none. */
int cv_store_record_answer(struct cv_store *store, int64_t b_tap_seq, const char *answer,
                           const struct cv_stamp *stamp);

struct cv_import_stats {
	int64_t added;
	int64_t updated;
	int64_t unchanged;
	int64_t badges_bound;
};

/* Imports a parsed roster in one transaction: people keyed on external_id,
 * else email (case-insensitive), else name and organization; badge_uid binds
 * a badge. Re-importing the same roster changes nothing. A badge already
 * bound to someone else fails the whole import with CV_EEXIST and err
 * naming the line. */
int cv_store_import_roster(struct cv_store *store, const struct cv_roster *roster,
                           const struct cv_stamp *stamp, struct cv_import_stats *stats, char *err,
                           size_t errlen);

struct cv_store_status {
	char kiosk_id[CV_ID_MAX];
	int schema_version;
	int64_t people;
	int64_t badges;     /* bound and not revoked */
	int64_t checked_in; /* distinct people checked in on `today` */
	int64_t checkins;
	int64_t encounters;
	int64_t taps;
	int64_t pending_upload; /* records of this kiosk after the acknowledged sequence */
	int64_t last_seq;
};

/* today: "YYYY-MM-DD" local date. */
int cv_store_status(struct cv_store *store, const char *today, struct cv_store_status *out);

/* Rows for exports. Strings are valid only during the callback. */
struct cv_person_row {
	int64_t id;
	const char *external_id; /* NULL when none */
	const char *name;
	const char *organization;
	const char *role;
	const char *email;  /* NULL when none */
	const char *badges; /* space-separated active UIDs, "" when none */
};

struct cv_record_clock {
	const char *boot_id;
	int64_t mono_ms;
	int64_t wall_ms;
	bool wall_trusted;
};

struct cv_checkin_row {
	const char *kiosk_id;
	int64_t seq;
	int64_t person_id;
	const char *person_key; /* external_id, else the internal id as text */
	const char *zone;
	const char *day;
	struct cv_record_clock clock;
};

struct cv_encounter_row {
	const char *kiosk_id;
	int64_t seq;
	int64_t person_a;
	int64_t person_b;
	const char *person_a_key;
	const char *person_b_key;
	const char *zone;
	const char *answer; /* the latest answer, NULL when none */
	struct cv_record_clock clock;
};

/* Each calls cb once per row in (kiosk, sequence) order (people: by id),
 * all from one snapshot; a non-zero return from cb stops the walk and is
 * returned. cb may read through the store but not write to it. */
int cv_store_foreach_person(struct cv_store *store,
                            int (*cb)(const struct cv_person_row *row, void *ctx), void *ctx);
int cv_store_foreach_checkin(struct cv_store *store,
                             int (*cb)(const struct cv_checkin_row *row, void *ctx), void *ctx);
int cv_store_foreach_encounter(struct cv_store *store,
                               int (*cb)(const struct cv_encounter_row *row, void *ctx), void *ctx);

/* The UIDs of up to max active badges, in binding order (the sim reader's
 * keys 1..9 in a window). Returns the number written. */
int cv_store_first_badges(struct cv_store *store, char (*uids)[CV_UID_HEX_MAX], int max);

/* Makes everything committed so far safe against power loss: fdatasync of
 * the WAL, then a passive checkpoint. Called by the durability thread on its
 * own connection, never on the tap path. */
int cv_store_make_durable(struct cv_store *store);

/* The path of the database file (for the WAL's name). */
const char *cv_store_path(const struct cv_store *store);

#endif
