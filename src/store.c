/* The SQLite store adapter: one connection per handle, the tap path with
 * its check-in, encounters and answers, the roster import, status counts
 * and the walkers the exports read. SQLite's codes stop here. The schema and
 * its migrations live in store_schema.c; docs/store.md describes both. */
#include "cv_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cv_error.h"
#include "cv_log.h"
#include "store_internal.h"

#define CV_LOG_TAG "store"

/* Several connections share the file (the recorder's writer, the
 * durability thread, a CLI status): a writer waits this long for another
 * writer's transaction before giving up with CV_EBUSY. */
#define STORE_BUSY_TIMEOUT_MS 5000
/* Once a checkpoint has copied the WAL back, the next writer restarts it
 * from the beginning; this truncates it then, so a long day of taps does not
 * leave a large file behind. */
#define STORE_WAL_SIZE_LIMIT (4 * 1024 * 1024)

/* Statements kept prepared on the handle for the whole connection. */
enum store_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_NEXT_SEQ,
	ST_BADGE_PERSON,
	ST_PERSON_BY_EXTERNAL_ID,
	ST_INSERT_TAP,
	ST_CHECKIN_EXISTS,
	ST_INSERT_CHECKIN,
	ST_INSERT_ENCOUNTER,
	ST_FIND_ENCOUNTER,
	ST_INSERT_ANSWER,
	ST_IMPORT_BY_EXTERNAL_ID,
	ST_IMPORT_BY_EMAIL,
	ST_IMPORT_BY_NAME,
	ST_INSERT_PERSON,
	ST_UPDATE_PERSON,
	ST_BADGE_GET,
	ST_BADGE_DELETE,
	ST_BADGE_INSERT,
	ST_COUNT
};

#define PERSON_COLUMNS "id, external_id, name, organization, role, email"
#define CLOCK_COLUMNS "boot_id, mono_ms, wall_ms, wall_trusted"

/* clang-format off */
static const char *const store_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_NEXT_SEQ] = "INSERT INTO sequences (kiosk_id, last_seq) VALUES (?1, 1) "
			"ON CONFLICT (kiosk_id) DO UPDATE SET last_seq = last_seq + 1 "
			"RETURNING last_seq",
	[ST_BADGE_PERSON] = "SELECT p.id, p.name, p.organization, p.role, b.revoked_wall_ms, "
			    "p.consent, coalesce(p.show_name, 0) "
			    "FROM badges b JOIN people p ON p.id = b.person_id WHERE b.uid = ?1",
	[ST_PERSON_BY_EXTERNAL_ID] = "SELECT id, name, organization, role, NULL, consent, "
				     "coalesce(show_name, 0) FROM people WHERE external_id = ?1",
	[ST_INSERT_TAP] = "INSERT INTO taps (kiosk_id, seq, uid, ndef_id, person_id, zone, "
			  CLOCK_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_CHECKIN_EXISTS] = "SELECT 1 FROM checkins WHERE person_id = ?1 AND zone = ?2 "
			      "AND day = ?3 LIMIT 1",
	[ST_INSERT_CHECKIN] = "INSERT INTO checkins (kiosk_id, seq, person_id, zone, day, tap_seq, "
			      CLOCK_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_INSERT_ENCOUNTER] = "INSERT INTO encounters (kiosk_id, seq, person_a, person_b, "
				"a_tap_seq, b_tap_seq, answer, zone, " CLOCK_COLUMNS ") "
				"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[ST_FIND_ENCOUNTER] = "SELECT seq FROM encounters WHERE kiosk_id = ?1 AND b_tap_seq = ?2 "
			      "ORDER BY seq DESC LIMIT 1",
	[ST_INSERT_ANSWER] = "INSERT INTO answers (kiosk_id, seq, encounter_seq, answer, "
			     CLOCK_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/* The import's keys, strongest first. A weaker key never matches a
	 * person whose stronger key says it is someone else. */
	[ST_IMPORT_BY_EXTERNAL_ID] = "SELECT " PERSON_COLUMNS " FROM people WHERE external_id = ?1",
	[ST_IMPORT_BY_EMAIL] = "SELECT " PERSON_COLUMNS " FROM people "
			       "WHERE email = ?1 COLLATE NOCASE "
			       "AND (?2 IS NULL OR external_id IS NULL) ORDER BY id LIMIT 1",
	[ST_IMPORT_BY_NAME] = "SELECT " PERSON_COLUMNS " FROM people "
			      "WHERE name = ?1 AND organization = ?2 "
			      "AND (?3 IS NULL OR external_id IS NULL) "
			      "AND (?4 IS NULL OR email IS NULL) ORDER BY id LIMIT 1",
	[ST_INSERT_PERSON] = "INSERT INTO people (external_id, name, organization, role, email, "
			     "created_wall_ms, updated_wall_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
	[ST_UPDATE_PERSON] = "UPDATE people SET external_id = ?2, name = ?3, organization = ?4, "
			     "role = ?5, email = ?6, updated_wall_ms = ?7 WHERE id = ?1",
	[ST_BADGE_GET] = "SELECT b.person_id, b.revoked_wall_ms, p.name FROM badges b "
			 "JOIN people p ON p.id = b.person_id WHERE b.uid = ?1",
	[ST_BADGE_DELETE] = "DELETE FROM badges WHERE uid = ?1",
	[ST_BADGE_INSERT] = "INSERT INTO badges (uid, person_id, bound_wall_ms) VALUES (?1, ?2, ?3)",
};
/* clang-format on */

struct cv_store {
	sqlite3 *db;
	char *path;
	char kiosk_id[CV_ID_MAX];
	bool dir_synced;              /* the directory entry of the WAL has been made durable */
	sqlite3_stmt *stmt[ST_COUNT]; /* prepared on first use */
};

/* Copies text into a fixed buffer, cutting at a character boundary so a
 * long UTF-8 name never ends in half a character. */
static void copy_text(char *dst, size_t size, const unsigned char *src)
{
	if (!src)
		src = (const unsigned char *)"";
	size_t n = strlen((const char *)src);
	if (n >= size) {
		n = size - 1;
		while (n > 0 && (src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Roles are stored as text (readable in the database and its exports); the
 * schema's CHECK keeps them to these three. */
static const char *role_text(enum cv_role role)
{
	switch (role) {
	case CV_ROLE_ORGANIZER: return "organizer";
	case CV_ROLE_STAFF: return "staff";
	case CV_ROLE_ATTENDEE: break;
	}
	return "attendee";
}

static enum cv_role role_from_text(const unsigned char *text)
{
	if (text && strcmp((const char *)text, "organizer") == 0)
		return CV_ROLE_ORGANIZER;
	if (text && strcmp((const char *)text, "staff") == 0)
		return CV_ROLE_STAFF;
	return CV_ROLE_ATTENDEE;
}

static int store_stmt(struct cv_store *s, enum store_stmt id, sqlite3_stmt **out)
{
	if (!s->stmt[id]) {
		int rc = sqlite3_prepare_v3(s->db, store_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
		                            &s->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			*out = NULL;
			return cv_store_sqlite_error(s->db, rc, "preparing a statement");
		}
	}
	*out = s->stmt[id];
	return 0;
}

static void stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Binding helpers keep the first failure in *rc so a run of binds is
 * checked once. */
static void bind_text(sqlite3_stmt *st, int i, const char *v, int *rc)
{
	if (*rc == SQLITE_OK)
		*rc = v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT)
		        : sqlite3_bind_null(st, i);
}

static void bind_int(sqlite3_stmt *st, int i, int64_t v, int *rc)
{
	if (*rc == SQLITE_OK)
		*rc = sqlite3_bind_int64(st, i, v);
}

static void bind_null(sqlite3_stmt *st, int i, int *rc)
{
	if (*rc == SQLITE_OK)
		*rc = sqlite3_bind_null(st, i);
}

static void bind_stamp(sqlite3_stmt *st, int first, const struct cv_stamp *stamp, int *rc)
{
	bind_text(st, first, stamp->boot_id, rc);
	bind_int(st, first + 1, stamp->mono_ms, rc);
	bind_int(st, first + 2, stamp->wall_ms, rc);
	bind_int(st, first + 3, stamp->wall_trusted ? 1 : 0, rc);
}

/* Steps a statement that returns no row, then resets it. */
static int stmt_run(struct cv_store *s, sqlite3_stmt *st, int bind_rc, const char *what)
{
	int rc = bind_rc == SQLITE_OK ? sqlite3_step(st) : bind_rc;
	stmt_done(st);
	if (rc != SQLITE_DONE && rc != SQLITE_OK)
		return cv_store_sqlite_error(s->db, rc, what);
	return 0;
}

/* Steps a statement once: 1 with a row to read (the caller resets), 0 for
 * none (reset here), or a CV_E* code. */
static int stmt_row(struct cv_store *s, sqlite3_stmt *st, int bind_rc, const char *what)
{
	int rc = bind_rc == SQLITE_OK ? sqlite3_step(st) : bind_rc;
	if (rc == SQLITE_ROW)
		return 1;
	stmt_done(st);
	if (rc == SQLITE_DONE)
		return 0;
	return cv_store_sqlite_error(s->db, rc, what);
}

static int tx_begin(struct cv_store *s)
{
	sqlite3_stmt *st;
	int cv = store_stmt(s, ST_BEGIN, &st);
	return cv < 0 ? cv : stmt_run(s, st, SQLITE_OK, "starting a transaction");
}

static int tx_commit(struct cv_store *s)
{
	sqlite3_stmt *st;
	int cv = store_stmt(s, ST_COMMIT, &st);
	return cv < 0 ? cv : stmt_run(s, st, SQLITE_OK, "committing");
}

/* Some errors (a full disk, for one) roll the transaction back already. */
static void tx_rollback(struct cv_store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return;
	sqlite3_stmt *st;
	if (store_stmt(s, ST_ROLLBACK, &st) == 0 && stmt_run(s, st, SQLITE_OK, "rolling back") == 0)
		return;
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Allocates the next sequence number of this kiosk; inside the caller's
 * transaction, so a rolled-back record gives its number back. */
static int next_seq(struct cv_store *s, int64_t *seq)
{
	sqlite3_stmt *st;
	*seq = 0;
	int cv = store_stmt(s, ST_NEXT_SEQ, &st);
	if (cv < 0)
		return cv;
	int rc = SQLITE_OK;
	bind_text(st, 1, s->kiosk_id, &rc);
	cv = stmt_row(s, st, rc, "allocating a sequence number");
	if (cv < 0)
		return cv;
	if (cv == 0)
		return CV_ESTORE;
	*seq = sqlite3_column_int64(st, 0);
	/* RETURNING finishes its write only when stepped to the end. */
	rc = sqlite3_step(st);
	stmt_done(st);
	if (rc != SQLITE_DONE)
		return cv_store_sqlite_error(s->db, rc, "allocating a sequence number");
	return 0;
}

static int apply_pragmas(struct cv_store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		cv_error_format(err, errlen, "cannot open %s: %s", s->path, sqlite3_errmsg(s->db));
		int cv = cv_store_sqlite_error(s->db, rc, "switching to WAL");
		sqlite3_finalize(st);
		return cv;
	}
	const char *mode = (const char *)sqlite3_column_text(st, 0);
	bool wal = mode && strcmp(mode, "wal") == 0;
	sqlite3_finalize(st);
	if (!wal) {
		/* Without WAL a crash between commit and sync could lose taps and
		 * every reader would block the writer: refuse rather than limp. */
		cv_error_format(err, errlen, "cannot open %s: WAL mode is not available there",
		                s->path);
		cv_log_error("%s: journal mode stays %s", s->path, mode ? mode : "(none)");
		return CV_ESTORE;
	}
	/* synchronous=NORMAL: a commit appends to the WAL without fsync, so a
	 * tap costs no flash write wait; cv_store_make_durable syncs the WAL
	 * every second. Checkpoints (which do fsync) run only from there,
	 * never from a committing tap. */
	static const char pragmas[] = "PRAGMA foreign_keys = ON;"
	                              "PRAGMA synchronous = NORMAL;"
	                              "PRAGMA wal_autocheckpoint = 0;";
	char limit[64];
	snprintf(limit, sizeof limit, "PRAGMA journal_size_limit = %d", STORE_WAL_SIZE_LIMIT);
	rc = sqlite3_exec(s->db, pragmas, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, limit, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		cv_error_format(err, errlen, "cannot configure %s: %s", s->path,
		                sqlite3_errmsg(s->db));
		return cv_store_sqlite_error(s->db, rc, "configuring the connection");
	}
	return 0;
}

int cv_store_open_at_version(const char *path, const char *kiosk_id, int target,
                             struct cv_store **out, char *err, size_t errlen)
{
	struct cv_store *s = NULL;
	int cv;

	if (out)
		*out = NULL;
	cv_error_format(err, errlen, "%s", "");
	if (!path || !*path || !kiosk_id || !*kiosk_id || !out) {
		cv_error_format(err, errlen, "a store needs a path and a kiosk id");
		return CV_EINVAL;
	}
	if (strlen(kiosk_id) >= CV_ID_MAX) {
		cv_error_format(err, errlen, "kiosk id is longer than %d bytes", CV_ID_MAX - 1);
		return CV_EINVAL;
	}
	s = calloc(1, sizeof *s);
	if (!s)
		return CV_ENOMEM;
	s->path = strdup(path);
	if (!s->path) {
		cv = CV_ENOMEM;
		goto fail;
	}
	memcpy(s->kiosk_id, kiosk_id, strlen(kiosk_id) + 1);

	/* NOMUTEX: a handle belongs to the thread that opened it. */
	int rc = sqlite3_open_v2(
	    path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		cv_error_format(err, errlen, "cannot open %s: %s", path,
		                s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		cv = cv_store_sqlite_error(s->db, rc, "opening the database");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	cv = apply_pragmas(s, err, errlen);
	if (cv < 0)
		goto fail;

	int version;
	cv = cv_store_schema_migrate(s->db, target, &version, err, errlen);
	if (cv < 0)
		goto fail;
	*out = s;
	return 0;

fail:
	cv_store_close(s);
	return cv;
}

int cv_store_open(const char *path, const char *kiosk_id, struct cv_store **out, char *err,
                  size_t errlen)
{
	return cv_store_open_at_version(path, kiosk_id, CV_STORE_SCHEMA_VERSION, out, err, errlen);
}

void cv_store_close(struct cv_store *store)
{
	if (!store)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(store->stmt[i]);
	if (store->db && sqlite3_close(store->db) != SQLITE_OK)
		cv_log_error("closing %s: %s", store->path, sqlite3_errmsg(store->db));
	free(store->path);
	free(store);
}

int cv_store_schema_version(struct cv_store *store, int *out)
{
	if (!store || !out) {
		if (out)
			*out = -1;
		return CV_EINVAL;
	}
	return cv_store_schema_read_version(store->db, out);
}

int cv_store_exec(struct cv_store *store, const char *sql)
{
	if (!store || !sql)
		return CV_EINVAL;
	int rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : cv_store_sqlite_error(store->db, rc, "running SQL");
}

const char *cv_store_path(const struct cv_store *store)
{
	return store ? store->path : NULL;
}

/* ---- the tap path ---- */

static void person_from_row(sqlite3_stmt *st, struct cv_flow_person *p)
{
	p->id = sqlite3_column_int64(st, 0);
	copy_text(p->name, sizeof p->name, sqlite3_column_text(st, 1));
	copy_text(p->organization, sizeof p->organization, sqlite3_column_text(st, 2));
	p->role = role_from_text(sqlite3_column_text(st, 3));
	/* the flow knows at the tap what the person agreed to */
	p->consent = cv_consent_from_name((const char *)sqlite3_column_text(st, 5));
	p->show_name = sqlite3_column_int(st, 6) != 0;
}

/* An active badge names its person. A revoked one names nobody, not even
 * through its NDEF id: revocation is for lost badges, and a lost badge must
 * not check its finder in. A UID never bound falls back to the NDEF id. */
static int resolve_person(struct cv_store *s, const char *uid, const char *ndef_id,
                          struct cv_flow_person *p, bool *known)
{
	sqlite3_stmt *st;
	*known = false;
	memset(p, 0, sizeof *p);
	int cv = store_stmt(s, ST_BADGE_PERSON, &st);
	if (cv < 0)
		return cv;
	int rc = SQLITE_OK;
	bind_text(st, 1, uid, &rc);
	cv = stmt_row(s, st, rc, "looking up a badge");
	if (cv < 0)
		return cv;
	if (cv == 1) {
		if (sqlite3_column_type(st, 4) == SQLITE_NULL) {
			person_from_row(st, p);
			*known = true;
		}
		stmt_done(st);
		return 0;
	}
	if (!ndef_id || !*ndef_id)
		return 0;
	cv = store_stmt(s, ST_PERSON_BY_EXTERNAL_ID, &st);
	if (cv < 0)
		return cv;
	rc = SQLITE_OK;
	bind_text(st, 1, ndef_id, &rc);
	cv = stmt_row(s, st, rc, "looking up an attendee id");
	if (cv < 0)
		return cv;
	if (cv == 1) {
		person_from_row(st, p);
		*known = true;
		stmt_done(st);
	}
	return 0;
}

static int insert_checkin_once(struct cv_store *s, int64_t person_id, const char *zone,
                               int64_t tap_seq, const struct cv_stamp *stamp, bool *inserted)
{
	sqlite3_stmt *st;
	char day[11];
	*inserted = false;
	cv_clock_local_date(stamp->wall_ms, day);

	int cv = store_stmt(s, ST_CHECKIN_EXISTS, &st);
	if (cv < 0)
		return cv;
	int rc = SQLITE_OK;
	bind_int(st, 1, person_id, &rc);
	bind_text(st, 2, zone, &rc);
	bind_text(st, 3, day, &rc);
	cv = stmt_row(s, st, rc, "looking up a check-in");
	if (cv < 0)
		return cv;
	if (cv == 1) {
		stmt_done(st);
		return 0;
	}
	int64_t seq;
	cv = next_seq(s, &seq);
	if (cv < 0)
		return cv;
	cv = store_stmt(s, ST_INSERT_CHECKIN, &st);
	if (cv < 0)
		return cv;
	rc = SQLITE_OK;
	bind_text(st, 1, s->kiosk_id, &rc);
	bind_int(st, 2, seq, &rc);
	bind_int(st, 3, person_id, &rc);
	bind_text(st, 4, zone, &rc);
	bind_text(st, 5, day, &rc);
	bind_int(st, 6, tap_seq, &rc);
	bind_stamp(st, 7, stamp, &rc);
	cv = stmt_run(s, st, rc, "recording a check-in");
	if (cv < 0)
		return cv;
	*inserted = true;
	return 0;
}

int cv_store_record_tap(struct cv_store *store, const char *uid_hex, const char *ndef_id,
                        const char *zone, const struct cv_stamp *stamp, struct cv_tap_result *out)
{
	struct cv_tap_result r = {0};
	sqlite3_stmt *st;
	int64_t seq;
	int cv;

	if (out)
		memset(out, 0, sizeof *out);
	if (!store || !uid_hex || !*uid_hex || !zone || !stamp || !out)
		return CV_EINVAL;

	cv = tx_begin(store);
	if (cv < 0)
		return cv;
	cv = next_seq(store, &seq);
	if (cv < 0)
		goto fail;
	cv = resolve_person(store, uid_hex, ndef_id, &r.person, &r.known);
	if (cv < 0)
		goto fail;

	cv = store_stmt(store, ST_INSERT_TAP, &st);
	if (cv < 0)
		goto fail;
	int rc = SQLITE_OK;
	bind_text(st, 1, store->kiosk_id, &rc);
	bind_int(st, 2, seq, &rc);
	bind_text(st, 3, uid_hex, &rc);
	bind_text(st, 4, ndef_id && *ndef_id ? ndef_id : NULL, &rc);
	if (r.known)
		bind_int(st, 5, r.person.id, &rc);
	else
		bind_null(st, 5, &rc);
	bind_text(st, 6, zone, &rc);
	bind_stamp(st, 7, stamp, &rc);
	cv = stmt_run(store, st, rc, "recording a tap");
	if (cv < 0)
		goto fail;

	if (r.known) {
		cv = insert_checkin_once(store, r.person.id, zone, seq, stamp, &r.checked_in_now);
		if (cv < 0)
			goto fail;
	}
	cv = tx_commit(store);
	if (cv < 0)
		goto fail;
	r.tap_seq = seq;
	*out = r;
	return 0;

fail:
	tx_rollback(store);
	return cv;
}

int cv_store_record_encounter(struct cv_store *store, int64_t person_a, int64_t person_b,
                              int64_t a_tap_seq, int64_t b_tap_seq, const char *answer,
                              const char *zone, const struct cv_stamp *stamp, int64_t *seq_out)
{
	sqlite3_stmt *st;
	int64_t seq;

	if (seq_out)
		*seq_out = 0;
	if (!store || person_a <= 0 || person_b <= 0 || !zone || !stamp || !seq_out)
		return CV_EINVAL;
	int cv = tx_begin(store);
	if (cv < 0)
		return cv;
	cv = next_seq(store, &seq);
	if (cv < 0)
		goto fail;
	cv = store_stmt(store, ST_INSERT_ENCOUNTER, &st);
	if (cv < 0)
		goto fail;
	int rc = SQLITE_OK;
	bind_text(st, 1, store->kiosk_id, &rc);
	bind_int(st, 2, seq, &rc);
	/* Kept in tap order, not normalised: who tapped first may matter to
	 * the trust metrics (reciprocity). */
	bind_int(st, 3, person_a, &rc);
	bind_int(st, 4, person_b, &rc);
	bind_int(st, 5, a_tap_seq, &rc);
	bind_int(st, 6, b_tap_seq, &rc);
	bind_text(st, 7, answer, &rc);
	bind_text(st, 8, zone, &rc);
	bind_stamp(st, 9, stamp, &rc);
	cv = stmt_run(store, st, rc, "recording an encounter");
	if (cv < 0)
		goto fail;
	cv = tx_commit(store);
	if (cv < 0)
		goto fail;
	*seq_out = seq;
	return 0;

fail:
	tx_rollback(store);
	return cv;
}

int cv_store_record_answer(struct cv_store *store, int64_t b_tap_seq, const char *answer,
                           const struct cv_stamp *stamp)
{
	sqlite3_stmt *st;
	int64_t seq, encounter_seq;

	if (!store || !answer || !stamp)
		return CV_EINVAL;
	int cv = tx_begin(store);
	if (cv < 0)
		return cv;
	cv = store_stmt(store, ST_FIND_ENCOUNTER, &st);
	if (cv < 0)
		goto fail;
	int rc = SQLITE_OK;
	bind_text(st, 1, store->kiosk_id, &rc);
	bind_int(st, 2, b_tap_seq, &rc);
	cv = stmt_row(store, st, rc, "looking up an encounter");
	if (cv < 0)
		goto fail;
	if (cv == 0) {
		cv = CV_ENOTFOUND;
		goto fail;
	}
	encounter_seq = sqlite3_column_int64(st, 0);
	stmt_done(st);

	cv = next_seq(store, &seq);
	if (cv < 0)
		goto fail;
	cv = store_stmt(store, ST_INSERT_ANSWER, &st);
	if (cv < 0)
		goto fail;
	rc = SQLITE_OK;
	bind_text(st, 1, store->kiosk_id, &rc);
	bind_int(st, 2, seq, &rc);
	bind_int(st, 3, encounter_seq, &rc);
	bind_text(st, 4, answer, &rc);
	bind_stamp(st, 5, stamp, &rc);
	cv = stmt_run(store, st, rc, "recording an answer");
	if (cv < 0)
		goto fail;
	cv = tx_commit(store);
	if (cv < 0)
		goto fail;
	return 0;

fail:
	tx_rollback(store);
	return cv;
}

/* ---- roster import ---- */

static bool same_text(const unsigned char *stored, const char *wanted)
{
	if (!stored || !wanted)
		return !stored && !wanted;
	return strcmp((const char *)stored, wanted) == 0;
}

/* Finds the person a roster row describes, strongest key first. Returns 1
 * with the row of st to read (the caller resets), 0 for nobody, or a CV_E*
 * code. */
static int import_find(struct cv_store *s, const struct cv_roster_row *row, sqlite3_stmt **found)
{
	sqlite3_stmt *st;
	int cv, rc;

	*found = NULL;
	if (row->external_id) {
		if ((cv = store_stmt(s, ST_IMPORT_BY_EXTERNAL_ID, &st)) < 0)
			return cv;
		rc = SQLITE_OK;
		bind_text(st, 1, row->external_id, &rc);
		if ((cv = stmt_row(s, st, rc, "looking up a person")) != 0)
			goto out;
	}
	if (row->email) {
		if ((cv = store_stmt(s, ST_IMPORT_BY_EMAIL, &st)) < 0)
			return cv;
		rc = SQLITE_OK;
		bind_text(st, 1, row->email, &rc);
		bind_text(st, 2, row->external_id, &rc);
		if ((cv = stmt_row(s, st, rc, "looking up a person")) != 0)
			goto out;
	}
	if ((cv = store_stmt(s, ST_IMPORT_BY_NAME, &st)) < 0)
		return cv;
	rc = SQLITE_OK;
	bind_text(st, 1, row->name, &rc);
	bind_text(st, 2, row->organization ? row->organization : "", &rc);
	bind_text(st, 3, row->external_id, &rc);
	bind_text(st, 4, row->email, &rc);
	cv = stmt_row(s, st, rc, "looking up a person");
out:
	if (cv == 1)
		*found = st;
	return cv;
}

/* Adds or updates the person of row; *person_id is theirs afterwards. The
 * two identity keys (external id, email) are never cleared by a row that
 * leaves them empty: a roster without them still describes the same
 * people. */
static int import_person(struct cv_store *s, const struct cv_roster_row *row,
                         const struct cv_stamp *stamp, struct cv_import_stats *stats,
                         int64_t *person_id)
{
	sqlite3_stmt *found, *st;
	const char *org = row->organization ? row->organization : "";
	const char *role = role_text(row->role);
	int rc = SQLITE_OK;

	int cv = import_find(s, row, &found);
	if (cv < 0)
		return cv;
	if (cv == 0) {
		if ((cv = store_stmt(s, ST_INSERT_PERSON, &st)) < 0)
			return cv;
		bind_text(st, 1, row->external_id, &rc);
		bind_text(st, 2, row->name, &rc);
		bind_text(st, 3, org, &rc);
		bind_text(st, 4, role, &rc);
		bind_text(st, 5, row->email, &rc);
		bind_int(st, 6, stamp->wall_ms, &rc);
		if ((cv = stmt_run(s, st, rc, "adding a person")) < 0)
			return cv;
		*person_id = sqlite3_last_insert_rowid(s->db);
		stats->added++;
		return 0;
	}

	*person_id = sqlite3_column_int64(found, 0);
	const unsigned char *old_ext = sqlite3_column_text(found, 1);
	const unsigned char *old_email = sqlite3_column_text(found, 5);
	bool keep_ext = !row->external_id, keep_email = !row->email;
	bool same = (keep_ext || same_text(old_ext, row->external_id)) &&
	            same_text(sqlite3_column_text(found, 2), row->name) &&
	            same_text(sqlite3_column_text(found, 3), org) &&
	            same_text(sqlite3_column_text(found, 4), role) &&
	            (keep_email || same_text(old_email, row->email));
	if (same) {
		stmt_done(found);
		stats->unchanged++;
		return 0;
	}
	if ((cv = store_stmt(s, ST_UPDATE_PERSON, &st)) < 0) {
		stmt_done(found);
		return cv;
	}
	bind_int(st, 1, *person_id, &rc);
	/* Bound before found is reset: its texts are valid until then. */
	bind_text(st, 2, keep_ext ? (const char *)old_ext : row->external_id, &rc);
	bind_text(st, 3, row->name, &rc);
	bind_text(st, 4, org, &rc);
	bind_text(st, 5, role, &rc);
	bind_text(st, 6, keep_email ? (const char *)old_email : row->email, &rc);
	bind_int(st, 7, stamp->wall_ms, &rc);
	stmt_done(found);
	if ((cv = stmt_run(s, st, rc, "updating a person")) < 0)
		return cv;
	stats->updated++;
	return 0;
}

/* Binds row's badge to person_id. A badge bound to someone else is a
 * conflict the organiser must settle; a revoked badge stays revoked for
 * its old owner (re-importing must not undo a revocation) but may go to a
 * new one (a recycled badge). */
static int import_badge(struct cv_store *s, const struct cv_roster_row *row, int64_t person_id,
                        const struct cv_stamp *stamp, struct cv_import_stats *stats, char *err,
                        size_t errlen)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;
	int cv = store_stmt(s, ST_BADGE_GET, &st);
	if (cv < 0)
		return cv;
	bind_text(st, 1, row->badge_uid, &rc);
	cv = stmt_row(s, st, rc, "looking up a badge");
	if (cv < 0)
		return cv;
	if (cv == 1) {
		int64_t owner = sqlite3_column_int64(st, 0);
		bool revoked = sqlite3_column_type(st, 1) != SQLITE_NULL;
		if (owner == person_id) {
			stmt_done(st);
			return 0;
		}
		if (!revoked) {
			cv_error_format(err, errlen, "line %zu: badge %s is already bound to %s",
			                row->line, row->badge_uid, col_text(st, 2));
			stmt_done(st);
			return CV_EEXIST;
		}
		stmt_done(st);
		/* Delete and insert, so the badge moves to the end of the binding
		 * order like any new binding. */
		if ((cv = store_stmt(s, ST_BADGE_DELETE, &st)) < 0)
			return cv;
		rc = SQLITE_OK;
		bind_text(st, 1, row->badge_uid, &rc);
		if ((cv = stmt_run(s, st, rc, "rebinding a badge")) < 0)
			return cv;
	}
	if ((cv = store_stmt(s, ST_BADGE_INSERT, &st)) < 0)
		return cv;
	rc = SQLITE_OK;
	bind_text(st, 1, row->badge_uid, &rc);
	bind_int(st, 2, person_id, &rc);
	bind_int(st, 3, stamp->wall_ms, &rc);
	if ((cv = stmt_run(s, st, rc, "binding a badge")) < 0)
		return cv;
	stats->badges_bound++;
	return 0;
}

int cv_store_import_roster(struct cv_store *store, const struct cv_roster *roster,
                           const struct cv_stamp *stamp, struct cv_import_stats *stats, char *err,
                           size_t errlen)
{
	struct cv_import_stats st = {0};
	int cv;

	if (stats)
		memset(stats, 0, sizeof *stats);
	cv_error_format(err, errlen, "%s", "");
	if (!store || !roster || !stamp || !stats || (roster->count > 0 && !roster->rows))
		return CV_EINVAL;

	cv = tx_begin(store);
	if (cv < 0) {
		cv_error_format(err, errlen, "cannot lock the store: %s", cv_strerror(cv));
		return cv;
	}
	for (size_t i = 0; i < roster->count; i++) {
		const struct cv_roster_row *row = &roster->rows[i];
		int64_t person_id;
		if (!row->name || !*row->name) {
			cv_error_format(err, errlen, "line %zu: a person needs a name", row->line);
			cv = CV_EINVAL;
			goto fail;
		}
		int64_t unchanged = st.unchanged;
		bool consent_changed = false;
		cv = import_person(store, row, stamp, &st, &person_id);
		if (cv == 0)
			cv = cv_store_people_import_consent(store, person_id, row->consent,
			                                    row->show_name, stamp->wall_ms,
			                                    &consent_changed);
		if (cv < 0) {
			cv_error_format(err, errlen, "line %zu: %s", row->line, cv_strerror(cv));
			goto fail;
		}
		if (consent_changed && st.unchanged > unchanged) {
			st.unchanged--;
			st.updated++;
		}
		if (row->badge_uid[0]) {
			cv = import_badge(store, row, person_id, stamp, &st, err, errlen);
			if (cv < 0) {
				if (cv != CV_EEXIST)
					cv_error_format(err, errlen, "line %zu: %s", row->line,
					                cv_strerror(cv));
				goto fail;
			}
		}
	}
	cv = tx_commit(store);
	if (cv < 0) {
		cv_error_format(err, errlen, "cannot commit the import: %s", cv_strerror(cv));
		goto fail;
	}
	*stats = st;
	cv_log_info("roster imported: %lld added, %lld updated, %lld unchanged, %lld badges bound",
	            (long long)st.added, (long long)st.updated, (long long)st.unchanged,
	            (long long)st.badges_bound);
	return 0;

fail:
	tx_rollback(store);
	return cv;
}

/* ---- status and walkers ---- */

int cv_store_status(struct cv_store *store, const char *today, struct cv_store_status *out)
{
	/* One statement, so every count comes from the same snapshot. */
	static const char sql[] =
	    "WITH acked (s) AS (SELECT COALESCE("
	    "  (SELECT acked_seq FROM sync_state WHERE kiosk_id = ?1), 0)) "
	    "SELECT (SELECT count(*) FROM people),"
	    " (SELECT count(*) FROM badges WHERE revoked_wall_ms IS NULL),"
	    " (SELECT count(DISTINCT person_id) FROM checkins WHERE day = ?2),"
	    " (SELECT count(*) FROM checkins),"
	    " (SELECT count(*) FROM encounters),"
	    " (SELECT count(*) FROM taps),"
	    " (SELECT count(*) FROM taps WHERE kiosk_id = ?1 AND seq > acked.s)"
	    " + (SELECT count(*) FROM checkins WHERE kiosk_id = ?1 AND seq > acked.s)"
	    " + (SELECT count(*) FROM encounters WHERE kiosk_id = ?1 AND seq > acked.s)"
	    " + (SELECT count(*) FROM answers WHERE kiosk_id = ?1 AND seq > acked.s),"
	    " COALESCE((SELECT last_seq FROM sequences WHERE kiosk_id = ?1), 0) "
	    "FROM acked";
	sqlite3_stmt *st = NULL;

	if (out)
		memset(out, 0, sizeof *out);
	if (!store || !today || !out)
		return CV_EINVAL;
	memcpy(out->kiosk_id, store->kiosk_id, sizeof out->kiosk_id);
	int cv = cv_store_schema_read_version(store->db, &out->schema_version);
	if (cv < 0)
		return cv;
	int rc = sqlite3_prepare_v2(store->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		bind_text(st, 1, store->kiosk_id, &rc);
		bind_text(st, 2, today, &rc);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		cv = cv_store_sqlite_error(store->db, rc, "counting for the status");
		sqlite3_finalize(st);
		return cv;
	}
	out->people = sqlite3_column_int64(st, 0);
	out->badges = sqlite3_column_int64(st, 1);
	out->checked_in = sqlite3_column_int64(st, 2);
	out->checkins = sqlite3_column_int64(st, 3);
	out->encounters = sqlite3_column_int64(st, 4);
	out->taps = sqlite3_column_int64(st, 5);
	out->pending_upload = sqlite3_column_int64(st, 6);
	out->last_seq = sqlite3_column_int64(st, 7);
	sqlite3_finalize(st);
	return 0;
}

typedef int (*walk_row_fn)(sqlite3_stmt *st, void *cb, void *ctx);

/* Runs a query and hands each row to row_fn, inside one read transaction
 * (the caller's, when it holds one: the export reads all its files from one
 * snapshot that way). The statement is prepared per walk, so a callback may
 * read through the same handle; it must not write (the walk holds a read
 * transaction). */
static int store_walk(struct cv_store *s, const char *sql, walk_row_fn row_fn, void *cb, void *ctx)
{
	sqlite3_stmt *st = NULL;
	bool own_tx = sqlite3_get_autocommit(s->db) != 0;
	int cv = 0, rc;

	if (own_tx) {
		rc = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return cv_store_sqlite_error(s->db, rc, "starting a read");
	}
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		cv = cv_store_sqlite_error(s->db, rc, "preparing a walk");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cv = row_fn(st, cb, ctx);
		if (cv != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		cv = cv_store_sqlite_error(s->db, rc, "reading rows");
out:
	sqlite3_finalize(st);
	if (own_tx && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	return cv;
}

static void clock_from_row(sqlite3_stmt *st, int first, struct cv_record_clock *c)
{
	c->boot_id = col_text(st, first);
	c->mono_ms = sqlite3_column_int64(st, first + 1);
	c->wall_ms = sqlite3_column_int64(st, first + 2);
	c->wall_trusted = sqlite3_column_int(st, first + 3) != 0;
}

/* A callback travels through store_walk inside one of these, so no
 * function pointer is ever cast to or from void *. */
struct person_walk {
	int (*cb)(const struct cv_person_row *row, void *ctx);
};
struct checkin_walk {
	int (*cb)(const struct cv_checkin_row *row, void *ctx);
};
struct encounter_walk {
	int (*cb)(const struct cv_encounter_row *row, void *ctx);
};

static int person_row(sqlite3_stmt *st, void *walk, void *ctx)
{
	struct cv_person_row row = {
	    .id = sqlite3_column_int64(st, 0),
	    .external_id = col_text(st, 1),
	    .name = col_text(st, 2),
	    .organization = col_text(st, 3),
	    .role = col_text(st, 4),
	    .email = col_text(st, 5),
	    .badges = col_text(st, 6),
	};
	if (!row.badges)
		row.badges = "";
	return ((struct person_walk *)walk)->cb(&row, ctx);
}

int cv_store_foreach_person(struct cv_store *store,
                            int (*cb)(const struct cv_person_row *row, void *ctx), void *ctx)
{
	static const char sql[] =
	    "SELECT p.id, p.external_id, p.name, p.organization, p.role, p.email,"
	    " (SELECT group_concat(uid, ' ') FROM (SELECT uid FROM badges b"
	    "   WHERE b.person_id = p.id AND b.revoked_wall_ms IS NULL ORDER BY b.rowid)) "
	    "FROM people p ORDER BY p.id";
	if (!store || !cb)
		return CV_EINVAL;
	struct person_walk w = {cb};
	return store_walk(store, sql, person_row, &w, ctx);
}

static int checkin_row(sqlite3_stmt *st, void *walk, void *ctx)
{
	struct cv_checkin_row row = {
	    .kiosk_id = col_text(st, 0),
	    .seq = sqlite3_column_int64(st, 1),
	    .person_id = sqlite3_column_int64(st, 2),
	    .person_key = col_text(st, 3),
	    .zone = col_text(st, 4),
	    .day = col_text(st, 5),
	};
	clock_from_row(st, 6, &row.clock);
	return ((struct checkin_walk *)walk)->cb(&row, ctx);
}

int cv_store_foreach_checkin(struct cv_store *store,
                             int (*cb)(const struct cv_checkin_row *row, void *ctx), void *ctx)
{
	static const char sql[] = "SELECT c.kiosk_id, c.seq, c.person_id,"
	                          " COALESCE(p.external_id, CAST(p.id AS TEXT)), c.zone, c.day,"
	                          " c.boot_id, c.mono_ms, c.wall_ms, c.wall_trusted "
	                          "FROM checkins c JOIN people p ON p.id = c.person_id "
	                          "ORDER BY c.kiosk_id, c.seq";
	if (!store || !cb)
		return CV_EINVAL;
	struct checkin_walk w = {cb};
	return store_walk(store, sql, checkin_row, &w, ctx);
}

static int encounter_row(sqlite3_stmt *st, void *walk, void *ctx)
{
	struct cv_encounter_row row = {
	    .kiosk_id = col_text(st, 0),
	    .seq = sqlite3_column_int64(st, 1),
	    .person_a = sqlite3_column_int64(st, 2),
	    .person_b = sqlite3_column_int64(st, 3),
	    .person_a_key = col_text(st, 4),
	    .person_b_key = col_text(st, 5),
	    .zone = col_text(st, 6),
	    .answer = col_text(st, 7),
	};
	clock_from_row(st, 8, &row.clock);
	return ((struct encounter_walk *)walk)->cb(&row, ctx);
}

int cv_store_foreach_encounter(struct cv_store *store,
                               int (*cb)(const struct cv_encounter_row *row, void *ctx), void *ctx)
{
	/* The answer of an encounter is its latest appended answer, else the
	 * one it was recorded with. */
	static const char sql[] =
	    "SELECT e.kiosk_id, e.seq, e.person_a, e.person_b,"
	    " COALESCE(pa.external_id, CAST(pa.id AS TEXT)),"
	    " COALESCE(pb.external_id, CAST(pb.id AS TEXT)), e.zone,"
	    " COALESCE((SELECT a.answer FROM answers a WHERE a.kiosk_id = e.kiosk_id"
	    "   AND a.encounter_seq = e.seq ORDER BY a.seq DESC LIMIT 1), e.answer),"
	    " e.boot_id, e.mono_ms, e.wall_ms, e.wall_trusted "
	    "FROM encounters e JOIN people pa ON pa.id = e.person_a"
	    " JOIN people pb ON pb.id = e.person_b "
	    "ORDER BY e.kiosk_id, e.seq";
	if (!store || !cb)
		return CV_EINVAL;
	struct encounter_walk w = {cb};
	return store_walk(store, sql, encounter_row, &w, ctx);
}

int cv_store_first_badges(struct cv_store *store, char (*uids)[CV_UID_HEX_MAX], int max)
{
	sqlite3_stmt *st = NULL;
	int n = 0, rc;

	if (!store || !uids || max < 0)
		return CV_EINVAL;
	if (max == 0)
		return 0;
	rc = sqlite3_prepare_v2(store->db,
	                        "SELECT uid FROM badges WHERE revoked_wall_ms IS NULL "
	                        "ORDER BY rowid LIMIT ?1",
	                        -1, &st, NULL);
	if (rc == SQLITE_OK)
		bind_int(st, 1, max, &rc);
	if (rc == SQLITE_OK) {
		while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			copy_text(uids[n], CV_UID_HEX_MAX, sqlite3_column_text(st, 0));
			n++;
		}
		if (rc == SQLITE_ROW)
			rc = SQLITE_DONE;
	}
	int cv = n;
	if (rc != SQLITE_DONE)
		cv = cv_store_sqlite_error(store->db, rc, "listing badges");
	sqlite3_finalize(st);
	return cv;
}

/* ---- durability ---- */

static int sync_path(const char *path, int flags, bool data_only)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	int rc = data_only ? fdatasync(fd) : fsync(fd);
	int e = errno;
	close(fd);
	return rc == 0 ? 0 : -e;
}

int cv_store_make_durable(struct cv_store *store)
{
	if (!store)
		return CV_EINVAL;
	size_t len = strlen(store->path);
	char *wal = malloc(len + sizeof "-wal");
	if (!wal)
		return CV_ENOMEM;
	memcpy(wal, store->path, len);
	memcpy(wal + len, "-wal", sizeof "-wal");

	/* Every commit so far is in the WAL; syncing it makes them all
	 * survive a power cut, at the cost of one fdatasync a second. */
	int e = sync_path(wal, O_RDONLY, true);
	free(wal);
	if (e < 0) {
		cv_log_error("syncing the WAL of %s: %s", store->path, strerror(-e));
		return e == -ENOSPC ? CV_EFULL : CV_EIO;
	}
	if (!store->dir_synced) {
		/* The WAL file itself may be new since the directory was last
		 * synced; its entry must survive too. */
		char *dir = strdup(store->path);
		if (!dir)
			return CV_ENOMEM;
		char *slash = strrchr(dir, '/');
		const char *d = dir;
		if (!slash)
			d = ".";
		else if (slash == dir)
			d = "/";
		else
			*slash = '\0';
		e = sync_path(d, O_RDONLY | O_DIRECTORY, false);
		free(dir);
		if (e < 0)
			cv_log_warn("syncing the directory of %s: %s", store->path, strerror(-e));
		else
			store->dir_synced = true;
	}
	/* PASSIVE: copies what it can without waiting for readers or blocking
	 * the writer; the rest waits for the next call. */
	int rc = sqlite3_wal_checkpoint_v2(store->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
		return cv_store_sqlite_error(store->db, rc, "checkpointing");
	return 0;
}

sqlite3 *cv_store_db(struct cv_store *store)
{
	return store->db;
}

const char *cv_store_kiosk_id(const struct cv_store *store)
{
	return store->kiosk_id;
}

int cv_store_next_seq(struct cv_store *store, int64_t *seq)
{
	return next_seq(store, seq);
}
