/* The kiosk's background sync: a thread with its own store connection that
 * uploads every [sync] interval_s (or when poked) and reports its state
 * through a callback, so `convene run` never waits on the network and a
 * tap never waits on sync. */
#ifndef CV_SYNC_THREAD_H
#define CV_SYNC_THREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "cv_config.h"
#include "cv_sync_client.h"

struct cv_sync_state {
	bool syncing;                 /* a run is under way */
	int64_t pending;              /* records still to upload; -1 when unknown */
	int64_t quarantined;          /* records held back after a refusal */
	enum cv_sync_outcome outcome; /* of the last finished run */
	char last[256];               /* one line: the last run's result or the current step */
};

struct cv_sync_thread;

/* Starts the thread (cfg must outlive it; [sync] url must be set).
 * notify runs on the sync thread: it must copy what it needs and return
 * quickly (post to the UI, log). Returns 0 and *out, or a CV_E* code. */
int cv_sync_thread_start(const struct cv_config *cfg,
                         void (*notify)(const struct cv_sync_state *state, void *ctx), void *ctx,
                         struct cv_sync_thread **out);

/* Asks for a sync now (any thread; never blocks). */
void cv_sync_thread_poke(struct cv_sync_thread *t);

/* Aborts a transfer in progress, joins the thread, frees t. */
void cv_sync_thread_stop(struct cv_sync_thread *t);

#endif
