/* Fuzz target for roster parsing: any bytes must parse into rows that keep
 * the documented promises, or fail with a message and an empty roster. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cv_error.h"
#include "cv_roster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cv_roster roster;
	char err[256];

	/* A copy of exactly size bytes, so a read past the end is caught. */
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	int rc = cv_roster_parse(text, size, &roster, err, sizeof err);
	check(memchr(err, '\0', sizeof err) != NULL);
	if (rc != 0) {
		check(rc == CV_EINVAL || rc == CV_ENOMEM);
		check(err[0] != '\0');
		check(roster.rows == NULL && roster.count == 0 && roster.warning_count == 0);
	} else {
		size_t last_line = 0;
		for (size_t i = 0; i < roster.count; i++) {
			const struct cv_roster_row *r = &roster.rows[i];
			size_t uid_len = strlen(r->badge_uid);
			check(r->name && r->name[0]);
			check(r->organization != NULL);
			check(!r->email || strchr(r->email, '@'));
			check(!r->external_id || r->external_id[0]);
			check(uid_len == 0 || uid_len == 8 || uid_len == 14 || uid_len == 20);
			check(r->line > last_line);
			check(r->role == CV_ROLE_ATTENDEE || r->role == CV_ROLE_ORGANIZER ||
			      r->role == CV_ROLE_STAFF);
			last_line = r->line;
		}
		for (size_t i = 0; i < roster.warning_count; i++)
			check(roster.warnings[i] && roster.warnings[i][0]);
	}
	cv_roster_free(&roster);
	free(text);
	return 0;
}
