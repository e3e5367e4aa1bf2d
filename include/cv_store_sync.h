/* The store's side of sync. On a kiosk: the records still to upload in
 * sequence order after the server's acknowledgement, the acknowledgement
 * itself, the quarantine of records the server refused for good, and clock
 * fixes. On the server: ingesting a batch exactly once per (kiosk id,
 * sequence), in one transaction, with the people it names merged into the
 * roster. Same thread rules as the store handle. */
#ifndef CV_STORE_SYNC_H
#define CV_STORE_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cv_clock.h"
#include "cv_store.h"
#include "cv_sync_codec.h"

/* ---- the uploading side ---- */

/* The highest sequence of this kiosk the server acknowledged (0: none). */
int cv_store_sync_acked(struct cv_store *store, int64_t *acked);

/* Sets the acknowledgement to what the server said it holds, in either
 * direction (a server restored from a backup makes the kiosk send again). */
int cv_store_sync_set_acked(struct cv_store *store, int64_t acked);

/* The same for any kiosk id: on a hub, what the upstream server
 * acknowledged of a kiosk whose records the hub forwards. */
int cv_store_sync_acked_for(struct cv_store *store, const char *kiosk_id, int64_t *acked);
int cv_store_sync_set_acked_for(struct cv_store *store, const char *kiosk_id, int64_t acked);

/* Fills b (cv_sync_batch_free) with up to max_records records of this
 * kiosk: first quarantined records marked for retry, then the records
 * after the acknowledgement in sequence order, with a skip for each
 * quarantined one, and the people they name (with their active badges)
 * plus people edited since the roster was last acknowledged. Records
 * too large for the protocol are quarantined here with the reason.
 * b->record_count + b->skip_count + b->person_count == 0 means nothing
 * is pending. */
int cv_store_sync_next_batch(struct cv_store *store, size_t max_records, int64_t now_wall_ms,
                             struct cv_sync_batch *b);

/* Like cv_store_sync_next_batch for another kiosk's records this store
 * holds (a hub forwarding upstream): after the upstream acknowledgement of
 * kiosk_id up to what this store holds of it, in the kiosk's own sequence
 * numbers, with a skip (and a local quarantine entry) for each number the
 * kiosk skipped, and no roster changes. A skipped number whose record
 * arrives later is forwarded as a retry. */
int cv_store_sync_next_batch_for(struct cv_store *store, const char *kiosk_id, size_t max_records,
                                 int64_t now_wall_ms, struct cv_sync_batch *b);

/* Like cv_store_sync_next_batch for the records after `after` instead of
 * the acknowledgement, without retries or roster changes: the second and
 * later batches of a bundle, which nobody acknowledges in between. */
int cv_store_sync_batch_after(struct cv_store *store, int64_t after, size_t max_records,
                              int64_t now_wall_ms, struct cv_sync_batch *b);

/* After the server accepted b (reply->ok): the acknowledgement of
 * b->kiosk_id moves to reply->acked_seq, retried records that b carried
 * leave the quarantine, and (for this kiosk's own batches) the roster mark
 * moves past the people b carried. */
int cv_store_sync_batch_done(struct cv_store *store, const struct cv_sync_batch *b,
                             const struct cv_sync_reply *reply);

/* Puts a record in quarantine with the server's reason (or takes a retried
 * one back there). The record stays in its table. */
int cv_store_sync_quarantine(struct cv_store *store, int64_t seq, const char *reason,
                             int64_t now_wall_ms);
/* The same for a forwarded kiosk's record on a hub. */
int cv_store_sync_quarantine_for(struct cv_store *store, const char *kiosk_id, int64_t seq,
                                 const char *reason, int64_t now_wall_ms);

/* Marks every quarantined record of this kiosk for retry; *count says how
 * many. They travel with the next batch. */
int cv_store_sync_retry(struct cv_store *store, int64_t *count);

struct cv_sync_counts {
	int64_t acked_seq;
	int64_t last_seq;
	int64_t pending;     /* records still to upload (not counting quarantine) */
	int64_t quarantined; /* held back after a refusal, retry marked or not */
	int64_t clock_fixes;
	char last_result[CV_SYNC_REASON_MAX]; /* "" before the first sync */
	int64_t last_wall_ms;
};

int cv_store_sync_counts(struct cv_store *store, struct cv_sync_counts *out);

/* Remembers the outcome of the last sync for `convene status`. */
int cv_store_sync_set_result(struct cv_store *store, const char *result, int64_t wall_ms);

/* Calls cb for each quarantined record of this kiosk in sequence order;
 * reason is valid during the call. */
int cv_store_sync_foreach_quarantined(struct cv_store *store,
                                      int (*cb)(int64_t seq, const char *reason, bool retry,
                                                void *ctx),
                                      void *ctx);

/* A trusted wall time is known at the instant `now` (a stamp read in this
 * boot): records this kiosk wrote in now->boot_id with an untrusted wall
 * clock get their correction, once per boot, as a clock-fix record (the
 * records keep their original times; the view record_times applies the
 * fix). Does nothing when this boot already has a fix or has no untrusted
 * record. *recorded says whether a fix was written. */
int cv_store_sync_fix_clock(struct cv_store *store, const struct cv_stamp *now,
                            int64_t trusted_wall_ms, const char *source, bool *recorded);

/* The corrected wall time of one record of this store (any kiosk):
 * *wall_ms the corrected value, *corrected whether a fix applied. */
int cv_store_sync_record_time(struct cv_store *store, const char *kiosk_id, int64_t seq,
                              int64_t *wall_ms, bool *corrected);

/* ---- the receiving side ---- */

/* Stores the batch exactly once per (kiosk id, sequence) in one
 * transaction and fills reply (cv_sync_reply_free): ok with the new
 * acknowledgement, or a refusal that stored nothing ("out_of_order",
 * "replayed", "bad_batch", "rejected" with the records refused).
 * wire_bytes is logged with the batch. Returns 0 when reply is filled,
 * or a CV_E* code when the store failed (nothing stored). */
int cv_store_sync_ingest(struct cv_store *store, const struct cv_sync_batch *b, int64_t now_wall_ms,
                         size_t wire_bytes, struct cv_sync_reply *reply);

/* What the server accounts for of kiosk_id (0: nothing). */
int cv_store_sync_held(struct cv_store *store, const char *kiosk_id, int64_t *held);

/* Calls cb for each kiosk the server holds records of, by kiosk id. */
int cv_store_sync_foreach_held(struct cv_store *store,
                               int (*cb)(const char *kiosk_id, int64_t held, void *ctx), void *ctx);

#endif
