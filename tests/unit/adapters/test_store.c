/* Tests of the SQLite store on real database files: migrations from every
 * earlier schema version, the tap path and its check-ins, encounters and
 * answers, the roster import, status counts, walkers and durability. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cv_error.h"
#include "cv_store.h"

/* 2026-12-02T10:00:00Z; the tests run with TZ=UTC so days are exact. */
#define T0 INT64_C(1796205600000)
#define DAY_MS INT64_C(86400000)

struct fixture {
	char dir[512];
	char path[600];
};

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	if (!fx)
		return -1;
	const char *base = getenv("CONVENE_TEST_ARTIFACTS");
	if (!base || !*base)
		base = "/tmp";
	snprintf(fx->dir, sizeof fx->dir, "%s/store-XXXXXX", base);
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof fx->path, "%s/convene.db", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	nftw(fx->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static struct cv_stamp stamp_at(int64_t wall_ms)
{
	struct cv_stamp s = {.boot_id = "6f1c2d4e-0000-4000-8000-000000000001",
	                     .mono_ms = 1000 + (wall_ms - T0),
	                     .wall_ms = wall_ms,
	                     .wall_trusted = true};
	return s;
}

static struct cv_store *open_store(const char *path, const char *kiosk)
{
	struct cv_store *s = NULL;
	char err[256] = "";
	int rc = cv_store_open(path, kiosk, &s, err, sizeof err);
	if (rc != 0)
		print_error("open %s: %s (%s)\n", path, cv_strerror(rc), err);
	assert_int_equal(rc, 0);
	assert_non_null(s);
	return s;
}

/* An independent raw connection, to look at the file as another process
 * would. */
static int64_t query_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		print_error("%s: %s\n", sql, sqlite3_errmsg(db));
	assert_int_equal(rc, SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int table_exists(const char *path, const char *name)
{
	char sql[256];
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '%s'", name);
	return (int)query_int(path, sql);
}

static void import_rows(struct cv_store *s, struct cv_roster_row *rows, size_t n,
                        struct cv_import_stats *stats)
{
	struct cv_roster roster = {.rows = rows, .count = n};
	struct cv_stamp st = stamp_at(T0 - 3600000);
	char err[256] = "";
	int rc = cv_store_import_roster(s, &roster, &st, stats, err, sizeof err);
	if (rc != 0)
		print_error("import: %s (%s)\n", cv_strerror(rc), err);
	assert_int_equal(rc, 0);
}

/* Three people: Ada with badge 04A1B2C3 and id E1, Grace with badge
 * 04D4E5F6 and no id, Linus without badge, known by id E3. */
static void import_basic(struct cv_store *s)
{
	struct cv_roster_row rows[] = {
	    {.name = "Ada Lovelace",
	     .organization = "Engines",
	     .role = CV_ROLE_ATTENDEE,
	     .email = "ada@example.org",
	     .external_id = "E1",
	     .badge_uid = "04A1B2C3",
	     .line = 2},
	    {.name = "Grace Hopper",
	     .organization = "Navy",
	     .role = CV_ROLE_ORGANIZER,
	     .email = "grace@example.org",
	     .badge_uid = "04D4E5F6",
	     .line = 3},
	    {.name = "Linus",
	     .organization = "",
	     .role = CV_ROLE_STAFF,
	     .external_id = "E3",
	     .line = 4},
	};
	struct cv_import_stats stats;
	import_rows(s, rows, 3, &stats);
	assert_int_equal(stats.added, 3);
	assert_int_equal(stats.badges_bound, 2);
}

static void tap(struct cv_store *s, const char *uid, const char *ndef, const char *zone,
                int64_t wall_ms, struct cv_tap_result *r)
{
	struct cv_stamp st = stamp_at(wall_ms);
	assert_int_equal(cv_store_record_tap(s, uid, ndef, zone, &st, r), 0);
}

/* ---- opening and migrations ---- */

static void test_open_creates_latest(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = open_store(fx->path, "k1");
	int v = -1;
	assert_int_equal(cv_store_schema_version(s, &v), 0);
	assert_int_equal(v, CV_STORE_SCHEMA_VERSION);
	assert_string_equal(cv_store_path(s), fx->path);
	const char *tables[] = {"meta",     "people",     "badges",  "taps",      "sequences",
	                        "checkins", "encounters", "answers", "sync_state"};
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
		assert_int_equal(table_exists(fx->path, tables[i]), 1);
	/* WAL is a property of the file, visible to any connection. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	cv_store_close(s);

	/* Opening again is a no-op migration. */
	s = open_store(fx->path, "k1");
	assert_int_equal(cv_store_schema_version(s, &v), 0);
	assert_int_equal(v, CV_STORE_SCHEMA_VERSION);
	cv_store_close(s);
}

static void test_foreign_keys_enforced(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = open_store(fx->path, "k1");
	/* A badge for a person who does not exist. */
	assert_int_equal(cv_store_exec(s, "INSERT INTO badges (uid, person_id, bound_wall_ms) "
	                                  "VALUES ('0102030405', 42, 0)"),
	                 CV_ESTORE);
	/* An encounter between nobody. */
	struct cv_stamp st = stamp_at(T0);
	int64_t seq = -1;
	assert_int_equal(cv_store_record_encounter(s, 7, 8, 1, 2, NULL, "hall", &st, &seq),
	                 CV_ESTORE);
	assert_int_equal(seq, 0);
	cv_store_close(s);
}

static void test_migrate_from_0(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = NULL;
	char err[256];

	/* A database at version 0: an empty file, as a first boot leaves it. */
	assert_int_equal(cv_store_open_at_version(fx->path, "k1", 0, &s, err, sizeof err), 0);
	int v = -1;
	assert_int_equal(cv_store_schema_version(s, &v), 0);
	assert_int_equal(v, 0);
	cv_store_close(s);
	assert_int_equal(table_exists(fx->path, "people"), 0);

	s = open_store(fx->path, "k1");
	assert_int_equal(cv_store_schema_version(s, &v), 0);
	assert_int_equal(v, CV_STORE_SCHEMA_VERSION);
	struct cv_tap_result r;
	tap(s, "04A1B2C3", NULL, "hall", T0, &r);
	assert_int_equal(r.tap_seq, 1);
	cv_store_close(s);

	/* A zero-byte file migrates the same way. */
	char empty[700];
	snprintf(empty, sizeof empty, "%s/empty.db", fx->dir);
	FILE *f = fopen(empty, "w");
	assert_non_null(f);
	fclose(f);
	s = open_store(empty, "k1");
	assert_int_equal(cv_store_schema_version(s, &v), 0);
	assert_int_equal(v, CV_STORE_SCHEMA_VERSION);
	cv_store_close(s);
}

static void test_refuses_foreign_database(void **state)
{
	struct fixture *fx = *state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE photos (id INTEGER)", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);

	struct cv_store *s = (struct cv_store *)1;
	char err[256] = "";
	assert_int_equal(cv_store_open(fx->path, "k1", &s, err, sizeof err), CV_ESCHEMA);
	assert_null(s);
	assert_non_null(strstr(err, "not a Convene store"));
	/* Left alone. */
	assert_int_equal(table_exists(fx->path, "people"), 0);
}

static void test_migrate_from_1(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = NULL;
	char err[256];

	assert_int_equal(cv_store_open_at_version(fx->path, "k1", 1, &s, err, sizeof err), 0);
	assert_int_equal(table_exists(fx->path, "taps"), 1);
	assert_int_equal(table_exists(fx->path, "checkins"), 0);
	/* What a version-1 kiosk wrote: people, a badge, two taps. */
	assert_int_equal(
	    cv_store_exec(s, "INSERT INTO people (id, external_id, name, organization, role, "
	                     " email, created_wall_ms, updated_wall_ms) VALUES "
	                     " (1, 'E1', 'Ada Lovelace', 'Engines', 'attendee', 'ada@x.org', 0, 0);"
	                     "INSERT INTO badges (uid, person_id, bound_wall_ms) "
	                     " VALUES ('04A1B2C3', 1, 0);"
	                     "INSERT INTO sequences (kiosk_id, last_seq) VALUES ('k1', 2);"
	                     "INSERT INTO taps (kiosk_id, seq, uid, ndef_id, person_id, zone, "
	                     " boot_id, mono_ms, wall_ms, wall_trusted) VALUES "
	                     " ('k1', 1, '04A1B2C3', NULL, 1, 'hall', 'b', 10, 1000, 0),"
	                     " ('k1', 2, '04FFFFFF', NULL, NULL, 'hall', 'b', 20, 2000, 0);"),
	    0);
	cv_store_close(s);

	s = open_store(fx->path, "k1");
	int v;
	assert_int_equal(cv_store_schema_version(s, &v), 0);
	assert_int_equal(v, CV_STORE_SCHEMA_VERSION);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM taps"), 2);
	assert_int_equal(query_int(fx->path, "SELECT person_id FROM taps WHERE seq = 1"), 1);

	/* The badge bound at version 1 still works, and the sequence goes on. */
	struct cv_tap_result r;
	tap(s, "04A1B2C3", NULL, "hall", T0, &r);
	assert_true(r.known);
	assert_true(r.checked_in_now);
	assert_int_equal(r.tap_seq, 3);
	assert_string_equal(r.person.name, "Ada Lovelace");
	struct cv_store_status status;
	assert_int_equal(cv_store_status(s, "2026-12-02", &status), 0);
	assert_int_equal(status.taps, 3);
	assert_int_equal(status.checkins, 1);
	assert_int_equal(status.last_seq, 4);
	cv_store_close(s);
}

static int count_encounter(const struct cv_encounter_row *row, void *ctx)
{
	const char **answer = ctx;
	*answer = row->answer ? strdup(row->answer) : NULL;
	return 0;
}

static void test_migrate_from_2(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = NULL;
	char err[256];

	assert_int_equal(cv_store_open_at_version(fx->path, "k1", 2, &s, err, sizeof err), 0);
	assert_int_equal(table_exists(fx->path, "answers"), 1);
	assert_int_equal(table_exists(fx->path, "sync_state"), 0);
	assert_int_equal(
	    cv_store_exec(
	        s, "INSERT INTO people (id, external_id, name, organization, role, email, "
	           " created_wall_ms, updated_wall_ms) VALUES "
	           " (1, 'E1', 'Ada', '', 'attendee', NULL, 0, 0),"
	           " (2, NULL, 'Grace', '', 'staff', NULL, 0, 0);"
	           "INSERT INTO badges (uid, person_id, bound_wall_ms) VALUES "
	           " ('04A1B2C3', 1, 0), ('04D4E5F6', 2, 0);"
	           "INSERT INTO sequences (kiosk_id, last_seq) VALUES ('k1', 6);"
	           "INSERT INTO taps (kiosk_id, seq, uid, ndef_id, person_id, zone, boot_id,"
	           " mono_ms, wall_ms, wall_trusted) VALUES "
	           " ('k1', 1, '04A1B2C3', NULL, 1, 'hall', 'b', 10, 1796205600000, 1),"
	           " ('k1', 3, '04D4E5F6', NULL, 2, 'hall', 'b', 20, 1796205601000, 1);"
	           "INSERT INTO checkins (kiosk_id, seq, person_id, zone, day, tap_seq, boot_id,"
	           " mono_ms, wall_ms, wall_trusted) VALUES "
	           " ('k1', 2, 1, 'hall', '2026-12-02', 1, 'b', 10, 1796205600000, 1),"
	           " ('k1', 4, 2, 'hall', '2026-12-02', 3, 'b', 20, 1796205601000, 1);"
	           "INSERT INTO encounters (kiosk_id, seq, person_a, person_b, a_tap_seq,"
	           " b_tap_seq, answer, zone, boot_id, mono_ms, wall_ms, wall_trusted) VALUES "
	           " ('k1', 5, 1, 2, 1, 3, NULL, 'hall', 'b', 20, 1796205601000, 1);"
	           "INSERT INTO answers (kiosk_id, seq, encounter_seq, answer, boot_id,"
	           " mono_ms, wall_ms, wall_trusted) VALUES "
	           " ('k1', 6, 5, 'worked', 'b', 25, 1796205606000, 1);"),
	    0);
	cv_store_close(s);

	s = open_store(fx->path, "k1");
	struct cv_store_status status;
	assert_int_equal(cv_store_status(s, "2026-12-02", &status), 0);
	assert_int_equal(status.schema_version, CV_STORE_SCHEMA_VERSION);
	assert_int_equal(status.people, 2);
	assert_int_equal(status.badges, 2);
	assert_int_equal(status.checked_in, 2);
	assert_int_equal(status.checkins, 2);
	assert_int_equal(status.encounters, 1);
	assert_int_equal(status.taps, 2);
	assert_int_equal(status.last_seq, 6);
	assert_int_equal(status.pending_upload, 6);

	const char *answer = NULL;
	assert_int_equal(cv_store_foreach_encounter(s, count_encounter, &answer), 0);
	assert_non_null(answer);
	assert_string_equal(answer, "worked");
	free((void *)answer);

	/* A check-in from version 2 still counts: no second one today. */
	struct cv_tap_result r;
	tap(s, "04A1B2C3", NULL, "hall", T0 + 60000, &r);
	assert_true(r.known);
	assert_false(r.checked_in_now);
	assert_int_equal(r.tap_seq, 7);
	/* An answer to the encounter recorded at version 2. */
	struct cv_stamp st = stamp_at(T0 + 70000);
	assert_int_equal(cv_store_record_answer(s, 3, "met-before", &st), 0);
	assert_int_equal(cv_store_foreach_encounter(s, count_encounter, &answer), 0);
	assert_string_equal(answer, "met-before");
	free((void *)answer);
	cv_store_close(s);
}

static void test_refuses_newer_schema(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = open_store(fx->path, "k1");
	char sql[64], want[64];
	int newer = CV_STORE_SCHEMA_VERSION + 1;
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", newer);
	assert_int_equal(cv_store_exec(s, sql), 0);
	cv_store_close(s);

	char err[256] = "";
	s = (struct cv_store *)1;
	assert_int_equal(cv_store_open(fx->path, "k1", &s, err, sizeof err), CV_ESCHEMA);
	assert_null(s);
	snprintf(want, sizeof want, "schema version %d", newer);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "newer"));
	assert_int_equal(query_int(fx->path, "PRAGMA user_version"), newer);

	/* Asking for a version that does not exist is a caller's mistake. */
	assert_int_equal(cv_store_open_at_version(fx->path, "k1", CV_STORE_SCHEMA_VERSION + 5, &s,
	                                          err, sizeof err),
	                 CV_EINVAL);
}

static void test_open_errors(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = (struct cv_store *)1;
	char err[256] = "";
	char path[700];

	snprintf(path, sizeof path, "%s/missing/dir/convene.db", fx->dir);
	assert_int_equal(cv_store_open(path, "k1", &s, err, sizeof err), CV_EIO);
	assert_null(s);
	assert_non_null(strstr(err, "cannot open"));

	char longid[CV_ID_MAX + 8];
	memset(longid, 'k', sizeof longid - 1);
	longid[sizeof longid - 1] = '\0';
	assert_int_equal(cv_store_open(fx->path, longid, &s, err, sizeof err), CV_EINVAL);
	assert_int_equal(cv_store_open(fx->path, "", &s, err, sizeof err), CV_EINVAL);

	/* Not a database at all. */
	snprintf(path, sizeof path, "%s/garbage.db", fx->dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite file. ", f);
	fclose(f);
	assert_int_equal(cv_store_open(path, "k1", &s, err, sizeof err), CV_ESTORE);
	assert_null(s);
}

/* ---- the tap path ---- */

static void test_tap_unknown_badge(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = open_store(fx->path, "k1");
	import_basic(s);
	struct cv_tap_result r;
	tap(s, "0499887766", NULL, "hall", T0, &r);
	assert_false(r.known);
	assert_false(r.checked_in_now);
	assert_int_equal(r.tap_seq, 1);
	assert_int_equal(r.person.id, 0);
	assert_string_equal(r.person.name, "");
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM taps WHERE uid = '0499887766' "
	                                     "AND person_id IS NULL AND zone = 'hall'"),
	                 1);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM checkins"), 0);
	cv_store_close(s);
}

static void test_tap_known_checks_in_once_per_zone_and_day(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = open_store(fx->path, "k1");
	import_basic(s);
	struct cv_tap_result r;

	tap(s, "04D4E5F6", NULL, "hall", T0, &r);
	assert_true(r.known);
	assert_true(r.checked_in_now);
	assert_string_equal(r.person.name, "Grace Hopper");
	assert_string_equal(r.person.organization, "Navy");
	assert_int_equal(r.person.role, CV_ROLE_ORGANIZER);
	assert_true(r.person.id > 0);
	int64_t grace = r.person.id;

	tap(s, "04D4E5F6", NULL, "hall", T0 + 5 * 60000, &r);
	assert_true(r.known);
	assert_false(r.checked_in_now);

	tap(s, "04D4E5F6", NULL, "workshop", T0 + 10 * 60000, &r);
	assert_true(r.checked_in_now);

	tap(s, "04D4E5F6", NULL, "hall", T0 + DAY_MS, &r);
	assert_true(r.checked_in_now);
	tap(s, "04D4E5F6", NULL, "hall", T0 + DAY_MS + 1, &r);
	assert_false(r.checked_in_now);

	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM checkins"), 3);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM taps"), 5);
	char sql[200];
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM checkins WHERE person_id = %lld AND day = '2026-12-03'",
	         (long long)grace);
	assert_int_equal(query_int(fx->path, sql), 1);
	/* The check-in points at the tap that made it and carries its clock. */
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM checkins c JOIN taps t ON "
	                                     "t.kiosk_id = c.kiosk_id AND t.seq = c.tap_seq AND "
	                                     "t.wall_ms = c.wall_ms AND t.mono_ms = c.mono_ms AND "
	                                     "t.boot_id = c.boot_id AND t.zone = c.zone"),
	                 3);
	cv_store_close(s);
}

static void test_revoked_badge_is_unknown(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = open_store(fx->path, "k1");
	import_basic(s);
	assert_int_equal(cv_store_exec(s, "UPDATE badges SET revoked_wall_ms = 1 "
	                                  "WHERE uid = '04A1B2C3'"),
	                 0);
	struct cv_tap_result r;
	tap(s, "04A1B2C3", NULL, "hall", T0, &r);
	assert_false(r.known);
	assert_false(r.checked_in_now);
	/* Not even through the attendee id written on the lost badge. */
	tap(s, "04A1B2C3", "E1", "hall", T0 + 1000, &r);
	assert_false(r.known);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM checkins"), 0);
	struct cv_store_status status;
	assert_int_equal(cv_store_status(s, "2026-12-02", &status), 0);
	assert_int_equal(status.badges, 1);
	cv_store_close(s);
}

static void test_ndef_id_finds_person_of_unbound_badge(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = open_store(fx->path, "k1");
	import_basic(s);
	struct cv_tap_result r;

	tap(s, "04112233445566", "E3", "hall", T0, &r);
	assert_true(r.known);
	assert_true(r.checked_in_now);
	assert_string_equal(r.person.name, "Linus");
	assert_int_equal(r.person.role, CV_ROLE_STAFF);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM taps WHERE ndef_id = 'E3' AND "
	                                     "person_id = (SELECT id FROM people WHERE "
	                                     "external_id = 'E3')"),
	                 1);
	/* An id nobody has, or none at all, finds nobody. */
	tap(s, "04112233445566", "E404", "hall", T0 + 1000, &r);
	assert_false(r.known);
	tap(s, "04112233445566", NULL, "hall", T0 + 2000, &r);
	assert_false(r.known);
	/* A bound badge is its owner's whatever id it carries. */
	tap(s, "04A1B2C3", "E3", "hall", T0 + 3000, &r);
	assert_true(r.known);
	assert_string_equal(r.person.name, "Ada Lovelace");
	cv_store_close(s);
}

static void test_sequence_shared_by_all_records(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = open_store(fx->path, "k1");
	struct cv_store *other = open_store(fx->path, "k2");
	import_basic(s);
	struct cv_tap_result a, b, u;
	struct cv_stamp st = stamp_at(T0 + 10000);
	int64_t enc = 0;

	tap(s, "04A1B2C3", NULL, "hall", T0, &a);        /* tap 1, check-in 2 */
	tap(s, "04D4E5F6", NULL, "hall", T0 + 1000, &b); /* tap 3, check-in 4 */
	tap(other, "04A1B2C3", NULL, "lobby", T0 + 1500, &u);
	assert_int_equal(u.tap_seq, 1); /* k2 counts on its own */
	assert_int_equal(cv_store_record_encounter(s, a.person.id, b.person.id, a.tap_seq,
	                                           b.tap_seq, NULL, "hall", &st, &enc),
	                 0);                                                      /* 5 */
	assert_int_equal(cv_store_record_answer(s, b.tap_seq, "worked", &st), 0); /* 6 */
	tap(s, "0499887766", NULL, "hall", T0 + 20000, &u);                       /* 7 */

	assert_int_equal(a.tap_seq, 1);
	assert_int_equal(b.tap_seq, 3);
	assert_int_equal(enc, 5);
	assert_int_equal(u.tap_seq, 7);
	/* Every number 1..7 used once across the four tables. */
	const char *all = "(SELECT seq FROM taps WHERE kiosk_id = 'k1' UNION ALL "
	                  "SELECT seq FROM checkins WHERE kiosk_id = 'k1' UNION ALL "
	                  "SELECT seq FROM encounters WHERE kiosk_id = 'k1' UNION ALL "
	                  "SELECT seq FROM answers WHERE kiosk_id = 'k1')";
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", all);
	assert_int_equal(query_int(fx->path, sql), 7);
	snprintf(sql, sizeof sql, "SELECT count(DISTINCT seq) FROM %s", all);
	assert_int_equal(query_int(fx->path, sql), 7);
	snprintf(sql, sizeof sql, "SELECT max(seq) FROM %s", all);
	assert_int_equal(query_int(fx->path, sql), 7);
	assert_int_equal(query_int(fx->path, "SELECT last_seq FROM sequences WHERE kiosk_id='k1'"),
	                 7);
	/* A failed record gives its number back. */
	assert_int_equal(cv_store_record_answer(s, 999, "worked", &st), CV_ENOTFOUND);
	tap(s, "0499887766", NULL, "hall", T0 + 30000, &u);
	assert_int_equal(u.tap_seq, 8);
	cv_store_close(other);
	cv_store_close(s);
}

/* ---- encounters and answers ---- */

struct encounter_list {
	int count;
	int64_t seq[4];
	int64_t a[4], b[4];
	char akey[4][32], bkey[4][32], answer[4][32], zone[4][32];
};

static int collect_encounter(const struct cv_encounter_row *row, void *ctx)
{
	struct encounter_list *l = ctx;
	if (l->count == 4)
		return 1;
	int i = l->count++;
	l->seq[i] = row->seq;
	l->a[i] = row->person_a;
	l->b[i] = row->person_b;
	snprintf(l->akey[i], sizeof l->akey[i], "%s", row->person_a_key);
	snprintf(l->bkey[i], sizeof l->bkey[i], "%s", row->person_b_key);
	snprintf(l->answer[i], sizeof l->answer[i], "%s", row->answer ? row->answer : "(null)");
	snprintf(l->zone[i], sizeof l->zone[i], "%s", row->zone);
	return 0;
}

static void test_encounter_and_answers(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = open_store(fx->path, "k1");
	import_basic(s);
	struct cv_tap_result ada, grace, linus;
	tap(s, "04D4E5F6", NULL, "hall", T0, &grace);
	tap(s, "04A1B2C3", NULL, "hall", T0 + 2000, &ada);
	tap(s, "0400000001", "E3", "hall", T0 + 4000, &linus);

	/* meet: recorded at the second tap, answered later (twice: the
	 * latest answer is the one that counts). */
	struct cv_stamp st = stamp_at(T0 + 2000);
	int64_t e1 = 0, e2 = 0;
	assert_int_equal(cv_store_record_encounter(s, grace.person.id, ada.person.id, grace.tap_seq,
	                                           ada.tap_seq, NULL, "hall", &st, &e1),
	                 0);
	st = stamp_at(T0 + 5000);
	assert_int_equal(cv_store_record_answer(s, ada.tap_seq, "worked-together", &st), 0);
	st = stamp_at(T0 + 6000);
	assert_int_equal(cv_store_record_answer(s, ada.tap_seq, "just-met", &st), 0);
	/* both: recorded with its answer at once. */
	st = stamp_at(T0 + 7000);
	assert_int_equal(cv_store_record_encounter(s, linus.person.id, grace.person.id,
	                                           linus.tap_seq, grace.tap_seq, "friends", "hall",
	                                           &st, &e2),
	                 0);
	assert_true(e2 > e1);
	/* No encounter was recorded at this tap. */
	assert_int_equal(cv_store_record_answer(s, linus.tap_seq, "x", &st), CV_ENOTFOUND);

	struct encounter_list l = {0};
	assert_int_equal(cv_store_foreach_encounter(s, collect_encounter, &l), 0);
	assert_int_equal(l.count, 2);
	/* Kept in tap order: Grace tapped first. */
	assert_int_equal(l.a[0], grace.person.id);
	assert_int_equal(l.b[0], ada.person.id);
	char grace_key[32];
	snprintf(grace_key, sizeof grace_key, "%lld", (long long)grace.person.id);
	assert_string_equal(l.akey[0], grace_key); /* no external id: the internal one */
	assert_string_equal(l.bkey[0], "E1");
	assert_string_equal(l.answer[0], "just-met");
	assert_string_equal(l.zone[0], "hall");
	assert_string_equal(l.akey[1], "E3");
	assert_string_equal(l.answer[1], "friends");
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM encounters WHERE answer IS "
	                                     "NULL"),
	                 1);
	/* A callback's non-zero return stops the walk and comes back. */
	l.count = 4;
	assert_int_equal(cv_store_foreach_encounter(s, collect_encounter, &l), 1);
	/* Records are append-only. */
	assert_int_equal(cv_store_exec(s, "DELETE FROM encounters"), CV_ESTORE);
	assert_int_equal(cv_store_exec(s, "UPDATE taps SET zone = 'x'"), CV_ESTORE);
	cv_store_close(s);
}

/* ---- roster import ---- */

struct person_list {
	int count;
	char line[8][256];
};

static int collect_person(const struct cv_person_row *row, void *ctx)
{
	struct person_list *l = ctx;
	if (l->count == 8)
		return 1;
	snprintf(l->line[l->count++], sizeof l->line[0], "%s|%s|%s|%s|%s|%s",
	         row->external_id ? row->external_id : "-", row->name, row->organization, row->role,
	         row->email ? row->email : "-", row->badges);
	return 0;
}

static void test_import_add_update_unchanged(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = open_store(fx->path, "k1");
	struct cv_roster_row rows[] = {
	    {.name = "Ada Lovelace",
	     .organization = "Engines",
	     .email = "ada@example.org",
	     .external_id = "E1",
	     .badge_uid = "04A1B2C3",
	     .line = 2},
	    {.name = "Grace Hopper",
	     .organization = "Navy",
	     .role = CV_ROLE_ORGANIZER,
	     .email = "Grace@Example.org",
	     .badge_uid = "04D4E5F6",
	     .line = 3},
	    {.name = "Walk In", .organization = "Self", .line = 4},
	};
	struct cv_import_stats stats;
	import_rows(s, rows, 3, &stats);
	assert_int_equal(stats.added, 3);
	assert_int_equal(stats.updated, 0);
	assert_int_equal(stats.unchanged, 0);
	assert_int_equal(stats.badges_bound, 2);

	/* The same roster again changes nothing. */
	import_rows(s, rows, 3, &stats);
	assert_int_equal(stats.added, 0);
	assert_int_equal(stats.updated, 0);
	assert_int_equal(stats.unchanged, 3);
	assert_int_equal(stats.badges_bound, 0);

	/* Ada (by id) changes organisation; Grace is found by her email in
	 * another case and gets a second badge; the walk-in is found by name
	 * and organisation and gains an id; one new person. */
	struct cv_roster_row next[] = {
	    {.name = "Ada Lovelace",
	     .organization = "Analytical",
	     .email = "ada@example.org",
	     .external_id = "E1",
	     .badge_uid = "04A1B2C3",
	     .line = 2},
	    {.name = "Grace Hopper",
	     .organization = "Navy",
	     .role = CV_ROLE_ORGANIZER,
	     .email = "grace@EXAMPLE.org",
	     .badge_uid = "04770000",
	     .line = 3},
	    {.name = "Walk In", .organization = "Self", .external_id = "W9", .line = 4},
	    {.name = "Alan Turing", .organization = "Bletchley", .line = 5},
	};
	import_rows(s, next, 4, &stats);
	assert_int_equal(stats.added, 1);
	assert_int_equal(stats.updated, 3);
	assert_int_equal(stats.unchanged, 0);
	assert_int_equal(stats.badges_bound, 1);
	import_rows(s, next, 4, &stats);
	assert_int_equal(stats.unchanged, 4);
	assert_int_equal(stats.added + stats.updated + stats.badges_bound, 0);

	struct person_list l = {0};
	assert_int_equal(cv_store_foreach_person(s, collect_person, &l), 0);
	assert_int_equal(l.count, 4);
	assert_string_equal(l.line[0],
	                    "E1|Ada Lovelace|Analytical|attendee|ada@example.org|04A1B2C3");
	assert_string_equal(l.line[1],
	                    "-|Grace Hopper|Navy|organizer|grace@EXAMPLE.org|04D4E5F6 04770000");
	assert_string_equal(l.line[2], "W9|Walk In|Self|attendee|-|");
	assert_string_equal(l.line[3], "-|Alan Turing|Bletchley|attendee|-|");

	/* Both of Grace's badges are hers. */
	struct cv_tap_result r;
	tap(s, "04770000", NULL, "hall", T0, &r);
	assert_string_equal(r.person.name, "Grace Hopper");
	cv_store_close(s);
}

static void test_import_badge_conflict_rolls_back(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = open_store(fx->path, "k1");
	import_basic(s);

	struct cv_roster_row rows[] = {
	    {.name = "New Person", .organization = "X", .line = 2},
	    {.name = "Grace Hopper",
	     .organization = "Navy",
	     .role = CV_ROLE_STAFF,
	     .email = "grace@example.org",
	     .line = 3},
	    {.name = "Thief", .organization = "Y", .badge_uid = "04A1B2C3", .line = 7},
	};
	struct cv_roster roster = {.rows = rows, .count = 3};
	struct cv_stamp st = stamp_at(T0);
	struct cv_import_stats stats = {.added = 99};
	char err[256] = "";
	assert_int_equal(cv_store_import_roster(s, &roster, &st, &stats, err, sizeof err),
	                 CV_EEXIST);
	assert_string_equal(err, "line 7: badge 04A1B2C3 is already bound to Ada Lovelace");
	assert_int_equal(stats.added, 0);
	/* Nothing of it stayed: no new people, Grace's role untouched. */
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM people"), 3);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM people WHERE role = 'staff' "
	                                     "AND name = 'Grace Hopper'"),
	                 0);
	/* The store is usable afterwards. */
	struct cv_tap_result r;
	tap(s, "04A1B2C3", NULL, "hall", T0, &r);
	assert_string_equal(r.person.name, "Ada Lovelace");

	/* A revoked badge may go to someone new, but re-importing does not
	 * give it back to the owner who lost it. */
	assert_int_equal(cv_store_exec(s, "UPDATE badges SET revoked_wall_ms = 5 "
	                                  "WHERE uid = '04A1B2C3'"),
	                 0);
	struct cv_roster_row ada[] = {{.name = "Ada Lovelace",
	                               .organization = "Engines",
	                               .email = "ada@example.org",
	                               .external_id = "E1",
	                               .badge_uid = "04A1B2C3",
	                               .line = 2}};
	import_rows(s, ada, 1, &stats);
	assert_int_equal(stats.badges_bound, 0);
	tap(s, "04A1B2C3", NULL, "hall", T0 + 1000, &r);
	assert_false(r.known);
	import_rows(s, &rows[2], 1, &stats);
	assert_int_equal(stats.badges_bound, 1);
	tap(s, "04A1B2C3", NULL, "hall", T0 + 2000, &r);
	assert_true(r.known);
	assert_string_equal(r.person.name, "Thief");
	cv_store_close(s);
}

/* ---- status, walkers, badges ---- */

static void test_status_counts(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = open_store(fx->path, "k1");
	struct cv_store_status status;
	assert_int_equal(cv_store_status(s, "2026-12-02", &status), 0);
	assert_string_equal(status.kiosk_id, "k1");
	assert_int_equal(status.schema_version, CV_STORE_SCHEMA_VERSION);
	assert_int_equal(status.people + status.taps + status.pending_upload + status.last_seq, 0);

	import_basic(s);
	struct cv_tap_result a, b, r;
	tap(s, "04A1B2C3", NULL, "hall", T0, &a);            /* 1, 2 */
	tap(s, "04D4E5F6", NULL, "hall", T0 + 1000, &b);     /* 3, 4 */
	tap(s, "04A1B2C3", NULL, "workshop", T0 + 2000, &r); /* 5, 6 */
	tap(s, "04A1B2C3", NULL, "hall", T0 - DAY_MS, &r);   /* 7, 8: the day before */
	tap(s, "0499999999", NULL, "hall", T0 + 3000, &r);   /* 9 */
	struct cv_stamp st = stamp_at(T0 + 4000);
	int64_t enc;
	assert_int_equal(cv_store_record_encounter(s, a.person.id, b.person.id, a.tap_seq,
	                                           b.tap_seq, "x", "hall", &st, &enc),
	                 0); /* 10 */

	assert_int_equal(cv_store_status(s, "2026-12-02", &status), 0);
	assert_int_equal(status.people, 3);
	assert_int_equal(status.badges, 2);
	assert_int_equal(status.checked_in, 2);
	assert_int_equal(status.checkins, 4);
	assert_int_equal(status.encounters, 1);
	assert_int_equal(status.taps, 5);
	assert_int_equal(status.last_seq, 10);
	assert_int_equal(status.pending_upload, 10);
	assert_int_equal(cv_store_status(s, "2026-12-01", &status), 0);
	assert_int_equal(status.checked_in, 1);

	assert_int_equal(cv_store_exec(s, "INSERT INTO sync_state (kiosk_id, acked_seq) "
	                                  "VALUES ('k1', 6)"),
	                 0);
	assert_int_equal(cv_store_status(s, "2026-12-02", &status), 0);
	assert_int_equal(status.pending_upload, 4);
	/* Another kiosk's records are not ours to upload. */
	struct cv_store *k2 = open_store(fx->path, "k2");
	tap(k2, "04A1B2C3", NULL, "hall", T0 + 5000, &r);
	assert_int_equal(cv_store_status(s, "2026-12-02", &status), 0);
	assert_int_equal(status.pending_upload, 4);
	assert_int_equal(status.taps, 6);
	assert_int_equal(cv_store_status(k2, "2026-12-02", &status), 0);
	assert_int_equal(status.pending_upload, 1);
	assert_int_equal(status.last_seq, 1);
	cv_store_close(k2);
	cv_store_close(s);
}

struct checkin_list {
	int count;
	char line[8][160];
};

static int collect_checkin(const struct cv_checkin_row *row, void *ctx)
{
	struct checkin_list *l = ctx;
	if (l->count == 8)
		return 1;
	snprintf(l->line[l->count++], sizeof l->line[0], "%s|%lld|%s|%s|%s|%lld|%d|%s",
	         row->kiosk_id, (long long)row->seq, row->person_key, row->zone, row->day,
	         (long long)row->clock.wall_ms, row->clock.wall_trusted, row->clock.boot_id);
	return 0;
}

static void test_foreach_checkin(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = open_store(fx->path, "k1");
	struct cv_store *k0 = open_store(fx->path, "k0");
	import_basic(s);
	struct cv_tap_result r;
	tap(s, "04A1B2C3", NULL, "hall", T0, &r);
	tap(s, "04D4E5F6", NULL, "hall", T0 + 1000, &r);
	tap(k0, "04A1B2C3", NULL, "lobby", T0 + 2000, &r);

	struct checkin_list l = {0};
	assert_int_equal(cv_store_foreach_checkin(s, collect_checkin, &l), 0);
	assert_int_equal(l.count, 3);
	char grace[160];
	snprintf(
	    grace, sizeof grace,
	    "k1|4|%lld|hall|2026-12-02|1796205601000|1|6f1c2d4e-0000-4000-8000-000000000001",
	    (long long)query_int(fx->path, "SELECT id FROM people WHERE name = 'Grace Hopper'"));
	/* (kiosk, sequence) order. */
	assert_string_equal(
	    l.line[0],
	    "k0|2|E1|lobby|2026-12-02|1796205602000|1|6f1c2d4e-0000-4000-8000-000000000001");
	assert_string_equal(
	    l.line[1],
	    "k1|2|E1|hall|2026-12-02|1796205600000|1|6f1c2d4e-0000-4000-8000-000000000001");
	assert_string_equal(l.line[2], grace);
	cv_store_close(k0);
	cv_store_close(s);
}

static void test_first_badges(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = open_store(fx->path, "k1");
	char uids[4][CV_UID_HEX_MAX];
	assert_int_equal(cv_store_first_badges(s, uids, 4), 0);
	import_basic(s);
	struct cv_roster_row more[] = {
	    {.name = "Alan Turing", .organization = "B", .badge_uid = "04000003", .line = 2},
	    {.name = "Ada Lovelace",
	     .organization = "Engines",
	     .external_id = "E1",
	     .badge_uid = "04000004",
	     .line = 3},
	};
	struct cv_import_stats stats;
	import_rows(s, more, 2, &stats);
	assert_int_equal(cv_store_first_badges(s, uids, 4), 4);
	assert_string_equal(uids[0], "04A1B2C3");
	assert_string_equal(uids[1], "04D4E5F6");
	assert_string_equal(uids[2], "04000003");
	assert_string_equal(uids[3], "04000004");
	assert_int_equal(cv_store_first_badges(s, uids, 2), 2);
	assert_int_equal(cv_store_exec(s, "UPDATE badges SET revoked_wall_ms = 1 "
	                                  "WHERE uid = '04D4E5F6'"),
	                 0);
	memset(uids, 0, sizeof uids);
	assert_int_equal(cv_store_first_badges(s, uids, 4), 3);
	assert_string_equal(uids[1], "04000003");
	assert_string_equal(uids[3], "");
	cv_store_close(s);
}

/* ---- connections and durability ---- */

static void test_second_connection_sees_commits(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *writer = open_store(fx->path, "k1");
	struct cv_store *reader = open_store(fx->path, "k1");
	import_basic(writer);
	struct cv_store_status status;
	assert_int_equal(cv_store_status(reader, "2026-12-02", &status), 0);
	assert_int_equal(status.people, 3);
	assert_int_equal(status.taps, 0);

	struct cv_tap_result r;
	tap(writer, "04A1B2C3", NULL, "hall", T0, &r);
	assert_int_equal(cv_store_status(reader, "2026-12-02", &status), 0);
	assert_int_equal(status.taps, 1);
	assert_int_equal(status.checked_in, 1);
	assert_int_equal(status.last_seq, 2);
	/* A raw connection, as another process, too. */
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM checkins"), 1);

	/* While a reader walks, the writer goes on (WAL). */
	assert_int_equal(cv_store_exec(reader, "BEGIN"), 0);
	assert_int_equal(cv_store_status(reader, "2026-12-02", &status), 0);
	tap(writer, "04D4E5F6", NULL, "hall", T0 + 1000, &r);
	assert_int_equal(cv_store_status(reader, "2026-12-02", &status), 0);
	assert_int_equal(status.taps, 1); /* its snapshot */
	assert_int_equal(cv_store_exec(reader, "COMMIT"), 0);
	assert_int_equal(cv_store_status(reader, "2026-12-02", &status), 0);
	assert_int_equal(status.taps, 2);

	/* Either connection may write; the sequence is shared through the
	 * file. */
	tap(reader, "04D4E5F6", NULL, "hall", T0 + 2000, &r);
	assert_int_equal(r.tap_seq, 5);
	cv_store_close(reader);
	cv_store_close(writer);
}

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[8192];
	size_t n;
	int rc = in && out ? 0 : -1;
	while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		rc = -1;
	return rc;
}

/* How many taps a copy of the main database file alone (without its WAL)
 * holds: what is in the file proper. -1 when it has no tap table yet. */
static int64_t taps_in_main_file(struct fixture *fx)
{
	char copy[700];
	snprintf(copy, sizeof copy, "%s/copy.db", fx->dir);
	unlink(copy);
	assert_int_equal(copy_file(fx->path, copy), 0);
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t n = -1;
	assert_int_equal(sqlite3_open_v2(copy, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM taps", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return n;
}

static void test_make_durable_checkpoints(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = open_store(fx->path, "k1");
	struct cv_store *durable = open_store(fx->path, "k1");
	import_basic(s);
	struct cv_tap_result r;
	for (int i = 0; i < 20; i++)
		tap(s, "04A1B2C3", NULL, "hall", T0 + i, &r);

	/* No automatic checkpoint ran on the tap path: the taps are only in
	 * the WAL so far. */
	assert_true(taps_in_main_file(fx) <= 0);
	char wal[700];
	snprintf(wal, sizeof wal, "%s-wal", fx->path);
	struct stat sb;
	assert_int_equal(stat(wal, &sb), 0);
	assert_true(sb.st_size > 0);

	assert_int_equal(cv_store_make_durable(durable), 0);
	assert_int_equal(taps_in_main_file(fx), 20);

	/* The next writer starts the WAL over rather than growing it. */
	off_t before = sb.st_size;
	tap(s, "04A1B2C3", NULL, "hall", T0 + 100, &r);
	assert_int_equal(stat(wal, &sb), 0);
	assert_true(sb.st_size <= before);
	assert_int_equal(cv_store_make_durable(durable), 0);
	assert_int_equal(taps_in_main_file(fx), 21);
	cv_store_close(durable);
	cv_store_close(s);
}

static void test_busy_and_full_are_translated(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = open_store(fx->path, "k1");
	import_basic(s);
	struct cv_tap_result r;

	/* Another process holds the write lock past the busy timeout. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	struct cv_stamp st = stamp_at(T0);
	r.tap_seq = 99;
	assert_int_equal(cv_store_record_tap(s, "04A1B2C3", NULL, "hall", &st, &r), CV_EBUSY);
	assert_int_equal(r.tap_seq, 0);
	assert_false(r.known);
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	tap(s, "04A1B2C3", NULL, "hall", T0, &r);
	assert_int_equal(r.tap_seq, 1);

	/* The disk fills up: nothing of the tap stays, and the store goes on
	 * once there is room again. */
	int64_t pages = query_int(fx->path, "PRAGMA page_count");
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages);
	assert_int_equal(cv_store_exec(s, sql), 0);
	int rc = 0;
	for (int i = 0; i < 10000 && rc == 0; i++) {
		char uid[CV_UID_HEX_MAX];
		snprintf(uid, sizeof uid, "05%08X", i);
		rc = cv_store_record_tap(s, uid, NULL, "a zone with a long name to fill pages", &st,
		                         &r);
	}
	assert_int_equal(rc, CV_EFULL);
	/* The failed tap gave its number back: the sequence has no gap. */
	int64_t records = query_int(fx->path, "SELECT (SELECT count(*) FROM taps) + "
	                                      "(SELECT count(*) FROM checkins)");
	assert_int_equal(query_int(fx->path, "SELECT last_seq FROM sequences"), records);
	assert_int_equal(cv_store_exec(s, "PRAGMA max_page_count = 1000000"), 0);
	tap(s, "04D4E5F6", NULL, "hall", T0 + 1000, &r);
	assert_int_equal(r.tap_seq, records + 1);
	assert_true(r.checked_in_now);
	cv_store_close(s);
}

/* Not a benchmark (tests never assert times): it shows the tap path with
 * a full roster stays correct, and prints what it cost. */
static void test_tap_path_with_large_roster(void **state)
{
	struct fixture *fx = *state;
	struct cv_store *s = open_store(fx->path, "k1");
	enum { PEOPLE = 5000, TAPS = 2000 };
	struct cv_roster_row *rows = calloc(PEOPLE, sizeof *rows);
	char(*names)[32] = calloc(PEOPLE, sizeof *names);
	assert_non_null(rows);
	assert_non_null(names);
	for (int i = 0; i < PEOPLE; i++) {
		snprintf(names[i], sizeof names[i], "Person %d", i);
		rows[i].name = names[i];
		rows[i].organization = "Org";
		snprintf(rows[i].badge_uid, sizeof rows[i].badge_uid, "04%06X", i);
		rows[i].line = (size_t)i + 2;
	}
	struct cv_import_stats stats;
	import_rows(s, rows, PEOPLE, &stats);
	assert_int_equal(stats.added, PEOPLE);
	assert_int_equal(stats.badges_bound, PEOPLE);

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int known = 0, checkins = 0;
	for (int i = 0; i < TAPS; i++) {
		char uid[CV_UID_HEX_MAX];
		snprintf(uid, sizeof uid, "04%06X", (i * 7919) % PEOPLE);
		struct cv_tap_result r;
		tap(s, uid, NULL, "hall", T0 + i, &r);
		known += r.known;
		checkins += r.checked_in_now;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(known, TAPS);
	assert_int_equal(checkins, TAPS); /* 7919 is prime: all different people */
	double us =
	    ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) /
	    TAPS;
	print_message("tap path: %.1f us per tap with %d people\n", us, PEOPLE);
	free(names);
	free(rows);
	cv_store_close(s);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_creates_latest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_keys_enforced, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_from_0, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refuses_foreign_database, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_from_1, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_from_2, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refuses_newer_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tap_unknown_badge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tap_known_checks_in_once_per_zone_and_day, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_revoked_badge_is_unknown, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ndef_id_finds_person_of_unbound_badge, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_sequence_shared_by_all_records, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_encounter_and_answers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_import_add_update_unchanged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_import_badge_conflict_rolls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status_counts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreach_checkin, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_first_badges, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_second_connection_sees_commits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_make_durable_checkpoints, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_busy_and_full_are_translated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tap_path_with_large_roster, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
