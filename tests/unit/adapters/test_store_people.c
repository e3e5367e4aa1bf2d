/* The store's people side on real SQLite files: the consents table from
 * every earlier schema version, consent recorded on the kiosk (append-only,
 * its own per-kiosk series, the person's current consent, seen at the next
 * tap), the roster's consent column (and that it never overrules a choice
 * made on a kiosk), the enrolment search (case and accents), and binding,
 * unbinding and revoking badges with the tap path seeing each change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "cv_error.h"
#include "cv_roster.h"
#include "cv_store.h"
#include "cv_store_people.h"

static char dir[512];

static void make_path(char *path, size_t n, const char *name)
{
	if (!dir[0]) {
		const char *base = getenv("CONVENE_TEST_ARTIFACTS");
		snprintf(dir, sizeof dir, "%s/store-people-XXXXXX", base && *base ? base : "/tmp");
		assert_non_null(mkdtemp(dir));
	}
	snprintf(path, n, "%s/%s", dir, name);
	unlink(path);
	char side[700];
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
}

static struct cv_stamp stamp_at(int64_t wall_ms)
{
	struct cv_stamp st = {.mono_ms = wall_ms / 10, .wall_ms = wall_ms, .wall_trusted = true};
	snprintf(st.boot_id, sizeof st.boot_id, "boot-1");
	return st;
}

static void import(struct cv_store *s, const char *csv, struct cv_import_stats *stats)
{
	struct cv_roster r;
	char err[256];
	struct cv_stamp st = stamp_at(1700000000000);
	struct cv_import_stats local;

	if (cv_roster_parse(csv, strlen(csv), &r, err, sizeof err) != 0)
		fail_msg("roster: %s", err);
	if (cv_store_import_roster(s, &r, &st, stats ? stats : &local, err, sizeof err) != 0)
		fail_msg("import: %s", err);
	cv_roster_free(&r);
}

static const char roster[] = "name,organization,external_id,badge_uid,consent\n"
                             "Zoë Ørsted,Green Schools,p-1,04A1A2A3A4A5A6,encounters+name\n"
                             "Łukasz Nowak,Climate Kraków,p-2,04B1B2B3B4B5B6,attendance\n"
                             "Anaïs Søndergaard,Clinica Norte,p-3,,\n"
                             "Zola Ochieng,Youth Forum,p-4,,\n"
                             "Jörg Zöller,Ørsted Skolen,p-5,,\n";

static struct cv_store *open_with_roster(const char *name)
{
	char path[600], err[256];
	struct cv_store *s = NULL;

	make_path(path, sizeof path, name);
	assert_int_equal(cv_store_open(path, "k1", &s, err, sizeof err), 0);
	import(s, roster, NULL);
	return s;
}

static int64_t count(struct cv_store *s, const char *sql)
{
	char path[700];
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t n = -1;

	/* a second connection: what is committed */
	snprintf(path, sizeof path, "%s", cv_store_path(s));
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static int64_t id_of(struct cv_store *s, const char *external_id)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT id FROM people WHERE external_id = '%s'", external_id);
	return count(s, sql);
}

static struct cv_tap_result tap(struct cv_store *s, const char *uid)
{
	struct cv_tap_result r;
	struct cv_stamp st = stamp_at(1700000100000);
	assert_int_equal(cv_store_record_tap(s, uid, NULL, "hall", &st, &r), 0);
	return r;
}

static void test_migrates_from_every_version(void **state)
{
	(void)state;
	for (int v = 0; v < CV_STORE_SCHEMA_VERSION; v++) {
		char path[600], err[256], name[32];
		struct cv_store *s = NULL;
		int version;

		snprintf(name, sizeof name, "v%d.db", v);
		make_path(path, sizeof path, name);
		assert_int_equal(cv_store_open_at_version(path, "k1", v, &s, err, sizeof err), 0);
		if (v >= 1)
			assert_int_equal(
			    cv_store_exec(s, "INSERT INTO people (id, name, organization, "
			                     "role, created_wall_ms, updated_wall_ms) "
			                     "VALUES (1, 'Ada', '', 'attendee', 0, 0)"),
			    0);
		cv_store_close(s);
		assert_int_equal(cv_store_open(path, "k1", &s, err, sizeof err), 0);
		assert_int_equal(cv_store_schema_version(s, &version), 0);
		assert_int_equal(version, CV_STORE_SCHEMA_VERSION);
		if (v >= 1) {
			struct cv_stamp st = stamp_at(5000);
			int64_t seq;
			enum cv_consent c;
			bool show;
			assert_int_equal(cv_store_person_consent(s, 1, &c, &show), 0);
			assert_int_equal(c, CV_CONSENT_UNSET);
			assert_int_equal(cv_store_record_consent(s, 1, CV_CONSENT_ATTENDANCE, false,
			                                         0, &st, &seq),
			                 0);
			assert_int_equal(seq, 1);
		}
		cv_store_close(s);
	}
}

static void test_consent_recorded(void **state)
{
	struct cv_store *s = open_with_roster("consent.db");
	int64_t anais = id_of(s, "p-3"), seq = 0;
	struct cv_stamp st = stamp_at(1700000200000);
	enum cv_consent c;
	bool show;

	(void)state;
	/* from the roster: seen at the tap */
	struct cv_tap_result r = tap(s, "04A1A2A3A4A5A6");
	assert_true(r.known);
	assert_int_equal(r.person.consent, CV_CONSENT_ENCOUNTERS);
	assert_true(r.person.show_name);
	r = tap(s, "04B1B2B3B4B5B6");
	assert_int_equal(r.person.consent, CV_CONSENT_ATTENDANCE);
	assert_false(r.person.show_name);

	assert_int_equal(cv_store_person_consent(s, anais, &c, &show), 0);
	assert_int_equal(c, CV_CONSENT_UNSET);
	assert_int_equal(
	    cv_store_record_consent(s, anais, CV_CONSENT_ENCOUNTERS, true, 7, &st, &seq), 0);
	assert_int_equal(seq, 1);
	assert_int_equal(cv_store_person_consent(s, anais, &c, &show), 0);
	assert_int_equal(c, CV_CONSENT_ENCOUNTERS);
	assert_true(show);
	/* changed at a later tap: a second record, the latest counts */
	assert_int_equal(
	    cv_store_record_consent(s, anais, CV_CONSENT_ATTENDANCE, false, 9, &st, &seq), 0);
	assert_int_equal(seq, 2);
	assert_int_equal(cv_store_person_consent(s, anais, &c, &show), 0);
	assert_int_equal(c, CV_CONSENT_ATTENDANCE);
	assert_false(show);
	assert_int_equal(count(s, "SELECT count(*) FROM consents WHERE kiosk_id = 'k1'"), 2);
	assert_int_equal(count(s, "SELECT tap_seq FROM consents WHERE seq = 1"), 7);
	assert_int_equal(count(s, "SELECT wall_ms FROM consents WHERE seq = 2"), 1700000200000);
	assert_int_equal(count(s, "SELECT consent_wall_ms FROM people WHERE external_id = 'p-3'"),
	                 1700000200000);
	/* its own series: the shared sequence of taps and check-ins is untouched */
	assert_int_equal(count(s, "SELECT last_seq FROM sequences WHERE kiosk_id = 'k1'"), 4);
	/* append-only */
	assert_int_not_equal(cv_store_exec(s, "UPDATE consents SET consent = 'encounters'"), 0);
	assert_int_not_equal(cv_store_exec(s, "DELETE FROM consents"), 0);
	assert_int_equal(count(s, "SELECT count(*) FROM consents"), 2);
	/* nobody, or no consent: refused, nothing written */
	assert_int_equal(
	    cv_store_record_consent(s, 999, CV_CONSENT_ATTENDANCE, false, 0, &st, &seq),
	    CV_ENOTFOUND);
	assert_int_equal(seq, 0);
	assert_int_equal(cv_store_record_consent(s, anais, CV_CONSENT_UNSET, false, 0, &st, &seq),
	                 CV_EINVAL);
	assert_int_equal(count(s, "SELECT count(*) FROM consents"), 2);
	assert_int_equal(cv_store_person_consent(s, 999, &c, &show), CV_ENOTFOUND);
	cv_store_close(s);
}

static void test_roster_consent_import(void **state)
{
	struct cv_store *s = open_with_roster("roster-consent.db");
	struct cv_import_stats stats;
	int64_t zoe = id_of(s, "p-1"), lukasz = id_of(s, "p-2"), seq;
	struct cv_stamp st = stamp_at(1700000300000);
	enum cv_consent c;
	bool show;

	(void)state;
	/* the same roster again: nothing changes */
	import(s, roster, &stats);
	assert_int_equal(stats.updated, 0);
	assert_int_equal(stats.unchanged, 5);
	/* a roster that changes only a consent counts that person as updated */
	import(s,
	       "name,organization,external_id,consent,show_name\n"
	       "Zoë Ørsted,Green Schools,p-1,attendance,\n"
	       "Łukasz Nowak,Climate Kraków,p-2,,yes\n",
	       &stats);
	assert_int_equal(stats.updated, 2);
	assert_int_equal(stats.unchanged, 0);
	assert_int_equal(cv_store_person_consent(s, zoe, &c, &show), 0);
	assert_int_equal(c, CV_CONSENT_ATTENDANCE);
	assert_true(show); /* the roster said nothing new about the name */
	assert_int_equal(cv_store_person_consent(s, lukasz, &c, &show), 0);
	assert_int_equal(c, CV_CONSENT_ATTENDANCE);
	assert_true(show);

	/* Łukasz chooses on a kiosk; a later roster does not overrule him */
	assert_int_equal(
	    cv_store_record_consent(s, lukasz, CV_CONSENT_ENCOUNTERS, false, 0, &st, &seq), 0);
	import(s,
	       "name,organization,external_id,consent\n"
	       "Łukasz Nowak,Climate Kraków,p-2,attendance+name\n",
	       &stats);
	assert_int_equal(stats.unchanged, 1);
	assert_int_equal(cv_store_person_consent(s, lukasz, &c, &show), 0);
	assert_int_equal(c, CV_CONSENT_ENCOUNTERS);
	assert_false(show);
	cv_store_close(s);
}

static void test_search(void **state)
{
	struct cv_store *s = open_with_roster("search.db");
	struct cv_flow_person found[6];
	int n = -1;

	(void)state;
	/* without accents, in capitals: Zoë and Zola start with it, Jörg
	 * Zöller has it at a word's start too; Anaïs only inside */
	assert_int_equal(cv_store_search_people(s, "ZO", found, 6, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(found[0].name, "Jörg Zöller");
	assert_string_equal(found[1].name, "Zoë Ørsted"); /* by folded name: "zoe" < "zola" */
	assert_string_equal(found[2].name, "Zola Ochieng");
	assert_int_equal(found[1].consent, CV_CONSENT_ENCOUNTERS);
	assert_true(found[1].show_name);
	assert_string_equal(found[1].organization, "Green Schools");
	/* with accents typed, and inside a word */
	assert_int_equal(cv_store_search_people(s, "ørst", found, 6, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(found[0].name, "Zoë Ørsted");
	assert_int_equal(cv_store_search_people(s, "LUKASZ", found, 6, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(found[0].id, id_of(s, "p-2"));
	/* a word's start ranks before a match inside one */
	assert_int_equal(cv_store_search_people(s, "n", found, 6, &n), 0);
	assert_true(n >= 3);
	assert_string_equal(found[0].name, "Łukasz Nowak");
	/* '%' and '_' are plain characters */
	assert_int_equal(cv_store_search_people(s, "%", found, 6, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(cv_store_search_people(s, "qqq", found, 6, &n), 0);
	assert_int_equal(n, 0);
	/* empty: the first names in order; max is kept */
	assert_int_equal(cv_store_search_people(s, "", found, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(found[0].name, "Anaïs Søndergaard");
	assert_string_equal(found[1].name, "Jörg Zöller");
	cv_store_close(s);
}

static void test_bind_unbind_revoke(void **state)
{
	struct cv_store *s = open_with_roster("badges.db");
	int64_t anais = id_of(s, "p-3"), zoe = id_of(s, "p-1");
	const char *fresh = "04C1C2C3C4C5C6", *spare = "04C9C9C9C9C9C9";

	(void)state;
	struct cv_tap_result r = tap(s, fresh);
	assert_false(r.known);
	int64_t before = count(s, "SELECT updated_wall_ms FROM people WHERE external_id = 'p-3'");
	assert_int_equal(cv_store_bind_badge(s, fresh, anais, 1700000400000), 0);
	assert_true(count(s, "SELECT updated_wall_ms FROM people WHERE external_id = 'p-3'") >
	            before);
	r = tap(s, fresh);
	assert_true(r.known);
	assert_int_equal(r.person.id, anais);
	assert_true(r.checked_in_now);
	/* a second badge for the same person; binding again changes nothing */
	assert_int_equal(cv_store_bind_badge(s, spare, anais, 1700000400001), 0);
	assert_int_equal(cv_store_bind_badge(s, spare, anais, 1700000400002), 0);
	assert_int_equal(count(s, "SELECT count(*) FROM badges WHERE person_id = "
	                          "(SELECT id FROM people WHERE external_id = 'p-3')"),
	                 2);
	/* a badge belongs to one person */
	assert_int_equal(cv_store_bind_badge(s, fresh, zoe, 1700000400003), CV_EEXIST);
	assert_int_equal(tap(s, fresh).person.id, anais);
	assert_int_equal(cv_store_bind_badge(s, "04D1D2D3D4D5D6", 999, 1), CV_ENOTFOUND);
	assert_int_equal(cv_store_bind_badge(s, "", anais, 1), CV_EINVAL);

	/* unbind: nobody's, and free to bind to someone else */
	assert_int_equal(cv_store_unbind_badge(s, spare, 1700000400004), 0);
	assert_false(tap(s, spare).known);
	assert_int_equal(cv_store_unbind_badge(s, spare, 1700000400005), CV_ENOTFOUND);
	assert_int_equal(cv_store_bind_badge(s, spare, zoe, 1700000400006), 0);
	assert_int_equal(tap(s, spare).person.id, zoe);

	/* revoke: names nobody, cannot be unbound or revoked twice, and may be
	 * bound anew (found again, or recycled) */
	assert_int_equal(cv_store_revoke_badge(s, fresh, 1700000400007), 0);
	assert_false(tap(s, fresh).known);
	assert_int_equal(cv_store_revoke_badge(s, fresh, 1700000400008), CV_ENOTFOUND);
	assert_int_equal(cv_store_unbind_badge(s, fresh, 1700000400008), CV_ENOTFOUND);
	assert_int_equal(
	    count(s, "SELECT revoked_wall_ms FROM badges WHERE uid = '04C1C2C3C4C5C6'"),
	    1700000400007);
	assert_int_equal(cv_store_bind_badge(s, fresh, zoe, 1700000400009), 0);
	assert_int_equal(tap(s, fresh).person.id, zoe);
	assert_int_equal(cv_store_revoke_badge(s, "04EEEEEEEEEEEE", 1), CV_ENOTFOUND);
	cv_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_migrates_from_every_version),
	    cmocka_unit_test(test_consent_recorded),
	    cmocka_unit_test(test_roster_consent_import),
	    cmocka_unit_test(test_search),
	    cmocka_unit_test(test_bind_unbind_revoke),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
