/* Tests of the sync codec: a batch of every kind survives encode/decode
 * field for field; decoding refuses bad JSON, wrong types, missing fields,
 * unknown kinds, other protocols, oversized arrays and inconsistent batches
 * with a message naming the field; replies round-trip; gzip round-trips
 * and stops a "zip bomb" at its bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_error.h"
#include "cv_sync_codec.h"

static void clock_set(struct cv_sync_clock *c, int64_t mono, int64_t wall, bool trusted)
{
	snprintf(c->boot_id, sizeof c->boot_id, "0b1d2c3e-0000-4000-8000-000000000001");
	c->mono_ms = mono;
	c->wall_ms = wall;
	c->wall_trusted = trusted;
}

static void sample(struct cv_sync_batch *b)
{
	assert_int_equal(cv_sync_batch_init(b, 8, 4, 4), 0);
	snprintf(b->kiosk_id, sizeof b->kiosk_id, "door-north");
	b->acked_seq = 10;
	struct cv_sync_person *p = &b->people[b->person_count++];
	p->id = 1;
	p->has_external_id = true;
	snprintf(p->external_id, sizeof p->external_id, "A-1");
	snprintf(p->name, sizeof p->name, "Zo\xc3\xab \"Z\" O'Brien");
	snprintf(p->organization, sizeof p->organization, "Acme");
	snprintf(p->role, sizeof p->role, "organizer");
	p->updated_wall_ms = 1700000000000;
	p->badge_count = 2;
	snprintf(p->badges[0], sizeof p->badges[0], "04A1B2C3");
	snprintf(p->badges[1], sizeof p->badges[1], "04112233445566");
	p = &b->people[b->person_count++];
	p->id = 2;
	snprintf(p->name, sizeof p->name, "Bo");
	snprintf(p->role, sizeof p->role, "attendee");
	p->has_email = true;
	snprintf(p->email, sizeof p->email, "bo@example.org");

	struct cv_sync_record *r = &b->records[b->record_count++];
	r->kind = CV_SYNC_TAP;
	r->seq = 11;
	clock_set(&r->clock, 100, 1700000000100, false);
	snprintf(r->zone, sizeof r->zone, "hall");
	snprintf(r->uid, sizeof r->uid, "04A1B2C3");
	r->person = 1;
	r = &b->records[b->record_count++];
	r->kind = CV_SYNC_CHECKIN;
	r->seq = 12;
	clock_set(&r->clock, 100, 1700000000100, false);
	snprintf(r->zone, sizeof r->zone, "hall");
	snprintf(r->day, sizeof r->day, "2023-11-14");
	r->person = 1;
	r->tap_seq = 11;
	r = &b->records[b->record_count++];
	r->kind = CV_SYNC_TAP;
	r->seq = 13;
	clock_set(&r->clock, 200, 1700000000200, true);
	snprintf(r->zone, sizeof r->zone, "hall");
	snprintf(r->uid, sizeof r->uid, "08FFFFFF");
	r->has_ndef_id = true;
	snprintf(r->ndef_id, sizeof r->ndef_id, "NDEF-7");
	r = &b->records[b->record_count++];
	r->kind = CV_SYNC_ENCOUNTER;
	r->seq = 15;
	clock_set(&r->clock, 300, 1700000000300, true);
	snprintf(r->zone, sizeof r->zone, "hall");
	r->person = 1;
	r->person_b = 2;
	r->a_tap_seq = 11;
	r->b_tap_seq = 13;
	r = &b->records[b->record_count++];
	r->kind = CV_SYNC_ANSWER;
	r->seq = 16;
	clock_set(&r->clock, 400, 1700000000400, true);
	r->encounter_seq = 15;
	r->has_answer = true;
	snprintf(r->answer, sizeof r->answer, "worked");
	r = &b->records[b->record_count++];
	r->kind = CV_SYNC_CLOCK_FIX;
	r->seq = 17;
	clock_set(&r->clock, 500, 1700000000500, false);
	r->trusted_wall_ms = 1700259200500;
	snprintf(r->source, sizeof r->source, "server");
	r = &b->records[b->record_count++];
	r->kind = CV_SYNC_CONSENT;
	r->seq = 18;
	clock_set(&r->clock, 600, 1700000000600, true);
	r->person = 2;
	snprintf(r->consent, sizeof r->consent, "encounters");
	r->show_name = true;
	r->tap_seq = 13;
	r->consent_seq = 3;
	b->skipped[0].seq = 14;
	snprintf(b->skipped[0].reason, sizeof b->skipped[0].reason, "refused: bad");
	b->skip_count = 1;
}

static void test_round_trip(void **state)
{
	(void)state;
	struct cv_sync_batch b, d;
	char *json;
	size_t len;
	char err[256];
	sample(&b);
	assert_int_equal(cv_sync_batch_encode(&b, &json, &len), 0);
	assert_int_equal(strlen(json), len);
	assert_int_equal(cv_sync_batch_decode(json, len, &d, err, sizeof err), 0);
	assert_string_equal(d.kiosk_id, "door-north");
	assert_int_equal(d.acked_seq, 10);
	assert_int_equal(d.record_count, b.record_count);
	assert_int_equal(d.person_count, 2);
	assert_int_equal(d.skip_count, 1);
	for (size_t i = 0; i < b.record_count; i++)
		assert_memory_equal(&d.records[i], &b.records[i], sizeof b.records[i]);
	for (size_t i = 0; i < b.person_count; i++)
		assert_memory_equal(&d.people[i], &b.people[i], sizeof b.people[i]);
	assert_int_equal(d.skipped[0].seq, 14);
	assert_string_equal(d.skipped[0].reason, "refused: bad");
	/* Nullables travel as JSON null. */
	assert_non_null(strstr(json, "\"ndef_id\":null"));
	assert_non_null(strstr(json, "\"external_id\":null"));
	assert_non_null(strstr(json, "\"kind\":\"consent\""));
	assert_non_null(strstr(json, "\"consent_seq\":3"));
	free(json);
	cv_sync_batch_free(&d);
	cv_sync_batch_free(&b);
}

/* Decodes text and expects a refusal whose message contains want. */
static void refused(const char *text, int code, const char *want)
{
	struct cv_sync_batch d;
	char err[256] = "";
	int rc = cv_sync_batch_decode(text, strlen(text), &d, err, sizeof err);
	if (rc != code || !strstr(err, want))
		fail_msg("'%s': got %d '%s', wanted %d with '%s'", text, rc, err, code, want);
	assert_null(d.records);
	assert_int_equal(d.record_count, 0);
}

#define HEAD "{\"protocol\":1,\"kiosk_id\":\"k1\",\"acked_seq\":0,\"people\":[],\"skipped\":[],"
#define CLK "\"boot_id\":\"b\",\"mono_ms\":1,\"wall_ms\":2,\"wall_trusted\":true"

static void test_refusals(void **state)
{
	(void)state;
	refused("", CV_EINVAL, "not JSON");
	refused("{\"protocol\":1,", CV_EINVAL, "not JSON");
	refused("[]", CV_EINVAL, "object");
	refused("{\"protocol\":2,\"kiosk_id\":\"k1\"}", CV_EINVAL, "protocol 2");
	refused("{\"protocol\":\"1\"}", CV_EINVAL, "protocol: must be a whole number");
	refused(HEAD "\"records\":{}}", CV_EINVAL, "records: must be an array");
	refused("{\"protocol\":1,\"kiosk_id\":\"k 1\",\"acked_seq\":0,\"people\":[],"
	        "\"skipped\":[],\"records\":[]}",
	        CV_EINVAL, "kiosk_id");
	refused(HEAD "\"records\":[{\"seq\":1,\"kind\":\"party\"," CLK "}]}", CV_EINVAL,
	        "records[0].kind: unknown kind");
	refused(HEAD "\"records\":[{\"seq\":1,\"kind\":\"tap\"," CLK "}]}", CV_EINVAL,
	        "records[0].zone: missing");
	refused(HEAD "\"records\":[{\"seq\":1,\"kind\":\"tap\",\"zone\":\"h\",\"uid\":7," CLK "}]}",
	        CV_EINVAL, "records[0].uid: must be a string");
	refused(HEAD "\"records\":[{\"seq\":0,\"kind\":\"tap\",\"zone\":\"h\",\"uid\":\"04\"," CLK
	             "}]}",
	        CV_EINVAL, "records[0].seq: out of range");
	refused(HEAD "\"records\":[{\"seq\":1.5,\"kind\":\"tap\"," CLK "}]}", CV_EINVAL,
	        "seq: must be a whole number");
	/* A person named by a record must travel with it. */
	refused(HEAD "\"records\":[{\"seq\":2,\"kind\":\"checkin\",\"zone\":\"h\",\"person\":9,"
	             "\"day\":\"2026-01-02\",\"tap_seq\":1," CLK "}]}",
	        CV_EINVAL, "person");
	/* Sequence numbers increase. */
	refused(HEAD "\"records\":[{\"seq\":2,\"kind\":\"tap\",\"zone\":\"h\",\"uid\":\"04\"," CLK
	             "},{\"seq\":2,\"kind\":\"tap\",\"zone\":\"h\",\"uid\":\"04\"," CLK "}]}",
	        CV_EINVAL, "increasing");
	/* Consents: a known choice, a person that travels, a series number. */
	refused(
	    HEAD
	    "\"records\":[{\"seq\":2,\"kind\":\"consent\",\"person\":1,"
	    "\"consent\":\"everything\",\"show_name\":true,\"tap_seq\":null,\"consent_seq\":1," CLK
	    "}]}",
	    CV_EINVAL, "person");
	refused(
	    "{\"protocol\":1,\"kiosk_id\":\"k1\",\"acked_seq\":0,\"skipped\":[],"
	    "\"people\":[{\"id\":1,\"external_id\":null,\"name\":\"A\",\"organization\":\"\","
	    "\"role\":\"attendee\",\"email\":null,\"updated_wall_ms\":1,\"badges\":[]}],"
	    "\"records\":[{\"seq\":2,\"kind\":\"consent\",\"person\":1,"
	    "\"consent\":\"everything\",\"show_name\":true,\"tap_seq\":null,\"consent_seq\":1," CLK
	    "}]}",
	    CV_EINVAL, "bad consent");
	refused(HEAD "\"records\":[{\"seq\":2,\"kind\":\"consent\",\"person\":1,"
	             "\"consent\":\"attendance\",\"show_name\":true," CLK "}]}",
	        CV_EINVAL, "records[0].consent_seq: missing");
	refused(HEAD "\"records\":[{\"seq\":2,\"kind\":\"consent\",\"person\":1,"
	             "\"consent\":\"attendance\",\"show_name\":1,\"consent_seq\":1," CLK "}]}",
	        CV_EINVAL, "records[0].show_name: must be true or false");
	/* Duplicate keys are refused rather than one silently winning. */
	refused("{\"protocol\":1,\"protocol\":1}", CV_EINVAL, "not JSON");
	/* A NUL inside a string. */
	refused(HEAD
	        "\"records\":[{\"seq\":1,\"kind\":\"tap\",\"zone\":\"h\",\"uid\":\"04\\u0000\"," CLK
	        "}]}",
	        CV_EINVAL, "NUL");
}

static void test_too_many_records(void **state)
{
	(void)state;
	size_t n = CV_SYNC_RECORDS_MAX + 1;
	size_t cap = 200 + n * 4;
	char *text = malloc(cap);
	assert_non_null(text);
	size_t used = (size_t)snprintf(text, cap, HEAD "\"records\":[");
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(text + used, cap - used, "%s1", i ? "," : "");
	snprintf(text + used, cap - used, "]}");
	refused(text, CV_EINVAL, "more than 1000 items");
	free(text);
}

static void test_reply_round_trip(void **state)
{
	(void)state;
	struct cv_sync_reply r = {
	    .ok = false, .has_acked_seq = true, .acked_seq = 42, .server_time_ms = 1796205600000};
	struct cv_sync_rejection rej[2] = {{.seq = 43, .reason = "its tap is not held"},
	                                   {.seq = 50, .reason = "x"}};
	snprintf(r.error, sizeof r.error, "rejected");
	snprintf(r.message, sizeof r.message, "2 refused");
	r.rejected = rej;
	r.rejected_count = 2;
	char *json;
	size_t len;
	char err[128];
	assert_int_equal(cv_sync_reply_encode(&r, &json, &len), 0);
	struct cv_sync_reply d;
	assert_int_equal(cv_sync_reply_decode(json, len, &d, err, sizeof err), 0);
	assert_false(d.ok);
	assert_string_equal(d.error, "rejected");
	assert_string_equal(d.message, "2 refused");
	assert_true(d.has_acked_seq);
	assert_int_equal(d.acked_seq, 42);
	assert_int_equal(d.server_time_ms, 1796205600000);
	assert_int_equal(d.rejected_count, 2);
	assert_int_equal(d.rejected[1].seq, 50);
	assert_string_equal(d.rejected[0].reason, "its tap is not held");
	cv_sync_reply_free(&d);
	free(json);
	assert_int_not_equal(cv_sync_reply_decode("{\"ok\":1}", 8, &d, err, sizeof err), 0);
}

static void test_gzip(void **state)
{
	(void)state;
	char text[4096];
	for (size_t i = 0; i < sizeof text; i++)
		text[i] = (char)('a' + i % 7);
	unsigned char *gz, *back;
	size_t gz_len, back_len;
	assert_int_equal(cv_sync_gzip(text, sizeof text, 1 << 20, &gz, &gz_len), 0);
	assert_true(gz_len < sizeof text / 4);
	assert_int_equal(gz[0], 0x1f); /* a gzip member */
	assert_int_equal(gz[1], 0x8b);
	assert_int_equal(cv_sync_gunzip(gz, gz_len, 1 << 20, &back, &back_len), 0);
	assert_int_equal(back_len, sizeof text);
	assert_memory_equal(back, text, sizeof text);
	free(back);
	/* Bounded: inflating past max_out stops. */
	assert_int_equal(cv_sync_gunzip(gz, gz_len, 1000, &back, &back_len), CV_ETOOBIG);
	assert_null(back);
	/* Truncated and corrupt. */
	assert_int_equal(cv_sync_gunzip(gz, gz_len / 2, 1 << 20, &back, &back_len), CV_EINVAL);
	gz[gz_len / 2] ^= 0x55;
	assert_int_equal(cv_sync_gunzip(gz, gz_len, 1 << 20, &back, &back_len), CV_EINVAL);
	free(gz);
	/* A megabyte of zeros compresses to about a kilobyte: refused at 64 KiB. */
	char *zeros = calloc(1, 1 << 20);
	assert_non_null(zeros);
	assert_int_equal(cv_sync_gzip(zeros, 1 << 20, 1 << 20, &gz, &gz_len), 0);
	assert_true(gz_len < 4096);
	assert_int_equal(cv_sync_gunzip(gz, gz_len, 64 << 10, &back, &back_len), CV_ETOOBIG);
	free(gz);
	free(zeros);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_too_many_records),
	    cmocka_unit_test(test_reply_round_trip),
	    cmocka_unit_test(test_gzip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
