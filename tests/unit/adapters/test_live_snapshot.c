/* The live screen's snapshot builder on a real SQLite file written by
 * another connection, as kiosks and sync write it: after random appends of
 * check-ins and encounters from several kiosks, the snapshot read on from
 * the previous one equals a snapshot built from scratch; a roster or
 * consent change, a new day, a row synced in late or numbered below its
 * kiosk's last make it start over, and the result still equals; so does
 * the live thread's way (at once without suggestions, then with them). */
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

#include "cv_error.h"
#include "cv_live.h"
#include "cv_store.h"

#define PEOPLE 60
#define DAY "2026-06-15"

static const char *const kiosks[] = {"k-a", "k-b", "k-c"};
static int64_t kseq[3];
static int64_t noon; /* the day's local noon, Unix ms */
static int64_t clock_ms;
static uint64_t rng = 0x2545F4914F6CDD1DULL;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545F4914F6CDD1DULL) >> 33) % n;
}

struct fixture {
	char path[600];
	struct cv_store *store; /* the reader's connection */
	sqlite3 *db;            /* the writer's */
};

static void exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", sql, msg ? msg : "?");
	sqlite3_free(msg);
	assert_int_equal(rc, SQLITE_OK);
}

static void add_checkin(sqlite3 *db, int k, int64_t seq, int person, const char *zone,
                        const char *day, int64_t wall)
{
	char sql[512];
	snprintf(
	    sql, sizeof sql,
	    "INSERT INTO checkins (kiosk_id, seq, person_id, zone, day, tap_seq, boot_id, "
	    "mono_ms, wall_ms, wall_trusted) VALUES ('%s', %lld, %d, '%s', '%s', %lld, 'b', 0, "
	    "%lld, 1)",
	    kiosks[k], (long long)seq, person, zone, day, (long long)seq, (long long)wall);
	exec(db, sql);
}

static void add_encounter(sqlite3 *db, int k, int64_t seq, int a, int b, int64_t wall)
{
	char sql[512];
	snprintf(
	    sql, sizeof sql,
	    "INSERT INTO encounters (kiosk_id, seq, person_a, person_b, a_tap_seq, b_tap_seq, "
	    "answer, zone, boot_id, mono_ms, wall_ms, wall_trusted) VALUES ('%s', %lld, %d, %d, "
	    "0, 0, NULL, 'hall', 'b', 0, %lld, 1)",
	    kiosks[k], (long long)seq, a, b, (long long)wall);
	exec(db, sql);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *base = getenv("CONVENE_TEST_ARTIFACTS");
	char dir[512], err[256];
	struct tm tm = {
	    .tm_year = 2026 - 1900, .tm_mon = 5, .tm_mday = 15, .tm_hour = 12, .tm_isdst = -1};

	assert_non_null(f);
	snprintf(dir, sizeof dir, "%.400s/live-snapshot-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(f->path, sizeof f->path, "%s/live.db", dir);
	assert_int_equal(cv_store_open(f->path, "reader", &f->store, err, sizeof err), 0);
	assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);
	sqlite3_busy_timeout(f->db, 2000);
	noon = (int64_t)mktime(&tm) * 1000;
	clock_ms = noon - 3 * 3600 * 1000;
	memset(kseq, 0, sizeof kseq);
	exec(f->db, "BEGIN");
	for (int i = 1; i <= PEOPLE; i++) {
		char sql[512];
		snprintf(
		    sql, sizeof sql,
		    "INSERT INTO people (id, external_id, name, organization, role, "
		    "created_wall_ms, updated_wall_ms, consent, show_name) VALUES (%d, 'p-%d', "
		    "'Person %d', 'Org %d', 'attendee', 0, 0, 'encounters', %d)",
		    i, i, i, i % 7, i % 3 == 0);
		exec(f->db, sql);
	}
	exec(f->db, "COMMIT");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	sqlite3_close(f->db);
	cv_store_close(f->store);
	unlink(f->path);
	free(f);
	return 0;
}

/* Some check-ins and encounters from random kiosks, later than all before. */
static void append_random(sqlite3 *db, int checkins, int encounters)
{
	static const char *const zones[] = {"hall", "entrance", "garden", "workshop"};

	exec(db, "BEGIN");
	for (int i = 0; i < checkins; i++) {
		int k = (int)rnd(3);
		clock_ms += 1 + rnd(60000);
		add_checkin(db, k, ++kseq[k], 1 + (int)rnd(PEOPLE), zones[rnd(4)], DAY, clock_ms);
	}
	clock_ms += 1; /* a round's rows come after the last round's */
	for (int i = 0; i < encounters; i++) {
		int k = (int)rnd(3), a = 1 + (int)rnd(PEOPLE), b;
		do
			b = 1 + (int)rnd(PEOPLE);
		while (b == a);
		clock_ms += rnd(3) ? 1 + rnd(30000) : 0; /* some at the same ms */
		add_encounter(db, k, ++kseq[k], a, b, clock_ms);
	}
	exec(db, "COMMIT");
}

static void assert_same(const struct cv_live_snapshot *x, const struct cv_live_snapshot *y)
{
	assert_string_equal(x->day, y->day);
	assert_int_equal(x->expected, y->expected);
	assert_int_equal(x->checked_in, y->checked_in);
	assert_int_equal(x->encounters, y->encounters);
	assert_memory_equal(x->arrivals, y->arrivals, sizeof x->arrivals);
	assert_int_equal(x->zone_count, y->zone_count);
	for (int i = 0; i < x->zone_count; i++) {
		assert_string_equal(x->zones[i].zone, y->zones[i].zone);
		assert_int_equal(x->zones[i].people, y->zones[i].people);
	}
	assert_int_equal(x->org_count, y->org_count);
	for (int i = 0; i < x->org_count; i++)
		assert_string_equal(x->orgs[i], y->orgs[i]);
	assert_int_equal(x->person_count, y->person_count);
	for (size_t i = 0; i < x->person_count; i++) {
		assert_int_equal(x->people[i].id, y->people[i].id);
		assert_string_equal(x->people[i].name, y->people[i].name);
		assert_int_equal(x->people[i].org, y->people[i].org);
		assert_int_equal(x->people[i].present, y->people[i].present);
		assert_int_equal(x->people[i].partners, y->people[i].partners);
	}
	assert_int_equal(x->tie_count, y->tie_count);
	for (size_t i = 0; i < x->tie_count; i++) {
		assert_int_equal(x->ties[i].a, y->ties[i].a);
		assert_int_equal(x->ties[i].b, y->ties[i].b);
		assert_int_equal(x->ties[i].count, y->ties[i].count);
	}
	assert_int_equal(x->lonely, y->lonely);
	assert_int_equal(x->lonely_named_count, y->lonely_named_count);
	assert_memory_equal(x->lonely_named, y->lonely_named,
	                    (size_t)x->lonely_named_count * sizeof x->lonely_named[0]);
	assert_int_equal(x->intro_count, y->intro_count);
	for (int i = 0; i < x->intro_count; i++) {
		assert_int_equal(x->intros[i].a, y->intros[i].a);
		assert_int_equal(x->intros[i].b, y->intros[i].b);
		assert_int_equal(x->intros[i].common, y->intros[i].common);
	}
	assert_int_equal(x->intros_unnamed, y->intros_unnamed);
	assert_int_equal(x->intros_pending, y->intros_pending);
	const struct cv_metrics_figures *a = &x->figures, *b = &y->figures;
	assert_int_equal(a->people, b->people);
	assert_int_equal(a->present, b->present);
	assert_int_equal(a->encounters, b->encounters);
	assert_int_equal(a->ties, b->ties);
	assert_int_equal(a->repeat_ties, b->repeat_ties);
	assert_int_equal(a->cross_org_ties, b->cross_org_ties);
	assert_int_equal(a->brokers, b->brokers);
	assert_int_equal(a->isolates, b->isolates);
	assert_int_equal(a->components, b->components);
	assert_int_equal(a->largest_component, b->largest_component);
	assert_int_equal(a->triangles, b->triangles);
	assert_float_equal(a->density, b->density, 1e-9);
	assert_float_equal(a->avg_clustering, b->avg_clustering, 1e-9);
	assert_float_equal(a->mean_partners, b->mean_partners, 1e-9);
}

/* Updates lb, builds from scratch, checks they agree; returns whether the
 * update started over. */
static bool update_and_compare(struct fixture *f, struct cv_live_builder *lb, const char *day)
{
	struct cv_live_snapshot *inc = NULL, *full = NULL;
	bool started_over;
	static int calls;

	if (++calls % 2) {
		assert_int_equal(cv_live_builder_update(lb, f->store, day, &inc), 0);
		assert_false(inc->intros_pending);
	} else {
		/* as the live thread does: at once, then the suggestions on a copy */
		struct cv_live_snapshot *copy = NULL;
		assert_int_equal(cv_live_builder_update_quick(lb, f->store, day, &inc), 0);
		assert_true(inc->intros_pending);
		assert_int_equal(cv_live_snapshot_copy(inc, &copy), 0);
		cv_live_snapshot_free(inc);
		assert_int_equal(cv_live_builder_suggest(lb, copy), 0);
		assert_false(copy->intros_pending);
		inc = copy;
	}
	started_over = cv_live_builder_last_full(lb);
	assert_int_equal(cv_live_build(f->store, day, &full), 0);
	assert_same(inc, full);
	cv_live_snapshot_free(inc);
	cv_live_snapshot_free(full);
	return started_over;
}

static void test_random_appends_read_on(void **state)
{
	struct fixture *f = *state;
	struct cv_live_builder *lb = NULL;
	struct cv_live_snapshot *s = NULL;

	assert_int_equal(cv_live_builder_create(&lb), 0);
	assert_true(update_and_compare(f, lb, DAY)); /* the first read is whole */
	for (int round = 0; round < 40; round++) {
		append_random(f->db, (int)rnd(4), (int)rnd(12));
		assert_false(update_and_compare(f, lb, DAY));
	}
	/* and the figures are the day's: something was counted */
	assert_int_equal(cv_live_builder_update(lb, f->store, DAY, &s), 0);
	assert_true(s->encounters > 100);
	assert_true(s->checked_in > 10);
	assert_true(s->tie_count > 50);
	assert_true(s->intro_count + s->intros_unnamed > 0); /* suggestions compared too */
	cv_live_snapshot_free(s);
	cv_live_builder_destroy(lb);
}

static void test_starts_over_when_it_must(void **state)
{
	struct fixture *f = *state;
	struct cv_live_builder *lb = NULL;

	assert_int_equal(cv_live_builder_create(&lb), 0);
	append_random(f->db, 10, 30);
	assert_true(update_and_compare(f, lb, DAY));
	append_random(f->db, 2, 5);
	assert_false(update_and_compare(f, lb, DAY));

	/* consent: someone now agrees to be named */
	exec(f->db, "UPDATE people SET show_name = 1 WHERE id = 1");
	assert_true(update_and_compare(f, lb, DAY));
	append_random(f->db, 1, 3);
	assert_false(update_and_compare(f, lb, DAY));

	/* the roster: a new person */
	exec(f->db, "INSERT INTO people (id, external_id, name, organization, role, "
	            "created_wall_ms, updated_wall_ms, consent, show_name) VALUES (999, 'p-999', "
	            "'Late Comer', 'Org 1', 'attendee', 0, 0, 'encounters', 1)");
	exec(f->db, "BEGIN");
	kseq[0]++;
	add_checkin(f->db, 0, kseq[0], 999, "hall", DAY, clock_ms += 1000);
	kseq[0]++;
	add_encounter(f->db, 0, kseq[0], 999, 2, clock_ms += 1000);
	exec(f->db, "COMMIT");
	assert_true(update_and_compare(f, lb, DAY));

	/* an encounter synced in late: earlier than ones already counted */
	exec(f->db, "BEGIN");
	kseq[1]++;
	add_encounter(f->db, 1, kseq[1], 3, 4, noon - 4 * 3600 * 1000);
	exec(f->db, "COMMIT");
	assert_true(update_and_compare(f, lb, DAY));

	/* a row numbered below its kiosk's last */
	exec(f->db, "BEGIN");
	add_encounter(f->db, 2, -5, 5, 6, clock_ms += 1000);
	exec(f->db, "COMMIT");
	assert_true(update_and_compare(f, lb, DAY));
	append_random(f->db, 1, 4);
	assert_false(update_and_compare(f, lb, DAY));

	/* another day: nothing of this one counts */
	assert_true(update_and_compare(f, lb, "2026-06-16"));
	cv_live_builder_destroy(lb);
}

static void test_other_days_are_not_counted(void **state)
{
	struct fixture *f = *state;
	struct cv_live_builder *lb = NULL;
	struct cv_live_snapshot *s = NULL;

	assert_int_equal(cv_live_builder_create(&lb), 0);
	assert_int_equal(cv_live_builder_update(lb, f->store, DAY, &s), 0);
	cv_live_snapshot_free(s);
	exec(f->db, "BEGIN");
	add_checkin(f->db, 0, ++kseq[0], 1, "hall", "2026-06-14", noon - 86400000);
	add_encounter(f->db, 0, ++kseq[0], 1, 2, noon - 86400000);
	add_checkin(f->db, 0, ++kseq[0], 3, "hall", DAY, noon);
	add_encounter(f->db, 0, ++kseq[0], 3, 4, noon);
	exec(f->db, "COMMIT");
	assert_int_equal(cv_live_builder_update(lb, f->store, DAY, &s), 0);
	assert_false(cv_live_builder_last_full(lb));
	assert_int_equal(s->checked_in, 1);
	assert_int_equal(s->encounters, 1);
	assert_int_equal(s->tie_count, 1);
	assert_int_equal(s->zone_count, 1);
	assert_string_equal(s->zones[0].zone, "hall");
	assert_int_equal(s->zones[0].people, 1);
	cv_live_snapshot_free(s);
	cv_live_builder_destroy(lb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_random_appends_read_on, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_starts_over_when_it_must, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_other_days_are_not_counted, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
