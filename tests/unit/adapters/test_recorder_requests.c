/* The recorder's writer thread carrying out what organiser enrolment and
 * consent ask for, on a real store with the sim reader: a roster search, a
 * badge bound to the person chosen and then checking them in, unbinding and
 * revoking, a badge bound to someone else refused, the zone changed for
 * later taps, and a consent answered with SAVED and seen at the next tap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "cv_clock.h"
#include "cv_config.h"
#include "cv_error.h"
#include "cv_queue.h"
#include "cv_reader.h"
#include "cv_recorder.h"
#include "cv_roster.h"
#include "cv_store.h"

struct rig {
	struct cv_config cfg;
	struct cv_queue *inbox;
	struct cv_recorder *rec;
	uint32_t next_id;
};

static const char roster[] = "name,organization,external_id,badge_uid\n"
                             "Zoë Ørsted,Green Schools,p-1,04A1A2A3A4A5A6\n"
                             "Łukasz Nowak,Climate Kraków,p-2,\n"
                             "Anaïs Søndergaard,Clinica Norte,p-3,\n";

static int setup(void **state)
{
	struct rig *r = calloc(1, sizeof *r);
	const char *base = getenv("CONVENE_TEST_ARTIFACTS");
	char dir[256], err[256];
	struct cv_store *s = NULL;
	struct cv_roster ro;
	struct cv_import_stats stats;
	struct cv_stamp st = cv_clock_stamp();
	struct cv_reader *reader = NULL;

	assert_non_null(r);
	snprintf(dir, sizeof dir, "%.200s/recorder-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(dir));
	cv_config_defaults(&r->cfg);
	snprintf(r->cfg.store_path, sizeof r->cfg.store_path, "%s/kiosk.db", dir);
	snprintf(r->cfg.kiosk_id, sizeof r->cfg.kiosk_id, "k1");
	snprintf(r->cfg.zone, sizeof r->cfg.zone, "entrance");
	r->cfg.reader_driver = CV_READER_DRIVER_SIM;
	r->cfg.reader_script[0] = '\0';

	assert_int_equal(cv_store_open(r->cfg.store_path, "k1", &s, err, sizeof err), 0);
	assert_int_equal(cv_roster_parse(roster, strlen(roster), &ro, err, sizeof err), 0);
	assert_int_equal(cv_store_import_roster(s, &ro, &st, &stats, err, sizeof err), 0);
	cv_roster_free(&ro);
	cv_store_close(s);

	assert_int_equal(cv_queue_create(sizeof(struct cv_inbox_item), 64, NULL, NULL, &r->inbox),
	                 0);
	assert_int_equal(cv_reader_open(&r->cfg, &reader, err, sizeof err), 0);
	if (cv_recorder_start(&r->cfg, reader, r->inbox, &r->rec, err, sizeof err) != 0)
		fail_msg("recorder: %s", err);
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rig *r = *state;

	cv_queue_close(r->inbox);
	cv_recorder_stop(r->rec);
	cv_queue_destroy(r->inbox);
	free(r);
	return 0;
}

/* The next inbox item of kind (others, such as the reader coming online,
 * are skipped). */
static struct cv_inbox_item wait_for(struct rig *r, enum cv_inbox_kind kind)
{
	struct cv_inbox_item item;

	for (int i = 0; i < 200; i++) {
		int rc = cv_queue_pop(r->inbox, &item, 5000);
		if (rc != 1)
			fail_msg("no inbox item of kind %d", (int)kind);
		if (item.kind == kind)
			return item;
	}
	fail_msg("no inbox item of kind %d", (int)kind);
	return item;
}

static struct cv_flow_tap tap(struct rig *r, const char *uid)
{
	assert_int_equal(cv_recorder_inject_tap(r->rec, uid), 0);
	struct cv_inbox_item item = wait_for(r, CV_INBOX_TAP);
	assert_string_equal(item.tap.uid, uid);
	return item.tap;
}

static bool done(struct rig *r, uint32_t id)
{
	struct cv_inbox_item item = wait_for(r, CV_INBOX_ORG_DONE);
	assert_int_equal(item.write_id, id);
	return item.ok;
}

static int64_t find(struct rig *r, const char *query, struct cv_flow_person *out, int *n)
{
	uint32_t id = ++r->next_id;

	assert_int_equal(cv_recorder_submit_search(r->rec, id, query), 0);
	struct cv_inbox_item item = wait_for(r, CV_INBOX_SEARCH);
	assert_int_equal(item.write_id, id);
	*n = cv_recorder_take_results(r->rec, id, out, CV_RECORDER_RESULTS_MAX);
	/* an older search's results are gone */
	if (id > 1)
		assert_int_equal(cv_recorder_take_results(r->rec, id - 1, out, 1), -1);
	return *n > 0 ? out[0].id : 0;
}

static int64_t count(struct rig *r, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(r->cfg.store_path, &db, SQLITE_OPEN_READONLY, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void test_bind_then_check_in(void **state)
{
	struct rig *r = *state;
	struct cv_flow_person found[CV_RECORDER_RESULTS_MAX];
	const char *badge = "04C1C2C3C4C5C6";
	int n;

	/* an unknown badge, as enrolment sees it */
	struct cv_flow_tap t = tap(r, badge);
	assert_int_equal(t.person.id, 0);

	/* the organiser types "lukasz" without the accent */
	int64_t lukasz = find(r, "lukasz", found, &n);
	assert_int_equal(n, 1);
	assert_string_equal(found[0].name, "Łukasz Nowak");
	assert_int_equal(cv_recorder_submit_bind(r->rec, ++r->next_id, badge, lukasz), 0);
	assert_true(done(r, r->next_id));

	/* that badge now checks Łukasz in */
	t = tap(r, badge);
	assert_int_equal(t.person.id, lukasz);
	assert_string_equal(t.person.name, "Łukasz Nowak");
	assert_true(t.checked_in_now);
	assert_int_equal(count(r,
	                       "SELECT count(*) FROM checkins c JOIN people p ON p.id = "
	                       "c.person_id WHERE p.external_id = 'p-2' AND c.zone = 'entrance'"),
	                 1);

	/* Zoë's badge cannot be bound to Łukasz */
	assert_int_equal(cv_recorder_submit_bind(r->rec, ++r->next_id, "04A1A2A3A4A5A6", lukasz),
	                 0);
	assert_false(done(r, r->next_id));
	assert_string_equal(tap(r, "04A1A2A3A4A5A6").person.name, "Zoë Ørsted");

	/* unbind: nobody's again; revoke Zoë's */
	assert_int_equal(cv_recorder_submit_unbind(r->rec, ++r->next_id, badge), 0);
	assert_true(done(r, r->next_id));
	assert_int_equal(tap(r, badge).person.id, 0);
	assert_int_equal(cv_recorder_submit_unbind(r->rec, ++r->next_id, badge), 0);
	assert_false(done(r, r->next_id));
	assert_int_equal(cv_recorder_submit_revoke(r->rec, ++r->next_id, "04A1A2A3A4A5A6"), 0);
	assert_true(done(r, r->next_id));
	assert_int_equal(tap(r, "04A1A2A3A4A5A6").person.id, 0);
}

static void test_zone_change(void **state)
{
	struct rig *r = *state;
	struct cv_flow_person found[CV_RECORDER_RESULTS_MAX];
	int n;
	int64_t anais = find(r, "ANAIS", found, &n);

	assert_int_equal(n, 1);
	assert_int_equal(cv_recorder_submit_bind(r->rec, ++r->next_id, "04D1D2D3D4D5D6", anais), 0);
	assert_true(done(r, r->next_id));
	assert_int_equal(cv_recorder_submit_zone(r->rec, ++r->next_id, "workshop-2"), 0);
	assert_true(done(r, r->next_id));
	assert_true(tap(r, "04D1D2D3D4D5D6").checked_in_now);
	assert_int_equal(count(r, "SELECT count(*) FROM taps WHERE zone = 'workshop-2'"), 1);
	assert_int_equal(count(r, "SELECT count(*) FROM checkins WHERE zone = 'workshop-2'"), 1);
	assert_int_equal(cv_recorder_submit_zone(r->rec, ++r->next_id, ""), 0);
	assert_false(done(r, r->next_id));
}

/* The reader thread keeps coming round its loop while idle (each wait is
 * 500 ms): the main loop's watchdog gate reads this. */
static void test_reader_heartbeat(void **state)
{
	struct rig *r = *state;
	int64_t first = cv_recorder_reader_alive_ms(r->rec);
	assert_true(first > 0);
	struct timespec pause = {.tv_sec = 1, .tv_nsec = 300000000L};
	nanosleep(&pause, NULL);
	int64_t later = cv_recorder_reader_alive_ms(r->rec);
	assert_true(later > first);
}

static void test_consent_saved(void **state)
{
	struct rig *r = *state;
	struct cv_flow_person found[CV_RECORDER_RESULTS_MAX];
	int n;
	int64_t anais = find(r, "søndergaard", found, &n);

	assert_int_equal(n, 1);
	assert_int_equal(found[0].consent, CV_CONSENT_UNSET);
	assert_int_equal(
	    cv_recorder_submit_consent(r->rec, 77, anais, CV_CONSENT_ATTENDANCE, true, 5), 0);
	struct cv_inbox_item item = wait_for(r, CV_INBOX_SAVED);
	assert_int_equal(item.write_id, 77);
	assert_true(item.ok);
	find(r, "anais", found, &n);
	assert_int_equal(found[0].consent, CV_CONSENT_ATTENDANCE);
	assert_true(found[0].show_name);
	/* nobody: SAVED with ok false */
	assert_int_equal(
	    cv_recorder_submit_consent(r->rec, 78, 999, CV_CONSENT_ATTENDANCE, true, 0), 0);
	item = wait_for(r, CV_INBOX_SAVED);
	assert_int_equal(item.write_id, 78);
	assert_false(item.ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_bind_then_check_in, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_zone_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_consent_saved, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reader_heartbeat, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
