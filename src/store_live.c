/* The live screen's snapshot, read from the store: people, today's
 * check-ins and encounters, fed into the trust metrics for the partners,
 * isolates and suggested introductions. A builder keeps the metrics between
 * snapshots and reads only the rows appended since (check-ins and
 * encounters are append-only, numbered per kiosk), starting over when the
 * day, the schema or the people (roster, consent) changed. Names only of
 * people who agreed (people.show_name = 1). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cv_error.h"
#include "cv_live.h"
#include "cv_log.h"
#include "store_internal.h"

#define CV_LOG_TAG "live"

#define SUGGEST_MAX 64
#define ZONES_TRACKED 64 /* distinct zones of a day counted; one bit each per person */

struct row {
	int64_t id;
	char name[CV_LIVE_NAME_MAX];
	char org[CV_LIVE_NAME_MAX];
	bool named;
	bool present;
	bool tied;
	int64_t first_ms; /* first check-in today */
	uint64_t zones;   /* bit z: checked in at zone z today */
	int index;        /* in the snapshot's people, -1 when left out */
};

struct rows {
	struct row *rows;
	size_t n;
};

/* How far one table has been read: per kiosk, the last sequence number. */
struct cursor {
	char kiosk[CV_ID_MAX];
	int64_t seq;
};

struct cursors {
	struct cursor *c;
	size_t n;
	int64_t rows; /* rows of the table read, every day's */
};

/* One encounter row read, before it is fed in (wall, kiosk, seq) order. */
struct enc_row {
	int64_t wall, seq, a, b;
	size_t kiosk;     /* index into the encounter cursors */
	const char *name; /* the kiosk's id, set once the cursors stop moving */
};

struct cv_live_builder {
	bool ready;     /* false: the next update starts over */
	bool last_full; /* the last update started over */
	char day[16];
	int64_t schema; /* PRAGMA schema_version when built */
	struct cv_metrics *m;
	struct rows people; /* by id */
	struct cursors chk, enc;
	/* the last encounter fed, in the order a full read feeds them */
	bool fed_any;
	int64_t fed_wall, fed_seq;
	char fed_kiosk[CV_ID_MAX];
	int64_t checked_in, encounters;
	int zone_count; /* <= ZONES_TRACKED */
	char zone_names[ZONES_TRACKED][CV_ID_MAX];
	int64_t zone_people[ZONES_TRACKED];
	struct cv_metrics_intro intros[SUGGEST_MAX]; /* as last computed */
	size_t intro_n;
	bool snapped; /* a snapshot was built since the last read: suggest may follow */
};

void cv_live_snapshot_free(struct cv_live_snapshot *snap)
{
	if (!snap)
		return;
	free(snap->people);
	free(snap->ties);
	free(snap);
}

static struct row *row_find(const struct rows *b, int64_t id)
{
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (b->rows[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < b->n && b->rows[lo].id == id ? &b->rows[lo] : NULL;
}

/* The local day's bounds in Unix ms. */
static void day_bounds(const char *day, int64_t *from, int64_t *to)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	if (sscanf(day, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3) {
		*from = 0;
		*to = INT64_MAX;
		return;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	*from = (int64_t)mktime(&tm) * 1000;
	tm.tm_mday += 1;
	tm.tm_isdst = -1;
	*to = (int64_t)mktime(&tm) * 1000;
}

static int slot_of(int64_t wall_ms)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return -1;
	return (tm.tm_hour * 60 + tm.tm_min) / 15;
}

static int load_people(sqlite3 *db, struct rows *b)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc = sqlite3_prepare_v2(db,
	                            "SELECT id, name, organization, coalesce(show_name, 0) "
	                            "FROM people ORDER BY id",
	                            -1, &st, NULL);

	b->n = 0;
	if (rc != SQLITE_OK)
		return cv_store_sqlite_error(db, rc, "live: people");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct row *r;

		if (b->n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct row *nr = realloc(b->rows, ncap * sizeof(*nr));
			if (!nr) {
				sqlite3_finalize(st);
				return CV_ENOMEM;
			}
			b->rows = nr;
			cap = ncap;
		}
		r = &b->rows[b->n++];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(st, 0);
		snprintf(r->name, sizeof r->name, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(r->org, sizeof r->org, "%s", (const char *)sqlite3_column_text(st, 2));
		r->named = sqlite3_column_int(st, 3) == 1;
		r->index = -1;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : cv_store_sqlite_error(db, rc, "live: people");
}

/* Whether the people read now are the ones the builder was built from. */
static bool people_same(const struct rows *x, const struct rows *y)
{
	if (x->n != y->n)
		return false;
	for (size_t i = 0; i < x->n; i++) {
		const struct row *a = &x->rows[i], *b = &y->rows[i];
		if (a->id != b->id || a->named != b->named || strcmp(a->name, b->name) != 0 ||
		    strcmp(a->org, b->org) != 0)
			return false;
	}
	return true;
}

static int64_t single_int(sqlite3 *db, const char *sql, int *rc)
{
	sqlite3_stmt *st = NULL;
	int64_t v = 0;
	int r = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (r == SQLITE_OK && (r = sqlite3_step(st)) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (r != SQLITE_ROW && *rc == 0)
		*rc = cv_store_sqlite_error(db, r, "live: count");
	return v;
}

static int cursor_at(struct cursors *cs, const char *kiosk, size_t *at)
{
	struct cursor *nc;

	for (size_t i = 0; i < cs->n; i++) {
		if (strcmp(cs->c[i].kiosk, kiosk) == 0) {
			*at = i;
			return 0;
		}
	}
	nc = realloc(cs->c, (cs->n + 1) * sizeof(*nc));
	if (!nc)
		return CV_ENOMEM;
	cs->c = nc;
	memset(&nc[cs->n], 0, sizeof(*nc));
	snprintf(nc[cs->n].kiosk, sizeof nc[0].kiosk, "%s", kiosk);
	nc[cs->n].seq = INT64_MIN; /* every row of a kiosk not seen yet */
	*at = cs->n++;
	return 0;
}

/* Calls each(kiosk index, statement row) for every row of table after the
 * cursors, kiosk by kiosk in sequence order, and moves the cursors on.
 * cols are the columns after seq. Kiosks are found by seeking the primary
 * key, so the cost is the new rows plus a seek per kiosk. */
static int read_new(sqlite3 *db, const char *table, const char *cols, struct cursors *cs,
                    int (*each)(void *ctx, size_t kiosk, sqlite3_stmt *st), void *ctx)
{
	char sql[256];
	sqlite3_stmt *next = NULL, *rows = NULL;
	char kiosk[CV_ID_MAX] = "";
	int rc;

	snprintf(sql, sizeof sql,
	         "SELECT kiosk_id FROM %s WHERE kiosk_id > ?1 ORDER BY kiosk_id LIMIT 1", table);
	rc = sqlite3_prepare_v2(db, sql, -1, &next, NULL);
	if (rc == SQLITE_OK) {
		snprintf(sql, sizeof sql,
		         "SELECT seq, %s FROM %s WHERE kiosk_id = ?1 AND seq > ?2 ORDER BY seq",
		         cols, table);
		rc = sqlite3_prepare_v2(db, sql, -1, &rows, NULL);
	}
	if (rc != SQLITE_OK) {
		rc = cv_store_sqlite_error(db, rc, "live: new rows");
		goto out;
	}
	for (;;) {
		size_t k;

		sqlite3_reset(next);
		sqlite3_bind_text(next, 1, kiosk, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(next);
		if (rc == SQLITE_DONE) {
			rc = 0;
			break;
		}
		if (rc != SQLITE_ROW) {
			rc = cv_store_sqlite_error(db, rc, "live: kiosks");
			break;
		}
		snprintf(kiosk, sizeof kiosk, "%s", (const char *)sqlite3_column_text(next, 0));
		rc = cursor_at(cs, kiosk, &k);
		if (rc != 0)
			break;
		sqlite3_reset(rows);
		sqlite3_bind_text(rows, 1, kiosk, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(rows, 2, cs->c[k].seq);
		while ((rc = sqlite3_step(rows)) == SQLITE_ROW) {
			cs->c[k].seq = sqlite3_column_int64(rows, 0);
			cs->rows++;
			rc = each(ctx, k, rows);
			if (rc != 0)
				goto out;
		}
		if (rc != SQLITE_DONE) {
			rc = cv_store_sqlite_error(db, rc, "live: new rows");
			break;
		}
		rc = 0;
	}
out:
	sqlite3_finalize(next);
	sqlite3_finalize(rows);
	return rc;
}

/* ---- check-ins ---- */

struct chk_ctx {
	struct cv_live_builder *lb;
	const char *day;
};

static int zone_index(struct cv_live_builder *lb, const char *zone)
{
	for (int z = 0; z < lb->zone_count; z++)
		if (strcmp(lb->zone_names[z], zone) == 0)
			return z;
	if (lb->zone_count == ZONES_TRACKED)
		return -1;
	snprintf(lb->zone_names[lb->zone_count], sizeof lb->zone_names[0], "%s", zone);
	lb->zone_people[lb->zone_count] = 0;
	return lb->zone_count++;
}

/* columns: seq, day, person_id, zone, wall_ms */
static int chk_each(void *ctx, size_t kiosk, sqlite3_stmt *st)
{
	struct chk_ctx *c = ctx;
	struct cv_live_builder *lb = c->lb;
	const char *day = (const char *)sqlite3_column_text(st, 1);
	struct row *r;
	int64_t at;
	int z;

	(void)kiosk;
	if (!day || strcmp(day, c->day) != 0)
		return 0;
	r = row_find(&lb->people, sqlite3_column_int64(st, 2));
	if (!r)
		return 0;
	at = sqlite3_column_int64(st, 4);
	if (!r->present || at < r->first_ms)
		r->first_ms = at;
	if (!r->present)
		lb->checked_in++;
	r->present = true;
	cv_metrics_check_in(lb->m, r->id);
	z = zone_index(lb, (const char *)sqlite3_column_text(st, 3));
	if (z >= 0 && !(r->zones & (1ull << z))) {
		r->zones |= 1ull << z;
		lb->zone_people[z]++;
	}
	return 0;
}

/* ---- encounters ---- */

struct enc_ctx {
	int64_t from, to;
	struct enc_row *v;
	size_t n, cap;
};

/* columns: seq, person_a, person_b, wall_ms */
static int enc_each(void *ctx, size_t kiosk, sqlite3_stmt *st)
{
	struct enc_ctx *c = ctx;
	int64_t wall = sqlite3_column_int64(st, 3);

	if (wall < c->from || wall >= c->to)
		return 0;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		struct enc_row *nv = realloc(c->v, ncap * sizeof(*nv));
		if (!nv)
			return CV_ENOMEM;
		c->v = nv;
		c->cap = ncap;
	}
	c->v[c->n++] = (struct enc_row){.wall = wall,
	                                .seq = sqlite3_column_int64(st, 0),
	                                .a = sqlite3_column_int64(st, 1),
	                                .b = sqlite3_column_int64(st, 2),
	                                .kiosk = kiosk};
	return 0;
}

static int enc_key_cmp(int64_t wx, const char *kx, int64_t sx, int64_t wy, const char *ky,
                       int64_t sy)
{
	int c;

	if (wx != wy)
		return wx < wy ? -1 : 1;
	c = strcmp(kx, ky);
	if (c != 0)
		return c;
	return (sx > sy) - (sx < sy);
}

static int enc_cmp(const void *x, const void *y)
{
	const struct enc_row *a = x, *b = y;

	return enc_key_cmp(a->wall, a->name, a->seq, b->wall, b->name, b->seq);
}

static void feed_encounter(struct cv_live_builder *lb, const struct enc_row *e)
{
	struct cv_metrics_encounter me = {.a = e->a, .b = e->b, .time_ms = e->wall};
	struct row *ra = row_find(&lb->people, e->a), *rb = row_find(&lb->people, e->b);

	if (!ra || !rb || e->a == e->b)
		return;
	if (cv_metrics_add_encounter(lb->m, &me) != 0)
		return;
	ra->tied = rb->tied = true;
	lb->encounters++;
}

/* ---- the snapshot ---- */

/* The organisations with the most people here get the colours. */
static void pick_orgs(struct rows *b, struct cv_live_snapshot *s)
{
	struct {
		char name[CV_LIVE_NAME_MAX];
		int64_t n;
	} *c = calloc(b->n + 1, sizeof(*c));
	size_t nc = 0;

	if (!c)
		return;
	for (size_t i = 0; i < b->n; i++) {
		size_t k;
		if (b->rows[i].index < 0 || !b->rows[i].org[0])
			continue;
		for (k = 0; k < nc; k++)
			if (strcmp(c[k].name, b->rows[i].org) == 0)
				break;
		if (k == nc)
			snprintf(c[nc++].name, sizeof c[0].name, "%s", b->rows[i].org);
		c[k].n++;
	}
	for (int o = 0; o < CV_LIVE_ORGS_MAX; o++) {
		size_t best = nc;
		for (size_t k = 0; k < nc; k++)
			if (c[k].n > 0 && (best == nc || c[k].n > c[best].n))
				best = k;
		if (best == nc)
			break;
		snprintf(s->orgs[s->org_count++], sizeof s->orgs[0], "%s", c[best].name);
		c[best].n = 0;
	}
	free(c);
	for (size_t i = 0; i < b->n; i++) {
		struct row *r = &b->rows[i];
		if (r->index < 0)
			continue;
		s->people[r->index].org = -1;
		for (int o = 0; o < s->org_count; o++)
			if (r->org[0] && strcmp(s->orgs[o], r->org) == 0)
				s->people[r->index].org = o;
	}
}

static int zone_cmp(const void *x, const void *y)
{
	return strcmp(((const struct cv_live_zone *)x)->zone,
	              ((const struct cv_live_zone *)y)->zone);
}

/* The zones by name: the order does not depend on which kiosk's rows came
 * in first. */
static void fill_zones(const struct cv_live_builder *lb, struct cv_live_snapshot *s)
{
	struct cv_live_zone all[ZONES_TRACKED];

	for (int z = 0; z < lb->zone_count; z++) {
		snprintf(all[z].zone, sizeof all[z].zone, "%s", lb->zone_names[z]);
		all[z].people = lb->zone_people[z];
	}
	qsort(all, (size_t)lb->zone_count, sizeof all[0], zone_cmp);
	s->zone_count = lb->zone_count < CV_LIVE_ZONES_MAX ? lb->zone_count : CV_LIVE_ZONES_MAX;
	memcpy(s->zones, all, (size_t)s->zone_count * sizeof all[0]);
}

/* The builder's suggestions (as last computed) into s, by s's indexes. */
static void fill_intros(struct cv_live_builder *lb, struct cv_live_snapshot *s)
{
	s->intro_count = 0;
	s->intros_unnamed = 0;
	for (size_t i = 0; i < lb->intro_n; i++) {
		struct row *a = row_find(&lb->people, lb->intros[i].a);
		struct row *c = row_find(&lb->people, lb->intros[i].b);

		if (a && c && a->named && c->named && a->index >= 0 && c->index >= 0 &&
		    s->intro_count < CV_LIVE_INTROS_MAX)
			s->intros[s->intro_count++] =
			    (struct cv_live_intro){a->index, c->index, lb->intros[i].common};
		else
			s->intros_unnamed++;
	}
}

/* The snapshot from the builder. suggest: compute the suggested
 * introductions now (O(sum of squared degrees), the dearest part); else the
 * last ones computed are kept and s->intros_pending set. */
static int fill_graph(struct cv_live_builder *lb, struct cv_live_snapshot *s, bool suggest)
{
	struct rows *b = &lb->people;
	struct cv_metrics *m = lb->m;
	size_t nt = cv_metrics_tie_count(m), k = 0;

	s->expected = (int64_t)b->n;
	s->checked_in = lb->checked_in;
	s->encounters = lb->encounters;
	fill_zones(lb, s);
	for (size_t i = 0; i < b->n; i++)
		b->rows[i].index =
		    b->rows[i].present || b->rows[i].tied ? (int)s->person_count++ : -1;
	s->people = calloc(s->person_count ? s->person_count : 1, sizeof(*s->people));
	s->ties = calloc(nt ? nt : 1, sizeof(*s->ties));
	if (!s->people || !s->ties)
		return CV_ENOMEM;
	for (size_t i = 0; i < b->n; i++) {
		struct row *r = &b->rows[i];
		struct cv_live_person *p;
		struct cv_metrics_person mp;

		if (r->index < 0)
			continue;
		p = &s->people[r->index];
		p->id = r->id;
		p->present = r->present;
		if (r->named)
			snprintf(p->name, sizeof p->name, "%s", r->name);
		if (cv_metrics_person_get(m, r->id, &mp) == 0)
			p->partners = (int)mp.partners;
		if (r->present && p->partners == 0) {
			s->lonely++;
			if (r->named && s->lonely_named_count < CV_LIVE_LIST_MAX)
				s->lonely_named[s->lonely_named_count++] = r->index;
		}
		if (r->present && r->first_ms > 0) {
			int slot = slot_of(r->first_ms);
			if (slot >= 0 && slot < CV_LIVE_SLOTS)
				s->arrivals[slot]++;
		}
	}
	for (size_t t = 0; t < nt; t++) {
		struct cv_metrics_tie tie;
		struct row *a, *bb;

		if (cv_metrics_tie_at(m, t, &tie) != 0 || tie.count == 0)
			continue;
		a = row_find(b, tie.lo);
		bb = row_find(b, tie.hi);
		if (!a || !bb || a->index < 0 || bb->index < 0)
			continue;
		s->ties[k++] = (struct cv_live_tie){a->index, bb->index, (int)tie.count};
	}
	s->tie_count = k;
	pick_orgs(b, s);
	if (suggest) {
		if (cv_metrics_suggest(m, lb->intros, SUGGEST_MAX, &lb->intro_n) != 0)
			lb->intro_n = 0;
	} else {
		s->intros_pending = true;
	}
	fill_intros(lb, s);
	cv_metrics_figures(m, &s->figures);
	return 0;
}

/* ---- the builder ---- */

static void builder_reset(struct cv_live_builder *lb)
{
	cv_metrics_destroy(lb->m);
	lb->m = NULL;
	free(lb->chk.c);
	free(lb->enc.c);
	memset(&lb->chk, 0, sizeof lb->chk);
	memset(&lb->enc, 0, sizeof lb->enc);
	lb->ready = false;
	lb->fed_any = false;
	lb->checked_in = lb->encounters = 0;
	lb->zone_count = 0;
	lb->intro_n = 0;
	lb->snapped = false;
}

int cv_live_builder_create(struct cv_live_builder **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : CV_ENOMEM;
}

void cv_live_builder_destroy(struct cv_live_builder *lb)
{
	if (!lb)
		return;
	builder_reset(lb);
	free(lb->people.rows);
	free(lb);
}

bool cv_live_builder_last_full(const struct cv_live_builder *lb)
{
	return lb && lb->last_full;
}

/* Reads what was appended since the last update into lb, inside the
 * caller's read transaction. *restart: the rows cannot be appended in the
 * order a full read would feed them (a row synced in late, or one numbered
 * below a kiosk's last), so the caller starts over. */
static int builder_read(struct cv_live_builder *lb, sqlite3 *db, const char *day, bool *restart)
{
	struct chk_ctx cc = {lb, day};
	struct enc_ctx ec = {0};
	int64_t total;
	int rc = 0;

	*restart = false;
	rc = read_new(db, "checkins", "day, person_id, zone, wall_ms", &lb->chk, chk_each, &cc);
	if (rc != 0)
		return rc;
	total = single_int(db, "SELECT count(*) FROM checkins", &rc);
	if (rc == 0 && total != lb->chk.rows) {
		*restart = true; /* a row numbered below its kiosk's last */
		return 0;
	}
	day_bounds(day, &ec.from, &ec.to);
	rc = read_new(db, "encounters", "person_a, person_b, wall_ms", &lb->enc, enc_each, &ec);
	if (rc == 0) {
		total = single_int(db, "SELECT count(*) FROM encounters", &rc);
		if (rc == 0 && total != lb->enc.rows)
			*restart = true;
	}
	if (rc == 0 && !*restart && ec.n > 0) {
		for (size_t i = 0; i < ec.n; i++)
			ec.v[i].name = lb->enc.c[ec.v[i].kiosk].kiosk;
		qsort(ec.v, ec.n, sizeof ec.v[0], enc_cmp);
		if (lb->fed_any &&
		    enc_key_cmp(ec.v[0].wall, lb->enc.c[ec.v[0].kiosk].kiosk, ec.v[0].seq,
		                lb->fed_wall, lb->fed_kiosk, lb->fed_seq) < 0) {
			*restart = true; /* earlier than one already fed */
		} else {
			const struct enc_row *last = &ec.v[ec.n - 1];

			for (size_t i = 0; i < ec.n; i++)
				feed_encounter(lb, &ec.v[i]);
			lb->fed_any = true;
			lb->fed_wall = last->wall;
			lb->fed_seq = last->seq;
			snprintf(lb->fed_kiosk, sizeof lb->fed_kiosk, "%s",
			         lb->enc.c[last->kiosk].kiosk);
		}
	}
	free(ec.v);
	return rc;
}

/* Starts lb over from people. */
static int builder_start(struct cv_live_builder *lb, const char *day, int64_t schema,
                         struct rows *people)
{
	struct rows keep;
	int rc;

	builder_reset(lb);
	keep = lb->people;
	lb->people = *people;
	*people = keep;
	snprintf(lb->day, sizeof lb->day, "%s", day);
	lb->schema = schema;
	rc = cv_metrics_create(NULL, &lb->m);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < lb->people.n; i++)
		cv_metrics_add_person(lb->m, lb->people.rows[i].id,
		                      cv_metrics_org_key(lb->people.rows[i].org));
	return 0;
}

static int builder_update(struct cv_live_builder *lb, struct cv_store *store, const char *day,
                          bool suggest, struct cv_live_snapshot **out)
{
	sqlite3 *db = cv_store_db(store);
	struct rows now = {0};
	struct cv_live_snapshot *s = calloc(1, sizeof(*s));
	int64_t schema;
	bool restart = false;
	int rc = 0;

	*out = NULL;
	if (!s)
		return CV_ENOMEM;
	snprintf(s->day, sizeof s->day, "%s", day);
	/* one snapshot of the file for every query below */
	rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = cv_store_sqlite_error(db, rc, "live: begin");
		goto fail;
	}
	schema = single_int(db, "PRAGMA schema_version", &rc);
	if (rc == 0)
		rc = load_people(db, &now);
	lb->last_full = false;
	if (rc == 0 && (!lb->ready || strcmp(lb->day, day) != 0 || lb->schema != schema ||
	                !people_same(&lb->people, &now))) {
		lb->last_full = true;
		rc = builder_start(lb, day, schema, &now);
	}
	if (rc == 0)
		rc = builder_read(lb, db, day, &restart);
	if (rc == 0 && restart) {
		/* the people just read are the builder's own: start from a copy */
		struct rows copy = {malloc((lb->people.n ? lb->people.n : 1) * sizeof(struct row)),
		                    lb->people.n};
		if (!copy.rows) {
			rc = CV_ENOMEM;
		} else {
			for (size_t i = 0; i < copy.n; i++) {
				copy.rows[i] = lb->people.rows[i];
				copy.rows[i].present = copy.rows[i].tied = false;
				copy.rows[i].first_ms = 0;
				copy.rows[i].zones = 0;
			}
			lb->last_full = true;
			rc = builder_start(lb, day, schema, &copy);
			free(copy.rows);
			if (rc == 0)
				rc = builder_read(lb, db, day, &restart);
		}
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	free(now.rows);
	if (rc == 0 && restart)
		rc = CV_ESTORE; /* out of order even when read whole: cannot happen */
	if (rc == 0) {
		lb->ready = true;
		rc = fill_graph(lb, s, suggest);
	}
	if (rc != 0)
		goto fail;
	lb->snapped = true;
	*out = s;
	return 0;
fail:
	builder_reset(lb);
	cv_live_snapshot_free(s);
	return rc;
}

int cv_live_builder_update(struct cv_live_builder *lb, struct cv_store *store, const char *day,
                           struct cv_live_snapshot **out)
{
	return builder_update(lb, store, day, true, out);
}

int cv_live_builder_update_quick(struct cv_live_builder *lb, struct cv_store *store,
                                 const char *day, struct cv_live_snapshot **out)
{
	return builder_update(lb, store, day, false, out);
}

int cv_live_snapshot_copy(const struct cv_live_snapshot *from, struct cv_live_snapshot **out)
{
	struct cv_live_snapshot *s = malloc(sizeof(*s));

	*out = NULL;
	if (!s)
		return CV_ENOMEM;
	*s = *from;
	s->people = malloc((from->person_count ? from->person_count : 1) * sizeof(*s->people));
	s->ties = malloc((from->tie_count ? from->tie_count : 1) * sizeof(*s->ties));
	if (!s->people || !s->ties) {
		cv_live_snapshot_free(s);
		return CV_ENOMEM;
	}
	memcpy(s->people, from->people, from->person_count * sizeof(*s->people));
	memcpy(s->ties, from->ties, from->tie_count * sizeof(*s->ties));
	*out = s;
	return 0;
}

int cv_live_builder_suggest(struct cv_live_builder *lb, struct cv_live_snapshot *snap)
{
	if (!lb->ready || !lb->snapped)
		return CV_EINVAL;
	if (cv_metrics_suggest(lb->m, lb->intros, SUGGEST_MAX, &lb->intro_n) != 0)
		lb->intro_n = 0;
	fill_intros(lb, snap);
	snap->intros_pending = false;
	return 0;
}

int cv_live_build(struct cv_store *store, const char *day, struct cv_live_snapshot **out)
{
	struct cv_live_builder *lb = NULL;
	int rc = cv_live_builder_create(&lb);

	*out = NULL;
	if (rc != 0)
		return rc;
	rc = cv_live_builder_update(lb, store, day, out);
	cv_live_builder_destroy(lb);
	return rc;
}

int cv_live_data_version(struct cv_store *store, int64_t *out)
{
	sqlite3 *db = cv_store_db(store);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &st, NULL);

	*out = 0;
	if (rc != SQLITE_OK)
		return cv_store_sqlite_error(db, rc, "live: data_version");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : CV_ESTORE;
}
