/* The sync subcommands: option parsing and output for `convene sync`,
 * `serve`, `add-kiosk`, `export --format bundle` and the sync part of
 * `status`. The work is done by sync_client.c, serve.c, bundle.c and
 * store_sync.c. */
#include "cv_sync_cmd.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cv_bundle.h"
#include "cv_clock.h"
#include "cv_error.h"
#include "cv_log.h"
#include "cv_serve.h"
#include "cv_store_sync.h"
#include "cv_sync_client.h"

#define CV_LOG_TAG "sync"

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "convene: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see convene --help)\n");
	return 2;
}

static bool valid_kiosk_id(const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n >= CV_ID_MAX)
		return false;
	for (const char *p = v; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return false;
	return true;
}

int cv_sync_cmd_sync(const struct cv_config *cfg, int argc, char **argv)
{
	static const struct option longs[] = {
	    {"retry-quarantined", no_argument, NULL, 'R'},
	    {NULL, 0, NULL, 0},
	};
	bool retry = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", longs, NULL)) != -1) {
		if (c != 'R')
			return usage("unknown option '%s' for sync", argv[optind - 1]);
		retry = true;
	}
	if (optind < argc)
		return usage("sync takes no argument '%s'", argv[optind]);
	if (!cfg->sync_url[0]) {
		fprintf(stderr, "convene: sync: [sync] url is not set in the config\n");
		return 1;
	}
	char token[CV_SYNC_TOKEN_MAX], err[512];
	if (cv_sync_read_token(cfg->sync_token_file, token, sizeof token, err, sizeof err) != 0) {
		fprintf(stderr, "convene: sync: %s\n", err);
		return 1;
	}
	struct cv_store *store;
	if (cv_store_open(cfg->store_path, cfg->kiosk_id, &store, err, sizeof err) != 0) {
		fprintf(stderr, "convene: %s\n", err);
		return 1;
	}
	if (retry) {
		int64_t n = 0;
		if (cv_store_sync_retry(store, &n) == 0 && n > 0)
			printf("retrying %lld quarantined record(s)\n", (long long)n);
	}
	if (cv_sync_global_init() != 0) {
		cv_store_close(store);
		fprintf(stderr, "convene: sync: cannot start the HTTP client\n");
		return 1;
	}
	struct cv_sync_options opt = {.cfg = cfg, .token = token};
	struct cv_sync_result res;
	int rc = cv_sync_run(store, &opt, &res);
	memset(token, 0, sizeof token);
	cv_store_close(store);
	cv_sync_global_cleanup();
	if (rc != 0) {
		fprintf(stderr, "convene: sync: %s\n", cv_strerror(rc));
		return 1;
	}
	printf("sent %lld records in %lld batches, %lld requests, %lld bytes up, %lld bytes "
	       "down; %lld pending\n",
	       (long long)res.records_sent, (long long)res.batches, (long long)res.requests,
	       (long long)res.bytes_up, (long long)res.bytes_down, (long long)res.pending);
	if (res.clock_fixed)
		printf("the kiosk clock was off: its untrusted times are corrected from the "
		       "server's\n");
	if (res.outcome != CV_SYNC_DONE) {
		fprintf(stderr, "convene: sync: %s\n", res.reason);
		return 1;
	}
	return 0;
}

static atomic_bool serve_stop;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&serve_stop, true);
}

int cv_sync_cmd_serve(const struct cv_config *cfg, int argc, char **argv)
{
	static const struct option longs[] = {
	    {"listen", required_argument, NULL, 'L'},
	    {"import", required_argument, NULL, 'I'},
	    {NULL, 0, NULL, 0},
	};
	const char *listen = NULL, *import = NULL;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", longs, NULL)) != -1) {
		if (c == 'L')
			listen = optarg;
		else if (c == 'I')
			import = optarg;
		else
			return usage("unknown option or missing value '%s' for serve",
			             argv[optind - 1]);
	}
	if (optind < argc)
		return usage("serve takes no argument '%s'", argv[optind]);
	char err[512];
	if (cfg->serve_public_key_file[0] || cfg->serve_secret_key_file[0]) {
		bool created = false;
		if (cv_bundle_ensure_keys(cfg, &created, err, sizeof err) != 0) {
			fprintf(stderr, "convene: serve: %s\n", err);
			return 1;
		}
		if (created)
			cv_log_info("created the server's key pair; kiosks seal bundles with %s",
			            cfg->serve_public_key_file);
	}
	if (import) {
		struct cv_store *store;
		if (cv_store_open(cfg->store_path, cfg->kiosk_id, &store, err, sizeof err) != 0) {
			fprintf(stderr, "convene: %s\n", err);
			return 1;
		}
		struct cv_bundle_stats st;
		int rc = cv_bundle_import(store, cfg, import, &st, err, sizeof err);
		cv_store_close(store);
		if (rc != 0) {
			fprintf(stderr, "convene: serve --import: %s\n", err);
			return 1;
		}
		printf("%s: %s bundle, %lld batches, %lld records: %lld stored, %lld held already, "
		       "%lld batches refused\n",
		       import, st.sealed ? "sealed" : "plain", (long long)st.batches,
		       (long long)st.records, (long long)st.stored, (long long)st.duplicates,
		       (long long)st.refused);
		return st.refused > 0 ? 1 : 0;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	atomic_store(&serve_stop, false);
	/* A hub ([sync] url set) forwards upstream with the HTTP client. */
	bool client = cfg->sync_url[0] && cv_sync_global_init() == 0;
	int rc = cv_serve_run(cfg, listen, &serve_stop, err, sizeof err);
	if (client)
		cv_sync_global_cleanup();
	if (rc != 0) {
		fprintf(stderr, "convene: serve: %s\n", err);
		return 1;
	}
	return 0;
}

int cv_sync_cmd_add_kiosk(const struct cv_config *cfg, int argc, char **argv)
{
	/* --hub: the token of a hub, which may forward its kiosks' records. */
	bool hub = argc == 3 && strcmp(argv[1], "--hub") == 0;
	if (hub) {
		argv++;
		argc--;
	}
	if (argc != 2)
		return usage("%s", "add-kiosk needs exactly one KIOSK_ID (add-kiosk [--hub] ID)");
	if (!valid_kiosk_id(argv[1]))
		return usage("a kiosk id is 1 to 63 of A-Z a-z 0-9 . _ - (got '%s')", argv[1]);
	char token[CV_SERVE_TOKEN_LEN + 1], err[512];
	if (cv_serve_add_token(cfg, argv[1], hub, token, sizeof token, err, sizeof err) != 0) {
		fprintf(stderr, "convene: add-kiosk: %s\n", err);
		return 1;
	}
	/* The token is shown once, here, and kept nowhere: stdout only. */
	printf("%s\n", token);
	fflush(stdout);
	memset(token, 0, sizeof token);
	fprintf(stderr,
	        "convene: %s %s added; put the token above in its [sync] token_file "
	        "(chmod 600)\n",
	        hub ? "hub" : "kiosk", argv[1]);
	return 0;
}

int cv_sync_cmd_export_bundle(const struct cv_config *cfg, const char *out)
{
	char err[512];
	struct cv_store *store;
	if (cv_store_open(cfg->store_path, cfg->kiosk_id, &store, err, sizeof err) != 0) {
		fprintf(stderr, "convene: %s\n", err);
		return 1;
	}
	struct cv_bundle_stats st;
	int rc = cv_bundle_export(store, cfg, out, &st, err, sizeof err);
	cv_store_close(store);
	if (rc != 0) {
		fprintf(stderr, "convene: export failed: %s\n", err);
		return 1;
	}
	printf("wrote %s: %s bundle of %lld records in %lld batches (%zu bytes)\n", out,
	       st.sealed ? "a sealed" : "an unsealed", (long long)st.records, (long long)st.batches,
	       st.bytes);
	return 0;
}

struct held_walk {
	FILE *f;
	json_t *arr;
	struct cv_store *store;
};

static int print_quarantined(int64_t seq, const char *reason, bool retry, void *ctx)
{
	struct held_walk *w = ctx;
	char shown[CV_SYNC_REASON_MAX];
	cv_log_escape(reason ? reason : "", shown, sizeof shown);
	if (w->f)
		fprintf(w->f, "  quarantined seq %lld%s: %s\n", (long long)seq,
		        retry ? " (retry next sync)" : "", shown);
	if (w->arr)
		json_array_append_new(w->arr,
		                      json_pack("{s:I, s:s, s:b}", "seq", (json_int_t)seq, "reason",
		                                reason ? reason : "", "retry", retry));
	return 0;
}

static int print_held(const char *kiosk_id, int64_t held, void *ctx)
{
	struct held_walk *w = ctx;
	/* On a hub: how far the upstream server acknowledged this kiosk. */
	int64_t upstream = 0;
	if (w->store)
		cv_store_sync_acked_for(w->store, kiosk_id, &upstream);
	if (w->f)
		fprintf(w->f, "sync: holds kiosk %s up to sequence %lld, forwarded up to %lld\n",
		        kiosk_id, (long long)held, (long long)upstream);
	if (w->arr)
		json_array_append_new(w->arr, json_pack("{s:s, s:I, s:I}", "kiosk_id", kiosk_id,
		                                        "held_seq", (json_int_t)held,
		                                        "forwarded_seq", (json_int_t)upstream));
	return 0;
}

void cv_sync_cmd_status_text(struct cv_store *store, FILE *f)
{
	struct cv_sync_counts c;
	if (cv_store_sync_counts(store, &c) != 0)
		return;
	fprintf(f, "sync: pending %lld, quarantined %lld, acknowledged up to %lld of %lld\n",
	        (long long)c.pending, (long long)c.quarantined, (long long)c.acked_seq,
	        (long long)c.last_seq);
	if (c.last_result[0]) {
		char shown[CV_SYNC_REASON_MAX];
		fprintf(f, "sync: last result: %s\n",
		        cv_log_escape(c.last_result, shown, sizeof shown));
	}
	if (c.quarantined > 0) {
		struct held_walk w = {.f = f};
		cv_store_sync_foreach_quarantined(store, print_quarantined, &w);
		fprintf(f, "  (convene sync --retry-quarantined sends them again)\n");
	}
	struct held_walk held = {.f = f, .store = store};
	cv_store_sync_foreach_held(store, print_held, &held);
}

json_t *cv_sync_cmd_status_json(struct cv_store *store)
{
	struct cv_sync_counts c;
	if (cv_store_sync_counts(store, &c) != 0)
		return NULL;
	json_t *q = json_array();
	struct held_walk w = {.arr = q};
	if (q)
		cv_store_sync_foreach_quarantined(store, print_quarantined, &w);
	json_t *kiosks = json_array();
	struct held_walk hw = {.arr = kiosks, .store = store};
	if (kiosks)
		cv_store_sync_foreach_held(store, print_held, &hw);
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:s, s:o*, s:o*}", "pending",
	                 (json_int_t)c.pending, "quarantined", (json_int_t)c.quarantined,
	                 "acked_seq", (json_int_t)c.acked_seq, "last_seq", (json_int_t)c.last_seq,
	                 "clock_fixes", (json_int_t)c.clock_fixes, "last_result", c.last_result,
	                 "quarantine", q, "held", kiosks);
}
