/* Board profiles: every profile in board/ applies cleanly and says what a
 * kiosk needs, and defaults < profile < config file is the order in which
 * they are layered, whichever way the profile is picked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cv_board.h"
#include "cv_config.h"
#include "cv_error.h"

static void use_source_boards(void)
{
	setenv("CONVENE_BOARD_DIR", TEST_BOARD_DIR, 1);
}

static void test_every_profile_applies(void **state)
{
	(void)state;
	use_source_boards();
	DIR *d = opendir(TEST_BOARD_DIR);
	assert_non_null(d);
	int count = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 4, ".ini") != 0)
			continue;
		char name[CV_BOARD_MAX];
		snprintf(name, sizeof name, "%.*s", (int)(n - 4), e->d_name);
		struct cv_config cfg;
		char err[512] = "";
		cv_config_defaults(&cfg);
		int rc = cv_board_load(name, &cfg, err, sizeof err);
		if (rc != 0)
			fail_msg("%s: %s", name, err);
		assert_string_equal(cfg.board, name);
		assert_int_equal(cfg.reader_driver, CV_READER_DRIVER_NFC);
		assert_true(cfg.reader_connstring[0] != '\0');
		assert_true(cfg.display_fullscreen);
		/* The name says the reader; the connstring must agree. */
		if (strstr(name, "-pn532-uart-"))
			assert_non_null(strstr(cfg.reader_connstring, "pn532_uart:/dev/ttyAMA0"));
		else if (strstr(name, "-pn532-spi-"))
			assert_non_null(strstr(cfg.reader_connstring, "pn532_spi:/dev/spidev0."));
		else if (strstr(name, "-pn532-i2c-"))
			assert_non_null(strstr(cfg.reader_connstring, "pn532_i2c:/dev/i2c-"));
		else if (strstr(name, "-acr122u-"))
			assert_string_equal(cfg.reader_connstring, "acr122_usb");
		else
			fail_msg("%s: unknown reader in the name", name);
		if (strstr(name, "-dsi7")) {
			assert_int_equal(cfg.display_width, 800);
			assert_int_equal(cfg.display_height, 480);
		}
		/* The Zero 2 W has no DSI connector. */
		assert_false(strncmp(name, "zero2w-", 7) == 0 && strstr(name, "-dsi7"));
		/* Boards before the Pi 5 cannot clock-stretch on hardware I2C. */
		if (strstr(name, "-pn532-i2c-") && strncmp(name, "pi5-", 4) != 0)
			assert_string_equal(cfg.reader_connstring, "pn532_i2c:/dev/i2c-3");
		char boot[600];
		snprintf(boot, sizeof boot, "%s/boot/%s.txt", TEST_BOARD_DIR, name);
		struct stat st;
		assert_int_equal(stat(boot, &st), 0);
		count++;
	}
	closedir(d);
	/* 3 boards x 4 readers x 2 displays, less the Zero's 4 DSI ones. */
	assert_int_equal(count, 20);
}

static void test_config_file_wins_over_profile(void **state)
{
	(void)state;
	use_source_boards();
	const char *text = "[kiosk]\nboard = pi4-pn532-uart-dsi7\nid = hall-b\n"
	                   "[display]\nwidth = 1280\n";
	struct cv_config cfg;
	char err[512] = "";
	int rc = cv_board_configure(NULL, text, "kiosk.conf", &cfg, err, sizeof err);
	if (rc != 0)
		fail_msg("%s", err);
	assert_string_equal(cfg.board, "pi4-pn532-uart-dsi7");
	assert_string_equal(cfg.kiosk_id, "hall-b");
	assert_int_equal(cfg.display_width, 1280); /* the file's */
	assert_int_equal(cfg.display_height, 480); /* the profile's */
	assert_string_equal(cfg.reader_connstring, "pn532_uart:/dev/ttyAMA0");
	assert_string_equal(cfg.source, "kiosk.conf");
}

static void test_command_line_board_wins(void **state)
{
	(void)state;
	use_source_boards();
	const char *text = "[kiosk]\nboard = pi4-pn532-uart-dsi7\n";
	struct cv_config cfg;
	char err[512] = "";
	int rc = cv_board_configure("pi5-acr122u-hdmi", text, "kiosk.conf", &cfg, err, sizeof err);
	if (rc != 0)
		fail_msg("%s", err);
	assert_string_equal(cfg.board, "pi5-acr122u-hdmi");
	assert_string_equal(cfg.reader_connstring, "acr122_usb");
	assert_int_equal(cfg.display_width, 1024);
}

static void test_no_board_is_plain_config(void **state)
{
	(void)state;
	struct cv_config cfg, plain;
	char err[512] = "";
	const char *text = "[display]\nheight = 600\n";
	assert_int_equal(cv_board_configure(NULL, text, "k.conf", &cfg, err, sizeof err), 0);
	cv_config_defaults(&plain);
	assert_int_equal(cv_config_parse(text, "k.conf", &plain, NULL, 0), 0);
	assert_memory_equal(&cfg, &plain, sizeof cfg);
	assert_int_equal(cv_board_configure(NULL, NULL, NULL, &cfg, err, sizeof err), 0);
	cv_config_defaults(&plain);
	assert_memory_equal(&cfg, &plain, sizeof cfg);
}

static void test_bad_and_unknown_names(void **state)
{
	(void)state;
	use_source_boards();
	struct cv_config cfg;
	char err[512] = "";
	char path[CV_PATH_MAX];
	cv_config_defaults(&cfg);
	assert_int_equal(cv_board_find("../etc/passwd", path, sizeof path), CV_EINVAL);
	assert_string_equal(path, "");
	assert_int_equal(cv_board_find("", path, sizeof path), CV_EINVAL);
	assert_int_equal(cv_board_find("Pi4", path, sizeof path), CV_EINVAL);
	assert_int_equal(cv_board_load("pi9-nothing", &cfg, err, sizeof err), CV_ENOTFOUND);
	assert_non_null(strstr(err, "pi9-nothing"));
	assert_int_equal(cv_board_find("pi4-acr122u-hdmi", path, 8), CV_ETOOBIG);
	assert_int_equal(cv_board_find("pi4-acr122u-hdmi", path, sizeof path), 0);
	assert_string_equal(path, TEST_BOARD_DIR "/pi4-acr122u-hdmi.ini");
	char long_name[100];
	memset(long_name, 'a', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	assert_int_equal(cv_board_configure(long_name, NULL, NULL, &cfg, err, sizeof err),
	                 CV_EINVAL);
}

static void test_broken_profile_names_its_line(void **state)
{
	(void)state;
	const char *dir = getenv("CONVENE_TEST_ARTIFACTS");
	assert_non_null(dir);
	char bdir[400], file[500];
	snprintf(bdir, sizeof bdir, "%s/boards", dir);
	mkdir(bdir, 0755);
	snprintf(file, sizeof file, "%s/broken-one.ini", bdir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs("[reader]\ndriver = nfc\nconnstrin = pn532_uart:/dev/ttyS0\n", f);
	fclose(f);
	setenv("CONVENE_BOARD_DIR", bdir, 1);
	struct cv_config cfg;
	char err[512] = "";
	cv_config_defaults(&cfg);
	assert_int_equal(cv_board_load("broken-one", &cfg, err, sizeof err), CV_EINVAL);
	assert_non_null(strstr(err, "broken-one.ini:3"));
	assert_non_null(strstr(err, "connstrin"));
	/* $CONVENE_BOARD_DIR comes before the installed and source trees. */
	snprintf(file, sizeof file, "%s/pi4-acr122u-hdmi.ini", bdir);
	f = fopen(file, "w");
	assert_non_null(f);
	fputs("[display]\nwidth = 640\n", f);
	fclose(f);
	cv_config_defaults(&cfg);
	assert_int_equal(cv_board_load("pi4-acr122u-hdmi", &cfg, err, sizeof err), 0);
	assert_int_equal(cfg.display_width, 640);
	assert_int_equal(cfg.reader_driver, CV_READER_DRIVER_SIM);
}

static void test_notes_name_the_caveats(void **state)
{
	(void)state;
	use_source_boards();
	char notes[2048];
	assert_int_equal(cv_board_notes("pi4-pn532-i2c-hdmi", notes, sizeof notes), 0);
	assert_non_null(strstr(notes, "clock stretching"));
	assert_null(strstr(notes, "; - "));
	assert_int_equal(notes[strlen(notes) - 1], '\n');
	assert_int_equal(cv_board_notes("pi5-acr122u-dsi7", notes, sizeof notes), 0);
	assert_non_null(strstr(notes, "pcscd"));
	/* A Pi 4 profile does not carry the Pi 5's DSI port advice. */
	assert_int_equal(cv_board_notes("pi4-acr122u-dsi7", notes, sizeof notes), 0);
	assert_null(strstr(notes, "Pi 5"));
	assert_int_equal(cv_board_notes("pi4-acr122u-dsi7", notes, 40), CV_ETOOBIG);
	assert_true(strlen(notes) < 40);
	assert_int_equal(cv_board_notes("nope", notes, sizeof notes), CV_ENOTFOUND);
	assert_string_equal(notes, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_profile_applies),
	    cmocka_unit_test(test_config_file_wins_over_profile),
	    cmocka_unit_test(test_command_line_board_wins),
	    cmocka_unit_test(test_no_board_is_plain_config),
	    cmocka_unit_test(test_bad_and_unknown_names),
	    cmocka_unit_test(test_notes_name_the_caveats),
	    cmocka_unit_test(test_broken_profile_names_its_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
