/* The recorder's two threads. The reader thread only waits on the reader
 * backend and hands what it sees to the writer. The writer thread owns the
 * one connection that writes records: it commits each tap (and its
 * check-in) before posting it to the UI inbox, and carries out the writes
 * the flow asks for. Queue policy: the intake queue blocks the reader when
 * full (a backlog of 256 reads cannot happen with human taps, and dropping
 * a read would lose a tap); the UI inbox blocks the writer likewise. */
#include "cv_recorder.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_clock.h"
#include "cv_durability.h"
#include "cv_error.h"
#include "cv_export.h"
#include "cv_log.h"
#include "cv_store.h"
#include "cv_organizer.h"
#include "cv_store_people.h"

#define CV_LOG_TAG "recorder"

#define INTAKE_CAPACITY 256
#define READER_WAIT_MS 500

enum intake_kind {
	INTAKE_READER,
	INTAKE_ENCOUNTER,
	INTAKE_ANSWER,
	INTAKE_CONSENT,
	INTAKE_SEARCH, /* text: the query */
	INTAKE_BIND,   /* text: the UID, person_a */
	INTAKE_UNBIND, /* text: the UID */
	INTAKE_REVOKE, /* text: the UID */
	INTAKE_ZONE,   /* text: the zone */
	INTAKE_EXPORT, /* the CSV export into a new folder of export_dir */
};

struct intake_item {
	enum intake_kind kind;
	struct cv_reader_event ev;
	uint32_t write_id;
	int64_t person_a, person_b, a_tap_seq, b_tap_seq;
	bool has_answer;
	char answer[CV_SIM_OPTION_MAX];
	enum cv_consent consent; /* INTAKE_CONSENT: for person_a, at a_tap_seq */
	bool show_name;
	char text[CV_ORG_QUERY_MAX]; /* the organiser requests' text */
};

struct cv_recorder {
	char zone[CV_ID_MAX];
	char kiosk_id[CV_ID_MAX];
	char export_dir[CV_PATH_MAX]; /* [organizer] export_dir: a USB stick */
	struct cv_reader *reader;
	struct cv_store *store;
	struct cv_durability *durability;
	struct cv_queue *intake;
	struct cv_queue *inbox;
	pthread_t reader_thread;
	pthread_t writer_thread;
	atomic_bool stopping;
	/* when the reader thread last came round its loop (monotonic ms) */
	_Atomic int64_t reader_alive_ms;
	/* the newest search's results, handed from the writer to the UI */
	pthread_mutex_t results_lock;
	uint32_t results_id;
	int results_count;
	struct cv_flow_person results[CV_RECORDER_RESULTS_MAX];
};

static void post(struct cv_recorder *rec, const struct cv_inbox_item *item)
{
	if (cv_queue_push(rec->inbox, item) != 0)
		cv_log_debug("UI inbox closed; dropping a notice of kind %d", (int)item->kind);
}

static void *reader_main(void *arg)
{
	struct cv_recorder *rec = arg;
	struct intake_item item;

	while (!atomic_load(&rec->stopping)) {
		atomic_store(&rec->reader_alive_ms, cv_clock_mono_ms());
		memset(&item, 0, sizeof item);
		item.kind = INTAKE_READER;
		int rc = cv_reader_next(rec->reader, READER_WAIT_MS, &item.ev);
		if (rc == CV_ECLOSED)
			break;
		if (rc < 0) {
			/* Backends report faults as OFFLINE events and recover by
			 * themselves; an error here is unexpected, so do not spin. */
			cv_log_warn("reader: %s", cv_strerror(rc));
			struct timespec pause = {.tv_sec = 0, .tv_nsec = 200000000L};
			nanosleep(&pause, NULL);
			continue;
		}
		if (rc == 0)
			continue;
		if (cv_queue_push(rec->intake, &item) != 0)
			break;
	}
	return NULL;
}

static void record_present(struct cv_recorder *rec, const struct cv_reader_event *ev)
{
	struct cv_inbox_item out = {.kind = CV_INBOX_TAP, .seen_mono_ms = ev->mono_ms};
	char esc[64];

	snprintf(out.tap.uid, sizeof out.tap.uid, "%s", ev->uid_hex);
	if (cv_badge_uid_is_random(ev->uid, ev->uid_len)) {
		/* A random UID names nobody: it is refused on screen and never
		 * stored, so it cannot become a person or a tap of one. */
		out.tap.random_uid = true;
		cv_log_info("refused a random-UID card %s", ev->uid_hex);
		post(rec, &out);
		return;
	}
	struct cv_stamp stamp = cv_clock_stamp();
	struct cv_tap_result res;
	int rc = cv_store_record_tap(rec->store, ev->uid_hex, ev->ndef_id[0] ? ev->ndef_id : NULL,
	                             rec->zone, &stamp, &res);
	if (rc != 0) {
		cv_log_error("could not record the tap of %s: %s", ev->uid_hex, cv_strerror(rc));
		out.kind = CV_INBOX_STORE_ERROR;
		snprintf(out.detail, sizeof out.detail, "%s", cv_strerror(rc));
		post(rec, &out);
		return;
	}
	cv_durability_poke(rec->durability);
	out.tap.tap_seq = res.tap_seq;
	out.tap.checked_in_now = res.checked_in_now;
	out.tap.person = res.person;
	if (!res.known)
		out.tap.person.id = 0;
	cv_log_debug("tap seq=%lld uid=%s person=%lld (%s)%s", (long long)res.tap_seq, ev->uid_hex,
	             (long long)out.tap.person.id,
	             cv_log_escape(out.tap.person.name, esc, sizeof esc),
	             res.checked_in_now ? " checked in" : "");
	/* When the reader saw the badge (CLOCK_BOOTTIME, like the app's
	 * "confirmed tap ... mono_ms=" line): the two give the kiosk's own
	 * detection-to-frame time (tests/bench/nfc_latency). */
	cv_log_debug("tap seq=%lld detected mono_ms=%lld", (long long)res.tap_seq,
	             (long long)ev->mono_ms);
	post(rec, &out);
}

static void record_write(struct cv_recorder *rec, const struct intake_item *item)
{
	struct cv_stamp stamp = cv_clock_stamp();
	int rc;

	if (item->kind == INTAKE_ENCOUNTER) {
		int64_t seq = 0;
		rc = cv_store_record_encounter(
		    rec->store, item->person_a, item->person_b, item->a_tap_seq, item->b_tap_seq,
		    item->has_answer ? item->answer : NULL, rec->zone, &stamp, &seq);
	} else if (item->kind == INTAKE_CONSENT) {
		int64_t seq = 0;
		rc = cv_store_record_consent(rec->store, item->person_a, item->consent,
		                             item->show_name, item->a_tap_seq, &stamp, &seq);
		if (rc == 0)
			cv_log_info("consent of person %lld: %s, name %s",
			            (long long)item->person_a, cv_consent_name(item->consent),
			            item->show_name ? "shown" : "not shown");
	} else {
		rc = cv_store_record_answer(rec->store, item->b_tap_seq, item->answer, &stamp);
	}
	if (rc == 0)
		cv_durability_poke(rec->durability);
	else
		cv_log_error(
		    "could not record the %s of tap %lld: %s",
		    item->kind == INTAKE_ENCOUNTER ? "encounter"
		    : item->kind == INTAKE_CONSENT ? "consent"
		                                   : "answer",
		    (long long)(item->kind == INTAKE_CONSENT ? item->a_tap_seq : item->b_tap_seq),
		    cv_strerror(rc));
	struct cv_inbox_item out = {
	    .kind = CV_INBOX_SAVED, .write_id = item->write_id, .ok = rc == 0};
	post(rec, &out);
}

/* Writes the CSV export into a new folder under the export directory (where
 * a USB stick is mounted), from the writer's own connection: the organiser
 * is at this kiosk meanwhile, so no tap waits behind it. */
static int record_export(struct cv_recorder *rec)
{
	char dir[CV_PATH_MAX + CV_ID_MAX + 64], err[256], day[11];
	struct cv_stamp now = cv_clock_stamp();

	cv_clock_local_date(now.wall_ms, day);
	snprintf(dir, sizeof dir, "%s/convene-%s-%s-%lld", rec->export_dir, rec->kiosk_id, day,
	         (long long)(now.wall_ms / 1000));
	int rc = cv_export_csv(rec->store, dir, err, sizeof err);
	if (rc != 0)
		cv_log_error("export to %s failed: %s", dir, err);
	else
		cv_log_info("exported to %s", dir);
	return rc;
}

/* Enrolment, the zone and the export: organiser requests, answered by id. */
static void record_request(struct cv_recorder *rec, const struct intake_item *item)
{
	struct cv_inbox_item out = {.kind = CV_INBOX_ORG_DONE, .write_id = item->write_id};
	int64_t wall = cv_clock_stamp().wall_ms;
	int rc = 0;

	switch (item->kind) {
	case INTAKE_SEARCH: {
		struct cv_flow_person found[CV_RECORDER_RESULTS_MAX];
		int n = 0;
		rc = cv_store_search_people(rec->store, item->text, found, CV_RECORDER_RESULTS_MAX,
		                            &n);
		if (rc != 0)
			cv_log_error("roster search failed: %s", cv_strerror(rc));
		pthread_mutex_lock(&rec->results_lock);
		rec->results_id = item->write_id;
		rec->results_count = n;
		memcpy(rec->results, found, (size_t)n * sizeof found[0]);
		pthread_mutex_unlock(&rec->results_lock);
		out.kind = CV_INBOX_SEARCH;
		break;
	}
	case INTAKE_BIND:
		rc = cv_store_bind_badge(rec->store, item->text, item->person_a, wall);
		break;
	case INTAKE_UNBIND: rc = cv_store_unbind_badge(rec->store, item->text, wall); break;
	case INTAKE_REVOKE: rc = cv_store_revoke_badge(rec->store, item->text, wall); break;
	case INTAKE_ZONE:
		if (item->text[0] == '\0' || strlen(item->text) >= sizeof rec->zone) {
			rc = CV_EINVAL;
			break;
		}
		cv_log_info("zone changed from %s to %s", rec->zone, item->text);
		snprintf(rec->zone, sizeof rec->zone, "%s", item->text);
		break;
	case INTAKE_EXPORT: rc = record_export(rec); break;
	default: rc = CV_EINVAL; break;
	}
	if (rc == 0 && item->kind != INTAKE_SEARCH && item->kind != INTAKE_ZONE &&
	    item->kind != INTAKE_EXPORT)
		cv_durability_poke(rec->durability);
	if (rc != 0 && item->kind != INTAKE_SEARCH)
		cv_log_warn("organiser request %d failed: %s", (int)item->kind, cv_strerror(rc));
	out.ok = rc == 0;
	snprintf(out.detail, sizeof out.detail, "%s", rc == 0 ? "" : cv_strerror(rc));
	post(rec, &out);
}

static void *writer_main(void *arg)
{
	struct cv_recorder *rec = arg;
	struct intake_item item;

	while (cv_queue_pop(rec->intake, &item, -1) == 1) {
		if (item.kind >= INTAKE_SEARCH) {
			record_request(rec, &item);
			continue;
		}
		if (item.kind != INTAKE_READER) {
			record_write(rec, &item);
			continue;
		}
		struct cv_inbox_item out = {.kind = CV_INBOX_READER,
		                            .seen_mono_ms = item.ev.mono_ms};
		switch (item.ev.kind) {
		case CV_READER_EV_PRESENT: record_present(rec, &item.ev); break;
		case CV_READER_EV_REMOVED: break;
		case CV_READER_EV_ONLINE:
		case CV_READER_EV_OFFLINE:
			out.online = item.ev.kind == CV_READER_EV_ONLINE;
			snprintf(out.detail, sizeof out.detail, "%s", item.ev.detail);
			post(rec, &out);
			break;
		case CV_READER_EV_PRESS:
			out.kind = CV_INBOX_PRESS;
			snprintf(out.option, sizeof out.option, "%s", item.ev.option);
			post(rec, &out);
			break;
		case CV_READER_EV_TOUCH:
			out.kind = CV_INBOX_TOUCH;
			out.x = item.ev.x;
			out.y = item.ev.y;
			post(rec, &out);
			break;
		case CV_READER_EV_SCRIPT_DONE:
			out.kind = CV_INBOX_SCRIPT_DONE;
			post(rec, &out);
			break;
		}
	}
	return NULL;
}

int cv_recorder_start(const struct cv_config *cfg, struct cv_reader *reader, struct cv_queue *inbox,
                      struct cv_recorder **out, char *err, size_t errlen)
{
	*out = NULL;
	struct cv_recorder *rec = calloc(1, sizeof *rec);
	if (!rec) {
		cv_reader_close(reader);
		return CV_ENOMEM;
	}
	snprintf(rec->zone, sizeof rec->zone, "%s", cfg->zone);
	snprintf(rec->kiosk_id, sizeof rec->kiosk_id, "%s", cfg->kiosk_id);
	snprintf(rec->export_dir, sizeof rec->export_dir, "%s", cfg->organizer_export_dir);
	pthread_mutex_init(&rec->results_lock, NULL);
	rec->reader = reader;
	rec->inbox = inbox;
	int rc = cv_store_open(cfg->store_path, cfg->kiosk_id, &rec->store, err, errlen);
	if (rc != 0)
		goto fail_store;
	rc = cv_durability_start(cfg->store_path, cfg->kiosk_id, &rec->durability);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the durability thread: %s", cv_strerror(rc));
		goto fail_durability;
	}
	rc = cv_queue_create(sizeof(struct intake_item), INTAKE_CAPACITY, NULL, NULL, &rec->intake);
	if (rc != 0)
		goto fail_queue;
	if (pthread_create(&rec->writer_thread, NULL, writer_main, rec) != 0) {
		rc = CV_ENOMEM;
		goto fail_writer;
	}
	atomic_store(&rec->reader_alive_ms, cv_clock_mono_ms());
	if (pthread_create(&rec->reader_thread, NULL, reader_main, rec) != 0) {
		rc = CV_ENOMEM;
		goto fail_reader;
	}
	*out = rec;
	return 0;

fail_reader:
	cv_queue_close(rec->intake);
	pthread_join(rec->writer_thread, NULL);
fail_writer:
	cv_queue_destroy(rec->intake);
fail_queue:
	cv_durability_stop(rec->durability);
fail_durability:
	cv_store_close(rec->store);
fail_store:
	cv_reader_close(reader);
	pthread_mutex_destroy(&rec->results_lock);
	free(rec);
	return rc;
}

int cv_recorder_submit_encounter(struct cv_recorder *rec, uint32_t write_id, int64_t person_a,
                                 int64_t person_b, int64_t a_tap_seq, int64_t b_tap_seq,
                                 const char *answer_id)
{
	struct intake_item item = {.kind = INTAKE_ENCOUNTER,
	                           .write_id = write_id,
	                           .person_a = person_a,
	                           .person_b = person_b,
	                           .a_tap_seq = a_tap_seq,
	                           .b_tap_seq = b_tap_seq,
	                           .has_answer = answer_id != NULL};
	if (answer_id)
		snprintf(item.answer, sizeof item.answer, "%s", answer_id);
	return cv_queue_try_push(rec->intake, &item);
}

int cv_recorder_submit_answer(struct cv_recorder *rec, uint32_t write_id, int64_t b_tap_seq,
                              const char *answer_id)
{
	struct intake_item item = {.kind = INTAKE_ANSWER,
	                           .write_id = write_id,
	                           .b_tap_seq = b_tap_seq,
	                           .has_answer = true};
	snprintf(item.answer, sizeof item.answer, "%s", answer_id);
	return cv_queue_try_push(rec->intake, &item);
}

int cv_recorder_submit_consent(struct cv_recorder *rec, uint32_t write_id, int64_t person,
                               enum cv_consent consent, bool show_name, int64_t tap_seq)
{
	struct intake_item item = {.kind = INTAKE_CONSENT,
	                           .write_id = write_id,
	                           .person_a = person,
	                           .a_tap_seq = tap_seq,
	                           .consent = consent,
	                           .show_name = show_name};
	return cv_queue_try_push(rec->intake, &item);
}

static int submit_request(struct cv_recorder *rec, enum intake_kind kind, uint32_t id,
                          const char *text, int64_t person)
{
	struct intake_item item = {.kind = kind, .write_id = id, .person_a = person};
	snprintf(item.text, sizeof item.text, "%s", text ? text : "");
	return cv_queue_try_push(rec->intake, &item);
}

int cv_recorder_submit_search(struct cv_recorder *rec, uint32_t id, const char *query)
{
	return submit_request(rec, INTAKE_SEARCH, id, query, 0);
}

int cv_recorder_submit_bind(struct cv_recorder *rec, uint32_t id, const char *uid_hex,
                            int64_t person)
{
	return submit_request(rec, INTAKE_BIND, id, uid_hex, person);
}

int cv_recorder_submit_unbind(struct cv_recorder *rec, uint32_t id, const char *uid_hex)
{
	return submit_request(rec, INTAKE_UNBIND, id, uid_hex, 0);
}

int cv_recorder_submit_revoke(struct cv_recorder *rec, uint32_t id, const char *uid_hex)
{
	return submit_request(rec, INTAKE_REVOKE, id, uid_hex, 0);
}

int cv_recorder_submit_zone(struct cv_recorder *rec, uint32_t id, const char *zone)
{
	return submit_request(rec, INTAKE_ZONE, id, zone, 0);
}

int cv_recorder_submit_export(struct cv_recorder *rec, uint32_t id)
{
	return submit_request(rec, INTAKE_EXPORT, id, NULL, 0);
}

int cv_recorder_take_results(struct cv_recorder *rec, uint32_t id, struct cv_flow_person *out,
                             int max)
{
	int n = -1;

	pthread_mutex_lock(&rec->results_lock);
	if (rec->results_id == id) {
		n = rec->results_count < max ? rec->results_count : max;
		memcpy(out, rec->results, (size_t)(n > 0 ? n : 0) * sizeof out[0]);
	}
	pthread_mutex_unlock(&rec->results_lock);
	return n;
}

int64_t cv_recorder_reader_alive_ms(struct cv_recorder *rec)
{
	return atomic_load(&rec->reader_alive_ms);
}

int cv_recorder_inject_tap(struct cv_recorder *rec, const char *uid_hex)
{
	return cv_reader_inject_tap(rec->reader, uid_hex);
}

void cv_recorder_stop(struct cv_recorder *rec)
{
	if (!rec)
		return;
	atomic_store(&rec->stopping, true);
	cv_reader_abort(rec->reader);
	pthread_join(rec->reader_thread, NULL);
	/* The writer drains what the reader already handed over, so a badge
	 * seen just before shutdown is still recorded. */
	cv_queue_close(rec->intake);
	pthread_join(rec->writer_thread, NULL);
	cv_queue_destroy(rec->intake);
	cv_durability_stop(rec->durability);
	cv_store_close(rec->store);
	cv_reader_close(rec->reader);
	pthread_mutex_destroy(&rec->results_lock);
	free(rec);
}
