/* The feedback module on a real kernel's GPIO lines: a gpio-sim chip, made
 * through configfs by the guest that qemu_gpio_test.sh boots. Each test
 * drives the lines through cv_feedback's public API and reads back what the
 * kernel sees through gpio-sim's sysfs (sim_gpioN/value: the level on the
 * line, after active-low). Waits are bounded only against hangs: nothing
 * here asserts how long anything took.
 * usage: test_feedback_gpio CHIP_NAME CHIP_LABEL SYSFS_BANK_DIR */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <gpiod.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cv_clock.h"
#include "cv_error.h"
#include "cv_feedback.h"

#define LED 1
#define BUZZER 2
#define SPARE 5
#define NUM_LINES 8
/* Long enough that one sample a millisecond cannot miss an edge even in a
 * slow emulator, short enough to keep the test quick. */
#define LED_MS 300
#define BUZZER_MS 150
#define HANG_MS 10000

static const char *chip_name;  /* gpiochipN */
static const char *chip_label; /* the bank's label */
static const char *bank_dir;   /* /sys/devices/platform/gpio-sim.X/gpiochipN */
/* What a failed test leaves open, closed by the teardown so that the next
 * test finds its lines free. */
static struct cv_feedback *live;
static struct gpiod_chip *held_chip;

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int line_level(int line)
{
	char path[512], buf[8] = "";
	snprintf(path, sizeof path, "%s/sim_gpio%d/value", bank_dir, line);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot read %s", path);
	if (!fgets(buf, sizeof buf, f))
		buf[0] = '\0';
	fclose(f);
	if (buf[0] != '0' && buf[0] != '1')
		fail_msg("%s holds '%s'", path, buf);
	return buf[0] - '0';
}

/* What a released line of gpio-sim reads as: its simulated pull. Set to the
 * "on" level before a test, so that "off" is only seen when driven. */
static void set_pull(int line, int level)
{
	char path[512];
	snprintf(path, sizeof path, "%s/sim_gpio%d/pull", bank_dir, line);
	FILE *f = fopen(path, "w");
	if (!f)
		fail_msg("cannot write %s", path);
	fputs(level ? "pull-up" : "pull-down", f);
	if (fclose(f) != 0)
		fail_msg("gpio-sim refused the pull of line %d", line);
}

static struct cv_feedback_options options(bool active_low)
{
	return (struct cv_feedback_options){
	    .chip = chip_name,
	    .led_line = LED,
	    .buzzer_line = BUZZER,
	    .active_low = active_low,
	    .led_ms = LED_MS,
	    .buzzer_ms = BUZZER_MS,
	};
}

static struct cv_feedback *open_ok(const struct cv_feedback_options *opts)
{
	struct cv_feedback *fb = NULL;
	char err[320];
	int rc = cv_feedback_open(opts, &fb, err, sizeof err);
	if (rc != 0)
		fail_msg("cv_feedback_open(%s): %s: %s", opts->chip, cv_strerror(rc), err);
	assert_non_null(fb);
	live = fb;
	return fb;
}

static void close_fb(struct cv_feedback *fb)
{
	cv_feedback_close(fb);
	if (live == fb)
		live = NULL;
}

static int teardown(void **state)
{
	(void)state;
	close_fb(live);
	if (held_chip)
		gpiod_chip_close(held_chip); /* releases its lines */
	held_chip = NULL;
	return 0;
}

struct watch {
	int pulses[2]; /* LED, buzzer: times each went from off to on */
	bool both_on;  /* a sample with both lines on */
};

/* Samples both lines until each has pulsed want times and both are back
 * off, then for settle_ms more, to catch a pulse too many. off is the
 * level of "off" (1 for active-low). */
static struct watch watch_lines(int off, int want, int settle_ms)
{
	struct watch w = {{0, 0}, false};
	int lines[2] = {LED, BUZZER};
	int prev[2] = {off, off};
	int64_t start = cv_clock_mono_ms();
	int64_t done_at = 0;

	for (;;) {
		int64_t now = cv_clock_mono_ms();
		int on = 0;
		for (int i = 0; i < 2; i++) {
			int v = line_level(lines[i]);
			if (v != off && prev[i] == off)
				w.pulses[i]++;
			on += v != off;
			prev[i] = v;
		}
		if (on == 2)
			w.both_on = true;
		if (!done_at && on == 0 && w.pulses[0] >= want && w.pulses[1] >= want)
			done_at = now;
		if (done_at && now - done_at >= settle_ms)
			break;
		if (now - start > HANG_MS)
			fail_msg("lines never settled: LED pulsed %d, buzzer %d times, %d on now",
			         w.pulses[0], w.pulses[1], on);
		sleep_ms(1);
	}
	return w;
}

static bool wait_level(int line, int level)
{
	int64_t start = cv_clock_mono_ms();
	while (line_level(line) != level) {
		if (cv_clock_mono_ms() - start > HANG_MS)
			return false;
		sleep_ms(1);
	}
	return true;
}

/* Whether another request of line would be refused: it is held. */
static bool line_held(int line)
{
	struct gpiod_chip *chip = gpiod_chip_open_lookup(chip_name);
	assert_non_null(chip);
	struct gpiod_line *l = gpiod_chip_get_line(chip, (unsigned)line);
	assert_non_null(l);
	assert_int_equal(gpiod_line_update(l), 0);
	bool used = gpiod_line_is_used(l);
	gpiod_chip_close(chip);
	return used;
}

/* Start-up drives both lines off although the pulls say on; a confirmed
 * tap is one pulse of each, and both end off. */
static void test_confirm_active_high(void **state)
{
	(void)state;
	set_pull(LED, 1);
	set_pull(BUZZER, 1);
	struct cv_feedback_options opts = options(false);
	struct cv_feedback *fb = open_ok(&opts);
	assert_int_equal(line_level(LED), 0);
	assert_int_equal(line_level(BUZZER), 0);
	assert_true(line_held(LED));
	assert_true(line_held(BUZZER));

	cv_feedback_signal(fb, CV_FEEDBACK_CONFIRM);
	struct watch w = watch_lines(0, 1, 2 * LED_MS);
	assert_int_equal(w.pulses[0], 1);
	assert_int_equal(w.pulses[1], 1);
	assert_true(w.both_on);
	assert_int_equal(line_level(LED), 0);
	assert_int_equal(line_level(BUZZER), 0);

	close_fb(fb);
	assert_false(line_held(LED));
	assert_false(line_held(BUZZER));
}

/* An error is two pulses of each line, never a third. */
static void test_error_two_pulses(void **state)
{
	(void)state;
	set_pull(LED, 1);
	set_pull(BUZZER, 1);
	struct cv_feedback_options opts = options(false);
	struct cv_feedback *fb = open_ok(&opts);
	assert_int_equal(cv_feedback_pattern_ms(fb, CV_FEEDBACK_ERROR), 3 * BUZZER_MS);

	cv_feedback_signal(fb, CV_FEEDBACK_ERROR);
	struct watch w = watch_lines(0, 2, 4 * BUZZER_MS);
	assert_int_equal(w.pulses[0], 2);
	assert_int_equal(w.pulses[1], 2);
	assert_int_equal(line_level(LED), 0);
	assert_int_equal(line_level(BUZZER), 0);
	close_fb(fb);
}

/* Active-low: off is a high line, driven so at start-up against the pulls;
 * a pulse takes the lines low and back high. */
static void test_active_low(void **state)
{
	(void)state;
	set_pull(LED, 0);
	set_pull(BUZZER, 0);
	struct cv_feedback_options opts = options(true);
	struct cv_feedback *fb = open_ok(&opts);
	assert_int_equal(line_level(LED), 1);
	assert_int_equal(line_level(BUZZER), 1);

	cv_feedback_signal(fb, CV_FEEDBACK_CONFIRM);
	struct watch w = watch_lines(1, 1, 2 * LED_MS);
	assert_int_equal(w.pulses[0], 1);
	assert_int_equal(w.pulses[1], 1);
	assert_int_equal(line_level(LED), 1);
	assert_int_equal(line_level(BUZZER), 1);
	close_fb(fb);
}

/* One line only: the other stays untouched and free. */
static void test_led_only(void **state)
{
	(void)state;
	set_pull(LED, 1);
	set_pull(BUZZER, 1);
	struct cv_feedback_options opts = options(false);
	opts.buzzer_line = -1;
	struct cv_feedback *fb = open_ok(&opts);
	assert_false(line_held(BUZZER));
	assert_int_equal(line_level(LED), 0);
	cv_feedback_signal(fb, CV_FEEDBACK_CONFIRM);
	assert_true(wait_level(LED, 1));
	assert_true(wait_level(LED, 0));
	assert_int_equal(line_level(BUZZER), 1); /* its pull: never driven */
	char what[160];
	cv_feedback_describe(fb, what, sizeof what);
	assert_non_null(strstr(what, "LED line 1 on "));
	assert_null(strstr(what, "buzzer"));
	close_fb(fb);
}

/* The chip by its /dev path, its number and its label. */
static void test_chip_spellings(void **state)
{
	(void)state;
	char path[64];
	snprintf(path, sizeof path, "/dev/%s", chip_name);
	const char *spellings[] = {path, chip_name + strlen("gpiochip"), chip_label};
	for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
		struct cv_feedback_options opts = options(false);
		opts.chip = spellings[i];
		struct cv_feedback *fb = open_ok(&opts);
		char what[160];
		cv_feedback_describe(fb, what, sizeof what);
		if (!strstr(what, chip_name) || !strstr(what, chip_label))
			fail_msg("'%s' described as '%s'", spellings[i], what);
		close_fb(fb);
	}
}

/* A line another program holds: a clear error naming the line and its
 * holder, nothing left requested, and the holder undisturbed. */
static void test_busy_line(void **state)
{
	(void)state;
	struct gpiod_chip *chip = gpiod_chip_open_lookup(chip_name);
	assert_non_null(chip);
	held_chip = chip;
	struct gpiod_line *held = gpiod_chip_get_line(chip, BUZZER);
	assert_non_null(held);
	assert_int_equal(gpiod_line_request_output(held, "door-chime", 1), 0);

	struct cv_feedback_options opts = options(false);
	struct cv_feedback *fb = (struct cv_feedback *)(uintptr_t)1; /* reset to NULL */
	char err[320];
	int rc = cv_feedback_open(&opts, &fb, err, sizeof err);
	assert_int_equal(rc, CV_EBUSY);
	assert_null(fb);
	char want[96];
	snprintf(want, sizeof want, "buzzer line %d on %s is busy", BUZZER, chip_name);
	if (!strstr(err, want) || !strstr(err, "'door-chime'"))
		fail_msg("busy line reported as '%s'", err);
	assert_false(line_held(LED)); /* the LED, requested first, was let go */
	assert_int_equal(line_level(BUZZER), 1);

	gpiod_line_release(held);
	gpiod_chip_close(chip);
	held_chip = NULL;
}

static void refused(const struct cv_feedback_options *opts, int want_rc, const char *want)
{
	struct cv_feedback *fb = NULL;
	char err[320] = "";
	int rc = cv_feedback_open(opts, &fb, err, sizeof err);
	assert_null(fb);
	if (rc != want_rc || !strstr(err, want))
		fail_msg("got %d '%s', wanted %d '%s'", rc, err, want_rc, want);
}

static void test_refusals(void **state)
{
	(void)state;
	struct cv_feedback_options opts = options(false);
	opts.chip = "no-such-chip";
	refused(&opts, CV_ENOTFOUND, "no GPIO chip 'no-such-chip'");
	opts.chip = "gpiochip99";
	refused(&opts, CV_ENOTFOUND, "no GPIO chip 'gpiochip99'");

	opts = options(false);
	opts.buzzer_line = 99;
	char want[96];
	snprintf(want, sizeof want, "buzzer_line 99: %s has lines 0 to %d only", chip_name,
	         NUM_LINES - 1);
	refused(&opts, CV_ENOTFOUND, want);
	assert_false(line_held(LED));

	opts = options(false);
	opts.buzzer_line = LED;
	refused(&opts, CV_EINVAL, "led_line and buzzer_line are both 1");
	opts.led_line = opts.buzzer_line = -1;
	refused(&opts, CV_EINVAL, "neither led_line nor buzzer_line is set");

	/* No handle: every call is a no-op. */
	cv_feedback_signal(NULL, CV_FEEDBACK_CONFIRM);
	assert_int_equal(cv_feedback_pattern_ms(NULL, CV_FEEDBACK_ERROR), 0);
	cv_feedback_close(NULL);
}

/* Close in the middle of a long pulse cuts it short and lets the line go;
 * opening again drives it off although its pull says on. */
static void test_close_mid_pulse_and_reopen(void **state)
{
	(void)state;
	set_pull(SPARE, 1);
	struct cv_feedback_options opts = options(false);
	opts.led_line = SPARE;
	opts.buzzer_line = -1;
	opts.led_ms = 10000;
	struct cv_feedback *fb = open_ok(&opts);
	cv_feedback_signal(fb, CV_FEEDBACK_CONFIRM);
	assert_true(wait_level(SPARE, 1));
	close_fb(fb);
	assert_false(line_held(SPARE));

	fb = open_ok(&opts);
	assert_int_equal(line_level(SPARE), 0);
	/* A burst of posts: never blocks, and the lines still end off. */
	for (int i = 0; i < 100; i++)
		cv_feedback_signal(fb, i % 2 ? CV_FEEDBACK_ERROR : CV_FEEDBACK_CONFIRM);
	close_fb(fb);
	fb = open_ok(&opts);
	assert_int_equal(line_level(SPARE), 0);
	close_fb(fb);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s CHIP_NAME CHIP_LABEL SYSFS_BANK_DIR\n", argv[0]);
		return 2;
	}
	chip_name = argv[1];
	chip_label = argv[2];
	bank_dir = argv[3];
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_confirm_active_high, teardown),
	    cmocka_unit_test_teardown(test_error_two_pulses, teardown),
	    cmocka_unit_test_teardown(test_active_low, teardown),
	    cmocka_unit_test_teardown(test_led_only, teardown),
	    cmocka_unit_test_teardown(test_chip_spellings, teardown),
	    cmocka_unit_test_teardown(test_busy_line, teardown),
	    cmocka_unit_test_teardown(test_refusals, teardown),
	    cmocka_unit_test_teardown(test_close_mid_pulse_and_reopen, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
