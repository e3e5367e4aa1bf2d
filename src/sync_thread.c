/* The background sync thread of `convene run`: its own store connection,
 * a run of the upload client every [sync] interval_s or when poked, its
 * state reported through a callback. It runs at a lower CPU priority, and
 * its writes are short transactions on its own connection, so the writer
 * thread's taps never wait for it beyond SQLite's lock hand-over. */
#include "cv_sync_thread.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cv_clock.h"
#include "cv_error.h"
#include "cv_log.h"
#include "cv_store.h"
#include "cv_store_sync.h"

#define CV_LOG_TAG "sync"

struct cv_sync_thread {
	const struct cv_config *cfg;
	void (*notify)(const struct cv_sync_state *state, void *ctx);
	void *ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool poked;
	atomic_bool stop;
	struct cv_sync_state state; /* the sync thread's own copy */
	struct cv_store *store;
};

static void post(struct cv_sync_thread *t)
{
	if (t->notify)
		t->notify(&t->state, t->ctx);
}

static void on_progress(const struct cv_sync_progress *p, void *ctx)
{
	struct cv_sync_thread *t = ctx;
	t->state.pending = p->pending;
	snprintf(t->state.last, sizeof t->state.last, "%s", p->state);
	post(t);
}

static void sync_once(struct cv_sync_thread *t)
{
	char token[CV_SYNC_TOKEN_MAX], err[256];
	struct cv_sync_result res;

	/* Read each time: a token fixed on disk is used without a restart. */
	int rc = cv_sync_read_token(t->cfg->sync_token_file, token, sizeof token, err, sizeof err);
	t->state.syncing = true;
	if (rc != 0) {
		t->state.outcome = CV_SYNC_BAD_TOKEN;
		snprintf(t->state.last, sizeof t->state.last, "%s", err);
		cv_store_sync_set_result(t->store, err, cv_clock_stamp().wall_ms);
	} else {
		struct cv_sync_options opt = {
		    .cfg = t->cfg,
		    .token = token,
		    .stop = &t->stop,
		    .progress = on_progress,
		    .progress_ctx = t,
		};
		cv_sync_run(t->store, &opt, &res);
		t->state.outcome = res.outcome;
		snprintf(t->state.last, sizeof t->state.last, "%s",
		         res.outcome == CV_SYNC_DONE ? "synced: nothing pending" : res.reason);
		if (res.outcome != CV_SYNC_DONE && res.outcome != CV_SYNC_STOPPED)
			cv_log_warn("sync: %s", res.reason);
		else if (res.records_sent > 0)
			cv_log_info("sync: %lld records sent", (long long)res.records_sent);
	}
	memset(token, 0, sizeof token);
	struct cv_sync_counts counts;
	if (cv_store_sync_counts(t->store, &counts) == 0) {
		t->state.pending = counts.pending;
		t->state.quarantined = counts.quarantined;
	}
	t->state.syncing = false;
	post(t);
}

static void *sync_main(void *arg)
{
	struct cv_sync_thread *t = arg;
	/* Below the UI and the writer: sync is never in a hurry. */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
	while (!atomic_load(&t->stop)) {
		sync_once(t);
		pthread_mutex_lock(&t->lock);
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += t->cfg->sync_interval_s;
		while (!t->poked && !atomic_load(&t->stop))
			if (pthread_cond_timedwait(&t->cond, &t->lock, &until) == ETIMEDOUT)
				break;
		t->poked = false;
		pthread_mutex_unlock(&t->lock);
	}
	return NULL;
}

int cv_sync_thread_start(const struct cv_config *cfg,
                         void (*notify)(const struct cv_sync_state *state, void *ctx), void *ctx,
                         struct cv_sync_thread **out)
{
	char err[256];
	*out = NULL;
	if (!cfg->sync_url[0])
		return CV_EINVAL;
	struct cv_sync_thread *t = calloc(1, sizeof *t);
	if (!t)
		return CV_ENOMEM;
	t->cfg = cfg;
	t->notify = notify;
	t->ctx = ctx;
	t->state.pending = -1;
	atomic_init(&t->stop, false);
	int rc = cv_store_open(cfg->store_path, cfg->kiosk_id, &t->store, err, sizeof err);
	if (rc != 0) {
		cv_log_error("sync: %s", err);
		free(t);
		return rc;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&t->lock, NULL);
	/* The store connection moves to the sync thread here; this thread
	 * does not touch it again until the join. */
	if (pthread_create(&t->thread, NULL, sync_main, t) != 0) {
		cv_store_close(t->store);
		pthread_cond_destroy(&t->cond);
		pthread_mutex_destroy(&t->lock);
		free(t);
		return CV_ENOMEM;
	}
	*out = t;
	return 0;
}

void cv_sync_thread_poke(struct cv_sync_thread *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->poked = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

void cv_sync_thread_stop(struct cv_sync_thread *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	atomic_store(&t->stop, true);
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	cv_store_close(t->store);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
