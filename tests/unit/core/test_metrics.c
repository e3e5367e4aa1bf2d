/* Trust metrics: hand-worked small graphs, and random graphs whose
 * incrementally kept figures must equal both the module's own
 * recomputation and a naive adjacency-matrix reference written here. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cv_error.h"
#include "cv_metrics.h"

/* A small deterministic generator (xorshift64*): the tests repeat exactly. */
static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 33) % n;
}

static struct cv_metrics *new_metrics(void)
{
	struct cv_metrics *m = NULL;
	assert_int_equal(cv_metrics_create(NULL, &m), 0);
	assert_non_null(m);
	return m;
}

static void meet(struct cv_metrics *m, int64_t a, int64_t b, int64_t t, enum cv_metrics_dir d)
{
	struct cv_metrics_encounter e = {a, b, t, d};
	assert_int_equal(cv_metrics_add_encounter(m, &e), 0);
}

#define assert_near(x, y) assert_near_at((x), (y), #x, __FILE__, __LINE__)
static void assert_near_at(double x, double y, const char *what, const char *file, int line)
{
	if (fabs(x - y) > 1e-9) {
		print_error("%s: %.15f != %.15f\n", what, x, y);
		_fail(file, line);
	}
}

static void assert_figures_equal(const struct cv_metrics_figures *x,
                                 const struct cv_metrics_figures *y)
{
	assert_int_equal(x->people, y->people);
	assert_int_equal(x->present, y->present);
	assert_int_equal(x->encounters, y->encounters);
	assert_int_equal(x->ties, y->ties);
	assert_int_equal(x->repeat_ties, y->repeat_ties);
	assert_int_equal(x->repeat_ties_within, y->repeat_ties_within);
	assert_int_equal(x->repeat_ties_across, y->repeat_ties_across);
	assert_int_equal(x->prior_ties, y->prior_ties);
	assert_int_equal(x->directed_ties, y->directed_ties);
	assert_int_equal(x->reciprocal_ties, y->reciprocal_ties);
	assert_near(x->reciprocity, y->reciprocity);
	assert_int_equal(x->cross_org_ties, y->cross_org_ties);
	assert_int_equal(x->brokers, y->brokers);
	assert_int_equal(x->isolates, y->isolates);
	assert_int_equal(x->components, y->components);
	assert_int_equal(x->largest_component, y->largest_component);
	assert_int_equal(x->triangles, y->triangles);
	assert_near(x->density, y->density);
	assert_near(x->avg_clustering, y->avg_clustering);
	assert_near(x->mean_partners, y->mean_partners);
}

/* ---- hand-worked cases ---- */

static void test_empty(void **state)
{
	(void)state;
	struct cv_metrics *m = new_metrics();
	struct cv_metrics_figures f;
	cv_metrics_figures(m, &f);
	assert_int_equal(f.people, 0);
	assert_int_equal(f.components, 0);
	assert_true(f.density == 0.0 && f.avg_clustering == 0.0 && f.reciprocity == 0.0);
	size_t n = 99;
	struct cv_metrics_intro intro[4];
	assert_int_equal(cv_metrics_suggest(m, intro, 4, &n), 0);
	assert_int_equal(n, 0);
	cv_metrics_destroy(m);
}

/* A triangle 1-2-3 with a tail 3-4, isolate 5, absent 6:
 * clustering 1, 1, 1/3, 0, 0 -> mean 7/15 over five present. */
static void test_triangle_with_tail(void **state)
{
	(void)state;
	struct cv_metrics *m = new_metrics();
	int64_t acme = cv_metrics_org_key("Acme"), blue = cv_metrics_org_key(" BLUE co ");
	assert_int_equal(cv_metrics_add_person(m, 1, acme), 0);
	assert_int_equal(cv_metrics_add_person(m, 2, acme), 0);
	assert_int_equal(cv_metrics_add_person(m, 3, blue), 0);
	assert_int_equal(cv_metrics_add_person(m, 4, cv_metrics_org_key("Cedar")), 0);
	assert_int_equal(cv_metrics_add_person(m, 6, acme), 0);
	assert_int_equal(cv_metrics_check_in(m, 5), 0);
	meet(m, 1, 2, 1000, CV_METRICS_DIR_NONE);
	meet(m, 2, 3, 2000, CV_METRICS_DIR_A_TO_B);
	meet(m, 3, 1, 3000, CV_METRICS_DIR_NONE);
	meet(m, 3, 4, 4000, CV_METRICS_DIR_A_TO_B);
	meet(m, 4, 3, 5000, CV_METRICS_DIR_A_TO_B); /* the same pair again, other way */

	struct cv_metrics_figures f, r;
	cv_metrics_figures(m, &f);
	assert_int_equal(f.people, 6);
	assert_int_equal(f.present, 5);
	assert_int_equal(f.encounters, 5);
	assert_int_equal(f.ties, 4);
	assert_int_equal(f.repeat_ties, 1);
	assert_int_equal(f.repeat_ties_within, 1);
	assert_int_equal(f.directed_ties, 2);
	assert_int_equal(f.reciprocal_ties, 1);
	assert_near(f.reciprocity, 0.5);
	assert_int_equal(f.cross_org_ties, 3); /* 2-3, 3-1, 3-4 */
	assert_int_equal(f.brokers, 1);        /* 3 reaches Acme and Cedar */
	assert_int_equal(f.isolates, 1);
	assert_int_equal(f.components, 2);
	assert_int_equal(f.largest_component, 4);
	assert_int_equal(f.triangles, 1);
	assert_near(f.density, 2.0 * 4 / (5.0 * 4));
	assert_near(f.avg_clustering, (1 + 1 + 1.0 / 3) / 5);
	assert_near(f.mean_partners, 8.0 / 5);
	assert_int_equal(cv_metrics_recompute(m, &r), 0);
	assert_figures_equal(&f, &r);

	struct cv_metrics_person p;
	assert_int_equal(cv_metrics_person_get(m, 3, &p), 0);
	assert_int_equal(p.partners, 3);
	assert_int_equal(p.encounters, 4);
	assert_int_equal(p.repeat_partners, 1);
	assert_int_equal(p.orgs_reached, 2);
	assert_int_equal(p.triangles, 1);
	assert_near(p.clustering, 1.0 / 3);
	assert_int_equal(p.component_size, 4);
	struct cv_metrics_person p5;
	assert_int_equal(cv_metrics_person_get(m, 5, &p5), 0);
	assert_true(p5.present);
	assert_int_equal(p5.component_size, 1);
	assert_int_not_equal(p5.component, p.component);
	assert_int_equal(cv_metrics_person_get(m, 77, &p), CV_ENOTFOUND);

	struct cv_metrics_tie t;
	assert_int_equal(cv_metrics_tie_get(m, 4, 3, &t), 0);
	assert_int_equal(t.lo, 3);
	assert_int_equal(t.hi, 4);
	assert_int_equal(t.count, 2);
	assert_int_equal(t.first_ms, 4000);
	assert_int_equal(t.last_ms, 5000);
	assert_int_equal(t.lo_to_hi, 1);
	assert_int_equal(t.hi_to_lo, 1);
	assert_true(t.cross_org);
	assert_int_equal(cv_metrics_tie_get(m, 2, 3, &t), 0);
	assert_int_equal(t.lo_to_hi, 1);
	assert_int_equal(t.hi_to_lo, 0);
	assert_int_equal(cv_metrics_tie_get(m, 1, 4, &t), CV_ENOTFOUND);
	assert_int_equal(cv_metrics_tie_count(m), 4);
	assert_int_equal(cv_metrics_tie_at(m, 0, &t), 0);
	assert_int_equal(t.lo * 10 + t.hi, 12);

	/* Two steps apart, different organisations, not met: 1-4 and 2-4
	 * through 3. 5 is isolated, 6 absent. */
	struct cv_metrics_intro intro[8];
	size_t n;
	assert_int_equal(cv_metrics_suggest(m, intro, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(intro[0].a, 1);
	assert_int_equal(intro[0].b, 4);
	assert_int_equal(intro[0].common, 1);
	assert_int_equal(intro[1].a, 2);
	assert_int_equal(intro[1].b, 4);
	assert_int_equal(cv_metrics_suggest(m, intro, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(intro[0].a, 1);

	/* 1 and 4 met at an earlier convening: no longer suggested. */
	assert_int_equal(cv_metrics_add_prior_tie(m, 4, 1, 2), 0);
	assert_int_equal(cv_metrics_suggest(m, intro, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(intro[0].a * 10 + intro[0].b, 24);
	cv_metrics_destroy(m);
}

static void test_prior_ties_make_repeats(void **state)
{
	(void)state;
	struct cv_metrics *m = new_metrics();
	assert_int_equal(cv_metrics_add_prior_tie(m, 10, 11, 1), 0);
	assert_int_equal(cv_metrics_add_prior_tie(m, 12, 13, 3), 0);
	struct cv_metrics_figures f;
	cv_metrics_figures(m, &f);
	assert_int_equal(f.prior_ties, 2);
	assert_int_equal(f.ties, 0);
	assert_int_equal(f.present, 0); /* earlier ties do not make anyone present */
	assert_int_equal(f.repeat_ties, 0);
	meet(m, 11, 10, 5, CV_METRICS_DIR_NONE);
	cv_metrics_figures(m, &f);
	assert_int_equal(f.ties, 1);
	assert_int_equal(f.repeat_ties, 1);
	assert_int_equal(f.repeat_ties_across, 1);
	assert_int_equal(f.repeat_ties_within, 0);
	assert_int_equal(f.present, 2);
	assert_int_equal(f.components, 1);
	meet(m, 11, 10, 6, CV_METRICS_DIR_NONE);
	cv_metrics_figures(m, &f);
	assert_int_equal(f.repeat_ties, 1);
	assert_int_equal(f.repeat_ties_within, 1);
	struct cv_metrics_person p;
	assert_int_equal(cv_metrics_person_get(m, 10, &p), 0);
	assert_int_equal(p.repeat_partners, 1);
	struct cv_metrics_figures r;
	assert_int_equal(cv_metrics_recompute(m, &r), 0);
	assert_figures_equal(&f, &r);
	assert_int_equal(cv_metrics_add_prior_tie(m, 10, 10, 1), CV_EINVAL);
	assert_int_equal(cv_metrics_add_prior_tie(m, 10, 14, 0), CV_EINVAL);
	cv_metrics_destroy(m);
}

static void test_answers_change(void **state)
{
	(void)state;
	struct cv_metrics *m = new_metrics();
	meet(m, 7, 3, 1, CV_METRICS_DIR_NONE);
	struct cv_metrics_figures f;
	cv_metrics_figures(m, &f);
	assert_int_equal(f.directed_ties, 0);
	/* The answer arrives after the encounter: 7 (first tapper) offered 3. */
	assert_int_equal(
	    cv_metrics_change_answer(m, 7, 3, CV_METRICS_DIR_NONE, CV_METRICS_DIR_A_TO_B), 0);
	struct cv_metrics_tie t;
	assert_int_equal(cv_metrics_tie_get(m, 3, 7, &t), 0);
	assert_int_equal(t.hi_to_lo, 1); /* 7 is hi */
	assert_int_equal(t.lo_to_hi, 0);
	cv_metrics_figures(m, &f);
	assert_int_equal(f.directed_ties, 1);
	assert_int_equal(f.reciprocal_ties, 0);
	/* Changed to mutual: reciprocal. */
	assert_int_equal(
	    cv_metrics_change_answer(m, 7, 3, CV_METRICS_DIR_A_TO_B, CV_METRICS_DIR_MUTUAL), 0);
	cv_metrics_figures(m, &f);
	assert_int_equal(f.reciprocal_ties, 1);
	assert_near(f.reciprocity, 1.0);
	/* No encounter counted as B_TO_A only... but MUTUAL counted one each
	 * way, so moving a B_TO_A is allowed once; a second time not. */
	assert_int_equal(
	    cv_metrics_change_answer(m, 7, 3, CV_METRICS_DIR_B_TO_A, CV_METRICS_DIR_NONE), 0);
	assert_int_equal(
	    cv_metrics_change_answer(m, 7, 3, CV_METRICS_DIR_B_TO_A, CV_METRICS_DIR_NONE),
	    CV_ENOTFOUND);
	assert_int_equal(
	    cv_metrics_change_answer(m, 7, 9, CV_METRICS_DIR_NONE, CV_METRICS_DIR_A_TO_B),
	    CV_ENOTFOUND);
	struct cv_metrics_encounter bad = {3, 3, 0, CV_METRICS_DIR_NONE};
	assert_int_equal(cv_metrics_add_encounter(m, &bad), CV_EINVAL);
	bad = (struct cv_metrics_encounter){3, 4, 0, (enum cv_metrics_dir)9};
	assert_int_equal(cv_metrics_add_encounter(m, &bad), CV_EINVAL);
	cv_metrics_destroy(m);
}

static void test_limits(void **state)
{
	(void)state;
	struct cv_metrics *m = NULL;
	struct cv_metrics_limits bad = {0, 10};
	assert_int_equal(cv_metrics_create(&bad, &m), CV_EINVAL);
	assert_null(m);
	struct cv_metrics_limits lim = {3, 2};
	assert_int_equal(cv_metrics_create(&lim, &m), 0);
	meet(m, 1, 2, 0, CV_METRICS_DIR_NONE);
	meet(m, 2, 3, 0, CV_METRICS_DIR_NONE);
	struct cv_metrics_encounter e = {1, 3, 0, CV_METRICS_DIR_NONE};
	assert_int_equal(cv_metrics_add_encounter(m, &e), CV_ETOOBIG); /* a third tie */
	e = (struct cv_metrics_encounter){1, 4, 0, CV_METRICS_DIR_NONE};
	assert_int_equal(cv_metrics_add_encounter(m, &e), CV_ETOOBIG); /* a fourth person */
	meet(m, 2, 1, 0, CV_METRICS_DIR_NONE);                         /* an existing tie */
	struct cv_metrics_figures f, r;
	cv_metrics_figures(m, &f);
	assert_int_equal(f.ties, 2);
	assert_int_equal(f.encounters, 3);
	assert_int_equal(cv_metrics_recompute(m, &r), 0);
	assert_figures_equal(&f, &r);
	cv_metrics_destroy(m);
}

static void test_org_key(void **state)
{
	(void)state;
	assert_int_equal(cv_metrics_org_key(NULL), 0);
	assert_int_equal(cv_metrics_org_key("  \t"), 0);
	assert_int_equal(cv_metrics_org_key("Acme"), cv_metrics_org_key(" acme "));
	assert_int_not_equal(cv_metrics_org_key("Acme"), cv_metrics_org_key("Acme Inc"));
	assert_true(cv_metrics_org_key("Zoë & Co") > 0);
}

static void test_answer_dir(void **state)
{
	(void)state;
	assert_int_equal(cv_metrics_answer_dir(NULL), CV_METRICS_DIR_NONE);
	assert_int_equal(cv_metrics_answer_dir("said_hi"), CV_METRICS_DIR_NONE);
	assert_int_equal(cv_metrics_answer_dir("_a_to_b"), CV_METRICS_DIR_NONE);
	assert_int_equal(cv_metrics_answer_dir("offered_help_a_to_b"), CV_METRICS_DIR_A_TO_B);
	assert_int_equal(cv_metrics_answer_dir("offered_help_b_to_a"), CV_METRICS_DIR_B_TO_A);
	assert_int_equal(cv_metrics_answer_dir("helped_mutual"), CV_METRICS_DIR_MUTUAL);
}

/* ---- random graphs against a naive reference ---- */

#define REF_MAX 48

struct ref {
	int n;
	bool present[REF_MAX];
	int64_t org[REF_MAX];
	int count[REF_MAX][REF_MAX]; /* symmetric */
	int prior[REF_MAX][REF_MAX];
	int dir[REF_MAX][REF_MAX]; /* dir[i][j]: answers saying i offered j */
	int encounters;
};

/* Everything by definition, from the matrices. People are ids 1..n. */
static void ref_figures(const struct ref *r, struct cv_metrics_figures *f)
{
	memset(f, 0, sizeof *f);
	int comp[REF_MAX];
	f->people = r->n;
	f->encounters = r->encounters;
	for (int i = 0; i < r->n; i++) {
		comp[i] = i;
		f->present += r->present[i];
	}
	/* Components by repeated relabelling until stable. */
	for (bool changed = true; changed;) {
		changed = false;
		for (int i = 0; i < r->n; i++)
			for (int j = 0; j < r->n; j++)
				if (r->count[i][j] && comp[j] < comp[i]) {
					comp[i] = comp[j];
					changed = true;
				}
	}
	double csum = 0;
	for (int i = 0; i < r->n; i++) {
		int deg = 0, tri = 0, orgs = 0;
		int64_t seen[REF_MAX];
		for (int j = 0; j < r->n; j++) {
			if (!r->count[i][j])
				continue;
			deg++;
			int64_t o = r->org[j];
			bool dup = o == 0 || o == r->org[i];
			for (int k = 0; k < orgs && !dup; k++)
				dup = seen[k] == o;
			if (!dup)
				seen[orgs++] = o;
			for (int k = j + 1; k < r->n; k++)
				tri += r->count[i][k] && r->count[j][k];
		}
		f->brokers += orgs >= 2;
		f->triangles += tri;
		if (!r->present[i])
			continue;
		f->isolates += deg == 0;
		if (deg >= 2)
			csum += 2.0 * tri / ((double)deg * (deg - 1));
		if (comp[i] == i) {
			int size = 0;
			for (int j = 0; j < r->n; j++)
				size += comp[j] == i;
			f->components++;
			if (size > f->largest_component)
				f->largest_component = size;
		}
	}
	for (int i = 0; i < r->n; i++)
		for (int j = i + 1; j < r->n; j++) {
			f->prior_ties += r->prior[i][j] > 0;
			if (!r->count[i][j])
				continue;
			f->ties++;
			bool within = r->count[i][j] >= 2, across = r->prior[i][j] > 0;
			f->repeat_ties_within += within;
			f->repeat_ties_across += across;
			f->repeat_ties += within || across;
			f->directed_ties += r->dir[i][j] || r->dir[j][i];
			f->reciprocal_ties += r->dir[i][j] && r->dir[j][i];
			f->cross_org_ties += r->org[i] && r->org[j] && r->org[i] != r->org[j];
		}
	f->triangles /= 3;
	double n = (double)f->present;
	f->density = f->present >= 2 ? 2.0 * f->ties / (n * (n - 1)) : 0;
	f->mean_partners = f->present ? 2.0 * f->ties / n : 0;
	f->avg_clustering = f->present ? csum / n : 0;
	f->reciprocity = f->directed_ties ? (double)f->reciprocal_ties / f->directed_ties : 0;
}

/* The reference's own suggestions, best first, by the documented order. */
static size_t ref_suggest(const struct ref *r, struct cv_metrics_intro *out, size_t max)
{
	struct cv_metrics_intro all[REF_MAX * REF_MAX];
	int64_t weight[REF_MAX * REF_MAX];
	size_t n = 0;
	int deg[REF_MAX] = {0};
	for (int i = 0; i < r->n; i++)
		for (int j = 0; j < r->n; j++)
			deg[i] += r->count[i][j] > 0;
	for (int i = 0; i < r->n; i++)
		for (int j = i + 1; j < r->n; j++) {
			if (!r->present[i] || !r->present[j] || r->count[i][j] || r->prior[i][j] ||
			    r->org[i] == r->org[j])
				continue;
			int common = 0;
			for (int k = 0; k < r->n; k++)
				common += r->count[i][k] && r->count[j][k];
			if (!common)
				continue;
			all[n] = (struct cv_metrics_intro){i + 1, j + 1, common};
			weight[n++] = deg[i] + deg[j];
		}
	/* Selection sort: small n, obviously right. */
	size_t kept = 0;
	for (; kept < max && kept < n; kept++) {
		size_t best = kept;
		for (size_t k = kept + 1; k < n; k++) {
			const struct cv_metrics_intro *x = &all[k], *y = &all[best];
			bool better = x->common != y->common      ? x->common > y->common
			              : weight[k] != weight[best] ? weight[k] < weight[best]
			              : x->a != y->a              ? x->a < y->a
			                                          : x->b < y->b;
			if (better)
				best = k;
		}
		struct cv_metrics_intro t = all[kept];
		all[kept] = all[best];
		all[best] = t;
		int64_t w = weight[kept];
		weight[kept] = weight[best];
		weight[best] = w;
		out[kept] = all[kept];
	}
	return kept;
}

static void check_against_reference(struct cv_metrics *m, const struct ref *r)
{
	struct cv_metrics_figures inc, rec, ref;
	cv_metrics_figures(m, &inc);
	assert_int_equal(cv_metrics_recompute(m, &rec), 0);
	ref_figures(r, &ref);
	assert_figures_equal(&inc, &ref);
	assert_figures_equal(&rec, &ref);

	struct cv_metrics_intro got[16], want[16];
	size_t n;
	assert_int_equal(cv_metrics_suggest(m, got, 16, &n), 0);
	size_t wn = ref_suggest(r, want, 16);
	assert_int_equal(n, wn);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(got[i].a, want[i].a);
		assert_int_equal(got[i].b, want[i].b);
		assert_int_equal(got[i].common, want[i].common);
	}
}

static void test_random_graphs_match_reference(void **state)
{
	(void)state;
	static struct ref r;
	for (int round = 0; round < 60; round++) {
		rng_state = 0x9E3779B97F4A7C15ULL + (uint64_t)round * 7919;
		memset(&r, 0, sizeof r);
		r.n = 4 + (int)rnd(REF_MAX - 4);
		int orgs = 1 + (int)rnd(5);
		struct cv_metrics *m = new_metrics();
		for (int i = 0; i < r.n; i++) {
			r.org[i] = rnd(orgs + 1) == 0
			               ? 0
			               : cv_metrics_org_key((char[]){(char)('A' + rnd(orgs)), 0});
			assert_int_equal(cv_metrics_add_person(m, i + 1, r.org[i]), 0);
		}
		int steps = (int)rnd(4 * (unsigned)r.n);
		for (int s = 0; s < steps; s++) {
			int a = (int)rnd((unsigned)r.n), b = (int)rnd((unsigned)r.n);
			switch (rnd(10)) {
			case 0:
				assert_int_equal(cv_metrics_check_in(m, a + 1), 0);
				r.present[a] = true;
				break;
			case 1:
				if (a == b)
					break;
				assert_int_equal(cv_metrics_add_prior_tie(m, a + 1, b + 1, 1), 0);
				r.prior[a][b]++;
				r.prior[b][a]++;
				break;
			case 2: {
				/* Someone moves to another organisation. */
				int64_t o =
				    cv_metrics_org_key((char[]){(char)('A' + rnd(orgs)), 0});
				assert_int_equal(cv_metrics_add_person(m, a + 1, o), 0);
				r.org[a] = o;
				break;
			}
			default: {
				if (a == b)
					break;
				enum cv_metrics_dir d = (enum cv_metrics_dir)rnd(4);
				meet(m, a + 1, b + 1, s, d);
				r.count[a][b]++;
				r.count[b][a]++;
				r.present[a] = r.present[b] = true;
				r.encounters++;
				if (d == CV_METRICS_DIR_A_TO_B || d == CV_METRICS_DIR_MUTUAL)
					r.dir[a][b]++;
				if (d == CV_METRICS_DIR_B_TO_A || d == CV_METRICS_DIR_MUTUAL)
					r.dir[b][a]++;
				break;
			}
			}
			if (s % 7 == 0)
				check_against_reference(m, &r);
		}
		check_against_reference(m, &r);
		cv_metrics_destroy(m);
	}
}

/* A convening-sized graph: the running figures after every thousand
 * encounters equal a recomputation from scratch. */
static void test_large_graph_incremental_equals_recompute(void **state)
{
	(void)state;
	rng_state = 42;
	struct cv_metrics *m = new_metrics();
	for (int i = 1; i <= 2000; i++)
		assert_int_equal(
		    cv_metrics_add_person(m, i * 3,
		                          cv_metrics_org_key((char[]){(char)('a' + rnd(20)), 0})),
		    0);
	for (int i = 1; i <= 1900; i++)
		assert_int_equal(cv_metrics_check_in(m, i * 3), 0);
	for (int k = 1; k <= 50000; k++) {
		/* Clustered: most encounters within a block of 100 people. */
		int a = (int)rnd(2000), b;
		if (rnd(4))
			b = (a / 100) * 100 + (int)rnd(100);
		else
			b = (int)rnd(2000);
		if (a == b)
			continue;
		meet(m, (a + 1) * 3, (b + 1) * 3, k, (enum cv_metrics_dir)rnd(4));
		if (k % 10000 == 0) {
			struct cv_metrics_figures f, r;
			cv_metrics_figures(m, &f);
			assert_int_equal(cv_metrics_recompute(m, &r), 0);
			assert_figures_equal(&f, &r);
		}
	}
	struct cv_metrics_figures f;
	cv_metrics_figures(m, &f);
	assert_true(f.ties > 20000);
	assert_true(f.triangles > 0);
	assert_true(f.repeat_ties > 0);
	struct cv_metrics_intro intro[10];
	size_t n;
	assert_int_equal(cv_metrics_suggest(m, intro, 10, &n), 0);
	assert_int_equal(n, 10);
	for (size_t i = 1; i < n; i++)
		assert_true(intro[i - 1].common >= intro[i].common);
	cv_metrics_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_triangle_with_tail),
	    cmocka_unit_test(test_prior_ties_make_repeats),
	    cmocka_unit_test(test_answers_change),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_org_key),
	    cmocka_unit_test(test_answer_dir),
	    cmocka_unit_test(test_random_graphs_match_reference),
	    cmocka_unit_test(test_large_graph_incremental_equals_recompute),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
