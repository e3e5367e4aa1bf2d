/* Trust metrics: an incremental graph of the people at a convening and the
 * encounters between them, with the figures organisers watch (partners,
 * repeat ties, reciprocity, bridges across organisations, isolates,
 * components, density, clustering) and suggested introductions. Pure: no
 * I/O, no clock, no logging; every figure is kept up to date as encounters
 * arrive, so the live screen reads them without recomputing. docs/metrics.md
 * defines every figure exactly. A handle belongs to one thread at a time. */
#ifndef CV_METRICS_H
#define CV_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cv_metrics;

/* Memory caps; cv_metrics_create refuses more than these, and an operation
 * that would exceed the handle's limits fails with CV_ETOOBIG and is not
 * counted (people it named may stay known). */
#define CV_METRICS_PEOPLE_MAX 100000
#define CV_METRICS_TIES_MAX 2000000

struct cv_metrics_limits {
	int64_t max_people; /* 1..CV_METRICS_PEOPLE_MAX */
	int64_t max_ties;   /* distinct pairs, current and earlier: 1..CV_METRICS_TIES_MAX */
};

/* What a directional prompt answer says about who did what for whom. The
 * prompt's options map to these (the answer ids themselves are config). */
enum cv_metrics_dir {
	CV_METRICS_DIR_NONE = 0, /* no answer, or an answer with no direction */
	CV_METRICS_DIR_A_TO_B,   /* the first tapper offered (helped, introduced…) the second */
	CV_METRICS_DIR_B_TO_A,   /* the second offered the first */
	CV_METRICS_DIR_MUTUAL,   /* both ways: counts once in each direction */
};

/* The direction a prompt option's id states, by its suffix: "_a_to_b" (the
 * first tapper offered the second), "_b_to_a", "_mutual"; any other id, or
 * NULL, is CV_METRICS_DIR_NONE. E.g. [option.offered_help_a_to_b]. */
enum cv_metrics_dir cv_metrics_answer_dir(const char *answer);

/* One encounter as the store recorded it: a tapped first. */
struct cv_metrics_encounter {
	int64_t a, b;    /* store person ids, a != b, both > 0 */
	int64_t time_ms; /* wall time (Unix ms), for first/last seen; any value */
	enum cv_metrics_dir dir;
};

/* Creates an empty graph. limits may be NULL: 20,000 people and 1,000,000
 * ties. Returns 0 and *out (free with cv_metrics_destroy), CV_EINVAL for
 * limits out of range, CV_ENOMEM. */
int cv_metrics_create(const struct cv_metrics_limits *limits, struct cv_metrics **out);
void cv_metrics_destroy(struct cv_metrics *m);

/* A stable 64-bit key for an organisation's name: case-insensitive for
 * ASCII, surrounding blanks ignored; 0 for NULL or a blank name (no
 * organisation). Use it as org for cv_metrics_add_person. */
int64_t cv_metrics_org_key(const char *organization);

/* Adds a person, or sets the organisation of one already known (org 0: none).
 * A changed organisation recounts the organisation figures (O(ties)); the
 * roster rarely changes during a convening. Returns 0, CV_EINVAL (id <= 0),
 * CV_ETOOBIG, CV_ENOMEM. */
int cv_metrics_add_person(struct cv_metrics *m, int64_t id, int64_t org);

/* Marks a person present (checked in), adding them with org 0 when unknown.
 * Only present people count in isolates, components, density and
 * clustering. Idempotent. */
int cv_metrics_check_in(struct cv_metrics *m, int64_t id);

/* Adds one encounter: both people are added when unknown and marked present;
 * the pair's tie is created or its count, first/last time and directional
 * counts updated, and every figure with it. O(min degree) expected.
 * Returns 0, CV_EINVAL (a == b or an id <= 0, a bad dir), CV_ETOOBIG,
 * CV_ENOMEM. */
int cv_metrics_add_encounter(struct cv_metrics *m, const struct cv_metrics_encounter *e);

/* Moves one earlier encounter of a and b (a tapped first) from answer
 * direction from to direction to: an answer that came after the encounter
 * (from = NONE), or a changed answer. Returns CV_ENOTFOUND when the pair
 * never met or has no encounter counted in direction from. */
int cv_metrics_change_answer(struct cv_metrics *m, int64_t a, int64_t b, enum cv_metrics_dir from,
                             enum cv_metrics_dir to);

/* Records that a and b met count times at earlier convenings (an imported
 * network). Earlier ties are not part of this convening's graph: they only
 * make a tie met now a repeat tie and keep the pair out of suggested
 * introductions. Adds both people (org 0) when unknown, not present.
 * Returns 0, CV_EINVAL (a == b, an id <= 0, count < 1), CV_ETOOBIG, CV_ENOMEM. */
int cv_metrics_add_prior_tie(struct cv_metrics *m, int64_t a, int64_t b, int64_t count);

/* The whole convening at a glance. Counts over present people unless said. */
struct cv_metrics_figures {
	int64_t people;             /* known people, present or not */
	int64_t present;            /* checked in */
	int64_t encounters;         /* encounters added */
	int64_t ties;               /* distinct pairs met at this convening */
	int64_t repeat_ties;        /* ties met twice or more now, or now and before */
	int64_t repeat_ties_within; /* ties met twice or more at this convening */
	int64_t repeat_ties_across; /* ties met now and at an earlier convening */
	int64_t prior_ties;         /* distinct pairs imported from earlier convenings */
	int64_t directed_ties;      /* ties with a directional answer either way */
	int64_t reciprocal_ties;    /* ties with directional answers both ways */
	double reciprocity;         /* reciprocal_ties / directed_ties, 0 when none */
	int64_t cross_org_ties;     /* bridges: ties between two different organisations */
	int64_t brokers;            /* people tied to 2+ organisations besides their own */
	int64_t isolates;           /* present people with no tie yet */
	int64_t components;         /* connected components among present people */
	int64_t largest_component;  /* people in the largest one */
	int64_t triangles;          /* closed triads */
	double density;             /* 2 ties / (present (present - 1)), 0 below 2 present */
	double avg_clustering;      /* mean local clustering over present people */
	double mean_partners;       /* mean distinct partners over present people */
};

/* The figures as kept incrementally: O(1). Never fails. */
void cv_metrics_figures(const struct cv_metrics *m, struct cv_metrics_figures *out);

/* The same figures recomputed from the ties alone (union-find, triangle
 * counting by neighbour intersection): O(people + ties * degree). For tests
 * and the benchmark; a live screen never needs it. Returns 0 or CV_ENOMEM. */
int cv_metrics_recompute(const struct cv_metrics *m, struct cv_metrics_figures *out);

/* One person's figures. */
struct cv_metrics_person {
	int64_t id;
	int64_t org;
	bool present;
	int64_t partners;        /* distinct people met now (degree) */
	int64_t encounters;      /* encounters taking part in */
	int64_t repeat_partners; /* partners of a repeat tie */
	int64_t orgs_reached;    /* distinct organisations among partners, besides own (not 0) */
	int64_t triangles;       /* ties among the person's partners */
	double clustering;       /* 2 triangles / (partners (partners - 1)), 0 below 2 */
	int64_t component_size;  /* people in the person's component (1 when isolated) */
	int64_t component;       /* a representative person id, equal across one component */
};

/* People are numbered 0..count-1 in the order they were added; the number
 * of a person never changes. */
size_t cv_metrics_person_count(const struct cv_metrics *m);
/* Returns 0 or CV_ENOTFOUND (index out of range); *out zeroed then. */
int cv_metrics_person_at(const struct cv_metrics *m, size_t index, struct cv_metrics_person *out);
/* By store id: 0 or CV_ENOTFOUND. */
int cv_metrics_person_get(const struct cv_metrics *m, int64_t id, struct cv_metrics_person *out);

/* One pair. lo < hi are the store ids; the directional counts are per
 * direction of who offered whom. */
struct cv_metrics_tie {
	int64_t lo, hi;
	int64_t count;             /* encounters at this convening (0: only met before) */
	int64_t prior;             /* encounters at earlier convenings */
	int64_t first_ms, last_ms; /* wall times of the first and last encounter now */
	int64_t lo_to_hi;          /* directional answers: lo offered hi */
	int64_t hi_to_lo;          /* hi offered lo */
	bool cross_org;            /* both have an organisation and they differ */
};

/* Ties are numbered 0..count-1 in the order their pair first appeared
 * (encounter or prior tie); a tie's number never changes, so a screen can
 * animate the ties numbered from the last count it saw. Includes pairs that
 * only met before (count 0). */
size_t cv_metrics_tie_count(const struct cv_metrics *m);
int cv_metrics_tie_at(const struct cv_metrics *m, size_t index, struct cv_metrics_tie *out);
/* By pair, in either order: 0 or CV_ENOTFOUND. */
int cv_metrics_tie_get(const struct cv_metrics *m, int64_t a, int64_t b,
                       struct cv_metrics_tie *out);

/* A suggested introduction: a and b (a < b) are both present, not tied now
 * nor before, share `common` partners, and have different organisations
 * (0 counts as an organisation of its own, so two people without one are
 * never suggested). */
struct cv_metrics_intro {
	int64_t a, b;
	int64_t common;
};

/* The best max suggestions: most common partners first, then the pair with
 * fewer partners between them (the less connected gain most), then ids.
 * Computed on each call, O(sum of squared degrees): call it when the figures
 * change, not every frame. Returns 0 and *n, or CV_ENOMEM (*n 0). */
int cv_metrics_suggest(const struct cv_metrics *m, struct cv_metrics_intro *out, size_t max,
                       size_t *n);

#endif
