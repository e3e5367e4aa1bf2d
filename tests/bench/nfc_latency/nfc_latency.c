/* Tap detection latency against the emulated PN532: from the emulator's
 * "present" timestamp (CLOCK_MONOTONIC, in its log) to the moment the
 * kiosk's nfc backend returns PRESENT, over N taps at random phases; then
 * the same for libnfc's own nfc-poll (one run per tap, its stdout line
 * buffered through stdbuf) against the same emulator. Prints p50/p99 of
 * both and their ratio.
 *
 * usage: nfc_latency EMULATOR [TAPS]   (exit 0 when it ran, 77 to skip) */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cv_clock.h"
#include "cv_config.h"
#include "cv_log.h"
#include "cv_reader.h"

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(double ms)
{
	struct timespec ts = {(time_t)(ms / 1000),
	                      (long)((ms - (double)(time_t)(ms / 1000) * 1000) * 1e6)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

static char dir[256], link_path[300], log_path[300];
static int ctl = -1;
static pid_t emu_pid;
static long log_off;

static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	line[n++] = '\n';
	if (write(ctl, line, (size_t)n) != n)
		exit(1);
}

/* The timestamp of the newest "present" line the emulator logged. */
static double last_present_ms(void)
{
	double at = -1;
	for (int tries = 0; tries < 200 && at < 0; tries++) {
		FILE *f = fopen(log_path, "r");
		if (f) {
			fseek(f, log_off, SEEK_SET);
			char line[512];
			while (fgets(line, sizeof line, f)) {
				double t;
				char word[32];
				if (sscanf(line, "%lf %31s", &t, word) == 2 &&
				    strcmp(word, "present") == 0)
					at = t;
			}
			log_off = ftell(f);
			fclose(f);
		}
		if (at < 0)
			sleep_ms(1);
	}
	return at;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void percentiles(double *v, int n, double *p50, double *p99)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	*p50 = v[(n - 1) / 2];
	int k = (int)((double)n * 0.99 + 0.999) - 1;
	*p99 = v[k < 0 ? 0 : k];
}

static int start_emulator(const char *emu)
{
	snprintf(dir, sizeof dir, "/tmp/nfc-latency-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(link_path, sizeof link_path, "%s/pn532", dir);
	snprintf(log_path, sizeof log_path, "%s/emu.log", dir);
	int p[2];
	if (pipe(p) != 0)
		return -1;
	emu_pid = fork();
	if (emu_pid == 0) {
		dup2(p[0], 0);
		close(p[0]);
		close(p[1]);
		int nul = open("/dev/null", O_WRONLY);
		dup2(nul, 1);
		execl(emu, emu, "--control", "--link", link_path, "--log", log_path, (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	ctl = p[1];
	for (int i = 0; i < 400; i++) {
		struct stat st;
		if (lstat(link_path, &st) == 0)
			return 0;
		sleep_ms(5);
	}
	return -1;
}

static int bench_kiosk(int taps, double *lat)
{
	struct cv_config cfg;
	cv_config_defaults(&cfg);
	cfg.reader_driver = CV_READER_DRIVER_NFC;
	snprintf(cfg.reader_connstring, sizeof cfg.reader_connstring, "pn532_uart:%s", link_path);
	struct cv_reader *r = NULL;
	char err[160];
	if (cv_reader_open(&cfg, &r, err, sizeof err) != 0)
		return -1;
	struct cv_reader_event ev;
	do {
		if (cv_reader_next(r, 5000, &ev) != 1 || ev.kind == CV_READER_EV_OFFLINE)
			return -1;
	} while (ev.kind != CV_READER_EV_ONLINE);
	for (int i = 0; i < taps; i++) {
		sleep_ms(20 + rand() % 100); /* a random phase against the poll cycle */
		say("present 04A1B2C3D4E5%02X ndef-text ATT-%d", i & 0xff, i);
		double seen = -1;
		while (seen < 0) {
			int rc = cv_reader_next(r, 5000, &ev);
			if (rc < 0)
				return -1;
			if (rc == 1 && ev.kind == CV_READER_EV_PRESENT)
				seen = mono_ms();
			else if (rc == 0)
				return -1;
		}
		lat[i] = seen - last_present_ms();
		say("remove");
		do {
			if (cv_reader_next(r, 5000, &ev) != 1)
				return -1;
		} while (ev.kind != CV_READER_EV_REMOVED);
	}
	cv_reader_close(r);
	return 0;
}

static int bench_nfc_poll(int taps, double *lat)
{
	char dev[400];
	snprintf(dev, sizeof dev, "pn532_uart:%s", link_path);
	for (int i = 0; i < taps; i++) {
		int p[2];
		if (pipe(p) != 0)
			return -1;
		pid_t pid = fork();
		if (pid == 0) {
			dup2(p[1], 1);
			close(p[0]);
			close(p[1]);
			setenv("LIBNFC_DEVICE", dev, 1);
			setenv("LIBNFC_LOG_LEVEL", "0", 1);
			execlp("stdbuf", "stdbuf", "-oL", "nfc-poll", (char *)NULL);
			_exit(127);
		}
		close(p[1]);
		FILE *out = fdopen(p[0], "r");
		char line[256];
		double seen = -1;
		bool presented = false;
		while (fgets(line, sizeof line, out)) {
			if (!presented && strstr(line, "will poll during")) {
				sleep_ms(20 + rand() % 100);
				say("present 04A1B2C3D4E5%02X ndef-text ATT-%d", i & 0xff, i);
				presented = true;
			} else if (presented && seen < 0 && strstr(line, "UID (NFCID1)")) {
				seen = mono_ms();
				say("remove");
			}
		}
		fclose(out);
		waitpid(pid, NULL, 0);
		if (seen < 0) {
			fprintf(stderr, "nfc_latency: nfc-poll run %d saw no badge\n", i);
			return -1;
		}
		lat[i] = seen - last_present_ms();
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int taps = argc > 2 ? atoi(argv[2]) : 200;
	if (taps < 1)
		taps = 1;
	signal(SIGPIPE, SIG_IGN);
	unsetenv("LIBNFC_DEFAULT_DEVICE");
	unsetenv("LIBNFC_DEVICE");
	cv_clock_init(CV_CLOCK_TRUST_NEVER);
	cv_log_set_level(CV_LOG_WARN);
	srand(7);
	if (system("command -v nfc-poll >/dev/null && command -v stdbuf >/dev/null") != 0) {
		printf("nfc-poll (libnfc-examples) or stdbuf missing: skipped\n");
		return 77;
	}
	if (start_emulator(argv[1]) != 0)
		return 1;
	double *k = calloc((size_t)taps, sizeof *k), *np = calloc((size_t)taps, sizeof *np);
	int rc = 1;
	if (!k || !np || bench_kiosk(taps, k) != 0) {
		fprintf(stderr, "nfc_latency: the kiosk run failed\n");
		goto out;
	}
	if (bench_nfc_poll(taps, np) != 0) {
		fprintf(stderr, "nfc_latency: the nfc-poll run failed\n");
		goto out;
	}
	double k50, k99, n50, n99;
	percentiles(k, taps, &k50, &k99);
	percentiles(np, taps, &n50, &n99);
	printf("taps: %d each, emulator present -> detection (ms)\n", taps);
	printf("kiosk (nfc backend): p50 %8.1f  p99 %8.1f\n", k50, k99);
	printf("nfc-poll:            p50 %8.1f  p99 %8.1f\n", n50, n99);
	printf("ratio kiosk/nfc-poll: p50 %.3f  p99 %.3f\n", k50 / n50, k99 / n99);
	rc = 0;
out:
	close(ctl);
	kill(emu_pid, SIGTERM);
	waitpid(emu_pid, NULL, 0);
	unlink(log_path);
	rmdir(dir);
	free(k);
	free(np);
	return rc;
}
