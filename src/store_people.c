/* People and badges at run time: consent given on the kiosk (an
 * append-only record plus the person's current consent), the roster's
 * consent column on import, the enrolment search (names folded by a SQL
 * function registered on the connection), and badge binding, unbinding and
 * revocation. Companion of store.c through store_internal.h. */
#include "cv_store_people.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "cv_error.h"
#include "cv_log.h"
#include "cv_text.h"
#include "store_internal.h"

#define CV_LOG_TAG "store"

/* Folded text is at most 2 bytes per input byte ("ß" → "ss" is 2 for 2,
 * "Œ" → "oe" 2 for 2): the input's size is always enough. */
#define FOLD_MAX 1024

static int prep(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);
	if (rc != SQLITE_OK) {
		*st = NULL;
		return cv_store_sqlite_error(db, rc, "preparing a statement");
	}
	return 0;
}

static int exec(sqlite3 *db, const char *sql, const char *what)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : cv_store_sqlite_error(db, rc, what);
}

static void rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* Steps a statement that returns no row and finalizes it. */
static int run(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : cv_store_sqlite_error(db, rc, what);
}

static void copy_text(char *dst, size_t size, const unsigned char *src)
{
	size_t n = src ? strlen((const char *)src) : 0;
	if (n >= size) {
		n = size - 1;
		while (n > 0 && (src[n] & 0xC0) == 0x80)
			n--;
	}
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- consent ---- */

int cv_store_record_consent(struct cv_store *store, int64_t person_id, enum cv_consent consent,
                            bool show_name, int64_t tap_seq, const struct cv_stamp *stamp,
                            int64_t *seq_out)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t seq = 0;
	int cv;

	if (seq_out)
		*seq_out = 0;
	if (!store || person_id <= 0 || !cv_consent_name(consent) || !stamp || !seq_out)
		return CV_EINVAL;
	db = cv_store_db(store);
	if ((cv = exec(db, "BEGIN IMMEDIATE", "starting a transaction")) < 0)
		return cv;
	/* The consent series of this kiosk, apart from the shared sequence:
	 * sync gives each consent its upload number when it first sends it
	 * (sync_consent_seqs in store_sync.c) and carries this one beside it. */
	if ((cv = prep(db, "SELECT coalesce(max(seq), 0) + 1 FROM consents WHERE kiosk_id = ?1",
	               &st)) < 0)
		goto fail;
	sqlite3_bind_text(st, 1, cv_store_kiosk_id(store), -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		seq = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (seq <= 0) {
		cv = CV_ESTORE;
		goto fail;
	}
	if ((cv = prep(db,
	               "UPDATE people SET consent = ?2, show_name = ?3, consent_wall_ms = ?4 "
	               "WHERE id = ?1",
	               &st)) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, person_id);
	sqlite3_bind_text(st, 2, cv_consent_name(consent), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, show_name ? 1 : 0);
	sqlite3_bind_int64(st, 4, stamp->wall_ms);
	if ((cv = run(db, st, "recording a consent")) < 0)
		goto fail;
	if (sqlite3_changes(db) == 0) {
		cv = CV_ENOTFOUND;
		goto fail;
	}
	if ((cv = prep(db,
	               "INSERT INTO consents (kiosk_id, seq, person_id, consent, show_name, "
	               "tap_seq, boot_id, mono_ms, wall_ms, wall_trusted) "
	               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	               &st)) < 0)
		goto fail;
	sqlite3_bind_text(st, 1, cv_store_kiosk_id(store), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_int64(st, 3, person_id);
	sqlite3_bind_text(st, 4, cv_consent_name(consent), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, show_name ? 1 : 0);
	if (tap_seq > 0)
		sqlite3_bind_int64(st, 6, tap_seq);
	sqlite3_bind_text(st, 7, stamp->boot_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 8, stamp->mono_ms);
	sqlite3_bind_int64(st, 9, stamp->wall_ms);
	sqlite3_bind_int(st, 10, stamp->wall_trusted ? 1 : 0);
	if ((cv = run(db, st, "recording a consent")) < 0)
		goto fail;
	if ((cv = exec(db, "COMMIT", "committing")) < 0)
		goto fail;
	*seq_out = seq;
	return 0;

fail:
	rollback(db);
	return cv;
}

int cv_store_person_consent(struct cv_store *store, int64_t person_id, enum cv_consent *consent,
                            bool *show_name)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int cv, rc;

	*consent = CV_CONSENT_UNSET;
	*show_name = false;
	if (!store)
		return CV_EINVAL;
	db = cv_store_db(store);
	if ((cv = prep(db, "SELECT consent, coalesce(show_name, 0) FROM people WHERE id = ?1",
	               &st)) < 0)
		return cv;
	sqlite3_bind_int64(st, 1, person_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*consent = cv_consent_from_name((const char *)sqlite3_column_text(st, 0));
		*show_name = sqlite3_column_int(st, 1) != 0;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? CV_ENOTFOUND : cv_store_sqlite_error(db, rc, "reading consent");
}

int cv_store_people_import_consent(struct cv_store *store, int64_t person_id,
                                   enum cv_consent consent, int show_name, int64_t wall_ms,
                                   bool *changed)
{
	sqlite3 *db = cv_store_db(store);
	sqlite3_stmt *st;
	int cv;

	*changed = false;
	if (consent == CV_CONSENT_UNSET && show_name == 0)
		return 0;
	/* What a person chose on a kiosk is theirs: a roster imported later
	 * does not overrule it. */
	if ((cv = prep(db,
	               "UPDATE people SET consent = coalesce(?2, consent), "
	               "show_name = coalesce(?3, show_name), consent_wall_ms = ?4 "
	               "WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM consents WHERE person_id = ?1) "
	               "AND (consent IS NOT coalesce(?2, consent) "
	               "OR show_name IS NOT coalesce(?3, show_name))",
	               &st)) < 0)
		return cv;
	sqlite3_bind_int64(st, 1, person_id);
	if (consent != CV_CONSENT_UNSET)
		sqlite3_bind_text(st, 2, cv_consent_name(consent), -1, SQLITE_STATIC);
	if (show_name != 0)
		sqlite3_bind_int(st, 3, show_name > 0 ? 1 : 0);
	sqlite3_bind_int64(st, 4, wall_ms);
	if ((cv = run(db, st, "importing a consent")) < 0)
		return cv;
	*changed = sqlite3_changes(db) > 0;
	return 0;
}

/* ---- search ---- */

static void fold_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char folded[FOLD_MAX];
	const unsigned char *in;

	(void)argc;
	in = sqlite3_value_text(argv[0]);
	if (!in) {
		sqlite3_result_null(ctx);
		return;
	}
	size_t n = cv_text_fold((const char *)in, folded, sizeof folded);
	sqlite3_result_text(ctx, folded, (int)n, SQLITE_TRANSIENT);
}

/* Registers cv_fold() on this connection once: registering again would
 * expire every statement the connection keeps prepared. */
static int fold_register(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, "SELECT cv_fold('')", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_finalize(st);
		return 0;
	}
	int rc = sqlite3_create_function_v2(db, "cv_fold", 1,
	                                    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
	                                    NULL, fold_fn, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : cv_store_sqlite_error(db, rc, "registering cv_fold");
}

static enum cv_role role_of(const unsigned char *text)
{
	if (text && strcmp((const char *)text, "organizer") == 0)
		return CV_ROLE_ORGANIZER;
	if (text && strcmp((const char *)text, "staff") == 0)
		return CV_ROLE_STAFF;
	return CV_ROLE_ATTENDEE;
}

int cv_store_search_people(struct cv_store *store, const char *query, struct cv_flow_person *out,
                           int max, int *count)
{
	char folded[FOLD_MAX];
	sqlite3 *db;
	sqlite3_stmt *st;
	int cv, rc, n = 0;

	*count = 0;
	if (!store || !out || max < 0)
		return CV_EINVAL;
	if (max == 0)
		return 0;
	db = cv_store_db(store);
	if ((cv = fold_register(db)) < 0)
		return cv;
	cv_text_fold(query ? query : "", folded, sizeof folded);
	/* instr, not LIKE: the folded query is matched as it is, so '%' or
	 * '_' typed on the keyboard are plain characters. A whole scan: a
	 * gathering's roster is thousands of people, not millions. */
	if ((cv =
	         prep(db,
	              "SELECT id, name, organization, role, consent, coalesce(show_name, 0) "
	              "FROM (SELECT *, cv_fold(name) AS f FROM people) "
	              "WHERE ?1 = '' OR instr(f, ?1) > 0 "
	              "ORDER BY (?1 <> '' AND (instr(f, ?1) = 1 OR instr(f, ' ' || ?1) > 0)) DESC, "
	              "f, id LIMIT ?2",
	              &st)) < 0)
		return cv;
	sqlite3_bind_text(st, 1, folded, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max) {
		struct cv_flow_person *p = &out[n++];
		memset(p, 0, sizeof *p);
		p->id = sqlite3_column_int64(st, 0);
		copy_text(p->name, sizeof p->name, sqlite3_column_text(st, 1));
		copy_text(p->organization, sizeof p->organization, sqlite3_column_text(st, 2));
		p->role = role_of(sqlite3_column_text(st, 3));
		p->consent = cv_consent_from_name((const char *)sqlite3_column_text(st, 4));
		p->show_name = sqlite3_column_int(st, 5) != 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return cv_store_sqlite_error(db, rc, "searching people");
	*count = n;
	return 0;
}

/* ---- badges ---- */

/* Marks person_id as edited, so sync's roster carries their badges again. */
static int touch_person(sqlite3 *db, int64_t person_id, int64_t wall_ms)
{
	sqlite3_stmt *st;
	int cv = prep(db,
	              "UPDATE people SET updated_wall_ms = max(updated_wall_ms + 1, ?2) "
	              "WHERE id = ?1",
	              &st);
	if (cv < 0)
		return cv;
	sqlite3_bind_int64(st, 1, person_id);
	sqlite3_bind_int64(st, 2, wall_ms);
	return run(db, st, "marking a person edited");
}

int cv_store_bind_badge(struct cv_store *store, const char *uid_hex, int64_t person_id,
                        int64_t wall_ms)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int cv, rc;

	if (!store || !uid_hex || !*uid_hex || person_id <= 0)
		return CV_EINVAL;
	db = cv_store_db(store);
	if ((cv = exec(db, "BEGIN IMMEDIATE", "starting a transaction")) < 0)
		return cv;
	if ((cv = prep(db, "SELECT 1 FROM people WHERE id = ?1", &st)) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, person_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		cv = rc == SQLITE_DONE ? CV_ENOTFOUND
		                       : cv_store_sqlite_error(db, rc, "looking up a person");
		goto fail;
	}
	if ((cv = prep(db, "SELECT person_id, revoked_wall_ms FROM badges WHERE uid = ?1", &st)) <
	    0)
		goto fail;
	sqlite3_bind_text(st, 1, uid_hex, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t owner = sqlite3_column_int64(st, 0);
		bool revoked = sqlite3_column_type(st, 1) != SQLITE_NULL;
		sqlite3_finalize(st);
		if (!revoked) {
			cv = owner == person_id ? 0 : CV_EEXIST;
			rollback(db);
			return cv;
		}
		/* a revoked badge found again, or recycled: bound anew */
		if ((cv = prep(db, "DELETE FROM badges WHERE uid = ?1", &st)) < 0)
			goto fail;
		sqlite3_bind_text(st, 1, uid_hex, -1, SQLITE_TRANSIENT);
		if ((cv = run(db, st, "rebinding a badge")) < 0)
			goto fail;
	} else {
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			cv = cv_store_sqlite_error(db, rc, "looking up a badge");
			goto fail;
		}
	}
	if ((cv = prep(db, "INSERT INTO badges (uid, person_id, bound_wall_ms) VALUES (?1, ?2, ?3)",
	               &st)) < 0)
		goto fail;
	sqlite3_bind_text(st, 1, uid_hex, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, person_id);
	sqlite3_bind_int64(st, 3, wall_ms);
	if ((cv = run(db, st, "binding a badge")) < 0)
		goto fail;
	if ((cv = touch_person(db, person_id, wall_ms)) < 0)
		goto fail;
	if ((cv = exec(db, "COMMIT", "committing")) < 0)
		goto fail;
	cv_log_info("badge %s bound to person %lld", uid_hex, (long long)person_id);
	return 0;

fail:
	rollback(db);
	return cv;
}

/* Unbind (revoke false) or revoke (true) an active badge. */
static int badge_release(struct cv_store *store, const char *uid_hex, int64_t wall_ms, bool revoke)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t owner = 0;
	int cv, rc;

	if (!store || !uid_hex || !*uid_hex)
		return CV_EINVAL;
	db = cv_store_db(store);
	if ((cv = exec(db, "BEGIN IMMEDIATE", "starting a transaction")) < 0)
		return cv;
	if ((cv =
	         prep(db, "SELECT person_id FROM badges WHERE uid = ?1 AND revoked_wall_ms IS NULL",
	              &st)) < 0)
		goto fail;
	sqlite3_bind_text(st, 1, uid_hex, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		owner = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		cv = rc == SQLITE_DONE ? CV_ENOTFOUND
		                       : cv_store_sqlite_error(db, rc, "looking up a badge");
		goto fail;
	}
	if ((cv = prep(db,
	               revoke ? "UPDATE badges SET revoked_wall_ms = ?2 WHERE uid = ?1"
	                      : "DELETE FROM badges WHERE uid = ?1",
	               &st)) < 0)
		goto fail;
	sqlite3_bind_text(st, 1, uid_hex, -1, SQLITE_TRANSIENT);
	if (revoke)
		sqlite3_bind_int64(st, 2, wall_ms);
	if ((cv = run(db, st, revoke ? "revoking a badge" : "unbinding a badge")) < 0)
		goto fail;
	if ((cv = touch_person(db, owner, wall_ms)) < 0)
		goto fail;
	if ((cv = exec(db, "COMMIT", "committing")) < 0)
		goto fail;
	cv_log_info("badge %s %s (person %lld)", uid_hex, revoke ? "revoked" : "unbound",
	            (long long)owner);
	return 0;

fail:
	rollback(db);
	return cv;
}

int cv_store_unbind_badge(struct cv_store *store, const char *uid_hex, int64_t wall_ms)
{
	return badge_release(store, uid_hex, wall_ms, false);
}

int cv_store_revoke_badge(struct cv_store *store, const char *uid_hex, int64_t wall_ms)
{
	return badge_release(store, uid_hex, wall_ms, true);
}
