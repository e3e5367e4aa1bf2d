/* The store's people and badges at run time: consent as people give it on
 * the kiosk (an append-only record, and the person's current consent), the
 * roster search of organiser enrolment (case- and accent-insensitive), and
 * binding, unbinding and revoking badges. Same thread rules as the store
 * handle: on a kiosk these run on the recorder's writer thread. */
#ifndef CV_STORE_PEOPLE_H
#define CV_STORE_PEOPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cv_clock.h"
#include "cv_consent.h"
#include "cv_flow.h"
#include "cv_store.h"

/* Appends a consent record (this kiosk, the next number of its consent
 * series, the clock stamp; tap_seq is the tap at which it was given, 0 for
 * none) and makes it the person's current consent (people.consent,
 * show_name, consent_wall_ms), in one transaction. consent must be
 * ATTENDANCE or ENCOUNTERS. Returns 0 and *seq_out, CV_ENOTFOUND for no
 * such person, CV_EINVAL, or a store error. */
int cv_store_record_consent(struct cv_store *store, int64_t person_id, enum cv_consent consent,
                            bool show_name, int64_t tap_seq, const struct cv_stamp *stamp,
                            int64_t *seq_out);

/* The person's current consent (UNSET when never given) and whether their
 * name may be shown. Returns 0, CV_ENOTFOUND, or a store error. */
int cv_store_person_consent(struct cv_store *store, int64_t person_id, enum cv_consent *consent,
                            bool *show_name);

/* Up to max people whose name contains query, folded (cv_text_fold: case
 * and accents do not matter); names where the query starts a word come
 * first, then by folded name. An empty query lists the first names in
 * order. Writes *count (0 on error). */
int cv_store_search_people(struct cv_store *store, const char *query, struct cv_flow_person *out,
                           int max, int *count);

/* Binds badge uid_hex (normalised hex) to person_id. A badge actively bound
 * to someone else is CV_EEXIST (unbind or revoke it first); already bound
 * to this person is 0 and changes nothing; a revoked badge is bound anew
 * (a found or recycled badge). CV_ENOTFOUND for no such person. The
 * person's updated_wall_ms moves to wall_ms so the change travels with
 * sync's roster. */
int cv_store_bind_badge(struct cv_store *store, const char *uid_hex, int64_t person_id,
                        int64_t wall_ms);

/* Removes an active binding (a badge given back: it may be bound again).
 * CV_ENOTFOUND when the badge is not actively bound. */
int cv_store_unbind_badge(struct cv_store *store, const char *uid_hex, int64_t wall_ms);

/* Revokes an active badge (lost: it names nobody from now on, not even
 * through its NDEF id). CV_ENOTFOUND when it is not actively bound. */
int cv_store_revoke_badge(struct cv_store *store, const char *uid_hex, int64_t wall_ms);

#endif
