/* The reader interface: open, wait for the next event with a timeout, abort
 * a wait from another thread, close. Backends: "sim" (a script, or keys in
 * the window) and "nfc" (libnfc). A reader is used by one thread, its
 * reader thread; only cv_reader_abort and cv_reader_inject_tap may be
 * called from others. */
#ifndef CV_READER_H
#define CV_READER_H

#include <stddef.h>
#include <stdint.h>

#include "cv_badge.h"
#include "cv_config.h"
#include "cv_simscript.h"

enum cv_reader_event_kind {
	CV_READER_EV_PRESENT,     /* a badge came into the field */
	CV_READER_EV_REMOVED,     /* the badge left the field */
	CV_READER_EV_ONLINE,      /* the reader answers (again) */
	CV_READER_EV_OFFLINE,     /* the reader stopped answering or vanished */
	CV_READER_EV_PRESS,       /* sim script: a prompt option pressed */
	CV_READER_EV_TOUCH,       /* sim script: a touch at x, y */
	CV_READER_EV_SCRIPT_DONE, /* sim script: no more events */
};

#define CV_READER_TEXT_MAX 64

struct cv_reader_event {
	enum cv_reader_event_kind kind;
	int64_t mono_ms; /* when the backend saw it */
	uint8_t uid[CV_UID_MAX];
	size_t uid_len;
	char uid_hex[CV_UID_HEX_MAX];
	char card_type[CV_READER_TEXT_MAX]; /* e.g. "NTAG215", "MIFARE Classic 1K" */
	char ndef_id[CV_READER_TEXT_MAX];   /* attendee id from the badge's NDEF, "" if none */
	char option[CV_SIM_OPTION_MAX];     /* PRESS */
	int x, y;                           /* TOUCH */
	char detail[128];                   /* OFFLINE: why; ONLINE: device name and firmware */
	char ndef_info[160]; /* PRESENT (nfc): the NDEF records read, for reader-check */
};

struct cv_reader;

/* Opens the backend the config names. Returns 0 and *out, or a CV_E* code
 * with err saying why (the nfc backend opens lazily and reports OFFLINE
 * rather than failing here when the device is absent). */
int cv_reader_open(const struct cv_config *cfg, struct cv_reader **out, char *err, size_t errlen);

/* Waits up to timeout_ms for the next event. Returns 1 with *ev filled, 0 on
 * timeout, CV_ECLOSED after cv_reader_abort, or another CV_E* code. */
int cv_reader_next(struct cv_reader *reader, int timeout_ms, struct cv_reader_event *ev);

/* Makes a blocked or later cv_reader_next return CV_ECLOSED. Any thread. */
void cv_reader_abort(struct cv_reader *reader);

/* Sim only: a tap of uid_hex, as if a badge was presented and removed (the
 * window's number keys). Any thread. CV_EUNSUPPORTED for other backends. */
int cv_reader_inject_tap(struct cv_reader *reader, const char *uid_hex);

/* The backend's name, e.g. "sim" or "nfc". */
const char *cv_reader_name(const struct cv_reader *reader);

void cv_reader_close(struct cv_reader *reader);

#endif
