/* Registration systems' exports as rosters: pretix (English and German
 * headers), Eventbrite's attendee report, explicit --map mappings, and the
 * plain roster passing through unchanged. The samples are written here the
 * way those systems write them: BOM, CRLF, quoted commas, a heading given
 * twice, one column per custom question, dates without a time zone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cv_error.h"
#include "cv_roster_formats.h"

static const struct cv_roster_row *find(const struct cv_roster *r, const char *name)
{
	for (size_t i = 0; i < r->count; i++)
		if (strcmp(r->rows[i].name, name) == 0)
			return &r->rows[i];
	return NULL;
}

static int parse(const char *text, const struct cv_roster_mapping *map, struct cv_roster *r,
                 enum cv_roster_source *src, char *err, size_t errlen)
{
	return cv_roster_parse_mapped(text, strlen(text), map, r, src, err, errlen);
}

static bool has_warning(const struct cv_roster *r, const char *part)
{
	for (size_t i = 0; i < r->warning_count; i++)
		if (strstr(r->warnings[i], part))
			return true;
	return false;
}

/* pretix, order positions export, English. */
static const char pretix_en[] =
    "\xEF\xBB\xBF"
    "Order code,Position ID,Status,Email,Order date,Order time,Product,Price,"
    "Attendee name,Attendee name: Title,Attendee name: Given name,"
    "Attendee name: Family name,Attendee email,Company,Voucher,"
    "\"Which track, if any?\",Dietary requirements\r\n"
    "ABC12,1,paid,buyer@example.org,2026-11-02,14:03:11,Regular ticket,120.00,"
    "Zoë Ångström,,Zoë,Ångström,zoe@example.org,\"Climate Commons, e.V.\",,"
    "\"Energy, water\",vegan\r\n"
    "ABC12,2,paid,buyer@example.org,2026-11-02,14:03:11,Regular ticket,120.00,"
    ",Dr.,Łukasz,Nowak,,Northside Schools,,,\r\n"
    "\r\n"
    "XYZ99,1,paid,amara@example.org,2026-11-03,09:00:00,Speaker,0.00,"
    "\"Okafor, Amara\",,Amara,Okafor,,\"Riverside \"\"Health\"\"\",,Health,\r\n";

static void test_pretix_english(void **state)
{
	(void)state;
	struct cv_roster r;
	enum cv_roster_source src;
	char err[256];
	assert_int_equal(parse(pretix_en, NULL, &r, &src, err, sizeof err), 0);
	assert_int_equal(src, CV_ROSTER_SOURCE_PRETIX);
	assert_int_equal(r.count, 3);
	const struct cv_roster_row *zoe = find(&r, "Zoë Ångström");
	assert_non_null(zoe);
	assert_string_equal(zoe->email, "zoe@example.org"); /* the attendee's, not the buyer's */
	assert_string_equal(zoe->organization, "Climate Commons, e.V.");
	assert_string_equal(zoe->external_id, "ABC12-1");
	assert_int_equal(zoe->line, 2);
	/* No whole name: given and family joined. No attendee email, and the
	 * buyer's is the order's for two people: none. */
	const struct cv_roster_row *lukasz = find(&r, "Łukasz Nowak");
	assert_non_null(lukasz);
	assert_null(lukasz->email);
	assert_string_equal(lukasz->external_id, "ABC12-2");
	const struct cv_roster_row *amara = find(&r, "Okafor, Amara");
	assert_non_null(amara);
	assert_string_equal(amara->organization, "Riverside \"Health\"");
	assert_string_equal(amara->email, "amara@example.org"); /* a one-person order's */
	assert_int_equal(amara->line, 5);
	/* Custom questions and dates are reported, not imported. */
	assert_true(has_warning(&r, "Which track, if any?"));
	assert_true(has_warning(&r, "Dietary requirements"));
	assert_true(has_warning(&r, "Order date"));
	cv_roster_free(&r);
}

/* A buyer who registers two people gives both the order's email; it names
 * neither, so it is not used for them (the attendee email would be). */
static void test_pretix_shared_buyer_email_is_not_used(void **state)
{
	(void)state;
	static const char text[] = "Order code,Position ID,Email,Attendee name,Attendee email\n"
	                           "Q1,1,buyer@example.org,Ana Silva,\n"
	                           "Q1,2,BUYER@example.org,Bo Lind,\n"
	                           "Q2,1,cy@example.org,Cy Twombly,\n"
	                           "Q3,1,buyer@example.org,Di Prima,di@example.org\n";
	struct cv_roster r;
	enum cv_roster_source src;
	char err[256];
	assert_int_equal(parse(text, NULL, &r, &src, err, sizeof err), 0);
	assert_int_equal(r.count, 4);
	assert_null(find(&r, "Ana Silva")->email);
	assert_null(find(&r, "Bo Lind")->email);
	assert_string_equal(find(&r, "Cy Twombly")->email, "cy@example.org");
	assert_string_equal(find(&r, "Di Prima")->email, "di@example.org");
	assert_string_equal(find(&r, "Bo Lind")->external_id, "Q1-2");
	cv_roster_free(&r);
	/* --map COLUMN=ignore drops a column altogether. */
	struct cv_roster_map_entry e[] = {{"email", CV_ROSTER_FIELD_IGNORE}};
	struct cv_roster_mapping map = {e, 1};
	assert_int_equal(parse(text, &map, &r, &src, err, sizeof err), 0);
	assert_null(find(&r, "Cy Twombly")->email);
	cv_roster_free(&r);
}

/* pretix with German headers, a heading given twice, LF line ends. */
static void test_pretix_german(void **state)
{
	(void)state;
	static const char text[] =
	    "Bestellnummer,Positions-ID,Status,E-Mail,Bestelldatum,Produkt,"
	    "Name des Teilnehmers: Vorname,Name des Teilnehmers: Nachname,"
	    "E-Mail des Teilnehmers,Firma,Firma,Welche Workshops?\n"
	    "K3LM9,1,bezahlt,kauf@example.de,2026-10-30 18:22:05,Ticket,Jürgen,Müller-Lüdenscheidt,"
	    "juergen@example.de,,Stadtwerke Köln,Kompost\n"
	    "K3LM9,2,bezahlt,kauf@example.de,2026-10-30 18:22:05,Ticket,Ayşe,Yılmaz,"
	    "ayse@example.de,Grüne Stadt gGmbH,,\n";
	struct cv_roster r;
	enum cv_roster_source src;
	char err[256];
	assert_int_equal(parse(text, NULL, &r, &src, err, sizeof err), 0);
	assert_int_equal(src, CV_ROSTER_SOURCE_PRETIX);
	assert_int_equal(r.count, 2);
	const struct cv_roster_row *j = find(&r, "Jürgen Müller-Lüdenscheidt");
	assert_non_null(j);
	assert_string_equal(j->email, "juergen@example.de");
	assert_string_equal(j->organization, "Stadtwerke Köln"); /* the non-empty "Firma" */
	assert_string_equal(j->external_id, "K3LM9-1");
	const struct cv_roster_row *a = find(&r, "Ayşe Yılmaz");
	assert_non_null(a);
	assert_string_equal(a->organization, "Grüne Stadt gGmbH");
	assert_true(has_warning(&r, "Welche Workshops?"));
	cv_roster_free(&r);
}

/* Eventbrite's attendee report. */
static void test_eventbrite(void **state)
{
	(void)state;
	static const char text[] =
	    "Order #,Order Date,First Name,Last Name,Email,Quantity,Ticket Type,Attendee #,"
	    "Barcode #,Order Type,Total Paid,Attendee Status,Job Title,Company,"
	    "What is your dietary requirement?,Would you like to join the mentoring circle?\r\n"
	    "1234567890,2026-11-20 16:42:01,Siobhán,Ní Bhriain,siobhan@example.ie,1,"
	    "General Admission,2345678901,234567890123456789001,Eventbrite Completed,0.00,"
	    "Attending,Organiser,\"Dublin Commons, CLG\",None,Yes\r\n"
	    "1234567891,2026-11-21 09:05:17,José,García Márquez,jose@example.es,1,"
	    "General Admission,2345678902,234567890123456789002,Eventbrite Completed,0.00,"
	    "Attending,,,Vegetarian,\r\n"
	    ",,,,,,,,,,,,,,,\r\n";
	struct cv_roster r;
	enum cv_roster_source src;
	char err[256];
	assert_int_equal(parse(text, NULL, &r, &src, err, sizeof err), 0);
	assert_int_equal(src, CV_ROSTER_SOURCE_EVENTBRITE);
	assert_int_equal(r.count, 2);
	const struct cv_roster_row *s = find(&r, "Siobhán Ní Bhriain");
	assert_non_null(s);
	assert_string_equal(s->email, "siobhan@example.ie");
	assert_string_equal(s->external_id, "2345678901");
	assert_string_equal(s->organization, "Dublin Commons, CLG");
	const struct cv_roster_row *j = find(&r, "José García Márquez");
	assert_non_null(j);
	assert_string_equal(j->organization, "");
	assert_true(has_warning(&r, "What is your dietary requirement?"));
	assert_true(has_warning(&r, "Job Title"));
	cv_roster_free(&r);
}

/* Anything else: named by --map. */
static void test_explicit_mapping(void **state)
{
	(void)state;
	static const char text[] =
	    "Teilnehmer,Organisation/Firma,Mail,Ausweis,Kommentar\n"
	    "\"Nowak, Łukasz\",\"Northside, Schools\",LUKASZ@example.org,04a1b2c3d4e501,\"a, b\"\n";
	char s1[] = "Teilnehmer=name", s2[] = "mail=email", s3[] = "Ausweis=badge_uid";
	struct cv_roster_map_entry e[3];
	char err[256];
	assert_int_equal(cv_roster_map_parse(s1, &e[0], err, sizeof err), 0);
	assert_int_equal(cv_roster_map_parse(s2, &e[1], err, sizeof err), 0);
	assert_int_equal(cv_roster_map_parse(s3, &e[2], err, sizeof err), 0);
	assert_string_equal(e[0].column, "Teilnehmer");
	struct cv_roster_mapping map = {e, 3};
	struct cv_roster r;
	enum cv_roster_source src;
	assert_int_equal(parse(text, &map, &r, &src, err, sizeof err), 0);
	assert_int_equal(src, CV_ROSTER_SOURCE_MAPPED);
	assert_int_equal(r.count, 1);
	assert_string_equal(r.rows[0].name, "Nowak, Łukasz");
	assert_string_equal(r.rows[0].organization, "Northside, Schools");
	assert_string_equal(r.rows[0].email, "LUKASZ@example.org");
	assert_string_equal(r.rows[0].badge_uid, "04A1B2C3D4E501");
	assert_true(has_warning(&r, "Kommentar"));
	cv_roster_free(&r);

	/* Without a name mapping there is no name. */
	struct cv_roster_mapping partial = {&e[1], 1};
	assert_int_equal(parse(text, &partial, &r, &src, err, sizeof err), CV_EINVAL);
	assert_non_null(strstr(err, "name"));
	/* A mapped column must exist. */
	char s4[] = "Telefon=email";
	struct cv_roster_map_entry missing;
	assert_int_equal(cv_roster_map_parse(s4, &missing, err, sizeof err), 0);
	struct cv_roster_mapping bad = {&missing, 1};
	assert_int_equal(parse(text, &bad, &r, &src, err, sizeof err), CV_EINVAL);
	assert_non_null(strstr(err, "Telefon"));
	assert_int_equal(r.count, 0);
}

static void test_map_parse_errors(void **state)
{
	(void)state;
	struct cv_roster_map_entry e;
	char err[256];
	char a[] = "no-equals", b[] = "=name", c[] = "Col=", d[] = "Col=shoe_size";
	char f[] = "A=B=given_name";
	assert_int_equal(cv_roster_map_parse(a, &e, err, sizeof err), CV_EINVAL);
	assert_int_equal(cv_roster_map_parse(b, &e, err, sizeof err), CV_EINVAL);
	assert_int_equal(cv_roster_map_parse(c, &e, err, sizeof err), CV_EINVAL);
	assert_int_equal(cv_roster_map_parse(d, &e, err, sizeof err), CV_EINVAL);
	assert_non_null(strstr(err, "shoe_size"));
	assert_int_equal(cv_roster_map_parse(f, &e, err, sizeof err), 0);
	assert_string_equal(e.column, "A=B");
	assert_int_equal(e.field, CV_ROSTER_FIELD_GIVEN_NAME);
}

/* Errors name the line of the original file, past empty lines and a field
 * spanning lines. */
static void test_errors_name_original_lines(void **state)
{
	(void)state;
	static const char text[] = "Order code,Position ID,Attendee name,Attendee email,Comment\r\n"
	                           "A1,1,Ana Silva,ana@example.org,\"two\r\nlines\"\r\n"
	                           "\r\n"
	                           "A2,1,Bo Lind,not-an-email,\r\n";
	struct cv_roster r;
	enum cv_roster_source src;
	char err[256];
	assert_int_equal(parse(text, NULL, &r, &src, err, sizeof err), CV_EINVAL);
	assert_non_null(strstr(err, "line 5:"));
	assert_non_null(strstr(err, "not-an-email"));
	assert_int_equal(r.count, 0);
}

/* Our own roster is the plain parser's, unchanged. */
static void test_plain_roster_unchanged(void **state)
{
	(void)state;
	static const char text[] = "name,organization,email\nAda,Engines,ada@example.org\n";
	struct cv_roster a, b;
	enum cv_roster_source src;
	char err[256];
	assert_int_equal(parse(text, NULL, &a, &src, err, sizeof err), 0);
	assert_int_equal(src, CV_ROSTER_SOURCE_PLAIN);
	assert_int_equal(cv_roster_parse(text, strlen(text), &b, err, sizeof err), 0);
	assert_int_equal(a.count, b.count);
	assert_string_equal(a.rows[0].name, b.rows[0].name);
	assert_string_equal(a.rows[0].email, b.rows[0].email);
	cv_roster_free(&a);
	cv_roster_free(&b);
	/* A header that is nobody's and has no name: the plain parser's error. */
	static const char other[] = "who,where\nAda,Engines\n";
	assert_int_equal(parse(other, NULL, &a, &src, err, sizeof err), CV_EINVAL);
	assert_non_null(strstr(err, "name"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pretix_english),
	    cmocka_unit_test(test_pretix_shared_buyer_email_is_not_used),
	    cmocka_unit_test(test_pretix_german),
	    cmocka_unit_test(test_eventbrite),
	    cmocka_unit_test(test_explicit_mapping),
	    cmocka_unit_test(test_map_parse_errors),
	    cmocka_unit_test(test_errors_name_original_lines),
	    cmocka_unit_test(test_plain_roster_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
