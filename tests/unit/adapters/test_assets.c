/* Tests of the assets loader: the shipped files load and are complete in
 * every language, the search order for the folder, and broken files fail
 * with a message naming the file and line. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <SDL.h>

#include "cv_assets.h"
#include "cv_error.h"

static char work[512]; /* a scratch assets folder */

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* Copies the shipped en.ini into the scratch folder as <name>.ini, leaving
 * out lines starting with drop (NULL: none) and appending extra. */
static void write_strings(const char *name, const char *drop, const char *extra)
{
	char path[1024], out[1024];
	char *text, *line, *save = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/strings/en.ini", CONVENE_SOURCE_ASSETS);
	text = read_all(path);
	snprintf(out, sizeof(out), "%s/strings/%s.ini", work, name);
	f = fopen(out, "w");
	assert_non_null(f);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!drop || strncmp(line, drop, strlen(drop)) != 0)
			fprintf(f, "%s\n", line);
	if (extra)
		fputs(extra, f);
	fclose(f);
	free(text);
}

static void copy_to_work(const char *sub, const char *name)
{
	char src[1024], dir[1024];
	char *text;

	snprintf(src, sizeof(src), "%s/%s/%s", CONVENE_SOURCE_ASSETS, sub, name);
	snprintf(dir, sizeof(dir), "%s/%s", work, sub);
	text = read_all(src);
	write_file(dir, name, text);
	free(text);
}

static int setup(void **state)
{
	const char *art = getenv("CONVENE_TEST_ARTIFACTS");
	const char *subs[] = {"strings", "prompts", "themes"};
	char path[1024];

	(void)state;
	snprintf(work, sizeof(work), "%s/assets-test", art && art[0] ? art : ".");
	mkdir(art && art[0] ? art : ".", 0755);
	mkdir(work, 0755);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", work, subs[i]);
		mkdir(path, 0755);
	}
	copy_to_work("strings", "en.ini");
	copy_to_work("prompts", "default.ini");
	copy_to_work("themes", "default.ini");
	unsetenv("CONVENE_ASSETS");
	return 0;
}

static void config(struct cv_config *cfg, const char *dir, const char *lang, const char *prompts,
                   const char *theme)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->assets_dir, sizeof(cfg->assets_dir), "%s", dir ? dir : "");
	snprintf(cfg->assets_language, sizeof(cfg->assets_language), "%s", lang);
	snprintf(cfg->assets_prompts, sizeof(cfg->assets_prompts), "%s", prompts);
	snprintf(cfg->assets_theme, sizeof(cfg->assets_theme), "%s", theme);
}

/* Loads from the scratch folder and expects a failure whose message holds
 * every one of the given fragments. */
static void expect_error(const char *lang, const char *prompts, const char *theme, int rc,
                         const char *frag1, const char *frag2)
{
	struct cv_config cfg;
	struct cv_assets *a = (struct cv_assets *)&cfg; /* must be reset to NULL */
	char err[512] = "";

	config(&cfg, work, lang, prompts, theme);
	assert_int_equal(cv_assets_load(&cfg, &a, err, sizeof(err)), rc);
	assert_null(a);
	if (!strstr(err, frag1) || (frag2 && !strstr(err, frag2)))
		fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", err, frag1, frag2 ? frag2 : "");
}

static void test_default_assets(void **state)
{
	struct cv_config cfg;
	struct cv_assets *a = NULL;
	char err[512];
	const char *ids[] = {"shared_challenge", "offered_help", "work_together", "said_hi",
	                     "not_together"};

	(void)state;
	config(&cfg, NULL, "en", "default", "default");
	assert_int_equal(cv_assets_load(&cfg, &a, err, sizeof(err)), 0);
	assert_string_equal(cv_assets_dir(a), CONVENE_SOURCE_ASSETS);
	assert_string_equal(cv_assets_text(a, "idle.title"), "Tap your badge");
	assert_string_equal(cv_assets_text(a, "welcome.title"), "Welcome, {name}");
	assert_true(cv_assets_has_text(a, "banner.reader_offline"));
	/* a missing key shows itself rather than crashing */
	assert_false(cv_assets_has_text(a, "idle.nothing"));
	assert_string_equal(cv_assets_text(a, "idle.nothing"), "idle.nothing");
	assert_string_equal(cv_assets_question(a), "How did you two connect?");
	assert_int_equal(cv_assets_option_count(a), 5);
	for (int i = 0; i < 5; i++) {
		const struct cv_prompt_option *o = cv_assets_option(a, i);
		assert_string_equal(o->id, ids[i]);
		assert_true(strlen(o->label) > 0);
		assert_int_equal(o->not_together, i == 4);
	}
	assert_string_equal(cv_assets_option(a, 3)->label, "We just said hi");
	assert_int_equal(cv_assets_not_together(a), 4);
	assert_int_equal(cv_assets_theme(a)->background, 0x0F1B2D);
	assert_int_equal(cv_assets_theme(a)->accent, 0x4DB2FF);
	cv_assets_destroy(a);

	/* empty names fall back to en / default / default */
	config(&cfg, NULL, "", "", "");
	assert_int_equal(cv_assets_load(&cfg, &a, err, sizeof(err)), 0);
	assert_string_equal(cv_assets_text(a, "idle.title"), "Tap your badge");
	cv_assets_destroy(a);
}

static void test_option_index(void **state)
{
	struct cv_config cfg;
	struct cv_assets *a = NULL;
	char err[512];

	(void)state;
	config(&cfg, NULL, "en", "default", "default");
	assert_int_equal(cv_assets_load(&cfg, &a, err, sizeof(err)), 0);
	assert_int_equal(cv_assets_option_index(a, "shared_challenge"), 0);
	assert_int_equal(cv_assets_option_index(a, "said_hi"), 3);
	assert_int_equal(cv_assets_option_index(a, "not_together"), 4);
	assert_int_equal(cv_assets_option_index(a, "said"), -1);
	assert_int_equal(cv_assets_option_index(a, ""), -1);
	assert_null(cv_assets_option(a, -1));
	assert_null(cv_assets_option(a, 5));
	cv_assets_destroy(a);
}

/* Every shipped language has every string a screen draws, non-empty, and
 * every shipped theme and prompt set loads. */
static void test_every_language_complete(void **state)
{
	const char *const *keys;
	size_t nkeys = cv_assets_ui_keys(&keys);
	const char *kinds[] = {"strings", "themes", "prompts"};
	int languages = 0, themes = 0;

	(void)state;
	assert_true(nkeys >= 15);
	for (size_t k = 0; k < 3; k++) {
		char dir[1024];
		DIR *d;
		struct dirent *e;

		snprintf(dir, sizeof(dir), "%s/%s", CONVENE_SOURCE_ASSETS, kinds[k]);
		d = opendir(dir);
		assert_non_null(d);
		while ((e = readdir(d)) != NULL) {
			char name[256];
			size_t len = strlen(e->d_name);
			struct cv_config cfg;
			struct cv_assets *a = NULL;
			char err[512];

			if (len < 5 || strcmp(e->d_name + len - 4, ".ini") != 0)
				continue;
			snprintf(name, sizeof(name), "%.*s", (int)(len - 4), e->d_name);
			config(&cfg, NULL, k == 0 ? name : "en", k == 2 ? name : "default",
			       k == 1 ? name : "default");
			if (cv_assets_load(&cfg, &a, err, sizeof(err)) != 0)
				fail_msg("%s/%s: %s", kinds[k], e->d_name, err);
			if (k == 0) {
				for (size_t i = 0; i < nkeys; i++) {
					if (!cv_assets_has_text(a, keys[i]) ||
					    cv_assets_text(a, keys[i])[0] == '\0')
						fail_msg("%s lacks %s", e->d_name, keys[i]);
				}
				languages++;
			}
			themes += k == 1;
			cv_assets_destroy(a);
		}
		closedir(d);
	}
	assert_true(languages >= 2);
	assert_true(themes >= 2);
}

static void test_missing_string_is_an_error(void **state)
{
	(void)state;
	write_strings("nohint", "pair_hint", NULL);
	expect_error("nohint", "default", "default", CV_EINVAL, "strings/nohint.ini",
	             "[welcome] pair_hint");
	write_strings("twice", NULL, "[idle]\ntitle = Again\n");
	/* en.ini's last line plus the appended section header */
	expect_error("twice", "default", "default", CV_EINVAL, "strings/twice.ini:", "given twice");
	expect_error("xx", "default", "default", CV_ENOTFOUND, "strings/xx.ini", "cannot open");
	expect_error("../en", "default", "default", CV_EINVAL, "without '/'", NULL);
}

static void test_broken_prompts(void **state)
{
	char dir[1024];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/prompts", work);
	write_file(dir, "two_nt.ini",
	           "[prompt]\n"
	           "question = How?\n"
	           "[option.a]\n"
	           "label = A\n"
	           "not_together = true\n"
	           "[option.b]\n"
	           "label = B\n"
	           "not_together = true\n");
	expect_error("en", "two_nt", "default", CV_EINVAL,
	             "prompts/two_nt.ini:8:", "[option.a] already");

	write_file(dir, "zero.ini", "[prompt]\nquestion = How?\n");
	expect_error("en", "zero", "default", CV_EINVAL, "prompts/zero.ini", "no [option.<id>]");

	write_file(dir, "none_nt.ini", "[prompt]\nquestion = How?\n[option.a]\nlabel = A\n");
	expect_error("en", "none_nt", "default", CV_EINVAL, "prompts/none_nt.ini",
	             "not_together = true");

	write_file(dir, "nolabel.ini",
	           "[prompt]\nquestion = How?\n\n[option.a]\nnot_together = true\n");
	expect_error("en", "nolabel", "default", CV_EINVAL,
	             "prompts/nolabel.ini:5:", "[option.a] has no label");

	write_file(dir, "badid.ini", "[prompt]\nquestion = How?\n[option.a b]\nlabel = A\n");
	expect_error("en", "badid", "default", CV_EINVAL, "prompts/badid.ini:4:", "option id");

	write_file(dir, "badkey.ini", "[prompt]\nquestion = How?\n[option.a]\nlable = A\n");
	expect_error("en", "badkey", "default", CV_EINVAL, "prompts/badkey.ini:4:", "lable");

	write_file(dir, "badbool.ini",
	           "[prompt]\nquestion = How?\n[option.a]\nlabel = A\nnot_together = perhaps\n");
	expect_error("en", "badbool", "default", CV_EINVAL, "prompts/badbool.ini:5:", "perhaps");

	write_file(dir, "syntax.ini", "[prompt]\nquestion = How?\nthis line has no equals\n");
	expect_error("en", "syntax", "default", CV_EINVAL, "prompts/syntax.ini:3:", NULL);

	{
		char text[2048];
		size_t used = (size_t)snprintf(text, sizeof(text), "[prompt]\nquestion = How?\n");
		for (int i = 1; i <= 13; i++)
			used += (size_t)snprintf(text + used, sizeof(text) - used,
			                         "[option.o%d]\nlabel = O%d\n", i, i);
		write_file(dir, "thirteen.ini", text);
		/* the 13th option's label is on line 2 + 2 * 13 */
		expect_error("en", "thirteen", "default", CV_EINVAL,
		             "prompts/thirteen.ini:28:", "more than 12");
	}
	{
		char text[512];
		memset(text, 0, sizeof(text));
		strcpy(text, "[prompt]\nquestion = ");
		memset(text + strlen(text), 'x', 300);
		strcat(text, "\n");
		write_file(dir, "long.ini", text);
		expect_error("en", "long", "default", CV_EINVAL, "prompts/long.ini:2:", "longer");
	}
}

static void test_broken_themes(void **state)
{
	char dir[1024];
	const char *good = "[theme]\n"
	                   "background = #000000\n"
	                   "surface = #111111\n"
	                   "text = #FFFFFF   ; titles\n"
	                   "muted = #CCCCCC\n"
	                   "accent = #FFE000\n"
	                   "accent_text = #000000\n"
	                   "ok = #00FF00\n";
	char text[512];
	struct cv_config cfg;
	struct cv_assets *a = NULL;
	char err[512];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/themes", work);
	snprintf(text, sizeof(text), "%swarn = #FF9100\n", good);
	write_file(dir, "fine.ini", text);
	config(&cfg, work, "en", "default", "fine");
	assert_int_equal(cv_assets_load(&cfg, &a, err, sizeof(err)), 0);
	assert_int_equal(cv_assets_theme(a)->warn, 0xFF9100);
	assert_int_equal(cv_assets_theme(a)->accent, 0xFFE000);
	cv_assets_destroy(a);

	snprintf(text, sizeof(text), "%swarn = #FF91G0\n", good);
	write_file(dir, "badcolour.ini", text);
	expect_error("en", "default", "badcolour", CV_EINVAL,
	             "themes/badcolour.ini:9:", "[theme] warn");

	snprintf(text, sizeof(text), "%swarn = FF9100\n", good);
	write_file(dir, "nohash.ini", text);
	expect_error("en", "default", "nohash", CV_EINVAL, "themes/nohash.ini:9:", "#RRGGBB");

	write_file(dir, "short.ini", good);
	expect_error("en", "default", "short", CV_EINVAL, "themes/short.ini",
	             "missing [theme] warn");

	snprintf(text, sizeof(text), "%swarn = #FF9100\n[colors]\nx = #000000\n", good);
	write_file(dir, "section.ini", text);
	expect_error("en", "default", "section", CV_EINVAL, "themes/section.ini:11:", "[colors]");
}

/* The chime: a short 16-bit mono WAV that SDL can load. */
static void test_confirm_sound(void **state)
{
	char path[1024];
	SDL_AudioSpec spec;
	Uint8 *buf = NULL;
	Uint32 len = 0;
	unsigned ms;

	(void)state;
	snprintf(path, sizeof(path), "%s/sounds/confirm.wav", CONVENE_SOURCE_ASSETS);
	if (!SDL_LoadWAV(path, &spec, &buf, &len))
		fail_msg("%s: %s", path, SDL_GetError());
	assert_int_equal(spec.channels, 1);
	assert_int_equal(spec.freq, 22050);
	assert_int_equal(spec.format, AUDIO_S16LSB);
	ms = (unsigned)(1000ull * len / (22050u * 2u));
	assert_in_range(ms, 100, 250);
	SDL_FreeWAV(buf);
}

static void test_search_order(void **state)
{
	struct cv_config cfg;
	struct cv_assets *a = NULL;
	char err[512];

	(void)state;
	/* $CONVENE_ASSETS before the source tree */
	setenv("CONVENE_ASSETS", work, 1);
	config(&cfg, NULL, "en", "default", "default");
	assert_int_equal(cv_assets_load(&cfg, &a, err, sizeof(err)), 0);
	assert_string_equal(cv_assets_dir(a), work);
	cv_assets_destroy(a);

	/* the config's folder before $CONVENE_ASSETS */
	config(&cfg, CONVENE_SOURCE_ASSETS, "en", "default", "default");
	assert_int_equal(cv_assets_load(&cfg, &a, err, sizeof(err)), 0);
	assert_string_equal(cv_assets_dir(a), CONVENE_SOURCE_ASSETS);
	cv_assets_destroy(a);

	/* a folder someone named must exist: no silent fallback */
	setenv("CONVENE_ASSETS", "/nonexistent/assets", 1);
	config(&cfg, NULL, "en", "default", "default");
	a = NULL;
	assert_int_equal(cv_assets_load(&cfg, &a, err, sizeof(err)), CV_ENOTFOUND);
	assert_null(a);
	assert_non_null(strstr(err, "/nonexistent/assets"));
	assert_non_null(strstr(err, "CONVENE_ASSETS"));
	unsetenv("CONVENE_ASSETS");

	config(&cfg, "/nonexistent/dir", "en", "default", "default");
	assert_int_equal(cv_assets_load(&cfg, &a, err, sizeof(err)), CV_ENOTFOUND);
	assert_non_null(strstr(err, "/nonexistent/dir"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_assets),
	    cmocka_unit_test(test_option_index),
	    cmocka_unit_test(test_every_language_complete),
	    cmocka_unit_test(test_missing_string_is_an_error),
	    cmocka_unit_test(test_broken_prompts),
	    cmocka_unit_test(test_broken_themes),
	    cmocka_unit_test(test_confirm_sound),
	    cmocka_unit_test(test_search_order),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
