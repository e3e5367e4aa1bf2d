/* The receiving end of sync (`convene serve`): an HTTP server
 * (libmicrohttpd) that authenticates each kiosk by its bearer token and
 * stores its batches exactly once in the server's own store; the kiosk
 * tokens file; and the import of carried-by-hand bundles. */
#ifndef CV_SERVE_H
#define CV_SERVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cv_config.h"

#define CV_SERVE_TOKEN_LEN 43 /* 32 random bytes, base64url without padding */

/* Serves on listen ("HOST:PORT"; NULL: [serve] listen) until *stop is
 * set, storing into [store] path. Returns 0 after a clean stop, or a CV_E*
 * code with err when it cannot start. Logs one line per batch. */
int cv_serve_run(const struct cv_config *cfg, const char *listen, const atomic_bool *stop,
                 char *err, size_t errlen);

/* Makes a new random token for kiosk_id, stores its hash in [serve]
 * tokens_file (created 0600; an older entry for the kiosk is replaced) and
 * writes the token into token[CV_SERVE_TOKEN_LEN + 1]. The token itself is
 * kept nowhere. */
int cv_serve_add_kiosk(const struct cv_config *cfg, const char *kiosk_id, char *token, size_t size,
                       char *err, size_t errlen);

/* cv_serve_add_kiosk, for a hub when hub is true: the hub's token may also
 * send batches of other kiosks (the ones it forwards), keeping their ids. */
int cv_serve_add_token(const struct cv_config *cfg, const char *kiosk_id, bool hub, char *token,
                       size_t size, char *err, size_t errlen);

/* Checks token against the hashes in [serve] tokens_file for kiosk_id in
 * constant time. Returns 0 (accepted), CV_ENOTFOUND (no such kiosk) or
 * CV_EPERM (wrong token), or CV_EIO when the file cannot be read. */
int cv_serve_check_token(const char *tokens_file, const char *kiosk_id, const char *token);

/* cv_serve_check_token, and *hub: whether an accepted token is a hub's. */
int cv_serve_check_token_hub(const char *tokens_file, const char *kiosk_id, const char *token,
                             bool *hub);

#endif
