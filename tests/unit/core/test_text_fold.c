/* Unit tests of text folding for searches (src/text_fold.c): case, accents
 * and ligatures of Latin names, other scripts kept, invalid bytes dropped,
 * and output that never ends in half a character. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cv_text.h"

static void fold_is(const char *in, const char *want)
{
	char out[256];
	size_t n = cv_text_fold(in, out, sizeof out);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void test_fold(void **unused)
{
	(void)unused;
	fold_is("Zoë Ørsted", "zoe orsted");
	fold_is("ŁUKASZ Żółć", "lukasz zolc");
	fold_is("Anaïs Søndergaard-Nuñez", "anais sondergaard-nunez");
	fold_is("Straße Œuvre Æsir", "strasse oeuvre aesir");
	fold_is("İstanbul ĳssel ſ", "istanbul ijssel s");
	fold_is("Jörg × ÷", "jorg × ÷");
	fold_is("Σοφία 佐藤", "Σοφία 佐藤"); /* kept as they are */
	fold_is("a\xff"
	        "b\xc3",
	        "ab");             /* invalid bytes dropped */
	fold_is("\xc0\x80x", "x"); /* an overlong NUL is not text */
	fold_is("", "");
	fold_is(NULL, "");
}

static void test_fold_small_buffers(void **unused)
{
	char out[4];

	(void)unused;
	/* "ß" → "ss" would not fit after "ab": stop before it, never half */
	assert_int_equal(cv_text_fold("abß", out, sizeof out), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(cv_text_fold("aß", out, sizeof out), 3);
	assert_string_equal(out, "ass");
	assert_int_equal(cv_text_fold("ab佐", out, sizeof out), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(cv_text_fold("x", out, 1), 0);
	assert_string_equal(out, "");
	assert_int_equal(cv_text_fold("x", out, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fold),
	    cmocka_unit_test(test_fold_small_buffers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
