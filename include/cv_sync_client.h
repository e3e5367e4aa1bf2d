/* The upload client: sends this kiosk's pending records to the server in
 * batches over HTTP(S) with libcurl, until the server holds all of them or
 * something stops it, and says why in one line. TLS is always verified.
 * Network failures are retried with exponential backoff and jitter; all
 * progress lives in the store, so any break resumes where the server's
 * acknowledgement left off. */
#ifndef CV_SYNC_CLIENT_H
#define CV_SYNC_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cv_config.h"
#include "cv_store.h"

#define CV_SYNC_TOKEN_MAX 128

enum cv_sync_outcome {
	CV_SYNC_DONE,        /* the server holds every record (none pending, none quarantined) */
	CV_SYNC_QUARANTINED, /* all sent, but some records are held back after a refusal */
	CV_SYNC_UNREACHABLE, /* no answer after every attempt */
	CV_SYNC_TLS,         /* the server's certificate or key was not accepted */
	CV_SYNC_CLOCK,       /* TLS said "not yet valid": the kiosk's clock is wrong */
	CV_SYNC_BAD_TOKEN,   /* 401/403: the token or kiosk is not accepted */
	CV_SYNC_REFUSED,     /* another refusal the client cannot work around */
	CV_SYNC_STOPPED,     /* asked to stop */
	CV_SYNC_FAILED,      /* the local store or memory failed */
};

struct cv_sync_result {
	enum cv_sync_outcome outcome;
	char reason[256];     /* one line for people; "" when done */
	int64_t records_sent; /* records carried by accepted batches */
	int64_t batches;      /* accepted batches */
	int64_t requests;     /* HTTP requests made, retries included */
	int64_t bytes_up;     /* HTTP bytes sent: request lines, headers and bodies */
	int64_t bytes_down;   /* HTTP bytes received */
	int64_t quarantined;  /* records newly quarantined in this run */
	int64_t pending;      /* records still pending afterwards */
	bool clock_fixed;     /* a clock fix was recorded in this run */
};

/* What the client reports after each request (from the calling thread). */
struct cv_sync_progress {
	int64_t pending;
	int64_t records_sent;
	const char *state; /* "sending", "retrying: REASON", ... */
};

struct cv_sync_options {
	const struct cv_config *cfg; /* url, TLS, timeouts, batch size, attempts */
	const char *token;           /* the bearer token; never logged */
	/* 0: cfg->sync_attempts tries per request; -1: until stopped. */
	int attempts;
	const atomic_bool *stop; /* NULL: never stopped */
	void (*progress)(const struct cv_sync_progress *p, void *ctx);
	void *progress_ctx;
	int backoff_base_ms; /* 0: 500 */
	int backoff_max_ms;  /* 0: 30000 */
};

/* Call once from main before any thread starts (curl_global_init). */
int cv_sync_global_init(void);
void cv_sync_global_cleanup(void);

/* Reads the token file: one line, at most CV_SYNC_TOKEN_MAX - 1 bytes. A
 * file others may read is refused (CV_EPERM) with err saying chmod 600. */
int cv_sync_read_token(const char *path, char *token, size_t size, char *err, size_t errlen);

/* Uploads until nothing is pending. Returns 0 with *out filled whatever the
 * outcome (out->outcome says), or CV_EINVAL for bad options. store belongs
 * to the calling thread. The result is also remembered in the store for
 * `convene status`. */
int cv_sync_run(struct cv_store *store, const struct cv_sync_options *opt,
                struct cv_sync_result *out);

const char *cv_sync_outcome_name(enum cv_sync_outcome outcome);

#endif
