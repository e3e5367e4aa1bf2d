/* Benchmark of the live attendance screen: a store holding a convening of
 * N people (all checked in today, 40 organisations, a third named) and E
 * encounters today (three in four within a group of 50, one in four across
 * the room), the snapshot built from it whole, then
 * frames of the live screen at 1024x600 on SDL's software renderer, each
 * with the map's layout step as the main loop does while it settles.
 * Then the cost of one new encounter: the trust metrics' incremental
 * update, and the whole path the screen takes (the row committed, the live
 * thread's builder reading it on into a new snapshot, the next frame, then
 * the suggestions computed and the frame showing them). Prints p50/p99 and
 * frame CPU time; fails only when it cannot measure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cv_assets.h"
#include "cv_clock.h"
#include "cv_config.h"
#include "cv_live.h"
#include "cv_metrics.h"
#include "cv_store.h"
#include "cv_ui.h"

#define FRAMES 400
#define NEW_ENCOUNTERS 40
#define METRIC_UPDATES 2000

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545F4914F6CDD1DULL) >> 33) % n;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* This thread's CPU time: what a frame costs when other processes take
 * the cores now and then (wall time then includes their share). */
static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(double *v, size_t n, double p)
{
	qsort(v, n, sizeof *v, cmp_double);
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* A pair as people meet: mostly within their group of 50. */
static void pair(int people, int *a, int *b)
{
	do {
		*a = (int)rnd((uint32_t)people);
		*b = rnd(4) ? (*a / 50) * 50 + (int)rnd(50) : (int)rnd((uint32_t)people);
	} while (*b >= people || *a == *b);
}

static int exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "live_bench: %s: %s\n", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int64_t seq;

static int add_encounter(sqlite3_stmt *enc, int a, int b, int64_t wall)
{
	sqlite3_reset(enc);
	sqlite3_bind_int64(enc, 1, ++seq);
	sqlite3_bind_int64(enc, 2, a + 1);
	sqlite3_bind_int64(enc, 3, b + 1);
	sqlite3_bind_int64(enc, 4, wall);
	return sqlite3_step(enc) == SQLITE_DONE ? 0 : -1;
}

/* Fills the store at path through its own connection, in one transaction. */
static int fill(const char *path, int people, int encounters, const char *day, int64_t wall)
{
	sqlite3 *db;
	sqlite3_stmt *person, *checkin, *enc;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	if (exec(db, "BEGIN") != 0)
		return -1;
	sqlite3_prepare_v2(db,
	                   "INSERT INTO people (id, external_id, name, organization, role, "
	                   "created_wall_ms, updated_wall_ms, consent, show_name) "
	                   "VALUES (?1, 'p-' || ?1, ?2, ?3, 'attendee', 0, 0, 'encounters', ?4)",
	                   -1, &person, NULL);
	sqlite3_prepare_v2(db,
	                   "INSERT INTO checkins (kiosk_id, seq, person_id, zone, day, tap_seq, "
	                   "boot_id, mono_ms, wall_ms, wall_trusted) "
	                   "VALUES ('bench', ?1, ?2, ?3, ?4, ?1, 'b', 0, ?5, 1)",
	                   -1, &checkin, NULL);
	sqlite3_prepare_v2(db,
	                   "INSERT INTO encounters (kiosk_id, seq, person_a, person_b, a_tap_seq, "
	                   "b_tap_seq, answer, zone, boot_id, mono_ms, wall_ms, wall_trusted) "
	                   "VALUES ('bench', ?1, ?2, ?3, 0, 0, 'talked', 'hall', 'b', 0, ?4, 1)",
	                   -1, &enc, NULL);
	static const char *const zones[] = {"entrance", "hall-a", "hall-b", "workshop-2"};
	for (int i = 0; i < people; i++) {
		char name[64], org[32];
		snprintf(name, sizeof name, "Person %04d Ørsted", i + 1);
		snprintf(org, sizeof org, "Organisation %02u", rnd(40));
		sqlite3_reset(person);
		sqlite3_bind_int64(person, 1, i + 1);
		sqlite3_bind_text(person, 2, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(person, 3, org, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(person, 4, i % 3 == 0);
		if (sqlite3_step(person) != SQLITE_DONE)
			return -1;
		sqlite3_reset(checkin);
		sqlite3_bind_int64(checkin, 1, ++seq);
		sqlite3_bind_int64(checkin, 2, i + 1);
		sqlite3_bind_text(checkin, 3, zones[i % 4], -1, SQLITE_STATIC);
		sqlite3_bind_text(checkin, 4, day, -1, SQLITE_STATIC);
		/* arrivals spread over the morning */
		sqlite3_bind_int64(checkin, 5, wall - 3600000 + (int64_t)rnd(3600000));
		if (sqlite3_step(checkin) != SQLITE_DONE)
			return -1;
	}
	for (int k = 0; k < encounters; k++) {
		int a, b;
		pair(people, &a, &b);
		if (add_encounter(enc, a, b, wall - 1800000 + k) != 0)
			return -1;
	}
	sqlite3_finalize(person);
	sqlite3_finalize(checkin);
	sqlite3_finalize(enc);
	int rc = exec(db, "COMMIT");
	sqlite3_close(db);
	return rc;
}

int main(int argc, char **argv)
{
	int people = argc > 1 ? atoi(argv[1]) : 2000;
	int encounters = argc > 2 ? atoi(argv[2]) : 50000;
	int w = 1024, h = 600;
	const char *base = getenv("CONVENE_TEST_ARTIFACTS");
	char dir[256], path[300], err[512], day[11];
	struct cv_store *store = NULL;
	struct cv_live_snapshot *snap = NULL;

	if (people < 100 || encounters < 1) {
		fprintf(stderr, "usage: live_bench PEOPLE ENCOUNTERS\n");
		return 2;
	}
	snprintf(dir, sizeof dir, "%.200s/live-bench-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/live.db", dir);
	struct cv_stamp stamp = cv_clock_stamp();
	cv_clock_local_date(stamp.wall_ms, day);

	/* the schema, then the convening */
	if (cv_store_open(path, "bench", &store, err, sizeof err) != 0) {
		fprintf(stderr, "live_bench: %s\n", err);
		return 1;
	}
	cv_store_close(store);
	double t0 = now_ms();
	if (fill(path, people, encounters, day, stamp.wall_ms) != 0)
		return 1;
	double fill_ms = now_ms() - t0;
	if (cv_store_open(path, "bench", &store, err, sizeof err) != 0)
		return 1;

	/* the snapshot, as the live thread builds it after each commit */
	double builds[5];
	for (int i = 0; i < 5; i++) {
		cv_live_snapshot_free(snap);
		snap = NULL;
		t0 = now_ms();
		if (cv_live_build(store, day, &snap) != 0) {
			fprintf(stderr, "live_bench: cv_live_build failed\n");
			return 1;
		}
		builds[i] = now_ms() - t0;
	}
	double build_p50 = pct(builds, 5, 0.5);

	/* the screen */
	struct cv_config cfg;
	struct cv_assets *assets = NULL;
	cv_config_defaults(&cfg);
	snprintf(cfg.assets_dir, sizeof cfg.assets_dir, "%s", CONVENE_SOURCE_ASSETS);
	if (cv_assets_load(&cfg, &assets, err, sizeof err) != 0) {
		fprintf(stderr, "live_bench: %s\n", err);
		return 1;
	}
	struct cv_ui_options opts = {.width = w, .height = h, .headless = true};
	struct cv_ui *ui = NULL;
	if (cv_ui_create(&opts, assets, &ui, err, sizeof err) != 0) {
		fprintf(stderr, "live_bench: %s\n", err);
		return 1;
	}
	struct cv_flow_state flow;
	cv_flow_init(&flow);
	struct cv_ui_view view = {.flow = &flow,
	                          .kiosk_name = "TV",
	                          .zone = "hall-a",
	                          .mode = CV_MODE_BOTH,
	                          .live_only = true,
	                          .live = snap};
	static double frame[FRAMES], draw_only[FRAMES], frame_cpu[FRAMES];
	int64_t clock_ms = 1000000;
	for (int f = 0; f < FRAMES; f++) {
		clock_ms += 33;
		view.now_ms = clock_ms;
		double c0 = cpu_ms();
		t0 = now_ms();
		cv_ui_live_step(ui, snap, clock_ms);
		double t1 = now_ms();
		if (cv_ui_draw(ui, &view) != 0)
			return 1;
		double t2 = now_ms();
		frame[f] = t2 - t0;
		frame_cpu[f] = cpu_ms() - c0;
		draw_only[f] = t2 - t1;
	}
	double f50 = pct(frame, FRAMES, 0.5), f99 = pct(frame, FRAMES, 0.99);
	double d50 = pct(draw_only, FRAMES, 0.5), d99 = pct(draw_only, FRAMES, 0.99);
	double c50 = pct(frame_cpu, FRAMES, 0.5), c99 = pct(frame_cpu, FRAMES, 0.99);
	char png[400];
	snprintf(png, sizeof png, "%s/live-%dx%d.png", dir, w, h);
	cv_ui_save_png(ui, png);

	/* one new encounter: the metrics alone, incrementally */
	struct cv_metrics *m = NULL;
	if (cv_metrics_create(NULL, &m) != 0)
		return 1;
	for (int i = 1; i <= people; i++) {
		cv_metrics_add_person(m, i, cv_metrics_org_key(i % 2 ? "a" : "b"));
		cv_metrics_check_in(m, i);
	}
	uint64_t keep = rng;
	for (int k = 0; k < encounters; k++) {
		int a, b;
		pair(people, &a, &b);
		struct cv_metrics_encounter e = {a + 1, b + 1, k, CV_METRICS_DIR_NONE};
		cv_metrics_add_encounter(m, &e);
	}
	rng = keep;
	static double inc[METRIC_UPDATES];
	for (int k = 0; k < METRIC_UPDATES; k++) {
		int a, b;
		pair(people, &a, &b);
		struct cv_metrics_encounter e = {a + 1, b + 1, encounters + k, CV_METRICS_DIR_NONE};
		t0 = now_ms();
		cv_metrics_add_encounter(m, &e);
		inc[k] = (now_ms() - t0) * 1000.0;
	}
	cv_metrics_destroy(m);
	double i50 = pct(inc, METRIC_UPDATES, 0.5), i99 = pct(inc, METRIC_UPDATES, 0.99);

	/* one new encounter on the screen's path: committed, a new snapshot,
	 * the next frame (with the new tie animating in) */
	sqlite3 *db;
	sqlite3_stmt *enc;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return 1;
	sqlite3_prepare_v2(db,
	                   "INSERT INTO encounters (kiosk_id, seq, person_a, person_b, a_tap_seq, "
	                   "b_tap_seq, answer, zone, boot_id, mono_ms, wall_ms, wall_trusted) "
	                   "VALUES ('bench', ?1, ?2, ?3, 0, 0, 'talked', 'hall', 'b', 0, ?4, 1)",
	                   -1, &enc, NULL);
	/* the live thread's builder, read up to date once (the full read) */
	struct cv_live_builder *builder = NULL;
	struct cv_live_snapshot *first = NULL;
	if (cv_live_builder_create(&builder) != 0 ||
	    cv_live_builder_update(builder, store, day, &first) != 0)
		return 1;
	cv_live_snapshot_free(first);
	static double path_ms[NEW_ENCOUNTERS], snap_ms[NEW_ENCOUNTERS], sugg_ms[NEW_ENCOUNTERS];
	int full_reads = 0;
	for (int k = 0; k < NEW_ENCOUNTERS; k++) {
		int a, b;
		pair(people, &a, &b);
		t0 = now_ms();
		if (add_encounter(enc, a, b, stamp.wall_ms) != 0)
			return 1;
		double t1 = now_ms();
		struct cv_live_snapshot *next = NULL;
		if (cv_live_builder_update_quick(builder, store, day, &next) != 0)
			return 1;
		double t2 = now_ms();
		full_reads += cv_live_builder_last_full(builder);
		cv_live_snapshot_free(snap);
		snap = next;
		view.live = snap;
		clock_ms += 33;
		view.now_ms = clock_ms;
		cv_ui_live_step(ui, snap, clock_ms);
		if (cv_ui_draw(ui, &view) != 0)
			return 1;
		path_ms[k] = now_ms() - t0;
		snap_ms[k] = t2 - t1;
		/* then, as the live thread does, the suggestions on a copy and
		 * the frame that shows them */
		double t3 = now_ms();
		struct cv_live_snapshot *with = NULL;
		if (cv_live_snapshot_copy(snap, &with) != 0 ||
		    cv_live_builder_suggest(builder, with) != 0)
			return 1;
		cv_live_snapshot_free(snap);
		snap = with;
		view.live = snap;
		clock_ms += 33;
		view.now_ms = clock_ms;
		cv_ui_live_step(ui, snap, clock_ms);
		if (cv_ui_draw(ui, &view) != 0)
			return 1;
		sugg_ms[k] = now_ms() - t3;
	}
	sqlite3_finalize(enc);
	sqlite3_close(db);
	cv_live_builder_destroy(builder);
	double p50 = pct(path_ms, NEW_ENCOUNTERS, 0.5), p99 = pct(path_ms, NEW_ENCOUNTERS, 0.99);
	double s50 = pct(snap_ms, NEW_ENCOUNTERS, 0.5);
	double g50 = pct(sugg_ms, NEW_ENCOUNTERS, 0.5), g99 = pct(sugg_ms, NEW_ENCOUNTERS, 0.99);
	double tot[NEW_ENCOUNTERS];
	for (int k = 0; k < NEW_ENCOUNTERS; k++)
		tot[k] = path_ms[k] + sugg_ms[k];
	double a50 = pct(tot, NEW_ENCOUNTERS, 0.5), a99 = pct(tot, NEW_ENCOUNTERS, 0.99);

	printf("people %d, encounters %d, in the snapshot: %zu people, %zu ties (store filled in "
	       "%.0f ms)\n",
	       people, encounters, snap->person_count, snap->tie_count, fill_ms);
	printf("live screen %dx%d, software renderer, %d frames:\n", w, h, FRAMES);
	printf("  frame (layout step + draw): p50 %.2f ms, p99 %.2f ms (goal p99 < 16 ms: %s)\n",
	       f50, f99, f99 < 16.0 ? "met" : "NOT met");
	printf("  draw only: p50 %.2f ms, p99 %.2f ms\n", d50, d99);
	printf("  frame, this thread's CPU time: p50 %.2f ms, p99 %.2f ms\n", c50, c99);
	printf("snapshot from the store (cv_live_build): p50 %.1f ms\n", build_p50);
	printf("new encounter, metrics update (incremental): p50 %.2f us, p99 %.2f us\n", i50, i99);
	printf("new encounter, commit + snapshot (builder, read on) + next frame: p50 %.1f ms, "
	       "p99 %.1f ms (snapshot p50 %.1f ms, %d of %d read whole; goal p99 < 1 s: %s)\n",
	       p50, p99, s50, full_reads, NEW_ENCOUNTERS, p99 < 1000.0 ? "met" : "NOT met");
	printf("  then fresh suggestions + frame: p50 %.1f ms, p99 %.1f ms; the whole, tap to "
	       "suggestions on screen: p50 %.1f ms, p99 %.1f ms\n",
	       g50, g99, a50, a99);
	printf("last frame: %s\n", png);

	cv_live_snapshot_free(snap);
	cv_ui_destroy(ui);
	cv_assets_destroy(assets);
	cv_store_close(store);
	return 0;
}
