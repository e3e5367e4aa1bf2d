/* Tests of the configuration parser: every key's good and bad values, and
 * that each message names the file, line, section, key and value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cv_config.h"
#include "cv_error.h"

static char err[1024];
static struct cv_config cfg;

static int parse(const char *text)
{
	cv_config_defaults(&cfg);
	memset(err, 'X', sizeof err);
	err[sizeof err - 1] = '\0';
	return cv_config_parse(text, "kiosk.conf", &cfg, err, sizeof err);
}

/* Parses "[section]\nkey = value\n" and returns the result. */
static int parse_kv(const char *section, const char *key, const char *value)
{
	char text[1024];
	snprintf(text, sizeof text, "[%s]\n%s = %s\n", section, key, value);
	return parse(text);
}

#define assert_contains(hay, needle)                                                               \
	do {                                                                                       \
		if (!strstr((hay), (needle)))                                                      \
			fail_msg("'%s' does not contain '%s'", (hay), (needle));                   \
	} while (0)

/* The value is rejected with a message that names line 2, the section, the
 * key, and quotes the value back. */
static void assert_bad(const char *section, const char *key, const char *value, const char *why)
{
	char head[256];
	assert_int_equal(parse_kv(section, key, value), CV_EINVAL);
	snprintf(head, sizeof head, "kiosk.conf:2: [%s] %s: ", section, key);
	if (strncmp(err, head, strlen(head)) != 0)
		fail_msg("'%s' does not start with '%s'", err, head);
	assert_contains(err, why);
	assert_contains(err, "(got '");
}

static void test_defaults(void **state)
{
	(void)state;
	cv_config_defaults(&cfg);
	assert_string_equal(cfg.kiosk_id, "kiosk-1");
	assert_string_equal(cfg.kiosk_name, "Convene kiosk");
	assert_string_equal(cfg.zone, "entrance");
	assert_int_equal(cfg.mode, CV_MODE_BOTH);
	assert_string_equal(cfg.board, "");
	assert_string_equal(cfg.store_path, "convene.db");
	assert_int_equal(cfg.reader_driver, CV_READER_DRIVER_SIM);
	assert_string_equal(cfg.reader_connstring, "");
	assert_string_equal(cfg.reader_script, "");
	assert_string_equal(cfg.reader_sim_keys, "");
	assert_int_equal(cfg.reader_modulations, CV_MODULATION_ISO14443A);
	assert_int_equal(cfg.reader_health_interval_ms, 5000);
	assert_int_equal(cfg.display_width, 800);
	assert_int_equal(cfg.display_height, 480);
	assert_false(cfg.display_fullscreen);
	assert_int_equal(cfg.display_rotation, 0);
	assert_int_equal(cfg.display_input_poll_ms, 20);
	assert_string_equal(cfg.display_font, "");
	assert_true(cfg.sound);
	assert_string_equal(cfg.assets_dir, "");
	assert_string_equal(cfg.assets_language, "en");
	assert_string_equal(cfg.assets_prompts, "default");
	assert_string_equal(cfg.assets_theme, "default");
	assert_int_equal(cfg.pair_window_ms, 8000);
	assert_int_equal(cfg.debounce_ms, 1500);
	assert_int_equal(cfg.prompt_timeout_ms, 15000);
	assert_int_equal(cfg.message_ms, 2500);
	assert_int_equal(cfg.clock_trust, CV_CLOCK_TRUST_AUTO);
	assert_string_equal(cfg.sync_url, "");
	assert_string_equal(cfg.sync_token_file, "");
	assert_string_equal(cfg.source, "(defaults)");
}

static void test_empty_text_keeps_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_string_equal(err, "");
	assert_string_equal(cfg.kiosk_id, "kiosk-1");
	assert_string_equal(cfg.source, "kiosk.conf");
	assert_int_equal(parse("; only a comment\n\n# and another\n"), 0);
	assert_int_equal(cfg.pair_window_ms, 8000);
}

static void test_full_file(void **state)
{
	(void)state;
	const char *text = "\xEF\xBB\xBF; Convene kiosk at the main door\r\n"
	                   "[kiosk]\r\n"
	                   "id = door-2\r\n"
	                   "name = \"Main door, north\"\r\n"
	                   "zone = lobby_A\r\n"
	                   "mode = meet\r\n"
	                   "board = rpi4-pn532-7in\r\n"
	                   "[store]\n"
	                   "path = /var/lib/convene/convene.db\n"
	                   "[reader]\n"
	                   "driver = nfc\n"
	                   "connstring = pn532_uart:/dev/ttyAMA0\n"
	                   "script = \n"
	                   "sim_keys = 04a1b2c3, 04:11:22:33:44:55:66\n"
	                   "modulations = iso14443a, felica\n"
	                   "health_interval_ms = 2000\n"
	                   "[display]\n"
	                   "width = 1024\n"
	                   "height = 600\n"
	                   "fullscreen = yes\n"
	                   "rotation = 180\n"
	                   "input_poll_ms = 10\n"
	                   "font = /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf\n"
	                   "[audio]\n"
	                   "sound = off\n"
	                   "[assets]\n"
	                   "dir = /usr/share/convene\n"
	                   "language = pt-BR\n"
	                   "prompts = climate-2025\n"
	                   "theme = dark\n"
	                   "[flow]\n"
	                   "pair_window_ms = 10000\n"
	                   "debounce_ms = 0\n"
	                   "prompt_timeout_ms = 20000\n"
	                   "message_ms = 3000\n"
	                   "[clock]\n"
	                   "trust = always\n"
	                   "[sync]\n"
	                   "url = https://hub.example.org/sync\n"
	                   "token_file = /etc/convene/token\n";
	assert_int_equal(parse(text), 0);
	assert_string_equal(err, "");
	assert_string_equal(cfg.kiosk_id, "door-2");
	assert_string_equal(cfg.kiosk_name, "Main door, north");
	assert_string_equal(cfg.zone, "lobby_A");
	assert_int_equal(cfg.mode, CV_MODE_MEET);
	assert_string_equal(cfg.board, "rpi4-pn532-7in");
	assert_string_equal(cfg.store_path, "/var/lib/convene/convene.db");
	assert_int_equal(cfg.reader_driver, CV_READER_DRIVER_NFC);
	assert_string_equal(cfg.reader_connstring, "pn532_uart:/dev/ttyAMA0");
	assert_string_equal(cfg.reader_script, "");
	assert_string_equal(cfg.reader_sim_keys, "04A1B2C3,04112233445566");
	assert_int_equal(cfg.reader_modulations, CV_MODULATION_ISO14443A | CV_MODULATION_FELICA);
	assert_int_equal(cfg.reader_health_interval_ms, 2000);
	assert_int_equal(cfg.display_width, 1024);
	assert_int_equal(cfg.display_height, 600);
	assert_true(cfg.display_fullscreen);
	assert_int_equal(cfg.display_rotation, 180);
	assert_int_equal(cfg.display_input_poll_ms, 10);
	assert_string_equal(cfg.display_font, "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
	assert_false(cfg.sound);
	assert_string_equal(cfg.assets_dir, "/usr/share/convene");
	assert_string_equal(cfg.assets_language, "pt-BR");
	assert_string_equal(cfg.assets_prompts, "climate-2025");
	assert_string_equal(cfg.assets_theme, "dark");
	assert_int_equal(cfg.pair_window_ms, 10000);
	assert_int_equal(cfg.debounce_ms, 0);
	assert_int_equal(cfg.prompt_timeout_ms, 20000);
	assert_int_equal(cfg.message_ms, 3000);
	assert_int_equal(cfg.clock_trust, CV_CLOCK_TRUST_ALWAYS);
	assert_string_equal(cfg.sync_url, "https://hub.example.org/sync");
	assert_string_equal(cfg.sync_token_file, "/etc/convene/token");
	assert_string_equal(cfg.source, "kiosk.conf");
}

static void test_example_message(void **state)
{
	(void)state;
	const char *text = "; a kiosk\n"
	                   "[kiosk]\n"
	                   "id = door\n"
	                   "\n"
	                   "[flow]\n"
	                   "debounce_ms = 1000\n"
	                   "pair_window_ms = 3s\n";
	assert_int_equal(parse(text), CV_EINVAL);
	assert_string_equal(err, "kiosk.conf:7: [flow] pair_window_ms: must be a whole number of "
	                         "milliseconds from 1000 to 60000 (got '3s')");
	/* What came before the bad line was applied. */
	assert_string_equal(cfg.kiosk_id, "door");
	assert_int_equal(cfg.debounce_ms, 1000);
}

static void test_kiosk_keys(void **state)
{
	(void)state;
	assert_int_equal(parse_kv("kiosk", "id", "A.b_c-9"), 0);
	assert_string_equal(cfg.kiosk_id, "A.b_c-9");
	assert_bad("kiosk", "id", "door 2", "letters, digits");
	assert_bad("kiosk", "id", "door/2", "letters, digits");
	assert_bad("kiosk", "id", "\"\"", "must not be empty");
	char text[256];
	memset(text, 'a', 63);
	text[63] = '\0';
	assert_int_equal(parse_kv("kiosk", "id", text), 0);
	assert_int_equal(strlen(cfg.kiosk_id), 63);
	text[63] = 'a';
	text[64] = '\0';
	assert_bad("kiosk", "id", text, "too long (max 63 bytes)");

	assert_int_equal(parse_kv("kiosk", "name", "Zoë's kiosk; by the stairs"), 0);
	assert_string_equal(cfg.kiosk_name, "Zoë's kiosk; by the stairs");
	/* ';' after a blank starts a comment, as inih reads it */
	assert_int_equal(parse_kv("kiosk", "name", "Zoë's kiosk ; by the stairs"), 0);
	assert_string_equal(cfg.kiosk_name, "Zoë's kiosk");
	assert_int_equal(parse_kv("kiosk", "name", "\"  Hall B  \""), 0);
	assert_string_equal(cfg.kiosk_name, "  Hall B  ");
	assert_bad("kiosk", "name", "", "must not be empty");
	assert_bad("kiosk", "name", "tab\there", "control characters");
	memset(text, 'n', 128);
	text[128] = '\0';
	assert_bad("kiosk", "name", text, "too long (max 127 bytes)");

	assert_int_equal(parse_kv("kiosk", "zone", "room-12"), 0);
	assert_string_equal(cfg.zone, "room-12");
	assert_bad("kiosk", "zone", "room 12", "letters, digits");

	assert_int_equal(parse_kv("kiosk", "mode", "checkin"), 0);
	assert_int_equal(cfg.mode, CV_MODE_CHECKIN);
	assert_int_equal(parse_kv("kiosk", "mode", "MEET"), 0);
	assert_int_equal(cfg.mode, CV_MODE_MEET);
	assert_int_equal(parse_kv("kiosk", "mode", "both"), 0);
	assert_int_equal(cfg.mode, CV_MODE_BOTH);
	assert_bad("kiosk", "mode", "check-in", "must be checkin, meet, both or live");

	assert_int_equal(parse_kv("kiosk", "board", "rpi-zero2w"), 0);
	assert_string_equal(cfg.board, "rpi-zero2w");
	assert_int_equal(parse_kv("kiosk", "board", ""), 0);
	assert_string_equal(cfg.board, "");
	assert_bad("kiosk", "board", "RPi4", "board profile name");
	assert_bad("kiosk", "board", "rpi_4", "board profile name");
}

static void test_store_keys(void **state)
{
	(void)state;
	assert_int_equal(parse_kv("store", "path", "/data/my kiosk.db"), 0);
	assert_string_equal(cfg.store_path, "/data/my kiosk.db");
	assert_bad("store", "path", "", "must not be empty");
}

static void test_reader_keys(void **state)
{
	(void)state;
	assert_int_equal(parse_kv("reader", "driver", "nfc"), 0);
	assert_int_equal(cfg.reader_driver, CV_READER_DRIVER_NFC);
	assert_int_equal(parse_kv("reader", "driver", "sim"), 0);
	assert_int_equal(cfg.reader_driver, CV_READER_DRIVER_SIM);
	assert_bad("reader", "driver", "pn532", "must be sim or nfc");

	assert_int_equal(parse_kv("reader", "connstring", "pn532_uart:/dev/ttyAMA0:115200"), 0);
	assert_string_equal(cfg.reader_connstring, "pn532_uart:/dev/ttyAMA0:115200");
	assert_int_equal(parse_kv("reader", "connstring", ""), 0);
	assert_string_equal(cfg.reader_connstring, "");

	assert_int_equal(parse_kv("reader", "script", "tests/e2e/two-badges.sim"), 0);
	assert_string_equal(cfg.reader_script, "tests/e2e/two-badges.sim");

	assert_int_equal(parse_kv("reader", "sim_keys", "04A1B2C3"), 0);
	assert_string_equal(cfg.reader_sim_keys, "04A1B2C3");
	assert_int_equal(
	    parse_kv("reader", "sim_keys", "01020304,0102030405060708090A, 04 11 22 33 44 55 66"),
	    0);
	assert_string_equal(cfg.reader_sim_keys, "01020304,0102030405060708090A,04112233445566");
	assert_int_equal(parse_kv("reader", "sim_keys", ""), 0);
	assert_string_equal(cfg.reader_sim_keys, "");
	assert_bad("reader", "sim_keys", "04A1B2", "item 1 is not a UID");
	assert_bad("reader", "sim_keys", "04A1B2C3,zz112233", "item 2 is not a UID");
	assert_bad("reader", "sim_keys", "04A1B2C3,,04A1B2C4", "item 2 is not a UID");
	assert_bad("reader", "sim_keys", "04A1B2C3,", "item 2 is not a UID");
	assert_bad("reader", "sim_keys",
	           "01020301,01020302,01020303,01020304,01020305,01020306,01020307,01020308,"
	           "01020309,0102030A",
	           "at most 9 UIDs");

	assert_int_equal(parse_kv("reader", "modulations", "iso14443b"), 0);
	assert_int_equal(cfg.reader_modulations, CV_MODULATION_ISO14443B);
	assert_int_equal(parse_kv("reader", "modulations", "ISO14443A,iso14443b , felica"), 0);
	assert_int_equal(cfg.reader_modulations,
	                 CV_MODULATION_ISO14443A | CV_MODULATION_ISO14443B | CV_MODULATION_FELICA);
	assert_bad("reader", "modulations", "", "item 1 is not a modulation");
	assert_bad("reader", "modulations", "iso14443a,mifare", "item 2 is not a modulation");

	assert_int_equal(parse_kv("reader", "health_interval_ms", "1000"), 0);
	assert_int_equal(cfg.reader_health_interval_ms, 1000);
	assert_int_equal(parse_kv("reader", "health_interval_ms", "60000"), 0);
	assert_int_equal(cfg.reader_health_interval_ms, 60000);
	assert_bad("reader", "health_interval_ms", "999", "from 1000 to 60000");
	assert_bad("reader", "health_interval_ms", "60001", "from 1000 to 60000");
}

static void test_display_keys(void **state)
{
	(void)state;
	assert_int_equal(parse_kv("display", "width", "240"), 0);
	assert_int_equal(cfg.display_width, 240);
	assert_int_equal(parse_kv("display", "width", "7680"), 0);
	assert_int_equal(cfg.display_width, 7680);
	assert_bad("display", "width", "239", "whole number of pixels from 240 to 7680");
	assert_bad("display", "width", "7681", "from 240 to 7680");
	assert_bad("display", "width", "800px", "from 240 to 7680");
	assert_bad("display", "width", "-800", "from 240 to 7680");
	assert_bad("display", "width", "99999999999999999999", "from 240 to 7680");
	assert_bad("display", "width", "8.5e2", "from 240 to 7680");

	assert_int_equal(parse_kv("display", "height", "4320"), 0);
	assert_int_equal(cfg.display_height, 4320);
	assert_bad("display", "height", "4321", "from 240 to 4320");
	assert_bad("display", "height", "", "from 240 to 4320");

	static const char *const yes[] = {"true", "TRUE", "yes", "on", "1"};
	static const char *const no[] = {"false", "No", "off", "0"};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		assert_int_equal(parse_kv("display", "fullscreen", yes[i]), 0);
		assert_true(cfg.display_fullscreen);
	}
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		cv_config_defaults(&cfg);
		cfg.display_fullscreen = true;
		char text[64];
		snprintf(text, sizeof text, "[display]\nfullscreen=%s\n", no[i]);
		assert_int_equal(cv_config_parse(text, "k", &cfg, err, sizeof err), 0);
		assert_false(cfg.display_fullscreen);
	}
	assert_bad("display", "fullscreen", "maybe", "must be true or false");
	assert_bad("display", "fullscreen", "2", "must be true or false");

	static const int turns[] = {0, 90, 180, 270};
	for (size_t i = 0; i < 4; i++) {
		char v[8];
		snprintf(v, sizeof v, "%d", turns[i]);
		assert_int_equal(parse_kv("display", "rotation", v), 0);
		assert_int_equal(cfg.display_rotation, turns[i]);
	}
	assert_bad("display", "rotation", "45", "must be 0, 90, 180 or 270");
	assert_bad("display", "rotation", "-90", "must be 0, 90, 180 or 270");

	assert_int_equal(parse_kv("display", "input_poll_ms", "5"), 0);
	assert_int_equal(cfg.display_input_poll_ms, 5);
	assert_int_equal(parse_kv("display", "input_poll_ms", "200"), 0);
	assert_int_equal(cfg.display_input_poll_ms, 200);
	assert_bad("display", "input_poll_ms", "4", "milliseconds from 5 to 200");
	assert_bad("display", "input_poll_ms", "201", "milliseconds from 5 to 200");

	assert_int_equal(parse_kv("display", "font", "/opt/fonts/Inter.ttf"), 0);
	assert_string_equal(cfg.display_font, "/opt/fonts/Inter.ttf");
}

/* [display] touch_calibration: libinput's six numbers, identity by default,
 * and every wrong value refused with the key named. */
static void test_display_touch_calibration(void **state)
{
	const struct cv_touch_matrix *m = &cfg.display_touch_calibration;

	(void)state;
	cv_config_defaults(&cfg);
	assert_true(cv_touch_matrix_is_identity(m));
	assert_int_equal(parse_kv("display", "touch_calibration", "1 0 0 0 1 0"), 0);
	assert_true(cv_touch_matrix_is_identity(m));
	assert_int_equal(parse_kv("display", "touch_calibration", "1.1 0 -0.05 0 1.15 -0.07"), 0);
	assert_float_equal(m->a, 1.1, 1e-12);
	assert_float_equal(m->b, 0, 0);
	assert_float_equal(m->c, -0.05, 1e-12);
	assert_float_equal(m->d, 0, 0);
	assert_float_equal(m->e, 1.15, 1e-12);
	assert_float_equal(m->f, -0.07, 1e-12);
	/* quoted, with commas, or with xinput's third row */
	assert_int_equal(parse_kv("display", "touch_calibration", "\"-1, 0, 1, 0, 1, 0\""), 0);
	assert_float_equal(m->a, -1, 0);
	assert_float_equal(m->c, 1, 0);
	assert_int_equal(parse_kv("display", "touch_calibration", "0 1 0 1 0 0 0 0 1"), 0);
	assert_float_equal(m->b, 1, 0);
	assert_float_equal(m->d, 1, 0);
	/* an inline comment is not a seventh number */
	assert_int_equal(parse_kv("display", "touch_calibration", "1 0 0 0 1 0 ; no correction"),
	                 0);
	assert_true(cv_touch_matrix_is_identity(m));

	assert_bad("display", "touch_calibration", "", "must be 6 numbers a b c d e f");
	assert_bad("display", "touch_calibration", "1 0 0 0 1", "found 5");
	assert_bad("display", "touch_calibration", "1 0 0 0 1 0 0", "found 7");
	assert_bad("display", "touch_calibration", "1 0 0 0 1 0 1 0 1", "last row must be 0 0 1");
	assert_bad("display", "touch_calibration", "1 0 0 0 one 0",
	           "number 5 ('one') is not a number");
	assert_bad("display", "touch_calibration", "1 0 nan 0 1 0",
	           "number 3 ('nan') is not finite");
	assert_bad("display", "touch_calibration", "1 0 0 0 1e400 0", "too large to be finite");
	assert_bad("display", "touch_calibration", "1 2 0 2 4 0", "is degenerate");
	assert_bad("display", "touch_calibration", "0 0 0 0 0 0", "a*e - b*d is 0");
	assert_contains(err, "(got '0 0 0 0 0 0')");
}

static void test_audio_keys(void **state)
{
	(void)state;
	assert_int_equal(parse_kv("audio", "sound", "no"), 0);
	assert_false(cfg.sound);
	assert_int_equal(parse_kv("audio", "sound", "On"), 0);
	assert_true(cfg.sound);
	assert_bad("audio", "sound", "loud", "must be true or false");
}

static void test_assets_keys(void **state)
{
	(void)state;
	assert_int_equal(parse_kv("assets", "dir", "/srv/convene/assets"), 0);
	assert_string_equal(cfg.assets_dir, "/srv/convene/assets");

	static const char *const good[] = {"en", "fr", "fil", "pt-BR", "zh-tw"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_int_equal(parse_kv("assets", "language", good[i]), 0);
		assert_string_equal(cfg.assets_language, good[i]);
	}
	assert_bad("assets", "language", "EN", "language tag");
	assert_bad("assets", "language", "e", "language tag");
	assert_bad("assets", "language", "engl", "language tag");
	assert_bad("assets", "language", "pt_BR", "language tag");
	assert_bad("assets", "language", "pt-BRA", "language tag");
	assert_bad("assets", "language", "pt-", "language tag");
	assert_bad("assets", "language", "", "must not be empty");

	assert_int_equal(parse_kv("assets", "prompts", "workshop_v2"), 0);
	assert_string_equal(cfg.assets_prompts, "workshop_v2");
	assert_bad("assets", "prompts", "../etc", "not starting with '.'");
	assert_bad("assets", "prompts", "a/b", "letters, digits");
	assert_int_equal(parse_kv("assets", "theme", "high-contrast"), 0);
	assert_string_equal(cfg.assets_theme, "high-contrast");
	assert_bad("assets", "theme", ".hidden", "not starting with '.'");
	assert_bad("assets", "theme", "", "must not be empty");
}

static void test_flow_keys(void **state)
{
	(void)state;
	static const struct {
		const char *key;
		int min, max;
		size_t offset;
	} keys[] = {
	    {"pair_window_ms", 1000, 60000, offsetof(struct cv_config, pair_window_ms)},
	    {"debounce_ms", 0, 10000, offsetof(struct cv_config, debounce_ms)},
	    {"prompt_timeout_ms", 2000, 120000, offsetof(struct cv_config, prompt_timeout_ms)},
	    {"message_ms", 500, 30000, offsetof(struct cv_config, message_ms)},
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char v[32], why[96];
		snprintf(v, sizeof v, "%d", keys[i].min);
		assert_int_equal(parse_kv("flow", keys[i].key, v), 0);
		assert_int_equal(*(int *)(void *)((char *)&cfg + keys[i].offset), keys[i].min);
		snprintf(v, sizeof v, "%d", keys[i].max);
		assert_int_equal(parse_kv("flow", keys[i].key, v), 0);
		assert_int_equal(*(int *)(void *)((char *)&cfg + keys[i].offset), keys[i].max);
		snprintf(why, sizeof why, "whole number of milliseconds from %d to %d", keys[i].min,
		         keys[i].max);
		snprintf(v, sizeof v, "%d", keys[i].max + 1);
		assert_bad("flow", keys[i].key, v, why);
		snprintf(v, sizeof v, "%d", keys[i].min - 1);
		assert_bad("flow", keys[i].key, v, why);
		assert_bad("flow", keys[i].key, "1.5", why);
		assert_bad("flow", keys[i].key, "ten", why);
	}
	assert_int_equal(parse_kv("flow", "debounce_ms", "+250"), 0);
	assert_int_equal(cfg.debounce_ms, 250);
}

static void test_clock_and_sync_keys(void **state)
{
	(void)state;
	assert_int_equal(parse_kv("clock", "trust", "never"), 0);
	assert_int_equal(cfg.clock_trust, CV_CLOCK_TRUST_NEVER);
	assert_int_equal(parse_kv("clock", "trust", "always"), 0);
	assert_int_equal(cfg.clock_trust, CV_CLOCK_TRUST_ALWAYS);
	assert_int_equal(parse_kv("clock", "trust", "auto"), 0);
	assert_int_equal(cfg.clock_trust, CV_CLOCK_TRUST_AUTO);
	assert_bad("clock", "trust", "ntp", "must be auto, always or never");

	assert_int_equal(parse_kv("sync", "url", "http://10.0.0.2:8080/convene"), 0);
	assert_string_equal(cfg.sync_url, "http://10.0.0.2:8080/convene");
	assert_int_equal(parse_kv("sync", "url", "\"https://example.org\""), 0);
	assert_string_equal(cfg.sync_url, "https://example.org");
	assert_int_equal(parse_kv("sync", "url", ""), 0);
	assert_string_equal(cfg.sync_url, "");
	assert_bad("sync", "url", "ftp://example.org", "http:// or https://");
	assert_bad("sync", "url", "example.org", "http:// or https://");
	assert_bad("sync", "url", "https://", "http:// or https://");
	assert_bad("sync", "url", "https://exa mple.org", "without spaces");

	assert_int_equal(parse_kv("sync", "token_file", "/etc/convene/token"), 0);
	assert_string_equal(cfg.sync_token_file, "/etc/convene/token");
}

static void test_unknown_section(void **state)
{
	(void)state;
	assert_int_equal(parse("[kiosk]\nid = a\n[kioks]\nid = b\n"), CV_EINVAL);
	assert_contains(err, "kiosk.conf:3: [kioks]: unknown section");
	assert_contains(err, "did you mean [kiosk]?");
	assert_string_equal(cfg.kiosk_id, "a");
	/* A section with no keys is checked too. */
	assert_int_equal(parse("[network]\n"), CV_EINVAL);
	assert_contains(err, "kiosk.conf:1: [network]: unknown section");
	assert_contains(err, "known sections: kiosk, store, reader");
	/* Names match in any case, and blanks inside the brackets are trimmed. */
	assert_int_equal(parse("[ Display ]\nWidth = 1024\n"), 0);
	assert_int_equal(cfg.display_width, 1024);
}

static void test_unknown_key(void **state)
{
	(void)state;
	assert_int_equal(parse("[flow]\npair_windw_ms = 5000\n"), CV_EINVAL);
	assert_contains(err, "kiosk.conf:2: [flow] pair_windw_ms: unknown key");
	assert_contains(err, "did you mean 'pair_window_ms'?");

	assert_int_equal(parse("[kiosk]\n\ncolour = red\n"), CV_EINVAL);
	assert_contains(err, "kiosk.conf:3: [kiosk] colour: unknown key");
	assert_contains(err, "known keys: id, name, zone, mode, board");

	assert_int_equal(parse("[kiosk]\nurl = https://x.org\n"), CV_EINVAL);
	assert_contains(err, "kiosk.conf:2: [kiosk] url: unknown key");
	assert_contains(err, "belongs in [sync]");
}

static void test_key_outside_section(void **state)
{
	(void)state;
	assert_int_equal(parse("; top\nwidth = 800\n[display]\n"), CV_EINVAL);
	assert_contains(err, "kiosk.conf:2: width: outside any section");
	assert_contains(err, "[display]");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	assert_int_equal(parse("[kiosk]\nid = a\nthis line has no equals sign\n"), CV_EINVAL);
	assert_contains(err, "kiosk.conf:3: expected '[section]' or 'key = value'");
	assert_contains(err, "(got 'this line has no equals sign')");

	assert_int_equal(parse("[kiosk]\n[flow\n"), CV_EINVAL);
	assert_contains(err, "kiosk.conf:2: a section header needs a closing ']'");

	assert_int_equal(parse("[flow] debounce_ms = 5\n"), CV_EINVAL);
	assert_contains(err, "kiosk.conf:1: nothing may follow a section header");

	assert_int_equal(parse("[kiosk]\n= lonely value\n"), CV_EINVAL);
	assert_contains(err, "kiosk.conf:2: a key name is missing");

	/* The first error in the file wins: a bad value above a bad line. */
	assert_int_equal(parse("[kiosk]\nmode = party\nnonsense\n"), CV_EINVAL);
	assert_contains(err, "kiosk.conf:2: [kiosk] mode:");
	assert_int_equal(parse("[kiosk]\nnonsense\nmode = party\n"), CV_EINVAL);
	assert_contains(err, "kiosk.conf:2: expected");
}

static void test_long_lines(void **state)
{
	(void)state;
	char text[1024];
	char path[512];

	/* Fits: the longest line the parser takes. */
	memset(path, 'p', sizeof path);
	path[CV_CONFIG_LINE_MAX - 7] = '\0';
	snprintf(text, sizeof text, "[store]\npath = %s\n", path);
	assert_int_equal(parse(text), 0);
	assert_int_equal(strlen(cfg.store_path), CV_CONFIG_LINE_MAX - 7);

	/* One byte more is reported on its own line, not split in two. */
	path[CV_CONFIG_LINE_MAX - 7] = 'p';
	path[CV_CONFIG_LINE_MAX - 6] = '\0';
	snprintf(text, sizeof text, "[store]\n\n  path = %s\n[kiosk]\nid=x\n", path);
	assert_int_equal(parse(text), CV_EINVAL);
	assert_contains(err, "kiosk.conf:3: line too long (max 196 bytes)");

	/* Long comments are fine. */
	memset(path, 'c', 400);
	path[400] = '\0';
	snprintf(text, sizeof text, "# %s\n[kiosk]\nid = z\n", path);
	assert_int_equal(parse(text), 0);
	assert_string_equal(cfg.kiosk_id, "z");
}

static void test_indented_keys_are_not_continuations(void **state)
{
	(void)state;
	/* inih would read an indented line as more of the value above. */
	assert_int_equal(parse("[display]\n  width = 1024\n  height = 600\n"), 0);
	assert_int_equal(cfg.display_width, 1024);
	assert_int_equal(cfg.display_height, 600);
}

static void test_comments_quotes_and_duplicates(void **state)
{
	(void)state;
	const char *text = "# comment\n"
	                   "; comment\n"
	                   "[kiosk]   ; trailing comment\n"
	                   "id = first\n"
	                   "name = \"quoted\" ; comment\n"
	                   "id = second\n"
	                   "zone: hall\n";
	assert_int_equal(parse(text), 0);
	assert_string_equal(cfg.kiosk_id, "second"); /* the last one wins */
	assert_string_equal(cfg.kiosk_name, "quoted");
	assert_string_equal(cfg.zone, "hall");
	/* Only a whole pair of quotes is removed. */
	assert_int_equal(parse("[kiosk]\nname = \"half\n"), 0);
	assert_string_equal(cfg.kiosk_name, "\"half");
}

static void test_control_bytes_are_escaped(void **state)
{
	(void)state;
	assert_int_equal(parse("[kiosk]\nmode = a\x01"
	                       "b\n"),
	                 CV_EINVAL);
	assert_contains(err, "(got 'a\\x01b')");
	assert_null(strchr(err, '\x01'));
	assert_int_equal(parse("[kiosk]\nna\x02me = x\n"), CV_EINVAL);
	assert_contains(err, "kiosk.conf:2: [kiosk] na\\x02me: unknown key");
	assert_int_equal(parse("[kiosk]\n\x03\n"), CV_EINVAL);
	assert_contains(err, "kiosk.conf:2: expected '[section]' or 'key = value' (got '\\x03')");
}

static void test_err_small_and_null(void **state)
{
	(void)state;
	char small[12];
	cv_config_defaults(&cfg);
	assert_int_equal(cv_config_parse("[x]\n", "kiosk.conf", &cfg, small, sizeof small),
	                 CV_EINVAL);
	assert_string_equal(small, "kiosk.conf:");
	assert_int_equal(cv_config_parse("[x]\n", "kiosk.conf", &cfg, NULL, 0), CV_EINVAL);
	assert_int_equal(cv_config_parse("[kiosk]\nid=q\n", NULL, &cfg, NULL, 0), 0);
	assert_string_equal(cfg.source, "(string)");
}

/* The example in docs/config.md parses, so the documentation stays true. */
static void test_docs_example(void **state)
{
	(void)state;
	static char doc[65536];
	FILE *f = fopen(CONVENE_SOURCE_ASSETS "/../docs/config.md", "rb");
	assert_non_null(f);
	size_t n = fread(doc, 1, sizeof doc - 1, f);
	fclose(f);
	doc[n] = '\0';
	char *start = strstr(doc, "```ini\n");
	assert_non_null(start);
	start += strlen("```ini\n");
	char *end = strstr(start, "```");
	assert_non_null(end);
	*end = '\0';
	assert_int_equal(parse(start), 0);
	assert_string_equal(cfg.kiosk_id, "door-north");
	assert_string_equal(cfg.kiosk_name, "North door");
	assert_int_equal(cfg.reader_driver, CV_READER_DRIVER_NFC);
	assert_true(cfg.display_fullscreen);
	assert_string_equal(cfg.sync_url, "https://hub.example.org/convene");
}

static void test_mode_names(void **state)
{
	(void)state;
	assert_string_equal(cv_config_mode_name(CV_MODE_CHECKIN), "checkin");
	assert_string_equal(cv_config_mode_name(CV_MODE_MEET), "meet");
	assert_string_equal(cv_config_mode_name(CV_MODE_BOTH), "both");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_empty_text_keeps_defaults),
	    cmocka_unit_test(test_full_file),
	    cmocka_unit_test(test_example_message),
	    cmocka_unit_test(test_kiosk_keys),
	    cmocka_unit_test(test_store_keys),
	    cmocka_unit_test(test_reader_keys),
	    cmocka_unit_test(test_display_keys),
	    cmocka_unit_test(test_display_touch_calibration),
	    cmocka_unit_test(test_audio_keys),
	    cmocka_unit_test(test_assets_keys),
	    cmocka_unit_test(test_flow_keys),
	    cmocka_unit_test(test_clock_and_sync_keys),
	    cmocka_unit_test(test_unknown_section),
	    cmocka_unit_test(test_unknown_key),
	    cmocka_unit_test(test_key_outside_section),
	    cmocka_unit_test(test_syntax_errors),
	    cmocka_unit_test(test_long_lines),
	    cmocka_unit_test(test_indented_keys_are_not_continuations),
	    cmocka_unit_test(test_comments_quotes_and_duplicates),
	    cmocka_unit_test(test_control_bytes_are_escaped),
	    cmocka_unit_test(test_err_small_and_null),
	    cmocka_unit_test(test_docs_example),
	    cmocka_unit_test(test_mode_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
