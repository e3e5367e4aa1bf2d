/* The store's private seam between store.c and store_schema.c: the forward
 * migrations of the schema, and the one translation of SQLite result codes
 * into CV_E* codes. Nothing outside the store includes this. */
#ifndef CV_STORE_SCHEMA_H
#define CV_STORE_SCHEMA_H

#include <stddef.h>

#include <sqlite3.h>

/* Migrates db forward to version target (1..CV_STORE_SCHEMA_VERSION), one
 * transaction per step, each step re-reading PRAGMA user_version inside its
 * transaction so two connections opening the same file at once migrate it
 * once. A database newer than CV_STORE_SCHEMA_VERSION, or a non-empty
 * database that was never Convene's, is refused with CV_ESCHEMA. Sets
 * *version to the version the database is at afterwards (also on failure,
 * when known, else -1). */
int cv_store_schema_migrate(sqlite3 *db, int target, int *version, char *err, size_t errlen);

/* Reads PRAGMA user_version. */
int cv_store_schema_read_version(sqlite3 *db, int *out);

/* Translates a SQLite result code (rc != SQLITE_OK) into a CV_E* code and
 * logs SQLite's message with what was being done. */
int cv_store_sqlite_error(sqlite3 *db, int rc, const char *what);

#endif
