/* The recorder: the reader thread (backend → intake queue) and the writer
 * thread (the only connection that writes taps, check-ins and encounters).
 * Each tap is committed before it is posted to the UI inbox, so whatever the
 * UI confirms is already on disk. */
#ifndef CV_RECORDER_H
#define CV_RECORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "cv_config.h"
#include "cv_flow.h"
#include "cv_queue.h"
#include "cv_reader.h"

enum cv_inbox_kind {
	CV_INBOX_TAP,         /* a tap, committed: tap */
	CV_INBOX_READER,      /* reader online/offline: online, detail */
	CV_INBOX_SAVED,       /* a requested write finished: write_id, ok */
	CV_INBOX_PRESS,       /* sim script: option */
	CV_INBOX_TOUCH,       /* sim script: x, y */
	CV_INBOX_SCRIPT_DONE, /* sim script finished */
	CV_INBOX_STORE_ERROR, /* a tap could not be written: detail */
	CV_INBOX_ORG_DONE,    /* a bind, unbind, revoke or zone change finished: write_id, ok */
	CV_INBOX_SEARCH,      /* a roster search finished: write_id (cv_recorder_take_results) */
};

/* One item of the UI inbox (a cv_queue of these). */
struct cv_inbox_item {
	enum cv_inbox_kind kind;
	int64_t seen_mono_ms; /* when the reader saw the badge */
	struct cv_flow_tap tap;
	bool online;
	uint32_t write_id;
	bool ok;
	char option[CV_SIM_OPTION_MAX];
	int x, y;
	char detail[128];
};

struct cv_recorder;

/* Opens its own store connection, starts the writer and reader threads.
 * Takes ownership of reader. inbox belongs to the caller and must outlive
 * the recorder. Returns 0 and *out, or a CV_E* code with err. */
int cv_recorder_start(const struct cv_config *cfg, struct cv_reader *reader, struct cv_queue *inbox,
                      struct cv_recorder **out, char *err, size_t errlen);

/* Asks for a write (UI thread; never blocks). answer_id NULL: none yet.
 * Returns CV_EFULL when the queue is full: the caller treats the write as
 * failed. */
int cv_recorder_submit_encounter(struct cv_recorder *rec, uint32_t write_id, int64_t person_a,
                                 int64_t person_b, int64_t a_tap_seq, int64_t b_tap_seq,
                                 const char *answer_id);
int cv_recorder_submit_answer(struct cv_recorder *rec, uint32_t write_id, int64_t b_tap_seq,
                              const char *answer_id);
/* A person's consent as chosen on screen (cv_store_record_consent);
 * answered with CV_INBOX_SAVED like the writes above. */
int cv_recorder_submit_consent(struct cv_recorder *rec, uint32_t write_id, int64_t person,
                               enum cv_consent consent, bool show_name, int64_t tap_seq);

/* Organiser enrolment and the zone, carried out on the writer thread in
 * order with the taps (UI thread; never block; CV_EFULL when the queue is
 * full). Each is answered in the inbox with its id: searches with
 * CV_INBOX_SEARCH, the others with CV_INBOX_ORG_DONE (ok false on any
 * failure, e.g. a badge bound to someone else). */
int cv_recorder_submit_search(struct cv_recorder *rec, uint32_t id, const char *query);
int cv_recorder_submit_bind(struct cv_recorder *rec, uint32_t id, const char *uid_hex,
                            int64_t person);
int cv_recorder_submit_unbind(struct cv_recorder *rec, uint32_t id, const char *uid_hex);
int cv_recorder_submit_revoke(struct cv_recorder *rec, uint32_t id, const char *uid_hex);
/* The zone written with every later tap and encounter (kept while the
 * kiosk runs; the configuration's zone again at the next start). */
int cv_recorder_submit_zone(struct cv_recorder *rec, uint32_t id, const char *zone);
/* The CSV export into a new folder under [organizer] export_dir. */
int cv_recorder_submit_export(struct cv_recorder *rec, uint32_t id);

#define CV_RECORDER_RESULTS_MAX 8

/* Copies up to max people of search id's results (after its
 * CV_INBOX_SEARCH) and returns how many, or -1 when a newer search has
 * replaced them. UI thread. */
int cv_recorder_take_results(struct cv_recorder *rec, uint32_t id, struct cv_flow_person *out,
                             int max);

/* A tap as if from the reader (the sim keys). Any thread. */
int cv_recorder_inject_tap(struct cv_recorder *rec, const char *uid_hex);

/* When the reader thread last came round its loop (cv_clock_mono_ms). A
 * backend call never blocks for long, so an old value means the reader
 * thread is wedged. Any thread. */
int64_t cv_recorder_reader_alive_ms(struct cv_recorder *rec);

/* Stops the reader (aborting its wait), drains and stops the writer, joins
 * both, closes the reader and the store, frees rec. */
void cv_recorder_stop(struct cv_recorder *rec);

#endif
