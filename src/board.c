/* Finding and applying board profiles, and the order in which defaults, a
 * profile and the config file are layered. The profile files themselves
 * live in board/ and are documented in board/README.md. */
#include "cv_board.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cv_error.h"
#include "cv_fileutil.h"

#ifndef CONVENE_INSTALLED_BOARDS
#define CONVENE_INSTALLED_BOARDS "/usr/share/convene/board"
#endif
#ifndef CONVENE_SOURCE_BOARDS
#define CONVENE_SOURCE_BOARDS ""
#endif

#define PROFILE_MAX_BYTES (64u << 10)

static bool board_name_ok(const char *name)
{
	if (!name[0] || strlen(name) >= CV_BOARD_MAX)
		return false;
	for (const char *p = name; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
			return false;
	return true;
}

int cv_board_find(const char *name, char *path, size_t pathlen)
{
	const char *dirs[] = {getenv("CONVENE_BOARD_DIR"), "/etc/convene/board",
	                      CONVENE_INSTALLED_BOARDS, CONVENE_SOURCE_BOARDS};

	if (pathlen > 0)
		path[0] = '\0';
	if (!board_name_ok(name))
		return CV_EINVAL;
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		if (!dirs[i] || !dirs[i][0])
			continue;
		char candidate[CV_PATH_MAX];
		int n = snprintf(candidate, sizeof candidate, "%s/%s.ini", dirs[i], name);
		if (n < 0 || (size_t)n >= sizeof candidate)
			continue;
		struct stat st;
		if (stat(candidate, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if ((size_t)n >= pathlen)
			return CV_ETOOBIG;
		memcpy(path, candidate, (size_t)n + 1);
		return 0;
	}
	return CV_ENOTFOUND;
}

int cv_board_load(const char *name, struct cv_config *cfg, char *err, size_t errlen)
{
	char path[CV_PATH_MAX];
	char *text = NULL;
	size_t len = 0;

	int rc = cv_board_find(name, path, sizeof path);
	if (rc == CV_EINVAL) {
		snprintf(err, errlen,
		         "board '%s': a profile name is lower-case letters, digits and '-'", name);
		return rc;
	}
	if (rc != 0) {
		snprintf(err, errlen,
		         "board '%s': no such profile (looked in $CONVENE_BOARD_DIR, "
		         "/etc/convene/board and %s)",
		         name, CONVENE_INSTALLED_BOARDS);
		return rc;
	}
	rc = cv_file_read_all(path, PROFILE_MAX_BYTES, &text, &len);
	if (rc != 0) {
		snprintf(err, errlen, "board '%s': cannot read %s: %s", name, path,
		         cv_strerror(rc));
		return rc;
	}
	rc = cv_config_parse(text, path, cfg, err, errlen);
	free(text);
	if (rc != 0)
		return rc;
	snprintf(cfg->board, sizeof cfg->board, "%s", name);
	return 0;
}

int cv_board_configure(const char *board, const char *text, const char *filename,
                       struct cv_config *cfg, char *err, size_t errlen)
{
	char name[CV_BOARD_MAX] = "";

	cv_config_defaults(cfg);
	if (board) {
		if (strlen(board) >= sizeof name) {
			snprintf(err, errlen, "board '%.40s...': name too long", board);
			return CV_EINVAL;
		}
		snprintf(name, sizeof name, "%s", board);
	} else if (text) {
		/* A first pass only to learn [kiosk] board; the values it set
		 * are thrown away so the profile can go underneath them. */
		int rc = cv_config_parse(text, filename, cfg, err, errlen);
		if (rc != 0)
			return rc;
		snprintf(name, sizeof name, "%s", cfg->board);
		cv_config_defaults(cfg);
	}
	if (name[0]) {
		int rc = cv_board_load(name, cfg, err, errlen);
		if (rc != 0)
			return rc;
	}
	if (text) {
		int rc = cv_config_parse(text, filename, cfg, err, errlen);
		if (rc != 0)
			return rc;
	}
	/* The command line's choice stands even when the file names another. */
	if (name[0])
		snprintf(cfg->board, sizeof cfg->board, "%s", name);
	return 0;
}

int cv_board_notes(const char *name, char *buf, size_t len)
{
	char path[CV_PATH_MAX];
	char *text = NULL;
	size_t text_len = 0;
	size_t used = 0;

	if (len > 0)
		buf[0] = '\0';
	int rc = cv_board_find(name, path, sizeof path);
	if (rc != 0)
		return rc;
	rc = cv_file_read_all(path, PROFILE_MAX_BYTES, &text, &text_len);
	if (rc != 0)
		return rc;
	for (char *line = text; line && *line;) {
		char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		if (n > 4 && strncmp(line, "; - ", 4) == 0) {
			size_t note = n - 4;
			if (used + note + 2 > len) {
				rc = CV_ETOOBIG;
				break;
			}
			memcpy(buf + used, line + 4, note);
			used += note;
			buf[used++] = '\n';
			buf[used] = '\0';
		}
		line = end ? end + 1 : NULL;
	}
	free(text);
	return rc;
}
