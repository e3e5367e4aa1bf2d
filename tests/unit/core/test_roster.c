/* Tests of roster parsing: headings and their aliases, quoting, BOM, CRLF,
 * diacritics, and every malformed row failing the whole file by line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cv_error.h"
#include "cv_roster.h"

static char err[512];
static struct cv_roster roster;

static int parse(const char *text)
{
	cv_roster_free(&roster);
	memset(err, 'X', sizeof err - 1);
	err[sizeof err - 1] = '\0';
	return cv_roster_parse(text, strlen(text), &roster, err, sizeof err);
}

#define assert_contains(hay, needle)                                                               \
	do {                                                                                       \
		if (!strstr((hay), (needle)))                                                      \
			fail_msg("'%s' does not contain '%s'", (hay), (needle));                   \
	} while (0)

/* Fails with err starting "line N: " and holding why; nothing is kept. */
static void assert_fails(const char *text, size_t line, const char *why)
{
	char head[32];
	assert_int_equal(parse(text), CV_EINVAL);
	snprintf(head, sizeof head, "line %zu: ", line);
	if (strncmp(err, head, strlen(head)) != 0)
		fail_msg("'%s' does not start with '%s'", err, head);
	assert_contains(err, why);
	assert_null(roster.rows);
	assert_int_equal(roster.count, 0);
	assert_int_equal(roster.warning_count, 0);
}

static int teardown(void **state)
{
	(void)state;
	cv_roster_free(&roster);
	return 0;
}

static void test_basic(void **state)
{
	(void)state;
	const char *text =
	    "name,organization,role,email,external_id,badge_uid\n"
	    "Ada Lovelace,Analytical Engines,organizer,ada@example.org,A-1,04a1b2c3\n"
	    "Grace Hopper,,staff,,,\n"
	    "Alan Turing,Bletchley,,alan@example.org,,04:11:22:33:44:55:66\n";
	assert_int_equal(parse(text), 0);
	assert_string_equal(err, "");
	assert_int_equal(roster.count, 3);
	assert_int_equal(roster.warning_count, 0);

	const struct cv_roster_row *r = &roster.rows[0];
	assert_string_equal(r->name, "Ada Lovelace");
	assert_string_equal(r->organization, "Analytical Engines");
	assert_int_equal(r->role, CV_ROLE_ORGANIZER);
	assert_string_equal(r->email, "ada@example.org");
	assert_string_equal(r->external_id, "A-1");
	assert_string_equal(r->badge_uid, "04A1B2C3");
	assert_int_equal(r->line, 2);

	r = &roster.rows[1];
	assert_string_equal(r->name, "Grace Hopper");
	assert_string_equal(r->organization, "");
	assert_int_equal(r->role, CV_ROLE_STAFF);
	assert_null(r->email);
	assert_null(r->external_id);
	assert_string_equal(r->badge_uid, "");
	assert_int_equal(r->line, 3);

	r = &roster.rows[2];
	assert_int_equal(r->role, CV_ROLE_ATTENDEE);
	assert_string_equal(r->badge_uid, "04112233445566");
	assert_int_equal(r->line, 4);
}

static void test_only_name_column_and_no_trailing_newline(void **state)
{
	(void)state;
	assert_int_equal(parse("Name\nAda\nGrace"), 0);
	assert_int_equal(roster.count, 2);
	assert_string_equal(roster.rows[1].name, "Grace");
	assert_int_equal(roster.rows[1].line, 3);
	assert_string_equal(roster.rows[1].organization, "");
	assert_int_equal(roster.rows[1].role, CV_ROLE_ATTENDEE);
}

static void test_heading_aliases_and_case(void **state)
{
	(void)state;
	const char *text = " EMAIL , Company,NAME,Role , id ,UID\n"
	                   "z@x.org,Acme,Zed,Organiser,77,0102030405060708090a\n";
	assert_int_equal(parse(text), 0);
	assert_int_equal(roster.count, 1);
	assert_string_equal(roster.rows[0].name, "Zed");
	assert_string_equal(roster.rows[0].organization, "Acme");
	assert_int_equal(roster.rows[0].role, CV_ROLE_ORGANIZER);
	assert_string_equal(roster.rows[0].email, "z@x.org");
	assert_string_equal(roster.rows[0].external_id, "77");
	assert_string_equal(roster.rows[0].badge_uid, "0102030405060708090A");

	assert_int_equal(parse("organisation,name,badge\nOxfam,Ola,01020304\n"), 0);
	assert_string_equal(roster.rows[0].organization, "Oxfam");
	assert_string_equal(roster.rows[0].badge_uid, "01020304");
	assert_int_equal(parse("Organization,Name,External_ID\nO,N,e\n"), 0);
	assert_string_equal(roster.rows[0].external_id, "e");
}

static void test_unknown_columns_warn(void **state)
{
	(void)state;
	assert_int_equal(parse("name,Shirt size,,Diet\nAda,M,x,vegan\n"), 0);
	assert_int_equal(roster.count, 1);
	assert_int_equal(roster.warning_count, 3);
	assert_string_equal(roster.warnings[0], "column 'Shirt size' is not used");
	assert_string_equal(roster.warnings[1], "column 3 has no heading and is not used");
	assert_string_equal(roster.warnings[2], "column 'Diet' is not used");
}

static void test_header_problems(void **state)
{
	(void)state;
	assert_fails("email,organization\na@b,c\n", 1, "no 'name' column");
	assert_fails("name,id,external_id\na,1,2\n", 1, "columns 2 and 3 are both external_id");
	assert_fails("name,Name\na,b\n", 1, "both name");
	assert_int_equal(parse(""), CV_EINVAL);
	assert_contains(err, "the roster is empty");
	assert_int_equal(parse("\n\r\n  \n"), CV_EINVAL);
	assert_contains(err, "the roster is empty");
	assert_int_equal(parse("\xEF\xBB\xBF"), CV_EINVAL);
	assert_contains(err, "the roster is empty");
}

static void test_header_only(void **state)
{
	(void)state;
	assert_int_equal(parse("name,email\n"), 0);
	assert_int_equal(roster.count, 0);
	assert_int_equal(roster.warning_count, 1);
	assert_string_equal(roster.warnings[0], "the roster has no rows");
}

static void test_bom_crlf_and_blank_lines(void **state)
{
	(void)state;
	const char *text = "\xEF\xBB\xBFname,email\r\n"
	                   "\r\n"
	                   "Ada,ada@x.org\r\n"
	                   "   \r\n"
	                   ",\r\n"
	                   "Grace,g@x.org\r\n";
	assert_int_equal(parse(text), 0);
	assert_int_equal(roster.count, 2);
	assert_int_equal(roster.warning_count, 0); /* the BOM is not part of "name" */
	assert_string_equal(roster.rows[0].name, "Ada");
	assert_string_equal(roster.rows[0].email, "ada@x.org");
	assert_int_equal(roster.rows[0].line, 3);
	assert_string_equal(roster.rows[1].name, "Grace");
	assert_int_equal(roster.rows[1].line, 6);
}

static void test_lone_cr_ends_lines(void **state)
{
	(void)state;
	/* libcsv ends a row at a lone CR too (old Mac files): lines count it. */
	assert_int_equal(parse("name,email\rAda,a@x\rGrace,g@x\r\nAlan,\"x@y\"\rBob\n"), 0);
	assert_int_equal(roster.count, 4);
	assert_int_equal(roster.rows[0].line, 2);
	assert_int_equal(roster.rows[1].line, 3);
	assert_int_equal(roster.rows[2].line, 4);
	assert_string_equal(roster.rows[2].email, "x@y");
	assert_int_equal(roster.rows[3].line, 5);
}

static void test_quoted_fields(void **state)
{
	(void)state;
	const char *text = "name,organization,email\n"
	                   "\"Ørsted, Lars\",\"Wind \"\"&\"\" Sea\",lars@x.dk\n"
	                   "\"Zoë Ångström\",\"Line one\nline two\",zoe@x.se\n"
	                   "\"  Spaced  \",,\n"
	                   "Ana,\"Org\",\"\"\n";
	assert_int_equal(parse(text), 0);
	assert_int_equal(roster.count, 4);
	assert_string_equal(roster.rows[0].name, "Ørsted, Lars");
	assert_string_equal(roster.rows[0].organization, "Wind \"&\" Sea");
	assert_int_equal(roster.rows[0].line, 2);
	assert_string_equal(roster.rows[1].name, "Zoë Ångström");
	assert_string_equal(roster.rows[1].organization, "Line one\nline two");
	assert_int_equal(roster.rows[1].line, 3);
	assert_string_equal(roster.rows[2].name, "Spaced"); /* trimmed */
	assert_int_equal(roster.rows[2].line, 5);           /* after the two-line row */
	assert_null(roster.rows[3].email);
	assert_int_equal(roster.rows[3].line, 6);
}

static void test_line_numbers_after_multiline_row(void **state)
{
	(void)state;
	const char *text = "name,organization\n"
	                   "A,\"one\r\ntwo\r\nthree\"\r\n"
	                   "\r\n"
	                   ",\r\n"
	                   "B,x,extra\r\n";
	assert_fails(text, 7, "3 fields, but the header has 2 columns");
}

static void test_fewer_fields_are_empty(void **state)
{
	(void)state;
	assert_int_equal(parse("name,organization,role,email\nAda\nGrace,Navy\n"), 0);
	assert_int_equal(roster.count, 2);
	assert_string_equal(roster.rows[0].organization, "");
	assert_int_equal(roster.rows[0].role, CV_ROLE_ATTENDEE);
	assert_null(roster.rows[0].email);
	assert_string_equal(roster.rows[1].organization, "Navy");
}

static void test_malformed_rows(void **state)
{
	(void)state;
	assert_fails("name,email\nAda,a@x,extra\n", 2, "3 fields, but the header has 2 columns");
	assert_fails("name,email\nAda,a@x\n,b@x\n", 3, "empty name");
	assert_fails("name,email\nAda,a@x\n\"  \",b@x\n", 3, "empty name");
	assert_fails("name,role\nAda,speaker\n", 2, "role 'speaker' is not attendee");
	assert_fails("name,badge_uid\nAda,04A1B2\n", 2, "badge_uid '04A1B2' is not 4, 7 or 10");
	assert_fails("name,badge_uid\nAda,0102030405\n", 2, "is not 4, 7 or 10");
	assert_fails("name,badge_uid\nAda,zz112233\n", 2, "is not 4, 7 or 10");
	assert_fails("name,email\nAda,ada.example.org\n", 2, "email 'ada.example.org' has no '@'");
}

static void test_duplicates(void **state)
{
	(void)state;
	assert_fails("name,external_id\nA,7\nB,8\nC,7\n", 4, "external_id '7' is also on line 2");
	assert_fails("name,email\nA,a@x.org\nB,A@X.org\n", 3, "email 'a@x.org' is also on line 2");
	assert_fails("name,badge_uid\nA,04:a1:b2:c3\nB,01020304\nC,04A1B2C3\n", 4,
	             "badge_uid '04A1B2C3' is also on line 2");
	/* The earliest repeat in the file is the one reported. */
	assert_fails("name,email,badge_uid\nA,a@x,01020304\nB,b@x,01020305\nC,b@x,x\n", 4,
	             "is not 4, 7 or 10");
	assert_fails("name,email,id\nA,a@x,1\nB,b@x,2\nC,c@x,2\nD,a@x,3\n", 4,
	             "external_id '2' is also on line 3");
	assert_fails("name,email\nA,a@x\nB,a@x\nC,a@x\n", 3, "is also on line 2");
	/* Empty values are not duplicates of each other. */
	assert_int_equal(parse("name,email,external_id,badge_uid\nA,,,\nB,,,\n"), 0);
	assert_int_equal(roster.count, 2);
}

static void test_unterminated_quote(void **state)
{
	(void)state;
	assert_int_equal(parse("name,organization\nA,b\nC,\"never closed\nD,e\n"), CV_EINVAL);
	assert_contains(err, "line 4: a quoted field that starts on line 3 is never closed");
	assert_int_equal(roster.count, 0);
	assert_null(roster.rows);
}

static void test_stray_quote(void **state)
{
	(void)state;
	assert_fails("name,organization\nA,b\nC,ab\"c\n", 3, "double quote is out of place");
	assert_fails("name,organization\nA,\"b\"c\n", 2, "double quote is out of place");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	assert_fails("name\nZo\xEB\n", 2, "name is not valid UTF-8");        /* Latin-1 ë */
	assert_fails("name\nA\xC0\xAF\n", 2, "name is not valid UTF-8");     /* overlong */
	assert_fails("name\nA\xED\xA0\x80\n", 2, "name is not valid UTF-8"); /* surrogate */
	assert_fails("name\nA\xF4\x90\x80\x80\n", 2, "not valid UTF-8");     /* > U+10FFFF */
	assert_fails("name\nA\xE2\x82\n", 2, "not valid UTF-8");             /* cut short */
	assert_fails("name,organization\nAda,Caf\xE9\n", 2, "organization is not valid UTF-8");
	assert_fails("name,email\nAda,a\x01@x\n", 2, "email is not valid UTF-8 text");
	/* Four-byte characters are fine. */
	assert_int_equal(parse("name\nEmoji \xF0\x9F\x98\x80\n"), 0);
	assert_string_equal(roster.rows[0].name, "Emoji \xF0\x9F\x98\x80");
}

static void test_nul_byte(void **state)
{
	(void)state;
	static const char text[] = "name\nA\0B\n";
	assert_int_equal(cv_roster_parse(text, sizeof text - 1, &roster, err, sizeof err),
	                 CV_EINVAL);
	assert_contains(err, "line 2: field 1 contains a NUL byte");
}

static void test_field_limit(void **state)
{
	(void)state;
	size_t n = 6 + 1024 + 1;
	char *text = malloc(n + 16);
	assert_non_null(text);
	memcpy(text, "name\n", 5);
	memset(text + 5, 'a', 1024);
	memcpy(text + 5 + 1024, "\n", 2);
	assert_int_equal(parse(text), 0);
	assert_int_equal(strlen(roster.rows[0].name), 1024);
	memset(text + 5, 'a', 1025);
	memcpy(text + 5 + 1025, "\n", 2);
	assert_fails(text, 2, "field 1 is longer than 1024 bytes");
	free(text);
}

static void test_row_limit(void **state)
{
	(void)state;
	size_t rows = 100001;
	size_t cap = 16 + rows * 8;
	char *text = malloc(cap);
	assert_non_null(text);
	size_t used = (size_t)snprintf(text, cap, "name\n");
	for (size_t i = 0; i < rows - 1; i++)
		used += (size_t)snprintf(text + used, cap - used, "p%zu\n", i);
	assert_int_equal(parse(text), 0);
	assert_int_equal(roster.count, 100000);
	assert_int_equal(roster.rows[99999].line, 100001);
	snprintf(text + used, cap - used, "last\n");
	assert_fails(text, 100002, "more than 100000 rows");
	free(text);
}

static void test_err_null(void **state)
{
	(void)state;
	assert_int_equal(cv_roster_parse("x\n", 2, &roster, NULL, 0), CV_EINVAL);
	assert_int_equal(cv_roster_parse("name\nA\n", 7, &roster, NULL, 0), 0);
	assert_int_equal(roster.count, 1);
}

static void test_roles(void **state)
{
	(void)state;
	enum cv_role role;
	assert_int_equal(cv_role_parse("attendee", &role), 0);
	assert_int_equal(role, CV_ROLE_ATTENDEE);
	assert_int_equal(cv_role_parse("ORGANIZER", &role), 0);
	assert_int_equal(role, CV_ROLE_ORGANIZER);
	assert_int_equal(cv_role_parse("organiser", &role), 0);
	assert_int_equal(role, CV_ROLE_ORGANIZER);
	assert_int_equal(cv_role_parse("Staff", &role), 0);
	assert_int_equal(role, CV_ROLE_STAFF);
	assert_int_equal(cv_role_parse("volunteer", &role), CV_EINVAL);
	assert_int_equal(cv_role_parse("", &role), CV_EINVAL);
	assert_string_equal(cv_role_name(CV_ROLE_ATTENDEE), "attendee");
	assert_string_equal(cv_role_name(CV_ROLE_ORGANIZER), "organizer");
	assert_string_equal(cv_role_name(CV_ROLE_STAFF), "staff");
	for (int r = CV_ROLE_ATTENDEE; r <= CV_ROLE_STAFF; r++) {
		assert_int_equal(cv_role_parse(cv_role_name((enum cv_role)r), &role), 0);
		assert_int_equal(role, r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_basic, teardown),
	    cmocka_unit_test_teardown(test_only_name_column_and_no_trailing_newline, teardown),
	    cmocka_unit_test_teardown(test_heading_aliases_and_case, teardown),
	    cmocka_unit_test_teardown(test_unknown_columns_warn, teardown),
	    cmocka_unit_test_teardown(test_header_problems, teardown),
	    cmocka_unit_test_teardown(test_header_only, teardown),
	    cmocka_unit_test_teardown(test_bom_crlf_and_blank_lines, teardown),
	    cmocka_unit_test_teardown(test_lone_cr_ends_lines, teardown),
	    cmocka_unit_test_teardown(test_quoted_fields, teardown),
	    cmocka_unit_test_teardown(test_line_numbers_after_multiline_row, teardown),
	    cmocka_unit_test_teardown(test_fewer_fields_are_empty, teardown),
	    cmocka_unit_test_teardown(test_malformed_rows, teardown),
	    cmocka_unit_test_teardown(test_duplicates, teardown),
	    cmocka_unit_test_teardown(test_unterminated_quote, teardown),
	    cmocka_unit_test_teardown(test_stray_quote, teardown),
	    cmocka_unit_test_teardown(test_invalid_utf8, teardown),
	    cmocka_unit_test_teardown(test_nul_byte, teardown),
	    cmocka_unit_test_teardown(test_field_limit, teardown),
	    cmocka_unit_test_teardown(test_row_limit, teardown),
	    cmocka_unit_test_teardown(test_err_null, teardown),
	    cmocka_unit_test_teardown(test_roles, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
