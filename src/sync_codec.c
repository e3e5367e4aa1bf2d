/* The sync protocol's codec: batches, replies and gzip, to and from bytes.
 * Everything outside data passes through cv_sync_batch_decode, which checks
 * every type, size and range before the store sees a field. Pure: no I/O,
 * no clock, no logging. docs/sync-protocol.md is the contract. */
#include "cv_sync_codec.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cv_error.h"

static void codec_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void codec_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static const char *const kind_names[] = {
    [CV_SYNC_TAP] = "tap",
    [CV_SYNC_CHECKIN] = "checkin",
    [CV_SYNC_ENCOUNTER] = "encounter",
    [CV_SYNC_ANSWER] = "answer",
    [CV_SYNC_CLOCK_FIX] = "clock_fix",
    [CV_SYNC_CONSENT] = "consent",
};
#define KIND_COUNT (sizeof kind_names / sizeof kind_names[0])

const char *cv_sync_kind_name(enum cv_sync_kind kind)
{
	return (unsigned)kind < KIND_COUNT ? kind_names[kind] : "unknown";
}

int cv_sync_batch_init(struct cv_sync_batch *b, size_t max_records, size_t max_people,
                       size_t max_skipped)
{
	memset(b, 0, sizeof *b);
	b->records = calloc(max_records ? max_records : 1, sizeof *b->records);
	b->people = calloc(max_people ? max_people : 1, sizeof *b->people);
	b->skipped = calloc(max_skipped ? max_skipped : 1, sizeof *b->skipped);
	if (!b->records || !b->people || !b->skipped) {
		cv_sync_batch_free(b);
		return CV_ENOMEM;
	}
	return 0;
}

void cv_sync_batch_free(struct cv_sync_batch *b)
{
	if (!b)
		return;
	free(b->records);
	free(b->people);
	free(b->skipped);
	memset(b, 0, sizeof *b);
}

void cv_sync_reply_free(struct cv_sync_reply *r)
{
	if (!r)
		return;
	free(r->rejected);
	memset(r, 0, sizeof *r);
}

/* ---- validation ---- */

static bool id_ok(const char *s)
{
	if (!*s)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return false;
	return true;
}

static bool hex_ok(const char *s)
{
	if (!*s)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'F')))
			return false;
	return true;
}

static bool day_ok(const char *d)
{
	for (int i = 0; i < 10; i++) {
		bool digit = d[i] >= '0' && d[i] <= '9';
		if ((i == 4 || i == 7) ? d[i] != '-' : !digit)
			return false;
	}
	return d[10] == '\0';
}

static bool role_ok(const char *r)
{
	return strcmp(r, "attendee") == 0 || strcmp(r, "organizer") == 0 || strcmp(r, "staff") == 0;
}

/* Text that goes into the store and back out to logs and CSV: no control
 * characters (UTF-8 bytes >= 0x80 are fine). */
static bool text_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static bool has_person(const struct cv_sync_batch *b, int64_t id)
{
	for (size_t i = 0; i < b->person_count; i++)
		if (b->people[i].id == id)
			return true;
	return false;
}

int cv_sync_record_validate(const struct cv_sync_batch *b, const struct cv_sync_record *r,
                            char *err, size_t errlen)
{
	if ((unsigned)r->kind >= KIND_COUNT) {
		codec_err(err, errlen, "unknown kind");
		return CV_EINVAL;
	}
	if (!r->clock.boot_id[0] || !text_ok(r->clock.boot_id) || r->clock.mono_ms < 0) {
		codec_err(err, errlen, "bad clock");
		return CV_EINVAL;
	}
	bool zoned =
	    r->kind == CV_SYNC_TAP || r->kind == CV_SYNC_CHECKIN || r->kind == CV_SYNC_ENCOUNTER;
	if (zoned && !id_ok(r->zone)) {
		codec_err(err, errlen, "bad zone");
		return CV_EINVAL;
	}
	switch (r->kind) {
	case CV_SYNC_TAP:
		if (!hex_ok(r->uid) || (r->has_ndef_id && !text_ok(r->ndef_id)) || r->person < 0 ||
		    (r->person > 0 && !has_person(b, r->person))) {
			codec_err(err, errlen, "bad tap (uid, ndef_id or person)");
			return CV_EINVAL;
		}
		break;
	case CV_SYNC_CHECKIN:
		if (r->person <= 0 || !has_person(b, r->person) || !day_ok(r->day) ||
		    r->tap_seq <= 0 || r->tap_seq >= r->seq) {
			codec_err(err, errlen, "bad checkin (person, day or tap_seq)");
			return CV_EINVAL;
		}
		break;
	case CV_SYNC_ENCOUNTER:
		if (r->person <= 0 || r->person_b <= 0 || !has_person(b, r->person) ||
		    !has_person(b, r->person_b) || r->a_tap_seq <= 0 || r->b_tap_seq <= 0 ||
		    r->a_tap_seq >= r->seq || r->b_tap_seq >= r->seq ||
		    (r->has_answer && !id_ok(r->answer))) {
			codec_err(err, errlen, "bad encounter (people, tap sequences or answer)");
			return CV_EINVAL;
		}
		break;
	case CV_SYNC_ANSWER:
		if (!r->has_answer || !id_ok(r->answer) || r->encounter_seq <= 0 ||
		    r->encounter_seq >= r->seq) {
			codec_err(err, errlen, "bad answer (encounter_seq or answer)");
			return CV_EINVAL;
		}
		break;
	case CV_SYNC_CLOCK_FIX:
		if (r->trusted_wall_ms <= 0 || !id_ok(r->source)) {
			codec_err(err, errlen, "bad clock_fix (trusted_wall_ms or source)");
			return CV_EINVAL;
		}
		break;
	case CV_SYNC_CONSENT:
		if (r->person <= 0 || !has_person(b, r->person) || r->consent_seq <= 0 ||
		    r->tap_seq < 0 || r->tap_seq >= r->seq ||
		    (strcmp(r->consent, "attendance") != 0 &&
		     strcmp(r->consent, "encounters") != 0)) {
			codec_err(err, errlen,
			          "bad consent (person, consent, tap_seq or consent_seq)");
			return CV_EINVAL;
		}
		break;
	}
	return 0;
}

int cv_sync_batch_validate(const struct cv_sync_batch *b, char *err, size_t errlen)
{
	char why[160];

	if (!id_ok(b->kiosk_id)) {
		codec_err(err, errlen, "kiosk_id must be letters, digits, '.', '_' or '-'");
		return CV_EINVAL;
	}
	if (b->acked_seq < 0) {
		codec_err(err, errlen, "acked_seq must not be negative");
		return CV_EINVAL;
	}
	if (b->record_count > CV_SYNC_RECORDS_MAX || b->person_count > CV_SYNC_PEOPLE_MAX ||
	    b->skip_count > CV_SYNC_SKIPPED_MAX) {
		codec_err(err, errlen, "too many records, people or skips in one batch");
		return CV_ETOOBIG;
	}
	for (size_t i = 0; i < b->person_count; i++) {
		const struct cv_sync_person *p = &b->people[i];
		bool ok = p->id > 0 && p->name[0] && text_ok(p->name) && text_ok(p->organization) &&
		          role_ok(p->role) &&
		          (!p->has_external_id || (p->external_id[0] && text_ok(p->external_id))) &&
		          (!p->has_email || (p->email[0] && text_ok(p->email))) &&
		          p->badge_count >= 0 && p->badge_count <= CV_SYNC_BADGES_MAX;
		for (int k = 0; ok && k < p->badge_count; k++)
			ok = hex_ok(p->badges[k]);
		for (size_t j = 0; ok && j < i; j++)
			ok = b->people[j].id != p->id;
		if (!ok) {
			codec_err(err, errlen, "people[%zu]: bad or repeated person", i);
			return CV_EINVAL;
		}
	}
	int64_t last = 0;
	for (size_t i = 0; i < b->record_count; i++) {
		const struct cv_sync_record *r = &b->records[i];
		if (r->seq <= last) {
			codec_err(err, errlen,
			          "records[%zu]: seq must be at least 1 and increasing", i);
			return CV_EINVAL;
		}
		last = r->seq;
		if (cv_sync_record_validate(b, r, why, sizeof why) != 0) {
			codec_err(err, errlen, "records[%zu] (seq %lld): %s", i, (long long)r->seq,
			          why);
			return CV_EINVAL;
		}
	}
	last = 0;
	for (size_t i = 0; i < b->skip_count; i++) {
		if (b->skipped[i].seq <= last || !text_ok(b->skipped[i].reason)) {
			codec_err(err, errlen, "skipped[%zu]: seq must be increasing", i);
			return CV_EINVAL;
		}
		last = b->skipped[i].seq;
	}
	return 0;
}

/* ---- encoding ---- */

/* json_object_set_new that remembers a failure, so a run of sets is
 * checked once. */
static void put(json_t *obj, const char *key, json_t *v, bool *ok)
{
	if (!v || json_object_set_new(obj, key, v) != 0)
		*ok = false;
}

static json_t *text_or_null(bool has, const char *s)
{
	return has ? json_string(s) : json_null();
}

static json_t *record_to_json(const struct cv_sync_record *r)
{
	json_t *o = json_object();
	bool ok = o != NULL;
	if (!ok)
		return NULL;
	put(o, "seq", json_integer(r->seq), &ok);
	put(o, "kind", json_string(cv_sync_kind_name(r->kind)), &ok);
	put(o, "boot_id", json_string(r->clock.boot_id), &ok);
	put(o, "mono_ms", json_integer(r->clock.mono_ms), &ok);
	put(o, "wall_ms", json_integer(r->clock.wall_ms), &ok);
	put(o, "wall_trusted", json_boolean(r->clock.wall_trusted), &ok);
	switch (r->kind) {
	case CV_SYNC_TAP:
		put(o, "zone", json_string(r->zone), &ok);
		put(o, "uid", json_string(r->uid), &ok);
		put(o, "ndef_id", text_or_null(r->has_ndef_id, r->ndef_id), &ok);
		put(o, "person", r->person > 0 ? json_integer(r->person) : json_null(), &ok);
		break;
	case CV_SYNC_CHECKIN:
		put(o, "zone", json_string(r->zone), &ok);
		put(o, "person", json_integer(r->person), &ok);
		put(o, "day", json_string(r->day), &ok);
		put(o, "tap_seq", json_integer(r->tap_seq), &ok);
		break;
	case CV_SYNC_ENCOUNTER:
		put(o, "zone", json_string(r->zone), &ok);
		put(o, "person_a", json_integer(r->person), &ok);
		put(o, "person_b", json_integer(r->person_b), &ok);
		put(o, "a_tap_seq", json_integer(r->a_tap_seq), &ok);
		put(o, "b_tap_seq", json_integer(r->b_tap_seq), &ok);
		put(o, "answer", text_or_null(r->has_answer, r->answer), &ok);
		break;
	case CV_SYNC_ANSWER:
		put(o, "encounter_seq", json_integer(r->encounter_seq), &ok);
		put(o, "answer", json_string(r->answer), &ok);
		break;
	case CV_SYNC_CLOCK_FIX:
		put(o, "trusted_wall_ms", json_integer(r->trusted_wall_ms), &ok);
		put(o, "source", json_string(r->source), &ok);
		break;
	case CV_SYNC_CONSENT:
		put(o, "person", json_integer(r->person), &ok);
		put(o, "consent", json_string(r->consent), &ok);
		put(o, "show_name", json_boolean(r->show_name), &ok);
		put(o, "tap_seq", r->tap_seq > 0 ? json_integer(r->tap_seq) : json_null(), &ok);
		put(o, "consent_seq", json_integer(r->consent_seq), &ok);
		break;
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *person_to_json(const struct cv_sync_person *p)
{
	json_t *o = json_object();
	json_t *badges = json_array();
	bool ok = o && badges;
	if (!ok) {
		json_decref(o);
		json_decref(badges);
		return NULL;
	}
	for (int i = 0; i < p->badge_count; i++)
		if (json_array_append_new(badges, json_string(p->badges[i])) != 0)
			ok = false;
	put(o, "id", json_integer(p->id), &ok);
	put(o, "external_id", text_or_null(p->has_external_id, p->external_id), &ok);
	put(o, "name", json_string(p->name), &ok);
	put(o, "organization", json_string(p->organization), &ok);
	put(o, "role", json_string(p->role), &ok);
	put(o, "email", text_or_null(p->has_email, p->email), &ok);
	put(o, "updated_wall_ms", json_integer(p->updated_wall_ms), &ok);
	put(o, "badges", badges, &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int dump(json_t *root, char **out, size_t *len)
{
	char *text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!text)
		return CV_ENOMEM;
	size_t n = strlen(text);
	if (n > CV_SYNC_BODY_MAX) {
		free(text);
		return CV_ETOOBIG;
	}
	*out = text;
	*len = n;
	return 0;
}

int cv_sync_batch_encode(const struct cv_sync_batch *b, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	int rc = cv_sync_batch_validate(b, NULL, 0);
	if (rc != 0)
		return rc;
	json_t *root = json_object();
	json_t *records = json_array(), *people = json_array(), *skipped = json_array();
	bool ok = root && records && people && skipped;
	if (!ok) {
		json_decref(root);
		json_decref(records);
		json_decref(people);
		json_decref(skipped);
		return CV_ENOMEM;
	}
	for (size_t i = 0; ok && i < b->record_count; i++)
		ok = json_array_append_new(records, record_to_json(&b->records[i])) == 0;
	for (size_t i = 0; ok && i < b->person_count; i++)
		ok = json_array_append_new(people, person_to_json(&b->people[i])) == 0;
	for (size_t i = 0; ok && i < b->skip_count; i++) {
		json_t *s = json_pack("{s:I, s:s}", "seq", (json_int_t)b->skipped[i].seq, "reason",
		                      b->skipped[i].reason);
		ok = json_array_append_new(skipped, s) == 0;
	}
	put(root, "protocol", json_integer(CV_SYNC_PROTOCOL), &ok);
	put(root, "kiosk_id", json_string(b->kiosk_id), &ok);
	put(root, "acked_seq", json_integer(b->acked_seq), &ok);
	put(root, "people", people, &ok);
	put(root, "records", records, &ok);
	put(root, "skipped", skipped, &ok);
	if (!ok) {
		json_decref(root);
		return CV_ENOMEM;
	}
	return dump(root, out, len);
}

/* ---- decoding ---- */

/* Reads one field of an object with its type and bounds checked; each
 * getter writes why into the context on the first failure and the rest do
 * nothing, so a decoder reads straight through and checks once. */
struct rd {
	char *err;
	size_t errlen;
	const char *where; /* "records[3]" */
	bool failed;
};

static void rd_fail(struct rd *rd, const char *key, const char *why)
{
	if (rd->failed)
		return;
	rd->failed = true;
	codec_err(rd->err, rd->errlen, "%s%s%s: %s", rd->where, rd->where[0] ? "." : "", key, why);
}

static int64_t rd_int(struct rd *rd, json_t *o, const char *key, int64_t lo, int64_t hi)
{
	json_t *v = json_object_get(o, key);
	if (rd->failed)
		return 0;
	if (!v) {
		rd_fail(rd, key, "missing");
		return 0;
	}
	if (!json_is_integer(v)) {
		rd_fail(rd, key, "must be a whole number");
		return 0;
	}
	json_int_t n = json_integer_value(v);
	if (n < lo || n > hi) {
		rd_fail(rd, key, "out of range");
		return 0;
	}
	return (int64_t)n;
}

/* Optional integer: null or absent gives 0. */
static int64_t rd_int_opt(struct rd *rd, json_t *o, const char *key, int64_t lo, int64_t hi)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	return rd_int(rd, o, key, lo, hi);
}

static bool rd_bool(struct rd *rd, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (rd->failed)
		return false;
	if (!json_is_boolean(v)) {
		rd_fail(rd, key, v ? "must be true or false" : "missing");
		return false;
	}
	return json_is_true(v);
}

/* A string into dst[size]; nullable: JSON null (or absence) sets *has
 * false. Strings with a NUL inside are refused. */
static void rd_text(struct rd *rd, json_t *o, const char *key, char *dst, size_t size,
                    bool nullable, bool *has)
{
	json_t *v = json_object_get(o, key);
	dst[0] = '\0';
	if (has)
		*has = false;
	if (rd->failed)
		return;
	if ((!v || json_is_null(v)) && nullable)
		return;
	if (!json_is_string(v)) {
		rd_fail(rd, key, v ? "must be a string" : "missing");
		return;
	}
	size_t n = json_string_length(v);
	if (n >= size) {
		char why[48];
		snprintf(why, sizeof why, "too long (max %zu bytes)", size - 1);
		rd_fail(rd, key, why);
		return;
	}
	const char *s = json_string_value(v);
	if (strlen(s) != n) {
		rd_fail(rd, key, "must not contain NUL");
		return;
	}
	memcpy(dst, s, n + 1);
	if (has)
		*has = true;
}

#define SEQ_MAX ((int64_t)1 << 53)
#define MS_MAX ((int64_t)1 << 53)

static void rd_clock(struct rd *rd, json_t *o, struct cv_sync_clock *c)
{
	rd_text(rd, o, "boot_id", c->boot_id, sizeof c->boot_id, false, NULL);
	c->mono_ms = rd_int(rd, o, "mono_ms", 0, MS_MAX);
	c->wall_ms = rd_int(rd, o, "wall_ms", -MS_MAX, MS_MAX);
	c->wall_trusted = rd_bool(rd, o, "wall_trusted");
}

static void rd_record(struct rd *rd, json_t *o, struct cv_sync_record *r)
{
	char kind[16];
	memset(r, 0, sizeof *r);
	if (!json_is_object(o)) {
		rd_fail(rd, "", "must be an object");
		return;
	}
	r->seq = rd_int(rd, o, "seq", 1, SEQ_MAX);
	rd_text(rd, o, "kind", kind, sizeof kind, false, NULL);
	if (rd->failed)
		return;
	size_t k = 0;
	while (k < KIND_COUNT && strcmp(kind, kind_names[k]) != 0)
		k++;
	if (k == KIND_COUNT) {
		rd_fail(rd, "kind", "unknown kind");
		return;
	}
	r->kind = (enum cv_sync_kind)k;
	rd_clock(rd, o, &r->clock);
	switch (r->kind) {
	case CV_SYNC_TAP:
		rd_text(rd, o, "zone", r->zone, sizeof r->zone, false, NULL);
		rd_text(rd, o, "uid", r->uid, sizeof r->uid, false, NULL);
		rd_text(rd, o, "ndef_id", r->ndef_id, sizeof r->ndef_id, true, &r->has_ndef_id);
		r->person = rd_int_opt(rd, o, "person", 1, SEQ_MAX);
		break;
	case CV_SYNC_CHECKIN:
		rd_text(rd, o, "zone", r->zone, sizeof r->zone, false, NULL);
		r->person = rd_int(rd, o, "person", 1, SEQ_MAX);
		rd_text(rd, o, "day", r->day, sizeof r->day, false, NULL);
		r->tap_seq = rd_int(rd, o, "tap_seq", 1, SEQ_MAX);
		break;
	case CV_SYNC_ENCOUNTER:
		rd_text(rd, o, "zone", r->zone, sizeof r->zone, false, NULL);
		r->person = rd_int(rd, o, "person_a", 1, SEQ_MAX);
		r->person_b = rd_int(rd, o, "person_b", 1, SEQ_MAX);
		r->a_tap_seq = rd_int(rd, o, "a_tap_seq", 1, SEQ_MAX);
		r->b_tap_seq = rd_int(rd, o, "b_tap_seq", 1, SEQ_MAX);
		rd_text(rd, o, "answer", r->answer, sizeof r->answer, true, &r->has_answer);
		break;
	case CV_SYNC_ANSWER:
		r->encounter_seq = rd_int(rd, o, "encounter_seq", 1, SEQ_MAX);
		rd_text(rd, o, "answer", r->answer, sizeof r->answer, false, &r->has_answer);
		break;
	case CV_SYNC_CLOCK_FIX:
		r->trusted_wall_ms = rd_int(rd, o, "trusted_wall_ms", 1, MS_MAX);
		rd_text(rd, o, "source", r->source, sizeof r->source, false, NULL);
		break;
	case CV_SYNC_CONSENT:
		r->person = rd_int(rd, o, "person", 1, SEQ_MAX);
		rd_text(rd, o, "consent", r->consent, sizeof r->consent, false, NULL);
		r->show_name = rd_bool(rd, o, "show_name");
		r->tap_seq = rd_int_opt(rd, o, "tap_seq", 1, SEQ_MAX);
		r->consent_seq = rd_int(rd, o, "consent_seq", 1, SEQ_MAX);
		break;
	}
}

static void rd_person(struct rd *rd, json_t *o, struct cv_sync_person *p)
{
	memset(p, 0, sizeof *p);
	if (!json_is_object(o)) {
		rd_fail(rd, "", "must be an object");
		return;
	}
	p->id = rd_int(rd, o, "id", 1, SEQ_MAX);
	rd_text(rd, o, "external_id", p->external_id, sizeof p->external_id, true,
	        &p->has_external_id);
	rd_text(rd, o, "name", p->name, sizeof p->name, false, NULL);
	rd_text(rd, o, "organization", p->organization, sizeof p->organization, false, NULL);
	rd_text(rd, o, "role", p->role, sizeof p->role, false, NULL);
	rd_text(rd, o, "email", p->email, sizeof p->email, true, &p->has_email);
	p->updated_wall_ms = rd_int(rd, o, "updated_wall_ms", -MS_MAX, MS_MAX);
	json_t *badges = json_object_get(o, "badges");
	if (rd->failed)
		return;
	if (!json_is_array(badges)) {
		rd_fail(rd, "badges", badges ? "must be an array" : "missing");
		return;
	}
	if (json_array_size(badges) > CV_SYNC_BADGES_MAX) {
		rd_fail(rd, "badges", "too many");
		return;
	}
	for (size_t i = 0; i < json_array_size(badges); i++) {
		json_t *b = json_array_get(badges, i);
		if (!json_is_string(b) || json_string_length(b) >= CV_UID_HEX_MAX) {
			rd_fail(rd, "badges", "each must be a UID in hex");
			return;
		}
		snprintf(p->badges[i], sizeof p->badges[i], "%s", json_string_value(b));
		p->badge_count++;
	}
}

static json_t *rd_array(struct rd *rd, json_t *root, const char *key, size_t max)
{
	json_t *a = json_object_get(root, key);
	if (rd->failed)
		return NULL;
	if (!json_is_array(a)) {
		rd_fail(rd, key, a ? "must be an array" : "missing");
		return NULL;
	}
	if (json_array_size(a) > max) {
		char why[48];
		snprintf(why, sizeof why, "more than %zu items", max);
		rd_fail(rd, key, why);
		return NULL;
	}
	return a;
}

static json_t *load(const char *json, size_t len, char *err, size_t errlen, int *rc)
{
	json_error_t jerr;
	*rc = 0;
	if (len > CV_SYNC_BODY_MAX) {
		codec_err(err, errlen, "body larger than %u bytes", CV_SYNC_BODY_MAX);
		*rc = CV_ETOOBIG;
		return NULL;
	}
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		codec_err(err, errlen, "not JSON: %s at line %d column %d", jerr.text, jerr.line,
		          jerr.column);
		*rc = CV_EINVAL;
		return NULL;
	}
	if (!json_is_object(root)) {
		codec_err(err, errlen, "the body must be a JSON object");
		json_decref(root);
		*rc = CV_EINVAL;
		return NULL;
	}
	return root;
}

int cv_sync_batch_decode(const char *json, size_t len, struct cv_sync_batch *out, char *err,
                         size_t errlen)
{
	int rc;
	char where[32] = "";
	struct rd rd = {.err = err, .errlen = errlen, .where = where};

	memset(out, 0, sizeof *out);
	codec_err(err, errlen, "%s", "");
	json_t *root = load(json, len, err, errlen, &rc);
	if (!root)
		return rc;
	int64_t protocol = rd_int(&rd, root, "protocol", 0, 1000000);
	if (!rd.failed && protocol != CV_SYNC_PROTOCOL) {
		codec_err(err, errlen, "protocol %lld is not supported (this server speaks %d)",
		          (long long)protocol, CV_SYNC_PROTOCOL);
		json_decref(root);
		return CV_EINVAL;
	}
	struct cv_sync_batch b;
	memset(&b, 0, sizeof b);
	json_t *records = rd_array(&rd, root, "records", CV_SYNC_RECORDS_MAX);
	json_t *people = rd_array(&rd, root, "people", CV_SYNC_PEOPLE_MAX);
	json_t *skipped = rd_array(&rd, root, "skipped", CV_SYNC_SKIPPED_MAX);
	if (rd.failed) {
		rc = CV_EINVAL;
		goto fail;
	}
	rc = cv_sync_batch_init(&b, json_array_size(records), json_array_size(people),
	                        json_array_size(skipped));
	if (rc != 0)
		goto fail;
	rd_text(&rd, root, "kiosk_id", b.kiosk_id, sizeof b.kiosk_id, false, NULL);
	b.acked_seq = rd_int(&rd, root, "acked_seq", 0, SEQ_MAX);
	for (size_t i = 0; !rd.failed && i < json_array_size(people); i++) {
		snprintf(where, sizeof where, "people[%zu]", i);
		rd_person(&rd, json_array_get(people, i), &b.people[b.person_count++]);
	}
	for (size_t i = 0; !rd.failed && i < json_array_size(records); i++) {
		snprintf(where, sizeof where, "records[%zu]", i);
		rd_record(&rd, json_array_get(records, i), &b.records[b.record_count++]);
	}
	for (size_t i = 0; !rd.failed && i < json_array_size(skipped); i++) {
		snprintf(where, sizeof where, "skipped[%zu]", i);
		json_t *s = json_array_get(skipped, i);
		struct cv_sync_skip *k = &b.skipped[b.skip_count++];
		if (!json_is_object(s)) {
			rd_fail(&rd, "", "must be an object");
			break;
		}
		k->seq = rd_int(&rd, s, "seq", 1, SEQ_MAX);
		rd_text(&rd, s, "reason", k->reason, sizeof k->reason, false, NULL);
	}
	if (rd.failed) {
		rc = CV_EINVAL;
		goto fail;
	}
	rc = cv_sync_batch_validate(&b, err, errlen);
	if (rc != 0)
		goto fail;
	json_decref(root);
	*out = b;
	return 0;

fail:
	json_decref(root);
	cv_sync_batch_free(&b);
	return rc;
}

/* ---- replies ---- */

int cv_sync_reply_encode(const struct cv_sync_reply *r, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	json_t *root = json_object();
	bool ok = root != NULL;
	if (!ok)
		return CV_ENOMEM;
	put(root, "protocol", json_integer(CV_SYNC_PROTOCOL), &ok);
	put(root, "ok", json_boolean(r->ok), &ok);
	if (!r->ok) {
		put(root, "error", json_string(r->error), &ok);
		put(root, "message", json_string(r->message), &ok);
	}
	if (r->has_acked_seq)
		put(root, "acked_seq", json_integer(r->acked_seq), &ok);
	if (r->ok) {
		put(root, "stored", json_integer(r->stored), &ok);
		put(root, "duplicates", json_integer(r->duplicates), &ok);
	}
	if (r->server_time_ms > 0)
		put(root, "server_time_ms", json_integer(r->server_time_ms), &ok);
	if (r->rejected_count > 0) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < r->rejected_count; i++)
			if (json_array_append_new(
			        a, json_pack("{s:I, s:s}", "seq", (json_int_t)r->rejected[i].seq,
			                     "reason", r->rejected[i].reason)) != 0)
				ok = false;
		put(root, "rejected", a, &ok);
	}
	if (!ok) {
		json_decref(root);
		return CV_ENOMEM;
	}
	return dump(root, out, len);
}

int cv_sync_reply_decode(const char *json, size_t len, struct cv_sync_reply *out, char *err,
                         size_t errlen)
{
	int rc;
	struct rd rd = {.err = err, .errlen = errlen, .where = ""};

	memset(out, 0, sizeof *out);
	json_t *root = load(json, len, err, errlen, &rc);
	if (!root)
		return rc;
	out->ok = rd_bool(&rd, root, "ok");
	if (!out->ok) {
		rd_text(&rd, root, "error", out->error, sizeof out->error, false, NULL);
		/* A message longer than ours is cut, not refused: it is for people. */
		json_t *m = json_object_get(root, "message");
		if (json_is_string(m))
			snprintf(out->message, sizeof out->message, "%s", json_string_value(m));
	}
	json_t *acked = json_object_get(root, "acked_seq");
	if (acked) {
		out->acked_seq = rd_int(&rd, root, "acked_seq", 0, SEQ_MAX);
		out->has_acked_seq = true;
	}
	out->stored = rd_int_opt(&rd, root, "stored", 0, SEQ_MAX);
	out->duplicates = rd_int_opt(&rd, root, "duplicates", 0, SEQ_MAX);
	out->server_time_ms = rd_int_opt(&rd, root, "server_time_ms", 0, MS_MAX);
	json_t *rej = json_object_get(root, "rejected");
	if (!rd.failed && rej) {
		if (!json_is_array(rej) || json_array_size(rej) > CV_SYNC_REJECTED_MAX) {
			rd_fail(&rd, "rejected", "must be an array of at most 1000 items");
		} else if (json_array_size(rej) > 0) {
			out->rejected = calloc(json_array_size(rej), sizeof *out->rejected);
			if (!out->rejected) {
				json_decref(root);
				cv_sync_reply_free(out);
				return CV_ENOMEM;
			}
			for (size_t i = 0; !rd.failed && i < json_array_size(rej); i++) {
				json_t *e = json_array_get(rej, i);
				struct cv_sync_rejection *x = &out->rejected[out->rejected_count++];
				if (!json_is_object(e)) {
					rd_fail(&rd, "rejected", "items must be objects");
					break;
				}
				x->seq = rd_int(&rd, e, "seq", 1, SEQ_MAX);
				json_t *why = json_object_get(e, "reason");
				snprintf(x->reason, sizeof x->reason, "%s",
				         json_is_string(why) ? json_string_value(why) : "refused");
			}
		}
	}
	json_decref(root);
	if (rd.failed) {
		cv_sync_reply_free(out);
		return CV_EINVAL;
	}
	return 0;
}

/* ---- gzip ---- */

int cv_sync_gzip(const void *in, size_t len, size_t max_out, unsigned char **out, size_t *out_len)
{
	z_stream z;
	*out = NULL;
	*out_len = 0;
	memset(&z, 0, sizeof z);
	/* 15 + 16: a gzip wrapper, which HTTP's Content-Encoding: gzip means. */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return CV_ENOMEM;
	size_t cap = deflateBound(&z, (uLong)len);
	if (cap > max_out)
		cap = max_out;
	unsigned char *buf = malloc(cap ? cap : 1);
	if (!buf) {
		deflateEnd(&z);
		return CV_ENOMEM;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = buf;
	z.avail_out = (uInt)cap;
	int zr = deflate(&z, Z_FINISH);
	size_t n = cap - z.avail_out;
	deflateEnd(&z);
	if (zr != Z_STREAM_END) {
		free(buf);
		return zr == Z_OK || zr == Z_BUF_ERROR ? CV_ETOOBIG : CV_EINVAL;
	}
	*out = buf;
	*out_len = n;
	return 0;
}

int cv_sync_gunzip(const void *in, size_t len, size_t max_out, unsigned char **out, size_t *out_len)
{
	z_stream z;
	*out = NULL;
	*out_len = 0;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return CV_ENOMEM;
	size_t cap = len * 4 + 1024;
	if (cap > max_out + 1)
		cap = max_out + 1;
	unsigned char *buf = malloc(cap + 1);
	int rc = 0;
	if (!buf) {
		inflateEnd(&z);
		return CV_ENOMEM;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	size_t used = 0;
	for (;;) {
		z.next_out = buf + used;
		z.avail_out = (uInt)(cap - used);
		int zr = inflate(&z, Z_NO_FLUSH);
		used = cap - z.avail_out;
		if (used > max_out) {
			rc = CV_ETOOBIG;
			break;
		}
		if (zr == Z_STREAM_END) {
			/* Trailing bytes after the gzip member: refused, so two
			 * encodings of a body cannot differ in what is ignored. */
			rc = z.avail_in == 0 ? 0 : CV_EINVAL;
			break;
		}
		if (zr != Z_OK && !(zr == Z_BUF_ERROR && z.avail_out == 0)) {
			rc = CV_EINVAL;
			break;
		}
		if (z.avail_in == 0 && z.avail_out > 0) {
			rc = CV_EINVAL; /* truncated */
			break;
		}
		if (z.avail_out == 0) {
			size_t ncap = cap * 2;
			if (ncap > max_out + 1)
				ncap = max_out + 1;
			if (ncap <= cap) {
				rc = CV_ETOOBIG;
				break;
			}
			unsigned char *nb = realloc(buf, ncap + 1);
			if (!nb) {
				rc = CV_ENOMEM;
				break;
			}
			buf = nb;
			cap = ncap;
		}
	}
	inflateEnd(&z);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	buf[used] = '\0';
	*out = buf;
	*out_len = used;
	return 0;
}
