/* Tap latency against the emulated PN532, every figure from the moment the
 * emulator makes a badge present (its log, CLOCK_BOOTTIME, the clock of
 * cv_clock_mono_ms and of the kiosk's log lines), over N taps at random
 * phases, all against one emulator in one run:
 *   1. the whole kiosk (`convene --verbose run --headless`, driver = nfc,
 *      mode checkin, a roster of N people, one new badge per tap):
 *      present -> the frame confirming the tap drawn ("confirmed tap seq=S
 *      ... mono_ms=F"), present -> detection ("tap seq=S detected
 *      mono_ms=D", the reader thread's moment), and the kiosk's own part,
 *      detection -> frame drawn (card type and NDEF read, commit, draw);
 *   2. libnfc's nfc-poll, one run per tap, its stdout line-buffered through
 *      stdbuf, timed from when the emulator took its InAutoPoll: (a) the
 *      badge presented 20-120 ms in, inside the first slot (type 0x20,
 *      which an NTAG does not match), (b) presented 320-420 ms in, inside
 *      the slot it matches (0x10), which leaves the slot schedule out.
 * docs/reader.md explains why (a) and (b) differ. Prints p50/p99 of each
 * and the ratios.
 *
 * usage: nfc_latency EMULATOR CONVENE [TAPS]   (exit 0 when it ran, 77 to skip) */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The kiosk's own part (detection -> frame drawn), p99, ms. */
#define OWN_PART_GOAL_MS 20.0

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(double ms)
{
	if (ms <= 0)
		return;
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

/* The badge of tap i: a 7-byte NTAG UID, distinct for every tap. */
static void present(int i)
{
	say("present 04A1B2C3D4%02X%02X ndef-text B-%d", (i >> 8) & 0xff, i & 0xff, i);
}

/* The time of the first line of the emulator's log past the last one
 * taken whose first word is word; -1 when none comes within a second. */
static double log_wait(const char *word)
{
	for (int tries = 0; tries < 1000; tries++) {
		FILE *f = fopen(log_path, "r");
		if (f) {
			fseek(f, log_off, SEEK_SET);
			char line[512];
			while (fgets(line, sizeof line, f)) {
				double t;
				char w[32];
				if (sscanf(line, "%lf %31s", &t, w) == 2 && strcmp(w, word) == 0) {
					log_off = ftell(f);
					fclose(f);
					return t;
				}
			}
			fclose(f);
		}
		sleep_ms(1);
	}
	return -1;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct pct {
	double p50, p99;
};

static struct pct percentiles(double *v, int n)
{
	struct pct p;
	qsort(v, (size_t)n, sizeof *v, cmp);
	p.p50 = v[(n - 1) / 2];
	int k = (int)((double)n * 0.99 + 0.999) - 1;
	p.p99 = v[k < 0 ? 0 : k];
	return p;
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

/* ---- 1. the whole kiosk ------------------------------------------------- */

/* Lines of a child's stderr, read with a timeout. */
struct lines {
	int fd;
	char buf[8192];
	size_t len;
};

/* Copies the next whole line into out; 1, 0 on timeout, -1 at EOF. */
static int next_line(struct lines *l, double timeout_ms, char *out, size_t size)
{
	double deadline = mono_ms() + timeout_ms;
	for (;;) {
		char *nl = memchr(l->buf, '\n', l->len);
		if (nl) {
			size_t n = (size_t)(nl - l->buf);
			snprintf(out, size, "%.*s", (int)n, l->buf);
			memmove(l->buf, nl + 1, l->len - n - 1);
			l->len -= n + 1;
			return 1;
		}
		if (l->len == sizeof l->buf)
			l->len = 0; /* a line too long to matter */
		double left = deadline - mono_ms();
		if (left <= 0)
			return 0;
		struct pollfd pfd = {.fd = l->fd, .events = POLLIN};
		int rc = poll(&pfd, 1, (int)left + 1);
		if (rc < 0 && errno != EINTR)
			return -1;
		if (rc <= 0)
			continue;
		ssize_t r = read(l->fd, l->buf + l->len, sizeof l->buf - l->len);
		if (r <= 0)
			return -1;
		l->len += (size_t)r;
	}
}

/* Waits for a line holding needle; copies it into out when given. */
static bool wait_line(struct lines *l, const char *needle, double timeout_ms, char *out,
                      size_t size)
{
	double deadline = mono_ms() + timeout_ms;
	char line[1024];
	for (;;) {
		double left = deadline - mono_ms();
		if (left <= 0 || next_line(l, left, line, sizeof line) != 1)
			return false;
		if (getenv("NFC_LATENCY_TRACE"))
			fprintf(stderr, "kiosk: %s\n", line);
		if (strstr(line, needle)) {
			if (out)
				snprintf(out, size, "%s", line);
			return true;
		}
	}
}

static int run_child(char *const argv[])
{
	pid_t pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);
		dup2(nul, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int kiosk_setup(const char *convene, int taps, char *conf, size_t conf_size)
{
	char roster[300];
	snprintf(conf, conf_size, "%s/kiosk.conf", dir);
	snprintf(roster, sizeof roster, "%s/roster.csv", dir);
	FILE *f = fopen(roster, "w");
	if (!f)
		return -1;
	fprintf(f, "name,organization,role,email,external_id,badge_uid\n");
	for (int i = 0; i < taps; i++)
		fprintf(f, "Person %d,Bench,attendee,p%d@example.org,B-%d,04A1B2C3D4%02X%02X\n", i,
		        i, i, (i >> 8) & 0xff, i & 0xff);
	fclose(f);
	f = fopen(conf, "w");
	if (!f)
		return -1;
	/* checkin: every tap of another person is a new welcome, at once. */
	fprintf(f,
	        "[kiosk]\nid = bench\nname = Bench\nzone = hall\nmode = checkin\n"
	        "[store]\npath = %s/kiosk.db\n"
	        "[reader]\ndriver = nfc\nconnstring = pn532_uart:%s\n"
	        "[audio]\nsound = false\n"
	        "[flow]\ndebounce_ms = 100\nmessage_ms = 500\n",
	        dir, link_path);
	fclose(f);
	char *argv[] = {(char *)convene, "--config", conf, "import-roster", roster, NULL};
	return run_child(argv) == 0 ? 0 : -1;
}

static long long field(const char *line, const char *key)
{
	const char *p = strstr(line, key);
	return p ? atoll(p + strlen(key)) : -1;
}

/* t2f: present -> frame; own: detection -> frame; det: present -> detection */
static int bench_kiosk(const char *convene, int taps, double *t2f, double *own, double *det)
{
	char conf[300];
	if (kiosk_setup(convene, taps, conf, sizeof conf) != 0) {
		fprintf(stderr, "nfc_latency: cannot set up the kiosk (roster import)\n");
		return -1;
	}
	int p[2];
	if (pipe(p) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(nul, 1);
		setenv("SDL_VIDEODRIVER", "offscreen", 1);
		setenv("SDL_AUDIODRIVER", "dummy", 1);
		execl(convene, convene, "--verbose", "--config", conf, "run", "--headless",
		      (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	struct lines l = {.fd = p[0]};
	int rc = -1;
	char line[1024];
	if (!wait_line(&l, "reader online", 10000, NULL, 0)) {
		fprintf(stderr, "nfc_latency: the kiosk did not report its reader online\n");
		goto out;
	}
	long long last_seq = 0;
	for (int i = 0; i < taps; i++) {
		sleep_ms(20 + rand() % 100);
		present(i);
		long long seq = -1, detected = -1, frame = -1;
		while (frame < 0) {
			if (next_line(&l, 5000, line, sizeof line) != 1) {
				fprintf(stderr, "nfc_latency: tap %d never confirmed\n", i);
				goto out;
			}
			if (strstr(line, " detected mono_ms=")) {
				seq = field(line, "tap seq=");
				detected = field(line, "mono_ms=");
			} else if (strstr(line, "confirmed tap seq=") &&
			           field(line, "seq=") > last_seq) {
				last_seq = field(line, "seq=");
				if (last_seq != seq) {
					fprintf(stderr,
					        "nfc_latency: frame for tap %lld, detected %lld\n",
					        last_seq, seq);
					goto out;
				}
				frame = field(line, "mono_ms=");
			}
		}
		double at = log_wait("present");
		/* Log times are whole ms (truncated): add half a ms each. */
		t2f[i] = (double)frame + 0.5 - at;
		own[i] = (double)(frame - detected);
		det[i] = (double)detected + 0.5 - at;
		if (getenv("NFC_LATENCY_TRACE"))
			fprintf(stderr, "tap %d seq %lld: detection %.1f, frame %.1f ms\n", i, seq,
			        det[i], t2f[i]);
		say("remove");
		sleep_ms(60); /* the 30 ms presence check sees it leave */
	}
	rc = 0;
out:
	kill(pid, SIGTERM);
	int status = 0;
	waitpid(pid, &status, 0);
	/* Drain nothing more: closing the pipe is enough once it exited. */
	close(p[0]);
	if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		fprintf(stderr, "nfc_latency: the kiosk did not exit cleanly\n");
		rc = -1;
	}
	return rc;
}

/* ---- 2. nfc-poll --------------------------------------------------------- */

static int nfc_poll_failures;

/* One nfc-poll run: the latency of tap i, or -1 (its output shown). */
static double nfc_poll_once(int i, bool in_slot)
{
	char dev[400], err_path[300];
	snprintf(dev, sizeof dev, "pn532_uart:%s", link_path);
	snprintf(err_path, sizeof err_path, "%s/nfc-poll.err", dir);
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
		/* Its nfc_perror when the badge leaves, kept for a failure. */
		int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(err, 2);
		execlp("stdbuf", "stdbuf", "-oL", "nfc-poll", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	FILE *out = fdopen(p[0], "r");
	char line[256], seen_lines[2048] = "";
	double seen = -1;
	bool presented = false;
	while (fgets(line, sizeof line, out)) {
		size_t used = strlen(seen_lines);
		snprintf(seen_lines + used, sizeof seen_lines - used, "%s", line);
		if (!presented && strstr(line, "will poll during")) {
			/* Timed from when the emulator took the InAutoPoll:
			 * slot 0 (0x20) is 0-300 ms, slot 1 (0x10) 300-600. */
			double start = log_wait("autopoll-start");
			if (start < 0)
				break;
			sleep_ms(start + (in_slot ? 320 : 20) + rand() % 100 - mono_ms());
			present(i);
			presented = true;
		} else if (presented && seen < 0 && strstr(line, "UID (NFCID1)")) {
			seen = mono_ms();
			say("remove");
		}
	}
	fclose(out);
	int status = 0;
	waitpid(pid, &status, 0);
	if (presented && seen < 0)
		say("remove");
	double at = presented ? log_wait("present") : -1;
	if (seen < 0 || at < 0) {
		fprintf(stderr, "nfc_latency: nfc-poll run %d saw no badge (exit %d); it said:\n%s",
		        i, WIFEXITED(status) ? WEXITSTATUS(status) : -1, seen_lines);
		FILE *e = fopen(err_path, "r");
		while (e && fgets(line, sizeof line, e))
			fprintf(stderr, "  %s", line);
		if (e)
			fclose(e);
		return -1;
	}
	return seen - at;
}

/* in_slot: present the badge during the InAutoPoll slot it matches. A run
 * that fails is repeated (and counted), up to 5 in all. */
static int bench_nfc_poll(int taps, double *lat, bool in_slot)
{
	for (int i = 0; i < taps; i++) {
		lat[i] = nfc_poll_once(i, in_slot);
		while (lat[i] < 0) {
			if (++nfc_poll_failures > 5)
				return -1;
			lat[i] = nfc_poll_once(i, in_slot);
		}
	}
	return 0;
}

/* ---- report -------------------------------------------------------------- */

static void row(const char *what, struct pct p)
{
	printf("  %-52s %8.1f %8.1f\n", what, p.p50, p.p99);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: nfc_latency EMULATOR CONVENE [TAPS]\n");
		return 2;
	}
	int taps = argc > 3 ? atoi(argv[3]) : 200;
	if (taps < 1 || taps > 60000)
		taps = 200;
	signal(SIGPIPE, SIG_IGN);
	unsetenv("LIBNFC_DEFAULT_DEVICE");
	unsetenv("LIBNFC_DEVICE");
	srand(7);
	if (system("command -v nfc-poll >/dev/null && command -v stdbuf >/dev/null") != 0) {
		printf("nfc-poll (libnfc-examples) or stdbuf missing: skipped\n");
		return 77;
	}
	if (start_emulator(argv[1]) != 0)
		return 1;
	size_t n = (size_t)taps;
	double *t2f = calloc(n, sizeof(double)), *own = calloc(n, sizeof(double)),
	       *kdet = calloc(n, sizeof(double)), *np0 = calloc(n, sizeof(double)),
	       *np1 = calloc(n, sizeof(double));
	int rc = 1;
	if (!t2f || !own || !kdet || !np0 || !np1)
		goto out;
	if (bench_kiosk(argv[2], taps, t2f, own, kdet) != 0) {
		fprintf(stderr, "nfc_latency: the kiosk run failed\n");
		goto out;
	}
	if (bench_nfc_poll(taps, np0, false) != 0 || bench_nfc_poll(taps, np1, true) != 0) {
		fprintf(stderr, "nfc_latency: the nfc-poll run failed\n");
		goto out;
	}
	struct pct k = percentiles(t2f, taps), o = percentiles(own, taps),
	           kd = percentiles(kdet, taps), n0 = percentiles(np0, taps),
	           n1 = percentiles(np1, taps);
	printf("%d taps per series; ms from the emulator presenting the badge "
	       "(CLOCK_BOOTTIME)\n",
	       taps);
	printf("  %-52s %8s %8s\n", "", "p50", "p99");
	row("kiosk: badge -> confirmation frame drawn", k);
	row("kiosk: own part, detection -> frame drawn", o);
	row("kiosk: badge -> detection (reader thread)", kd);
	row("nfc-poll: presented in slot 0x20 (20-120 ms in)", n0);
	row("nfc-poll: presented in its slot 0x10 (320-420 ms in)", n1);
	printf("ratio kiosk tap-to-frame / nfc-poll (slot 0x20):  p50 %.3f  p99 %.3f\n",
	       k.p50 / n0.p50, k.p99 / n0.p99);
	printf("ratio kiosk tap-to-frame / nfc-poll (slot 0x10):  p50 %.3f  p99 %.3f\n",
	       k.p50 / n1.p50, k.p99 / n1.p99);
	printf("ratio kiosk detection / nfc-poll (slot 0x10):      p50 %.3f  p99 %.3f\n",
	       kd.p50 / n1.p50, kd.p99 / n1.p99);
	if (nfc_poll_failures > 0)
		printf("nfc-poll runs that failed and were repeated: %d\n", nfc_poll_failures);
	printf("kiosk own part p99 %.1f ms: goal < %.0f ms %s\n", o.p99, OWN_PART_GOAL_MS,
	       o.p99 < OWN_PART_GOAL_MS ? "met" : "MISSED");
	rc = 0;
out:
	close(ctl);
	kill(emu_pid, SIGTERM);
	waitpid(emu_pid, NULL, 0);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (dir[0] && system(cmd) != 0)
		fprintf(stderr, "nfc_latency: could not remove %s\n", dir);
	free(t2f);
	free(own);
	free(kdet);
	free(np0);
	free(np1);
	return rc;
}
