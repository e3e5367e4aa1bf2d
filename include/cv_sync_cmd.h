/* The sync subcommands of `convene`: sync, serve (and serve --import),
 * add-kiosk, export --format bundle, and the sync lines of status. Each
 * returns the process exit code: 0 done, 1 failed (one line on stderr
 * saying why), 2 usage. argv[0] is the subcommand. */
#ifndef CV_SYNC_CMD_H
#define CV_SYNC_CMD_H

#include <jansson.h>
#include <stdio.h>

#include "cv_config.h"
#include "cv_store.h"

int cv_sync_cmd_sync(const struct cv_config *cfg, int argc, char **argv);
int cv_sync_cmd_serve(const struct cv_config *cfg, int argc, char **argv);
int cv_sync_cmd_add_kiosk(const struct cv_config *cfg, int argc, char **argv);
int cv_sync_cmd_export_bundle(const struct cv_config *cfg, const char *out);

/* Prints the sync lines of `convene status` (pending, quarantine, last
 * result, and on a server what it holds of each kiosk). */
void cv_sync_cmd_status_text(struct cv_store *store, FILE *f);
/* The same as a JSON object for `status --json` (NULL on failure). */
json_t *cv_sync_cmd_status_json(struct cv_store *store);

#endif
