/* Tests of the sim reader's script parser: every command, comments and
 * blank lines, and every error with its line and what was expected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cv_error.h"
#include "cv_simscript.h"

static char err[512];
static struct cv_sim_step *steps;
static size_t count;

static int parse(const char *text)
{
	free(steps);
	steps = (struct cv_sim_step *)(uintptr_t)1; /* must be reset on every path */
	count = 99;
	memset(err, 'X', sizeof err - 1);
	err[sizeof err - 1] = '\0';
	return cv_simscript_parse(text, strlen(text), &steps, &count, err, sizeof err);
}

#define assert_contains(hay, needle)                                                               \
	do {                                                                                       \
		if (!strstr((hay), (needle)))                                                      \
			fail_msg("'%s' does not contain '%s'", (hay), (needle));                   \
	} while (0)

static void assert_fails(const char *text, size_t line, const char *why)
{
	char head[32];
	assert_int_equal(parse(text), CV_EINVAL);
	assert_null(steps);
	assert_int_equal(count, 0);
	snprintf(head, sizeof head, "line %zu: ", line);
	if (strncmp(err, head, strlen(head)) != 0)
		fail_msg("'%s' does not start with '%s'", err, head);
	assert_contains(err, why);
}

static int teardown(void **state)
{
	(void)state;
	free(steps);
	steps = NULL;
	return 0;
}

static void test_every_command(void **state)
{
	(void)state;
	const char *text = "# a morning at the door\n"
	                   "\n"
	                   "0 tap 04A1B2C3\n"
	                   "1500 present 04:11:22:33:44:55:66   # held on the reader\n"
	                   "  250\tremove\n"
	                   "3000 press shared_challenge\n"
	                   "10 touch 400 240\n"
	                   "86400000 tap 01 02 03 04 05 06 07 08 09 0a\n";
	assert_int_equal(parse(text), 0);
	assert_string_equal(err, "");
	assert_int_equal(count, 6);

	assert_int_equal(steps[0].kind, CV_SIM_TAP);
	assert_int_equal(steps[0].delay_ms, 0);
	assert_int_equal(steps[0].uid_len, 4);
	assert_memory_equal(steps[0].uid, "\x04\xA1\xB2\xC3", 4);
	assert_int_equal(steps[0].line, 3);

	assert_int_equal(steps[1].kind, CV_SIM_PRESENT);
	assert_int_equal(steps[1].delay_ms, 1500);
	assert_int_equal(steps[1].uid_len, 7);
	assert_memory_equal(steps[1].uid, "\x04\x11\x22\x33\x44\x55\x66", 7);
	assert_int_equal(steps[1].line, 4);

	assert_int_equal(steps[2].kind, CV_SIM_REMOVE);
	assert_int_equal(steps[2].delay_ms, 250);
	assert_int_equal(steps[2].line, 5);

	assert_int_equal(steps[3].kind, CV_SIM_PRESS);
	assert_string_equal(steps[3].option, "shared_challenge");
	assert_int_equal(steps[3].delay_ms, 3000);

	assert_int_equal(steps[4].kind, CV_SIM_TOUCH);
	assert_int_equal(steps[4].x, 400);
	assert_int_equal(steps[4].y, 240);

	assert_int_equal(steps[5].kind, CV_SIM_TAP);
	assert_int_equal(steps[5].delay_ms, 86400000);
	assert_int_equal(steps[5].uid_len, 10);
	assert_memory_equal(steps[5].uid, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a", 10);
	assert_int_equal(steps[5].line, 8);
}

static void test_empty_and_comments_only(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_int_equal(count, 0);
	assert_null(steps);
	assert_int_equal(parse("# nothing\n\n   \n\t# still nothing"), 0);
	assert_int_equal(count, 0);
}

static void test_crlf_and_no_final_newline(void **state)
{
	(void)state;
	assert_int_equal(parse("0 tap 01020304\r\n5 remove\r\n7 press ok"), 0);
	assert_int_equal(count, 3);
	assert_int_equal(steps[1].kind, CV_SIM_REMOVE);
	assert_string_equal(steps[2].option, "ok");
	assert_int_equal(steps[2].line, 3);
}

static void test_option_ids(void **state)
{
	(void)state;
	char text[128], id[64];
	memset(id, 'a', 47);
	id[47] = '\0';
	snprintf(text, sizeof text, "0 press %s\n", id);
	assert_int_equal(parse(text), 0);
	assert_string_equal(steps[0].option, id);
	assert_int_equal(parse("0 press A-z_09\n"), 0);
	assert_string_equal(steps[0].option, "A-z_09");

	id[47] = 'a';
	id[48] = '\0';
	snprintf(text, sizeof text, "0 press %s\n", id);
	assert_fails(text, 1, "expected an option id after 'press'");
	assert_fails("0 press\n", 1,
	             "expected an option id after 'press' (1 to 47 of A-Z a-z 0-9 _ -), got ''");
	assert_fails("0 press not.ok\n", 1, "got 'not.ok'");
	assert_fails("0 press é\n", 1, "got '\\xC3\\xA9'");
	assert_fails("0 press a b\n", 1, "unexpected 'b' after the arguments of 'press'");
}

static void test_delay_errors(void **state)
{
	(void)state;
	assert_fails("tap 01020304\n", 1,
	             "expected a delay in milliseconds from 0 to 86400000, got 'tap'");
	assert_fails("0 remove\n-5 remove\n", 2, "got '-5'");
	assert_fails("86400001 remove\n", 1, "got '86400001'");
	assert_fails("99999999999999999999999 remove\n", 1, "expected a delay");
	assert_fails("1.5 remove\n", 1, "got '1.5'");
	assert_fails("10ms remove\n", 1, "got '10ms'");
}

static void test_command_errors(void **state)
{
	(void)state;
	assert_fails("# header\n100\n", 2,
	             "expected a command after the delay (tap, present, "
	             "remove, press or touch)");
	assert_fails("100 # only a comment after the delay\n", 1, "expected a command");
	assert_fails("100 tapp 01020304\n", 1, "unknown command 'tapp' (expected tap, present");
	assert_fails("100 TAP 01020304\n", 1, "unknown command 'TAP'");
}

static void test_uid_errors(void **state)
{
	(void)state;
	assert_fails("0 tap\n", 1, "expected a badge UID after 'tap' (4, 7 or 10 bytes in hex)");
	assert_fails("0 present   # later\n", 1, "expected a badge UID after 'present'");
	assert_fails("0 tap 010203\n", 1, "got '010203'");
	assert_fails("0 tap 0102030405\n", 1, "got '0102030405'");
	assert_fails("0 tap 0102030G\n", 1, "got '0102030G'");
	assert_fails("0 tap 0102030\n", 1, "got '0102030'");
	assert_fails("0 tap 01020304 extra\n", 1, "got '01020304 extra'");
	assert_fails("0 tap 0102030405060708090A0B\n", 1, "4, 7 or 10 bytes");
	assert_fails("0 tap 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10\n", 1,
	             "4, 7 or 10 bytes");
}

static void test_remove_errors(void **state)
{
	(void)state;
	assert_fails("0 remove 01020304\n", 1,
	             "unexpected '01020304' after the arguments of 'remove'");
	assert_int_equal(parse("0 remove # ok\n"), 0);
	assert_int_equal(count, 1);
}

static void test_touch_errors(void **state)
{
	(void)state;
	assert_int_equal(parse("0 touch 0 10000\n"), 0);
	assert_int_equal(steps[0].x, 0);
	assert_int_equal(steps[0].y, 10000);
	assert_fails("0 touch\n", 1,
	             "expected x after 'touch' (a whole number of pixels from 0 "
	             "to 10000), got ''");
	assert_fails("0 touch 10\n", 1, "expected y after 'touch'");
	assert_fails("0 touch 10001 5\n", 1, "expected x after 'touch'");
	assert_fails("0 touch 5 -1\n", 1, "expected y after 'touch'");
	assert_fails("0 touch 5 5 5\n", 1, "unexpected '5' after the arguments of 'touch'");
	assert_fails("0 touch x y\n", 1, "got 'x'");
}

static void test_nul_byte(void **state)
{
	(void)state;
	static const char text[] = "0 remove\n0 rem\0ove\n";
	free(steps);
	steps = NULL;
	assert_int_equal(cv_simscript_parse(text, sizeof text - 1, &steps, &count, err, sizeof err),
	                 CV_EINVAL);
	assert_null(steps);
	assert_contains(err, "line 2: contains a NUL byte");
}

static void test_length_is_respected(void **state)
{
	(void)state;
	/* Only the first len bytes are read: the rest is not a step. */
	const char *text = "0 remove\n0 tap nonsense\n";
	free(steps);
	steps = NULL;
	assert_int_equal(cv_simscript_parse(text, 9, &steps, &count, err, sizeof err), 0);
	assert_int_equal(count, 1);
}

static void test_many_steps(void **state)
{
	(void)state;
	size_t n = 5000;
	char *text = malloc(n * 24);
	assert_non_null(text);
	size_t used = 0;
	for (size_t i = 0; i < n; i++)
		used += (size_t)sprintf(text + used, "%zu touch %zu 1\n", i, i % 10000);
	assert_int_equal(parse(text), 0);
	assert_int_equal(count, n);
	assert_int_equal(steps[4999].delay_ms, 4999);
	assert_int_equal(steps[4999].x, 4999);
	assert_int_equal(steps[4999].line, 5000);
	free(text);
}

static void test_small_err_buffer(void **state)
{
	(void)state;
	char small[8];
	free(steps);
	steps = NULL;
	assert_int_equal(cv_simscript_parse("x", 1, &steps, &count, small, sizeof small),
	                 CV_EINVAL);
	assert_string_equal(small, "line 1:");
	assert_int_equal(cv_simscript_parse("x", 1, &steps, &count, NULL, 0), CV_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_every_command, teardown),
	    cmocka_unit_test_teardown(test_empty_and_comments_only, teardown),
	    cmocka_unit_test_teardown(test_crlf_and_no_final_newline, teardown),
	    cmocka_unit_test_teardown(test_option_ids, teardown),
	    cmocka_unit_test_teardown(test_delay_errors, teardown),
	    cmocka_unit_test_teardown(test_command_errors, teardown),
	    cmocka_unit_test_teardown(test_uid_errors, teardown),
	    cmocka_unit_test_teardown(test_remove_errors, teardown),
	    cmocka_unit_test_teardown(test_touch_errors, teardown),
	    cmocka_unit_test_teardown(test_nul_byte, teardown),
	    cmocka_unit_test_teardown(test_length_is_respected, teardown),
	    cmocka_unit_test_teardown(test_many_steps, teardown),
	    cmocka_unit_test_teardown(test_small_err_buffer, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
