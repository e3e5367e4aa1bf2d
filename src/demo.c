/* The demo: writes a roster of made-up attendees and a tour script into a
 * folder, imports the roster into a fresh store there and runs the kiosk on
 * the script, then prints what was recorded. */
#include "cv_demo.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cv_app.h"
#include "cv_clock.h"
#include "cv_error.h"
#include "cv_fileutil.h"
#include "cv_roster.h"
#include "cv_store.h"

struct demo_person {
	const char *name;
	const char *organization;
	const char *role;
};

/* Names from several languages on purpose: the screens must draw them. */
static const struct demo_person demo_people[] = {
    {"Amara Okafor", "Riverside Health Clinic", "organizer"},
    {"Zoë Ångström", "Climate Commons", "attendee"},
    {"Łukasz Nowak", "Northside School Reform", "attendee"},
    {"Mateo García", "Riverside Health Clinic", "attendee"},
    {"Aiko Tanaka", "Open Futures Network", "attendee"},
    {"Lars Ørsted", "Climate Commons", "attendee"},
    {"Fatima Haddad", "Northside School Reform", "attendee"},
    {"Grace O'Brien", "Open Futures Network", "staff"},
    {"Nguyễn Thu Hà", "Riverside Health Clinic", "attendee"},
    {"Sipho Dlamini", "Climate Commons", "attendee"},
    {"Inés Moreau", "Northside School Reform", "attendee"},
    {"Ravi Iyer", "Open Futures Network", "attendee"},
};
#define DEMO_COUNT (sizeof demo_people / sizeof demo_people[0])

static void demo_uid(size_t i, char out[CV_UID_HEX_MAX])
{
	/* 7-byte UIDs as on NTAG badges, NXP's manufacturer byte first. */
	snprintf(out, CV_UID_HEX_MAX, "04D3%02X%02X7A5C80", (unsigned)(0x10 + i),
	         (unsigned)(0xA0 + i * 3));
}

static int demo_write_roster(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return CV_EIO;
	fprintf(f, "name,organization,role,email,external_id,badge_uid\n");
	for (size_t i = 0; i < DEMO_COUNT; i++) {
		char uid[CV_UID_HEX_MAX];
		demo_uid(i, uid);
		fprintf(f, "\"%s\",\"%s\",%s,person%zu@example.org,demo-%03zu,%s\n",
		        demo_people[i].name, demo_people[i].organization, demo_people[i].role,
		        i + 1, i + 1, uid);
	}
	return fclose(f) == 0 ? 0 : CV_EIO;
}

static int demo_write_script(const char *path)
{
	char u[DEMO_COUNT][CV_UID_HEX_MAX];
	for (size_t i = 0; i < DEMO_COUNT; i++)
		demo_uid(i, u[i]);
	FILE *f = fopen(path, "w");
	if (!f)
		return CV_EIO;
	fprintf(f, "# convene demo tour: arrivals, pairs with answers, an unknown badge\n"
	           "# <delay_ms> tap|present|remove|press|touch ...\n");
	fprintf(f, "800 tap %s\n", u[1]);  /* Zoë arrives */
	fprintf(f, "5500 tap %s\n", u[2]); /* Łukasz arrives alone */
	fprintf(f, "5500 tap %s\n", u[3]); /* Mateo ... */
	fprintf(f, "1500 tap %s\n", u[4]); /* ... and Aiko tap together */
	fprintf(f, "1500 press shared_challenge\n");
	fprintf(f, "3000 tap 04AABBCCDDEE01\n"); /* a badge nobody bound */
	fprintf(f, "3000 tap %s\n", u[5]);       /* Lars ... */
	fprintf(f, "1200 tap %s\n", u[1]);       /* ... and Zoë again */
	fprintf(f, "1500 press work_together\n");
	fprintf(f, "3000 tap 08A1B2C3\n");       /* a phone's random UID */
	fprintf(f, "3000 tap %s\n", u[6]);       /* Fatima and Ravi tapped */
	fprintf(f, "1000 tap %s\n", u[11]);      /* one after the other */
	fprintf(f, "1500 press not_together\n"); /* but they had not met */
	return fclose(f) == 0 ? 0 : CV_EIO;
}

int cv_demo_main(const struct cv_config *base, int argc, char **argv)
{
	static const struct option longs[] = {
	    {"out", required_argument, NULL, 'o'},
	    {"headless", no_argument, NULL, 'H'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = "convene-demo";
	bool headless = false;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", longs, NULL)) != -1) {
		if (c == 'o') {
			dir = optarg;
		} else if (c == 'H') {
			headless = true;
		} else {
			fprintf(stderr,
			        "convene: demo: unknown option '%s'\n"
			        "usage: convene demo [--out DIR] [--headless]\n",
			        argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "convene: demo takes no argument '%s'\n", argv[optind]);
		return 2;
	}
	/* A window only where a display exists; otherwise screenshots. */
	if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY"))
		headless = true;

	struct cv_config cfg = *base;
	char roster[CV_PATH_MAX], shots[CV_PATH_MAX];
	if (cv_file_mkdirs(dir) != 0) {
		fprintf(stderr, "convene: demo: cannot create %s\n", dir);
		return 1;
	}
	snprintf(cfg.store_path, sizeof cfg.store_path, "%s/demo.db", dir);
	snprintf(cfg.reader_script, sizeof cfg.reader_script, "%s/tour.script", dir);
	snprintf(roster, sizeof roster, "%s/roster.csv", dir);
	snprintf(shots, sizeof shots, "%s/screens", dir);
	snprintf(cfg.kiosk_id, sizeof cfg.kiosk_id, "demo-kiosk");
	snprintf(cfg.kiosk_name, sizeof cfg.kiosk_name, "Convene demo");
	cfg.reader_driver = CV_READER_DRIVER_SIM;
	cfg.reader_sim_keys[0] = '\0';
	cfg.mode = CV_MODE_BOTH;
	/* Short enough that the tour's lone arrivals are not taken for pairs. */
	cfg.pair_window_ms = 5000;

	/* A fresh store every time, so the summary describes this tour. */
	const char *suffixes[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char p[CV_PATH_MAX + 8];
		snprintf(p, sizeof p, "%s%s", cfg.store_path, suffixes[i]);
		unlink(p);
	}
	if (demo_write_roster(roster) != 0 || demo_write_script(cfg.reader_script) != 0) {
		fprintf(stderr, "convene: demo: cannot write into %s\n", dir);
		return 1;
	}

	char *text = NULL;
	size_t len = 0;
	char err[512];
	struct cv_roster parsed;
	struct cv_store *store = NULL;
	int rc = cv_file_read_all(roster, 1u << 20, &text, &len);
	if (rc == 0)
		rc = cv_roster_parse(text, len, &parsed, err, sizeof err);
	free(text);
	if (rc != 0) {
		fprintf(stderr, "convene: demo roster: %s\n", err);
		return 1;
	}
	rc = cv_store_open(cfg.store_path, cfg.kiosk_id, &store, err, sizeof err);
	if (rc == 0) {
		struct cv_stamp stamp = cv_clock_stamp();
		struct cv_import_stats stats;
		rc = cv_store_import_roster(store, &parsed, &stamp, &stats, err, sizeof err);
		cv_store_close(store);
	}
	cv_roster_free(&parsed);
	if (rc != 0) {
		fprintf(stderr, "convene: demo: %s\n", err);
		return 1;
	}

	printf("convene demo: %zu people in %s; the tour takes about 45 s%s\n", DEMO_COUNT, dir,
	       headless ? " (headless)" : "");
	fflush(stdout);
	struct cv_run_options run = {
	    .headless = headless,
	    .screenshot_dir = headless ? shots : NULL,
	    .exit_when_done = true,
	};
	rc = cv_app_run(&cfg, &run);
	if (rc != 0)
		return rc;

	struct cv_store_status st;
	char today[11];
	cv_clock_local_date(cv_clock_stamp().wall_ms, today);
	if (cv_store_open(cfg.store_path, cfg.kiosk_id, &store, err, sizeof err) != 0 ||
	    cv_store_status(store, today, &st) != 0) {
		fprintf(stderr, "convene: demo: cannot read the result: %s\n", err);
		cv_store_close(store);
		return 1;
	}
	cv_store_close(store);
	printf("recorded: %lld taps, %lld people checked in, %lld encounters\n", (long long)st.taps,
	       (long long)st.checked_in, (long long)st.encounters);
	printf("store: %s\n", cfg.store_path);
	if (headless)
		printf("screens: %s/\n", shots);
	printf("next: convene --config FILE run   (see README.md and docs/config.md)\n");
	return 0;
}
