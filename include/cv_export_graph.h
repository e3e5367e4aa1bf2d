/* Network exports of the store: GEXF 1.3 (Gephi, with a timeline), GraphML,
 * Kumu's JSON blueprint and the `t i j` contact list, optionally with
 * stable pseudonyms in place of names. docs/export.md describes each. */
#ifndef CV_EXPORT_GRAPH_H
#define CV_EXPORT_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "cv_store.h"

enum cv_export_format {
	CV_EXPORT_CSV, /* cv_export_csv's three files */
	CV_EXPORT_GEXF,
	CV_EXPORT_GRAPHML,
	CV_EXPORT_KUMU,
	CV_EXPORT_CONTACTS,
};

struct cv_export_options {
	/* Names become the store's stable pseudonyms ("p-…"); emails, external
	 * ids and badge UIDs are left out. */
	bool pseudonymize;
};

/* "csv", "gexf", "graphml", "kumu", "contacts": 0 and *out, else CV_EINVAL. */
int cv_export_format_parse(const char *name, enum cv_export_format *out);

/* cv_export_csv with options: pseudonymised, people.csv keeps id,
 * organization and role, its name and external_id become the pseudonym,
 * email and badges stay empty; checkins.csv and encounters.csv name people
 * by pseudonym. */
int cv_export_csv_with(struct cv_store *store, const char *dir,
                       const struct cv_export_options *opts, char *err, size_t errlen);

/* Writes one network file at path (not csv) from one snapshot of the
 * store, through a temporary file renamed into place; may create the
 * store's pseudonym secret first. Returns 0 or a CV_E* code with err. */
int cv_export_graph(struct cv_store *store, enum cv_export_format format, const char *path,
                    const struct cv_export_options *opts, char *err, size_t errlen);

#endif
