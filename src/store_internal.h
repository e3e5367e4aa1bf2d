/* The seam for the store's companion files (sync, people, network): the
 * connection behind a store handle and the per-kiosk sequence. Private to
 * the store's own files; nothing else in src/ includes it. */
#ifndef CV_STORE_INTERNAL_H
#define CV_STORE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "cv_store.h"
#include "store_schema.h"

/* The handle's connection. Same thread rules as the handle. */
sqlite3 *cv_store_db(struct cv_store *store);

/* The kiosk id this connection writes records as. */
const char *cv_store_kiosk_id(const struct cv_store *store);

/* Allocates this kiosk's next sequence number, inside the caller's
 * transaction (a rollback gives it back). */
int cv_store_next_seq(struct cv_store *store, int64_t *seq);

/* store_people.c: applies a roster row's consent (UNSET: not said) and
 * show_name (1 yes, -1 no, 0 not said) to
 * person_id inside the import's transaction, unless the person chose on a
 * kiosk (a consents record). *changed says whether anything changed. */
int cv_store_people_import_consent(struct cv_store *store, int64_t person_id,
                                   enum cv_consent consent, int show_name, int64_t wall_ms,
                                   bool *changed);

#endif
