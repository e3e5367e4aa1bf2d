/* NDEF parsing: the TLV walk, record bounds, Text and URI records and the
 * attendee id, on well-formed badges and on the malformed ones a badge
 * printer or a prankster produces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "cv_error.h"
#include "cv_ndef.h"

static int id_of(const uint8_t *mem, size_t len, char *out, size_t size)
{
	const char *why = NULL;
	int rc = cv_ndef_attendee_id(mem, len, out, size, &why);
	assert_non_null(why);
	return rc;
}

static void test_text_record_utf8(void **state)
{
	(void)state;
	/* NULL TLV, lock control TLV, then the message and a terminator. */
	const uint8_t mem[] = {0x00, 0x01, 0x03, 0xa0, 0x0c, 0x44, 0x03, 0x0d, 0xd1, 0x01, 0x09,
	                       'T',  0x02, 'e',  'n',  ' ',  'A',  '-',  '1',  '7',  ' ',  0xfe};
	char id[64];
	assert_int_equal(id_of(mem, sizeof mem, id, sizeof id), 0);
	assert_string_equal(id, "A-17");
}

static void test_text_record_utf16(void **state)
{
	(void)state;
	/* UTF-16 flag, language "de", BOM little-endian, "Zoë". */
	const uint8_t mem[] = {0x03, 0x0f, 0xd1, 0x01, 0x0b, 'T',  0x82, 'd',  'e',
	                       0xff, 0xfe, 'Z',  0x00, 'o',  0x00, 0xeb, 0x00, 0xfe};
	char id[64];
	assert_int_equal(id_of(mem, sizeof mem, id, sizeof id), 0);
	assert_string_equal(id, "Zo\xc3\xab");
}

static void test_uri_query_and_path(void **state)
{
	(void)state;
	char id[64];
	assert_int_equal(cv_ndef_uri_attendee_id("https://x.org/b?y=2&id=P%2D9#f", id, sizeof id),
	                 0);
	assert_string_equal(id, "P-9");
	assert_int_equal(cv_ndef_uri_attendee_id("https://x.org/a/B-17/", id, sizeof id), 0);
	assert_string_equal(id, "B-17");
	assert_int_equal(cv_ndef_uri_attendee_id("https://x.org/", id, sizeof id), CV_ENOTFOUND);
	assert_int_equal(cv_ndef_uri_attendee_id("https://x.org/?id=%4", id, sizeof id), CV_EINVAL);
	assert_int_equal(cv_ndef_uri_attendee_id("https://x.org/a%0Ab", id, sizeof id), CV_EINVAL);
	assert_string_equal(id, "");
}

static void test_uri_record_prefix(void **state)
{
	(void)state;
	/* Prefix 0x04 "https://", then "e.org/p/Q-5". */
	const uint8_t mem[] = {0x03, 0x10, 0xd1, 0x01, 0x0c, 'U', 0x04, 'e', '.', 'o',
	                       'r',  'g',  '/',  'p',  '/',  'Q', '-',  '5', 0xfe};
	char id[64];
	assert_int_equal(id_of(mem, sizeof mem, id, sizeof id), 0);
	assert_string_equal(id, "Q-5");
	char desc[160];
	cv_ndef_describe(mem, sizeof mem, desc, sizeof desc);
	assert_string_equal(desc, "URI \"https://e.org/p/Q-5\"");
}

static void test_long_record_and_3byte_tlv(void **state)
{
	(void)state;
	uint8_t mem[400];
	size_t payload = 300; /* a long (non-SR) record in a 3-byte-length TLV */
	size_t rec = 1 + 1 + 4 + 1 + payload;
	memset(mem, 0, sizeof mem);
	mem[0] = 0x03;
	mem[1] = 0xff;
	mem[2] = (uint8_t)(rec >> 8);
	mem[3] = (uint8_t)rec;
	uint8_t *r = mem + 4;
	r[0] = 0xc1;
	r[1] = 1;
	r[2] = 0;
	r[3] = 0;
	r[4] = (uint8_t)(payload >> 8);
	r[5] = (uint8_t)payload;
	r[6] = 'T';
	r[7] = 0x02;
	r[8] = 'e';
	r[9] = 'n';
	memset(r + 10, 'x', payload - 3);
	mem[4 + rec] = 0xfe;
	char id[64];
	/* 297 characters: more than an attendee id may hold. */
	assert_int_equal(id_of(mem, 4 + rec + 1, id, sizeof id), CV_ETOOBIG);
	assert_string_equal(id, "");
	char big[400];
	assert_int_equal(id_of(mem, 4 + rec + 1, big, sizeof big), 0);
	assert_int_equal(strlen(big), payload - 3);
	assert_int_equal(cv_ndef_tlv_needed(mem, 16), 4 + rec);
	assert_true(cv_ndef_tlv_needed(mem, 4 + rec) <= 4 + rec);
}

static void test_malformed(void **state)
{
	(void)state;
	char id[64];
	const char *why;
	/* Message TLV longer than the memory given. */
	const uint8_t too_long[] = {0x03, 0x40, 0xd1, 0x01};
	assert_int_equal(cv_ndef_attendee_id(too_long, sizeof too_long, id, sizeof id, &why),
	                 CV_ETOOBIG);
	/* Record payload runs past the message. */
	const uint8_t past[] = {0x03, 0x05, 0xd1, 0x01, 0xff, 'T', 0x02, 0xfe};
	assert_int_equal(cv_ndef_attendee_id(past, sizeof past, id, sizeof id, &why), CV_EINVAL);
	assert_string_equal(why, "an NDEF record payload runs past the message");
	/* Language length past the payload. */
	const uint8_t lang[] = {0x03, 0x06, 0xd1, 0x01, 0x02, 'T', 0x3f, 'e', 0xfe};
	assert_int_equal(cv_ndef_attendee_id(lang, sizeof lang, id, sizeof id, &why), CV_EINVAL);
	/* Invalid UTF-8 (an overlong '/'). */
	const uint8_t utf8[] = {0x03, 0x08, 0xd1, 0x01, 0x04, 'T', 0x00, 0xc0, 0xaf, 'a', 0xfe};
	assert_int_equal(cv_ndef_attendee_id(utf8, sizeof utf8, id, sizeof id, &why), CV_EINVAL);
	/* Chunked record. */
	const uint8_t chunk[] = {0x03, 0x05, 0xb1, 0x01, 0x01, 'T', 0x00, 0xfe};
	assert_int_equal(cv_ndef_attendee_id(chunk, sizeof chunk, id, sizeof id, &why),
	                 CV_EUNSUPPORTED);
	/* A TLV header cut short, and a terminator first. */
	const uint8_t cut[] = {0x01};
	assert_int_equal(cv_ndef_attendee_id(cut, sizeof cut, id, sizeof id, &why), CV_EINVAL);
	const uint8_t term[] = {0xfe, 0x03, 0x03, 0xd0, 0x00, 0x00};
	assert_int_equal(cv_ndef_attendee_id(term, sizeof term, id, sizeof id, &why), CV_ENOTFOUND);
	/* Reserved URI prefix code. */
	const uint8_t uri[] = {0x03, 0x06, 0xd1, 0x01, 0x02, 'U', 0x24, 'a', 0xfe};
	assert_int_equal(cv_ndef_attendee_id(uri, sizeof uri, id, sizeof id, &why), CV_EINVAL);
	/* Nothing at all. */
	assert_int_equal(cv_ndef_attendee_id(term, 0, id, sizeof id, &why), CV_ENOTFOUND);
	assert_string_equal(id, "");
}

static void test_other_records_skipped(void **state)
{
	(void)state;
	/* A media record, then a URI naming no id, then a Text record. */
	const uint8_t mem[] = {0x03, 0x19, 0x92, 0x03, 0x01, 'a', '/', 'b', 'x', 0x11,
	                       0x01, 0x06, 'U',  0x04, 'e',  '.', 'o', 'r', 'g', 0x51,
	                       0x01, 0x04, 'T',  0x00, 'Z',  '-', '1', 0xfe};
	char id[64];
	assert_int_equal(id_of(mem, sizeof mem, id, sizeof id), 0);
	assert_string_equal(id, "Z-1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_record_utf8),
	    cmocka_unit_test(test_text_record_utf16),
	    cmocka_unit_test(test_uri_query_and_path),
	    cmocka_unit_test(test_uri_record_prefix),
	    cmocka_unit_test(test_long_record_and_3byte_tlv),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_other_records_skipped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
