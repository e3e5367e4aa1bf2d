/* The store's SQL for sync: building batches of this kiosk's pending
 * records, acknowledgements, quarantine and clock fixes on the kiosk, and
 * the exactly-once ingest of batches on the server. Companion of store.c
 * through store_internal.h; docs/sync-protocol.md has the rules. */
#include "cv_store_sync.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cv_error.h"
#include "cv_log.h"
#include "store_internal.h"

#define CV_LOG_TAG "store"

/* People edited since the roster was last acknowledged, carried per batch
 * on top of the people the records name. */
#define ROSTER_PER_BATCH 200

#define META_RESULT "sync_last_result"
#define META_RESULT_WALL "sync_last_wall_ms"
#define META_ROSTER_MARK "sync_roster_mark"
#define META_ROSTER_NEXT "sync_roster_next"

/* ---- small helpers (each call prepares its statement: sync runs a few
 * statements per batch, never on the tap path) ---- */

static int prep(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);
	return rc == SQLITE_OK ? 0 : cv_store_sqlite_error(db, rc, "preparing a sync statement");
}

/* A statement kept for the length of one batch in *slot: prepared on first
 * use, reset and unbound on the next. The caller finalizes the slots. */
static int cached(sqlite3 *db, sqlite3_stmt **slot, const char *sql)
{
	if (*slot) {
		sqlite3_reset(*slot);
		sqlite3_clear_bindings(*slot);
		return 0;
	}
	return prep(db, sql, slot);
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

/* Runs a one-value query: *out is column 0 of the first row, or dflt. */
static int query_int(sqlite3 *db, const char *sql, const char *text1, int64_t int2, int64_t dflt,
                     int64_t *out)
{
	sqlite3_stmt *st;
	*out = dflt;
	int cv = prep(db, sql, &st);
	if (cv < 0)
		return cv;
	if (text1)
		sqlite3_bind_text(st, 1, text1, -1, SQLITE_TRANSIENT);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, int2);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return cv_store_sqlite_error(db, rc, "reading sync state");
	return 0;
}

static int meta_set(sqlite3 *db, const char *key, const char *value)
{
	sqlite3_stmt *st;
	int cv = prep(db,
	              "INSERT INTO meta (key, value) VALUES (?1, ?2) "
	              "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	              &st);
	if (cv < 0)
		return cv;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : cv_store_sqlite_error(db, rc, "writing sync state");
}

static int meta_get(sqlite3 *db, const char *key, char *out, size_t size)
{
	sqlite3_stmt *st;
	out[0] = '\0';
	int cv = prep(db, "SELECT value FROM meta WHERE key = ?1", &st);
	if (cv < 0)
		return cv;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
	           ? 0
	           : cv_store_sqlite_error(db, rc, "reading sync state");
}

/* Copies a column into a fixed field; false when it does not fit. */
static bool col_copy(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *v = sqlite3_column_text(st, i);
	size_t n = v ? (size_t)sqlite3_column_bytes(st, i) : 0;
	if (n >= size)
		return false;
	memcpy(dst, v ? (const char *)v : "", n);
	dst[n] = '\0';
	return true;
}

/* ---- the uploading side ---- */

int cv_store_sync_acked(struct cv_store *store, int64_t *acked)
{
	return cv_store_sync_acked_for(store, cv_store_kiosk_id(store), acked);
}

int cv_store_sync_acked_for(struct cv_store *store, const char *kiosk_id, int64_t *acked)
{
	return query_int(cv_store_db(store), "SELECT acked_seq FROM sync_state WHERE kiosk_id = ?1",
	                 kiosk_id, 0, 0, acked);
}

int cv_store_sync_set_acked(struct cv_store *store, int64_t acked)
{
	return cv_store_sync_set_acked_for(store, cv_store_kiosk_id(store), acked);
}

int cv_store_sync_set_acked_for(struct cv_store *store, const char *kiosk_id, int64_t acked)
{
	sqlite3 *db = cv_store_db(store);
	sqlite3_stmt *st;
	if (acked < 0 || !kiosk_id)
		return CV_EINVAL;
	int cv = prep(db,
	              "INSERT INTO sync_state (kiosk_id, acked_seq) VALUES (?1, ?2) "
	              "ON CONFLICT (kiosk_id) DO UPDATE SET acked_seq = excluded.acked_seq",
	              &st);
	if (cv < 0)
		return cv;
	sqlite3_bind_text(st, 1, kiosk_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, acked);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : cv_store_sqlite_error(db, rc, "saving the acknowledgement");
}

/* One slot per sequence number of a range being read. */
struct slot {
	bool present;
	bool too_big;
	bool clash; /* two records claim this number */
	struct cv_sync_record rec;
};

#define REC_CLOCK "boot_id, mono_ms, wall_ms, wall_trusted"

static bool read_clock(sqlite3_stmt *st, int first, struct cv_sync_clock *c)
{
	bool ok = col_copy(st, first, c->boot_id, sizeof c->boot_id);
	c->mono_ms = sqlite3_column_int64(st, first + 1);
	c->wall_ms = sqlite3_column_int64(st, first + 2);
	c->wall_trusted = sqlite3_column_int(st, first + 3) != 0;
	return ok;
}

/* Reads this kiosk's records with lo <= seq <= hi into slots[seq - lo]. */
static int load_range(sqlite3 *db, const char *kiosk, int64_t lo, int64_t hi, struct slot *slots)
{
	static const char *const sql[] = {
	    "SELECT seq, " REC_CLOCK ", zone, uid, ndef_id, person_id FROM taps "
	    "WHERE kiosk_id = ?1 AND seq BETWEEN ?2 AND ?3",
	    "SELECT seq, " REC_CLOCK ", zone, person_id, day, tap_seq FROM checkins "
	    "WHERE kiosk_id = ?1 AND seq BETWEEN ?2 AND ?3",
	    "SELECT seq, " REC_CLOCK ", zone, person_a, person_b, a_tap_seq, b_tap_seq, answer "
	    "FROM encounters WHERE kiosk_id = ?1 AND seq BETWEEN ?2 AND ?3",
	    "SELECT seq, " REC_CLOCK ", encounter_seq, answer FROM answers "
	    "WHERE kiosk_id = ?1 AND seq BETWEEN ?2 AND ?3",
	    "SELECT seq, " REC_CLOCK ", trusted_wall_ms, source FROM clock_fixes "
	    "WHERE kiosk_id = ?1 AND seq BETWEEN ?2 AND ?3",
	    /* Consents are numbered in their own series; their place in the
	     * upload sequence is in sync_consent_seqs. */
	    "SELECT m.seq, c.boot_id, c.mono_ms, c.wall_ms, c.wall_trusted, c.person_id, "
	    "c.consent, c.show_name, c.tap_seq, c.seq FROM sync_consent_seqs m "
	    "JOIN consents c ON c.kiosk_id = m.kiosk_id AND c.seq = m.consent_seq "
	    "WHERE m.kiosk_id = ?1 AND m.seq BETWEEN ?2 AND ?3",
	};
	static const enum cv_sync_kind kinds[] = {CV_SYNC_TAP,       CV_SYNC_CHECKIN,
	                                          CV_SYNC_ENCOUNTER, CV_SYNC_ANSWER,
	                                          CV_SYNC_CLOCK_FIX, CV_SYNC_CONSENT};
	for (size_t t = 0; t < sizeof sql / sizeof sql[0]; t++) {
		sqlite3_stmt *st;
		int cv = prep(db, sql[t], &st);
		if (cv < 0)
			return cv;
		sqlite3_bind_text(st, 1, kiosk, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, lo);
		sqlite3_bind_int64(st, 3, hi);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t seq = sqlite3_column_int64(st, 0);
			struct slot *s = &slots[seq - lo];
			struct cv_sync_record *r = &s->rec;
			if (s->present) {
				/* Never send one and lose the other silently: the
				 * number is held back with a reason. */
				s->clash = true;
				continue;
			}
			bool ok = read_clock(st, 1, &r->clock);
			s->present = true;
			r->kind = kinds[t];
			r->seq = seq;
			switch (r->kind) {
			case CV_SYNC_TAP:
				ok = ok && col_copy(st, 5, r->zone, sizeof r->zone) &&
				     col_copy(st, 6, r->uid, sizeof r->uid);
				r->has_ndef_id = sqlite3_column_type(st, 7) != SQLITE_NULL;
				ok = ok && col_copy(st, 7, r->ndef_id, sizeof r->ndef_id);
				r->person = sqlite3_column_int64(st, 8);
				break;
			case CV_SYNC_CHECKIN:
				ok = ok && col_copy(st, 5, r->zone, sizeof r->zone);
				r->person = sqlite3_column_int64(st, 6);
				ok = ok && col_copy(st, 7, r->day, sizeof r->day);
				r->tap_seq = sqlite3_column_int64(st, 8);
				break;
			case CV_SYNC_ENCOUNTER:
				ok = ok && col_copy(st, 5, r->zone, sizeof r->zone);
				r->person = sqlite3_column_int64(st, 6);
				r->person_b = sqlite3_column_int64(st, 7);
				r->a_tap_seq = sqlite3_column_int64(st, 8);
				r->b_tap_seq = sqlite3_column_int64(st, 9);
				r->has_answer = sqlite3_column_type(st, 10) != SQLITE_NULL;
				ok = ok && col_copy(st, 10, r->answer, sizeof r->answer);
				break;
			case CV_SYNC_ANSWER:
				r->encounter_seq = sqlite3_column_int64(st, 5);
				r->has_answer = true;
				ok = ok && col_copy(st, 6, r->answer, sizeof r->answer);
				break;
			case CV_SYNC_CLOCK_FIX:
				r->trusted_wall_ms = sqlite3_column_int64(st, 5);
				ok = ok && col_copy(st, 6, r->source, sizeof r->source);
				break;
			case CV_SYNC_CONSENT:
				r->person = sqlite3_column_int64(st, 5);
				ok = ok && col_copy(st, 6, r->consent, sizeof r->consent);
				r->show_name = sqlite3_column_int(st, 7) != 0;
				r->tap_seq = sqlite3_column_int64(st, 8);
				r->consent_seq = sqlite3_column_int64(st, 9);
				break;
			}
			s->too_big = !ok;
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return cv_store_sqlite_error(db, rc, "reading records to upload");
	}
	return 0;
}

static bool batch_has_person(const struct cv_sync_batch *b, int64_t id)
{
	for (size_t i = 0; i < b->person_count; i++)
		if (b->people[i].id == id)
			return true;
	return false;
}

/* Reads one person (with up to CV_SYNC_BADGES_MAX active badges) into the
 * batch unless already there. */
/* The statements of reading people into one batch. */
struct people_stmts {
	sqlite3_stmt *person, *badges;
};

static void people_stmts_done(struct people_stmts *ps)
{
	sqlite3_finalize(ps->person);
	sqlite3_finalize(ps->badges);
	memset(ps, 0, sizeof *ps);
}

static int add_person(sqlite3 *db, struct people_stmts *ps, struct cv_sync_batch *b,
                      size_t max_people, int64_t id)
{
	if (id <= 0 || batch_has_person(b, id))
		return 0;
	if (b->person_count >= max_people)
		return CV_ETOOBIG;
	int cv = cached(db, &ps->person,
	                "SELECT external_id, name, organization, role, email, updated_wall_ms "
	                "FROM people WHERE id = ?1");
	if (cv < 0)
		return cv;
	sqlite3_stmt *st = ps->person;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? CV_ENOTFOUND
		                         : cv_store_sqlite_error(db, rc, "reading a person");
	}
	struct cv_sync_person *p = &b->people[b->person_count];
	memset(p, 0, sizeof *p);
	p->id = id;
	p->has_external_id = sqlite3_column_type(st, 0) != SQLITE_NULL;
	bool ok = col_copy(st, 0, p->external_id, sizeof p->external_id) &&
	          col_copy(st, 1, p->name, sizeof p->name) &&
	          col_copy(st, 2, p->organization, sizeof p->organization) &&
	          col_copy(st, 3, p->role, sizeof p->role);
	p->has_email = sqlite3_column_type(st, 4) != SQLITE_NULL;
	ok = ok && col_copy(st, 4, p->email, sizeof p->email);
	p->updated_wall_ms = sqlite3_column_int64(st, 5);
	sqlite3_reset(st);
	if (!ok) {
		/* A name longer than the protocol carries is cut at a character
		 * boundary rather than holding the person's records back. */
		cv_log_warn("person %lld has a field longer than sync carries; it is cut",
		            (long long)id);
	}
	cv = cached(db, &ps->badges,
	            "SELECT uid FROM badges WHERE person_id = ?1 AND revoked_wall_ms IS NULL "
	            "ORDER BY bound_wall_ms, uid LIMIT ?2");
	if (cv < 0)
		return cv;
	st = ps->badges;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, CV_SYNC_BADGES_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (col_copy(st, 0, p->badges[p->badge_count], CV_UID_HEX_MAX))
			p->badge_count++;
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return cv_store_sqlite_error(db, rc, "reading badges");
	b->person_count++;
	return 0;
}

static int add_record_people(sqlite3 *db, struct people_stmts *ps, struct cv_sync_batch *b,
                             size_t max_people, const struct cv_sync_record *r)
{
	int cv = 0;
	if (r->kind == CV_SYNC_TAP || r->kind == CV_SYNC_CHECKIN || r->kind == CV_SYNC_ENCOUNTER ||
	    r->kind == CV_SYNC_CONSENT)
		cv = add_person(db, ps, b, max_people, r->person);
	if (cv == 0 && r->kind == CV_SYNC_ENCOUNTER)
		cv = add_person(db, ps, b, max_people, r->person_b);
	return cv;
}

/* Adds people edited since the roster mark ("wall_ms:id"), and remembers
 * where this batch's roster part ends, for cv_store_sync_batch_done. */
static int add_roster_changes(sqlite3 *db, struct people_stmts *ps, struct cv_sync_batch *b,
                              size_t max_people)
{
	char mark[64];
	long long mwall = -1, mid = 0;
	int cv = meta_get(db, META_ROSTER_MARK, mark, sizeof mark);
	if (cv < 0)
		return cv;
	if (mark[0] && sscanf(mark, "%lld:%lld", &mwall, &mid) != 2)
		mwall = -1;
	sqlite3_stmt *st;
	cv = prep(db,
	          "SELECT id, updated_wall_ms FROM people "
	          "WHERE updated_wall_ms > ?1 OR (updated_wall_ms = ?1 AND id > ?2) "
	          "ORDER BY updated_wall_ms, id LIMIT ?3",
	          &st);
	if (cv < 0)
		return cv;
	sqlite3_bind_int64(st, 1, mwall);
	sqlite3_bind_int64(st, 2, mid);
	sqlite3_bind_int(st, 3, ROSTER_PER_BATCH);
	int64_t ids[ROSTER_PER_BATCH], walls[ROSTER_PER_BATCH];
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < ROSTER_PER_BATCH) {
		ids[n] = sqlite3_column_int64(st, 0);
		walls[n] = sqlite3_column_int64(st, 1);
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return cv_store_sqlite_error(db, rc, "reading roster changes");
	int added = 0;
	for (; added < n; added++) {
		cv = add_person(db, ps, b, max_people, ids[added]);
		if (cv == CV_ETOOBIG)
			break;
		if (cv < 0)
			return cv;
	}
	char next[64] = "", was[64];
	if (added > 0)
		snprintf(next, sizeof next, "%lld:%lld", (long long)walls[added - 1],
		         (long long)ids[added - 1]);
	/* Written only when it changes: every write takes the store's lock,
	 * which the tap path waits for. */
	cv = meta_get(db, META_ROSTER_NEXT, was, sizeof was);
	if (cv < 0 || strcmp(was, next) == 0)
		return cv;
	return meta_set(db, META_ROSTER_NEXT, next);
}

/* Quarantined records of this kiosk in (lo, hi], not marked for retry. */
static int load_quarantine(sqlite3 *db, const char *kiosk, int64_t lo, int64_t hi,
                           struct cv_sync_batch *b, bool *held_back)
{
	sqlite3_stmt *st;
	int cv = prep(db,
	              "SELECT seq, reason FROM sync_quarantine WHERE kiosk_id = ?1 "
	              "AND seq > ?2 AND seq <= ?3 AND retry = 0 ORDER BY seq",
	              &st);
	if (cv < 0)
		return cv;
	sqlite3_bind_text(st, 1, kiosk, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int64(st, 3, hi);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		held_back[seq - lo - 1] = true;
		struct cv_sync_skip *k = &b->skipped[b->skip_count++];
		k->seq = seq;
		const char *why = (const char *)sqlite3_column_text(st, 1);
		snprintf(k->reason, sizeof k->reason, "%s", why ? why : "");
		/* Control characters cannot travel (the codec refuses them). */
		for (char *p = k->reason; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : cv_store_sqlite_error(db, rc, "reading the quarantine");
}

/* Builds the batch of records after `after` (the acknowledgement, or
 * where the previous batch of a bundle ended); only the first batch of a
 * run carries retries and roster changes. */
/* Gives this kiosk's consents that have none a place in the upload
 * sequence (they are numbered in their own series when written). */
static int enrol_consents(struct cv_store *store)
{
	sqlite3 *db = cv_store_db(store);
	const char *kiosk = cv_store_kiosk_id(store);
	sqlite3_stmt *sel = NULL, *ins = NULL;
	/* Looked at first without the write lock: a batch that takes it for
	 * nothing makes a tap wait. */
	int64_t unnumbered = 0;
	int cv = query_int(db,
	                   "SELECT EXISTS (SELECT 1 FROM consents c WHERE c.kiosk_id = ?1 AND "
	                   "NOT EXISTS (SELECT 1 FROM sync_consent_seqs m WHERE m.kiosk_id = ?1 "
	                   "AND m.consent_seq = c.seq))",
	                   kiosk, 0, 0, &unnumbered);
	if (cv < 0 || unnumbered == 0)
		return cv;
	cv = exec(db, "BEGIN IMMEDIATE", "starting a write");
	if (cv < 0)
		return cv;
	cv = prep(db,
	          "SELECT c.seq FROM consents c WHERE c.kiosk_id = ?1 AND NOT EXISTS "
	          "(SELECT 1 FROM sync_consent_seqs m WHERE m.kiosk_id = ?1 "
	          "AND m.consent_seq = c.seq) ORDER BY c.seq",
	          &sel);
	if (cv == 0)
		cv = prep(db,
		          "INSERT INTO sync_consent_seqs (kiosk_id, consent_seq, seq) "
		          "VALUES (?1, ?2, ?3)",
		          &ins);
	if (cv < 0)
		goto out;
	sqlite3_bind_text(sel, 1, kiosk, -1, SQLITE_TRANSIENT);
	int rc = SQLITE_DONE;
	while (cv == 0 && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
		int64_t seq;
		cv = cv_store_next_seq(store, &seq);
		if (cv < 0)
			break;
		sqlite3_bind_text(ins, 1, kiosk, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, 2, sqlite3_column_int64(sel, 0));
		sqlite3_bind_int64(ins, 3, seq);
		int irc = sqlite3_step(ins);
		sqlite3_reset(ins);
		if (irc != SQLITE_DONE)
			cv = cv_store_sqlite_error(db, irc, "numbering a consent for sync");
	}
	if (cv == 0 && rc != SQLITE_DONE)
		cv = cv_store_sqlite_error(db, rc, "reading consents");
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	if (cv == 0)
		cv = exec(db, "COMMIT", "numbering consents for sync");
	if (cv < 0)
		rollback(db);
	return cv;
}

/* Why a number of a forwarded kiosk has no record here: the reason it sent
 * with its skip. */
static void gap_reason(sqlite3 *db, const char *kiosk, int64_t seq, char *out, size_t size)
{
	sqlite3_stmt *st;
	snprintf(out, size, "no record with this sequence");
	if (prep(db, "SELECT reason FROM sync_gaps WHERE kiosk_id = ?1 AND seq = ?2", &st) < 0)
		return;
	sqlite3_bind_text(st, 1, kiosk, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, seq);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static int quarantine_kiosk(sqlite3 *db, const char *kiosk, int64_t seq, const char *reason,
                            int64_t now_wall_ms);

static int build_batch(struct cv_store *store, const char *kiosk, bool first, int64_t after,
                       size_t max_records, int64_t now_wall_ms, struct cv_sync_batch *b)
{
	sqlite3 *db = cv_store_db(store);
	/* Another kiosk's records, held here: a hub forwarding upstream. */
	bool own = strcmp(kiosk, cv_store_kiosk_id(store)) == 0;
	struct slot *slots = NULL;
	bool *held_back = NULL;
	int64_t *requarantine = NULL;
	size_t requarantine_count = 0;
	struct people_stmts ps = {0};
	int64_t acked, last;
	int cv;

	memset(b, 0, sizeof *b);
	if (max_records < 1 || max_records > CV_SYNC_RECORDS_MAX)
		return CV_EINVAL;
	size_t max_people = 2 * max_records + ROSTER_PER_BATCH;
	if (own && first) {
		cv = enrol_consents(store);
		if (cv < 0)
			return cv;
	}
	cv = cv_sync_batch_init(b, max_records, max_people, max_records);
	if (cv < 0)
		return cv;
	snprintf(b->kiosk_id, sizeof b->kiosk_id, "%s", kiosk);
	/* One read snapshot for the whole batch. */
	cv = exec(db, "BEGIN", "starting a read");
	if (cv < 0)
		goto fail;
	cv = first ? cv_store_sync_acked_for(store, kiosk, &acked) : 0;
	if (!first)
		acked = after;
	/* A kiosk sends up to its last number; a hub forwards what it holds. */
	if (cv == 0)
		cv = query_int(db,
		               own ? "SELECT last_seq FROM sequences WHERE kiosk_id = ?1"
		                   : "SELECT held_seq FROM sync_held WHERE kiosk_id = ?1",
		               kiosk, 0, 0, &last);
	if (cv < 0)
		goto fail;
	b->acked_seq = acked;

	/* Retried records below the acknowledgement come first (lower seq). */
	sqlite3_stmt *st;
	cv = prep(db,
	          "SELECT seq FROM sync_quarantine WHERE kiosk_id = ?1 AND retry = 1 "
	          "AND seq <= ?2 ORDER BY seq LIMIT ?3",
	          &st);
	if (cv < 0)
		goto fail;
	sqlite3_bind_text(st, 1, kiosk, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, first ? acked : -1);
	sqlite3_bind_int64(st, 3, (int64_t)max_records);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct slot one;
		int64_t seq = sqlite3_column_int64(st, 0);
		memset(&one, 0, sizeof one);
		cv = load_range(db, kiosk, seq, seq, &one);
		if (cv < 0)
			break;
		if (one.present && !one.too_big)
			b->records[b->record_count++] = one.rec;
	}
	sqlite3_finalize(st);
	if (cv < 0)
		goto fail;
	if (rc != SQLITE_DONE) {
		cv = cv_store_sqlite_error(db, rc, "reading retried records");
		goto fail;
	}

	int64_t room = (int64_t)(max_records - b->record_count);
	int64_t hi = last < acked + room ? last : acked + room;
	if (hi > acked) {
		size_t n = (size_t)(hi - acked);
		slots = calloc(n, sizeof *slots);
		held_back = calloc(n, sizeof *held_back);
		if (!slots || !held_back) {
			cv = CV_ENOMEM;
			goto fail;
		}
		cv = load_quarantine(db, kiosk, acked, hi, b, held_back);
		if (cv == 0)
			cv = load_range(db, kiosk, acked + 1, hi, slots);
		if (cv < 0)
			goto fail;
		for (size_t i = 0; i < n; i++) {
			if (held_back[i])
				continue;
			int64_t seq = acked + 1 + (int64_t)i;
			if (!slots[i].present || slots[i].too_big || slots[i].clash) {
				/* A number with no record (or one the protocol cannot
				 * carry) must not stall the upload: it is skipped with a
				 * reason, and quarantined below once the read ends. */
				struct cv_sync_skip *k = &b->skipped[b->skip_count];
				k->seq = seq;
				if (slots[i].clash)
					snprintf(k->reason, sizeof k->reason,
					         "two records have this sequence");
				else if (slots[i].present)
					snprintf(k->reason, sizeof k->reason,
					         "a field is too long for sync");
				else if (own)
					snprintf(k->reason, sizeof k->reason,
					         "no record with this sequence");
				else
					gap_reason(db, kiosk, seq, k->reason, sizeof k->reason);
				for (char *p = k->reason; *p; p++)
					if ((unsigned char)*p < 0x20 || *p == 0x7f)
						*p = ' ';
				b->skip_count++;
				continue;
			}
			b->records[b->record_count++] = slots[i].rec;
		}
	}
	/* Skips must be in order: held-back ones were added before the ones
	 * found while walking; sort the few there are. */
	for (size_t i = 1; i < b->skip_count; i++)
		for (size_t j = i; j > 0 && b->skipped[j - 1].seq > b->skipped[j].seq; j--) {
			struct cv_sync_skip t = b->skipped[j];
			b->skipped[j] = b->skipped[j - 1];
			b->skipped[j - 1] = t;
		}
	for (size_t i = 0; i < b->record_count; i++) {
		cv = add_record_people(db, &ps, b, max_people, &b->records[i]);
		if (cv < 0)
			goto fail;
	}
	requarantine = calloc(max_records, sizeof *requarantine);
	if (!requarantine) {
		cv = CV_ENOMEM;
		goto fail;
	}
	/* A record the protocol cannot carry (bad data written by hand or by
	 * an older program) is held back here rather than stalling every
	 * upload behind it. */
	for (size_t i = 0; i < b->record_count;) {
		char why[160];
		if (cv_sync_record_validate(b, &b->records[i], why, sizeof why) == 0) {
			i++;
			continue;
		}
		if (b->records[i].seq <= acked) {
			/* A retried record that still cannot travel goes back to
			 * waiting, with why. */
			if (requarantine_count < max_records)
				requarantine[requarantine_count++] = b->records[i].seq;
		} else if (b->skip_count < max_records) {
			struct cv_sync_skip *k = &b->skipped[b->skip_count++];
			k->seq = b->records[i].seq;
			snprintf(k->reason, sizeof k->reason, "not valid for sync: %s", why);
			for (size_t j = b->skip_count - 1;
			     j > 0 && b->skipped[j - 1].seq > b->skipped[j].seq; j--) {
				struct cv_sync_skip t = b->skipped[j];
				b->skipped[j] = b->skipped[j - 1];
				b->skipped[j - 1] = t;
			}
		}
		memmove(&b->records[i], &b->records[i + 1],
		        (b->record_count - i - 1) * sizeof b->records[0]);
		b->record_count--;
	}
	exec(db, "COMMIT", "ending a read");
	/* Writes after the read: the roster mark and new local quarantine. */
	cv = first && own ? add_roster_changes(db, &ps, b, max_people) : 0;
	if (cv < 0)
		goto fail;
	for (size_t i = 0; i < requarantine_count; i++) {
		cv =
		    quarantine_kiosk(db, kiosk, requarantine[i], "not valid for sync", now_wall_ms);
		if (cv < 0)
			goto fail;
	}
	for (size_t i = 0; i < b->skip_count; i++) {
		int64_t seq = b->skipped[i].seq;
		if (held_back && seq > acked && seq <= hi && !held_back[seq - acked - 1]) {
			cv = quarantine_kiosk(db, kiosk, seq, b->skipped[i].reason, now_wall_ms);
			if (cv < 0)
				goto fail;
		}
	}
	free(slots);
	free(held_back);
	free(requarantine);
	people_stmts_done(&ps);
	return 0;

fail:
	people_stmts_done(&ps);
	rollback(db);
	free(slots);
	free(held_back);
	free(requarantine);
	cv_sync_batch_free(b);
	return cv;
}

int cv_store_sync_next_batch(struct cv_store *store, size_t max_records, int64_t now_wall_ms,
                             struct cv_sync_batch *b)
{
	return build_batch(store, cv_store_kiosk_id(store), true, 0, max_records, now_wall_ms, b);
}

int cv_store_sync_next_batch_for(struct cv_store *store, const char *kiosk_id, size_t max_records,
                                 int64_t now_wall_ms, struct cv_sync_batch *b)
{
	if (!kiosk_id || !*kiosk_id) {
		memset(b, 0, sizeof *b);
		return CV_EINVAL;
	}
	return build_batch(store, kiosk_id, true, 0, max_records, now_wall_ms, b);
}

int cv_store_sync_batch_after(struct cv_store *store, int64_t after, size_t max_records,
                              int64_t now_wall_ms, struct cv_sync_batch *b)
{
	return build_batch(store, cv_store_kiosk_id(store), false, after, max_records, now_wall_ms,
	                   b);
}

int cv_store_sync_batch_done(struct cv_store *store, const struct cv_sync_batch *b,
                             const struct cv_sync_reply *reply)
{
	sqlite3 *db = cv_store_db(store);
	int cv = exec(db, "BEGIN IMMEDIATE", "starting a write");
	if (cv < 0)
		return cv;
	bool own = strcmp(b->kiosk_id, cv_store_kiosk_id(store)) == 0;
	if (reply->has_acked_seq)
		cv = cv_store_sync_set_acked_for(store, b->kiosk_id, reply->acked_seq);
	/* Records the server accepted leave the quarantine (retried ones). */
	sqlite3_stmt *st = NULL;
	if (cv == 0)
		cv = prep(db, "DELETE FROM sync_quarantine WHERE kiosk_id = ?1 AND seq = ?2", &st);
	for (size_t i = 0; cv == 0 && i < b->record_count; i++) {
		sqlite3_bind_text(st, 1, b->kiosk_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, b->records[i].seq);
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			cv = cv_store_sqlite_error(db, rc, "leaving the quarantine");
	}
	sqlite3_finalize(st);
	char next[64];
	next[0] = '\0';
	/* Only this kiosk's own batches carry roster changes. */
	if (cv == 0 && own)
		cv = meta_get(db, META_ROSTER_NEXT, next, sizeof next);
	if (cv == 0 && next[0])
		cv = meta_set(db, META_ROSTER_MARK, next);
	if (cv == 0)
		cv = exec(db, "COMMIT", "committing an acknowledgement");
	if (cv < 0)
		rollback(db);
	return cv;
}

int cv_store_sync_quarantine(struct cv_store *store, int64_t seq, const char *reason,
                             int64_t now_wall_ms)
{
	return quarantine_kiosk(cv_store_db(store), cv_store_kiosk_id(store), seq, reason,
	                        now_wall_ms);
}

int cv_store_sync_quarantine_for(struct cv_store *store, const char *kiosk_id, int64_t seq,
                                 const char *reason, int64_t now_wall_ms)
{
	if (!kiosk_id || !*kiosk_id)
		return CV_EINVAL;
	return quarantine_kiosk(cv_store_db(store), kiosk_id, seq, reason, now_wall_ms);
}

static int quarantine_kiosk(sqlite3 *db, const char *kiosk, int64_t seq, const char *reason,
                            int64_t now_wall_ms)
{
	sqlite3_stmt *st;
	int cv = prep(db,
	              "INSERT INTO sync_quarantine (kiosk_id, seq, reason, wall_ms, retry) "
	              "VALUES (?1, ?2, ?3, ?4, 0) ON CONFLICT (kiosk_id, seq) DO UPDATE SET "
	              "reason = excluded.reason, wall_ms = excluded.wall_ms, retry = 0",
	              &st);
	if (cv < 0)
		return cv;
	sqlite3_bind_text(st, 1, kiosk, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_text(st, 3, reason && *reason ? reason : "refused", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now_wall_ms);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return cv_store_sqlite_error(db, rc, "quarantining a record");
	char shown[CV_SYNC_REASON_MAX];
	cv_log_warn("record %lld of %s quarantined: %s", (long long)seq, kiosk,
	            cv_log_escape(reason ? reason : "", shown, sizeof shown));
	return 0;
}

int cv_store_sync_retry(struct cv_store *store, int64_t *count)
{
	sqlite3 *db = cv_store_db(store);
	*count = 0;
	sqlite3_stmt *st;
	int cv = prep(db, "UPDATE sync_quarantine SET retry = 1 WHERE kiosk_id = ?1", &st);
	if (cv < 0)
		return cv;
	sqlite3_bind_text(st, 1, cv_store_kiosk_id(store), -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return cv_store_sqlite_error(db, rc, "marking the quarantine for retry");
	*count = sqlite3_changes(db);
	return 0;
}

int cv_store_sync_counts(struct cv_store *store, struct cv_sync_counts *out)
{
	static const char sql[] =
	    "WITH a (s) AS (SELECT COALESCE("
	    "  (SELECT acked_seq FROM sync_state WHERE kiosk_id = ?1), 0)), "
	    "l (s) AS (SELECT COALESCE((SELECT last_seq FROM sequences WHERE kiosk_id = ?1), 0)) "
	    "SELECT a.s, l.s,"
	    " (SELECT count(*) FROM sync_quarantine WHERE kiosk_id = ?1),"
	    " (SELECT count(*) FROM sync_quarantine WHERE kiosk_id = ?1 AND seq > a.s),"
	    " (SELECT count(*) FROM sync_quarantine WHERE kiosk_id = ?1 AND retry = 1"
	    "   AND seq <= a.s),"
	    " (SELECT count(*) FROM clock_fixes WHERE kiosk_id = ?1),"
	    " (SELECT count(*) FROM consents c WHERE c.kiosk_id = ?1 AND NOT EXISTS"
	    "   (SELECT 1 FROM sync_consent_seqs m WHERE m.kiosk_id = ?1"
	    "    AND m.consent_seq = c.seq)) "
	    "FROM a, l";
	sqlite3 *db = cv_store_db(store);
	sqlite3_stmt *st;
	memset(out, 0, sizeof *out);
	int cv = exec(db, "BEGIN", "starting a read");
	if (cv < 0)
		return cv;
	cv = prep(db, sql, &st);
	if (cv < 0)
		goto out;
	sqlite3_bind_text(st, 1, cv_store_kiosk_id(store), -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		cv = cv_store_sqlite_error(db, rc, "counting sync state");
		sqlite3_finalize(st);
		goto out;
	}
	out->acked_seq = sqlite3_column_int64(st, 0);
	out->last_seq = sqlite3_column_int64(st, 1);
	out->quarantined = sqlite3_column_int64(st, 2);
	int64_t above = sqlite3_column_int64(st, 3);
	int64_t retry_below = sqlite3_column_int64(st, 4);
	out->clock_fixes = sqlite3_column_int64(st, 5);
	int64_t unnumbered = sqlite3_column_int64(st, 6);
	sqlite3_finalize(st);
	/* Sequences have no gaps: everything after the acknowledgement is a
	 * record, less what waits in quarantine, plus retries below it. */
	out->pending = out->last_seq - out->acked_seq - above + retry_below;
	if (out->pending < 0)
		out->pending = 0;
	/* Consents not yet numbered for sync get their numbers at the next. */
	out->pending += unnumbered;
	char wall[32];
	cv = meta_get(db, META_RESULT, out->last_result, sizeof out->last_result);
	if (cv == 0)
		cv = meta_get(db, META_RESULT_WALL, wall, sizeof wall);
	if (cv == 0 && wall[0])
		out->last_wall_ms = strtoll(wall, NULL, 10);
out:
	exec(db, "COMMIT", "ending a read");
	return cv;
}

int cv_store_sync_set_result(struct cv_store *store, const char *result, int64_t wall_ms)
{
	sqlite3 *db = cv_store_db(store);
	char wall[32];
	snprintf(wall, sizeof wall, "%lld", (long long)wall_ms);
	int cv = exec(db, "BEGIN IMMEDIATE", "starting a write");
	if (cv == 0)
		cv = meta_set(db, META_RESULT, result);
	if (cv == 0)
		cv = meta_set(db, META_RESULT_WALL, wall);
	if (cv == 0)
		cv = exec(db, "COMMIT", "saving the sync result");
	if (cv < 0)
		rollback(db);
	return cv;
}

int cv_store_sync_foreach_quarantined(struct cv_store *store,
                                      int (*cb)(int64_t seq, const char *reason, bool retry,
                                                void *ctx),
                                      void *ctx)
{
	sqlite3 *db = cv_store_db(store);
	sqlite3_stmt *st;
	int cv = prep(db,
	              "SELECT seq, reason, retry FROM sync_quarantine WHERE kiosk_id = ?1 "
	              "ORDER BY seq",
	              &st);
	if (cv < 0)
		return cv;
	sqlite3_bind_text(st, 1, cv_store_kiosk_id(store), -1, SQLITE_TRANSIENT);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cv = cb(sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
		        sqlite3_column_int(st, 2) != 0, ctx);
		if (cv != 0)
			break;
	}
	sqlite3_finalize(st);
	if (cv == 0 && rc != SQLITE_DONE)
		cv = cv_store_sqlite_error(db, rc, "reading the quarantine");
	return cv;
}

int cv_store_sync_fix_clock(struct cv_store *store, const struct cv_stamp *now,
                            int64_t trusted_wall_ms, const char *source, bool *recorded)
{
	static const char untrusted_sql[] =
	    "SELECT EXISTS (SELECT 1 FROM taps WHERE kiosk_id = ?1 AND boot_id = ?2 "
	    "AND wall_trusted = 0) OR EXISTS (SELECT 1 FROM checkins WHERE kiosk_id = ?1 "
	    "AND boot_id = ?2 AND wall_trusted = 0) OR EXISTS (SELECT 1 FROM encounters "
	    "WHERE kiosk_id = ?1 AND boot_id = ?2 AND wall_trusted = 0) OR EXISTS (SELECT 1 "
	    "FROM answers WHERE kiosk_id = ?1 AND boot_id = ?2 AND wall_trusted = 0)";
	sqlite3 *db = cv_store_db(store);
	const char *kiosk = cv_store_kiosk_id(store);
	sqlite3_stmt *st = NULL;
	int64_t have = 0, untrusted = 0, seq;

	*recorded = false;
	if (!now || trusted_wall_ms <= 0 || !source || !*source)
		return CV_EINVAL;
	int cv = exec(db, "BEGIN IMMEDIATE", "starting a clock fix");
	if (cv < 0)
		return cv;
	cv = prep(db, "SELECT count(*) FROM clock_fixes WHERE kiosk_id = ?1 AND boot_id = ?2", &st);
	if (cv < 0)
		goto fail;
	sqlite3_bind_text(st, 1, kiosk, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, now->boot_id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		have = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (have == 0) {
		cv = prep(db, untrusted_sql, &st);
		if (cv < 0)
			goto fail;
		sqlite3_bind_text(st, 1, kiosk, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, now->boot_id, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW)
			untrusted = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (have > 0 || untrusted == 0)
		return exec(db, "COMMIT", "ending a clock fix");
	cv = cv_store_next_seq(store, &seq);
	if (cv < 0)
		goto fail;
	cv = prep(db,
	          "INSERT INTO clock_fixes (kiosk_id, seq, boot_id, mono_ms, wall_ms, "
	          "wall_trusted, trusted_wall_ms, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	          &st);
	if (cv < 0)
		goto fail;
	sqlite3_bind_text(st, 1, kiosk, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_text(st, 3, now->boot_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now->mono_ms);
	sqlite3_bind_int64(st, 5, now->wall_ms);
	sqlite3_bind_int(st, 6, now->wall_trusted ? 1 : 0);
	sqlite3_bind_int64(st, 7, trusted_wall_ms);
	sqlite3_bind_text(st, 8, source, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		cv = cv_store_sqlite_error(db, rc, "recording a clock fix");
		goto fail;
	}
	cv = exec(db, "COMMIT", "committing a clock fix");
	if (cv < 0)
		goto fail;
	*recorded = true;
	cv_log_info("clock fix for boot %s: trusted time is %+lld ms from the kiosk's (%s)",
	            now->boot_id, (long long)(trusted_wall_ms - now->wall_ms), source);
	return 0;

fail:
	rollback(db);
	return cv;
}

int cv_store_sync_record_time(struct cv_store *store, const char *kiosk_id, int64_t seq,
                              int64_t *wall_ms, bool *corrected)
{
	sqlite3 *db = cv_store_db(store);
	sqlite3_stmt *st;
	*wall_ms = 0;
	*corrected = false;
	int cv = prep(db,
	              "SELECT corrected_wall_ms, fix_seq IS NOT NULL AND wall_trusted = 0 "
	              "FROM record_times WHERE kiosk_id = ?1 AND seq = ?2",
	              &st);
	if (cv < 0)
		return cv;
	sqlite3_bind_text(st, 1, kiosk_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, seq);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*wall_ms = sqlite3_column_int64(st, 0);
		*corrected = sqlite3_column_int(st, 1) != 0;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return CV_ENOTFOUND;
	return rc == SQLITE_ROW ? 0 : cv_store_sqlite_error(db, rc, "reading a record's time");
}

/* ---- the receiving side ---- */

int cv_store_sync_foreach_held(struct cv_store *store,
                               int (*cb)(const char *kiosk_id, int64_t held, void *ctx), void *ctx)
{
	sqlite3 *db = cv_store_db(store);
	sqlite3_stmt *st;
	int cv = prep(db, "SELECT kiosk_id, held_seq FROM sync_held ORDER BY kiosk_id", &st);
	if (cv < 0)
		return cv;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cv = cb((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1), ctx);
		if (cv != 0)
			break;
	}
	sqlite3_finalize(st);
	if (cv == 0 && rc != SQLITE_DONE)
		cv = cv_store_sqlite_error(db, rc, "reading what is held");
	return cv;
}

int cv_store_sync_held(struct cv_store *store, const char *kiosk_id, int64_t *held)
{
	return query_int(cv_store_db(store), "SELECT held_seq FROM sync_held WHERE kiosk_id = ?1",
	                 kiosk_id, 0, 0, held);
}

static void reply_refuse(struct cv_sync_reply *r, const char *code, int64_t held, const char *fmt,
                         ...) __attribute__((format(printf, 4, 5)));

static void reply_refuse(struct cv_sync_reply *r, const char *code, int64_t held, const char *fmt,
                         ...)
{
	va_list ap;
	r->ok = false;
	snprintf(r->error, sizeof r->error, "%s", code);
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof r->message, fmt, ap);
	va_end(ap);
	r->has_acked_seq = true;
	r->acked_seq = held;
}

/* Finds the server's person for one the batch names (external id, else
 * email, else name and organization; a weaker key never matches someone
 * whose stronger key says otherwise), creating or updating it. */
/* The statements of merging one batch's people. */
struct merge_stmts {
	sqlite3_stmt *find[3], *insert, *update, *badge;
};

static void merge_stmts_done(struct merge_stmts *m)
{
	for (int i = 0; i < 3; i++)
		sqlite3_finalize(m->find[i]);
	sqlite3_finalize(m->insert);
	sqlite3_finalize(m->update);
	sqlite3_finalize(m->badge);
	memset(m, 0, sizeof *m);
}

static int merge_person(sqlite3 *db, struct merge_stmts *m, const struct cv_sync_person *p,
                        int64_t now_wall_ms, int64_t *id)
{
	static const char *const find[] = {
	    "SELECT id, updated_wall_ms FROM people WHERE external_id = ?1",
	    "SELECT id, updated_wall_ms FROM people WHERE email = ?2 COLLATE NOCASE "
	    "AND (?1 IS NULL OR external_id IS NULL) ORDER BY id LIMIT 1",
	    "SELECT id, updated_wall_ms FROM people WHERE name = ?3 AND organization = ?4 "
	    "AND (?1 IS NULL OR external_id IS NULL) AND (?2 IS NULL OR email IS NULL) "
	    "ORDER BY id LIMIT 1",
	};
	const char *ext = p->has_external_id ? p->external_id : NULL;
	const char *email = p->has_email ? p->email : NULL;
	int64_t found = 0, updated = 0;
	*id = 0;
	for (size_t i = 0; i < 3 && !found; i++) {
		if ((i == 0 && !ext) || (i == 1 && !email))
			continue;
		int cv = cached(db, &m->find[i], find[i]);
		if (cv < 0)
			return cv;
		sqlite3_stmt *st = m->find[i];
		sqlite3_bind_text(st, 1, ext, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, email, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, p->name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, p->organization, -1, SQLITE_TRANSIENT);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			found = sqlite3_column_int64(st, 0);
			updated = sqlite3_column_int64(st, 1);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return cv_store_sqlite_error(db, rc, "finding a person");
	}
	sqlite3_stmt *st;
	int cv;
	if (!found) {
		cv =
		    cached(db, &m->insert,
		           "INSERT INTO people (external_id, name, organization, role, email, "
		           "created_wall_ms, updated_wall_ms) VALUES (?1, ?3, ?4, ?5, ?2, ?6, ?7)");
		st = m->insert;
	} else {
		/* The later edit wins for the fields every row has; an id or
		 * email is only ever added, never cleared. */
		cv = cached(db, &m->update,
		            "UPDATE people SET "
		            "name = CASE WHEN ?7 > updated_wall_ms THEN ?3 ELSE name END, "
		            "organization = CASE WHEN ?7 > updated_wall_ms THEN ?4 "
		            "ELSE organization END, "
		            "role = CASE WHEN ?7 > updated_wall_ms THEN ?5 ELSE role END, "
		            "external_id = COALESCE(external_id, ?1), email = COALESCE(email, ?2), "
		            "updated_wall_ms = max(updated_wall_ms, ?7) WHERE id = ?8");
		st = m->update;
	}
	if (cv < 0)
		return cv;
	(void)updated;
	sqlite3_bind_text(st, 1, ext, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, email, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, p->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, p->organization, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, p->role, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, now_wall_ms);
	sqlite3_bind_int64(st, 7, p->updated_wall_ms);
	sqlite3_bind_int64(st, 8, found);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return cv_store_sqlite_error(db, rc, "merging a person");
	*id = found ? found : sqlite3_last_insert_rowid(db);
	/* Badges: bound here when the server has never seen the UID; one
	 * bound to someone else stays theirs (the server's roster decides). */
	cv = cached(db, &m->badge,
	            "INSERT INTO badges (uid, person_id, bound_wall_ms) VALUES (?1, ?2, ?3) "
	            "ON CONFLICT (uid) DO NOTHING");
	if (cv < 0)
		return cv;
	st = m->badge;
	for (int i = 0; i < p->badge_count; i++) {
		sqlite3_bind_text(st, 1, p->badges[i], -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, *id);
		sqlite3_bind_int64(st, 3, now_wall_ms);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return cv_store_sqlite_error(db, rc, "binding a badge");
	}
	return 0;
}

/* Prepared inserts of one ingest, one per kind. */
struct ingest {
	sqlite3 *db;
	const struct cv_sync_batch *b;
	int64_t *person_ids; /* parallel to b->people */
	sqlite3_stmt *ins[6];
	sqlite3_stmt *consent_seq, *consent_apply;
	sqlite3_stmt *gap_get, *gap_del, *gap_put, *forward_retry;
	struct merge_stmts merge;
};

static int64_t map_person(const struct ingest *in, int64_t id)
{
	for (size_t i = 0; i < in->b->person_count; i++)
		if (in->b->people[i].id == id)
			return in->person_ids[i];
	return 0;
}

static void bind_clock(sqlite3_stmt *st, int first, const struct cv_sync_clock *c)
{
	sqlite3_bind_text(st, first, c->boot_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, first + 1, c->mono_ms);
	sqlite3_bind_int64(st, first + 2, c->wall_ms);
	sqlite3_bind_int(st, first + 3, c->wall_trusted ? 1 : 0);
}

/* Inserts one record; returns SQLite's code (SQLITE_DONE when stored). */
static int insert_record(struct ingest *in, const struct cv_sync_record *r)
{
	sqlite3_stmt *st = in->ins[r->kind];
	sqlite3_bind_text(st, 1, in->b->kiosk_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, r->seq);
	bind_clock(st, 3, &r->clock);
	switch (r->kind) {
	case CV_SYNC_TAP:
		sqlite3_bind_text(st, 7, r->zone, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 8, r->uid, -1, SQLITE_TRANSIENT);
		if (r->has_ndef_id)
			sqlite3_bind_text(st, 9, r->ndef_id, -1, SQLITE_TRANSIENT);
		if (r->person > 0)
			sqlite3_bind_int64(st, 10, map_person(in, r->person));
		break;
	case CV_SYNC_CHECKIN:
		sqlite3_bind_text(st, 7, r->zone, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 8, map_person(in, r->person));
		sqlite3_bind_text(st, 9, r->day, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 10, r->tap_seq);
		break;
	case CV_SYNC_ENCOUNTER:
		sqlite3_bind_text(st, 7, r->zone, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 8, map_person(in, r->person));
		sqlite3_bind_int64(st, 9, map_person(in, r->person_b));
		sqlite3_bind_int64(st, 10, r->a_tap_seq);
		sqlite3_bind_int64(st, 11, r->b_tap_seq);
		if (r->has_answer)
			sqlite3_bind_text(st, 12, r->answer, -1, SQLITE_TRANSIENT);
		break;
	case CV_SYNC_ANSWER:
		sqlite3_bind_int64(st, 7, r->encounter_seq);
		sqlite3_bind_text(st, 8, r->answer, -1, SQLITE_TRANSIENT);
		break;
	case CV_SYNC_CLOCK_FIX:
		sqlite3_bind_int64(st, 7, r->trusted_wall_ms);
		sqlite3_bind_text(st, 8, r->source, -1, SQLITE_TRANSIENT);
		break;
	case CV_SYNC_CONSENT:
		/* Stored under its own series number, like on the kiosk. */
		sqlite3_bind_int64(st, 2, r->consent_seq);
		sqlite3_bind_int64(st, 7, map_person(in, r->person));
		sqlite3_bind_text(st, 8, r->consent, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 9, r->show_name ? 1 : 0);
		if (r->tap_seq > 0)
			sqlite3_bind_int64(st, 10, r->tap_seq);
		break;
	}
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE || r->kind != CV_SYNC_CONSENT)
		return rc;
	/* Its place in the upload sequence, so a hub can forward it under the
	 * same number; then the person's current consent is the latest one
	 * held (by wall time, then kiosk and number), as on the kiosk. */
	st = in->consent_seq;
	sqlite3_bind_text(st, 1, in->b->kiosk_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, r->consent_seq);
	sqlite3_bind_int64(st, 3, r->seq);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return rc;
	st = in->consent_apply;
	sqlite3_bind_int64(st, 1, map_person(in, r->person));
	sqlite3_bind_text(st, 2, r->consent, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, r->show_name ? 1 : 0);
	sqlite3_bind_int64(st, 4, r->clock.wall_ms);
	sqlite3_bind_text(st, 5, in->b->kiosk_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, r->consent_seq);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc;
}

static int ingest_prepare(struct ingest *in)
{
	static const char *const sql[] = {
	    "INSERT INTO taps (kiosk_id, seq, " REC_CLOCK ", zone, uid, ndef_id, person_id) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	    "INSERT INTO checkins (kiosk_id, seq, " REC_CLOCK ", zone, person_id, day, tap_seq) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	    "INSERT INTO encounters (kiosk_id, seq, " REC_CLOCK ", zone, person_a, person_b, "
	    "a_tap_seq, b_tap_seq, answer) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	    "INSERT INTO answers (kiosk_id, seq, " REC_CLOCK ", encounter_seq, answer) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	    "INSERT INTO clock_fixes (kiosk_id, seq, " REC_CLOCK ", trusted_wall_ms, source) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	    "INSERT INTO consents (kiosk_id, seq, " REC_CLOCK ", person_id, consent, show_name, "
	    "tap_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	};
	for (size_t i = 0; i < 6; i++) {
		int cv = prep(in->db, sql[i], &in->ins[i]);
		if (cv < 0)
			return cv;
	}
	int cv = prep(in->db,
	              "INSERT INTO sync_consent_seqs (kiosk_id, consent_seq, seq) "
	              "VALUES (?1, ?2, ?3)",
	              &in->consent_seq);
	if (cv == 0)
		cv = prep(in->db,
		          "UPDATE people SET consent = ?2, show_name = ?3, consent_wall_ms = ?4 "
		          "WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM consents c "
		          "WHERE c.person_id = ?1 AND (c.wall_ms > ?4 OR (c.wall_ms = ?4 AND "
		          "(c.kiosk_id > ?5 OR (c.kiosk_id = ?5 AND c.seq > ?6)))))",
		          &in->consent_apply);
	/* A hub that skipped this number upstream forwards it once it arrives. */
	if (cv == 0)
		cv = prep(in->db,
		          "UPDATE sync_quarantine SET retry = 1 "
		          "WHERE kiosk_id = ?1 AND seq = ?2",
		          &in->forward_retry);
	if (cv == 0)
		cv = prep(in->db, "SELECT 1 FROM sync_gaps WHERE kiosk_id = ?1 AND seq = ?2",
		          &in->gap_get);
	if (cv == 0)
		cv = prep(in->db, "DELETE FROM sync_gaps WHERE kiosk_id = ?1 AND seq = ?2",
		          &in->gap_del);
	if (cv == 0)
		cv = prep(in->db,
		          "INSERT INTO sync_gaps (kiosk_id, seq, reason, wall_ms) "
		          "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
		          &in->gap_put);
	return cv;
}

static void ingest_finish(struct ingest *in)
{
	for (size_t i = 0; i < 6; i++)
		sqlite3_finalize(in->ins[i]);
	sqlite3_finalize(in->consent_seq);
	sqlite3_finalize(in->consent_apply);
	sqlite3_finalize(in->forward_retry);
	sqlite3_finalize(in->gap_get);
	sqlite3_finalize(in->gap_del);
	sqlite3_finalize(in->gap_put);
	merge_stmts_done(&in->merge);
	free(in->person_ids);
}

static int gap_op(struct ingest *in, sqlite3_stmt *st, int64_t seq, const char *reason,
                  int64_t wall, bool *row)
{
	sqlite3_bind_text(st, 1, in->b->kiosk_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, seq);
	if (reason) {
		sqlite3_bind_text(st, 3, reason, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 4, wall);
	}
	int rc = sqlite3_step(st);
	if (row)
		*row = rc == SQLITE_ROW;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return cv_store_sqlite_error(in->db, rc, "keeping track of skipped records");
	return 0;
}

static const char *refusal_reason(int rc, const struct cv_sync_record *r)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		switch (r->kind) {
		case CV_SYNC_CHECKIN: return "its tap is not held by the server";
		case CV_SYNC_ENCOUNTER: return "one of its taps is not held by the server";
		case CV_SYNC_ANSWER: return "its encounter is not held by the server";
		case CV_SYNC_CONSENT: return "its person is not held by the server";
		default: return "it names something the server does not hold";
		}
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return "another record with this kiosk and sequence is held";
	case SQLITE_CONSTRAINT_UNIQUE:
		return r->kind == CV_SYNC_CLOCK_FIX
		           ? "this boot already has a clock fix"
		           : "another record with this kiosk and sequence is held";
	default: return "the server's store refused it";
	}
}

/* Records and skips in one sequence order. */
struct item {
	int64_t seq;
	const struct cv_sync_record *rec; /* NULL: a skip */
	const char *reason;
};

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

int cv_store_sync_ingest(struct cv_store *store, const struct cv_sync_batch *b, int64_t now_wall_ms,
                         size_t wire_bytes, struct cv_sync_reply *reply)
{
	sqlite3 *db = cv_store_db(store);
	struct ingest in = {.db = db, .b = b};
	struct item *items = NULL;
	int64_t held = 0;
	int cv;

	memset(reply, 0, sizeof *reply);
	reply->server_time_ms = now_wall_ms;
	size_t n = b->record_count + b->skip_count;
	items = calloc(n ? n : 1, sizeof *items);
	in.person_ids = calloc(b->person_count ? b->person_count : 1, sizeof *in.person_ids);
	if (!items || !in.person_ids) {
		free(items);
		free(in.person_ids);
		return CV_ENOMEM;
	}
	for (size_t i = 0; i < b->record_count; i++)
		items[i] = (struct item){.seq = b->records[i].seq, .rec = &b->records[i]};
	for (size_t i = 0; i < b->skip_count; i++)
		items[b->record_count + i] =
		    (struct item){.seq = b->skipped[i].seq, .reason = b->skipped[i].reason};
	qsort(items, n, sizeof *items, item_cmp);
	for (size_t i = 1; i < n; i++) {
		if (items[i].seq == items[i - 1].seq) {
			cv_store_sync_held(store, b->kiosk_id, &held);
			reply_refuse(reply, "bad_batch", held,
			             "sequence %lld is both a record and a skip",
			             (long long)items[i].seq);
			free(items);
			free(in.person_ids);
			return 0;
		}
	}

	cv = exec(db, "BEGIN IMMEDIATE", "starting an ingest");
	if (cv < 0)
		goto out;
	cv = cv_store_sync_held(store, b->kiosk_id, &held);
	if (cv < 0)
		goto fail;
	cv = ingest_prepare(&in);
	if (cv < 0)
		goto fail;
	for (size_t i = 0; i < b->person_count; i++) {
		cv = merge_person(db, &in.merge, &b->people[i], now_wall_ms, &in.person_ids[i]);
		if (cv < 0)
			goto fail;
	}

	int64_t expected = held + 1;
	int64_t fresh_skips = 0;
	size_t rejected_max = b->record_count;
	reply->rejected = calloc(rejected_max ? rejected_max : 1, sizeof *reply->rejected);
	if (!reply->rejected) {
		cv = CV_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		const struct item *it = &items[i];
		if (it->seq <= held) {
			/* Held already, unless it is a gap left by a skip: a retried
			 * record fills it, once. */
			if (!it->rec)
				continue;
			bool gap = false;
			cv = gap_op(&in, in.gap_get, it->seq, NULL, 0, &gap);
			if (cv < 0)
				goto fail;
			if (!gap) {
				reply->duplicates++;
				continue;
			}
		} else if (it->seq != expected) {
			int64_t missing = expected;
			rollback(db);
			if (missing == held + 1)
				reply_refuse(reply, "out_of_order", held,
				             "the server holds up to sequence %lld; this batch "
				             "starts at %lld",
				             (long long)held, (long long)it->seq);
			else
				reply_refuse(reply, "bad_batch", held,
				             "sequence %lld is missing inside the batch",
				             (long long)missing);
			cv = 0;
			goto out;
		} else {
			expected++;
		}
		if (!it->rec) {
			cv = gap_op(&in, in.gap_put, it->seq, it->reason, now_wall_ms, NULL);
			if (cv < 0)
				goto fail;
			fresh_skips++;
			continue;
		}
		int rc = insert_record(&in, it->rec);
		if (rc == SQLITE_DONE) {
			reply->stored++;
			if (it->seq <= held) {
				cv = gap_op(&in, in.gap_del, it->seq, NULL, 0, NULL);
				if (cv == 0)
					cv = gap_op(&in, in.forward_retry, it->seq, NULL, 0, NULL);
				if (cv < 0)
					goto fail;
			}
			continue;
		}
		if ((rc & 0xff) != SQLITE_CONSTRAINT) {
			cv = cv_store_sqlite_error(db, rc, "storing a record");
			goto fail;
		}
		struct cv_sync_rejection *x = &reply->rejected[reply->rejected_count++];
		x->seq = it->seq;
		snprintf(x->reason, sizeof x->reason, "%s", refusal_reason(rc, it->rec));
	}
	if (reply->rejected_count > 0) {
		rollback(db);
		reply_refuse(reply, "rejected", held,
		             "%zu record(s) refused for good; nothing of this batch was stored",
		             reply->rejected_count);
		reply->stored = reply->duplicates = 0;
		cv = 0;
		goto out;
	}
	int64_t new_held = expected - 1;
	if (b->record_count > 0 && reply->stored == 0 && new_held == held && fresh_skips == 0) {
		rollback(db);
		reply_refuse(reply, "replayed", held,
		             "every record of this batch is held already (up to sequence %lld)",
		             (long long)held);
		reply->duplicates = 0;
		cv = 0;
		goto out;
	}
	sqlite3_stmt *st;
	cv = prep(db,
	          "INSERT INTO sync_held (kiosk_id, held_seq) VALUES (?1, ?2) "
	          "ON CONFLICT (kiosk_id) DO UPDATE SET held_seq = excluded.held_seq",
	          &st);
	if (cv < 0)
		goto fail;
	sqlite3_bind_text(st, 1, b->kiosk_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, new_held);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		cv = cv_store_sqlite_error(db, rc, "saving what is held");
		goto fail;
	}
	cv = prep(db,
	          "INSERT INTO sync_batches (kiosk_id, held_before, held_after, stored, "
	          "duplicates, bytes, wall_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	          &st);
	if (cv < 0)
		goto fail;
	sqlite3_bind_text(st, 1, b->kiosk_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, held);
	sqlite3_bind_int64(st, 3, new_held);
	sqlite3_bind_int64(st, 4, reply->stored);
	sqlite3_bind_int64(st, 5, reply->duplicates);
	sqlite3_bind_int64(st, 6, (int64_t)wire_bytes);
	sqlite3_bind_int64(st, 7, now_wall_ms);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		cv = cv_store_sqlite_error(db, rc, "logging a batch");
		goto fail;
	}
	cv = exec(db, "COMMIT", "committing an ingest");
	if (cv < 0)
		goto fail;
	reply->ok = true;
	reply->has_acked_seq = true;
	reply->acked_seq = new_held;
	goto out;

fail:
	rollback(db);
out:
	ingest_finish(&in);
	free(items);
	if (cv < 0) {
		free(reply->rejected);
		reply->rejected = NULL;
		reply->rejected_count = 0;
	}
	return cv;
}
