/* The nfc reader backend against the emulated PN532: real libnfc, a real
 * pseudo-terminal, the emulator driven line by line through its stdin.
 * Covers taps of 4- and 7-byte UIDs, NDEF ids from Text and URI records,
 * one PRESENT per presence, removal, vanish/reappear, fd hygiene over 100
 * reconnects, deafness, slowness, bad checksums, garbage and abort. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cv_clock.h"
#include "cv_config.h"
#include "cv_error.h"
#include "cv_reader.h"

#ifndef PN532_EMU_PATH
#error "PN532_EMU_PATH must name the emulator"
#endif

struct emu {
	pid_t pid;
	int ctl; /* the emulator's stdin */
	char dir[256];
	char link[300];
	char log[300];
};

struct fixture {
	struct emu emu;
	struct cv_reader *reader;
};

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

static int emu_start(struct emu *e, const char *extra)
{
	memset(e, 0, sizeof *e);
	const char *base = getenv("CONVENE_TEST_ARTIFACTS");
	snprintf(e->dir, sizeof e->dir, "%s/nfc-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(e->dir))
		return -1;
	snprintf(e->link, sizeof e->link, "%s/pn532", e->dir);
	snprintf(e->log, sizeof e->log, "%s/emu.log", e->dir);
	int p[2];
	if (pipe(p) != 0)
		return -1;
	e->pid = fork();
	if (e->pid == 0) {
		dup2(p[0], 0);
		close(p[0]);
		close(p[1]);
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		const char *argv[12] = {PN532_EMU_PATH, "--control", "--link",
		                        e->link,        "--log",     e->log};
		int argc = 6;
		if (extra)
			argv[argc++] = extra;
		argv[argc] = NULL;
		execv(PN532_EMU_PATH, (char *const *)argv);
		_exit(127);
	}
	close(p[0]);
	e->ctl = p[1];
	for (int i = 0; i < 400; i++) {
		struct stat st;
		if (lstat(e->link, &st) == 0)
			return 0;
		sleep_ms(5);
	}
	return -1;
}

static void emu_say(struct emu *e, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	line[n++] = '\n';
	assert_int_equal(write(e->ctl, line, (size_t)n), n);
}

static void emu_stop(struct emu *e)
{
	if (e->pid > 0) {
		close(e->ctl);
		kill(e->pid, SIGTERM);
		waitpid(e->pid, NULL, 0);
		e->pid = 0;
	}
}

/* True when the emulator's log holds needle. */
static bool emu_logged(const struct emu *e, const char *needle)
{
	FILE *f = fopen(e->log, "r");
	if (!f)
		return false;
	char line[512];
	bool found = false;
	while (!found && fgets(line, sizeof line, f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

static int open_reader(struct fixture *fx, int health_ms)
{
	struct cv_config cfg;
	cv_config_defaults(&cfg);
	cfg.reader_driver = CV_READER_DRIVER_NFC;
	snprintf(cfg.reader_connstring, sizeof cfg.reader_connstring, "pn532_uart:%s",
	         fx->emu.link);
	cfg.reader_modulations = CV_MODULATION_ISO14443A;
	cfg.reader_health_interval_ms = health_ms;
	char err[160];
	return cv_reader_open(&cfg, &fx->reader, err, sizeof err);
}

/* Waits up to timeout_ms for an event of kind; other events are skipped
 * but a PRESENT among them is counted in *presents when given. */
static bool wait_event(struct cv_reader *r, enum cv_reader_event_kind kind, int timeout_ms,
                       struct cv_reader_event *out, int *presents)
{
	int64_t deadline = cv_clock_mono_ms() + timeout_ms;
	for (;;) {
		int64_t left = deadline - cv_clock_mono_ms();
		if (left <= 0)
			return false;
		struct cv_reader_event ev;
		int rc = cv_reader_next(r, (int)left, &ev);
		assert_true(rc >= 0);
		if (rc == 0)
			continue;
		if (ev.kind == CV_READER_EV_PRESENT && presents)
			(*presents)++;
		if (ev.kind == kind) {
			if (out)
				*out = ev;
			return true;
		}
	}
}

static int setup_plain(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	if (!fx || emu_start(&fx->emu, NULL) != 0 || open_reader(fx, 5000) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int setup_extended(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	if (!fx || emu_start(&fx->emu, "--extended") != 0 || open_reader(fx, 5000) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int setup_fast_health(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	if (!fx || emu_start(&fx->emu, NULL) != 0 || open_reader(fx, 300) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	cv_reader_close(fx->reader);
	emu_stop(&fx->emu);
	free(fx);
	return 0;
}

static void expect_online(struct fixture *fx)
{
	assert_true(wait_event(fx->reader, CV_READER_EV_ONLINE, 5000, NULL, NULL));
}

/* Presents a badge, expects its PRESENT, removes it, expects REMOVED. */
static void tap(struct fixture *fx, const char *present_line, const char *uid_hex,
                const char *ndef_id, const char *card_type)
{
	struct cv_reader_event ev;
	emu_say(&fx->emu, "%s", present_line);
	assert_true(wait_event(fx->reader, CV_READER_EV_PRESENT, 5000, &ev, NULL));
	assert_string_equal(ev.uid_hex, uid_hex);
	assert_int_equal(ev.uid_len, strlen(uid_hex) / 2);
	if (ndef_id)
		assert_string_equal(ev.ndef_id, ndef_id);
	if (card_type)
		assert_string_equal(ev.card_type, card_type);
	emu_say(&fx->emu, "remove");
	assert_true(wait_event(fx->reader, CV_READER_EV_REMOVED, 5000, &ev, NULL));
	assert_string_equal(ev.uid_hex, uid_hex);
}

static void test_tap_7byte_text(void **state)
{
	struct fixture *fx = *state;
	expect_online(fx);
	tap(fx, "present 04A1B2C3D4E5F6 ndef-text ATT-0042", "04A1B2C3D4E5F6", "ATT-0042",
	    "NTAG213");
}

static void test_tap_4byte_uri_query(void **state)
{
	struct fixture *fx = *state;
	expect_online(fx);
	tap(fx, "present 1A2B3C4D type ntag215 ndef-uri https://example.org/b?x=1&id=B-17",
	    "1A2B3C4D", "B-17", "NTAG215");
	tap(fx, "present 04112233445566 type ntag216 ndef-uri https://www.example.org/a/P-99/",
	    "04112233445566", "P-99", "NTAG216");
}

static void test_other_cards(void **state)
{
	struct fixture *fx = *state;
	expect_online(fx);
	tap(fx, "present DEADBEEF type classic1k", "DEADBEEF", "", "MIFARE Classic 1K");
	tap(fx, "present 04010203040506 type desfire", "04010203040506", "",
	    "DESFire / ISO14443-4");
	tap(fx, "present 04998877665544 type ultralight ndef-text U-1", "04998877665544", "U-1",
	    "MIFARE Ultralight");
}

static void test_held_badge_is_one_tap(void **state)
{
	struct fixture *fx = *state;
	expect_online(fx);
	emu_say(&fx->emu, "present 04A1B2C3D4E5F6 ndef-text ATT-1");
	assert_true(wait_event(fx->reader, CV_READER_EV_PRESENT, 5000, NULL, NULL));
	/* Held for 1.5 s: many presence checks, no second PRESENT. */
	int presents = 0;
	assert_false(wait_event(fx->reader, CV_READER_EV_REMOVED, 1500, NULL, &presents));
	assert_int_equal(presents, 0);
	emu_say(&fx->emu, "remove");
	assert_true(wait_event(fx->reader, CV_READER_EV_REMOVED, 5000, NULL, &presents));
	assert_int_equal(presents, 0);
}

static void test_malformed_ndef(void **state)
{
	struct fixture *fx = *state;
	expect_online(fx);
	/* A message TLV claiming 0x300 bytes, and one whose record lies. */
	tap(fx, "present 04A1B2C3D4E5F7 ndef-raw 03FF0300D101", "04A1B2C3D4E5F7", "", "NTAG213");
	tap(fx, "present 04A1B2C3D4E5F8 ndef-raw 0305D101FF5402FE", "04A1B2C3D4E5F8", "",
	    "NTAG213");
	tap(fx, "present 04A1B2C3D4E5F8 ndef-raw 0305D101FF5402FE", "04A1B2C3D4E5F8", "",
	    "NTAG213");
}

static void test_vanish_reappear(void **state)
{
	struct fixture *fx = *state;
	struct cv_reader_event ev;
	expect_online(fx);
	int64_t t0 = cv_clock_mono_ms();
	emu_say(&fx->emu, "vanish");
	assert_true(wait_event(fx->reader, CV_READER_EV_OFFLINE, 2000, &ev, NULL));
	/* The kiosk must show "reader offline" within 2 s. */
	assert_true(ev.mono_ms - t0 <= 2000);
	assert_true(ev.detail[0] != '\0');
	emu_say(&fx->emu, "reappear");
	expect_online(fx);
	tap(fx, "present 04A1B2C3D4E5F6 ndef-text ATT-7", "04A1B2C3D4E5F6", "ATT-7", NULL);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void test_hundred_reconnects_no_fd_leak(void **state)
{
	struct fixture *fx = *state;
	expect_online(fx);
	int before = count_fds();
	for (int i = 0; i < 100; i++) {
		emu_say(&fx->emu, "vanish");
		assert_true(wait_event(fx->reader, CV_READER_EV_OFFLINE, 5000, NULL, NULL));
		emu_say(&fx->emu, "reappear");
		assert_true(wait_event(fx->reader, CV_READER_EV_ONLINE, 10000, NULL, NULL));
	}
	assert_int_equal(count_fds(), before);
	tap(fx, "present 04A1B2C3D4E5F6", "04A1B2C3D4E5F6", "", NULL);
}

static void test_deaf_recovers(void **state)
{
	struct fixture *fx = *state;
	expect_online(fx);
	emu_say(&fx->emu, "deaf_after 5");
	assert_true(wait_event(fx->reader, CV_READER_EV_OFFLINE, 2000, NULL, NULL));
	assert_true(wait_event(fx->reader, CV_READER_EV_ONLINE, 5000, NULL, NULL));
	assert_true(emu_logged(&fx->emu, "no longer deaf"));
	tap(fx, "present 04A1B2C3D4E5F6 ndef-text ATT-9", "04A1B2C3D4E5F6", "ATT-9", NULL);
}

static void test_slow_reinitialises(void **state)
{
	struct fixture *fx = *state;
	expect_online(fx);
	emu_say(&fx->emu, "slow 150");
	/* Health checks every 300 ms find 150 ms answers and re-open. */
	for (int i = 0; i < 40 && !emu_logged(&fx->emu, "fast again"); i++) {
		struct cv_reader_event ev;
		int rc = cv_reader_next(fx->reader, 100, &ev);
		assert_true(rc >= 0);
		if (rc == 1)
			assert_int_not_equal(ev.kind, CV_READER_EV_OFFLINE);
	}
	assert_true(emu_logged(&fx->emu, "fast again"));
	tap(fx, "present 04A1B2C3D4E5F6 ndef-text ATT-5", "04A1B2C3D4E5F6", "ATT-5", NULL);
}

static void test_bad_checksum_no_crash(void **state)
{
	struct fixture *fx = *state;
	expect_online(fx);
	emu_say(&fx->emu, "bad_checksum 3");
	tap(fx, "present 04A1B2C3D4E5F6 ndef-text ATT-3", "04A1B2C3D4E5F6", "ATT-3", NULL);
	/* Bad answers to the presence checks of a held badge. */
	emu_say(&fx->emu, "present 04A1B2C3D4E5F6 ndef-text ATT-3");
	assert_true(wait_event(fx->reader, CV_READER_EV_PRESENT, 5000, NULL, NULL));
	emu_say(&fx->emu, "bad_checksum 2");
	sleep_ms(200);
	emu_say(&fx->emu, "remove");
	assert_true(wait_event(fx->reader, CV_READER_EV_REMOVED, 5000, NULL, NULL));
	tap(fx, "present 1A2B3C4D ndef-text ATT-4", "1A2B3C4D", "ATT-4", NULL);
}

static void test_garbage_offline_then_online(void **state)
{
	struct fixture *fx = *state;
	struct cv_reader_event ev;
	expect_online(fx);
	int64_t t0 = cv_clock_mono_ms();
	emu_say(&fx->emu, "garbage");
	assert_true(wait_event(fx->reader, CV_READER_EV_OFFLINE, 2000, &ev, NULL));
	assert_true(ev.mono_ms - t0 <= 2000);
	emu_say(&fx->emu, "heal");
	expect_online(fx);
	tap(fx, "present 04A1B2C3D4E5F6", "04A1B2C3D4E5F6", "", NULL);
}

struct next_call {
	struct cv_reader *reader;
	int rc;
	int64_t returned_ms;
};

static void *call_next(void *arg)
{
	struct next_call *c = arg;
	struct cv_reader_event ev;
	do {
		c->rc = cv_reader_next(c->reader, 10000, &ev);
	} while (c->rc == 1);
	c->returned_ms = cv_clock_mono_ms();
	return NULL;
}

static void test_abort_returns_promptly(void **state)
{
	struct fixture *fx = *state;
	expect_online(fx);
	struct next_call c = {.reader = fx->reader};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, call_next, &c), 0);
	sleep_ms(300);
	int64_t t0 = cv_clock_mono_ms();
	cv_reader_abort(fx->reader);
	pthread_join(th, NULL);
	assert_int_equal(c.rc, CV_ECLOSED);
	/* Far below the 10 s the wait asked for. */
	assert_true(c.returned_ms - t0 < 1000);
	struct cv_reader_event ev;
	assert_int_equal(cv_reader_next(fx->reader, 10, &ev), CV_ECLOSED);
}

static void test_extended_frames(void **state)
{
	struct fixture *fx = *state;
	expect_online(fx);
	tap(fx, "present 04A1B2C3D4E5F6 ndef-text EXT-1", "04A1B2C3D4E5F6", "EXT-1", "NTAG213");
}

int main(void)
{
	/* The machine's libnfc.conf and environment must not change what
	 * the tests open: they name their device. */
	unsetenv("LIBNFC_DEFAULT_DEVICE");
	unsetenv("LIBNFC_DEVICE");
	setenv("LIBNFC_AUTO_SCAN", "false", 1);
	signal(SIGPIPE, SIG_IGN);
	cv_clock_init(CV_CLOCK_TRUST_NEVER);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_tap_7byte_text, setup_plain, teardown),
	    cmocka_unit_test_setup_teardown(test_tap_4byte_uri_query, setup_plain, teardown),
	    cmocka_unit_test_setup_teardown(test_other_cards, setup_plain, teardown),
	    cmocka_unit_test_setup_teardown(test_held_badge_is_one_tap, setup_plain, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_ndef, setup_plain, teardown),
	    cmocka_unit_test_setup_teardown(test_vanish_reappear, setup_plain, teardown),
	    cmocka_unit_test_setup_teardown(test_hundred_reconnects_no_fd_leak, setup_plain,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_deaf_recovers, setup_plain, teardown),
	    cmocka_unit_test_setup_teardown(test_slow_reinitialises, setup_fast_health, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_checksum_no_crash, setup_plain, teardown),
	    cmocka_unit_test_setup_teardown(test_garbage_offline_then_online, setup_plain,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_abort_returns_promptly, setup_plain, teardown),
	    cmocka_unit_test_setup_teardown(test_extended_frames, setup_extended, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
