/* convene: the command line. Parses the global options and the subcommand,
 * loads the config, and hands over to the module that does the work. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cv_app.h"
#include "cv_board.h"
#include "cv_clock.h"
#include "cv_config.h"
#include "cv_error.h"
#include "cv_export.h"
#include "cv_export_graph.h"
#include "cv_fileutil.h"
#include "cv_log.h"
#include "cv_pin.h"
#include "cv_reader_check.h"
#include "cv_roster.h"
#include "cv_roster_formats.h"
#include "cv_store.h"
#include "cv_store_sync.h"
#include "cv_store_network.h"
#include "cv_sync_cmd.h"
#include "cv_demo.h"

#define CV_LOG_TAG "main"

#define CONFIG_MAX_BYTES (1u << 20)
#define ROSTER_MAX_BYTES (64u << 20)

static const char usage_text[] =
    "usage: convene [--config FILE] [--board NAME] [--verbose] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  run [--headless] [--screenshots DIR] [--exit-when-done]\n"
    "                           run the kiosk\n"
    "  demo [--out DIR] [--headless]\n"
    "                           make a demo roster and play a scripted tour\n"
    "  import-roster [--map COLUMN=FIELD]... FILE.csv\n"
    "                           add or update people and badges from a roster\n"
    "                           (ours, pretix's or Eventbrite's export)\n"
    "  import-network FILE.csv  add the ties of an earlier convening\n"
    "  export --format csv|gexf|graphml|kumu|contacts --out PATH [--pseudonymize]\n"
    "                           write people, check-ins and encounters (csv: a folder)\n"
    "                           or the network (one file)\n"
    "  status [--json]          counts of what the store holds\n"
    "  sync [--retry-quarantined]\n"
    "                           upload what the server does not hold yet\n"
    "  serve [--listen HOST:PORT] [--import BUNDLE]\n"
    "                           receive uploads from kiosks, or import a bundle\n"
    "  add-kiosk [--hub] KIOSK_ID\n"
    "                           (server) print a new upload token for a kiosk (or a hub)\n"
    "  export --format bundle --out FILE\n"
    "                           everything not yet uploaded, to carry by hand\n"
    "  hash-pin                 read an organiser PIN from stdin, print its config line\n"
    "  reader-check [--wait SECONDS]\n"
    "                           test the NFC reader: devices, firmware, one badge\n"
    "\n"
    "options:\n"
    "  --config FILE   the INI config (default: $CONVENE_CONFIG, else built-in defaults)\n"
    "  --board NAME    a board profile under the config (board/NAME.ini)\n"
    "  --verbose       log debug messages\n"
    "  --help          this text\n"
    "  --version       the program's version\n";

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "convene: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n%s", usage_text);
	return 2;
}

/* Defaults, then the board profile (--board, else the config's [kiosk]
 * board), then the config file: the file's own keys win. */
static int load_config(const char *path, const char *board, struct cv_config *cfg)
{
	char *text = NULL;
	size_t len = 0;
	if (path && *path) {
		int rc = cv_file_read_all(path, CONFIG_MAX_BYTES, &text, &len);
		if (rc != 0) {
			fprintf(stderr, "convene: cannot read config %s: %s\n", path,
			        cv_strerror(rc));
			return 2;
		}
	}
	char err[512];
	int rc = cv_board_configure(board, text, path, cfg, err, sizeof err);
	free(text);
	if (rc != 0) {
		fprintf(stderr, "convene: %s\n", err);
		return 2;
	}
	return 0;
}

/* Parses a subcommand's options with getopt_long; argv[0] is the command. */
#define CMD_MAPS_MAX 64

struct cmd_opts {
	bool headless, exit_when_done, json, pseudonymize;
	const char *screenshots, *format, *out, *wait;
	char *maps[CMD_MAPS_MAX]; /* --map COLUMN=FIELD, in order */
	int map_count;
	int positional; /* index of the first positional argument */
};

static int parse_cmd_opts(int argc, char **argv, const char *allowed, struct cmd_opts *o)
{
	static const struct option longs[] = {
	    {"headless", no_argument, NULL, 'H'},
	    {"exit-when-done", no_argument, NULL, 'E'},
	    {"json", no_argument, NULL, 'J'},
	    {"screenshots", required_argument, NULL, 'S'},
	    {"format", required_argument, NULL, 'F'},
	    {"out", required_argument, NULL, 'O'},
	    {"wait", required_argument, NULL, 'W'},
	    {"pseudonymize", no_argument, NULL, 'P'},
	    {"pseudonymise", no_argument, NULL, 'P'},
	    {"map", required_argument, NULL, 'M'},
	    {NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof *o);
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+", longs, NULL)) != -1) {
		if (c == '?' || !strchr(allowed, c)) {
			const char *bad = argv[optind - 1];
			if (c == '?' && optopt)
				return usage_error("option '%s' needs a value", bad);
			return usage_error("unknown option '%s'", bad);
		}
		switch (c) {
		case 'H': o->headless = true; break;
		case 'E': o->exit_when_done = true; break;
		case 'J': o->json = true; break;
		case 'S': o->screenshots = optarg; break;
		case 'F': o->format = optarg; break;
		case 'O': o->out = optarg; break;
		case 'W': o->wait = optarg; break;
		case 'P': o->pseudonymize = true; break;
		case 'M':
			if (o->map_count == CMD_MAPS_MAX)
				return usage_error("more than %d --map options", CMD_MAPS_MAX);
			o->maps[o->map_count++] = optarg;
			break;
		}
	}
	o->positional = optind;
	return 0;
}

static int open_store(const struct cv_config *cfg, struct cv_store **store)
{
	char err[512];
	int rc = cv_store_open(cfg->store_path, cfg->kiosk_id, store, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "convene: %s\n", err);
		return 1;
	}
	return 0;
}

static int cmd_run(const struct cv_config *cfg, int argc, char **argv)
{
	struct cmd_opts o;
	int rc = parse_cmd_opts(argc, argv, "HES", &o);
	if (rc != 0)
		return rc;
	if (o.positional < argc)
		return usage_error("run takes no argument '%s'", argv[o.positional]);
	struct cv_run_options run = {
	    .headless = o.headless,
	    .screenshot_dir = o.screenshots,
	    .exit_when_done = o.exit_when_done,
	};
	return cv_app_run(cfg, &run);
}

static int cmd_import_roster(const struct cv_config *cfg, int argc, char **argv)
{
	struct cmd_opts o;
	int rc = parse_cmd_opts(argc, argv, "M", &o);
	if (rc != 0)
		return rc;
	if (argc - o.positional != 1)
		return usage_error("%s", "import-roster needs exactly one CSV file");
	struct cv_roster_map_entry entries[CMD_MAPS_MAX];
	char err[512];
	for (int i = 0; i < o.map_count; i++)
		if (cv_roster_map_parse(o.maps[i], &entries[i], err, sizeof err) != 0)
			return usage_error("%s", err);
	struct cv_roster_mapping map = {entries, (size_t)o.map_count};
	const char *path = argv[o.positional];
	char *text = NULL;
	size_t len = 0;
	rc = cv_file_read_all(path, ROSTER_MAX_BYTES, &text, &len);
	if (rc != 0) {
		fprintf(stderr, "convene: cannot read %s: %s\n", path, cv_strerror(rc));
		return 1;
	}
	struct cv_roster roster;
	enum cv_roster_source source;
	rc = cv_roster_parse_mapped(text, len, &map, &roster, &source, err, sizeof err);
	free(text);
	if (rc != 0) {
		fprintf(stderr, "convene: %s: %s; nothing was imported\n", path, err);
		return 1;
	}
	if (source != CV_ROSTER_SOURCE_PLAIN)
		printf("%s: read as %s\n", path, cv_roster_source_name(source));
	for (size_t i = 0; i < roster.warning_count; i++)
		fprintf(stderr, "convene: %s: warning: %s\n", path, roster.warnings[i]);

	struct cv_store *store;
	if (open_store(cfg, &store) != 0) {
		cv_roster_free(&roster);
		return 1;
	}
	struct cv_stamp stamp = cv_clock_stamp();
	struct cv_import_stats stats;
	rc = cv_store_import_roster(store, &roster, &stamp, &stats, err, sizeof err);
	cv_store_close(store);
	size_t count = roster.count;
	cv_roster_free(&roster);
	if (rc != 0) {
		fprintf(stderr, "convene: %s: %s; nothing was imported\n", path, err);
		return 1;
	}
	printf("%s: %zu people: %lld added, %lld updated, %lld unchanged; %lld badges bound\n",
	       path, count, (long long)stats.added, (long long)stats.updated,
	       (long long)stats.unchanged, (long long)stats.badges_bound);
	return 0;
}

static int cmd_status(const struct cv_config *cfg, int argc, char **argv)
{
	struct cmd_opts o;
	int rc = parse_cmd_opts(argc, argv, "J", &o);
	if (rc != 0)
		return rc;
	if (o.positional < argc)
		return usage_error("status takes no argument '%s'", argv[o.positional]);
	struct cv_store *store;
	if (open_store(cfg, &store) != 0)
		return 1;
	struct cv_stamp now = cv_clock_stamp();
	char today[11];
	cv_clock_local_date(now.wall_ms, today);
	struct cv_store_status st;
	rc = cv_store_status(store, today, &st);
	cv_store_close(store);
	if (rc != 0) {
		fprintf(stderr, "convene: cannot read the store's status: %s\n", cv_strerror(rc));
		return 1;
	}
	if (!o.json) {
		printf("kiosk %s, store %s (schema %d)\n", st.kiosk_id, cfg->store_path,
		       st.schema_version);
		printf("people %lld, badges %lld\n", (long long)st.people, (long long)st.badges);
		printf("checked in today (%s) %lld; check-ins %lld; encounters %lld; taps %lld\n",
		       today, (long long)st.checked_in, (long long)st.checkins,
		       (long long)st.encounters, (long long)st.taps);
		printf("pending upload %lld\n", (long long)st.pending_upload);
		if (open_store(cfg, &store) == 0) {
			cv_sync_cmd_status_text(store, stdout);
			cv_store_close(store);
		}
		return 0;
	}
	json_t *obj =
	    json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s}", "kiosk_id",
	              st.kiosk_id, "schema_version", st.schema_version, "people",
	              (json_int_t)st.people, "badges", (json_int_t)st.badges, "checked_in",
	              (json_int_t)st.checked_in, "checkins", (json_int_t)st.checkins, "encounters",
	              (json_int_t)st.encounters, "taps", (json_int_t)st.taps, "pending_upload",
	              (json_int_t)st.pending_upload, "today", today, "store", cfg->store_path);
	if (!obj) {
		fprintf(stderr, "convene: cannot build the status JSON\n");
		return 1;
	}
	if (open_store(cfg, &store) == 0) {
		json_object_set_new(obj, "sync", cv_sync_cmd_status_json(store));
		cv_store_close(store);
	}
	char *text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (!text)
		return 1;
	printf("%s\n", text);
	free(text);
	return 0;
}

static int cmd_export(const struct cv_config *cfg, int argc, char **argv)
{
	struct cmd_opts o;
	int rc = parse_cmd_opts(argc, argv, "FOP", &o);
	if (rc != 0)
		return rc;
	if (o.positional < argc)
		return usage_error("export takes no argument '%s'", argv[o.positional]);
	if (!o.format || !o.out)
		return usage_error("%s", "export needs --format FORMAT and --out PATH");
	if (strcmp(o.format, "bundle") == 0)
		return cv_sync_cmd_export_bundle(cfg, o.out);
	enum cv_export_format format;
	if (cv_export_format_parse(o.format, &format) != 0)
		return usage_error("export format '%s' is not csv, gexf, graphml, kumu or contacts",
		                   o.format);
	struct cv_store *store;
	if (open_store(cfg, &store) != 0)
		return 1;
	char err[512];
	struct cv_export_options opts = {.pseudonymize = o.pseudonymize};
	if (format == CV_EXPORT_CSV)
		rc = cv_export_csv_with(store, o.out, &opts, err, sizeof err);
	else
		rc = cv_export_graph(store, format, o.out, &opts, err, sizeof err);
	cv_store_close(store);
	if (rc != 0) {
		fprintf(stderr, "convene: export failed: %s\n", err);
		return 1;
	}
	if (format == CV_EXPORT_CSV)
		printf("wrote people.csv, checkins.csv and encounters.csv to %s%s\n", o.out,
		       o.pseudonymize ? " (pseudonymised)" : "");
	else
		printf("wrote %s%s\n", o.out, o.pseudonymize ? " (pseudonymised)" : "");
	return 0;
}

static int cmd_import_network(const struct cv_config *cfg, int argc, char **argv)
{
	struct cmd_opts o;
	int rc = parse_cmd_opts(argc, argv, "", &o);
	if (rc != 0)
		return rc;
	if (argc - o.positional != 1)
		return usage_error("%s", "import-network needs exactly one CSV file");
	const char *path = argv[o.positional];
	char *text = NULL;
	size_t len = 0;
	rc = cv_file_read_all(path, ROSTER_MAX_BYTES, &text, &len);
	if (rc != 0) {
		fprintf(stderr, "convene: cannot read %s: %s\n", path, cv_strerror(rc));
		return 1;
	}
	struct cv_network net;
	char err[512];
	rc = cv_network_parse(text, len, &net, err, sizeof err);
	free(text);
	if (rc != 0) {
		fprintf(stderr, "convene: %s: %s; nothing was imported\n", path, err);
		return 1;
	}
	struct cv_store *store;
	if (open_store(cfg, &store) != 0) {
		cv_network_free(&net);
		return 1;
	}
	/* The file's name is the source: importing it again replaces it. */
	const char *slash = strrchr(path, '/');
	const char *source = slash ? slash + 1 : path;
	struct cv_stamp stamp = cv_clock_stamp();
	struct cv_network_import_stats stats;
	rc = cv_store_network_import(store, source, &net, &stamp, &stats, err, sizeof err);
	cv_store_close(store);
	size_t rows = net.rows, self = net.self;
	cv_network_free(&net);
	if (rc != 0) {
		fprintf(stderr, "convene: %s: %s; nothing was imported\n", path, err);
		return 1;
	}
	printf("%s: %zu rows, %lld pairs (%lld of them between people in this store)%s\n", path,
	       rows, (long long)stats.pairs, (long long)stats.matched,
	       stats.replaced ? "; replaced the earlier import of this file" : "");
	if (self)
		printf("%s: %zu rows named the same person twice and were skipped\n", path, self);
	return 0;
}

static int cmd_reader_check(const struct cv_config *cfg, int argc, char **argv)
{
	struct cmd_opts o;
	int rc = parse_cmd_opts(argc, argv, "W", &o);
	if (rc != 0)
		return rc;
	if (o.positional < argc)
		return usage_error("reader-check takes no argument '%s'", argv[o.positional]);
	int wait_s = 30;
	if (o.wait) {
		char *end;
		long v = strtol(o.wait, &end, 10);
		if (*end || v < 1 || v > 3600)
			return usage_error("--wait needs whole seconds from 1 to 3600, got '%s'",
			                   o.wait);
		wait_s = (int)v;
	}
	if (cfg->reader_driver != CV_READER_DRIVER_NFC)
		fprintf(stderr, "convene: note: [reader] driver is 'sim'; checking the nfc reader "
		                "anyway\n");
	int result = cv_reader_check(cfg, wait_s * 1000);
	if (result != 0 && cfg->board[0]) {
		char notes[2048];
		if (cv_board_notes(cfg->board, notes, sizeof notes) == 0 && notes[0])
			printf("Likely faults with board profile %s:\n%s", cfg->board, notes);
	}
	return result;
}

/* Reads one line (the PIN) from stdin and prints the config line with its
 * salted hash. The PIN is neither echoed nor logged, and is wiped after. */
static int cmd_hash_pin(int argc)
{
	char line[64], hash[CV_ORGANIZER_HASH_MAX];
	int rc;

	if (argc > 1)
		return usage_error("%s", "hash-pin takes no argument: it reads the PIN from stdin");
	if (!fgets(line, sizeof line, stdin)) {
		fprintf(stderr, "convene: hash-pin: no PIN on stdin\n");
		return 2;
	}
	line[strcspn(line, "\r\n")] = '\0';
	rc = cv_pin_hash(line, hash, sizeof hash);
	explicit_bzero(line, sizeof line);
	if (rc == CV_EINVAL) {
		fprintf(stderr, "convene: hash-pin: a PIN is 4 to 12 digits\n");
		return 2;
	}
	if (rc != 0) {
		fprintf(stderr, "convene: hash-pin: %s\n", cv_strerror(rc));
		return 1;
	}
	printf("[organizer]\npin_hash = %s\n", hash);
	return 0;
}

/* Someone who knows the right time tells the kiosk: the untrusted records of
 * this boot are corrected from it (once per boot, originals kept), exactly
 * as when a sync learns the server's clock. The system clock is left alone. */
static int cmd_set_time(const struct cv_config *cfg, int argc, char **argv)
{
	struct cmd_opts o;
	int rc = parse_cmd_opts(argc, argv, "", &o);
	if (rc != 0)
		return rc;
	if (argc - o.positional != 1)
		return usage_error("%s", "set-time needs the time, as 2026-12-02T10:15:00Z (UTC)");
	const char *text = argv[o.positional];
	struct tm tm = {0};
	const char *end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end) {
		fprintf(stderr,
		        "convene: set-time: '%s' is not a UTC time like "
		        "2026-12-02T10:15:00Z\n",
		        text);
		return 2;
	}
	int64_t trusted_ms = (int64_t)timegm(&tm) * 1000;
	struct cv_store *store;
	if (open_store(cfg, &store) != 0)
		return 1;
	struct cv_stamp now = cv_clock_stamp();
	bool recorded = false;
	rc = cv_store_sync_fix_clock(store, &now, trusted_ms, "organizer", &recorded);
	cv_store_close(store);
	if (rc != 0) {
		fprintf(stderr, "convene: set-time: %s\n", cv_strerror(rc));
		return 1;
	}
	if (recorded)
		printf(
		    "the clock was off by %+.1f s; this boot's untrusted records are corrected\n",
		    (double)(trusted_ms - now.wall_ms) / 1000.0);
	else
		printf("nothing to correct: this boot has no untrusted record or was corrected "
		       "already\n");
	return 0;
}

static int cmd_not_built(const char *name)
{
	fprintf(stderr, "convene: '%s' is not built yet\n", name);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longs[] = {
	    {"config", required_argument, NULL, 'c'}, {"board", required_argument, NULL, 'b'},
	    {"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
	};
	const char *config_path = getenv("CONVENE_CONFIG");
	const char *board = NULL;
	int c;

	opterr = 0;
	/* "+": stop at the subcommand; its own options follow it. */
	while ((c = getopt_long(argc, argv, "+", longs, NULL)) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case 'b': board = optarg; break;
		case 'v': cv_log_set_level(CV_LOG_DEBUG); break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': printf("convene %s\n", CONVENE_VERSION); return 0;
		default:
			if (optopt)
				return usage_error("option '%s' needs a value", argv[optind - 1]);
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("%s", "no command given");
	const char *cmd = argv[optind];
	int sub_argc = argc - optind;
	char **sub_argv = argv + optind;

	static const char *const commands[] = {
	    "run",   "demo",         "import-roster",  "export",    "status",  "sync",
	    "serve", "reader-check", "import-network", "add-kiosk", "set-time"};
	bool known = false;
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		known = known || strcmp(cmd, commands[i]) == 0;
	if (strcmp(cmd, "hash-pin") == 0)
		return cmd_hash_pin(sub_argc);
	if (!known)
		return usage_error("unknown command '%s'", cmd);

	struct cv_config cfg;
	int rc = load_config(config_path, board, &cfg);
	if (rc != 0)
		return rc;
	if (cv_clock_init(cfg.clock_trust) != 0)
		cv_log_warn("cannot read the boot id; records carry 'unknown'");

	if (strcmp(cmd, "run") == 0)
		return cmd_run(&cfg, sub_argc, sub_argv);
	if (strcmp(cmd, "demo") == 0)
		return cv_demo_main(&cfg, sub_argc, sub_argv);
	if (strcmp(cmd, "import-roster") == 0)
		return cmd_import_roster(&cfg, sub_argc, sub_argv);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(&cfg, sub_argc, sub_argv);
	if (strcmp(cmd, "import-network") == 0)
		return cmd_import_network(&cfg, sub_argc, sub_argv);
	if (strcmp(cmd, "export") == 0)
		return cmd_export(&cfg, sub_argc, sub_argv);
	if (strcmp(cmd, "reader-check") == 0)
		return cmd_reader_check(&cfg, sub_argc, sub_argv);
	if (strcmp(cmd, "sync") == 0)
		return cv_sync_cmd_sync(&cfg, sub_argc, sub_argv);
	if (strcmp(cmd, "serve") == 0)
		return cv_sync_cmd_serve(&cfg, sub_argc, sub_argv);
	if (strcmp(cmd, "add-kiosk") == 0)
		return cv_sync_cmd_add_kiosk(&cfg, sub_argc, sub_argv);
	if (strcmp(cmd, "set-time") == 0)
		return cmd_set_time(&cfg, sub_argc, sub_argv);
	return cmd_not_built(cmd);
}
