/* Benchmark of the trust metrics: builds a convening of N people and E
 * encounters (clustered, as people meet within their table or track, with
 * a quarter of encounters across the room), timing every incremental
 * update, then times full recomputations of the same figures. Prints
 * p50/p99 of each and their ratio; fails only when the two disagree. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cv_metrics.h"

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545F4914F6CDD1DULL) >> 33) % n;
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(const double *sorted, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return sorted[i < n ? i : n - 1];
}

int main(int argc, char **argv)
{
	int people = argc > 1 ? atoi(argv[1]) : 2000;
	int encounters = argc > 2 ? atoi(argv[2]) : 50000;
	if (people < 10 || encounters < 1) {
		fprintf(stderr, "usage: metrics_bench PEOPLE ENCOUNTERS\n");
		return 2;
	}
	struct cv_metrics *m;
	if (cv_metrics_create(NULL, &m) != 0)
		return 1;
	for (int i = 1; i <= people; i++) {
		char org[8];
		snprintf(org, sizeof org, "o%u", rnd(40));
		cv_metrics_add_person(m, i, cv_metrics_org_key(org));
		cv_metrics_check_in(m, i);
	}
	double *inc = malloc((size_t)encounters * sizeof *inc);
	if (!inc)
		return 1;
	size_t n = 0;
	while ((int)n < encounters) {
		int a = (int)rnd((uint32_t)people), b;
		b = rnd(4) ? (a / 50) * 50 + (int)rnd(50) : (int)rnd((uint32_t)people);
		if (b >= people || a == b)
			continue;
		struct cv_metrics_encounter e = {a + 1, b + 1, (int64_t)n * 1000,
		                                 (enum cv_metrics_dir)rnd(4)};
		double t0 = now_us();
		int rc = cv_metrics_add_encounter(m, &e);
		inc[n++] = now_us() - t0;
		if (rc != 0) {
			fprintf(stderr, "add_encounter failed: %d\n", rc);
			return 1;
		}
	}
	enum { RECOMPUTES = 21 };
	double full[RECOMPUTES];
	struct cv_metrics_figures fig, re;
	cv_metrics_figures(m, &fig);
	for (int k = 0; k < RECOMPUTES; k++) {
		double t0 = now_us();
		if (cv_metrics_recompute(m, &re) != 0)
			return 1;
		full[k] = now_us() - t0;
	}
	struct cv_metrics_intro intro[10];
	size_t ni;
	double s0 = now_us();
	cv_metrics_suggest(m, intro, 10, &ni);
	double suggest_us = now_us() - s0;

	qsort(inc, n, sizeof *inc, cmp_double);
	qsort(full, RECOMPUTES, sizeof *full, cmp_double);
	double i50 = pct(inc, n, 0.50), i99 = pct(inc, n, 0.99);
	double f50 = pct(full, RECOMPUTES, 0.50), f99 = pct(full, RECOMPUTES, 0.99);
	printf("people %d, encounters %zu, ties %lld, triangles %lld, components %lld\n", people, n,
	       (long long)fig.ties, (long long)fig.triangles, (long long)fig.components);
	printf("incremental update per encounter: p50 %.2f us, p99 %.2f us, max %.2f us\n", i50,
	       i99, inc[n - 1]);
	printf("full recomputation: p50 %.0f us, p99 %.0f us (%d runs)\n", f50, f99, RECOMPUTES);
	printf("ratio full/incremental at p50: %.0fx\n", f50 / (i50 > 0 ? i50 : 0.01));
	printf("suggested introductions (top 10): %.0f us\n", suggest_us);
	int bad = fig.ties != re.ties || fig.triangles != re.triangles ||
	          fig.components != re.components ||
	          fabs(fig.avg_clustering - re.avg_clustering) > 1e-9;
	if (bad)
		fprintf(stderr, "incremental figures disagree with the recomputation\n");
	free(inc);
	cv_metrics_destroy(m);
	return bad;
}
