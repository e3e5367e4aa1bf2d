/* `convene reader-check` and the reader's diagnostics: the lock that keeps
 * two programs off one reader, the specific reason a device cannot be
 * opened, and the stale serial-port claim libnfc leaves behind. */
#include "cv_reader_check.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <nfc/nfc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cv_clock.h"
#include "cv_error.h"
#include "cv_feedback.h"
#include "cv_reader.h"

/* The flag libnfc's uart.c sets in c_iflag to mark a port it has open. */
#define LIBNFC_CCLAIMED 0x80000000u

static void lock_path(const char *dir, const char *connstring, char *path, size_t size)
{
	char name[96];
	size_t n = 0;
	const char *s = connstring[0] ? connstring : "default";
	for (; *s && n + 1 < sizeof name; s++)
		name[n++] = isalnum((unsigned char)*s) ? *s : '_';
	name[n] = '\0';
	snprintf(path, size, "%s/convene-reader-%s.lock", dir, name);
}

int cv_reader_lock(const char *connstring, int *fd, long *holder, char *path, size_t path_size)
{
	*fd = -1;
	*holder = 0;
	lock_path("/run/lock", connstring, path, path_size);
	if (access("/run/lock", W_OK) != 0)
		lock_path("/tmp", connstring, path, path_size);
	/* The holder unlinks the file when it lets go, so a lock taken on a
	 * file that was unlinked meanwhile is worthless: check and retry. */
	for (int attempt = 0; attempt < 5; attempt++) {
		int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (f < 0)
			return CV_EIO;
		if (flock(f, LOCK_EX | LOCK_NB) != 0) {
			int e = errno;
			char buf[32] = "";
			ssize_t r = pread(f, buf, sizeof buf - 1, 0);
			if (r > 0) {
				buf[r] = '\0';
				*holder = strtol(buf, NULL, 10);
			}
			close(f);
			return e == EWOULDBLOCK ? CV_EBUSY : CV_EIO;
		}
		struct stat held, named;
		if (fstat(f, &held) != 0 || stat(path, &named) != 0 ||
		    held.st_ino != named.st_ino || held.st_dev != named.st_dev) {
			close(f);
			continue;
		}
		char buf[32];
		int len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
		if (ftruncate(f, 0) != 0 || pwrite(f, buf, (size_t)len, 0) != len) {
			/* The pid is only for messages; the lock holds without it. */
		}
		*fd = f;
		return 0;
	}
	return CV_EBUSY;
}

void cv_reader_unlock(int fd)
{
	if (fd < 0)
		return;
	/* Unlink while still holding the lock, so no file is left behind per
	 * connstring; takers re-check the inode they locked (above). */
	char link[64], path[CV_PATH_MAX];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof path - 1);
	if (n > 0) {
		path[n] = '\0';
		unlink(path);
	}
	close(fd); /* closing the only descriptor releases the flock */
}

enum bus { BUS_NONE, BUS_SERIAL, BUS_I2C, BUS_SPI, BUS_USB };

/* Splits "driver:path[:speed]" and says which bus the driver uses. */
static enum bus parse_connstring(const char *connstring, char *path, size_t size)
{
	static const struct {
		const char *driver;
		enum bus bus;
	} drivers[] = {
	    {"pn532_uart", BUS_SERIAL}, {"arygon", BUS_SERIAL}, {"acr122s", BUS_SERIAL},
	    {"pn532_i2c", BUS_I2C},     {"pn71xx", BUS_I2C},    {"pn532_spi", BUS_SPI},
	    {"acr122_usb", BUS_USB},    {"pn53x_usb", BUS_USB}, {"acr122_pcsc", BUS_USB},
	    {"pcsc", BUS_USB},          {"usb", BUS_USB},
	};
	path[0] = '\0';
	const char *colon = strchr(connstring, ':');
	size_t dlen = colon ? (size_t)(colon - connstring) : strlen(connstring);
	for (size_t i = 0; i < sizeof drivers / sizeof drivers[0]; i++) {
		if (strlen(drivers[i].driver) != dlen ||
		    strncmp(drivers[i].driver, connstring, dlen))
			continue;
		if (colon && drivers[i].bus != BUS_USB) {
			size_t plen = strcspn(colon + 1, ":");
			snprintf(path, size, "%.*s", (int)plen, colon + 1);
		}
		return drivers[i].bus;
	}
	return BUS_NONE;
}

static bool process_running(const char *comm)
{
	DIR *d = opendir("/proc");
	if (!d)
		return false;
	struct dirent *de;
	bool found = false;
	while (!found && (de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		char p[300], name[64] = "";
		snprintf(p, sizeof p, "/proc/%s/comm", de->d_name);
		FILE *f = fopen(p, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof name, f))
			name[strcspn(name, "\n")] = '\0';
		fclose(f);
		found = strcmp(name, comm) == 0;
	}
	closedir(d);
	return found;
}

int cv_reader_diagnose(const char *connstring, char *msg, size_t msg_size)
{
	char path[CV_PATH_MAX];
	msg[0] = '\0';
	if (!connstring[0])
		return 0;
	enum bus bus = parse_connstring(connstring, path, sizeof path);
	if (bus == BUS_USB) {
		if (process_running("pcscd")) {
			snprintf(msg, msg_size,
			         "pcscd is running and claims USB readers such as the "
			         "ACR122U: stop it (systemctl stop pcscd.socket pcscd)");
			return CV_EBUSY;
		}
		return 0;
	}
	if (bus == BUS_NONE || !path[0])
		return 0;
	struct stat st;
	if (stat(path, &st) != 0) {
		if (bus == BUS_I2C)
			snprintf(msg, msg_size,
			         "%s is missing: the I2C bus is not enabled "
			         "(dtparam=i2c_arm=on, or raspi-config)",
			         path);
		else if (bus == BUS_SPI)
			snprintf(msg, msg_size,
			         "%s is missing: the SPI bus is not enabled "
			         "(dtparam=spi=on, or raspi-config)",
			         path);
		else if (strstr(path, "ttyAMA") || strstr(path, "ttyS") || strstr(path, "serial"))
			snprintf(msg, msg_size,
			         "%s is missing: the UART is not enabled "
			         "(enable_uart=1, or raspi-config)",
			         path);
		else
			snprintf(msg, msg_size, "%s is missing: the reader is unplugged", path);
		return CV_ENOTFOUND;
	}
	if (access(path, R_OK | W_OK) != 0 && errno == EACCES) {
		struct group *g = getgrgid(st.st_gid);
		snprintf(msg, msg_size, "permission denied on %s: add the kiosk's user to group %s",
		         path, g ? g->gr_name : "owning the device");
		return CV_EPERM;
	}
	if (bus == BUS_SERIAL) {
		int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			snprintf(msg, msg_size, "cannot open %s: %s", path, strerror(errno));
			return errno == EACCES ? CV_EPERM : CV_ENOTFOUND;
		}
		struct termios t;
		bool claimed = tcgetattr(fd, &t) == 0 && (t.c_iflag & LIBNFC_CCLAIMED);
		close(fd);
		if (claimed) {
			snprintf(msg, msg_size, "%s is claimed by another libnfc program", path);
			return CV_EBUSY;
		}
	}
	return 0;
}

int cv_reader_clear_stale_claim(const char *connstring)
{
	char path[CV_PATH_MAX];
	if (parse_connstring(connstring, path, sizeof path) != BUS_SERIAL || !path[0])
		return 0;
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0; /* nfc_open reports it, and the diagnosis says why */
	struct termios t;
	int rc = 0;
	if (tcgetattr(fd, &t) == 0 && (t.c_iflag & LIBNFC_CCLAIMED)) {
		t.c_iflag &= ~(tcflag_t)LIBNFC_CCLAIMED;
		rc = tcsetattr(fd, TCSANOW, &t) == 0 ? 1 : CV_EIO;
	}
	close(fd);
	return rc;
}

/* Waits while fb plays a confirmation (and a little), for the check's
 * reader: nothing else runs on this thread meanwhile. */
static void play_confirm(struct cv_feedback *fb)
{
	if (!fb)
		return;
	cv_feedback_signal(fb, CV_FEEDBACK_CONFIRM);
	int ms = cv_feedback_pattern_ms(fb, CV_FEEDBACK_CONFIRM) + 50;
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

/* Opens the [feedback] lines, if any, says how that went and plays one
 * confirmation so whoever runs the check sees and hears it. The kiosk runs
 * without feedback that fails, so neither does the exit code depend on it.
 * Returns the handle, or NULL. */
static struct cv_feedback *check_feedback(const struct cv_config *cfg)
{
	struct cv_feedback_options opts = cv_feedback_options_from_config(cfg);
	struct cv_feedback *fb = NULL;
	char msg[320];

	if (!cv_feedback_wanted(&opts)) {
		printf("Feedback lines: none configured ([feedback] led_line, buzzer_line)\n");
		return NULL;
	}
	if (cv_feedback_open(&opts, &fb, msg, sizeof msg) != 0) {
		printf("Feedback lines: cannot open: %s.\n"
		       "  (the kiosk runs without the LED and buzzer then)\n",
		       msg);
		return NULL;
	}
	cv_feedback_describe(fb, msg, sizeof msg);
	printf("Feedback lines: opened OK: %s; one confirmation pulse now\n", msg);
	fflush(stdout);
	play_confirm(fb);
	return fb;
}

static int check_reader(const struct cv_config *cfg, int wait_ms, struct cv_feedback *fb);

int cv_reader_check(const struct cv_config *cfg, int wait_ms)
{
	struct cv_feedback *fb = check_feedback(cfg);
	int code = check_reader(cfg, wait_ms, fb);
	cv_feedback_close(fb);
	return code;
}

static int check_reader(const struct cv_config *cfg, int wait_ms, struct cv_feedback *fb)
{
	const char *cs = cfg->reader_connstring;
	char path[CV_PATH_MAX], msg[160];
	long holder = 0;
	int lock_fd = -1;

	/* First the lock: listing devices may open the configured reader,
	 * and a second program on it garbles the kiosk's frames. */
	int rc = cv_reader_lock(cs, &lock_fd, &holder, path, sizeof path);
	if (rc == CV_EBUSY) {
		printf("The reader is in use by a running kiosk (pid %ld, lock %s).\n"
		       "Stop the kiosk first (systemctl stop convene), then run reader-check.\n",
		       holder, path);
		return 1;
	}
	printf("libnfc %s\n", nfc_version());
	nfc_context *ctx = NULL;
	nfc_init(&ctx);
	if (!ctx) {
		printf("libnfc failed to initialise.\n");
		cv_reader_unlock(lock_fd);
		return 1;
	}
	nfc_connstring found[8];
	size_t n = nfc_list_devices(ctx, found, 8);
	printf("Devices libnfc sees: %zu\n", n);
	for (size_t i = 0; i < n; i++)
		printf("  %s\n", found[i]);
	if (n == 0)
		printf(
		    "  (libnfc never scans serial ports: a UART reader needs [reader] connstring,\n"
		    "   e.g. pn532_uart:/dev/ttyS0)\n");
	nfc_exit(ctx);
	/* The backend takes the lock itself. */
	cv_reader_unlock(lock_fd);

	printf("Configured reader: %s\n", cs[0] ? cs : "(libnfc's default device)");
	if (cv_reader_diagnose(cs, msg, sizeof msg) != 0) {
		printf("Cannot use the reader: %s.\n", msg);
		return 1;
	}
	if (!cs[0] && n == 0) {
		printf("No reader found: connect one, or set [reader] connstring.\n");
		return 1;
	}

	struct cv_config c = *cfg;
	c.reader_driver = CV_READER_DRIVER_NFC;
	struct cv_reader *reader = NULL;
	char err[160];
	rc = cv_reader_open(&c, &reader, err, sizeof err);
	if (rc != 0) {
		printf("Cannot open the reader: %s.\n", err);
		return 1;
	}
	int code = 1;
	bool online = false;
	int64_t deadline = cv_clock_mono_ms() + (wait_ms > 0 ? wait_ms : 0);
	for (;;) {
		int64_t left = deadline - cv_clock_mono_ms();
		if (!online && left < 3000)
			left = 3000; /* opening gets its own few seconds */
		if (left <= 0) {
			printf("No badge within %d s.\n", wait_ms / 1000);
			break;
		}
		struct cv_reader_event ev;
		rc = cv_reader_next(reader, (int)left, &ev);
		if (rc < 0) {
			printf("Reader error: %s.\n", cv_strerror(rc));
			break;
		}
		if (rc == 0) {
			printf(online ? "No badge within %d s.\n"
			              : "The reader did not answer (%d s).\n",
			       wait_ms / 1000);
			break;
		}
		if (ev.kind == CV_READER_EV_OFFLINE) {
			printf("Reader offline: %s.\n", ev.detail);
			break;
		}
		if (ev.kind == CV_READER_EV_ONLINE) {
			online = true;
			printf("Opened: %s\nHold a badge to the reader (waiting %d s)...\n",
			       ev.detail, wait_ms / 1000);
			fflush(stdout);
			continue;
		}
		if (ev.kind == CV_READER_EV_PRESENT) {
			printf("UID:       %s%s\n", ev.uid_hex,
			       ev.uid_len == 4 && ev.uid[0] == 0x08
			           ? " (random: changes at every tap, identifies nobody)"
			           : "");
			printf("Card type: %s\n", ev.card_type);
			printf("NDEF:      %s\n", ev.ndef_info[0] ? ev.ndef_info : "(none read)");
			printf("Attendee id from NDEF: %s\n",
			       ev.ndef_id[0] ? ev.ndef_id : "(none)");
			play_confirm(fb);
			code = 0;
			break;
		}
	}
	cv_reader_close(reader);
	return code;
}
