/* Consent values: their stored names and the roster's spelling of them.
 * Pure: no I/O. */
#include "cv_consent.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cv_error.h"

const char *cv_consent_name(enum cv_consent consent)
{
	switch (consent) {
	case CV_CONSENT_ATTENDANCE: return "attendance";
	case CV_CONSENT_ENCOUNTERS: return "encounters";
	case CV_CONSENT_UNSET: break;
	}
	return NULL;
}

enum cv_consent cv_consent_from_name(const char *text)
{
	if (text && strcmp(text, "attendance") == 0)
		return CV_CONSENT_ATTENDANCE;
	if (text && strcmp(text, "encounters") == 0)
		return CV_CONSENT_ENCOUNTERS;
	return CV_CONSENT_UNSET;
}

static bool word_is(const char *w, size_t n, const char *const *names)
{
	for (; *names; names++)
		if (strlen(*names) == n && strncasecmp(w, *names, n) == 0)
			return true;
	return false;
}

int cv_consent_parse(const char *text, struct cv_consent_choice *out)
{
	static const char *const attendance[] = {"attendance", "attendance-only", "checkin",
	                                         "check-in", NULL};
	static const char *const encounters[] = {"encounters", "encounter", "meetings",
	                                         "meet",       "network",   NULL};
	static const char *const name[] = {"name", "show-name", "show_name", NULL};
	static const char *const noname[] = {"noname",    "no-name",   "no_name",
	                                     "hide-name", "anonymous", NULL};
	const char *seps = "+,;| \t";
	struct cv_consent_choice c = {.scope = CV_CONSENT_UNSET, .show_name = -1};

	*out = c;
	if (!text)
		return 0;
	for (const char *p = text; *p;) {
		p += strspn(p, seps);
		size_t n = strcspn(p, seps);
		if (n == 0)
			break;
		/* "attendance+encounters" is encounters: attendance is always kept */
		if (word_is(p, n, attendance)) {
			if (c.scope == CV_CONSENT_UNSET)
				c.scope = CV_CONSENT_ATTENDANCE;
		} else if (word_is(p, n, encounters)) {
			c.scope = CV_CONSENT_ENCOUNTERS;
		} else if (word_is(p, n, name)) {
			c.show_name = 1;
		} else if (word_is(p, n, noname)) {
			c.show_name = 0;
		} else {
			return CV_EINVAL;
		}
		p += n;
	}
	*out = c;
	return 0;
}

int cv_consent_parse_yes_no(const char *text, int *out)
{
	static const char *const yes[] = {"yes", "y", "true", "1", "ja", "j", "x", NULL};
	static const char *const no[] = {"no", "n", "false", "0", "nein", NULL};

	*out = -1;
	if (!text)
		return 0;
	while (*text && isspace((unsigned char)*text))
		text++;
	size_t n = strlen(text);
	while (n > 0 && isspace((unsigned char)text[n - 1]))
		n--;
	if (n == 0)
		return 0;
	if (word_is(text, n, yes)) {
		*out = 1;
		return 0;
	}
	if (word_is(text, n, no)) {
		*out = 0;
		return 0;
	}
	return CV_EINVAL;
}
