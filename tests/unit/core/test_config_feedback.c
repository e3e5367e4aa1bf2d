/* Tests of the [feedback] keys of the config: defaults (no lines), accepted
 * values, and the first wrong one named with file, line, section and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cv_config.h"
#include "cv_error.h"

static int parse(const char *text, struct cv_config *cfg, char *err, size_t errlen)
{
	cv_config_defaults(cfg);
	return cv_config_parse(text, "k.conf", cfg, err, errlen);
}

static void test_defaults(void **state)
{
	(void)state;
	struct cv_config cfg;
	cv_config_defaults(&cfg);
	assert_string_equal(cfg.feedback_chip, "gpiochip0");
	assert_int_equal(cfg.feedback_led_line, -1);
	assert_int_equal(cfg.feedback_buzzer_line, -1);
	assert_false(cfg.feedback_active_low);
	assert_int_equal(cfg.feedback_led_ms, 150);
	assert_int_equal(cfg.feedback_buzzer_ms, 60);
}

static void test_values(void **state)
{
	(void)state;
	struct cv_config cfg;
	char err[512];
	int rc = parse("[Feedback]\nchip = pinctrl-rp1\nled_line = 17\nbuzzer_line = +27\n"
	               "active_low = yes\nled_ms = 10000\nbuzzer_ms = 10\n",
	               &cfg, err, sizeof err);
	assert_int_equal(rc, 0);
	assert_string_equal(cfg.feedback_chip, "pinctrl-rp1");
	assert_int_equal(cfg.feedback_led_line, 17);
	assert_int_equal(cfg.feedback_buzzer_line, 27);
	assert_true(cfg.feedback_active_low);
	assert_int_equal(cfg.feedback_led_ms, 10000);
	assert_int_equal(cfg.feedback_buzzer_ms, 10);

	rc = parse("[feedback]\nchip = /dev/gpiochip4\nled_line = 0\nbuzzer_line = 1023\n", &cfg,
	           err, sizeof err);
	assert_int_equal(rc, 0);
	assert_string_equal(cfg.feedback_chip, "/dev/gpiochip4");
	assert_int_equal(cfg.feedback_led_line, 0);
	assert_int_equal(cfg.feedback_buzzer_line, 1023);
}

/* A profile's line is taken away again by the config file, in every
 * spelling of "no line". */
static void test_no_line(void **state)
{
	(void)state;
	static const char *const none[] = {"", "none", "NONE", "-1"};
	for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
		struct cv_config cfg;
		char err[512], text[128];
		snprintf(text, sizeof text, "[feedback]\nled_line = 5\nled_line = %s\n", none[i]);
		assert_int_equal(parse(text, &cfg, err, sizeof err), 0);
		assert_int_equal(cfg.feedback_led_line, -1);
	}
}

static void refused(const char *text, const char *want)
{
	struct cv_config cfg;
	char err[512] = "";
	int rc = parse(text, &cfg, err, sizeof err);
	if (rc != CV_EINVAL || !strstr(err, want))
		fail_msg("'%s': got %d '%s', wanted '%s'", text, rc, err, want);
}

static void test_refusals(void **state)
{
	(void)state;
	refused("[feedback]\nled_line = 1024\n",
	        "k.conf:2: [feedback] led_line: must be a line offset on the chip from 0 to 1023, "
	        "or none (or -1, or empty) (got '1024')");
	refused("[feedback]\nbuzzer_line = -2\n", "[feedback] buzzer_line: must be a line offset");
	refused("[feedback]\nbuzzer_line = GPIO17\n", "(got 'GPIO17')");
	refused("[feedback]\nbuzzer_line = 99999999999999999999\n", "from 0 to 1023");
	refused("[feedback]\nled_line = 1 7\n", "[feedback] led_line");
	refused("[feedback]\nchip =\n", "[feedback] chip: must not be empty");
	refused("[feedback]\nchip = "
	        "a-label-that-is-far-too-long-for-a-gpio-chip-label-or-name-really\n",
	        "[feedback] chip: too long (max 63 bytes)");
	refused(
	    "[feedback]\nactive_low = low\n",
	    "[feedback] active_low: must be true or false (or yes/no, on/off, 1/0) (got 'low')");
	refused("[feedback]\nled_ms = 9\n",
	        "[feedback] led_ms: must be a whole number of milliseconds from 10 to 10000");
	refused("[feedback]\nbuzzer_ms = 2001\n", "from 10 to 2000 (got '2001')");
	refused("[feedback]\nled_pin = 17\n", "[feedback] led_pin: unknown key; did you mean "
	                                      "'led_line'?");
	refused("[feedbak]\n", "[feedbak]: unknown section; did you mean [feedback]?");
	refused("[kiosk]\nbuzzer_ms = 60\n", "'buzzer_ms' belongs in [feedback]");
	refused("[feedback]\nled_line = +\n", "(got '+')");
	refused("[feedback]\nled_line = 4\nbuzzer_line = 4\n",
	        "k.conf: [feedback] led_line and buzzer_line are both 4: the LED and the buzzer "
	        "need a line each");
}

/* The lines are compared once a file is read: a file may swap the lines
 * an earlier layer (a board profile) gave, in either order. */
static void test_swap_over_profile(void **state)
{
	(void)state;
	struct cv_config cfg;
	char err[512];
	assert_int_equal(
	    parse("[feedback]\nled_line = 17\nbuzzer_line = 27\n", &cfg, err, sizeof err), 0);
	assert_int_equal(cv_config_parse("[feedback]\nled_line = 27\nbuzzer_line = 17\n",
	                                 "site.conf", &cfg, err, sizeof err),
	                 0);
	assert_int_equal(cfg.feedback_led_line, 27);
	assert_int_equal(cfg.feedback_buzzer_line, 17);
	/* none twice is no conflict */
	assert_int_equal(
	    parse("[feedback]\nled_line = none\nbuzzer_line = -1\n", &cfg, err, sizeof err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),          cmocka_unit_test(test_values),
	    cmocka_unit_test(test_no_line),           cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_swap_over_profile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
