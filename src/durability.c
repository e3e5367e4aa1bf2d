/* The durability thread. The writer commits with synchronous=NORMAL: a
 * committed tap survives the process dying but not yet a power cut. This
 * thread, on its own connection, makes it survive power loss within a
 * second by syncing the WAL, so no fsync (6-76 ms on SD cards, sometimes
 * seconds) ever sits on the tap path. */
#include "cv_durability.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "cv_error.h"
#include "cv_log.h"
#include "cv_store.h"

#define CV_LOG_TAG "durability"

/* Commits arriving close together share one sync; the first waits at most
 * this long, well inside the one-second promise. */
#define DURABILITY_COALESCE_MS 200

struct cv_durability {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool dirty;
	bool stopping;
	struct cv_store *store;
};

static void deadline_after(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *durability_main(void *arg)
{
	struct cv_durability *d = arg;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		while (!d->dirty && !d->stopping)
			pthread_cond_wait(&d->cond, &d->lock);
		if (!d->dirty && d->stopping)
			break;
		if (!d->stopping) {
			struct timespec until;
			deadline_after(&until, DURABILITY_COALESCE_MS);
			while (!d->stopping &&
			       pthread_cond_timedwait(&d->cond, &d->lock, &until) == 0) {
			}
		}
		d->dirty = false;
		pthread_mutex_unlock(&d->lock);
		int rc = cv_store_make_durable(d->store);
		if (rc != 0)
			cv_log_warn("could not sync the database to disk: %s", cv_strerror(rc));
		pthread_mutex_lock(&d->lock);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

int cv_durability_start(const char *store_path, const char *kiosk_id, struct cv_durability **out)
{
	char err[256];
	*out = NULL;
	struct cv_durability *d = calloc(1, sizeof *d);
	if (!d)
		return CV_ENOMEM;
	int rc = cv_store_open(store_path, kiosk_id, &d->store, err, sizeof err);
	if (rc != 0) {
		cv_log_error("durability: %s", err);
		free(d);
		return rc;
	}
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&d->thread, NULL, durability_main, d) != 0) {
		pthread_cond_destroy(&d->cond);
		pthread_mutex_destroy(&d->lock);
		cv_store_close(d->store);
		free(d);
		return CV_ENOMEM;
	}
	*out = d;
	return 0;
}

void cv_durability_poke(struct cv_durability *d)
{
	pthread_mutex_lock(&d->lock);
	if (!d->dirty) {
		d->dirty = true;
		pthread_cond_signal(&d->cond);
	}
	pthread_mutex_unlock(&d->lock);
}

void cv_durability_stop(struct cv_durability *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
	cv_store_close(d->store);
	free(d);
}
