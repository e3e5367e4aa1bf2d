/* Roster parsing: a registration CSV in memory to rows of people, through
 * libcsv. Pure: the caller reads the file and writes the store. Header names
 * match case-insensitively; a malformed row fails the whole roster with its
 * line number, so nothing half-imports. */
#ifndef CV_ROSTER_H
#define CV_ROSTER_H

#include <stddef.h>

#include "cv_badge.h"
#include "cv_flow.h"

struct cv_roster_row {
	char *name;                     /* required, never empty */
	char *organization;             /* "" when absent */
	enum cv_role role;              /* attendee when absent */
	char *email;                    /* NULL when absent or empty */
	char *external_id;              /* NULL when absent or empty */
	char badge_uid[CV_UID_HEX_MAX]; /* normalised hex, "" when absent */
	enum cv_consent consent;        /* UNSET when the roster does not say */
	int show_name; /* may the live screen name them: 1 yes, -1 no, 0 not said */
	size_t line;   /* where the row starts in the file, from 1 */
};

struct cv_roster {
	struct cv_roster_row *rows;
	size_t count;
	char **warnings; /* e.g. unknown columns; owned by the roster */
	size_t warning_count;
};

/* Parses text (UTF-8, optional BOM, LF or CRLF); the first row names the
 * columns, in any case: name (required), organization (or organisation,
 * company), role, email, external_id (or id), badge_uid (or uid, badge),
 * consent (cv_consent_parse: "attendance", "encounters", plus "name" or
 * "noname"), show_name (or show name, name_on_screen: yes/no). A show_name
 * cell overrules what the consent cell says about the name.
 * Other columns are ignored with a warning each.
 * Rows whose fields are all empty are skipped; fields are trimmed; a row
 * with fewer fields than the header has the rest empty. At most 100,000
 * rows and 1,024 bytes a field. On success fills *out, which the caller
 * frees with cv_roster_free, and returns 0. On failure returns CV_EINVAL (or
 * CV_ENOMEM) with "line N: why" in err (err may be NULL when errlen is 0)
 * and *out empty. */
int cv_roster_parse(const char *text, size_t len, struct cv_roster *out, char *err, size_t errlen);

void cv_roster_free(struct cv_roster *roster);

const char *cv_role_name(enum cv_role role);
/* Returns 0 and sets *out for "attendee", "organizer" (or "organiser"),
 * "staff" (any case), else CV_EINVAL. */
int cv_role_parse(const char *text, enum cv_role *out);

#endif
