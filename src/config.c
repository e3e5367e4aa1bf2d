/* The kiosk's configuration: the defaults, the table of every [section] key
 * with its rule, and the INI parse (through inih) that stops at the first
 * wrong line with a message naming file, line, section, key and value. */
#include "cv_config.h"

#include <ctype.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cv_badge.h"
#include "cv_error.h"

/* inih reads a line into a buffer of INI_MAX_LINE (200) bytes and treats
 * what does not fit as the next line; lines are checked before inih sees
 * them so an overlong one is reported as such, on its own line number. */
#if CV_CONFIG_LINE_MAX + 3 > 200
#error "CV_CONFIG_LINE_MAX does not fit inih's line buffer"
#endif

#define WHY_MAX 512
#define GOT_MAX 64 /* bytes of a value quoted back in a message */

struct parse_ctx {
	struct cv_config *cfg;
	char why[2 * WHY_MAX]; /* the handler's complaint, without file and line */
	bool failed;
};

enum key_type { KEY_TEXT, KEY_INT, KEY_BOOL, KEY_SPECIAL };

/* A value rule for KEY_SPECIAL: parses v into cfg or writes why. */
typedef int (*key_setter)(struct cv_config *cfg, const char *v, char *why, size_t whylen);

struct key_spec {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset; /* into struct cv_config */
	size_t size;   /* KEY_TEXT: the field's size */
	int min, max;  /* KEY_INT */
	const char *unit;
	bool (*valid)(const char *v); /* KEY_TEXT: NULL accepts any text */
	const char *rule;             /* KEY_TEXT: what valid() wants */
	bool required;                /* KEY_TEXT: empty is an error */
	key_setter set;               /* KEY_SPECIAL */
};

static const char *const sections[] = {"kiosk",   "store", "reader",  "display", "audio",
                                       "assets",  "flow",  "clock",   "sync",    "organizer",
                                       "consent", "serve", "feedback"};
#define SECTION_COUNT (sizeof sections / sizeof sections[0])

/* ---- value rules ---- */

static bool is_id_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

static bool valid_id(const char *v)
{
	for (const char *p = v; *p; p++)
		if (!is_id_char(*p))
			return false;
	return true;
}

/* Names of asset sets end up in paths: no leading dot, so no "..". */
static bool valid_set_name(const char *v)
{
	return v[0] != '.' && valid_id(v);
}

static bool valid_board(const char *v)
{
	for (const char *p = v; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
			return false;
	return true;
}

/* [a-z]{2,3}(-[A-Za-z]{2})? */
static bool valid_language(const char *v)
{
	size_t n = 0;
	while (islower((unsigned char)v[n]))
		n++;
	if (n < 2 || n > 3)
		return false;
	if (v[n] == '\0')
		return true;
	return v[n] == '-' && isalpha((unsigned char)v[n + 1]) &&
	       isalpha((unsigned char)v[n + 2]) && v[n + 3] == '\0';
}

static bool has_control_chars(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

static bool ascii_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
	return *a == *b;
}

static bool ascii_iprefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* A crypto_pwhash_str string: "$argon2" and printable ASCII without blanks. */
static bool valid_pin_hash(const char *v)
{
	if (strncmp(v, "$argon2", 7) != 0)
		return false;
	for (const char *p = v; *p; p++)
		if (*p <= ' ' || *p > '~')
			return false;
	return true;
}

static bool valid_zone_list(const char *v)
{
	for (const char *p = v; *p; p++)
		if (!is_id_char(*p) && *p != ',' && *p != ' ')
			return false;
	return true;
}

/* [serve] listen: an IPv4 address or host name, a colon, a port 1..65535. */
static bool valid_listen(const char *v)
{
	const char *colon = strrchr(v, ':');
	if (!colon || colon == v || colon[1] == '\0')
		return false;
	for (const char *p = v; p < colon; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			return false;
	long port = 0;
	for (const char *p = colon + 1; *p; p++) {
		if (!isdigit((unsigned char)*p) || port > 65535)
			return false;
		port = port * 10 + (*p - '0');
	}
	return port >= 1 && port <= 65535;
}

static int set_mode(struct cv_config *cfg, const char *v, char *why, size_t whylen)
{
	static const enum cv_mode modes[] = {CV_MODE_CHECKIN, CV_MODE_MEET, CV_MODE_BOTH};
	/* "live" is a kiosk that only shows the live screen: the pairing mode
	 * keeps its value for the flow, which such a kiosk never runs. */
	cfg->live_screen = ascii_ieq(v, "live");
	if (cfg->live_screen)
		return 0;
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		if (ascii_ieq(v, cv_config_mode_name(modes[i]))) {
			cfg->mode = modes[i];
			return 0;
		}
	}
	snprintf(why, whylen, "must be checkin, meet, both or live");
	return CV_EINVAL;
}

static int set_driver(struct cv_config *cfg, const char *v, char *why, size_t whylen)
{
	if (ascii_ieq(v, "sim"))
		cfg->reader_driver = CV_READER_DRIVER_SIM;
	else if (ascii_ieq(v, "nfc"))
		cfg->reader_driver = CV_READER_DRIVER_NFC;
	else {
		snprintf(why, whylen, "must be sim or nfc");
		return CV_EINVAL;
	}
	return 0;
}

static int set_trust(struct cv_config *cfg, const char *v, char *why, size_t whylen)
{
	if (ascii_ieq(v, "auto"))
		cfg->clock_trust = CV_CLOCK_TRUST_AUTO;
	else if (ascii_ieq(v, "always"))
		cfg->clock_trust = CV_CLOCK_TRUST_ALWAYS;
	else if (ascii_ieq(v, "never"))
		cfg->clock_trust = CV_CLOCK_TRUST_NEVER;
	else {
		snprintf(why, whylen, "must be auto, always or never");
		return CV_EINVAL;
	}
	return 0;
}

static int set_rotation(struct cv_config *cfg, const char *v, char *why, size_t whylen)
{
	static const struct {
		const char *text;
		int degrees;
	} turns[] = {{"0", 0}, {"90", 90}, {"180", 180}, {"270", 270}};
	for (size_t i = 0; i < sizeof turns / sizeof turns[0]; i++) {
		if (strcmp(v, turns[i].text) == 0) {
			cfg->display_rotation = turns[i].degrees;
			return 0;
		}
	}
	snprintf(why, whylen, "must be 0, 90, 180 or 270 (degrees clockwise)");
	return CV_EINVAL;
}

static int set_touch_calibration(struct cv_config *cfg, const char *v, char *why, size_t whylen)
{
	return cv_touch_matrix_parse(v, &cfg->display_touch_calibration, why, whylen);
}

/* Copies the item of a comma list that starts at *p into item (trimmed),
 * and moves *p past it; *p becomes NULL after the last item. Returns false
 * when the item does not fit. */
static bool next_item(const char **p, char *item, size_t itemlen)
{
	const char *start = *p;
	const char *end = strchr(start, ',');
	if (end)
		*p = end + 1;
	else {
		end = start + strlen(start);
		*p = NULL;
	}
	while (start < end && isspace((unsigned char)*start))
		start++;
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	size_t n = (size_t)(end - start);
	if (n >= itemlen) {
		item[0] = '\0';
		return false;
	}
	memcpy(item, start, n);
	item[n] = '\0';
	return true;
}

static int set_modulations(struct cv_config *cfg, const char *v, char *why, size_t whylen)
{
	static const struct {
		const char *name;
		unsigned bit;
	} mods[] = {{"iso14443a", CV_MODULATION_ISO14443A},
	            {"iso14443b", CV_MODULATION_ISO14443B},
	            {"felica", CV_MODULATION_FELICA}};
	unsigned mask = 0;
	const char *p = v;
	int index = 0;
	char item[32];

	do {
		index++;
		bool fits = next_item(&p, item, sizeof item);
		bool found = false;
		for (size_t i = 0; fits && i < sizeof mods / sizeof mods[0]; i++) {
			if (ascii_ieq(item, mods[i].name)) {
				mask |= mods[i].bit;
				found = true;
			}
		}
		if (!found) {
			snprintf(why, whylen,
			         "item %d is not a modulation: must be a comma-separated list of "
			         "iso14443a, iso14443b and felica",
			         index);
			return CV_EINVAL;
		}
	} while (p);
	cfg->reader_modulations = mask;
	return 0;
}

static int set_sim_keys(struct cv_config *cfg, const char *v, char *why, size_t whylen)
{
	char joined[sizeof cfg->reader_sim_keys] = "";
	size_t used = 0;
	const char *p = v;
	int index = 0;
	char item[64];

	if (*v == '\0') {
		cfg->reader_sim_keys[0] = '\0';
		return 0;
	}
	do {
		char hex[CV_UID_HEX_MAX];
		index++;
		if (index > CV_SIM_KEYS_MAX) {
			snprintf(why, whylen, "at most %d UIDs (for keys 1 to %d)", CV_SIM_KEYS_MAX,
			         CV_SIM_KEYS_MAX);
			return CV_EINVAL;
		}
		if (!next_item(&p, item, sizeof item) || cv_badge_uid_normalize(item, hex) != 0) {
			snprintf(why, whylen,
			         "item %d is not a UID: each must be 4, 7 or 10 bytes in hex, "
			         "separated by commas",
			         index);
			return CV_EINVAL;
		}
		/* Nine UIDs of 20 hex digits and their commas fit: asserted by size. */
		used += (size_t)snprintf(joined + used, sizeof joined - used, "%s%s",
		                         used ? "," : "", hex);
	} while (p);
	memcpy(cfg->reader_sim_keys, joined, sizeof joined);
	return 0;
}

static int set_url(struct cv_config *cfg, const char *v, char *why, size_t whylen)
{
	size_t n = strlen(v);
	if (n >= sizeof cfg->sync_url) {
		snprintf(why, whylen, "too long (max %zu bytes)", sizeof cfg->sync_url - 1);
		return CV_EINVAL;
	}
	if (n > 0) {
		const char *rest = ascii_iprefix(v, "https://")  ? v + 8
		                   : ascii_iprefix(v, "http://") ? v + 7
		                                                 : NULL;
		bool blank = false;
		for (const char *p = v; *p; p++)
			if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
				blank = true;
		if (!rest || *rest == '\0' || *rest == '/' || blank) {
			snprintf(why, whylen,
			         "must be empty or a URL starting with http:// or https://, "
			         "without spaces");
			return CV_EINVAL;
		}
	}
	memcpy(cfg->sync_url, v, n + 1);
	return 0;
}

/* [feedback] led_line, buzzer_line: a line offset on the chip, or none. */
static int set_line(int *field, const char *v, char *why, size_t whylen)
{
	if (*v == '\0' || ascii_ieq(v, "none") || strcmp(v, "-1") == 0) {
		*field = -1;
		return 0;
	}
	long n = 0;
	const char *p = *v == '+' ? v + 1 : v;
	if (*p == '\0')
		n = -1;
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p) || n > CV_FEEDBACK_LINE_MAX) {
			n = -1;
			break;
		}
		n = n * 10 + (*p - '0');
	}
	if (n < 0 || n > CV_FEEDBACK_LINE_MAX) {
		snprintf(why, whylen,
		         "must be a line offset on the chip from 0 to %d, "
		         "or none (or -1, or empty)",
		         CV_FEEDBACK_LINE_MAX);
		return CV_EINVAL;
	}
	*field = (int)n;
	return 0;
}

static int set_led_line(struct cv_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_line(&cfg->feedback_led_line, v, why, whylen);
}

static int set_buzzer_line(struct cv_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_line(&cfg->feedback_buzzer_line, v, why, whylen);
}

/* ---- the table of keys ---- */

#define OFF(field) offsetof(struct cv_config, field)
#define SZ(field) sizeof(((struct cv_config *)0)->field)
#define TEXT(sec, key, field, check, why, req)                                                     \
	{                                                                                          \
		.section = sec, .name = key, .type = KEY_TEXT, .offset = OFF(field),               \
		.size = SZ(field), .valid = check, .rule = why, .required = req                    \
	}
#define INT(sec, key, field, lo, hi, u)                                                            \
	{                                                                                          \
		.section = sec, .name = key, .type = KEY_INT, .offset = OFF(field), .min = lo,     \
		.max = hi, .unit = u                                                               \
	}
#define BOOL(sec, key, field)                                                                      \
	{                                                                                          \
		.section = sec, .name = key, .type = KEY_BOOL, .offset = OFF(field)                \
	}
#define SPECIAL(sec, key, fn)                                                                      \
	{                                                                                          \
		.section = sec, .name = key, .type = KEY_SPECIAL, .set = fn                        \
	}

#define ID_RULE "must be letters, digits, '.', '_' or '-'"

static const struct key_spec keys[] = {
    TEXT("kiosk", "id", kiosk_id, valid_id, ID_RULE, true),
    TEXT("kiosk", "name", kiosk_name, NULL, NULL, true),
    TEXT("kiosk", "zone", zone, valid_id, ID_RULE, true),
    SPECIAL("kiosk", "mode", set_mode),
    TEXT("kiosk", "board", board, valid_board,
         "must be a board profile name: lower-case letters, digits or '-'", false),
    TEXT("store", "path", store_path, NULL, NULL, true),
    SPECIAL("reader", "driver", set_driver),
    TEXT("reader", "connstring", reader_connstring, NULL, NULL, false),
    TEXT("reader", "script", reader_script, NULL, NULL, false),
    SPECIAL("reader", "sim_keys", set_sim_keys),
    SPECIAL("reader", "modulations", set_modulations),
    INT("reader", "health_interval_ms", reader_health_interval_ms, 1000, 60000, "milliseconds"),
    INT("display", "width", display_width, 240, 7680, "pixels"),
    INT("display", "height", display_height, 240, 4320, "pixels"),
    BOOL("display", "fullscreen", display_fullscreen),
    SPECIAL("display", "rotation", set_rotation),
    INT("display", "input_poll_ms", display_input_poll_ms, 5, 200, "milliseconds"),
    TEXT("display", "font", display_font, NULL, NULL, false),
    SPECIAL("display", "touch_calibration", set_touch_calibration),
    BOOL("audio", "sound", sound),
    TEXT("assets", "dir", assets_dir, NULL, NULL, false),
    TEXT("assets", "language", assets_language, valid_language,
         "must be a language tag such as en, fr, pt-BR or fil", true),
    TEXT("assets", "prompts", assets_prompts, valid_set_name, ID_RULE ", not starting with '.'",
         true),
    TEXT("assets", "theme", assets_theme, valid_set_name, ID_RULE ", not starting with '.'", true),
    INT("flow", "pair_window_ms", pair_window_ms, 1000, 60000, "milliseconds"),
    INT("flow", "debounce_ms", debounce_ms, 0, 10000, "milliseconds"),
    INT("flow", "prompt_timeout_ms", prompt_timeout_ms, 2000, 120000, "milliseconds"),
    INT("flow", "message_ms", message_ms, 500, 30000, "milliseconds"),
    SPECIAL("clock", "trust", set_trust),
    SPECIAL("sync", "url", set_url),
    TEXT("sync", "token_file", sync_token_file, NULL, NULL, false),
    /* sync: TLS trust, pacing and bundles; the receiving server */
    TEXT("sync", "ca_file", sync_ca_file, NULL, NULL, false),
    TEXT("sync", "pinned_pubkey", sync_pinned_pubkey, NULL, NULL, false),
    INT("sync", "interval_s", sync_interval_s, 5, 86400, "seconds"),
    INT("sync", "batch_size", sync_batch_size, 1, 1000, "records"),
    INT("sync", "connect_timeout_s", sync_connect_timeout_s, 1, 300, "seconds"),
    INT("sync", "timeout_s", sync_timeout_s, 1, 3600, "seconds"),
    INT("sync", "attempts", sync_attempts, 1, 1000, "attempts"),
    TEXT("sync", "server_public_key_file", sync_server_public_key_file, NULL, NULL, false),
    TEXT("serve", "listen", serve_listen, valid_listen,
         "must be HOST:PORT, e.g. 0.0.0.0:8765 or 127.0.0.1:8765", true),
    TEXT("serve", "tokens_file", serve_tokens_file, NULL, NULL, false),
    TEXT("serve", "public_key_file", serve_public_key_file, NULL, NULL, false),
    TEXT("serve", "secret_key_file", serve_secret_key_file, NULL, NULL, false),
    TEXT("organizer", "pin_hash", organizer_pin_hash, valid_pin_hash,
         "must be the line 'convene hash-pin' prints ($argon2id$...)", false),
    TEXT("organizer", "zones", organizer_zones, valid_zone_list,
         "must be zone ids (letters, digits, '.', '_' or '-') separated by commas", false),
    TEXT("organizer", "export_dir", organizer_export_dir, NULL, NULL, false),
    BOOL("consent", "ask", consent_ask),
    TEXT("feedback", "chip", feedback_chip, NULL, NULL, true),
    SPECIAL("feedback", "led_line", set_led_line),
    SPECIAL("feedback", "buzzer_line", set_buzzer_line),
    BOOL("feedback", "active_low", feedback_active_low),
    INT("feedback", "led_ms", feedback_led_ms, 10, 10000, "milliseconds"),
    INT("feedback", "buzzer_ms", feedback_buzzer_ms, 10, 2000, "milliseconds"),
};
#define KEY_COUNT (sizeof keys / sizeof keys[0])

/* ---- applying one value ---- */

static int apply_text(const struct key_spec *k, struct cv_config *cfg, const char *v, char *why,
                      size_t whylen)
{
	size_t n = strlen(v);
	if (n >= k->size) {
		snprintf(why, whylen, "too long (max %zu bytes)", k->size - 1);
		return CV_EINVAL;
	}
	if (n == 0 && k->required) {
		snprintf(why, whylen, "must not be empty");
		return CV_EINVAL;
	}
	if (has_control_chars(v)) {
		snprintf(why, whylen, "must not contain control characters");
		return CV_EINVAL;
	}
	if (k->valid && n > 0 && !k->valid(v)) {
		snprintf(why, whylen, "%s", k->rule);
		return CV_EINVAL;
	}
	memcpy((char *)cfg + k->offset, v, n + 1);
	return 0;
}

static int apply_int(const struct key_spec *k, struct cv_config *cfg, const char *v, char *why,
                     size_t whylen)
{
	const char *p = v;
	long n = 0;

	if (*p == '+')
		p++;
	bool ok = isdigit((unsigned char)*p);
	for (; ok && *p; p++) {
		if (!isdigit((unsigned char)*p) || n > INT_MAX / 10) {
			ok = false;
			break;
		}
		n = n * 10 + (*p - '0');
	}
	if (!ok || n < k->min || n > k->max) {
		snprintf(why, whylen, "must be a whole number of %s from %d to %d", k->unit, k->min,
		         k->max);
		return CV_EINVAL;
	}
	*(int *)(void *)((char *)cfg + k->offset) = (int)n;
	return 0;
}

static int apply_bool(const struct key_spec *k, struct cv_config *cfg, const char *v, char *why,
                      size_t whylen)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	bool *field = (bool *)(void *)((char *)cfg + k->offset);

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (ascii_ieq(v, yes[i])) {
			*field = true;
			return 0;
		}
		if (ascii_ieq(v, no[i])) {
			*field = false;
			return 0;
		}
	}
	snprintf(why, whylen, "must be true or false (or yes/no, on/off, 1/0)");
	return CV_EINVAL;
}

/* ---- names: lookup and the nearest suggestion ---- */

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[64];

	if (lb >= sizeof row / sizeof row[0] || la >= 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost =
			    tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1])
			        ? 0
			        : 1;
			size_t best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The candidate nearest to name, when it is near enough to be a typo. */
static const char *nearest(const char *name, const char *const *candidates, size_t count)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;
	size_t limit = strlen(name) <= 4 ? 1 : 2;

	for (size_t i = 0; i < count; i++) {
		size_t d = edit_distance(name, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best_d <= limit ? best : NULL;
}

static const char *find_section(const char *name)
{
	for (size_t i = 0; i < SECTION_COUNT; i++)
		if (ascii_ieq(name, sections[i]))
			return sections[i];
	return NULL;
}

static const struct key_spec *find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < KEY_COUNT; i++)
		if (strcmp(keys[i].section, section) == 0 && ascii_ieq(keys[i].name, name))
			return &keys[i];
	return NULL;
}

static const struct key_spec *find_key_anywhere(const char *name)
{
	for (size_t i = 0; i < KEY_COUNT; i++)
		if (ascii_ieq(keys[i].name, name))
			return &keys[i];
	return NULL;
}

static void explain_unknown_key(const char *section, const char *name, char *why, size_t whylen)
{
	const char *names[KEY_COUNT];
	size_t count = 0;
	char known[256] = "";
	size_t used = 0;

	for (size_t i = 0; i < KEY_COUNT; i++) {
		if (strcmp(keys[i].section, section) != 0)
			continue;
		names[count++] = keys[i].name;
		used += (size_t)snprintf(known + used, sizeof known - used, "%s%s",
		                         used ? ", " : "", keys[i].name);
		if (used >= sizeof known)
			used = sizeof known - 1;
	}
	const char *near = nearest(name, names, count);
	const struct key_spec *elsewhere = find_key_anywhere(name);
	if (near)
		snprintf(why, whylen, "unknown key; did you mean '%s'? (known keys: %s)", near,
		         known);
	else if (elsewhere)
		snprintf(why, whylen, "unknown key here; '%s' belongs in [%s] (known keys: %s)",
		         elsewhere->name, elsewhere->section, known);
	else
		snprintf(why, whylen, "unknown key (known keys: %s)", known);
}

/* ---- the inih handler ---- */

/* Text from the file quoted back in a message: printable ASCII and UTF-8
 * bytes as they are, control bytes and quotes as \xHH, cut at GOT_MAX
 * bytes so the message stays one readable line. out holds GOT_MAX * 4 + 4. */
static void show(const char *text, char *out, size_t outlen)
{
	size_t used = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if ((size_t)(p - (const unsigned char *)text) >= GOT_MAX) {
			used += (size_t)snprintf(out + used, outlen - used, "...");
			break;
		}
		if ((*p >= 0x20 && *p < 0x7f && *p != '\'') || *p >= 0x80)
			out[used++] = (char)*p;
		else
			used += (size_t)snprintf(out + used, outlen - used, "\\x%02X", *p);
	}
	out[used] = '\0';
}

/* Copies s without surrounding whitespace (and, with unquote, without one
 * pair of surrounding double quotes) into buf, cut to fit. */
static void trim_copy(const char *s, bool unquote, char *buf, size_t buflen)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (unquote && n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
	}
	if (n >= buflen)
		n = buflen - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

static int handler(void *user, const char *section_raw, const char *name_raw, const char *value)
{
	struct parse_ctx *ctx = user;
	char section[64], name[64], v[CV_CONFIG_LINE_MAX + 1];
	char shown_name[GOT_MAX * 4 + 4];

	if (ctx->failed)
		return 0;
	trim_copy(section_raw, false, section, sizeof section);
	trim_copy(name_raw, false, name, sizeof name);
	show(name, shown_name, sizeof shown_name);
	/* A value is never longer than its line, which fits v. */
	trim_copy(value, true, v, sizeof v);

	const char *sec = find_section(section);
	if (!sec) {
		/* Section lines were checked before inih ran; only a key above
		 * every section gets here. */
		const struct key_spec *k = find_key_anywhere(name);
		if (k)
			snprintf(ctx->why, sizeof ctx->why,
			         "%s: outside any section; it belongs under [%s]", shown_name,
			         k->section);
		else
			snprintf(ctx->why, sizeof ctx->why, "%s: outside any section", shown_name);
		ctx->failed = true;
		return 0;
	}

	const struct key_spec *k = find_key(sec, name);
	char why[WHY_MAX / 2];
	int rc;
	if (!k) {
		explain_unknown_key(sec, name, why, sizeof why);
		snprintf(ctx->why, sizeof ctx->why, "[%s] %s: %s", sec, shown_name, why);
		ctx->failed = true;
		return 0;
	}
	switch (k->type) {
	case KEY_TEXT: rc = apply_text(k, ctx->cfg, v, why, sizeof why); break;
	case KEY_INT: rc = apply_int(k, ctx->cfg, v, why, sizeof why); break;
	case KEY_BOOL: rc = apply_bool(k, ctx->cfg, v, why, sizeof why); break;
	default: rc = k->set(ctx->cfg, v, why, sizeof why); break;
	}
	if (rc == 0)
		return 1;

	char got[GOT_MAX * 4 + 4];
	show(v, got, sizeof got);
	snprintf(ctx->why, sizeof ctx->why, "[%s] %s: %s (got '%s')", sec, k->name, why, got);
	ctx->failed = true;
	return 0;
}

/* ---- the line check that runs before inih ---- */

/* Where inih's find_chars_or_comment stops: at one of chars, or at a ';'
 * that follows whitespace (an inline comment), or at the end. */
static const char *find_chars_or_comment(const char *s, const char *chars)
{
	bool was_space = false;
	while (*s && !strchr(chars, *s) && !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

/* Checks one trimmed, non-comment line the way inih will read it: a
 * "[section]" of a known section, or "key = value". Returns false with why. */
static bool check_line(const char *buf, char *why, size_t whylen)
{
	char shown[GOT_MAX * 4 + 4];

	show(buf, shown, sizeof shown);
	if (buf[0] != '[') {
		const char *eq = find_chars_or_comment(buf, "=:");
		if (*eq != '=' && *eq != ':') {
			snprintf(why, whylen, "expected '[section]' or 'key = value' (got '%s')",
			         shown);
			return false;
		}
		if (eq == buf) {
			snprintf(why, whylen, "a key name is missing before '%c' (got '%s')", *eq,
			         shown);
			return false;
		}
		return true;
	}

	const char *close = find_chars_or_comment(buf + 1, "]");
	if (*close != ']') {
		snprintf(why, whylen, "a section header needs a closing ']' (got '%s')", shown);
		return false;
	}
	const char *after = close + 1;
	while (isspace((unsigned char)*after))
		after++;
	if (*after && *after != ';' && *after != '#') {
		snprintf(why, whylen,
		         "nothing may follow a section header but a comment (got '%s')", shown);
		return false;
	}
	char name[CV_CONFIG_LINE_MAX + 1];
	size_t n = (size_t)(close - buf - 1);
	memcpy(name, buf + 1, n);
	name[n] = '\0';
	char trimmed[CV_CONFIG_LINE_MAX + 1];
	trim_copy(name, false, trimmed, sizeof trimmed);
	if (find_section(trimmed))
		return true;
	const char *near = nearest(trimmed, sections, SECTION_COUNT);
	char hint[64] = "";
	if (near)
		snprintf(hint, sizeof hint, "did you mean [%s]? ", near);
	show(trimmed, shown, sizeof shown);
	snprintf(why, whylen,
	         "[%s]: unknown section; %s(known sections: kiosk, store, reader, display, "
	         "audio, assets, flow, clock, sync, organizer, consent, serve, feedback)",
	         shown, hint);
	return false;
}

/* Copies text into a fresh buffer, one line per line: leading blanks
 * removed (so inih never reads a line as the continuation of the value
 * above it), comments emptied, and stops before the first line that
 * check_line refuses or that is too long for inih's line buffer. That
 * line's number and complaint go to *bad_line and why. */
static char *prepare(const char *text, size_t *bad_line, char *why, size_t whylen)
{
	size_t len = strlen(text);
	char *copy = malloc(len + 2);
	char *out = copy;
	size_t line = 0;

	*bad_line = 0;
	if (!copy)
		return NULL;
	if ((unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
	    (unsigned char)text[2] == 0xBF)
		text += 3;
	for (const char *p = text; *p;) {
		const char *eol = strchr(p, '\n');
		const char *next = eol ? eol + 1 : p + strlen(p);
		const char *start = p, *end = eol ? eol : next;
		char buf[CV_CONFIG_LINE_MAX + 1];

		line++;
		p = next;
		while (start < end && isspace((unsigned char)*start))
			start++;
		while (end > start && isspace((unsigned char)end[-1]))
			end--;
		size_t n = (size_t)(end - start);
		if (n > 0 && *start != ';' && *start != '#') {
			if (n > CV_CONFIG_LINE_MAX) {
				snprintf(why, whylen, "line too long (max %d bytes)",
				         CV_CONFIG_LINE_MAX);
				*bad_line = line;
				break;
			}
			memcpy(buf, start, n);
			buf[n] = '\0';
			if (!check_line(buf, why, whylen)) {
				*bad_line = line;
				break;
			}
			memcpy(out, start, n);
			out += n;
		}
		*out++ = '\n';
	}
	*out = '\0';
	return copy;
}

/* ---- public ---- */

const char *cv_config_mode_name(enum cv_mode mode)
{
	switch (mode) {
	case CV_MODE_CHECKIN: return "checkin";
	case CV_MODE_MEET: return "meet";
	case CV_MODE_BOTH: return "both";
	}
	return "?";
}

void cv_config_defaults(struct cv_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	snprintf(cfg->kiosk_id, sizeof cfg->kiosk_id, "kiosk-1");
	snprintf(cfg->kiosk_name, sizeof cfg->kiosk_name, "Convene kiosk");
	snprintf(cfg->zone, sizeof cfg->zone, "entrance");
	cfg->mode = CV_MODE_BOTH;
	snprintf(cfg->store_path, sizeof cfg->store_path, "convene.db");
	cfg->reader_driver = CV_READER_DRIVER_SIM;
	cfg->reader_modulations = CV_MODULATION_ISO14443A;
	cfg->reader_health_interval_ms = 5000;
	cfg->display_width = 800;
	cfg->display_height = 480;
	cfg->display_fullscreen = false;
	cfg->display_rotation = 0;
	cfg->display_touch_calibration = CV_TOUCH_IDENTITY;
	cfg->display_input_poll_ms = 20;
	cfg->sound = true;
	snprintf(cfg->assets_language, sizeof cfg->assets_language, "en");
	snprintf(cfg->assets_prompts, sizeof cfg->assets_prompts, "default");
	snprintf(cfg->assets_theme, sizeof cfg->assets_theme, "default");
	cfg->pair_window_ms = 8000;
	cfg->debounce_ms = 1500;
	cfg->prompt_timeout_ms = 15000;
	cfg->message_ms = 2500;
	cfg->clock_trust = CV_CLOCK_TRUST_AUTO;
	snprintf(cfg->organizer_export_dir, sizeof cfg->organizer_export_dir, "/media");
	cfg->sync_interval_s = 60;
	cfg->sync_batch_size = 300;
	cfg->sync_connect_timeout_s = 10;
	cfg->sync_timeout_s = 60;
	cfg->sync_attempts = 8;
	snprintf(cfg->serve_listen, sizeof cfg->serve_listen, "127.0.0.1:8765");
	snprintf(cfg->feedback_chip, sizeof cfg->feedback_chip, "gpiochip0");
	cfg->feedback_led_line = -1;
	cfg->feedback_buzzer_line = -1;
	cfg->feedback_led_ms = 150;
	cfg->feedback_buzzer_ms = 60;
	snprintf(cfg->source, sizeof cfg->source, "(defaults)");
}

int cv_config_parse(const char *text, const char *filename, struct cv_config *cfg, char *err,
                    size_t errlen)
{
	struct parse_ctx ctx = {.cfg = cfg};
	char bad_why[WHY_MAX];
	size_t bad_line;
	const char *file = filename ? filename : "(string)";

	cv_error_format(err, errlen, "%s", "");
	snprintf(cfg->source, sizeof cfg->source, "%s", file);
	if (!text) {
		cv_error_format(err, errlen, "%s: no text", file);
		return CV_EINVAL;
	}
	char *copy = prepare(text, &bad_line, bad_why, sizeof bad_why);
	if (!copy) {
		cv_error_format(err, errlen, "%s: out of memory", file);
		return CV_ENOMEM;
	}
	/* The copy ends before the first bad line, so an error inih reports
	 * comes first in the file. */
	int line = ini_parse_string(copy, handler, &ctx);
	free(copy);
	if (line < 0) {
		cv_error_format(err, errlen, "%s: out of memory", file);
		return CV_ENOMEM;
	}
	if (line > 0) {
		if (ctx.failed)
			cv_error_format(err, errlen, "%s:%d: %s", file, line, ctx.why);
		else
			cv_error_format(err, errlen, "%s:%d: syntax error", file, line);
		return CV_EINVAL;
	}
	if (bad_line > 0) {
		cv_error_format(err, errlen, "%s:%zu: %s", file, bad_line, bad_why);
		return CV_EINVAL;
	}
	/* Checked once the whole file is read, so that a file may swap the
	 * lines a board profile gave in either order. */
	if (cfg->feedback_led_line >= 0 && cfg->feedback_led_line == cfg->feedback_buzzer_line) {
		cv_error_format(err, errlen,
		                "%s: [feedback] led_line and buzzer_line are both %d: the LED and "
		                "the buzzer need a line each",
		                file, cfg->feedback_led_line);
		return CV_EINVAL;
	}
	return 0;
}
