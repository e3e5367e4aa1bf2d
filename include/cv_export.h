/* Exports of the store for organisers and researchers. docs/export.md
 * describes every file and column. */
#ifndef CV_EXPORT_H
#define CV_EXPORT_H

#include <stddef.h>

#include "cv_store.h"

/* Writes people.csv, checkins.csv and encounters.csv into dir (created when
 * missing), each through a temporary file renamed into place, so a failed
 * export never leaves a half file. Returns 0 or a CV_E* code with err. */
int cv_export_csv(struct cv_store *store, const char *dir, char *err, size_t errlen);

#endif
