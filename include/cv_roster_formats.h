/* Rosters as registration systems export them: pretix (attendee / order
 * positions export, English or German headers) and Eventbrite (attendee
 * report), recognised by their headers, and any other CSV through an
 * explicit column mapping. Each is turned into the plain roster and parsed by
 * cv_roster_parse, so the rules and errors of the plain roster hold (line
 * numbers are those of the original file). Pure. */
#ifndef CV_ROSTER_FORMATS_H
#define CV_ROSTER_FORMATS_H

#include <stddef.h>

#include "cv_roster.h"

/* What a column holds. */
enum cv_roster_field {
	CV_ROSTER_FIELD_IGNORE,      /* drop the column (no warning) */
	CV_ROSTER_FIELD_NAME,        /* the whole name */
	CV_ROSTER_FIELD_GIVEN_NAME,  /* name parts, joined "given family" when */
	CV_ROSTER_FIELD_FAMILY_NAME, /* there is no whole name */
	CV_ROSTER_FIELD_ORGANIZATION,
	CV_ROSTER_FIELD_ROLE,
	CV_ROSTER_FIELD_EMAIL,
	CV_ROSTER_FIELD_EXTERNAL_ID,
	CV_ROSTER_FIELD_BADGE_UID,
};

/* Where a roster came from, as recognised. */
enum cv_roster_source {
	CV_ROSTER_SOURCE_PLAIN, /* our own columns (cv_roster_parse) */
	CV_ROSTER_SOURCE_PRETIX,
	CV_ROSTER_SOURCE_EVENTBRITE,
	CV_ROSTER_SOURCE_MAPPED, /* only the explicit mapping named the columns */
};

struct cv_roster_map_entry {
	const char *column; /* a heading, matched ignoring case and surrounding blanks */
	enum cv_roster_field field;
};

struct cv_roster_mapping {
	const struct cv_roster_map_entry *entries;
	size_t count;
};

/* "name", "given_name" (or "first_name"), "family_name" (or "last_name"),
 * "organization", "role", "email", "external_id", "badge_uid", "ignore":
 * 0 and *out, else CV_EINVAL. */
int cv_roster_field_parse(const char *text, enum cv_roster_field *out);

/* Splits "COLUMN=FIELD" (at the last '=') into entry; entry->column points
 * into spec. Returns 0, or CV_EINVAL with err saying why. */
int cv_roster_map_parse(char *spec, struct cv_roster_map_entry *entry, char *err, size_t errlen);

/* Parses a roster in any of the formats above. The mapping (may be NULL)
 * overrides what the headers say; a mapped column that is not in the header
 * fails. With no mapping and our own header this is cv_roster_parse.
 * Otherwise the header must be pretix's or Eventbrite's (or the mapping must
 * name a name column). Several columns with one field (a heading given
 * twice, the buyer's and the attendee's email) give the first non-empty
 * value, the attendee's first. Columns left over are passed through and
 * warned about as the plain roster does (custom questions, dates). pretix's
 * order code and position id make the external id "CODE-POSITION".
 * *source says what was recognised. Returns as cv_roster_parse. */
int cv_roster_parse_mapped(const char *text, size_t len, const struct cv_roster_mapping *map,
                           struct cv_roster *out, enum cv_roster_source *source, char *err,
                           size_t errlen);

const char *cv_roster_source_name(enum cv_roster_source source);

#endif
