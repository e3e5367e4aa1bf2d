/* The store's schema history: an ordered list of forward migrations, each
 * applied in its own transaction and stamped into PRAGMA user_version, and
 * the translation of SQLite result codes at the store's boundary.
 * docs/store.md describes every table. */
#include "store_schema.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cv_error.h"
#include "cv_log.h"
#include "cv_store.h"

#define CV_LOG_TAG "store"

struct schema_step {
	int version; /* the user_version once this step is applied */
	const char *summary;
	const char *sql;
};

/* Steps are only ever appended: a kiosk in the field may hold a database
 * of any earlier version and must reach the latest one through every step
 * in between. Record tables are append-only logs; their triggers make a
 * stray UPDATE or DELETE fail instead of silently rewriting history. They
 * are WITHOUT ROWID, keyed on (kiosk_id, seq) alone: one b-tree instead of
 * a table and its key index, so a tap writes fewer pages. */
/* clang-format off */
static const struct schema_step schema_steps[] = {
	{1, "people, badges, the raw tap log and per-kiosk sequences",
	 "CREATE TABLE meta (\n"
	 "	key TEXT PRIMARY KEY NOT NULL,\n"
	 "	value TEXT NOT NULL\n"
	 ");\n"
	 "INSERT INTO meta (key, value) VALUES ('application', 'convene');\n"
	 "CREATE TABLE people (\n"
	 "	id INTEGER PRIMARY KEY,\n"
	 "	external_id TEXT UNIQUE,\n"
	 "	name TEXT NOT NULL CHECK (name <> ''),\n"
	 "	organization TEXT NOT NULL DEFAULT '',\n"
	 "	role TEXT NOT NULL DEFAULT 'attendee'\n"
	 "		CHECK (role IN ('attendee', 'organizer', 'staff')),\n"
	 "	email TEXT,\n"
	 "	created_wall_ms INTEGER NOT NULL,\n"
	 "	updated_wall_ms INTEGER NOT NULL\n"
	 ");\n"
	 "CREATE TABLE badges (\n"
	 "	uid TEXT PRIMARY KEY NOT NULL,\n"
	 "	person_id INTEGER NOT NULL REFERENCES people (id),\n"
	 "	bound_wall_ms INTEGER NOT NULL,\n"
	 "	revoked_wall_ms INTEGER\n"
	 ");\n"
	 "CREATE TABLE sequences (\n"
	 "	kiosk_id TEXT PRIMARY KEY NOT NULL,\n"
	 "	last_seq INTEGER NOT NULL CHECK (last_seq >= 0)\n"
	 ");\n"
	 "CREATE TABLE taps (\n"
	 "	kiosk_id TEXT NOT NULL,\n"
	 "	seq INTEGER NOT NULL,\n"
	 "	uid TEXT NOT NULL,\n"
	 "	ndef_id TEXT,\n"
	 "	person_id INTEGER REFERENCES people (id),\n"
	 "	zone TEXT NOT NULL,\n"
	 "	boot_id TEXT NOT NULL,\n"
	 "	mono_ms INTEGER NOT NULL,\n"
	 "	wall_ms INTEGER NOT NULL,\n"
	 "	wall_trusted INTEGER NOT NULL CHECK (wall_trusted IN (0, 1)),\n"
	 "	PRIMARY KEY (kiosk_id, seq)\n"
	 ") WITHOUT ROWID;\n"
	 "CREATE TRIGGER taps_no_update BEFORE UPDATE ON taps\n"
	 "BEGIN SELECT RAISE(ABORT, 'taps are append-only'); END;\n"
	 "CREATE TRIGGER taps_no_delete BEFORE DELETE ON taps\n"
	 "BEGIN SELECT RAISE(ABORT, 'taps are append-only'); END;\n"},

	{2, "check-ins, encounters and appended answers",
	 "CREATE TABLE checkins (\n"
	 "	kiosk_id TEXT NOT NULL,\n"
	 "	seq INTEGER NOT NULL,\n"
	 "	person_id INTEGER NOT NULL REFERENCES people (id),\n"
	 "	zone TEXT NOT NULL,\n"
	 "	day TEXT NOT NULL,\n"
	 "	tap_seq INTEGER NOT NULL,\n"
	 "	boot_id TEXT NOT NULL,\n"
	 "	mono_ms INTEGER NOT NULL,\n"
	 "	wall_ms INTEGER NOT NULL,\n"
	 "	wall_trusted INTEGER NOT NULL CHECK (wall_trusted IN (0, 1)),\n"
	 "	PRIMARY KEY (kiosk_id, seq),\n"
	 "	FOREIGN KEY (kiosk_id, tap_seq) REFERENCES taps (kiosk_id, seq)\n"
	 ") WITHOUT ROWID;\n"
	 "CREATE TABLE encounters (\n"
	 "	kiosk_id TEXT NOT NULL,\n"
	 "	seq INTEGER NOT NULL,\n"
	 "	person_a INTEGER NOT NULL REFERENCES people (id),\n"
	 "	person_b INTEGER NOT NULL REFERENCES people (id),\n"
	 "	a_tap_seq INTEGER NOT NULL,\n"
	 "	b_tap_seq INTEGER NOT NULL,\n"
	 "	answer TEXT,\n"
	 "	zone TEXT NOT NULL,\n"
	 "	boot_id TEXT NOT NULL,\n"
	 "	mono_ms INTEGER NOT NULL,\n"
	 "	wall_ms INTEGER NOT NULL,\n"
	 "	wall_trusted INTEGER NOT NULL CHECK (wall_trusted IN (0, 1)),\n"
	 "	PRIMARY KEY (kiosk_id, seq),\n"
	 "	FOREIGN KEY (kiosk_id, a_tap_seq) REFERENCES taps (kiosk_id, seq),\n"
	 "	FOREIGN KEY (kiosk_id, b_tap_seq) REFERENCES taps (kiosk_id, seq)\n"
	 ") WITHOUT ROWID;\n"
	 "CREATE TABLE answers (\n"
	 "	kiosk_id TEXT NOT NULL,\n"
	 "	seq INTEGER NOT NULL,\n"
	 "	encounter_seq INTEGER NOT NULL,\n"
	 "	answer TEXT NOT NULL,\n"
	 "	boot_id TEXT NOT NULL,\n"
	 "	mono_ms INTEGER NOT NULL,\n"
	 "	wall_ms INTEGER NOT NULL,\n"
	 "	wall_trusted INTEGER NOT NULL CHECK (wall_trusted IN (0, 1)),\n"
	 "	PRIMARY KEY (kiosk_id, seq),\n"
	 "	FOREIGN KEY (kiosk_id, encounter_seq) REFERENCES encounters (kiosk_id, seq)\n"
	 ") WITHOUT ROWID;\n"
	 "CREATE TRIGGER checkins_no_update BEFORE UPDATE ON checkins\n"
	 "BEGIN SELECT RAISE(ABORT, 'check-ins are append-only'); END;\n"
	 "CREATE TRIGGER checkins_no_delete BEFORE DELETE ON checkins\n"
	 "BEGIN SELECT RAISE(ABORT, 'check-ins are append-only'); END;\n"
	 "CREATE TRIGGER encounters_no_update BEFORE UPDATE ON encounters\n"
	 "BEGIN SELECT RAISE(ABORT, 'encounters are append-only'); END;\n"
	 "CREATE TRIGGER encounters_no_delete BEFORE DELETE ON encounters\n"
	 "BEGIN SELECT RAISE(ABORT, 'encounters are append-only'); END;\n"
	 "CREATE TRIGGER answers_no_update BEFORE UPDATE ON answers\n"
	 "BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END;\n"
	 "CREATE TRIGGER answers_no_delete BEFORE DELETE ON answers\n"
	 "BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END;\n"},

	{3, "upload acknowledgements and the indexes of the tap path and status",
	 "CREATE TABLE sync_state (\n"
	 "	kiosk_id TEXT PRIMARY KEY NOT NULL,\n"
	 "	acked_seq INTEGER NOT NULL DEFAULT 0 CHECK (acked_seq >= 0)\n"
	 ");\n"
	 "CREATE INDEX badges_by_person ON badges (person_id);\n"
	 "CREATE INDEX people_by_email ON people (email COLLATE NOCASE);\n"
	 "CREATE INDEX people_by_name ON people (name, organization);\n"
	 "CREATE INDEX checkins_by_person ON checkins (person_id, zone, day);\n"
	 "CREATE INDEX checkins_by_day ON checkins (day, person_id);\n"
	 "CREATE INDEX encounters_by_b_tap ON encounters (kiosk_id, b_tap_seq);\n"
	 "CREATE INDEX answers_by_encounter ON answers (kiosk_id, encounter_seq, seq);\n"},

	{4, "sync: quarantine, what the server holds of each kiosk, clock fixes",
	 "CREATE TABLE sync_quarantine (\n"
	 "	kiosk_id TEXT NOT NULL,\n"
	 "	seq INTEGER NOT NULL,\n"
	 "	reason TEXT NOT NULL,\n"
	 "	wall_ms INTEGER NOT NULL,\n"
	 "	retry INTEGER NOT NULL DEFAULT 0 CHECK (retry IN (0, 1)),\n"
	 "	PRIMARY KEY (kiosk_id, seq)\n"
	 ") WITHOUT ROWID;\n"
	 "CREATE TABLE sync_held (\n"
	 "	kiosk_id TEXT PRIMARY KEY NOT NULL,\n"
	 "	held_seq INTEGER NOT NULL DEFAULT 0 CHECK (held_seq >= 0)\n"
	 ");\n"
	 "CREATE TABLE sync_gaps (\n"
	 "	kiosk_id TEXT NOT NULL,\n"
	 "	seq INTEGER NOT NULL,\n"
	 "	reason TEXT NOT NULL,\n"
	 "	wall_ms INTEGER NOT NULL,\n"
	 "	PRIMARY KEY (kiosk_id, seq)\n"
	 ") WITHOUT ROWID;\n"
	 "CREATE TABLE sync_batches (\n"
	 "	id INTEGER PRIMARY KEY,\n"
	 "	kiosk_id TEXT NOT NULL,\n"
	 "	held_before INTEGER NOT NULL,\n"
	 "	held_after INTEGER NOT NULL,\n"
	 "	stored INTEGER NOT NULL,\n"
	 "	duplicates INTEGER NOT NULL,\n"
	 "	bytes INTEGER NOT NULL,\n"
	 "	wall_ms INTEGER NOT NULL\n"
	 ");\n"
	 "CREATE TABLE clock_fixes (\n"
	 "	kiosk_id TEXT NOT NULL,\n"
	 "	seq INTEGER NOT NULL,\n"
	 "	boot_id TEXT NOT NULL,\n"
	 "	mono_ms INTEGER NOT NULL,\n"
	 "	wall_ms INTEGER NOT NULL,\n"
	 "	wall_trusted INTEGER NOT NULL CHECK (wall_trusted IN (0, 1)),\n"
	 "	trusted_wall_ms INTEGER NOT NULL,\n"
	 "	source TEXT NOT NULL,\n"
	 "	PRIMARY KEY (kiosk_id, seq)\n"
	 ") WITHOUT ROWID;\n"
	 "CREATE UNIQUE INDEX clock_fixes_once ON clock_fixes (kiosk_id, boot_id);\n"
	 "CREATE TRIGGER clock_fixes_no_update BEFORE UPDATE ON clock_fixes\n"
	 "BEGIN SELECT RAISE(ABORT, 'clock fixes are append-only'); END;\n"
	 "CREATE TRIGGER clock_fixes_no_delete BEFORE DELETE ON clock_fixes\n"
	 "BEGIN SELECT RAISE(ABORT, 'clock fixes are append-only'); END;\n"
	 "CREATE VIEW record_times AS\n"
	 "WITH r (kind, kiosk_id, seq, boot_id, mono_ms, wall_ms, wall_trusted) AS (\n"
	 "	SELECT 'tap', kiosk_id, seq, boot_id, mono_ms, wall_ms, wall_trusted FROM taps\n"
	 "	UNION ALL SELECT 'checkin', kiosk_id, seq, boot_id, mono_ms, wall_ms, wall_trusted\n"
	 "		FROM checkins\n"
	 "	UNION ALL SELECT 'encounter', kiosk_id, seq, boot_id, mono_ms, wall_ms, wall_trusted\n"
	 "		FROM encounters\n"
	 "	UNION ALL SELECT 'answer', kiosk_id, seq, boot_id, mono_ms, wall_ms, wall_trusted\n"
	 "		FROM answers)\n"
	 "SELECT r.kind, r.kiosk_id, r.seq, r.boot_id, r.mono_ms, r.wall_ms, r.wall_trusted,\n"
	 "	CASE WHEN r.wall_trusted = 0 AND f.trusted_wall_ms IS NOT NULL\n"
	 "	     THEN f.trusted_wall_ms + (r.mono_ms - f.mono_ms) ELSE r.wall_ms END\n"
	 "		AS corrected_wall_ms,\n"
	 "	f.seq AS fix_seq\n"
	 "FROM r LEFT JOIN clock_fixes f ON f.kiosk_id = r.kiosk_id AND f.boot_id = r.boot_id;\n"},

	{5, "ties from earlier convenings (import-network)",
	 "CREATE TABLE prior_ties (\n"
	 "	source TEXT NOT NULL,\n"
	 "	a_key TEXT NOT NULL,\n"
	 "	b_key TEXT NOT NULL,\n"
	 "	count INTEGER NOT NULL CHECK (count >= 1),\n"
	 "	imported_wall_ms INTEGER NOT NULL,\n"
	 "	PRIMARY KEY (source, a_key, b_key),\n"
	 "	CHECK (a_key < b_key)\n"
	 ") WITHOUT ROWID;\n"},

	{6, "consent: what each person agreed to be logged and shown",
	 "ALTER TABLE people ADD COLUMN consent TEXT\n"
	 "	CHECK (consent IN ('attendance', 'encounters'));\n"
	 "ALTER TABLE people ADD COLUMN show_name INTEGER CHECK (show_name IN (0, 1));\n"
	 "ALTER TABLE people ADD COLUMN consent_wall_ms INTEGER;\n"},

	{7, "consent records: each choice made on a kiosk, append-only",
	 "CREATE TABLE consents (\n"
	 "	kiosk_id TEXT NOT NULL,\n"
	 "	seq INTEGER NOT NULL CHECK (seq >= 1),\n"
	 "	person_id INTEGER NOT NULL REFERENCES people (id),\n"
	 "	consent TEXT NOT NULL CHECK (consent IN ('attendance', 'encounters')),\n"
	 "	show_name INTEGER NOT NULL CHECK (show_name IN (0, 1)),\n"
	 "	tap_seq INTEGER,\n"
	 "	boot_id TEXT NOT NULL,\n"
	 "	mono_ms INTEGER NOT NULL,\n"
	 "	wall_ms INTEGER NOT NULL,\n"
	 "	wall_trusted INTEGER NOT NULL CHECK (wall_trusted IN (0, 1)),\n"
	 "	PRIMARY KEY (kiosk_id, seq)\n"
	 ") WITHOUT ROWID;\n"
	 "CREATE INDEX consents_by_person ON consents (person_id);\n"
	 "CREATE TRIGGER consents_no_update BEFORE UPDATE ON consents\n"
	 "BEGIN SELECT RAISE(ABORT, 'consents are append-only'); END;\n"
	 "CREATE TRIGGER consents_no_delete BEFORE DELETE ON consents\n"
	 "BEGIN SELECT RAISE(ABORT, 'consents are append-only'); END;\n"},

	{8, "sync: each consent's place in its kiosk's upload sequence",
	 "CREATE TABLE sync_consent_seqs (\n"
	 "	kiosk_id TEXT NOT NULL,\n"
	 "	consent_seq INTEGER NOT NULL,\n"
	 "	seq INTEGER NOT NULL CHECK (seq >= 1),\n"
	 "	PRIMARY KEY (kiosk_id, consent_seq),\n"
	 "	UNIQUE (kiosk_id, seq)\n"
	 ") WITHOUT ROWID;\n"},
};
/* clang-format on */

_Static_assert(sizeof schema_steps / sizeof schema_steps[0] == CV_STORE_SCHEMA_VERSION,
               "one migration step per schema version");

int cv_store_sqlite_error(sqlite3 *db, int rc, const char *what)
{
	int cv;
	switch (rc & 0xff) {
	case SQLITE_NOMEM: cv = CV_ENOMEM; break;
	case SQLITE_FULL: cv = CV_EFULL; break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: cv = CV_EBUSY; break;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH: cv = CV_EPERM; break;
	case SQLITE_CANTOPEN: {
		/* SQLite says "unable to open" for a missing directory and for a
		 * denied one alike; errno tells them apart. */
		int e = db ? sqlite3_system_errno(db) : 0;
		cv = (e == EACCES || e == EPERM || e == EROFS) ? CV_EPERM : CV_EIO;
		break;
	}
	case SQLITE_IOERR: cv = CV_EIO; break;
	default: cv = CV_ESTORE; break;
	}
	cv_log_error("%s: %s (sqlite %d)", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
	return cv;
}

int cv_store_schema_read_version(sqlite3 *db, int *out)
{
	sqlite3_stmt *st = NULL;
	*out = -1;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return cv_store_sqlite_error(db, rc, "reading the schema version");
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		int cv = cv_store_sqlite_error(db, rc, "reading the schema version");
		sqlite3_finalize(st);
		return cv;
	}
	*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* A database at version 0 is either new (no tables) or someone else's. */
static int schema_is_empty(sqlite3 *db, bool *empty)
{
	sqlite3_stmt *st = NULL;
	*empty = false;
	int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return cv_store_sqlite_error(db, rc, "reading the schema");
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		int cv = cv_store_sqlite_error(db, rc, "reading the schema");
		sqlite3_finalize(st);
		return cv;
	}
	*empty = sqlite3_column_int(st, 0) == 0;
	sqlite3_finalize(st);
	return 0;
}

static int schema_refuse_newer(int version, char *err, size_t errlen)
{
	cv_error_format(err, errlen,
	                "the database is at schema version %d, newer than this program's %d: "
	                "use a newer Convene or another store path",
	                version, CV_STORE_SCHEMA_VERSION);
	cv_log_error("refusing a database at schema version %d (this program knows up to %d)",
	             version, CV_STORE_SCHEMA_VERSION);
	return CV_ESCHEMA;
}

/* Applies step (which brings the database to step->version) unless another
 * connection already did, all inside one write transaction. */
static int schema_apply(sqlite3 *db, const struct schema_step *step, int *version, char *err,
                        size_t errlen)
{
	char pragma[48];
	int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		int cv = cv_store_sqlite_error(db, rc, "starting a migration");
		cv_error_format(err, errlen, "cannot lock the database to migrate it: %s",
		                sqlite3_errmsg(db));
		return cv;
	}
	int now;
	int cv = cv_store_schema_read_version(db, &now);
	if (cv < 0)
		goto fail;
	if (now >= step->version) {
		/* Someone migrated between our read and our lock. */
		*version = now;
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		return rc == SQLITE_OK ? 0 : cv_store_sqlite_error(db, rc, "ending a migration");
	}
	if (now != step->version - 1) {
		cv = CV_ESCHEMA;
		cv_error_format(err, errlen, "schema version changed under us (%d)", now);
		goto fail;
	}
	rc = sqlite3_exec(db, step->sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		cv_error_format(err, errlen, "migration to schema version %d failed: %s",
		                step->version, sqlite3_errmsg(db));
		cv = cv_store_sqlite_error(db, rc, "migrating");
		goto fail;
	}
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", step->version);
	rc = sqlite3_exec(db, pragma, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		cv_error_format(err, errlen, "migration to schema version %d failed: %s",
		                step->version, sqlite3_errmsg(db));
		cv = cv_store_sqlite_error(db, rc, "migrating");
		goto fail;
	}
	*version = step->version;
	cv_log_info("migrated the store to schema version %d: %s", step->version, step->summary);
	return 0;

fail:
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return cv;
}

int cv_store_schema_migrate(sqlite3 *db, int target, int *version, char *err, size_t errlen)
{
	*version = -1;
	if (target < 0 || target > CV_STORE_SCHEMA_VERSION) {
		cv_error_format(err, errlen, "no schema version %d (this program knows 0..%d)",
		                target, CV_STORE_SCHEMA_VERSION);
		return CV_EINVAL;
	}
	int cv = cv_store_schema_read_version(db, version);
	if (cv < 0) {
		cv_error_format(err, errlen, "cannot read the database: %s", sqlite3_errmsg(db));
		return cv;
	}
	if (*version > CV_STORE_SCHEMA_VERSION)
		return schema_refuse_newer(*version, err, errlen);
	if (*version == 0 && target > 0) {
		bool empty;
		cv = schema_is_empty(db, &empty);
		if (cv < 0) {
			cv_error_format(err, errlen, "cannot read the database: %s",
			                sqlite3_errmsg(db));
			return cv;
		}
		if (!empty) {
			cv_error_format(
			    err, errlen,
			    "the database has tables but no schema version: it is not a "
			    "Convene store");
			cv_log_error("refusing a database with foreign tables");
			return CV_ESCHEMA;
		}
	}
	while (*version < target) {
		cv = schema_apply(db, &schema_steps[*version], version, err, errlen);
		if (cv < 0)
			return cv;
		if (*version > CV_STORE_SCHEMA_VERSION)
			return schema_refuse_newer(*version, err, errlen);
	}
	return 0;
}
