/* The store's network queries: ties imported from earlier convenings
 * (the prior_ties table, schema v5), the per-store pseudonym secret, and a
 * trust-metrics graph built from one snapshot of the store for exports and
 * the live screen. Same thread rules as the store handle. */
#ifndef CV_STORE_NETWORK_H
#define CV_STORE_NETWORK_H

#include <stdint.h>

#include "cv_clock.h"
#include "cv_metrics.h"
#include "cv_network_file.h"
#include "cv_pseudonym.h"
#include "cv_store.h"

struct cv_network_import_stats {
	int64_t pairs;    /* pairs stored */
	int64_t matched;  /* of them, pairs whose both keys name people in this store */
	int64_t replaced; /* pairs of an earlier import of the same source dropped first */
};

/* Stores the ties of net under source (e.g. the file's name) in one
 * transaction: an earlier import of the same source is replaced, so
 * importing a file twice counts its ties once. Keys stay as they are and are
 * matched to people when read, so people imported later still match.
 * Returns 0 or a CV_E* code with err. */
int cv_store_network_import(struct cv_store *store, const char *source,
                            const struct cv_network *net, const struct cv_stamp *stamp,
                            struct cv_network_import_stats *stats, char *err, size_t errlen);

/* An imported tie, resolved: a key names a person when it equals their
 * external_id, else their email (ASCII case-insensitive). */
struct cv_prior_tie_row {
	const char *a_key, *b_key;
	int64_t person_a, person_b; /* 0 when the key names nobody here */
	int64_t count;              /* summed over sources */
};

/* Calls cb per distinct imported pair of keys, in key order. A non-zero
 * return stops the walk and is returned. */
int cv_store_foreach_prior_tie(struct cv_store *store,
                               int (*cb)(const struct cv_prior_tie_row *row, void *ctx), void *ctx);

/* The store's pseudonym secret (meta key pseudonym_secret), created from
 * the system's random source on first use. Returns 0 or a CV_E* code. */
int cv_store_pseudonym_key(struct cv_store *store, uint8_t key[CV_PSEUDONYM_KEY_BYTES]);

/* Builds a metrics graph from the store: every person with their
 * organisation, check-ins as presence, every encounter with the direction
 * its latest answer states (cv_metrics_answer_dir), and the matched prior
 * ties. Read inside the caller's transaction when it has one. Returns 0 and
 * *out (the caller destroys it) or a CV_E* code. */
int cv_store_network_metrics(struct cv_store *store, struct cv_metrics **out);

#endif
