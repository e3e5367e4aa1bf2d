/* Fuzz target for registration-system rosters (pretix, Eventbrite, mapped):
 * any bytes parse into rows that keep the plain roster's promises, with
 * lines that grow, or fail with a message and an empty roster. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cv_error.h"
#include "cv_roster_formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cv_roster roster;
	enum cv_roster_source source;
	char err[256];
	/* The first byte picks a mapping, so mapped paths are fuzzed too. */
	struct cv_roster_map_entry entries[] = {{"Wer", CV_ROSTER_FIELD_NAME},
	                                        {"Mail", CV_ROSTER_FIELD_EMAIL}};
	struct cv_roster_mapping map = {entries, 2};
	bool mapped = size > 0 && (data[0] & 1);

	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	int rc = cv_roster_parse_mapped(text, size, mapped ? &map : NULL, &roster, &source, err,
	                                sizeof err);
	check(memchr(err, '\0', sizeof err) != NULL);
	if (rc != 0) {
		check(rc == CV_EINVAL || rc == CV_ENOMEM);
		check(err[0] != '\0');
		check(roster.rows == NULL && roster.count == 0);
	} else {
		size_t last_line = 0;
		for (size_t i = 0; i < roster.count; i++) {
			check(roster.rows[i].name && roster.rows[i].name[0]);
			check(roster.rows[i].line > last_line);
			last_line = roster.rows[i].line;
		}
	}
	cv_roster_free(&roster);
	free(text);
	return 0;
}
