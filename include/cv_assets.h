/* What the UI shows and plays, loaded from the assets folder: UI strings
 * per language (strings/<lang>.ini), the event's prompt set
 * (prompts/<name>.ini), the theme (themes/<name>.ini) and sounds. No UI
 * text lives in C. Loaded once at start-up; read-only afterwards, so any
 * thread may read it. */
#ifndef CV_ASSETS_H
#define CV_ASSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cv_config.h"
#include "cv_flow.h"
#include "cv_simscript.h"

struct cv_prompt_option {
	char id[CV_SIM_OPTION_MAX]; /* stored with the encounter, used by scripts */
	char label[CV_NAME_MAX];    /* shown on the button */
	bool not_together;          /* "we did not meet": records no encounter in mode both */
};

/* Colours as 0xRRGGBB. */
struct cv_theme {
	uint32_t background;
	uint32_t surface;
	uint32_t text;
	uint32_t muted;
	uint32_t accent;
	uint32_t accent_text;
	uint32_t ok;
	uint32_t warn;
};

struct cv_assets;

/* Finds the assets folder (cfg->assets_dir, else $CONVENE_ASSETS, else the
 * source tree's assets/ for a development build, else the installed
 * share/convene) and loads the language, prompt set and theme the config
 * names. Returns 0 and *out, or CV_ENOTFOUND / CV_EINVAL with err saying
 * which file and line. */
int cv_assets_load(const struct cv_config *cfg, struct cv_assets **out, char *err, size_t errlen);
void cv_assets_destroy(struct cv_assets *assets);

/* The folder the assets came from. */
const char *cv_assets_dir(const struct cv_assets *assets);

/* A UI string by "section.key" (e.g. "idle.title"). Strings may hold
 * {name}, {organization}, {zone}, {kiosk}, {seconds}, {other} placeholders
 * that the UI fills. A missing key returns the key itself, so the gap shows
 * on screen and in tests rather than crashing. */
const char *cv_assets_text(const struct cv_assets *assets, const char *key);
bool cv_assets_has_text(const struct cv_assets *assets, const char *key);

/* The prompt question and its options (1..CV_FLOW_OPTIONS_MAX, exactly one
 * of them not_together). */
const char *cv_assets_question(const struct cv_assets *assets);
int cv_assets_option_count(const struct cv_assets *assets);
const struct cv_prompt_option *cv_assets_option(const struct cv_assets *assets, int index);
/* Index of the option with that id, or -1. */
int cv_assets_option_index(const struct cv_assets *assets, const char *id);
int cv_assets_not_together(const struct cv_assets *assets);

const struct cv_theme *cv_assets_theme(const struct cv_assets *assets);

/* The "section.key" names of every UI string the screens draw. Loading a
 * language that lacks one of them fails, naming the key, so a translation
 * cannot silently miss a text. Sets *keys to a static array; returns its
 * length. */
size_t cv_assets_ui_keys(const char *const **keys);

#endif
