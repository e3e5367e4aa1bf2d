/* Consent: what a person agreed to have logged about them (their attendance
 * only, or also the people they meet) and whether their name may appear on
 * the live screen. The values, their names as stored, and the roster's
 * spelling of them. Pure. */
#ifndef CV_CONSENT_H
#define CV_CONSENT_H

#include <stdbool.h>

enum cv_consent {
	CV_CONSENT_UNSET,      /* not said yet: encounters are logged unless the event asks */
	CV_CONSENT_ATTENDANCE, /* attendance only: no encounter names this person */
	CV_CONSENT_ENCOUNTERS, /* attendance and the people met */
};

/* What a roster's consent cell says. show_name is -1 when it says nothing
 * about the name. */
struct cv_consent_choice {
	enum cv_consent scope;
	int show_name; /* -1 not said, 0 no, 1 yes */
};

/* "attendance", "encounters", or NULL for CV_CONSENT_UNSET (stored as NULL). */
const char *cv_consent_name(enum cv_consent consent);

/* The inverse of cv_consent_name: NULL or an unknown text is UNSET. */
enum cv_consent cv_consent_from_name(const char *text);

/* Parses a roster consent cell: words joined by '+', ',', ';', '|' or
 * spaces, in any case: "attendance", "encounters" (or "meetings",
 * "attendance+encounters"), "name" (the name may be shown), "noname"
 * (it may not). An empty cell says nothing. Returns 0 and *out, or
 * CV_EINVAL for an unknown word. */
int cv_consent_parse(const char *text, struct cv_consent_choice *out);

/* Parses a yes/no cell ("yes", "no", "true", "false", "1", "0", "y",
 * "n", "ja", "nein", any case). Returns 0 and *out (1/0), -1 for an empty
 * cell, CV_EINVAL otherwise. */
int cv_consent_parse_yes_no(const char *text, int *out);

#endif
