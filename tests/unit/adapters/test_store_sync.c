/* Tests of the store's sync side, kiosk and server in one process (no
 * HTTP): batches in sequence order with their people; exactly-once ingest
 * of repeated, overlapping and out-of-order batches; a batch with a refused
 * record stores nothing; quarantine, skips and a retry that fills the gap;
 * the roster merged by external id and email; clock fixes for a kiosk whose
 * clock was three days wrong; migrations to the sync schema from every
 * earlier version. */
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
#include "cv_store_sync.h"
#include "cv_sync_codec.h"
#include "store_internal.h"

#define T0 INT64_C(1796205600000) /* 2026-12-02T10:00:00Z */
#define DAY_MS INT64_C(86400000)

struct fixture {
	char dir[512];
	char kiosk_db[600], server_db[600];
	struct cv_store *kiosk, *server;
};

static struct cv_store *open_at(const char *path, const char *id)
{
	struct cv_store *s;
	char err[256];
	int rc = cv_store_open(path, id, &s, err, sizeof err);
	if (rc != 0)
		fail_msg("open %s: %s", path, err);
	return s;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	const char *base = getenv("CONVENE_TEST_ARTIFACTS");
	snprintf(fx->dir, sizeof fx->dir, "%s/store-sync-XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->kiosk_db, sizeof fx->kiosk_db, "%s/kiosk.db", fx->dir);
	snprintf(fx->server_db, sizeof fx->server_db, "%s/server.db", fx->dir);
	fx->kiosk = open_at(fx->kiosk_db, "k1");
	fx->server = open_at(fx->server_db, "hub");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	cv_store_close(fx->kiosk);
	cv_store_close(fx->server);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static struct cv_stamp stamp_at(const char *boot, int64_t mono, int64_t wall, bool trusted)
{
	struct cv_stamp s = {.mono_ms = mono, .wall_ms = wall, .wall_trusted = trusted};
	snprintf(s.boot_id, sizeof s.boot_id, "%s", boot);
	return s;
}

/* Two people with badges: A (external id A-1) and B (email only). */
static void roster(struct cv_store *s, const char *a_name)
{
	struct cv_roster_row rows[2] = {
	    {.name = (char *)a_name,
	     .organization = (char *)"Acme",
	     .external_id = (char *)"A-1",
	     .badge_uid = "04A1B2C3",
	     .line = 2},
	    {.name = (char *)"Bo",
	     .organization = (char *)"",
	     .email = (char *)"Bo@Example.org",
	     .badge_uid = "04D4E5F6",
	     .line = 3},
	};
	struct cv_roster r = {.rows = rows, .count = 2};
	struct cv_import_stats st;
	char err[256];
	struct cv_stamp now = stamp_at("boot-0", 1, T0, true);
	assert_int_equal(cv_store_import_roster(s, &r, &now, &st, err, sizeof err), 0);
}

/* n taps alternating A and B; every second one pairs them. */
static void taps(struct cv_store *s, int n, const char *boot, int64_t wall0, bool trusted)
{
	struct cv_tap_result prev = {0}, res;
	for (int i = 0; i < n; i++) {
		struct cv_stamp st = stamp_at(boot, 1000 + i * 10, wall0 + i * 10, trusted);
		assert_int_equal(cv_store_record_tap(s, i % 2 ? "04D4E5F6" : "04A1B2C3", NULL,
		                                     "hall", &st, &res),
		                 0);
		if (i % 2 == 1) {
			int64_t seq;
			assert_int_equal(cv_store_record_encounter(s, prev.person.id, res.person.id,
			                                           prev.tap_seq, res.tap_seq,
			                                           "worked", "hall", &st, &seq),
			                 0);
		}
		prev = res;
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

static int64_t server_records(struct cv_store *s)
{
	return count(s, "SELECT (SELECT count(*) FROM taps WHERE kiosk_id = 'k1') + "
	                "(SELECT count(*) FROM checkins WHERE kiosk_id = 'k1') + "
	                "(SELECT count(*) FROM encounters WHERE kiosk_id = 'k1') + "
	                "(SELECT count(*) FROM answers WHERE kiosk_id = 'k1') + "
	                "(SELECT count(*) FROM clock_fixes WHERE kiosk_id = 'k1')");
}

/* One sync step in process: batch, ingest, acknowledge. Returns the reply
 * (caller frees). */
static struct cv_sync_reply step(struct fixture *fx, size_t max)
{
	struct cv_sync_batch b;
	struct cv_sync_reply r;
	assert_int_equal(cv_store_sync_next_batch(fx->kiosk, max, T0, &b), 0);
	assert_int_equal(cv_store_sync_ingest(fx->server, &b, T0, 100, &r), 0);
	if (r.ok)
		assert_int_equal(cv_store_sync_batch_done(fx->kiosk, &b, &r), 0);
	cv_sync_batch_free(&b);
	return r;
}

static void test_batches_in_order_with_people(void **state)
{
	struct fixture *fx = *state;
	roster(fx->kiosk, "Ann");
	taps(fx->kiosk, 10, "boot-1", T0, true); /* 10 taps, 2 check-ins, 5 encounters */
	struct cv_sync_batch b;
	assert_int_equal(cv_store_sync_next_batch(fx->kiosk, 7, T0, &b), 0);
	assert_int_equal(b.record_count, 7);
	assert_string_equal(b.kiosk_id, "k1");
	for (size_t i = 0; i < b.record_count; i++)
		assert_int_equal(b.records[i].seq, (int64_t)i + 1);
	assert_int_equal(b.records[0].kind, CV_SYNC_TAP);
	assert_int_equal(b.records[1].kind, CV_SYNC_CHECKIN);
	assert_int_equal(b.person_count, 2);
	assert_int_equal(cv_sync_batch_validate(&b, NULL, 0), 0);
	cv_sync_batch_free(&b);

	struct cv_sync_counts c;
	assert_int_equal(cv_store_sync_counts(fx->kiosk, &c), 0);
	assert_int_equal(c.pending, 17);
	assert_int_equal(c.last_seq, 17);
}

static void test_exactly_once(void **state)
{
	struct fixture *fx = *state;
	roster(fx->kiosk, "Ann");
	taps(fx->kiosk, 10, "boot-1", T0, true);

	struct cv_sync_batch first;
	struct cv_sync_reply r;
	assert_int_equal(cv_store_sync_next_batch(fx->kiosk, 5, T0, &first), 0);
	assert_int_equal(cv_store_sync_ingest(fx->server, &first, T0, 1, &r), 0);
	assert_true(r.ok);
	assert_int_equal(r.acked_seq, 5);
	assert_int_equal(r.stored, 5);
	cv_sync_reply_free(&r);
	/* The reply was lost: the same batch again is a replay, stores nothing. */
	assert_int_equal(cv_store_sync_ingest(fx->server, &first, T0, 1, &r), 0);
	assert_false(r.ok);
	assert_string_equal(r.error, "replayed");
	assert_int_equal(r.acked_seq, 5);
	cv_sync_reply_free(&r);
	assert_int_equal(server_records(fx->server), 5);

	/* The kiosk never heard: it sends 1..9, overlapping; only 6..9 are new. */
	struct cv_sync_batch wider;
	assert_int_equal(cv_store_sync_next_batch(fx->kiosk, 9, T0, &wider), 0);
	assert_int_equal(cv_store_sync_ingest(fx->server, &wider, T0, 1, &r), 0);
	assert_true(r.ok);
	assert_int_equal(r.stored, 4);
	assert_int_equal(r.duplicates, 5);
	assert_int_equal(r.acked_seq, 9);
	assert_int_equal(cv_store_sync_batch_done(fx->kiosk, &wider, &r), 0);
	cv_sync_reply_free(&r);
	cv_sync_batch_free(&wider);

	/* Out of order: a batch that starts past what the server holds. */
	struct cv_sync_batch late;
	assert_int_equal(cv_store_sync_next_batch(fx->kiosk, 3, T0, &late), 0);
	assert_int_equal(late.records[0].seq, 10);
	struct cv_sync_batch gap = late;
	gap.records = late.records + 1; /* starts at 11 */
	gap.record_count = late.record_count - 1;
	assert_int_equal(cv_store_sync_ingest(fx->server, &gap, T0, 1, &r), 0);
	assert_false(r.ok);
	assert_string_equal(r.error, "out_of_order");
	assert_int_equal(r.acked_seq, 9);
	cv_sync_reply_free(&r);
	assert_int_equal(server_records(fx->server), 9);
	cv_sync_batch_free(&late);
	cv_sync_batch_free(&first);

	/* The rest, then nothing is pending and the server has all of it. */
	for (int i = 0; i < 5; i++) {
		r = step(fx, 4);
		cv_sync_reply_free(&r);
	}
	struct cv_sync_counts c;
	assert_int_equal(cv_store_sync_counts(fx->kiosk, &c), 0);
	assert_int_equal(c.pending, 0);
	assert_int_equal(c.acked_seq, 17);
	assert_int_equal(server_records(fx->server), 17);
	int64_t held;
	assert_int_equal(cv_store_sync_held(fx->server, "k1", &held), 0);
	assert_int_equal(held, 17);
	struct cv_sync_batch none;
	assert_int_equal(cv_store_sync_next_batch(fx->kiosk, 100, T0, &none), 0);
	assert_int_equal(none.record_count + none.skip_count + none.person_count, 0);
	cv_sync_batch_free(&none);
}

static void test_rejected_record_stores_nothing(void **state)
{
	struct fixture *fx = *state;
	roster(fx->kiosk, "Ann");
	taps(fx->kiosk, 4, "boot-1", T0, true);
	struct cv_sync_batch b;
	assert_int_equal(cv_store_sync_next_batch(fx->kiosk, 100, T0, &b), 0);
	/* Hold the first tap back as a skip: the check-in (seq 2) then names
	 * a tap the server does not hold. */
	assert_int_equal(b.records[0].kind, CV_SYNC_TAP);
	assert_int_equal(b.records[1].kind, CV_SYNC_CHECKIN);
	assert_int_equal(b.records[1].tap_seq, 1);
	memmove(&b.records[0], &b.records[1], (b.record_count - 1) * sizeof b.records[0]);
	b.record_count--;
	b.skipped[0].seq = 1;
	snprintf(b.skipped[0].reason, sizeof b.skipped[0].reason, "held back on the kiosk");
	b.skip_count = 1;
	assert_int_equal(cv_sync_batch_validate(&b, NULL, 0), 0);
	struct cv_sync_reply r;
	assert_int_equal(cv_store_sync_ingest(fx->server, &b, T0, 1, &r), 0);
	assert_false(r.ok);
	assert_string_equal(r.error, "rejected");
	assert_true(r.rejected_count >= 1);
	assert_int_equal(r.rejected[0].seq, 2);
	assert_string_equal(r.rejected[0].reason, "its tap is not held by the server");
	cv_sync_reply_free(&r);
	/* Never half-stored: no record, no gap, no people, nothing held. */
	assert_int_equal(server_records(fx->server), 0);
	assert_int_equal(count(fx->server, "SELECT count(*) FROM sync_gaps"), 0);
	assert_int_equal(count(fx->server, "SELECT count(*) FROM people"), 0);
	assert_int_equal(count(fx->server, "SELECT count(*) FROM sync_held"), 0);
	cv_sync_batch_free(&b);
}

static void test_quarantine_and_retry(void **state)
{
	struct fixture *fx = *state;
	roster(fx->kiosk, "Ann");
	taps(fx->kiosk, 6, "boot-1", T0, true); /* seq 1..11 */
	/* The server refused seq 5 for good (say): it waits in quarantine. */
	assert_int_equal(cv_store_sync_quarantine(fx->kiosk, 5, "refused: test", T0), 0);
	struct cv_sync_counts c;
	assert_int_equal(cv_store_sync_counts(fx->kiosk, &c), 0);
	assert_int_equal(c.quarantined, 1);
	assert_int_equal(c.pending, 10);

	struct cv_sync_batch b;
	assert_int_equal(cv_store_sync_next_batch(fx->kiosk, 100, T0, &b), 0);
	assert_int_equal(b.skip_count, 1);
	assert_int_equal(b.skipped[0].seq, 5);
	for (size_t i = 0; i < b.record_count; i++)
		assert_int_not_equal(b.records[i].seq, 5);
	cv_sync_batch_free(&b);
	struct cv_sync_reply r = step(fx, 100);
	assert_true(r.ok);
	assert_int_equal(r.acked_seq, 11); /* passes over the skip */
	cv_sync_reply_free(&r);
	assert_int_equal(server_records(fx->server), 10);
	assert_int_equal(count(fx->server, "SELECT count(*) FROM sync_gaps WHERE seq = 5"), 1);

	/* After a fix, a retry sends it again and it fills the gap, once. */
	int64_t n;
	assert_int_equal(cv_store_sync_retry(fx->kiosk, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cv_store_sync_counts(fx->kiosk, &c), 0);
	assert_int_equal(c.pending, 1);
	r = step(fx, 100);
	assert_true(r.ok);
	assert_int_equal(r.stored, 1);
	cv_sync_reply_free(&r);
	assert_int_equal(server_records(fx->server), 11);
	assert_int_equal(count(fx->server, "SELECT count(*) FROM sync_gaps"), 0);
	assert_int_equal(cv_store_sync_counts(fx->kiosk, &c), 0);
	assert_int_equal(c.quarantined, 0);
	assert_int_equal(c.pending, 0);
}

static void test_roster_merge(void **state)
{
	struct fixture *fx = *state;
	/* The server knows Ann already, under an older name, and Bo
	 * by email in another case. */
	roster(fx->server, "Ann Old");
	assert_int_equal(cv_store_exec(fx->server, "UPDATE people SET updated_wall_ms = 1; "
	                                           "UPDATE people SET email = 'bo@example.org' "
	                                           "WHERE name = 'Bo'"),
	                 0);
	roster(fx->kiosk, "Ann New");
	taps(fx->kiosk, 2, "boot-1", T0, true);
	struct cv_sync_reply r = step(fx, 100);
	assert_true(r.ok);
	cv_sync_reply_free(&r);
	assert_int_equal(count(fx->server, "SELECT count(*) FROM people"), 2);
	assert_int_equal(count(fx->server, "SELECT count(*) FROM people WHERE name = 'Ann New'"),
	                 1);
	/* The server's records name the server's people. */
	assert_int_equal(count(fx->server, "SELECT count(*) FROM encounters e JOIN people a ON "
	                                   "a.id = e.person_a JOIN people b ON b.id = e.person_b "
	                                   "WHERE a.external_id = 'A-1' AND b.name = 'Bo'"),
	                 1);
}

static void test_clock_three_days_wrong(void **state)
{
	struct fixture *fx = *state;
	roster(fx->kiosk, "Ann");
	/* No RTC, no network: the kiosk believes it is three days earlier. */
	const int64_t real0 = T0, skew = -3 * DAY_MS;
	taps(fx->kiosk, 4, "boot-x", real0 + skew, false);
	/* A record of another boot stays as it was. */
	struct cv_tap_result res;
	struct cv_stamp other = stamp_at("boot-old", 50, real0 + skew - DAY_MS, false);
	assert_int_equal(cv_store_record_tap(fx->kiosk, "04A1B2C3", NULL, "hall", &other, &res), 0);

	/* The server's clock arrives with a sync reply, 1000 ms of monotonic
	 * time after the first tap (mono 1000). */
	struct cv_stamp now = stamp_at("boot-x", 2000, real0 + skew + 1000, false);
	bool recorded;
	assert_int_equal(
	    cv_store_sync_fix_clock(fx->kiosk, &now, real0 + 1000, "server", &recorded), 0);
	assert_true(recorded);
	/* Once per boot. */
	assert_int_equal(
	    cv_store_sync_fix_clock(fx->kiosk, &now, real0 + 5000, "server", &recorded), 0);
	assert_false(recorded);

	int64_t wall;
	bool corrected;
	/* seq 1 is the first tap: mono 1000, wall real0 - 3 days. */
	assert_int_equal(cv_store_sync_record_time(fx->kiosk, "k1", 1, &wall, &corrected), 0);
	assert_true(corrected);
	assert_int_equal(wall, real0);
	/* The original is kept. */
	assert_int_equal(count(fx->kiosk, "SELECT wall_ms FROM taps WHERE seq = 1"), real0 + skew);
	int64_t other_seq = res.tap_seq;
	assert_int_equal(cv_store_sync_record_time(fx->kiosk, "k1", other_seq, &wall, &corrected),
	                 0);
	assert_false(corrected);
	assert_int_equal(wall, real0 + skew - DAY_MS);

	/* The fix travels like any record and corrects the server's copy too. */
	struct cv_sync_reply r = step(fx, 100);
	assert_true(r.ok);
	cv_sync_reply_free(&r);
	assert_int_equal(count(fx->server, "SELECT count(*) FROM clock_fixes"), 1);
	assert_int_equal(cv_store_sync_record_time(fx->server, "k1", 3, &wall, &corrected), 0);
	assert_true(corrected);
	assert_int_equal(wall, real0 + 10); /* the second tap, 10 ms later */
}

static void test_migrates_from_every_version(void **state)
{
	struct fixture *fx = *state;
	for (int v = 1; v < 4; v++) {
		char path[700], err[256];
		snprintf(path, sizeof path, "%s/v%d.db", fx->dir, v);
		struct cv_store *s;
		assert_int_equal(cv_store_open_at_version(path, "k1", v, &s, err, sizeof err), 0);
		assert_int_equal(cv_store_exec(s, "INSERT INTO sequences VALUES ('k1', 7)"), 0);
		if (v >= 3)
			assert_int_equal(
			    cv_store_exec(s, "INSERT INTO sync_state VALUES ('k1', 3)"), 0);
		cv_store_close(s);
		s = open_at(path, "k1");
		int version;
		assert_int_equal(cv_store_schema_version(s, &version), 0);
		assert_int_equal(version, CV_STORE_SCHEMA_VERSION);
		struct cv_sync_counts c;
		assert_int_equal(cv_store_sync_counts(s, &c), 0);
		assert_int_equal(c.last_seq, 7);
		assert_int_equal(c.acked_seq, v >= 3 ? 3 : 0);
		assert_int_equal(c.quarantined, 0);
		assert_int_equal(count(s, "SELECT count(*) FROM record_times"), 0);
		cv_store_close(s);
	}
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_batches_in_order_with_people, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exactly_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rejected_record_stores_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_quarantine_and_retry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_roster_merge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clock_three_days_wrong, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrates_from_every_version, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
