/* Loads what the UI shows from the assets folder: the strings of one
 * language, the prompt set and the theme, each an INI file read through
 * inih, and checks them whole at start-up so a bad or incomplete file stops
 * the kiosk with "FILE:LINE: why" instead of showing a gap at the door. */
#include "cv_assets.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "cv_error.h"
#include "cv_log.h"

#define CV_LOG_TAG "assets"

/* Every string a screen draws. ui.c looks them up by these names; a
 * language file must define all of them. */
static const char *const ui_keys[] = {
    "idle.title",
    "idle.subtitle",
    "idle.place",
    "idle.meet_hint",
    "welcome.title",
    "welcome.organization",
    "welcome.checked_in",
    "welcome.back",
    "welcome.pair_hint",
    "prompt.names",
    "thanks.title",
    "thanks.body",
    "thanks.not_together_title",
    "thanks.not_together_body",
    "unknown.title",
    "unknown.body",
    "refused.title",
    "refused.body",
    "banner.reader_offline",
    "banner.store_failed",
    "welcome.organizer",
    "welcome.consent",
    "welcome.attendance_only",
    "consent.title",
    "consent.attendance",
    "consent.encounters",
    "consent.name_question",
    "consent.show_name",
    "consent.hide_name",
    "consent.done",
    "consent.note",
    "private.title",
    "private.body",
    "org.pin_title",
    "org.pin_hint",
    "org.pin_wrong",
    "org.pin_locked",
    "org.ok",
    "org.erase",
    "org.space",
    "org.back",
    "org.checking",
    "org.menu_title",
    "org.item_live",
    "org.item_enrol",
    "org.item_zone",
    "org.item_sync",
    "org.item_export",
    "org.item_back",
    "org.zone_title",
    "org.enrol_title",
    "org.enrol_body",
    "org.search_title",
    "org.search_none",
    "org.badge_title",
    "org.unbind",
    "org.revoke",
    "org.working",
    "org.done_sync",
    "org.done_export",
    "org.done_bound",
    "org.done_unbound",
    "org.done_revoked",
    "org.done_zone",
    "org.failed",
    "org.random",
    "org.sync_off",
    "org.sync_never",
    "org.sync_running",
    "org.sync_done",
    "org.sync_held",
    "org.sync_unreachable",
    "org.sync_clock",
    "org.sync_bad_token",
    "org.sync_tls",
    "org.sync_refused",
    "org.sync_failed",
    "org.sync_pending",
    "org.sync_quarantined",
    "org.sync_retry_hint",
    "live.title",
    "live.checked_in",
    "live.expected",
    "live.encounters",
    "live.arrivals",
    "live.zones",
    "live.map",
    "live.lonely",
    "live.lonely_none",
    "live.more",
    "live.unnamed",
    "live.intros",
    "live.intros_none",
};

#define UI_KEY_COUNT (sizeof(ui_keys) / sizeof(ui_keys[0]))
#define TEXT_KEY_MAX 48 /* fits struct cv_ui_text_box's key */
#define QUESTION_MAX 256

struct text_entry {
	char key[TEXT_KEY_MAX];
	char *value; /* owned */
};

struct cv_assets {
	char dir[CV_PATH_MAX];
	struct text_entry *texts; /* owned, text_count used of text_cap */
	size_t text_count;
	size_t text_cap;
	char question[QUESTION_MAX];
	struct cv_prompt_option options[CV_FLOW_OPTIONS_MAX];
	int option_count;
	int not_together;
	struct cv_theme theme;
};

/* One file being parsed. inih does not pass line numbers to the handler in
 * Debian's build, so the reader below counts them. */
struct parse {
	struct cv_assets *assets;
	const char *path;
	FILE *fp;
	int line;      /* the line the handler is looking at */
	int next_line; /* the line the next read starts */
	int rc;        /* first error: CV_EINVAL or CV_ENOMEM, 0 for none */
	int err_line;
	char why[256];
	/* prompts */
	char section[CV_SIM_OPTION_MAX + 16];
	int option_line[CV_FLOW_OPTIONS_MAX];
	/* theme */
	unsigned colours_seen;
};

static void parse_fail(struct parse *p, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void parse_fail(struct parse *p, int rc, const char *fmt, ...)
{
	va_list ap;

	if (p->rc != 0)
		return; /* the first error is the one worth reading */
	p->rc = rc;
	p->err_line = p->line;
	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
}

static char *parse_read_line(char *buf, int size, void *stream)
{
	struct parse *p = stream;
	char *s = fgets(buf, size, p->fp);
	size_t len;

	if (!s)
		return NULL;
	p->line = p->next_line;
	len = strlen(s);
	if (len > 0 && s[len - 1] == '\n') {
		p->next_line++;
	} else if (len == (size_t)size - 1 && !feof(p->fp)) {
		/* inih would read the rest as a line of its own */
		parse_fail(p, CV_EINVAL, "line longer than %d bytes", size - 2);
	}
	return s;
}

/* Runs inih over path with handler. Returns 0, CV_ENOTFOUND, CV_EINVAL or
 * CV_ENOMEM with "path:line: why" in err. */
static int parse_file(struct parse *p, ini_handler handler, char *err, size_t errlen)
{
	int line;

	p->fp = fopen(p->path, "r");
	if (!p->fp) {
		int e = errno;
		cv_error_format(err, errlen, "%s: cannot open: %s", p->path, strerror(e));
		return e == ENOENT ? CV_ENOTFOUND : CV_EIO;
	}
	p->line = 0;
	p->next_line = 1;
	line = ini_parse_stream(parse_read_line, p, handler, p);
	fclose(p->fp);
	p->fp = NULL;
	if (line > 0 && (p->rc == 0 || line < p->err_line)) {
		/* a line inih itself could not read, before any error of ours */
		cv_error_format(err, errlen, "%s:%d: not a [section] or key = value line", p->path,
		                line);
		return CV_EINVAL;
	}
	if (line < 0) {
		cv_error_format(err, errlen, "%s: out of memory", p->path);
		return CV_ENOMEM;
	}
	if (p->rc != 0) {
		cv_error_format(err, errlen, "%s:%d: %s", p->path, p->err_line, p->why);
		return p->rc;
	}
	return 0;
}

static bool is_ui_key(const char *key)
{
	for (size_t i = 0; i < UI_KEY_COUNT; i++)
		if (strcmp(ui_keys[i], key) == 0)
			return true;
	return false;
}

static struct text_entry *find_text(const struct cv_assets *a, const char *key)
{
	for (size_t i = 0; i < a->text_count; i++)
		if (strcmp(a->texts[i].key, key) == 0)
			return &a->texts[i];
	return NULL;
}

static int strings_handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	struct cv_assets *a = p->assets;
	char key[TEXT_KEY_MAX];
	int n;

	if (strcmp(section, "meta") == 0)
		return 1; /* free-form: the language's own name, notes */
	n = snprintf(key, sizeof(key), "%s.%s", section, name);
	if (n < 0 || (size_t)n >= sizeof(key)) {
		parse_fail(p, CV_EINVAL, "[%s] %s: name too long", section, name);
		return 0;
	}
	if (find_text(a, key)) {
		parse_fail(p, CV_EINVAL, "[%s] %s given twice", section, name);
		return 0;
	}
	if (!is_ui_key(key)) {
		/* kept and readable, but most likely a typo: say so once */
		cv_log_warn("%s:%d: [%s] %s is not drawn by any screen", p->path, p->line, section,
		            name);
	}
	if (a->text_count == a->text_cap) {
		size_t cap = a->text_cap ? 2 * a->text_cap : 32;
		struct text_entry *t = realloc(a->texts, cap * sizeof(*t));
		if (!t) {
			parse_fail(p, CV_ENOMEM, "out of memory");
			return 0;
		}
		a->texts = t;
		a->text_cap = cap;
	}
	a->texts[a->text_count].value = strdup(value);
	if (!a->texts[a->text_count].value) {
		parse_fail(p, CV_ENOMEM, "out of memory");
		return 0;
	}
	memcpy(a->texts[a->text_count].key, key, sizeof(key));
	a->text_count++;
	return 1;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0")) {
		*out = false;
		return 0;
	}
	return CV_EINVAL;
}

static bool valid_option_id(const char *id)
{
	size_t len = strlen(id);

	if (len == 0 || len >= CV_SIM_OPTION_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)id[i];
		if (!isalnum(c) && c != '_' && c != '-')
			return false;
	}
	return true;
}

/* Starts a new option when the handler enters an [option.<id>] section it
 * has not seen. Returns the option's index or -1 after parse_fail. */
static int prompt_option_for(struct parse *p, const char *section)
{
	struct cv_assets *a = p->assets;
	const char *id = section + strlen("option.");
	struct cv_prompt_option *o;

	if (strcmp(p->section, section) == 0)
		return a->option_count - 1;
	if (!valid_option_id(id)) {
		parse_fail(p, CV_EINVAL,
		           "[%s]: an option id is 1 to %d letters, digits, '_' or '-'", section,
		           CV_SIM_OPTION_MAX - 1);
		return -1;
	}
	if (cv_assets_option_index(a, id) >= 0) {
		parse_fail(p, CV_EINVAL, "[%s] given twice", section);
		return -1;
	}
	if (a->option_count == CV_FLOW_OPTIONS_MAX) {
		parse_fail(p, CV_EINVAL, "[%s]: more than %d options", section,
		           CV_FLOW_OPTIONS_MAX);
		return -1;
	}
	o = &a->options[a->option_count];
	memset(o, 0, sizeof(*o));
	snprintf(o->id, sizeof(o->id), "%s", id);
	p->option_line[a->option_count] = p->line;
	snprintf(p->section, sizeof(p->section), "%s", section);
	return a->option_count++;
}

static int prompts_handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	struct cv_assets *a = p->assets;

	if (strcmp(section, "prompt") == 0) {
		if (strcmp(name, "question") != 0) {
			parse_fail(p, CV_EINVAL, "[prompt] %s: unknown key (only question)", name);
			return 0;
		}
		if (strlen(value) == 0 || strlen(value) >= sizeof(a->question)) {
			parse_fail(p, CV_EINVAL, "[prompt] question: 1 to %zu bytes",
			           sizeof(a->question) - 1);
			return 0;
		}
		snprintf(a->question, sizeof(a->question), "%s", value);
		p->section[0] = '\0'; /* a later [option.x] starts afresh */
		return 1;
	}
	if (strncmp(section, "option.", strlen("option.")) == 0) {
		int i = prompt_option_for(p, section);
		struct cv_prompt_option *o;

		if (i < 0)
			return 0;
		o = &a->options[i];
		if (strcmp(name, "label") == 0) {
			if (strlen(value) == 0 || strlen(value) >= sizeof(o->label)) {
				parse_fail(p, CV_EINVAL, "[%s] label: 1 to %zu bytes", section,
				           sizeof(o->label) - 1);
				return 0;
			}
			snprintf(o->label, sizeof(o->label), "%s", value);
			return 1;
		}
		if (strcmp(name, "not_together") == 0) {
			if (parse_bool(value, &o->not_together) != 0) {
				parse_fail(p, CV_EINVAL,
				           "[%s] not_together: \"%s\" is not true or false",
				           section, value);
				return 0;
			}
			if (o->not_together && a->not_together >= 0 && a->not_together != i) {
				parse_fail(p, CV_EINVAL,
				           "[%s] not_together: [option.%s] already is the one "
				           "not_together option",
				           section, a->options[a->not_together].id);
				return 0;
			}
			if (o->not_together)
				a->not_together = i;
			else if (a->not_together == i)
				a->not_together = -1;
			return 1;
		}
		parse_fail(p, CV_EINVAL, "[%s] %s: unknown key (label, not_together)", section,
		           name);
		return 0;
	}
	parse_fail(p, CV_EINVAL, "[%s]: unknown section ([prompt] or [option.<id>])", section);
	return 0;
}

static const char *const colour_names[] = {
    "background", "surface", "text", "muted", "accent", "accent_text", "ok", "warn",
};

#define COLOUR_COUNT (sizeof(colour_names) / sizeof(colour_names[0]))

static uint32_t *theme_slot(struct cv_theme *t, size_t i)
{
	uint32_t *slots[COLOUR_COUNT] = {
	    &t->background, &t->surface,     &t->text, &t->muted,
	    &t->accent,     &t->accent_text, &t->ok,   &t->warn,
	};
	return slots[i];
}

static int parse_colour(const char *v, uint32_t *out)
{
	uint32_t c = 0;

	if (v[0] != '#' || strlen(v) != 7)
		return CV_EINVAL;
	for (int i = 1; i < 7; i++) {
		unsigned char ch = (unsigned char)v[i];
		if (!isxdigit(ch))
			return CV_EINVAL;
		c = c << 4 | (uint32_t)(isdigit(ch) ? ch - '0' : tolower(ch) - 'a' + 10);
	}
	*out = c;
	return 0;
}

static int theme_handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;

	if (strcmp(section, "theme") != 0) {
		parse_fail(p, CV_EINVAL, "[%s]: unknown section (only [theme])", section);
		return 0;
	}
	if (strcmp(name, "name") == 0)
		return 1;
	for (size_t i = 0; i < COLOUR_COUNT; i++) {
		if (strcmp(name, colour_names[i]) != 0)
			continue;
		if (parse_colour(value, theme_slot(&p->assets->theme, i)) != 0) {
			parse_fail(p, CV_EINVAL, "[theme] %s: \"%s\" is not a #RRGGBB colour", name,
			           value);
			return 0;
		}
		p->colours_seen |= 1u << i;
		return 1;
	}
	parse_fail(p, CV_EINVAL, "[theme] %s: unknown key", name);
	return 0;
}

/* A file name taken from the config: no path separators, no hidden files. */
static bool valid_name(const char *name)
{
	if (name[0] == '\0' || name[0] == '.')
		return false;
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
			return false;
	return true;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int find_dir(const struct cv_config *cfg, char *out, size_t outlen, char *err, size_t errlen)
{
	const char *env = getenv("CONVENE_ASSETS");
	const char *builtin[] = {
#ifdef CONVENE_SOURCE_ASSETS
	    CONVENE_SOURCE_ASSETS,
#endif
#ifdef CONVENE_INSTALLED_ASSETS
	    CONVENE_INSTALLED_ASSETS,
#endif
	    NULL,
	};
	const char *from = NULL;
	const char *dir = NULL;

	/* A folder someone named must exist: falling back silently would show
	 * other wording than the one they configured. */
	if (cfg->assets_dir[0]) {
		dir = cfg->assets_dir;
		from = "[assets] dir";
	} else if (env && env[0]) {
		dir = env;
		from = "$CONVENE_ASSETS";
	}
	if (dir) {
		if (!is_dir(dir)) {
			cv_error_format(err, errlen, "assets folder %s (from %s) not found", dir,
			                from);
			return CV_ENOTFOUND;
		}
		snprintf(out, outlen, "%s", dir);
		return 0;
	}
	for (size_t i = 0; builtin[i]; i++) {
		if (is_dir(builtin[i])) {
			snprintf(out, outlen, "%s", builtin[i]);
			return 0;
		}
	}
	cv_error_format(err, errlen, "no assets folder: set [assets] dir or $CONVENE_ASSETS");
	return CV_ENOTFOUND;
}

static int load_strings(struct cv_assets *a, const char *lang, char *err, size_t errlen)
{
	char path[CV_PATH_MAX + 64];
	struct parse p = {.assets = a, .path = path};
	char missing[256] = "";
	size_t nmissing = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/strings/%s.ini", a->dir, lang);
	rc = parse_file(&p, strings_handler, err, errlen);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < UI_KEY_COUNT; i++) {
		const char *dot;
		size_t used = strlen(missing);

		if (find_text(a, ui_keys[i]))
			continue;
		dot = strchr(ui_keys[i], '.');
		snprintf(missing + used, sizeof(missing) - used, "%s[%.*s] %s",
		         nmissing ? ", " : "", (int)(dot - ui_keys[i]), ui_keys[i], dot + 1);
		nmissing++;
	}
	if (nmissing) {
		cv_error_format(err, errlen, "%s: missing %s", path, missing);
		return CV_EINVAL;
	}
	return 0;
}

static int load_prompts(struct cv_assets *a, const char *name, char *err, size_t errlen)
{
	char path[CV_PATH_MAX + 64];
	struct parse p = {.assets = a, .path = path};
	int rc;

	snprintf(path, sizeof(path), "%s/prompts/%s.ini", a->dir, name);
	a->not_together = -1;
	rc = parse_file(&p, prompts_handler, err, errlen);
	if (rc != 0)
		return rc;
	if (a->question[0] == '\0') {
		cv_error_format(err, errlen, "%s: missing [prompt] question", path);
		return CV_EINVAL;
	}
	if (a->option_count == 0) {
		cv_error_format(err, errlen, "%s: no [option.<id>] section: 1 to %d are needed",
		                path, CV_FLOW_OPTIONS_MAX);
		return CV_EINVAL;
	}
	for (int i = 0; i < a->option_count; i++) {
		if (a->options[i].label[0] == '\0') {
			cv_error_format(err, errlen, "%s:%d: [option.%s] has no label", path,
			                p.option_line[i], a->options[i].id);
			return CV_EINVAL;
		}
	}
	if (a->not_together < 0) {
		cv_error_format(
		    err, errlen,
		    "%s: no option has not_together = true (exactly one must: the answer "
		    "\"we did not meet\")",
		    path);
		return CV_EINVAL;
	}
	return 0;
}

static int load_theme(struct cv_assets *a, const char *name, char *err, size_t errlen)
{
	char path[CV_PATH_MAX + 64];
	struct parse p = {.assets = a, .path = path};
	int rc;

	snprintf(path, sizeof(path), "%s/themes/%s.ini", a->dir, name);
	rc = parse_file(&p, theme_handler, err, errlen);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < COLOUR_COUNT; i++) {
		if (!(p.colours_seen & 1u << i)) {
			cv_error_format(err, errlen, "%s: missing [theme] %s", path,
			                colour_names[i]);
			return CV_EINVAL;
		}
	}
	return 0;
}

int cv_assets_load(const struct cv_config *cfg, struct cv_assets **out, char *err, size_t errlen)
{
	const char *lang = cfg->assets_language[0] ? cfg->assets_language : "en";
	const char *prompts = cfg->assets_prompts[0] ? cfg->assets_prompts : "default";
	const char *theme = cfg->assets_theme[0] ? cfg->assets_theme : "default";
	struct cv_assets *a;
	int rc;

	*out = NULL;
	cv_error_format(err, errlen, "%s", "");
	if (!valid_name(lang) || !valid_name(prompts) || !valid_name(theme)) {
		cv_error_format(err, errlen,
		                "[assets] language, prompts and theme are file names without '/': "
		                "\"%s\", \"%s\", \"%s\"",
		                lang, prompts, theme);
		return CV_EINVAL;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		cv_error_format(err, errlen, "out of memory");
		return CV_ENOMEM;
	}
	rc = find_dir(cfg, a->dir, sizeof(a->dir), err, errlen);
	if (rc != 0)
		goto fail;
	rc = load_strings(a, lang, err, errlen);
	if (rc != 0)
		goto fail;
	rc = load_prompts(a, prompts, err, errlen);
	if (rc != 0)
		goto fail;
	rc = load_theme(a, theme, err, errlen);
	if (rc != 0)
		goto fail;
	cv_log_info("assets from %s: language %s, prompts %s (%d options), theme %s", a->dir, lang,
	            prompts, a->option_count, theme);
	*out = a;
	return 0;
fail:
	cv_assets_destroy(a);
	return rc;
}

void cv_assets_destroy(struct cv_assets *assets)
{
	if (!assets)
		return;
	for (size_t i = 0; i < assets->text_count; i++)
		free(assets->texts[i].value);
	free(assets->texts);
	free(assets);
}

const char *cv_assets_dir(const struct cv_assets *assets)
{
	return assets->dir;
}

const char *cv_assets_text(const struct cv_assets *assets, const char *key)
{
	const struct text_entry *t = find_text(assets, key);
	return t ? t->value : key;
}

bool cv_assets_has_text(const struct cv_assets *assets, const char *key)
{
	return find_text(assets, key) != NULL;
}

const char *cv_assets_question(const struct cv_assets *assets)
{
	return assets->question;
}

int cv_assets_option_count(const struct cv_assets *assets)
{
	return assets->option_count;
}

const struct cv_prompt_option *cv_assets_option(const struct cv_assets *assets, int index)
{
	if (index < 0 || index >= assets->option_count)
		return NULL;
	return &assets->options[index];
}

int cv_assets_option_index(const struct cv_assets *assets, const char *id)
{
	for (int i = 0; i < assets->option_count; i++)
		if (strcmp(assets->options[i].id, id) == 0)
			return i;
	return -1;
}

int cv_assets_not_together(const struct cv_assets *assets)
{
	return assets->not_together;
}

const struct cv_theme *cv_assets_theme(const struct cv_assets *assets)
{
	return &assets->theme;
}

size_t cv_assets_ui_keys(const char *const **keys)
{
	*keys = ui_keys;
	return UI_KEY_COUNT;
}
