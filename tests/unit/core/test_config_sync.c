/* Tests of the sync and serve keys of the config: defaults, accepted
 * values, and the first wrong one named with file, line, section and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cv_config.h"
#include "cv_error.h"

static int parse(const char *text, struct cv_config *cfg, char *err, size_t errlen)
{
	cv_config_defaults(cfg);
	return cv_config_parse(text, "k.conf", cfg, err, errlen);
}

static void test_defaults(void **state)
{
	(void)state;
	struct cv_config cfg;
	cv_config_defaults(&cfg);
	assert_int_equal(cfg.sync_interval_s, 60);
	assert_int_equal(cfg.sync_batch_size, 300);
	assert_int_equal(cfg.sync_connect_timeout_s, 10);
	assert_int_equal(cfg.sync_timeout_s, 60);
	assert_int_equal(cfg.sync_attempts, 8);
	assert_string_equal(cfg.sync_ca_file, "");
	assert_string_equal(cfg.sync_pinned_pubkey, "");
	assert_string_equal(cfg.serve_listen, "127.0.0.1:8765");
	assert_string_equal(cfg.serve_tokens_file, "");
}

static void test_values(void **state)
{
	(void)state;
	struct cv_config cfg;
	char err[512];
	int rc = parse("[sync]\nurl = https://hub.example.org/c\nca_file = /etc/ca.pem\n"
	               "pinned_pubkey = sha256//AAAA;sha256//BBBB\ninterval_s = 5\n"
	               "batch_size = 1000\nconnect_timeout_s = 2\ntimeout_s = 3600\nattempts = 1\n"
	               "server_public_key_file = /etc/convene/server.pub\n"
	               "[Serve]\nListen = 0.0.0.0:443\ntokens_file = /var/lib/convene/tokens\n"
	               "public_key_file = p\nsecret_key_file = s\n",
	               &cfg, err, sizeof err);
	assert_int_equal(rc, 0);
	assert_string_equal(cfg.sync_ca_file, "/etc/ca.pem");
	assert_string_equal(cfg.sync_pinned_pubkey, "sha256//AAAA;sha256//BBBB");
	assert_int_equal(cfg.sync_interval_s, 5);
	assert_int_equal(cfg.sync_batch_size, 1000);
	assert_int_equal(cfg.sync_connect_timeout_s, 2);
	assert_int_equal(cfg.sync_timeout_s, 3600);
	assert_int_equal(cfg.sync_attempts, 1);
	assert_string_equal(cfg.sync_server_public_key_file, "/etc/convene/server.pub");
	assert_string_equal(cfg.serve_listen, "0.0.0.0:443");
	assert_string_equal(cfg.serve_tokens_file, "/var/lib/convene/tokens");
	assert_string_equal(cfg.serve_public_key_file, "p");
	assert_string_equal(cfg.serve_secret_key_file, "s");
}

static void refused(const char *text, const char *want)
{
	struct cv_config cfg;
	char err[512] = "";
	int rc = parse(text, &cfg, err, sizeof err);
	if (rc != CV_EINVAL || !strstr(err, want))
		fail_msg("'%s': got %d '%s', wanted '%s'", text, rc, err, want);
}

static void test_refusals(void **state)
{
	(void)state;
	refused("[sync]\nbatch_size = 0\n", "k.conf:2: [sync] batch_size: must be a whole number");
	refused("[sync]\nbatch_size = 1001\n", "from 1 to 1000");
	refused("[sync]\ninterval_s = 4\n", "[sync] interval_s");
	refused("[sync]\ntimeout_s = 1s\n", "(got '1s')");
	refused("[sync]\nattempts = -1\n", "[sync] attempts");
	refused("[serve]\nlisten = 8765\n", "[serve] listen: must be HOST:PORT");
	refused("[serve]\nlisten = 127.0.0.1:0\n", "[serve] listen");
	refused("[serve]\nlisten = 127.0.0.1:65536\n", "[serve] listen");
	refused("[serve]\nlisten = a b:80\n", "[serve] listen");
	refused("[serve]\nlisten =\n", "must not be empty");
	refused("[serve]\ntoken_file = x\n", "unknown key");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
