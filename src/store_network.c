/* The store's network side: ties imported from earlier convenings, the
 * secret behind export pseudonyms, and a metrics graph read from one
 * snapshot. The SQL of these lives here; store.c keeps the tap path. */
#include "cv_store_network.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "cv_error.h"
#include "cv_log.h"
#include "store_internal.h"

#define CV_LOG_TAG "store"

static int rollback(sqlite3 *db, int cv)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return cv;
}

/* A key names a person by external_id, else by email. */
#define RESOLVE(key)                                                                               \
	"COALESCE((SELECT id FROM people WHERE external_id = " key "),"                            \
	" (SELECT id FROM people WHERE email = " key " COLLATE NOCASE ORDER BY id LIMIT 1), 0)"

int cv_store_network_import(struct cv_store *store, const char *source,
                            const struct cv_network *net, const struct cv_stamp *stamp,
                            struct cv_network_import_stats *stats, char *err, size_t errlen)
{
	memset(stats, 0, sizeof *stats);
	cv_error_format(err, errlen, "%s", "");
	if (!store || !source || !*source || !net || !stamp) {
		cv_error_format(err, errlen, "an import needs a store, a source name and ties");
		return CV_EINVAL;
	}
	sqlite3 *db = cv_store_db(store);
	sqlite3_stmt *del = NULL, *ins = NULL, *match = NULL;
	int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		goto sql_fail;
	rc = sqlite3_prepare_v2(db, "DELETE FROM prior_ties WHERE source = ?1", -1, &del, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db,
		                        "INSERT INTO prior_ties (source, a_key, b_key, count,"
		                        " imported_wall_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
		                        -1, &ins, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT " RESOLVE("?1") ", " RESOLVE("?2"), -1, &match,
		                        NULL);
	if (rc != SQLITE_OK)
		goto sql_fail;
	sqlite3_bind_text(del, 1, source, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(del);
	if (rc != SQLITE_DONE)
		goto sql_fail;
	stats->replaced = sqlite3_changes(db);
	for (size_t i = 0; i < net->count; i++) {
		const struct cv_network_edge *e = &net->edges[i];
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, source, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 2, e->a, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 3, e->b, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, 4, e->count);
		sqlite3_bind_int64(ins, 5, stamp->wall_ms);
		rc = sqlite3_step(ins);
		if (rc != SQLITE_DONE)
			goto sql_fail;
		stats->pairs++;
		sqlite3_reset(match);
		sqlite3_bind_text(match, 1, e->a, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(match, 2, e->b, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(match);
		if (rc != SQLITE_ROW)
			goto sql_fail;
		stats->matched +=
		    sqlite3_column_int64(match, 0) > 0 && sqlite3_column_int64(match, 1) > 0;
	}
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	sqlite3_finalize(match);
	del = ins = match = NULL;
	rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		goto sql_fail;
	cv_log_info("imported %lld earlier ties from %s (%lld match people here)",
	            (long long)stats->pairs, source, (long long)stats->matched);
	return 0;

sql_fail:
	cv_error_format(err, errlen, "cannot store the ties: %s", sqlite3_errmsg(db));
	{
		int cv = cv_store_sqlite_error(db, rc, "importing a network");
		sqlite3_finalize(del);
		sqlite3_finalize(ins);
		sqlite3_finalize(match);
		memset(stats, 0, sizeof *stats);
		return rollback(db, cv);
	}
}

int cv_store_foreach_prior_tie(struct cv_store *store,
                               int (*cb)(const struct cv_prior_tie_row *row, void *ctx), void *ctx)
{
	static const char sql[] = "SELECT a_key, b_key, sum(count), " RESOLVE("a_key") ", " RESOLVE(
	    "b_key") " FROM prior_ties GROUP BY a_key, b_key ORDER BY a_key, b_key";
	if (!store || !cb)
		return CV_EINVAL;
	sqlite3 *db = cv_store_db(store);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return cv_store_sqlite_error(db, rc, "reading earlier ties");
	int out = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cv_prior_tie_row row = {
		    .a_key = (const char *)sqlite3_column_text(st, 0),
		    .b_key = (const char *)sqlite3_column_text(st, 1),
		    .count = sqlite3_column_int64(st, 2),
		    .person_a = sqlite3_column_int64(st, 3),
		    .person_b = sqlite3_column_int64(st, 4),
		};
		out = cb(&row, ctx);
		if (out != 0)
			break;
	}
	if (out == 0 && rc != SQLITE_DONE)
		out = cv_store_sqlite_error(db, rc, "reading earlier ties");
	sqlite3_finalize(st);
	return out;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int read_key(sqlite3 *db, uint8_t key[CV_PSEUDONYM_KEY_BYTES], bool *found)
{
	sqlite3_stmt *st = NULL;
	*found = false;
	int rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'pseudonym_secret'", -1,
	                            &st, NULL);
	if (rc != SQLITE_OK)
		return cv_store_sqlite_error(db, rc, "reading the pseudonym secret");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *hex = (const char *)sqlite3_column_text(st, 0);
		if (hex && strlen(hex) == 2 * CV_PSEUDONYM_KEY_BYTES) {
			*found = true;
			for (int i = 0; i < CV_PSEUDONYM_KEY_BYTES && *found; i++) {
				int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
				*found = hi >= 0 && lo >= 0;
				key[i] = (uint8_t)(hi << 4 | lo);
			}
		}
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return cv_store_sqlite_error(db, rc, "reading the pseudonym secret");
	if (!*found)
		memset(key, 0, CV_PSEUDONYM_KEY_BYTES);
	return 0;
}

int cv_store_pseudonym_key(struct cv_store *store, uint8_t key[CV_PSEUDONYM_KEY_BYTES])
{
	memset(key, 0, CV_PSEUDONYM_KEY_BYTES);
	if (!store)
		return CV_EINVAL;
	sqlite3 *db = cv_store_db(store);
	bool found;
	int cv = read_key(db, key, &found);
	if (cv < 0 || found)
		return cv;
	/* First use: a fresh secret. INSERT OR IGNORE keeps the first writer's
	 * when two exports race; both then read the same one back. */
	uint8_t fresh[CV_PSEUDONYM_KEY_BYTES];
	if (getrandom(fresh, sizeof fresh, 0) != (ssize_t)sizeof fresh) {
		cv_log_error("no random bytes for the pseudonym secret");
		return CV_EIO;
	}
	char hex[2 * CV_PSEUDONYM_KEY_BYTES + 1];
	for (int i = 0; i < CV_PSEUDONYM_KEY_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", fresh[i]);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(
	    db, "INSERT OR IGNORE INTO meta (key, value) VALUES ('pseudonym_secret', ?1)", -1, &st,
	    NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, hex, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	memset(fresh, 0, sizeof fresh);
	memset(hex, 0, sizeof hex);
	if (rc != SQLITE_DONE)
		return cv_store_sqlite_error(db, rc, "storing the pseudonym secret");
	cv = read_key(db, key, &found);
	if (cv == 0 && !found)
		cv = CV_ESTORE;
	return cv;
}

/* ---- the metrics graph of a snapshot ---- */

static int walk_sql(sqlite3 *db, const char *sql, int (*row)(sqlite3_stmt *st, void *ctx),
                    void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return cv_store_sqlite_error(db, rc, "reading the network");
	int out = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && out == 0)
		out = row(st, ctx);
	if (out == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		out = cv_store_sqlite_error(db, rc, "reading the network");
	sqlite3_finalize(st);
	return out;
}

static int person_row(sqlite3_stmt *st, void *ctx)
{
	const char *org = (const char *)sqlite3_column_text(st, 1);
	return cv_metrics_add_person(ctx, sqlite3_column_int64(st, 0), cv_metrics_org_key(org));
}

static int present_row(sqlite3_stmt *st, void *ctx)
{
	return cv_metrics_check_in(ctx, sqlite3_column_int64(st, 0));
}

static int encounter_row(sqlite3_stmt *st, void *ctx)
{
	struct cv_metrics_encounter e = {
	    .a = sqlite3_column_int64(st, 0),
	    .b = sqlite3_column_int64(st, 1),
	    .time_ms = sqlite3_column_int64(st, 2),
	    .dir = cv_metrics_answer_dir((const char *)sqlite3_column_text(st, 3)),
	};
	if (e.a == e.b)
		return 0; /* cannot be recorded; never let one row stop an export */
	return cv_metrics_add_encounter(ctx, &e);
}

static int prior_cb(const struct cv_prior_tie_row *row, void *ctx)
{
	if (row->person_a <= 0 || row->person_b <= 0 || row->person_a == row->person_b)
		return 0;
	return cv_metrics_add_prior_tie(ctx, row->person_a, row->person_b, row->count);
}

int cv_store_network_metrics(struct cv_store *store, struct cv_metrics **out)
{
	*out = NULL;
	if (!store)
		return CV_EINVAL;
	struct cv_metrics *m;
	struct cv_metrics_limits lim = {CV_METRICS_PEOPLE_MAX, CV_METRICS_TIES_MAX};
	int cv = cv_metrics_create(&lim, &m);
	if (cv < 0)
		return cv;
	sqlite3 *db = cv_store_db(store);
	cv = walk_sql(db, "SELECT id, organization FROM people ORDER BY id", person_row, m);
	if (cv == 0)
		cv = walk_sql(db, "SELECT DISTINCT person_id FROM checkins ORDER BY person_id",
		              present_row, m);
	if (cv == 0)
		cv = walk_sql(
		    db,
		    "SELECT e.person_a, e.person_b, e.wall_ms,"
		    " COALESCE((SELECT a.answer FROM answers a WHERE a.kiosk_id = e.kiosk_id"
		    "   AND a.encounter_seq = e.seq ORDER BY a.seq DESC LIMIT 1), e.answer) "
		    "FROM encounters e ORDER BY e.wall_ms, e.kiosk_id, e.seq",
		    encounter_row, m);
	if (cv == 0)
		cv = cv_store_foreach_prior_tie(store, prior_cb, m);
	if (cv != 0) {
		cv_metrics_destroy(m);
		return cv < 0 ? cv : CV_ESTORE;
	}
	*out = m;
	return 0;
}
