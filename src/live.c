/* The live screen's reader thread: its own store connection, which only
 * reads. Every poll_ms it asks SQLite whether another connection committed
 * (PRAGMA data_version) and, when one did, brings its snapshot builder up
 * to date (only the rows appended since) and posts a new snapshot at once,
 * then again with fresh suggested introductions; it keeps the newest one
 * for the UI and wakes it. An untaken snapshot is replaced, never
 * queued: the screen only ever wants the latest. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cv_clock.h"
#include "cv_error.h"
#include "cv_live.h"
#include "cv_log.h"
#include "cv_store.h"

#define CV_LOG_TAG "live"

struct cv_live {
	struct cv_store *store;          /* the thread's */
	struct cv_live_builder *builder; /* the thread's: the metrics kept between snapshots */
	int poll_ms;
	void (*wake)(void *ctx);
	void *ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping;                   /* under lock */
	struct cv_live_snapshot *latest; /* under lock; owned until taken */
};

/* Keeps snap as the newest for the UI (replacing one not taken) and wakes it. */
static void live_post(struct cv_live *live, struct cv_live_snapshot *snap)
{
	pthread_mutex_lock(&live->lock);
	cv_live_snapshot_free(live->latest);
	live->latest = snap;
	pthread_mutex_unlock(&live->lock);
	if (live->wake)
		live->wake(live->ctx);
}

static void *live_main(void *arg)
{
	struct cv_live *live = arg;
	int64_t seen = -1;
	char day[11], seen_day[11] = "";

	for (;;) {
		int64_t version = 0;
		struct timespec until;

		cv_clock_local_date(cv_clock_stamp().wall_ms, day);
		if (cv_live_data_version(live->store, &version) == 0 &&
		    (version != seen || strcmp(day, seen_day) != 0)) {
			struct cv_live_snapshot *snap = NULL, *copy = NULL;
			int rc =
			    cv_live_builder_update_quick(live->builder, live->store, day, &snap);

			if (rc == 0) {
				seen = version;
				memcpy(seen_day, day, sizeof seen_day);
				/* the new figures and ties to the screen at once; the
				 * suggestions (the dearest part) follow on a copy */
				if (cv_live_snapshot_copy(snap, &copy) != 0)
					copy = NULL;
				live_post(live, snap);
				if (copy && cv_live_builder_suggest(live->builder, copy) == 0)
					live_post(live, copy);
				else
					cv_live_snapshot_free(copy);
			} else {
				cv_log_warn("could not read the live figures: %s", cv_strerror(rc));
			}
		}
		pthread_mutex_lock(&live->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)live->poll_ms * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (!live->stopping &&
		       pthread_cond_timedwait(&live->cond, &live->lock, &until) == 0)
			;
		bool stop = live->stopping;
		pthread_mutex_unlock(&live->lock);
		if (stop)
			break;
	}
	return NULL;
}

int cv_live_start(const char *store_path, const char *kiosk_id, int poll_ms,
                  void (*wake)(void *ctx), void *ctx, struct cv_live **out)
{
	struct cv_live *live = calloc(1, sizeof(*live));
	char err[256];
	int rc;

	*out = NULL;
	if (!live)
		return CV_ENOMEM;
	live->poll_ms = poll_ms > 0 ? poll_ms : 200;
	live->wake = wake;
	live->ctx = ctx;
	rc = cv_store_open(store_path, kiosk_id, &live->store, err, sizeof err);
	if (rc != 0) {
		cv_log_error("live screen: %s", err);
		free(live);
		return rc;
	}
	rc = cv_live_builder_create(&live->builder);
	if (rc != 0) {
		cv_store_close(live->store);
		free(live);
		return rc;
	}
	pthread_mutex_init(&live->lock, NULL);
	pthread_cond_init(&live->cond, NULL);
	if (pthread_create(&live->thread, NULL, live_main, live) != 0) {
		pthread_cond_destroy(&live->cond);
		pthread_mutex_destroy(&live->lock);
		cv_live_builder_destroy(live->builder);
		cv_store_close(live->store);
		free(live);
		return CV_ENOMEM;
	}
	*out = live;
	return 0;
}

struct cv_live_snapshot *cv_live_take(struct cv_live *live)
{
	struct cv_live_snapshot *snap;

	if (!live)
		return NULL;
	pthread_mutex_lock(&live->lock);
	snap = live->latest;
	live->latest = NULL;
	pthread_mutex_unlock(&live->lock);
	return snap;
}

void cv_live_stop(struct cv_live *live)
{
	if (!live)
		return;
	pthread_mutex_lock(&live->lock);
	live->stopping = true;
	pthread_cond_signal(&live->cond);
	pthread_mutex_unlock(&live->lock);
	pthread_join(live->thread, NULL);
	cv_live_snapshot_free(live->latest);
	pthread_cond_destroy(&live->cond);
	pthread_mutex_destroy(&live->lock);
	cv_live_builder_destroy(live->builder);
	cv_store_close(live->store);
	free(live);
}
