/* Carry by hand: a bundle is one file with every record of this kiosk not
 * yet acknowledged by the server, in batches of the sync protocol, gzipped
 * and, when a server public key is configured, sealed to it with libsodium
 * (crypto_box_seal). The server imports it with the same exactly-once rule
 * as uploads. docs/sync-protocol.md describes the format. */
#ifndef CV_BUNDLE_H
#define CV_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cv_config.h"
#include "cv_store.h"

struct cv_bundle_stats {
	int64_t batches;
	int64_t records;
	int64_t stored;     /* import: newly stored */
	int64_t duplicates; /* import: held already */
	int64_t refused;    /* import: batches refused (reason logged) */
	bool sealed;
	size_t bytes;
};

/* Writes the bundle of store's pending records to path (atomically: a
 * temporary file renamed into place). Sealed when [sync]
 * server_public_key_file is set. Nothing is acknowledged: only the server
 * does that, at the next sync. */
int cv_bundle_export(struct cv_store *store, const struct cv_config *cfg, const char *path,
                     struct cv_bundle_stats *stats, char *err, size_t errlen);

/* Imports a bundle into store (the server's), opening a sealed one with
 * [serve] public_key_file and secret_key_file. Each batch is ingested
 * exactly once; a batch already held is counted as duplicates. */
int cv_bundle_import(struct cv_store *store, const struct cv_config *cfg, const char *path,
                     struct cv_bundle_stats *stats, char *err, size_t errlen);

/* Creates the server's key pair in [serve] public_key_file and
 * secret_key_file (0600) unless both exist. *created says which. */
int cv_bundle_ensure_keys(const struct cv_config *cfg, bool *created, char *err, size_t errlen);

#endif
