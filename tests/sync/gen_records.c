/* Writes records into a kiosk store fast, through the store API (not the
 * UI): a roster of people with badges, then taps that check people in and
 * pair them into encounters with answers. For the sync tests and the
 * benchmark. Exactly RECORDS records are added (taps, check-ins,
 * encounters, answers). Optionally stamps records with a wall clock that is off by
 * --skew-ms and untrusted, in a fixed boot, to test clock fixes. With
 * --consents-every N, every Nth tap of a known person also records a
 * consent (numbered in the consents' own series, so not counted in RECORDS).
 *
 *   gen_records STORE KIOSK_ID RECORDS [--people N] [--skew-ms MS --untrusted]
 *               [--boot BOOT_ID] [--zone ZONE] [--consents-every N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cv_clock.h"
#include "cv_error.h"
#include "cv_roster.h"
#include "cv_store.h"
#include "cv_store_people.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t boottime_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: gen_records STORE KIOSK_ID RECORDS [--people N] "
		                "[--skew-ms MS] [--untrusted] [--boot ID] [--zone ZONE]\n");
		return 2;
	}
	const char *path = argv[1], *kiosk = argv[2];
	long long want = strtoll(argv[3], NULL, 10);
	long people = 200;
	long long skew = 0;
	int trusted = 1;
	const char *boot = NULL, *zone = "hall";
	long consents_every = 0;
	for (int i = 4; i < argc; i++) {
		if (strcmp(argv[i], "--people") == 0 && i + 1 < argc)
			people = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--skew-ms") == 0 && i + 1 < argc)
			skew = strtoll(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--untrusted") == 0)
			trusted = 0;
		else if (strcmp(argv[i], "--boot") == 0 && i + 1 < argc)
			boot = argv[++i];
		else if (strcmp(argv[i], "--zone") == 0 && i + 1 < argc)
			zone = argv[++i];
		else if (strcmp(argv[i], "--consents-every") == 0 && i + 1 < argc)
			consents_every = strtol(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "gen_records: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	cv_clock_init(CV_CLOCK_TRUST_ALWAYS);
	struct cv_store *store;
	char err[512];
	if (cv_store_open(path, kiosk, &store, err, sizeof err) != 0) {
		fprintf(stderr, "gen_records: %s\n", err);
		return 1;
	}
	/* The same roster on every kiosk (people keyed by external id), so the
	 * server merges them into one person each. */
	struct cv_roster roster = {0};
	roster.rows = calloc((size_t)people, sizeof *roster.rows);
	char(*names)[64] = calloc((size_t)people, sizeof *names);
	char(*emails)[64] = calloc((size_t)people, sizeof *emails);
	char(*ids)[24] = calloc((size_t)people, sizeof *ids);
	if (!roster.rows || !names || !emails || !ids)
		return 1;
	for (long i = 0; i < people; i++) {
		struct cv_roster_row *r = &roster.rows[i];
		snprintf(names[i], sizeof names[i], "Person %ld", i);
		snprintf(emails[i], sizeof emails[i], "p%ld@example.org", i);
		snprintf(ids[i], sizeof ids[i], "P%05ld", i);
		r->name = names[i];
		r->organization = (char *)"Org";
		r->email = emails[i];
		r->external_id = ids[i];
		snprintf(r->badge_uid, sizeof r->badge_uid, "04%06lX", (unsigned long)i + 1);
		r->line = (size_t)i + 2;
	}
	roster.count = (size_t)people;
	struct cv_stamp stamp = cv_clock_stamp();
	struct cv_import_stats stats;
	if (cv_store_import_roster(store, &roster, &stamp, &stats, err, sizeof err) != 0) {
		fprintf(stderr, "gen_records: %s\n", err);
		return 1;
	}
	free(roster.rows);
	if (boot)
		snprintf(stamp.boot_id, sizeof stamp.boot_id, "%s", boot);
	struct cv_store_status st;
	if (cv_store_status(store, "2000-01-01", &st) != 0)
		return 1;
	int64_t target = st.last_seq + want, last = st.last_seq;
	int64_t mono0 = boottime_ms();
	unsigned seed = (unsigned)now_ms();
	struct cv_tap_result prev = {0};
	for (long t = 0; last < target; t++) {
		char uid[CV_UID_HEX_MAX];
		long who = (long)(rand_r(&seed) % (unsigned)(people + people / 10 + 1));
		/* The last record must not be a tap that checks someone in (two
		 * records): an unknown badge is one. */
		if (who < people && target - last > 1)
			snprintf(uid, sizeof uid, "04%06lX", (unsigned long)who + 1);
		else
			snprintf(uid, sizeof uid, "08%06lX", (unsigned long)who); /* unknown */
		stamp.mono_ms = mono0 + t;
		stamp.wall_ms = now_ms() + skew;
		stamp.wall_trusted = trusted != 0;
		struct cv_tap_result res;
		int rc = cv_store_record_tap(store, uid, NULL, zone, &stamp, &res);
		if (rc != 0) {
			fprintf(stderr, "gen_records: tap: %s\n", cv_strerror(rc));
			return 1;
		}
		last = res.tap_seq + (res.checked_in_now ? 1 : 0);
		if (consents_every > 0 && res.known && t % consents_every == 0) {
			int64_t cseq;
			rc = cv_store_record_consent(store, res.person.id,
			                             t % 3 ? CV_CONSENT_ENCOUNTERS
			                                   : CV_CONSENT_ATTENDANCE,
			                             t % 2 == 0, res.tap_seq, &stamp, &cseq);
			if (rc != 0) {
				fprintf(stderr, "gen_records: consent: %s\n", cv_strerror(rc));
				return 1;
			}
		}
		if (last > target) {
			fprintf(stderr, "gen_records: overshot\n");
			return 1;
		}
		/* Every other known pair becomes an encounter, some answered later. */
		if (t % 2 == 1 && prev.known && res.known && prev.person.id != res.person.id &&
		    last + 1 < target) {
			int64_t seq;
			bool later = t % 4 == 1 && last + 2 < target;
			rc = cv_store_record_encounter(store, prev.person.id, res.person.id,
			                               prev.tap_seq, res.tap_seq,
			                               later ? NULL : "worked", zone, &stamp, &seq);
			if (rc == 0 && later)
				rc = cv_store_record_answer(store, res.tap_seq, "talked", &stamp);
			if (rc != 0) {
				fprintf(stderr, "gen_records: encounter: %s\n", cv_strerror(rc));
				return 1;
			}
			last += later ? 2 : 1;
		}
		prev = res;
	}
	cv_store_close(store);
	free(names);
	free(emails);
	free(ids);
	return 0;
}
