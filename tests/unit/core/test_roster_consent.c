/* Unit tests of the roster's consent columns (src/roster.c) and of the
 * consent cell's spelling (src/consent.c): what each cell says, the
 * show_name column overruling the consent cell, errors with their line, and
 * rosters without the columns unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cv_consent.h"
#include "cv_error.h"
#include "cv_roster.h"

static void parse_ok(const char *csv, struct cv_roster *r)
{
	char err[256] = "";

	if (cv_roster_parse(csv, strlen(csv), r, err, sizeof err) != 0)
		fail_msg("parse failed: %s", err);
}

static void test_consent_cells(void **unused)
{
	struct cv_consent_choice c;

	(void)unused;
	assert_int_equal(cv_consent_parse("attendance", &c), 0);
	assert_int_equal(c.scope, CV_CONSENT_ATTENDANCE);
	assert_int_equal(c.show_name, -1);
	assert_int_equal(cv_consent_parse("Attendance+Encounters", &c), 0);
	assert_int_equal(c.scope, CV_CONSENT_ENCOUNTERS);
	assert_int_equal(cv_consent_parse("encounters, name", &c), 0);
	assert_int_equal(c.scope, CV_CONSENT_ENCOUNTERS);
	assert_int_equal(c.show_name, 1);
	assert_int_equal(cv_consent_parse("attendance | noname", &c), 0);
	assert_int_equal(c.scope, CV_CONSENT_ATTENDANCE);
	assert_int_equal(c.show_name, 0);
	assert_int_equal(cv_consent_parse("name", &c), 0);
	assert_int_equal(c.scope, CV_CONSENT_UNSET);
	assert_int_equal(c.show_name, 1);
	assert_int_equal(cv_consent_parse("", &c), 0);
	assert_int_equal(c.scope, CV_CONSENT_UNSET);
	assert_int_equal(c.show_name, -1);
	assert_int_equal(cv_consent_parse(NULL, &c), 0);
	assert_int_equal(cv_consent_parse("everything", &c), CV_EINVAL);
	assert_int_equal(c.scope, CV_CONSENT_UNSET);
	assert_int_equal(cv_consent_parse("attendancex", &c), CV_EINVAL);

	int yn;
	assert_int_equal(cv_consent_parse_yes_no(" Yes ", &yn), 0);
	assert_int_equal(yn, 1);
	assert_int_equal(cv_consent_parse_yes_no("nein", &yn), 0);
	assert_int_equal(yn, 0);
	assert_int_equal(cv_consent_parse_yes_no("", &yn), 0);
	assert_int_equal(yn, -1);
	assert_int_equal(cv_consent_parse_yes_no("maybe", &yn), CV_EINVAL);

	assert_string_equal(cv_consent_name(CV_CONSENT_ATTENDANCE), "attendance");
	assert_string_equal(cv_consent_name(CV_CONSENT_ENCOUNTERS), "encounters");
	assert_null(cv_consent_name(CV_CONSENT_UNSET));
	assert_int_equal(cv_consent_from_name("encounters"), CV_CONSENT_ENCOUNTERS);
	assert_int_equal(cv_consent_from_name("Encounters"), CV_CONSENT_UNSET);
	assert_int_equal(cv_consent_from_name(NULL), CV_CONSENT_UNSET);
}

static void test_roster_consent_column(void **unused)
{
	struct cv_roster r;

	(void)unused;
	parse_ok("name,consent,show_name\r\n"
	         "Ada,attendance,\r\n"
	         "Brian,attendance+encounters,yes\r\n"
	         "Carol,encounters+name,no\r\n"
	         "Dennis,,\r\n"
	         "Zoë,name,\r\n",
	         &r);
	assert_int_equal(r.count, 5);
	assert_int_equal(r.warning_count, 0);
	assert_int_equal(r.rows[0].consent, CV_CONSENT_ATTENDANCE);
	assert_int_equal(r.rows[0].show_name, 0);
	assert_int_equal(r.rows[1].consent, CV_CONSENT_ENCOUNTERS);
	assert_int_equal(r.rows[1].show_name, 1);
	/* the show_name column overrules the consent cell's "name" */
	assert_int_equal(r.rows[2].consent, CV_CONSENT_ENCOUNTERS);
	assert_int_equal(r.rows[2].show_name, -1);
	assert_int_equal(r.rows[3].consent, CV_CONSENT_UNSET);
	assert_int_equal(r.rows[3].show_name, 0);
	assert_int_equal(r.rows[4].consent, CV_CONSENT_UNSET);
	assert_int_equal(r.rows[4].show_name, 1);
	cv_roster_free(&r);

	/* headings in any case, and the other spellings of show_name */
	parse_ok("Name,Consent,Name_On_Screen\nAda,Encounters,ja\n", &r);
	assert_int_equal(r.rows[0].consent, CV_CONSENT_ENCOUNTERS);
	assert_int_equal(r.rows[0].show_name, 1);
	cv_roster_free(&r);
}

static void test_roster_without_consent(void **unused)
{
	struct cv_roster r;

	(void)unused;
	parse_ok("name,organization\nAda,Analytical\n", &r);
	assert_int_equal(r.rows[0].consent, CV_CONSENT_UNSET);
	assert_int_equal(r.rows[0].show_name, 0);
	cv_roster_free(&r);
}

static void test_roster_consent_errors(void **unused)
{
	struct cv_roster r;
	char err[256];

	(void)unused;
	const char *bad = "name,consent\nAda,attendance\nBrian,everything\n";
	assert_int_equal(cv_roster_parse(bad, strlen(bad), &r, err, sizeof err), CV_EINVAL);
	assert_non_null(strstr(err, "line 3"));
	assert_non_null(strstr(err, "everything"));
	assert_int_equal(r.count, 0);

	const char *bad_yes = "name,show_name\nAda,perhaps\n";
	assert_int_equal(cv_roster_parse(bad_yes, strlen(bad_yes), &r, err, sizeof err), CV_EINVAL);
	assert_non_null(strstr(err, "line 2"));
	assert_non_null(strstr(err, "show_name"));

	const char *twice = "name,consent,consent\nAda,attendance,encounters\n";
	assert_int_equal(cv_roster_parse(twice, strlen(twice), &r, err, sizeof err), CV_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_consent_cells),
	    cmocka_unit_test(test_roster_consent_column),
	    cmocka_unit_test(test_roster_without_consent),
	    cmocka_unit_test(test_roster_consent_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
