/* The store's network side on real SQLite files: the prior_ties migration
 * from every earlier schema version, import-network (matching by external
 * id and email, replacing a re-import), the pseudonym secret, and the
 * metrics graph built from a store. */
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
#include "cv_network_file.h"
#include "cv_pseudonym.h"
#include "cv_roster.h"
#include "cv_store.h"
#include "cv_store_network.h"

static char dir[512];

static void make_path(char *path, size_t n, const char *name)
{
	if (!dir[0]) {
		const char *base = getenv("CONVENE_TEST_ARTIFACTS");
		snprintf(dir, sizeof dir, "%s/store-network-XXXXXX", base && *base ? base : "/tmp");
		assert_non_null(mkdtemp(dir));
	}
	snprintf(path, n, "%s/%s", dir, name);
	unlink(path);
}

static const char roster_csv[] = "name,organization,email,external_id\n"
                                 "Ada,Engines,ada@example.org,x-1\n"
                                 "Bo,Commons,bo@example.org,x-2\n"
                                 "Cy,Commons,CY@Example.org,\n";

static struct cv_store *open_with_roster(const char *path)
{
	struct cv_store *s = NULL;
	char err[256];
	assert_int_equal(cv_store_open(path, "k1", &s, err, sizeof err), 0);
	struct cv_roster r;
	assert_int_equal(cv_roster_parse(roster_csv, strlen(roster_csv), &r, err, sizeof err), 0);
	struct cv_stamp st = {.wall_ms = 1000, .wall_trusted = true};
	snprintf(st.boot_id, sizeof st.boot_id, "b");
	struct cv_import_stats stats;
	assert_int_equal(cv_store_import_roster(s, &r, &st, &stats, err, sizeof err), 0);
	cv_roster_free(&r);
	return s;
}

static void test_migrates_from_every_version(void **state)
{
	(void)state;
	for (int v = 0; v < CV_STORE_SCHEMA_VERSION; v++) {
		char path[600], err[256];
		char name[32];
		snprintf(name, sizeof name, "v%d.db", v);
		make_path(path, sizeof path, name);
		struct cv_store *s = NULL;
		assert_int_equal(cv_store_open_at_version(path, "k1", v, &s, err, sizeof err), 0);
		cv_store_close(s);
		assert_int_equal(cv_store_open(path, "k1", &s, err, sizeof err), 0);
		int version;
		assert_int_equal(cv_store_schema_version(s, &version), 0);
		assert_int_equal(version, CV_STORE_SCHEMA_VERSION);
		/* The table works: a tie between two keys. */
		assert_int_equal(cv_store_exec(s, "INSERT INTO prior_ties VALUES "
		                                  "('f', 'a', 'b', 2, 0)"),
		                 0);
		/* Keys are kept in order. */
		assert_int_not_equal(cv_store_exec(s, "INSERT INTO prior_ties VALUES "
		                                      "('f', 'z', 'b', 2, 0)"),
		                     0);
		cv_store_close(s);
	}
}

struct seen {
	int n;
	struct cv_prior_tie_row rows[8];
	char keys[8][2][32];
};

static int collect(const struct cv_prior_tie_row *row, void *ctx)
{
	struct seen *s = ctx;
	if (s->n == 8)
		return 1;
	s->rows[s->n] = *row;
	snprintf(s->keys[s->n][0], 32, "%s", row->a_key);
	snprintf(s->keys[s->n][1], 32, "%s", row->b_key);
	s->n++;
	return 0;
}

static void test_import_network(void **state)
{
	(void)state;
	char path[600], err[256];
	make_path(path, sizeof path, "net.db");
	struct cv_store *s = open_with_roster(path);
	static const char file[] = "person_a,person_b,count\r\n"
	                           "x-1,x-2,2\r\n"
	                           "x-2,x-1,1\r\n"
	                           "cy@example.org,x-1,1\r\n"
	                           "x-9,x-1,4\r\n"
	                           "x-1,x-1,3\r\n";
	struct cv_network net;
	assert_int_equal(cv_network_parse(file, strlen(file), &net, err, sizeof err), 0);
	assert_int_equal(net.count, 3);
	assert_int_equal(net.rows, 5);
	assert_int_equal(net.self, 1);
	struct cv_stamp st = {.wall_ms = 5};
	struct cv_network_import_stats stats;
	assert_int_equal(cv_store_network_import(s, "old.csv", &net, &st, &stats, err, sizeof err),
	                 0);
	assert_int_equal(stats.pairs, 3);
	assert_int_equal(stats.matched, 2);
	assert_int_equal(stats.replaced, 0);
	/* Again: replaces, does not add. */
	assert_int_equal(cv_store_network_import(s, "old.csv", &net, &st, &stats, err, sizeof err),
	                 0);
	assert_int_equal(stats.replaced, 3);
	cv_network_free(&net);

	struct seen seen = {0};
	assert_int_equal(cv_store_foreach_prior_tie(s, collect, &seen), 0);
	assert_int_equal(seen.n, 3);
	/* Sorted by key: "cy@…" < "x-1" < "x-9". */
	assert_string_equal(seen.keys[0][0], "cy@example.org");
	assert_int_equal(seen.rows[0].person_a, 3); /* email, any case */
	assert_int_equal(seen.rows[0].person_b, 1);
	assert_string_equal(seen.keys[1][1], "x-2");
	assert_int_equal(seen.rows[1].count, 3);
	assert_int_equal(seen.rows[2].person_b, 0); /* x-9 is nobody here */

	struct cv_metrics *m;
	assert_int_equal(cv_store_network_metrics(s, &m), 0);
	struct cv_metrics_figures f;
	cv_metrics_figures(m, &f);
	assert_int_equal(f.people, 3);
	assert_int_equal(f.prior_ties, 2);
	assert_int_equal(f.ties, 0);
	cv_metrics_destroy(m);
	cv_store_close(s);

	const char *bad = "a,c\nx,y\n";
	assert_int_equal(cv_network_parse(bad, strlen(bad), &net, err, sizeof err), CV_EINVAL);
	const char *badcount = "source,target,weight\nx,y,0\n";
	assert_int_equal(cv_network_parse(badcount, strlen(badcount), &net, err, sizeof err),
	                 CV_EINVAL);
	assert_non_null(strstr(err, "line 2"));
}

static void test_pseudonym_key_is_stable(void **state)
{
	(void)state;
	char path[600], err[256];
	make_path(path, sizeof path, "key.db");
	struct cv_store *s = open_with_roster(path);
	uint8_t k1[CV_PSEUDONYM_KEY_BYTES], k2[CV_PSEUDONYM_KEY_BYTES];
	assert_int_equal(cv_store_pseudonym_key(s, k1), 0);
	cv_store_close(s);
	assert_int_equal(cv_store_open(path, "k2", &s, err, sizeof err), 0);
	assert_int_equal(cv_store_pseudonym_key(s, k2), 0);
	assert_memory_equal(k1, k2, sizeof k1);
	cv_store_close(s);
	char p1[CV_PSEUDONYM_MAX], p2[CV_PSEUDONYM_MAX];
	cv_pseudonym_text(k1, 1, p1);
	cv_pseudonym_text(k1, 2, p2);
	assert_string_not_equal(p1, p2);
	assert_int_equal(strlen(p1), 15);
	/* Another store, another secret: other pseudonyms. */
	make_path(path, sizeof path, "key2.db");
	s = open_with_roster(path);
	assert_int_equal(cv_store_pseudonym_key(s, k2), 0);
	cv_store_close(s);
	assert_memory_not_equal(k1, k2, sizeof k1);
}

/* SipHash-2-4's published test vector: key 00..0f, message 00..0e. */
static void test_siphash_vector(void **state)
{
	(void)state;
	uint8_t key[16], msg[15];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	assert_int_equal(cv_pseudonym_siphash(key, msg, 15), 0xa129ca6149be45e5ULL);
	assert_int_equal(cv_pseudonym_siphash(key, msg, 0), 0x726fdb47dd0e0e31ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_migrates_from_every_version),
	    cmocka_unit_test(test_import_network),
	    cmocka_unit_test(test_pseudonym_key_is_stable),
	    cmocka_unit_test(test_siphash_vector),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
