/* Tests of sync for consents and for a hub forwarding upstream, with real
 * stores in one process (no HTTP): consents, numbered in their own series,
 * get a place in the upload sequence and arrive once, with the person's
 * current consent on the server the latest one whatever the order of
 * arrival; a hub forwards a kiosk's records under the kiosk's own id and
 * numbers, skips included, and forwards a skipped record once it arrives;
 * a store at schema 7 with consents migrates and uploads them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cv_error.h"
#include "cv_roster.h"
#include "cv_store.h"
#include "cv_store_people.h"
#include "cv_store_sync.h"
#include "cv_sync_codec.h"
#include "store_internal.h"

#define T0 INT64_C(1796205600000) /* 2026-12-02T10:00:00Z */

struct fixture {
	char dir[512];
	struct cv_store *kiosk, *kiosk2, *hub, *main;
};

static struct cv_store *open_at(const char *dir, const char *file, const char *id)
{
	char path[700], err[256];
	struct cv_store *s;
	snprintf(path, sizeof path, "%s/%s", dir, file);
	if (cv_store_open(path, id, &s, err, sizeof err) != 0)
		fail_msg("open %s: %s", path, err);
	return s;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	const char *base = getenv("CONVENE_TEST_ARTIFACTS");
	snprintf(fx->dir, sizeof fx->dir, "%s/store-forward-XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(fx->dir))
		return -1;
	fx->kiosk = open_at(fx->dir, "k1.db", "k1");
	fx->kiosk2 = open_at(fx->dir, "k2.db", "k2");
	fx->hub = open_at(fx->dir, "hub.db", "hub");
	fx->main = open_at(fx->dir, "main.db", "main");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	cv_store_close(fx->kiosk);
	cv_store_close(fx->kiosk2);
	cv_store_close(fx->hub);
	cv_store_close(fx->main);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static struct cv_stamp stamp_at(int64_t mono, int64_t wall)
{
	struct cv_stamp s = {.mono_ms = mono, .wall_ms = wall, .wall_trusted = true};
	snprintf(s.boot_id, sizeof s.boot_id, "boot-1");
	return s;
}

static void roster(struct cv_store *s)
{
	struct cv_roster_row rows[2] = {
	    {.name = (char *)"Ann",
	     .organization = (char *)"Acme",
	     .external_id = (char *)"A-1",
	     .badge_uid = "04A1B2C3",
	     .line = 2},
	    {.name = (char *)"Bo",
	     .organization = (char *)"",
	     .email = (char *)"bo@example.org",
	     .badge_uid = "04D4E5F6",
	     .line = 3},
	};
	struct cv_roster r = {.rows = rows, .count = 2};
	struct cv_import_stats st;
	char err[256];
	struct cv_stamp now = stamp_at(1, T0);
	assert_int_equal(cv_store_import_roster(s, &r, &now, &st, err, sizeof err), 0);
}

/* n taps alternating Ann and Bo (each first tap of a day also checks in). */
static void taps(struct cv_store *s, int n)
{
	struct cv_tap_result res;
	for (int i = 0; i < n; i++) {
		struct cv_stamp st = stamp_at(1000 + i, T0 + i);
		assert_int_equal(cv_store_record_tap(s, i % 2 ? "04D4E5F6" : "04A1B2C3", NULL,
		                                     "hall", &st, &res),
		                 0);
	}
}

static int64_t count(struct cv_store *s, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(cv_store_db(s), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static char *text(struct cv_store *s, const char *sql, char *out, size_t size)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(cv_store_db(s), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const unsigned char *v = sqlite3_column_text(st, 0);
	snprintf(out, size, "%s", v ? (const char *)v : "(null)");
	sqlite3_finalize(st);
	return out;
}

static int64_t person_id(struct cv_store *s, const char *ext)
{
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT id FROM people WHERE external_id = '%s'", ext);
	return count(s, sql);
}

static int64_t consent(struct cv_store *s, enum cv_consent c, bool show, int64_t tap_seq,
                       int64_t wall)
{
	int64_t seq;
	struct cv_stamp st = stamp_at(5000, wall);
	assert_int_equal(
	    cv_store_record_consent(s, person_id(s, "A-1"), c, show, tap_seq, &st, &seq), 0);
	return seq;
}

/* Uploads everything pending from `from` (its own records, or with
 * kiosk_id set, another kiosk's it holds) into `to`. Returns batches. */
static int upload(struct cv_store *from, const char *kiosk_id, struct cv_store *to)
{
	int batches = 0;
	for (;;) {
		struct cv_sync_batch b;
		struct cv_sync_reply r;
		int rc = kiosk_id ? cv_store_sync_next_batch_for(from, kiosk_id, 4, T0, &b)
		                  : cv_store_sync_next_batch(from, 4, T0, &b);
		assert_int_equal(rc, 0);
		if (b.record_count + b.skip_count + b.person_count == 0) {
			cv_sync_batch_free(&b);
			return batches;
		}
		assert_int_equal(cv_sync_batch_validate(&b, NULL, 0), 0);
		assert_int_equal(cv_store_sync_ingest(to, &b, T0, 100, &r), 0);
		if (!r.ok)
			fail_msg("refused: %s: %s", r.error, r.message);
		assert_int_equal(cv_store_sync_batch_done(from, &b, &r), 0);
		cv_sync_batch_free(&b);
		cv_sync_reply_free(&r);
		if (++batches > 100)
			fail_msg("upload does not end");
	}
}

static void test_consents_travel_once(void **state)
{
	struct fixture *fx = *state;
	char buf[64];
	roster(fx->kiosk);
	taps(fx->kiosk, 4); /* seq 1..6: taps with two check-ins */
	assert_int_equal(consent(fx->kiosk, CV_CONSENT_ATTENDANCE, false, 1, T0 + 100), 1);
	assert_int_equal(consent(fx->kiosk, CV_CONSENT_ENCOUNTERS, true, 3, T0 + 200), 2);

	struct cv_sync_counts c;
	assert_int_equal(cv_store_sync_counts(fx->kiosk, &c), 0);
	assert_int_equal(c.pending, 8); /* 6 numbered records and 2 consents to number */

	struct cv_sync_batch b;
	assert_int_equal(cv_store_sync_next_batch(fx->kiosk, 100, T0, &b), 0);
	assert_int_equal(b.record_count, 8);
	assert_int_equal(b.skip_count, 0);
	/* Numbered after what was there, in the order they were given. */
	assert_int_equal(b.records[6].kind, CV_SYNC_CONSENT);
	assert_int_equal(b.records[6].seq, 7);
	assert_int_equal(b.records[6].consent_seq, 1);
	assert_string_equal(b.records[6].consent, "attendance");
	assert_false(b.records[6].show_name);
	assert_int_equal(b.records[6].tap_seq, 1);
	assert_int_equal(b.records[7].seq, 8);
	assert_int_equal(b.records[7].consent_seq, 2);
	assert_true(b.records[7].show_name);
	/* Numbering is kept: a second look gives the same numbers. */
	struct cv_sync_batch again;
	assert_int_equal(cv_store_sync_next_batch(fx->kiosk, 100, T0, &again), 0);
	assert_int_equal(again.record_count, 8);
	assert_int_equal(again.records[7].seq, 8);
	cv_sync_batch_free(&again);

	struct cv_sync_reply r;
	assert_int_equal(cv_store_sync_ingest(fx->main, &b, T0, 100, &r), 0);
	assert_true(r.ok);
	assert_int_equal(r.stored, 8);
	assert_int_equal(cv_store_sync_batch_done(fx->kiosk, &b, &r), 0);
	cv_sync_reply_free(&r);
	/* The same batch again stores nothing. */
	assert_int_equal(cv_store_sync_ingest(fx->main, &b, T0, 100, &r), 0);
	assert_false(r.ok);
	assert_string_equal(r.error, "replayed");
	cv_sync_reply_free(&r);
	cv_sync_batch_free(&b);

	assert_int_equal(count(fx->main, "SELECT count(*) FROM consents WHERE kiosk_id = 'k1'"), 2);
	assert_int_equal(count(fx->main, "SELECT tap_seq FROM consents WHERE seq = 1"), 1);
	assert_string_equal(
	    text(fx->main, "SELECT consent FROM people WHERE external_id = 'A-1'", buf, sizeof buf),
	    "encounters");
	assert_int_equal(count(fx->main, "SELECT show_name FROM people WHERE external_id = 'A-1'"),
	                 1);
	assert_int_equal(cv_store_sync_counts(fx->kiosk, &c), 0);
	assert_int_equal(c.pending, 0);
	assert_int_equal(c.quarantined, 0);
	assert_int_equal(upload(fx->kiosk, NULL, fx->main), 0);

	/* Another kiosk's older choice arrives later: the latest stays. */
	roster(fx->kiosk2);
	taps(fx->kiosk2, 1);
	consent(fx->kiosk2, CV_CONSENT_ATTENDANCE, false, 1, T0 + 150);
	assert_true(upload(fx->kiosk2, NULL, fx->main) > 0);
	assert_string_equal(
	    text(fx->main, "SELECT consent FROM people WHERE external_id = 'A-1'", buf, sizeof buf),
	    "encounters");
	/* A newer one wins. */
	consent(fx->kiosk2, CV_CONSENT_ATTENDANCE, false, 1, T0 + 300);
	assert_true(upload(fx->kiosk2, NULL, fx->main) > 0);
	assert_string_equal(
	    text(fx->main, "SELECT consent FROM people WHERE external_id = 'A-1'", buf, sizeof buf),
	    "attendance");
	assert_int_equal(count(fx->main, "SELECT count(*) FROM consents"), 4);
	assert_int_equal(count(fx->main, "SELECT count(*) FROM sync_gaps"), 0);
}

/* Records of kiosk k1 in a store, as one comparable text. */
static void digest(struct cv_store *s, char *out, size_t size)
{
	text(s,
	     "SELECT group_concat(x, '|') FROM (SELECT k || ':' || seq || ':' || v AS x FROM ("
	     " SELECT 'tap' k, seq, uid || zone || mono_ms v FROM taps WHERE kiosk_id = 'k1'"
	     " UNION ALL SELECT 'checkin', seq, day || tap_seq FROM checkins WHERE kiosk_id = 'k1'"
	     " UNION ALL SELECT 'consent', seq, consent || show_name || coalesce(tap_seq, '-')"
	     "  FROM consents WHERE kiosk_id = 'k1') ORDER BY k, seq)",
	     out, size);
}

static void test_hub_forwards_exactly_once(void **state)
{
	struct fixture *fx = *state;
	char here[4096], there[4096];
	roster(fx->kiosk);
	taps(fx->kiosk, 6); /* seq 1..8: six taps, two check-ins */
	consent(fx->kiosk, CV_CONSENT_ENCOUNTERS, true, 1, T0 + 100); /* gets seq 9 */
	/* The hub refused seq 4 for good (say): it travels as a skip. */
	assert_int_equal(cv_store_sync_quarantine(fx->kiosk, 4, "refused: test", T0), 0);
	assert_true(upload(fx->kiosk, NULL, fx->hub) > 0);
	int64_t held;
	assert_int_equal(cv_store_sync_held(fx->hub, "k1", &held), 0);
	assert_int_equal(held, 9);

	/* The hub forwards under k1's id and numbers, the skip with its reason. */
	struct cv_sync_batch b;
	assert_int_equal(cv_store_sync_next_batch_for(fx->hub, "k1", 100, T0, &b), 0);
	assert_string_equal(b.kiosk_id, "k1");
	assert_int_equal(b.record_count, 8);
	assert_int_equal(b.skip_count, 1);
	assert_int_equal(b.skipped[0].seq, 4);
	assert_string_equal(b.skipped[0].reason, "refused: test");
	assert_int_equal(b.records[7].kind, CV_SYNC_CONSENT);
	assert_int_equal(b.records[7].seq, 9);
	cv_sync_batch_free(&b);
	assert_true(upload(fx->hub, "k1", fx->main) > 0);
	assert_int_equal(cv_store_sync_held(fx->main, "k1", &held), 0);
	assert_int_equal(held, 9);
	assert_int_equal(count(fx->main, "SELECT count(*) FROM sync_gaps WHERE seq = 4"), 1);
	int64_t up;
	assert_int_equal(cv_store_sync_acked_for(fx->hub, "k1", &up), 0);
	assert_int_equal(up, 9);
	/* Nothing more to forward. */
	assert_int_equal(upload(fx->hub, "k1", fx->main), 0);

	/* After a fix the kiosk retries seq 4: the hub fills its gap and
	 * forwards it, once. */
	int64_t n;
	assert_int_equal(cv_store_sync_retry(fx->kiosk, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(upload(fx->kiosk, NULL, fx->hub), 1);
	assert_int_equal(upload(fx->hub, "k1", fx->main), 1);
	assert_int_equal(upload(fx->hub, "k1", fx->main), 0);
	assert_int_equal(count(fx->main, "SELECT count(*) FROM sync_gaps"), 0);
	assert_int_equal(count(fx->hub, "SELECT count(*) FROM sync_quarantine"), 0);

	digest(fx->kiosk, here, sizeof here);
	digest(fx->main, there, sizeof there);
	assert_string_equal(here, there);
	assert_int_equal(count(fx->main, "SELECT count(*) FROM taps WHERE kiosk_id = 'k1'"), 6);
	assert_int_equal(count(fx->main, "SELECT count(*) FROM consents WHERE kiosk_id = 'k1'"), 1);
	assert_int_equal(count(fx->main, "SELECT seq FROM sync_consent_seqs WHERE kiosk_id = 'k1'"),
	                 9);
	/* The hub's own records: none, and it sends none of k1's as its own. */
	assert_int_equal(count(fx->main, "SELECT count(*) FROM taps WHERE kiosk_id = 'hub'"), 0);
}

static void test_migrates_from_7_with_consents(void **state)
{
	struct fixture *fx = *state;
	char path[700], err[256];
	snprintf(path, sizeof path, "%s/v7.db", fx->dir);
	struct cv_store *s;
	assert_int_equal(cv_store_open_at_version(path, "k1", 7, &s, err, sizeof err), 0);
	assert_int_equal(cv_store_exec(s, "INSERT INTO people (id, name, organization, role, "
	                                  "created_wall_ms, updated_wall_ms) "
	                                  "VALUES (1, 'Ann', 'Acme', 'attendee', 1, 1)"),
	                 0);
	assert_int_equal(cv_store_exec(s, "INSERT INTO consents VALUES ('k1', 1, 1, 'attendance', "
	                                  "0, NULL, 'b', 1, 1796205600000, 1)"),
	                 0);
	cv_store_close(s);
	s = open_at(fx->dir, "v7.db", "k1");
	int version;
	assert_int_equal(cv_store_schema_version(s, &version), 0);
	assert_int_equal(version, CV_STORE_SCHEMA_VERSION);
	struct cv_sync_counts c;
	assert_int_equal(cv_store_sync_counts(s, &c), 0);
	assert_int_equal(c.pending, 1);
	struct cv_sync_batch b;
	assert_int_equal(cv_store_sync_next_batch(s, 10, T0, &b), 0);
	assert_int_equal(b.record_count, 1);
	assert_int_equal(b.records[0].kind, CV_SYNC_CONSENT);
	assert_int_equal(b.records[0].seq, 1);
	assert_int_equal(b.records[0].tap_seq, 0);
	assert_int_equal(b.skip_count, 0);
	cv_sync_batch_free(&b);
	cv_store_close(s);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_consents_travel_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hub_forwards_exactly_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrates_from_7_with_consents, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
