/* The live attendance screen's data: a snapshot of the convening built on
 * its own thread and read-only store connection, handed whole to the UI.
 * Privacy: a person's name is in the snapshot only when they agreed to it
 * (people.show_name); everyone else is counted, never named. */
#ifndef CV_LIVE_H
#define CV_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cv_config.h"
#include "cv_metrics.h"

#define CV_LIVE_SLOTS 96 /* 15-minute slots of a day */
#define CV_LIVE_ZONES_MAX 12
#define CV_LIVE_ORGS_MAX 10 /* organisations with their own colour; the rest share one */
#define CV_LIVE_LIST_MAX 16 /* named people in "has not met anyone yet" */
#define CV_LIVE_INTROS_MAX 6
#define CV_LIVE_NAME_MAX 64

struct cv_live_person {
	int64_t id;
	char name[CV_LIVE_NAME_MAX]; /* "" unless the person agreed to be named */
	int org;                     /* index into orgs, -1: none or one without a colour */
	bool present;                /* checked in today */
	int partners;
};

struct cv_live_tie {
	int a, b;  /* indexes into people */
	int count; /* encounters of the pair today */
};

struct cv_live_zone {
	char zone[CV_ID_MAX];
	int64_t people; /* distinct people checked in there today */
};

struct cv_live_intro {
	int a, b; /* indexes into people, both named */
	int64_t common;
};

/* One snapshot; owned by whoever holds it (cv_live_snapshot_free). */
struct cv_live_snapshot {
	char day[16];                /* the local date it covers, YYYY-MM-DD */
	int64_t expected;            /* people on the roster */
	int64_t checked_in;          /* distinct people checked in today */
	int64_t encounters;          /* encounters today */
	int arrivals[CV_LIVE_SLOTS]; /* first check-ins of the day per 15 minutes */
	int zone_count;
	struct cv_live_zone zones[CV_LIVE_ZONES_MAX];
	int org_count;
	char orgs[CV_LIVE_ORGS_MAX][CV_LIVE_NAME_MAX];
	size_t person_count; /* present people and anyone in a tie, by id */
	struct cv_live_person *people;
	size_t tie_count; /* in the order the pairs first met: new ties come last */
	struct cv_live_tie *ties;
	int64_t lonely; /* present people who have not met anyone yet */
	int lonely_named_count;
	int lonely_named[CV_LIVE_LIST_MAX]; /* indexes into people, the named among them */
	int intro_count;
	struct cv_live_intro intros[CV_LIVE_INTROS_MAX];
	int64_t intros_unnamed; /* further suggestions involving someone not named */
	bool intros_pending;    /* the suggestions are the previous snapshot's; fresh ones follow */
	struct cv_metrics_figures figures;
};

void cv_live_snapshot_free(struct cv_live_snapshot *snap);

struct cv_store;

/* Builds a snapshot of day ("YYYY-MM-DD") from one read transaction of
 * store. Returns 0 and *out, or a CV_E* code. Any thread owning store. */
int cv_live_build(struct cv_store *store, const char *day, struct cv_live_snapshot **out);

/* A snapshot builder that keeps the trust metrics between snapshots: each
 * update reads only the check-ins and encounters appended since the last
 * one (by kiosk and sequence) and starts over only when the day, the schema
 * or the people (roster, consent, show_name) changed, or a row arrived that
 * sorts before one already counted. Its snapshots equal cv_live_build's.
 * One thread at a time. */
struct cv_live_builder;
int cv_live_builder_create(struct cv_live_builder **out);
void cv_live_builder_destroy(struct cv_live_builder *lb);
/* Brings lb up to date with store for day and builds a snapshot from it, in
 * one read transaction. Returns 0 and *out, or a CV_E* code (lb then starts
 * over next time). */
int cv_live_builder_update(struct cv_live_builder *lb, struct cv_store *store, const char *day,
                           struct cv_live_snapshot **out);
/* The same without computing the suggested introductions (the dearest
 * part of a snapshot at a large convening): the last ones computed are
 * kept and intros_pending set, so a new tap reaches the screen at once.
 * cv_live_builder_suggest then fills in fresh ones. */
int cv_live_builder_update_quick(struct cv_live_builder *lb, struct cv_store *store,
                                 const char *day, struct cv_live_snapshot **out);
/* Computes the suggested introductions into snap, which is lb's newest
 * snapshot or a copy of it (cv_live_snapshot_copy). Returns 0, CV_EINVAL
 * (no snapshot built yet). */
int cv_live_builder_suggest(struct cv_live_builder *lb, struct cv_live_snapshot *snap);
/* A deep copy: 0 and *out, or CV_ENOMEM. */
int cv_live_snapshot_copy(const struct cv_live_snapshot *from, struct cv_live_snapshot **out);
/* Whether the last update started over rather than reading on. */
bool cv_live_builder_last_full(const struct cv_live_builder *lb);

/* SQLite's data_version of the connection: it changes when another
 * connection commits. Returns 0 or a CV_E* code. */
int cv_live_data_version(struct cv_store *store, int64_t *out);

/* The reader thread: its own connection to store_path, a new snapshot
 * within poll_ms of every commit by any connection. wake(ctx) is called
 * (from the thread) when one is ready. */
struct cv_live;
int cv_live_start(const char *store_path, const char *kiosk_id, int poll_ms,
                  void (*wake)(void *ctx), void *ctx, struct cv_live **out);
/* The newest snapshot not taken yet, or NULL; the caller owns it. Any thread. */
struct cv_live_snapshot *cv_live_take(struct cv_live *live);
void cv_live_stop(struct cv_live *live);

#endif
