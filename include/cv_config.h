/* The kiosk's configuration: defaults, and parsing of the INI text (through
 * inih) with a precise message for the first wrong key or value. Pure: the
 * caller reads the file. docs/config.md documents every key. */
#ifndef CV_CONFIG_H
#define CV_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "cv_clock.h"
#include "cv_touch.h"

#define CV_PATH_MAX 512
#define CV_ID_MAX 64
#define CV_NAME_MAX 128

enum cv_mode {
	CV_MODE_CHECKIN, /* arrivals only, no pairs */
	CV_MODE_MEET,    /* a second badge records the encounter at once */
	CV_MODE_BOTH,    /* a pair is recorded when its answer is not "not together" */
};

enum cv_reader_driver { CV_READER_DRIVER_SIM, CV_READER_DRIVER_NFC };

/* The card families the NFC reader polls for: a bitmask of these. */
enum cv_modulation {
	CV_MODULATION_ISO14443A = 1 << 0, /* MIFARE, NTAG: nearly every badge */
	CV_MODULATION_ISO14443B = 1 << 1,
	CV_MODULATION_FELICA = 1 << 2,
};

#define CV_BOARD_MAX 64
#define CV_SIM_KEYS_MAX 9         /* keys 1..9 of the sim reader */
#define CV_ORGANIZER_HASH_MAX 160 /* an Argon2id string of crypto_pwhash_str, with room */
#define CV_FEEDBACK_LINE_MAX 1023 /* the highest [feedback] line offset accepted */

struct cv_config {
	/* [kiosk] */
	char kiosk_id[CV_ID_MAX];
	char kiosk_name[CV_NAME_MAX];
	char zone[CV_ID_MAX];
	enum cv_mode mode;
	char board[CV_BOARD_MAX]; /* a board profile name; empty: none. main resolves it */
	/* [store] */
	char store_path[CV_PATH_MAX];
	/* [reader] */
	enum cv_reader_driver reader_driver;
	char reader_connstring[CV_PATH_MAX];
	char reader_script[CV_PATH_MAX];
	/* Comma-separated UIDs for keys 1..9, each normalised to upper-case hex
	 * without separators (cv_badge_uid_parse reads them back). */
	char reader_sim_keys[CV_PATH_MAX];
	unsigned reader_modulations;   /* enum cv_modulation bits, never 0 */
	int reader_health_interval_ms; /* how often the reader's health is checked */
	/* [display] */
	int display_width;
	int display_height;
	bool display_fullscreen;
	int display_rotation; /* 0, 90, 180 or 270 degrees clockwise */
	/* the touch sensor onto the panel, before rotation (cv_touch.h) */
	struct cv_touch_matrix display_touch_calibration;
	int display_input_poll_ms;
	char display_font[CV_PATH_MAX]; /* empty: found through fontconfig */
	bool sound;                     /* [audio] sound */
	/* [assets] */
	char assets_dir[CV_PATH_MAX]; /* empty: the built-in search path */
	char assets_language[16];
	char assets_prompts[CV_ID_MAX];
	char assets_theme[CV_ID_MAX];
	/* [flow] */
	int pair_window_ms;
	int debounce_ms;
	int prompt_timeout_ms;
	int message_ms;
	/* [clock] */
	enum cv_clock_trust clock_trust;
	/* [sync] */
	char sync_url[CV_PATH_MAX];
	char sync_token_file[CV_PATH_MAX];
	char sync_ca_file[CV_PATH_MAX];       /* empty: the system's CA store */
	char sync_pinned_pubkey[CV_PATH_MAX]; /* curl's "sha256//BASE64;..." or a key file */
	int sync_interval_s;                  /* the background thread's pause between syncs */
	int sync_batch_size;                  /* records per request */
	int sync_connect_timeout_s;
	int sync_timeout_s; /* a whole request, once connected */
	int sync_attempts;  /* tries of one request before `convene sync` gives up */
	char sync_server_public_key_file[CV_PATH_MAX]; /* seals bundles; empty: not sealed */
	/* [serve] */
	char serve_listen[CV_NAME_MAX]; /* HOST:PORT */
	char serve_tokens_file[CV_PATH_MAX];
	char serve_public_key_file[CV_PATH_MAX];
	char serve_secret_key_file[CV_PATH_MAX];
	/* [kiosk] mode = live: the live attendance screen only, no reader */
	bool live_screen;
	/* [organizer] */
	char organizer_pin_hash[CV_ORGANIZER_HASH_MAX]; /* crypto_pwhash_str; empty: no organiser
	                                                   mode */
	char organizer_zones[CV_PATH_MAX];              /* comma-separated zones the menu offers */
	char organizer_export_dir[CV_PATH_MAX];         /* where USB sticks are mounted */
	/* [consent] */
	bool consent_ask; /* ask on screen at a person's first tap when the roster did not say */
	/* [feedback]: an LED and a buzzer on GPIO lines, both optional */
	char feedback_chip[CV_ID_MAX]; /* a gpiochip name, /dev path, number or label */
	int feedback_led_line;         /* line offset on the chip; -1: none */
	int feedback_buzzer_line;      /* line offset on the chip; -1: none */
	bool feedback_active_low;      /* "on" drives the lines low */
	int feedback_led_ms;           /* how long the LED stays lit for a tap */
	int feedback_buzzer_ms;        /* how long one beep lasts */

	char source[CV_PATH_MAX]; /* the file these came from, or "(defaults)" */
};

/* Fills every key with its documented default. */
void cv_config_defaults(struct cv_config *cfg);

/* Applies the INI text on top of what cfg holds; cfg->source becomes
 * filename (NULL: "(string)"), which messages also name. Section and key
 * names match in any case; a key given twice keeps its last value. On the
 * first syntax error, unknown section or key, or value out of range, returns
 * CV_EINVAL and writes "FILE:LINE: [section] key: why (got 'value')" into
 * err (err may be NULL when errlen is 0). cfg may be partly updated on
 * failure: callers stop start-up. */
int cv_config_parse(const char *text, const char *filename, struct cv_config *cfg, char *err,
                    size_t errlen);

const char *cv_config_mode_name(enum cv_mode mode);

/* Longest line cv_config_parse accepts, in bytes without the line break and
 * leading blanks (comment lines may be longer). */
#define CV_CONFIG_LINE_MAX 196

#endif
