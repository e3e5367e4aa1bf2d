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
#include "cv_log.h"
#include "cv_store.h"

#define CV_LOG_TAG "recorder"

#define INTAKE_CAPACITY 256
#define READER_WAIT_MS 500

enum intake_kind { INTAKE_READER, INTAKE_ENCOUNTER, INTAKE_ANSWER };

struct intake_item {
	enum intake_kind kind;
	struct cv_reader_event ev;
	uint32_t write_id;
	int64_t person_a, person_b, a_tap_seq, b_tap_seq;
	bool has_answer;
	char answer[CV_SIM_OPTION_MAX];
};

struct cv_recorder {
	char zone[CV_ID_MAX];
	struct cv_reader *reader;
	struct cv_store *store;
	struct cv_durability *durability;
	struct cv_queue *intake;
	struct cv_queue *inbox;
	pthread_t reader_thread;
	pthread_t writer_thread;
	atomic_bool stopping;
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
	cv_log_debug("tap seq=%lld uid=%s person=%lld (%s)%s", (long long)res.tap_seq,
		     ev->uid_hex, (long long)out.tap.person.id,
		     cv_log_escape(out.tap.person.name, esc, sizeof esc),
		     res.checked_in_now ? " checked in" : "");
	post(rec, &out);
}

static void record_write(struct cv_recorder *rec, const struct intake_item *item)
{
	struct cv_stamp stamp = cv_clock_stamp();
	int rc;

	if (item->kind == INTAKE_ENCOUNTER) {
		int64_t seq = 0;
		rc = cv_store_record_encounter(rec->store, item->person_a, item->person_b,
					       item->a_tap_seq, item->b_tap_seq,
					       item->has_answer ? item->answer : NULL, rec->zone,
					       &stamp, &seq);
	} else {
		rc = cv_store_record_answer(rec->store, item->b_tap_seq, item->answer, &stamp);
	}
	if (rc == 0)
		cv_durability_poke(rec->durability);
	else
		cv_log_error("could not record the %s of tap %lld: %s",
			     item->kind == INTAKE_ENCOUNTER ? "encounter" : "answer",
			     (long long)item->b_tap_seq, cv_strerror(rc));
	struct cv_inbox_item out = {
		.kind = CV_INBOX_SAVED, .write_id = item->write_id, .ok = rc == 0};
	post(rec, &out);
}

static void *writer_main(void *arg)
{
	struct cv_recorder *rec = arg;
	struct intake_item item;

	while (cv_queue_pop(rec->intake, &item, -1) == 1) {
		if (item.kind != INTAKE_READER) {
			record_write(rec, &item);
			continue;
		}
		struct cv_inbox_item out = {.kind = CV_INBOX_READER, .seen_mono_ms = item.ev.mono_ms};
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

int cv_recorder_start(const struct cv_config *cfg, struct cv_reader *reader,
		      struct cv_queue *inbox, struct cv_recorder **out, char *err, size_t errlen)
{
	*out = NULL;
	struct cv_recorder *rec = calloc(1, sizeof *rec);
	if (!rec) {
		cv_reader_close(reader);
		return CV_ENOMEM;
	}
	snprintf(rec->zone, sizeof rec->zone, "%s", cfg->zone);
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
	struct intake_item item = {
		.kind = INTAKE_ANSWER, .write_id = write_id, .b_tap_seq = b_tap_seq,
		.has_answer = true};
	snprintf(item.answer, sizeof item.answer, "%s", answer_id);
	return cv_queue_try_push(rec->intake, &item);
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
	free(rec);
}
