/* Tests of the CSV export: the three files are re-read with libcsv and
 * checked row by row, with names that need quoting, timestamps, answers
 * and the atomic replacement of an earlier export. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <csv.h>

#include "cv_error.h"
#include "cv_export.h"
#include "cv_fileutil.h"
#include "cv_store.h"

/* 2026-12-02T10:00:00Z; TZ=UTC for exact days. */
#define T0 INT64_C(1796205600000)

#define TRICKY_NAME "Zo\xc3\xab \"Z\" O'Brien, Jr."

struct fixture {
	char dir[512];
	char db[600];
	char out[600];
	struct cv_store *store;
	int64_t zoe, amp, plain; /* person ids */
};

/* ---- a CSV file read back with libcsv ---- */

#define MAX_ROWS 16
#define MAX_FIELDS 12

struct table {
	int rows;
	int fields[MAX_ROWS];
	char *cell[MAX_ROWS][MAX_FIELDS];
	int overflow;
};

static void on_field(void *data, size_t len, void *ctx)
{
	struct table *t = ctx;
	if (t->rows >= MAX_ROWS || t->fields[t->rows] >= MAX_FIELDS) {
		t->overflow = 1;
		return;
	}
	char *s = malloc(len + 1);
	assert_non_null(s);
	memcpy(s, data, len);
	s[len] = '\0';
	t->cell[t->rows][t->fields[t->rows]++] = s;
}

static void on_row(int c, void *ctx)
{
	(void)c;
	struct table *t = ctx;
	if (t->rows < MAX_ROWS)
		t->rows++;
	else
		t->overflow = 1;
}

static char *slurp(const char *path, size_t *len)
{
	char *buf = NULL;
	assert_int_equal(cv_file_read_all(path, 1 << 20, &buf, len), 0);
	return buf;
}

static void read_table(const char *dir, const char *name, struct table *t)
{
	char path[700];
	size_t len;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	char *buf = slurp(path, &len);
	struct csv_parser p;
	memset(t, 0, sizeof *t);
	assert_int_equal(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI), 0);
	assert_int_equal(csv_parse(&p, buf, len, on_field, on_row, t), len);
	assert_int_equal(csv_fini(&p, on_field, on_row, t), 0);
	csv_free(&p);
	free(buf);
	assert_false(t->overflow);
}

static void free_table(struct table *t)
{
	for (int r = 0; r < MAX_ROWS; r++)
		for (int f = 0; f < MAX_FIELDS; f++)
			free(t->cell[r][f]);
	memset(t, 0, sizeof *t);
}

static void assert_row(const struct table *t, int row, int n, const char *const *want)
{
	assert_true(row < t->rows);
	assert_int_equal(t->fields[row], n);
	for (int i = 0; i < n; i++) {
		if (strcmp(t->cell[row][i], want[i]) != 0)
			print_error("row %d field %d: '%s' != '%s'\n", row, i, t->cell[row][i],
			            want[i]);
		assert_string_equal(t->cell[row][i], want[i]);
	}
}

/* ---- fixture: a store with people whose names need quoting ---- */

static struct cv_stamp stamp_at(int64_t wall_ms, bool trusted)
{
	struct cv_stamp s = {.boot_id = "6f1c2d4e-0000-4000-8000-000000000001",
	                     .mono_ms = 5000 + (wall_ms - T0),
	                     .wall_ms = wall_ms,
	                     .wall_trusted = trusted};
	return s;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	if (!fx)
		return -1;
	const char *base = getenv("CONVENE_TEST_ARTIFACTS");
	if (!base || !*base)
		base = "/tmp";
	snprintf(fx->dir, sizeof fx->dir, "%s/export-XXXXXX", base);
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	snprintf(fx->db, sizeof fx->db, "%s/convene.db", fx->dir);
	snprintf(fx->out, sizeof fx->out, "%s/out/day1", fx->dir);
	char err[256];
	if (cv_store_open(fx->db, "kiosk-1", &fx->store, err, sizeof err) != 0) {
		print_error("open: %s\n", err);
		free(fx);
		return -1;
	}
	struct cv_roster_row rows[] = {
	    {.name = TRICKY_NAME,
	     .organization = "Caf\xc3\xa9, Ltd",
	     .email = "zoe@example.org",
	     .external_id = "E-1",
	     .badge_uid = "04A1B2C3",
	     .line = 2},
	    {.name = "<&>",
	     .organization = "",
	     .role = CV_ROLE_STAFF,
	     .badge_uid = "04D4E5F6",
	     .line = 3},
	    {.name = "Line\nBreak",
	     .organization = " padded ",
	     .role = CV_ROLE_ORGANIZER,
	     .external_id = "E-3",
	     .line = 4},
	};
	struct cv_roster roster = {.rows = rows, .count = 3};
	struct cv_stamp st = stamp_at(T0 - 60000, true);
	struct cv_import_stats stats;
	if (cv_store_import_roster(fx->store, &roster, &st, &stats, err, sizeof err) != 0) {
		print_error("import: %s\n", err);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	cv_store_close(fx->store);
	nftw(fx->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static struct cv_tap_result tap(struct fixture *fx, const char *uid, const char *ndef,
                                int64_t wall_ms, bool trusted)
{
	struct cv_stamp st = stamp_at(wall_ms, trusted);
	struct cv_tap_result r;
	assert_int_equal(cv_store_record_tap(fx->store, uid, ndef, "main hall", &st, &r), 0);
	return r;
}

static void export_ok(struct fixture *fx)
{
	char err[256] = "";
	int rc = cv_export_csv(fx->store, fx->out, err, sizeof err);
	if (rc != 0)
		print_error("export: %s (%s)\n", cv_strerror(rc), err);
	assert_int_equal(rc, 0);
}

/* ---- tests ---- */

static void test_people_csv(void **state)
{
	struct fixture *fx = *state;
	export_ok(fx);
	struct table t;
	read_table(fx->out, "people.csv", &t);
	assert_int_equal(t.rows, 4);
	const char *header[] = {"id",   "external_id", "name",  "organization",
	                        "role", "email",       "badges"};
	assert_row(&t, 0, 7, header);
	const char *zoe[] = {
	    "1", "E-1", TRICKY_NAME, "Caf\xc3\xa9, Ltd", "attendee", "zoe@example.org", "04A1B2C3"};
	assert_row(&t, 1, 7, zoe);
	const char *amp[] = {"2", "", "<&>", "", "staff", "", "04D4E5F6"};
	assert_row(&t, 2, 7, amp);
	const char *br[] = {"3", "E-3", "Line\nBreak", " padded ", "organizer", "", ""};
	assert_row(&t, 3, 7, br);
	free_table(&t);

	/* The bytes themselves: quotes doubled, plain fields left bare. */
	char path[700];
	size_t len;
	snprintf(path, sizeof path, "%s/people.csv", fx->out);
	char *raw = slurp(path, &len);
	assert_non_null(strstr(raw, "\"Zo\xc3\xab \"\"Z\"\" O'Brien, Jr.\""));
	assert_non_null(strstr(raw, "\n2,,<&>,,staff,,04D4E5F6\n"));
	assert_non_null(strstr(raw, "\"Line\nBreak\",\" padded \""));
	assert_int_equal(strncmp(raw, "id,external_id,name,", 20), 0);
	free(raw);
}

static void test_checkins_csv(void **state)
{
	struct fixture *fx = *state;
	tap(fx, "04A1B2C3", NULL, T0 + 123, true);          /* 1, 2 */
	tap(fx, "04A1B2C3", NULL, T0 + 60000, true);        /* 3: no check-in */
	tap(fx, "04D4E5F6", NULL, T0 + 3600000 + 7, false); /* 4, 5 */
	tap(fx, "04000000", "E-3", T0 + 7200000, true);     /* 6, 7 through the NDEF id */
	tap(fx, "04999999", NULL, T0 + 7300000, true);      /* 8: unknown */
	export_ok(fx);

	struct table t;
	read_table(fx->out, "checkins.csv", &t);
	assert_int_equal(t.rows, 4);
	const char *header[] = {"kiosk_id", "seq",          "person",  "zone",   "day",
	                        "ts",       "wall_trusted", "boot_id", "mono_ms"};
	assert_row(&t, 0, 9, header);
	const char *r1[] = {"kiosk-1",    "2",
	                    "E-1",        "main hall",
	                    "2026-12-02", "2026-12-02T10:00:00.123Z",
	                    "true",       "6f1c2d4e-0000-4000-8000-000000000001",
	                    "5123"};
	assert_row(&t, 1, 9, r1);
	/* No external id: the person is named by the internal one. */
	const char *r2[] = {"kiosk-1",    "5",
	                    "2",          "main hall",
	                    "2026-12-02", "2026-12-02T11:00:00.007Z",
	                    "false",      "6f1c2d4e-0000-4000-8000-000000000001",
	                    "3605007"};
	assert_row(&t, 2, 9, r2);
	assert_string_equal(t.cell[3][1], "7");
	assert_string_equal(t.cell[3][2], "E-3");
	assert_string_equal(t.cell[3][5], "2026-12-02T12:00:00.000Z");
	free_table(&t);
}

static void test_encounters_csv(void **state)
{
	struct fixture *fx = *state;
	struct cv_tap_result a = tap(fx, "04D4E5F6", NULL, T0, true);
	struct cv_tap_result b = tap(fx, "04A1B2C3", NULL, T0 + 1500, true);
	struct cv_stamp st = stamp_at(T0 + 1500, true);
	int64_t e1, e2;
	/* meet: no answer yet, then one appended. */
	assert_int_equal(cv_store_record_encounter(fx->store, a.person.id, b.person.id, a.tap_seq,
	                                           b.tap_seq, NULL, "main hall", &st, &e1),
	                 0);
	st = stamp_at(T0 + 9000, true);
	assert_int_equal(cv_store_record_answer(fx->store, b.tap_seq, "worked, \"closely\"", &st),
	                 0);
	/* Another pair that never got an answer. */
	struct cv_tap_result c = tap(fx, "04000000", "E-3", T0 + 20000, true);
	struct cv_tap_result d = tap(fx, "04A1B2C3", NULL, T0 + 21000, true);
	st = stamp_at(T0 + 21000, false);
	assert_int_equal(cv_store_record_encounter(fx->store, c.person.id, d.person.id, c.tap_seq,
	                                           d.tap_seq, NULL, "main hall", &st, &e2),
	                 0);
	export_ok(fx);

	struct table t;
	read_table(fx->out, "encounters.csv", &t);
	assert_int_equal(t.rows, 3);
	const char *header[] = {"person_a", "person_b", "ts",           "kiosk_id", "answer",
	                        "seq",      "zone",     "wall_trusted", "boot_id",  "mono_ms"};
	assert_row(&t, 0, 10, header);
	char seq1[24], seq2[24];
	snprintf(seq1, sizeof seq1, "%lld", (long long)e1);
	snprintf(seq2, sizeof seq2, "%lld", (long long)e2);
	const char *r1[] = {"2",
	                    "E-1",
	                    "2026-12-02T10:00:01.500Z",
	                    "kiosk-1",
	                    "worked, \"closely\"",
	                    seq1,
	                    "main hall",
	                    "true",
	                    "6f1c2d4e-0000-4000-8000-000000000001",
	                    "6500"};
	assert_row(&t, 1, 10, r1);
	const char *r2[] = {"E-3",       "E-1",   "2026-12-02T10:00:21.000Z",
	                    "kiosk-1",   "",      seq2,
	                    "main hall", "false", "6f1c2d4e-0000-4000-8000-000000000001",
	                    "26000"};
	assert_row(&t, 2, 10, r2);
	free_table(&t);
}

static int count_hidden(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void test_reexport_replaces_files(void **state)
{
	struct fixture *fx = *state;
	tap(fx, "04A1B2C3", NULL, T0, true);
	export_ok(fx);
	struct table t;
	read_table(fx->out, "checkins.csv", &t);
	assert_int_equal(t.rows, 2);
	free_table(&t);

	tap(fx, "04D4E5F6", NULL, T0 + 1000, true);
	export_ok(fx);
	read_table(fx->out, "checkins.csv", &t);
	assert_int_equal(t.rows, 3);
	free_table(&t);
	/* No temporary file is left behind. */
	assert_int_equal(count_hidden(fx->out), 0);
	/* An empty store section still has its header. */
	read_table(fx->out, "encounters.csv", &t);
	assert_int_equal(t.rows, 1);
	assert_string_equal(t.cell[0][0], "person_a");
	free_table(&t);
}

static void test_export_into_a_file_fails_cleanly(void **state)
{
	struct fixture *fx = *state;
	char err[256] = "";
	/* dir names an existing regular file. */
	assert_true(cv_export_csv(fx->store, fx->db, err, sizeof err) < 0);
	assert_true(strlen(err) > 0);
	/* The store is still usable: the export's snapshot was released. */
	struct cv_tap_result r = tap(fx, "04A1B2C3", NULL, T0, true);
	assert_true(r.known);
	assert_int_equal(cv_export_csv(fx->store, "", err, sizeof err), CV_EINVAL);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_people_csv, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_checkins_csv, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_encounters_csv, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reexport_replaces_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_export_into_a_file_fails_cleanly, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
