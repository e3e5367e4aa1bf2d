/* Trust metrics kept incrementally: people and ties in hash tables, one
 * adjacency list per person, union-find for components and triangle counts
 * updated by intersecting the two endpoints' neighbourhoods when a pair
 * first meets. Every figure is a running count; cv_metrics_recompute derives
 * the same figures from the ties alone so the two can be checked against
 * each other. */
#include "cv_metrics.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cv_error.h"

#define DEFAULT_PEOPLE 20000
#define DEFAULT_TIES 1000000
#define NO_SLOT UINT32_MAX

struct person {
	int64_t id;
	int64_t org;
	bool present;
	uint32_t *adj; /* person indices of current partners */
	uint32_t degree, adj_cap;
	int64_t encounters;
	int64_t repeat_partners;
	int64_t orgs_reached;
	int64_t triangles;
	uint32_t parent; /* union-find */
	uint32_t size;   /* of the set, valid at its root */
};

struct tie {
	uint32_t lo, hi; /* person indices; people[lo].id < people[hi].id */
	int64_t count, prior;
	int64_t first_ms, last_ms;
	int64_t lo_to_hi, hi_to_lo;
};

/* Open addressing with linear probing; a slot holds an index, NO_SLOT when
 * empty. Keys live in the arrays the indices point into. */
struct table {
	uint32_t *slots;
	size_t cap; /* a power of two */
	size_t used;
};

struct cv_metrics {
	struct cv_metrics_limits limits;
	struct person *people;
	size_t n_people, cap_people;
	struct tie *ties;
	size_t n_ties, cap_ties;
	struct table people_by_id;
	struct table ties_by_pair;
	struct cv_metrics_figures fig;
	double clustering_sum; /* sum of the present people's local clustering */
};

/* ---- hashing ---- */

static uint64_t mix64(uint64_t x)
{
	/* splitmix64's finaliser: ids and index pairs are far from random. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t pair_key(uint32_t x, uint32_t y)
{
	if (x > y) {
		uint32_t t = x;
		x = y;
		y = t;
	}
	return (uint64_t)x << 32 | y;
}

static uint64_t tie_key(const struct tie *t)
{
	return pair_key(t->lo, t->hi);
}

static int table_init(struct table *t, size_t cap)
{
	t->slots = malloc(cap * sizeof *t->slots);
	if (!t->slots)
		return CV_ENOMEM;
	memset(t->slots, 0xff, cap * sizeof *t->slots);
	t->cap = cap;
	t->used = 0;
	return 0;
}

static uint32_t person_find(const struct cv_metrics *m, int64_t id)
{
	const struct table *t = &m->people_by_id;
	size_t mask = t->cap - 1;
	for (size_t i = mix64((uint64_t)id) & mask;; i = (i + 1) & mask) {
		uint32_t s = t->slots[i];
		if (s == NO_SLOT || m->people[s].id == id)
			return s;
	}
}

static uint32_t tie_find(const struct cv_metrics *m, uint32_t x, uint32_t y)
{
	const struct table *t = &m->ties_by_pair;
	uint64_t key = pair_key(x, y);
	size_t mask = t->cap - 1;
	for (size_t i = mix64(key) & mask;; i = (i + 1) & mask) {
		uint32_t s = t->slots[i];
		if (s == NO_SLOT || tie_key(&m->ties[s]) == key)
			return s;
	}
}

static void table_put(struct table *t, uint64_t hash, uint32_t value)
{
	size_t mask = t->cap - 1;
	size_t i = hash & mask;
	while (t->slots[i] != NO_SLOT)
		i = (i + 1) & mask;
	t->slots[i] = value;
	t->used++;
}

/* Keeps the load under one half so probes stay short. */
static int people_table_reserve(struct cv_metrics *m)
{
	struct table *t = &m->people_by_id;
	if (2 * (t->used + 1) <= t->cap)
		return 0;
	struct table grown;
	if (table_init(&grown, 2 * t->cap) != 0)
		return CV_ENOMEM;
	for (size_t i = 0; i < m->n_people; i++)
		table_put(&grown, mix64((uint64_t)m->people[i].id), (uint32_t)i);
	free(t->slots);
	*t = grown;
	return 0;
}

static int ties_table_reserve(struct cv_metrics *m)
{
	struct table *t = &m->ties_by_pair;
	if (2 * (t->used + 1) <= t->cap)
		return 0;
	struct table grown;
	if (table_init(&grown, 2 * t->cap) != 0)
		return CV_ENOMEM;
	for (size_t i = 0; i < m->n_ties; i++)
		table_put(&grown, mix64(tie_key(&m->ties[i])), (uint32_t)i);
	free(t->slots);
	*t = grown;
	return 0;
}

/* ---- union-find ---- */

static uint32_t uf_root(struct person *people, uint32_t x)
{
	while (people[x].parent != x) {
		people[x].parent = people[people[x].parent].parent; /* path halving */
		x = people[x].parent;
	}
	return x;
}

/* The same walk without halving, for the const readers. */
static uint32_t uf_root_const(const struct person *people, uint32_t x)
{
	while (people[x].parent != x)
		x = people[x].parent;
	return x;
}

/* ---- create / destroy ---- */

int cv_metrics_create(const struct cv_metrics_limits *limits, struct cv_metrics **out)
{
	struct cv_metrics_limits lim = {DEFAULT_PEOPLE, DEFAULT_TIES};
	*out = NULL;
	if (limits)
		lim = *limits;
	if (lim.max_people < 1 || lim.max_people > CV_METRICS_PEOPLE_MAX || lim.max_ties < 1 ||
	    lim.max_ties > CV_METRICS_TIES_MAX)
		return CV_EINVAL;
	struct cv_metrics *m = calloc(1, sizeof *m);
	if (!m)
		return CV_ENOMEM;
	m->limits = lim;
	if (table_init(&m->people_by_id, 64) != 0 || table_init(&m->ties_by_pair, 256) != 0) {
		cv_metrics_destroy(m);
		return CV_ENOMEM;
	}
	*out = m;
	return 0;
}

void cv_metrics_destroy(struct cv_metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_people; i++)
		free(m->people[i].adj);
	free(m->people);
	free(m->ties);
	free(m->people_by_id.slots);
	free(m->ties_by_pair.slots);
	free(m);
}

int64_t cv_metrics_org_key(const char *organization)
{
	if (!organization)
		return 0;
	const unsigned char *s = (const unsigned char *)organization;
	const unsigned char *end = s + strlen(organization);
	while (s < end && isspace(*s))
		s++;
	while (end > s && isspace(end[-1]))
		end--;
	if (s == end)
		return 0;
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then mixed */
	for (; s < end; s++) {
		h ^= (uint64_t)tolower(*s);
		h *= 0x100000001b3ULL;
	}
	int64_t key = (int64_t)(mix64(h) & INT64_MAX);
	return key ? key : 1;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && strcmp(s + n - k, suffix) == 0;
}

enum cv_metrics_dir cv_metrics_answer_dir(const char *answer)
{
	if (!answer)
		return CV_METRICS_DIR_NONE;
	if (ends_with(answer, "_a_to_b"))
		return CV_METRICS_DIR_A_TO_B;
	if (ends_with(answer, "_b_to_a"))
		return CV_METRICS_DIR_B_TO_A;
	if (ends_with(answer, "_mutual"))
		return CV_METRICS_DIR_MUTUAL;
	return CV_METRICS_DIR_NONE;
}

/* ---- people ---- */

static double local_clustering(const struct person *p)
{
	if (p->degree < 2)
		return 0.0;
	return 2.0 * (double)p->triangles / ((double)p->degree * (double)(p->degree - 1));
}

static int person_add(struct cv_metrics *m, int64_t id, int64_t org, uint32_t *index)
{
	uint32_t s = person_find(m, id);
	if (s != NO_SLOT) {
		*index = s;
		return 0;
	}
	if ((int64_t)m->n_people >= m->limits.max_people)
		return CV_ETOOBIG;
	if (m->n_people == m->cap_people) {
		size_t cap = m->cap_people ? 2 * m->cap_people : 64;
		struct person *grown = realloc(m->people, cap * sizeof *grown);
		if (!grown)
			return CV_ENOMEM;
		m->people = grown;
		m->cap_people = cap;
	}
	if (people_table_reserve(m) != 0)
		return CV_ENOMEM;
	uint32_t i = (uint32_t)m->n_people++;
	m->people[i] = (struct person){.id = id, .org = org, .parent = i, .size = 1};
	table_put(&m->people_by_id, mix64((uint64_t)id), i);
	m->fig.people++;
	*index = i;
	return 0;
}

static void refresh_density(struct cv_metrics *m);

static void person_mark_present(struct cv_metrics *m, uint32_t i)
{
	struct person *p = &m->people[i];
	if (p->present)
		return;
	/* A person who is not present has no current tie: they enter as an
	 * isolate and a component of their own. */
	p->present = true;
	m->fig.present++;
	m->fig.isolates++;
	m->fig.components++;
	if (m->fig.largest_component < 1)
		m->fig.largest_component = 1;
	refresh_density(m);
}

/* Whether p has a current partner other than except in organisation org. */
static bool has_partner_in(const struct cv_metrics *m, const struct person *p, int64_t org,
                           uint32_t except)
{
	for (uint32_t k = 0; k < p->degree; k++)
		if (p->adj[k] != except && m->people[p->adj[k]].org == org)
			return true;
	return false;
}

static bool cross_org(const struct person *x, const struct person *y)
{
	return x->org != 0 && y->org != 0 && x->org != y->org;
}

/* Recounts what depends on organisations: the figures and every person's
 * orgs_reached. Sorting each neighbourhood's organisations counts the
 * distinct ones. */
static int recount_orgs(struct cv_metrics *m)
{
	int64_t *orgs = NULL;
	size_t cap = 0;
	m->fig.cross_org_ties = 0;
	m->fig.brokers = 0;
	for (size_t t = 0; t < m->n_ties; t++)
		if (m->ties[t].count > 0 &&
		    cross_org(&m->people[m->ties[t].lo], &m->people[m->ties[t].hi]))
			m->fig.cross_org_ties++;
	for (size_t i = 0; i < m->n_people; i++) {
		struct person *p = &m->people[i];
		if (p->degree > cap) {
			int64_t *grown = realloc(orgs, p->degree * sizeof *grown);
			if (!grown) {
				free(orgs);
				return CV_ENOMEM;
			}
			orgs = grown;
			cap = p->degree;
		}
		size_t n = 0;
		for (uint32_t k = 0; k < p->degree; k++) {
			int64_t o = m->people[p->adj[k]].org;
			if (o != 0 && o != p->org)
				orgs[n++] = o;
		}
		p->orgs_reached = 0;
		for (size_t a = 0; a < n; a++) {
			bool seen = false;
			for (size_t b = 0; b < a && !seen; b++)
				seen = orgs[b] == orgs[a];
			p->orgs_reached += !seen;
		}
		if (p->orgs_reached >= 2)
			m->fig.brokers++;
	}
	free(orgs);
	return 0;
}

int cv_metrics_add_person(struct cv_metrics *m, int64_t id, int64_t org)
{
	if (!m || id <= 0)
		return CV_EINVAL;
	uint32_t i;
	uint32_t before = (uint32_t)m->n_people;
	int rc = person_add(m, id, org, &i);
	if (rc != 0 || i >= before || m->people[i].org == org)
		return rc;
	m->people[i].org = org;
	return recount_orgs(m);
}

int cv_metrics_check_in(struct cv_metrics *m, int64_t id)
{
	if (!m || id <= 0)
		return CV_EINVAL;
	uint32_t i;
	int rc = person_add(m, id, 0, &i);
	if (rc == 0)
		person_mark_present(m, i);
	return rc;
}

/* ---- ties ---- */

static int tie_add(struct cv_metrics *m, uint32_t x, uint32_t y, uint32_t *index)
{
	uint32_t s = tie_find(m, x, y);
	if (s != NO_SLOT) {
		*index = s;
		return 0;
	}
	if ((int64_t)m->n_ties >= m->limits.max_ties)
		return CV_ETOOBIG;
	if (m->n_ties == m->cap_ties) {
		size_t cap = m->cap_ties ? 2 * m->cap_ties : 256;
		struct tie *grown = realloc(m->ties, cap * sizeof *grown);
		if (!grown)
			return CV_ENOMEM;
		m->ties = grown;
		m->cap_ties = cap;
	}
	if (ties_table_reserve(m) != 0)
		return CV_ENOMEM;
	bool x_lo = m->people[x].id < m->people[y].id;
	uint32_t i = (uint32_t)m->n_ties++;
	m->ties[i] = (struct tie){.lo = x_lo ? x : y, .hi = x_lo ? y : x};
	table_put(&m->ties_by_pair, mix64(pair_key(x, y)), i);
	*index = i;
	return 0;
}

static bool tie_is_repeat(const struct tie *t)
{
	return t->count >= 2 || (t->count >= 1 && t->prior >= 1);
}

/* Adds the repeat/directed/reciprocal state of t to the figures with sign
 * (+1 after a change, -1 before it). */
static void tie_account(struct cv_metrics *m, const struct tie *t, int sign)
{
	bool repeat = tie_is_repeat(t);
	m->fig.repeat_ties += sign * repeat;
	m->fig.repeat_ties_within += sign * (t->count >= 2);
	m->fig.repeat_ties_across += sign * (t->count >= 1 && t->prior >= 1);
	m->fig.prior_ties += sign * (t->prior >= 1);
	m->fig.directed_ties += sign * (t->lo_to_hi > 0 || t->hi_to_lo > 0);
	m->fig.reciprocal_ties += sign * (t->lo_to_hi > 0 && t->hi_to_lo > 0);
	m->people[t->lo].repeat_partners += sign * repeat;
	m->people[t->hi].repeat_partners += sign * repeat;
}

static void refresh_reciprocity(struct cv_metrics *m)
{
	m->fig.reciprocity = m->fig.directed_ties
	                         ? (double)m->fig.reciprocal_ties / (double)m->fig.directed_ties
	                         : 0.0;
}

static void refresh_density(struct cv_metrics *m)
{
	double n = (double)m->fig.present;
	m->fig.density = m->fig.present >= 2 ? 2.0 * (double)m->fig.ties / (n * (n - 1.0)) : 0.0;
	m->fig.mean_partners = m->fig.present ? 2.0 * (double)m->fig.ties / n : 0.0;
	m->fig.avg_clustering = m->fig.present ? m->clustering_sum / n : 0.0;
	if (m->fig.avg_clustering < 0.0)
		m->fig.avg_clustering = 0.0; /* rounding of the running sum */
}

static int adj_push(struct person *p, uint32_t v)
{
	if (p->degree == p->adj_cap) {
		uint32_t cap = p->adj_cap ? 2 * p->adj_cap : 4;
		uint32_t *grown = realloc(p->adj, cap * sizeof *grown);
		if (!grown)
			return CV_ENOMEM;
		p->adj = grown;
		p->adj_cap = cap;
	}
	p->adj[p->degree] = v;
	return 0;
}

/* A pair meets for the first time at this convening: the graph gains an
 * edge. Updates degrees, isolates, components, triangles, clustering and the
 * organisation figures. Room in both adjacency lists is made first so
 * nothing fails half way. */
static int edge_add(struct cv_metrics *m, uint32_t u, uint32_t v)
{
	struct person *pu = &m->people[u], *pv = &m->people[v];
	if (adj_push(pu, v) != 0 || adj_push(pv, u) != 0)
		return CV_ENOMEM;

	/* Organisations, before the lists grow: is v's organisation new to u? */
	if (cross_org(pu, pv)) {
		m->fig.cross_org_ties++;
	}
	if (pv->org != 0 && pv->org != pu->org && !has_partner_in(m, pu, pv->org, v)) {
		if (++pu->orgs_reached == 2)
			m->fig.brokers++;
	}
	if (pu->org != 0 && pu->org != pv->org && !has_partner_in(m, pv, pu->org, u)) {
		if (++pv->orgs_reached == 2)
			m->fig.brokers++;
	}

	/* Triangles: every common partner closes one. Walk the smaller list and
	 * look the other endpoint's ties up in the pair table. */
	m->clustering_sum -= local_clustering(pu) + local_clustering(pv);
	const struct person *small = pu->degree <= pv->degree ? pu : pv;
	uint32_t other = small == pu ? v : u;
	int64_t closed = 0;
	for (uint32_t k = 0; k < small->degree; k++) {
		uint32_t w = small->adj[k];
		uint32_t t = tie_find(m, other, w);
		if (t == NO_SLOT || m->ties[t].count == 0)
			continue;
		struct person *pw = &m->people[w];
		m->clustering_sum -= local_clustering(pw);
		pw->triangles++;
		m->clustering_sum += local_clustering(pw);
		closed++;
	}
	pu->triangles += closed;
	pv->triangles += closed;
	m->fig.triangles += closed;

	m->fig.isolates -= (pu->degree == 0) + (pv->degree == 0);
	pu->degree++;
	pv->degree++;
	m->clustering_sum += local_clustering(pu) + local_clustering(pv);
	m->fig.ties++;

	uint32_t ru = uf_root(m->people, u), rv = uf_root(m->people, v);
	if (ru != rv) {
		if (m->people[ru].size < m->people[rv].size) {
			uint32_t t = ru;
			ru = rv;
			rv = t;
		}
		m->people[rv].parent = ru;
		m->people[ru].size += m->people[rv].size;
		m->fig.components--;
		if (m->people[ru].size > m->fig.largest_component)
			m->fig.largest_component = m->people[ru].size;
	}
	refresh_density(m);
	return 0;
}

/* Adds n answers in direction dir of an encounter where x tapped first. */
static void tie_direct(struct tie *t, uint32_t x, enum cv_metrics_dir dir, int64_t n)
{
	bool x_lo = t->lo == x;
	if (dir == CV_METRICS_DIR_A_TO_B || dir == CV_METRICS_DIR_MUTUAL)
		*(x_lo ? &t->lo_to_hi : &t->hi_to_lo) += n;
	if (dir == CV_METRICS_DIR_B_TO_A || dir == CV_METRICS_DIR_MUTUAL)
		*(x_lo ? &t->hi_to_lo : &t->lo_to_hi) += n;
}

static bool dir_valid(enum cv_metrics_dir d)
{
	return d == CV_METRICS_DIR_NONE || d == CV_METRICS_DIR_A_TO_B ||
	       d == CV_METRICS_DIR_B_TO_A || d == CV_METRICS_DIR_MUTUAL;
}

/* Adds both people and their tie (reserving everything that can fail) so the
 * caller's updates cannot stop half way. Fails only before any figure
 * changed: the people may stay added, which is harmless. */
static int pair_prepare(struct cv_metrics *m, int64_t a, int64_t b, uint32_t *x, uint32_t *y,
                        uint32_t *t)
{
	int rc = person_add(m, a, 0, x);
	if (rc == 0)
		rc = person_add(m, b, 0, y);
	if (rc == 0)
		rc = tie_add(m, *x, *y, t);
	return rc;
}

int cv_metrics_add_encounter(struct cv_metrics *m, const struct cv_metrics_encounter *e)
{
	if (!m || !e || e->a <= 0 || e->b <= 0 || e->a == e->b || !dir_valid(e->dir))
		return CV_EINVAL;
	uint32_t x, y, ti;
	int rc = pair_prepare(m, e->a, e->b, &x, &y, &ti);
	if (rc != 0)
		return rc;
	if (m->ties[ti].count == 0) {
		/* The only step that can still fail: do it before counting. */
		person_mark_present(m, x);
		person_mark_present(m, y);
		rc = edge_add(m, x, y);
		if (rc != 0)
			return rc;
	}
	struct tie *t = &m->ties[ti];
	tie_account(m, t, -1);
	if (t->count == 0 || e->time_ms < t->first_ms)
		t->first_ms = e->time_ms;
	if (t->count == 0 || e->time_ms > t->last_ms)
		t->last_ms = e->time_ms;
	t->count++;
	tie_direct(t, x, e->dir, 1);
	tie_account(m, t, +1);
	m->people[x].encounters++;
	m->people[y].encounters++;
	m->fig.encounters++;
	refresh_reciprocity(m);
	return 0;
}

int cv_metrics_change_answer(struct cv_metrics *m, int64_t a, int64_t b, enum cv_metrics_dir from,
                             enum cv_metrics_dir to)
{
	if (!m || a <= 0 || b <= 0 || a == b || !dir_valid(from) || !dir_valid(to))
		return CV_EINVAL;
	uint32_t x = person_find(m, a), y = person_find(m, b);
	if (x == NO_SLOT || y == NO_SLOT)
		return CV_ENOTFOUND;
	uint32_t ti = tie_find(m, x, y);
	if (ti == NO_SLOT || m->ties[ti].count == 0)
		return CV_ENOTFOUND;
	struct tie *t = &m->ties[ti];
	/* The answer being replaced must have been counted. */
	struct tie probe = *t;
	tie_direct(&probe, x, from, -1);
	if (probe.lo_to_hi < 0 || probe.hi_to_lo < 0)
		return CV_ENOTFOUND;
	tie_account(m, t, -1);
	tie_direct(t, x, from, -1);
	tie_direct(t, x, to, 1);
	tie_account(m, t, +1);
	refresh_reciprocity(m);
	return 0;
}

int cv_metrics_add_prior_tie(struct cv_metrics *m, int64_t a, int64_t b, int64_t count)
{
	if (!m || a <= 0 || b <= 0 || a == b || count < 1)
		return CV_EINVAL;
	uint32_t x, y, ti;
	int rc = pair_prepare(m, a, b, &x, &y, &ti);
	if (rc != 0)
		return rc;
	struct tie *t = &m->ties[ti];
	tie_account(m, t, -1);
	t->prior += count;
	tie_account(m, t, +1);
	return 0;
}

/* ---- reading ---- */

void cv_metrics_figures(const struct cv_metrics *m, struct cv_metrics_figures *out)
{
	if (!m) {
		memset(out, 0, sizeof *out);
		return;
	}
	*out = m->fig;
}

size_t cv_metrics_person_count(const struct cv_metrics *m)
{
	return m ? m->n_people : 0;
}

static void person_fill(const struct cv_metrics *m, uint32_t i, struct cv_metrics_person *out)
{
	const struct person *p = &m->people[i];
	uint32_t root = uf_root_const(m->people, i);
	*out = (struct cv_metrics_person){
	    .id = p->id,
	    .org = p->org,
	    .present = p->present,
	    .partners = p->degree,
	    .encounters = p->encounters,
	    .repeat_partners = p->repeat_partners,
	    .orgs_reached = p->orgs_reached,
	    .triangles = p->triangles,
	    .clustering = local_clustering(p),
	    .component_size = m->people[root].size,
	    .component = m->people[root].id,
	};
}

int cv_metrics_person_at(const struct cv_metrics *m, size_t index, struct cv_metrics_person *out)
{
	memset(out, 0, sizeof *out);
	if (!m || index >= m->n_people)
		return CV_ENOTFOUND;
	person_fill(m, (uint32_t)index, out);
	return 0;
}

int cv_metrics_person_get(const struct cv_metrics *m, int64_t id, struct cv_metrics_person *out)
{
	memset(out, 0, sizeof *out);
	uint32_t i = m ? person_find(m, id) : NO_SLOT;
	if (i == NO_SLOT)
		return CV_ENOTFOUND;
	person_fill(m, i, out);
	return 0;
}

size_t cv_metrics_tie_count(const struct cv_metrics *m)
{
	return m ? m->n_ties : 0;
}

static void tie_fill(const struct cv_metrics *m, const struct tie *t, struct cv_metrics_tie *out)
{
	*out = (struct cv_metrics_tie){
	    .lo = m->people[t->lo].id,
	    .hi = m->people[t->hi].id,
	    .count = t->count,
	    .prior = t->prior,
	    .first_ms = t->first_ms,
	    .last_ms = t->last_ms,
	    .lo_to_hi = t->lo_to_hi,
	    .hi_to_lo = t->hi_to_lo,
	    .cross_org = cross_org(&m->people[t->lo], &m->people[t->hi]),
	};
}

int cv_metrics_tie_at(const struct cv_metrics *m, size_t index, struct cv_metrics_tie *out)
{
	memset(out, 0, sizeof *out);
	if (!m || index >= m->n_ties)
		return CV_ENOTFOUND;
	tie_fill(m, &m->ties[index], out);
	return 0;
}

int cv_metrics_tie_get(const struct cv_metrics *m, int64_t a, int64_t b, struct cv_metrics_tie *out)
{
	memset(out, 0, sizeof *out);
	if (!m)
		return CV_ENOTFOUND;
	uint32_t x = person_find(m, a), y = person_find(m, b);
	if (x == NO_SLOT || y == NO_SLOT || x == y)
		return CV_ENOTFOUND;
	uint32_t t = tie_find(m, x, y);
	if (t == NO_SLOT)
		return CV_ENOTFOUND;
	tie_fill(m, &m->ties[t], out);
	return 0;
}

/* ---- recomputation from the ties alone ---- */

static uint32_t plain_root(uint32_t *parent, uint32_t x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

int cv_metrics_recompute(const struct cv_metrics *m, struct cv_metrics_figures *out)
{
	memset(out, 0, sizeof *out);
	if (!m)
		return 0;
	size_t n = m->n_people;
	size_t nn = n ? n : 1;
	uint32_t *deg = calloc(nn, sizeof *deg);
	size_t *start = calloc(nn + 1, sizeof *start);
	uint32_t *parent = malloc(nn * sizeof *parent);
	uint32_t *size = malloc(nn * sizeof *size);
	int64_t *tri = calloc(nn, sizeof *tri);
	uint32_t *mark = calloc(nn, sizeof *mark);
	int64_t *orgs = malloc(nn * sizeof *orgs);
	uint32_t *nbr = NULL, *fill = NULL;
	int rc = CV_ENOMEM;
	if (!deg || !start || !parent || !size || !tri || !mark || !orgs)
		goto out;

	/* The current graph as compressed adjacency lists. */
	size_t edges = 0;
	for (size_t t = 0; t < m->n_ties; t++) {
		const struct tie *tie = &m->ties[t];
		out->encounters += tie->count;
		out->prior_ties += tie->prior >= 1;
		if (tie->count == 0)
			continue;
		edges++;
		deg[tie->lo]++;
		deg[tie->hi]++;
		out->repeat_ties += tie_is_repeat(tie);
		out->repeat_ties_within += tie->count >= 2;
		out->repeat_ties_across += tie->prior >= 1;
		out->directed_ties += tie->lo_to_hi > 0 || tie->hi_to_lo > 0;
		out->reciprocal_ties += tie->lo_to_hi > 0 && tie->hi_to_lo > 0;
		out->cross_org_ties += cross_org(&m->people[tie->lo], &m->people[tie->hi]);
	}
	for (size_t i = 0; i < n; i++)
		start[i + 1] = start[i] + deg[i];
	nbr = malloc((edges ? 2 * edges : 1) * sizeof *nbr);
	fill = calloc(nn, sizeof *fill);
	if (!nbr || !fill)
		goto out;
	for (size_t i = 0; i < n; i++) {
		parent[i] = (uint32_t)i;
		size[i] = 1;
	}
	for (size_t t = 0; t < m->n_ties; t++) {
		const struct tie *tie = &m->ties[t];
		if (tie->count == 0)
			continue;
		nbr[start[tie->lo] + fill[tie->lo]++] = tie->hi;
		nbr[start[tie->hi] + fill[tie->hi]++] = tie->lo;
		uint32_t ra = plain_root(parent, tie->lo), rb = plain_root(parent, tie->hi);
		if (ra != rb) {
			parent[rb] = ra;
			size[ra] += size[rb];
		}
	}

	/* Triangles: for each edge, its common neighbours (marked from one
	 * end). Each triangle is seen once from each of its three edges, and
	 * each corner is an end of two of them. */
	uint32_t stamp = 0;
	for (size_t u = 0; u < n; u++) {
		stamp++;
		for (size_t k = start[u]; k < start[u + 1]; k++)
			mark[nbr[k]] = stamp;
		for (size_t k = start[u]; k < start[u + 1]; k++) {
			uint32_t v = nbr[k];
			if (v < u)
				continue;
			int64_t common = 0;
			for (size_t j = start[v]; j < start[v + 1]; j++)
				common += mark[nbr[j]] == stamp;
			tri[u] += common;
			tri[v] += common;
		}
	}

	double clustering = 0.0;
	int64_t tri_sum = 0;
	for (size_t i = 0; i < n; i++) {
		const struct person *p = &m->people[i];
		out->people++;
		tri[i] /= 2;
		tri_sum += tri[i];
		/* Distinct organisations among partners besides the own. */
		size_t no = 0;
		for (size_t k = start[i]; k < start[i + 1]; k++) {
			int64_t o = m->people[nbr[k]].org;
			bool seen = o == 0 || o == p->org;
			for (size_t j = 0; j < no && !seen; j++)
				seen = orgs[j] == o;
			if (!seen)
				orgs[no++] = o;
		}
		out->brokers += no >= 2;
		if (!p->present)
			continue;
		out->present++;
		out->isolates += deg[i] == 0;
		if (plain_root(parent, (uint32_t)i) == i) {
			out->components++;
			if (size[i] > out->largest_component)
				out->largest_component = size[i];
		}
		if (deg[i] >= 2)
			clustering +=
			    2.0 * (double)tri[i] / ((double)deg[i] * (double)(deg[i] - 1));
	}
	out->ties = (int64_t)edges;
	out->triangles = tri_sum / 3;
	double np = (double)out->present;
	out->density = out->present >= 2 ? 2.0 * (double)edges / (np * (np - 1.0)) : 0.0;
	out->mean_partners = out->present ? 2.0 * (double)edges / np : 0.0;
	out->avg_clustering = out->present ? clustering / np : 0.0;
	out->reciprocity =
	    out->directed_ties ? (double)out->reciprocal_ties / (double)out->directed_ties : 0.0;
	rc = 0;
out:
	free(deg);
	free(start);
	free(parent);
	free(size);
	free(tri);
	free(mark);
	free(orgs);
	free(nbr);
	free(fill);
	return rc;
}

/* ---- suggested introductions ---- */

struct intro_rank {
	struct cv_metrics_intro intro;
	int64_t partners; /* of both, the tie-break */
};

/* True when x should come before y in the suggestions. */
static bool intro_better(const struct intro_rank *x, const struct intro_rank *y)
{
	if (x->intro.common != y->intro.common)
		return x->intro.common > y->intro.common;
	if (x->partners != y->partners)
		return x->partners < y->partners;
	if (x->intro.a != y->intro.a)
		return x->intro.a < y->intro.a;
	return x->intro.b < y->intro.b;
}

/* A heap whose root is the worst kept suggestion, so a better one replaces
 * it in O(log max). */
static void heap_down(struct intro_rank *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		if (l < n && intro_better(&h[w], &h[l]))
			w = l;
		if (r < n && intro_better(&h[w], &h[r]))
			w = r;
		if (w == i)
			return;
		struct intro_rank t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

static void heap_up(struct intro_rank *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!intro_better(&h[p], &h[i]))
			return;
		struct intro_rank t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

static int intro_cmp(const void *a, const void *b)
{
	const struct intro_rank *x = a, *y = b;
	return intro_better(x, y) ? -1 : intro_better(y, x) ? 1 : 0;
}

int cv_metrics_suggest(const struct cv_metrics *m, struct cv_metrics_intro *out, size_t max,
                       size_t *n)
{
	*n = 0;
	if (!m || max == 0 || m->n_people == 0)
		return 0;
	size_t np = m->n_people;
	uint32_t *count = calloc(np, sizeof *count);
	uint32_t *touched = malloc(np * sizeof *touched);
	struct intro_rank *heap = malloc(max * sizeof *heap);
	if (!count || !touched || !heap) {
		free(count);
		free(touched);
		free(heap);
		return CV_ENOMEM;
	}
	size_t kept = 0;
	for (uint32_t u = 0; u < np; u++) {
		const struct person *pu = &m->people[u];
		if (!pu->present || pu->degree == 0)
			continue;
		size_t nt = 0;
		for (uint32_t k = 0; k < pu->degree; k++) {
			const struct person *pw = &m->people[pu->adj[k]];
			for (uint32_t j = 0; j < pw->degree; j++) {
				uint32_t v = pw->adj[j];
				/* Each pair once, from its lower id. */
				if (m->people[v].id <= pu->id)
					continue;
				if (count[v]++ == 0)
					touched[nt++] = v;
			}
		}
		for (size_t k = 0; k < nt; k++) {
			uint32_t v = touched[k];
			const struct person *pv = &m->people[v];
			struct intro_rank r = {{pu->id, pv->id, count[v]},
			                       (int64_t)pu->degree + pv->degree};
			count[v] = 0;
			if (!pv->present || pv->org == pu->org || tie_find(m, u, v) != NO_SLOT)
				continue;
			if (kept < max) {
				heap[kept] = r;
				heap_up(heap, kept++);
			} else if (intro_better(&r, &heap[0])) {
				heap[0] = r;
				heap_down(heap, kept, 0);
			}
		}
	}
	qsort(heap, kept, sizeof *heap, intro_cmp);
	for (size_t i = 0; i < kept; i++)
		out[i] = heap[i].intro;
	*n = kept;
	free(count);
	free(touched);
	free(heap);
	return 0;
}
