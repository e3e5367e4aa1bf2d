/* The sync protocol's codec: batches of records with the people they name,
 * the server's replies, and the bundle that carries batches by hand, to and
 * from JSON (docs/sync-protocol.md), plus the bounded gzip of request
 * bodies. Pure: no I/O, no clock, no logging; every size is bounded so a
 * hostile body costs at most the limits below. */
#ifndef CV_SYNC_CODEC_H
#define CV_SYNC_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cv_badge.h"
#include "cv_clock.h"
#include "cv_config.h"

#define CV_SYNC_PROTOCOL 1

#define CV_SYNC_RECORDS_MAX 1000 /* records in one batch */
#define CV_SYNC_PEOPLE_MAX 2500  /* people in one batch */
#define CV_SYNC_SKIPPED_MAX 1000 /* quarantined sequence numbers in one batch */
#define CV_SYNC_REJECTED_MAX 1000
#define CV_SYNC_BADGES_MAX 8        /* active badges of one person carried */
#define CV_SYNC_BODY_MAX (8u << 20) /* a decoded (uncompressed) JSON body */
#define CV_SYNC_WIRE_MAX (4u << 20) /* a request body as sent (compressed) */
#define CV_SYNC_TEXT_MAX 128        /* ndef ids, external ids, reasons' codes */
#define CV_SYNC_NAME_MAX 512        /* names, organizations, emails */
#define CV_SYNC_REASON_MAX 256      /* a refusal's reason */
#define CV_SYNC_BUNDLE_BATCHES_MAX 100000

enum cv_sync_kind {
	CV_SYNC_TAP,
	CV_SYNC_CHECKIN,
	CV_SYNC_ENCOUNTER,
	CV_SYNC_ANSWER,
	CV_SYNC_CLOCK_FIX, /* a trusted time learnt in the record's boot */
	CV_SYNC_CONSENT,   /* a consent chosen on the kiosk (its own series: consent_seq) */
};

struct cv_sync_clock {
	char boot_id[CV_BOOT_ID_LEN];
	int64_t mono_ms;
	int64_t wall_ms;
	bool wall_trusted;
};

/* One record as it travels. Person ids are the sending store's own ids;
 * the batch's people say who they are. Only the fields of kind are used;
 * the others are zero / empty. */
struct cv_sync_record {
	enum cv_sync_kind kind;
	int64_t seq; /* >= 1 */
	struct cv_sync_clock clock;
	char zone[CV_ID_MAX]; /* tap, checkin, encounter */
	/* tap */
	char uid[CV_UID_HEX_MAX];
	bool has_ndef_id;
	char ndef_id[CV_SYNC_TEXT_MAX];
	int64_t person; /* tap: 0 for nobody; checkin: the person */
	/* checkin */
	char day[11];
	int64_t tap_seq;
	/* encounter (person_a is `person`) */
	int64_t person_b;
	int64_t a_tap_seq;
	int64_t b_tap_seq;
	/* encounter (NULL allowed) and answer (required) */
	bool has_answer;
	char answer[CV_ID_MAX];
	/* answer */
	int64_t encounter_seq;
	/* clock fix: the trusted wall time at clock.mono_ms, and where it came
	 * from ("server", "ntp", "organizer") */
	int64_t trusted_wall_ms;
	char source[16];
	/* consent: person, tap_seq (0: none), what they chose, and the
	 * record's number in the kiosk's consent series (the consents table's
	 * own key; seq is its place in the upload sequence) */
	char consent[16]; /* "attendance" or "encounters" */
	bool show_name;
	int64_t consent_seq;
};

struct cv_sync_person {
	int64_t id; /* the sender's id, >= 1 */
	bool has_external_id;
	char external_id[CV_SYNC_TEXT_MAX];
	char name[CV_SYNC_NAME_MAX]; /* never empty */
	char organization[CV_SYNC_NAME_MAX];
	char role[16]; /* attendee, organizer or staff */
	bool has_email;
	char email[CV_SYNC_NAME_MAX];
	int64_t updated_wall_ms;
	int badge_count;
	char badges[CV_SYNC_BADGES_MAX][CV_UID_HEX_MAX];
};

/* A sequence number the sender holds in quarantine: the server counts it
 * as accounted for, so its acknowledgement can pass over it. */
struct cv_sync_skip {
	int64_t seq;
	char reason[CV_SYNC_REASON_MAX];
};

/* One request. Records are in strictly increasing sequence order; every
 * sequence number above the server's acknowledgement up to the batch's
 * last is either a record or a skip. Arrays are owned by the batch. */
struct cv_sync_batch {
	char kiosk_id[CV_ID_MAX];
	int64_t acked_seq; /* what the sender believes the server holds */
	struct cv_sync_record *records;
	size_t record_count;
	struct cv_sync_person *people;
	size_t person_count;
	struct cv_sync_skip *skipped;
	size_t skip_count;
};

struct cv_sync_rejection {
	int64_t seq;
	char reason[CV_SYNC_REASON_MAX];
};

/* The server's answer to a batch, for success and refusal alike. */
struct cv_sync_reply {
	bool ok;
	char error[32];                   /* when !ok: a code, see docs/sync-protocol.md */
	char message[CV_SYNC_REASON_MAX]; /* when !ok: one line for people */
	bool has_acked_seq;
	int64_t acked_seq;      /* the highest contiguous sequence the server accounts for */
	int64_t stored;         /* records newly stored by this batch */
	int64_t duplicates;     /* records it already held */
	int64_t server_time_ms; /* 0 when not given */
	struct cv_sync_rejection *rejected; /* owned; records refused for good */
	size_t rejected_count;
};

/* Allocates room for up to max_records records, max_people people and
 * max_skipped skips (counts start at 0). Returns 0 or CV_ENOMEM. */
int cv_sync_batch_init(struct cv_sync_batch *b, size_t max_records, size_t max_people,
                       size_t max_skipped);
/* Frees the arrays and zeroes b; safe on a zeroed or freed batch. */
void cv_sync_batch_free(struct cv_sync_batch *b);

/* Checks what the encoder and the server rely on: ids, kinds, non-empty
 * required fields, increasing sequence numbers, people named by records
 * present in people. Returns 0 or CV_EINVAL with err. */
int cv_sync_batch_validate(const struct cv_sync_batch *b, char *err, size_t errlen);

/* Checks one record of b as cv_sync_batch_validate does (its people must
 * be in b). Returns 0 or CV_EINVAL with err. */
int cv_sync_record_validate(const struct cv_sync_batch *b, const struct cv_sync_record *r,
                            char *err, size_t errlen);

/* Encodes a valid batch as compact JSON. *out is malloc'd, NUL-terminated,
 * owned by the caller. Returns 0, CV_EINVAL (invalid batch), CV_ETOOBIG
 * (over CV_SYNC_BODY_MAX) or CV_ENOMEM. */
int cv_sync_batch_encode(const struct cv_sync_batch *b, char **out, size_t *len);

/* Decodes and validates len bytes of JSON (need not be NUL-terminated).
 * On success *out owns its arrays (cv_sync_batch_free); on failure *out is
 * zeroed and err says what is wrong, naming the field. Returns 0,
 * CV_EINVAL, CV_ETOOBIG or CV_ENOMEM. */
int cv_sync_batch_decode(const char *json, size_t len, struct cv_sync_batch *out, char *err,
                         size_t errlen);

int cv_sync_reply_encode(const struct cv_sync_reply *r, char **out, size_t *len);
/* Decodes a reply; tolerant of unknown fields. Returns 0 or CV_EINVAL. */
int cv_sync_reply_decode(const char *json, size_t len, struct cv_sync_reply *out, char *err,
                         size_t errlen);
void cv_sync_reply_free(struct cv_sync_reply *r);

/* gzip (RFC 1952) of in; *out malloc'd. CV_ETOOBIG when the result would
 * exceed max_out. */
int cv_sync_gzip(const void *in, size_t len, size_t max_out, unsigned char **out, size_t *out_len);
/* Inflates gzip data; CV_ETOOBIG once the output would exceed max_out (a
 * "zip bomb" stops there), CV_EINVAL for corrupt or truncated data. *out
 * is malloc'd and NUL-terminated (not counted in *out_len). */
int cv_sync_gunzip(const void *in, size_t len, size_t max_out, unsigned char **out,
                   size_t *out_len);

const char *cv_sync_kind_name(enum cv_sync_kind kind);

#endif
