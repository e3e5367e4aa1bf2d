/* An emulated PN532 on a pseudo-terminal, speaking the host-UART (HSU)
 * frame protocol the way libnfc's pn532_uart driver uses it: wake-up
 * preamble, ACK/NACK, normal and extended frames with checksums, and the
 * commands libnfc sends to open, configure and poll a reader and to read
 * NTAG memory. A script (or lines on stdin) makes badges appear and
 * disappear and injects faults; docs/reader.md describes both.
 *
 * usage: pn532_emu [--script FILE] [--link PATH] [--path-file FILE]
 *                  [--log FILE] [--rf-try-ms N] [--cmd-ms N] [--extended]
 *                  [--control]
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 4096
#define MEM_MAX 1024 /* bytes of tag memory: NTAG216 has 924 */
#define FRAME_MAX 300

/* ---- time and log ------------------------------------------------------ */

/* CLOCK_BOOTTIME, the clock of the kiosk's cv_clock_mono_ms and of its
 * log lines, so the latency benchmark compares times without converting. */
static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static FILE *log_file;
static double start_ms;

static void emu_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emu_log(const char *fmt, ...)
{
	va_list ap;
	FILE *f = log_file ? log_file : stderr;
	fprintf(f, "%.3f ", now_ms());
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
}

/* ---- the badge --------------------------------------------------------- */

enum card_kind {
	CARD_NTAG213,
	CARD_NTAG215,
	CARD_NTAG216,
	CARD_ULTRALIGHT,
	CARD_CLASSIC1K,
	CARD_DESFIRE
};

struct card {
	bool present;
	bool selected; /* activated by the last InListPassiveTarget */
	enum card_kind kind;
	uint8_t uid[10];
	size_t uid_len;
	uint8_t mem[MEM_MAX];
	size_t pages;
};

static struct card card;

static const struct {
	const char *name;
	size_t pages;
	uint8_t cc_size; /* CC byte 2: data area / 8 */
	uint8_t version_size;
} kinds[] = {
    [CARD_NTAG213] = {"ntag213", 45, 0x12, 0x0f},  [CARD_NTAG215] = {"ntag215", 135, 0x3e, 0x11},
    [CARD_NTAG216] = {"ntag216", 231, 0x6d, 0x13}, [CARD_ULTRALIGHT] = {"ultralight", 16, 0x06, 0},
    [CARD_CLASSIC1K] = {"classic1k", 0, 0, 0},     [CARD_DESFIRE] = {"desfire", 0, 0, 0},
};

static bool card_is_type2(void)
{
	return card.kind <= CARD_ULTRALIGHT;
}

/* Lays out an NDEF message as a Type 2 tag holds it: CC in page 3, the
 * message TLV from page 4, a terminator after it. */
static void card_set_ndef(const uint8_t *msg, size_t len, bool raw)
{
	memset(card.mem + 16, 0, sizeof card.mem - 16);
	card.mem[12] = 0xe1;
	card.mem[13] = 0x10;
	card.mem[14] = kinds[card.kind].cc_size;
	card.mem[15] = 0x00;
	size_t room = card.pages * 4 > 16 ? card.pages * 4 - 16 : 0;
	size_t p = 16;
	if (raw) {
		if (len > room)
			len = room;
		if (len > 0)
			memcpy(card.mem + p, msg, len);
		return;
	}
	if (len + 5 > room)
		len = room > 5 ? room - 5 : 0;
	card.mem[p++] = 0x03;
	if (len < 0xff) {
		card.mem[p++] = (uint8_t)len;
	} else {
		card.mem[p++] = 0xff;
		card.mem[p++] = (uint8_t)(len >> 8);
		card.mem[p++] = (uint8_t)len;
	}
	memcpy(card.mem + p, msg, len);
	card.mem[p + len] = 0xfe;
}

static void card_setup(enum card_kind kind, const uint8_t *uid, size_t uid_len)
{
	memset(&card, 0, sizeof card);
	card.kind = kind;
	memcpy(card.uid, uid, uid_len);
	card.uid_len = uid_len;
	card.pages = kinds[kind].pages;
	/* Pages 0-2: UID and check bytes as a 7-byte-UID tag stores them. */
	memcpy(card.mem, uid, uid_len < 9 ? uid_len : 9);
	if (card.pages)
		card_set_ndef(NULL, 0, true);
}

static size_t ndef_record(uint8_t *out, size_t cap, char rtd, const uint8_t *payload, size_t plen)
{
	size_t n = 0;
	if (plen > 255) {
		if (plen + 7 > cap)
			return 0;
		out[n++] = 0xc1; /* MB ME, long record, TNF well-known */
		out[n++] = 1;
		out[n++] = (uint8_t)(plen >> 24);
		out[n++] = (uint8_t)(plen >> 16);
		out[n++] = (uint8_t)(plen >> 8);
		out[n++] = (uint8_t)plen;
	} else {
		if (plen + 4 > cap)
			return 0;
		out[n++] = 0xd1; /* MB ME SR, TNF well-known */
		out[n++] = 1;
		out[n++] = (uint8_t)plen;
	}
	out[n++] = (uint8_t)rtd;
	memcpy(out + n, payload, plen);
	return n + plen;
}

/* ---- script ------------------------------------------------------------ */

enum ev_kind {
	EV_PRESENT,
	EV_REMOVE,
	EV_DEAF_AFTER,
	EV_DEAF,
	EV_SLOW,
	EV_BAD_CHECKSUM,
	EV_VANISH,
	EV_REAPPEAR,
	EV_GARBAGE,
	EV_HEAL,
	EV_EXIT
};

struct event {
	double at; /* ms after start */
	enum ev_kind kind;
	long n;
	enum card_kind card_kind;
	uint8_t uid[10];
	size_t uid_len;
	uint8_t ndef[MEM_MAX];
	size_t ndef_len;
	bool ndef_raw;
	bool has_ndef;
};

static struct event *events;
static size_t n_events, next_event;

static int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = 0;
	while (*s) {
		if (*s == ':' || *s == ' ') {
			s++;
			continue;
		}
		unsigned v;
		if (sscanf(s, "%2x", &v) != 1 || !s[1] || n >= cap)
			return -1;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	*len = n;
	return 0;
}

/* Parses "cmd args..." (the time already taken off) into ev. */
static int parse_command(char *line, struct event *ev)
{
	char *save = NULL;
	char *cmd = strtok_r(line, " \t\r\n", &save);
	if (!cmd)
		return -1;
	char *arg = strtok_r(NULL, " \t\r\n", &save);
	ev->n = arg ? strtol(arg, NULL, 10) : 0;
	if (strcmp(cmd, "present") == 0) {
		ev->kind = EV_PRESENT;
		if (!arg || parse_hex(arg, ev->uid, sizeof ev->uid, &ev->uid_len) != 0 ||
		    (ev->uid_len != 4 && ev->uid_len != 7 && ev->uid_len != 10))
			return -1;
		ev->card_kind = CARD_NTAG213;
		char *opt;
		while ((opt = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			char *val = strtok_r(NULL, "\r\n", &save);
			if (strcmp(opt, "type") == 0 && val) {
				char *rest = strchr(val, ' ');
				if (rest) {
					*rest = '\0';
					save = rest + 1;
				} else {
					save = val + strlen(val);
				}
				size_t k;
				for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
					if (strcmp(kinds[k].name, val) == 0)
						break;
				if (k == sizeof kinds / sizeof kinds[0])
					return -1;
				ev->card_kind = (enum card_kind)k;
			} else if (strcmp(opt, "ndef-text") == 0 && val) {
				uint8_t payload[MEM_MAX];
				size_t tl = strlen(val);
				if (tl + 3 > sizeof payload)
					return -1;
				payload[0] = 2;
				payload[1] = 'e';
				payload[2] = 'n';
				memcpy(payload + 3, val, tl);
				ev->ndef_len =
				    ndef_record(ev->ndef, sizeof ev->ndef, 'T', payload, tl + 3);
				ev->has_ndef = true;
				break;
			} else if (strcmp(opt, "ndef-uri") == 0 && val) {
				static const char *const pre[] = {"", "http://www.", "https://www.",
				                                  "http://", "https://"};
				uint8_t payload[MEM_MAX];
				uint8_t code = 0;
				for (uint8_t k = 1; k < 5; k++)
					if (strncmp(val, pre[k], strlen(pre[k])) == 0 &&
					    strlen(pre[k]) > strlen(pre[code]))
						code = k;
				size_t ul = strlen(val) - strlen(pre[code]);
				if (ul + 1 > sizeof payload)
					return -1;
				payload[0] = code;
				memcpy(payload + 1, val + strlen(pre[code]), ul);
				ev->ndef_len =
				    ndef_record(ev->ndef, sizeof ev->ndef, 'U', payload, ul + 1);
				ev->has_ndef = true;
				break;
			} else if (strcmp(opt, "ndef-raw") == 0 && val) {
				if (parse_hex(val, ev->ndef, sizeof ev->ndef, &ev->ndef_len) != 0)
					return -1;
				ev->ndef_raw = true;
				ev->has_ndef = true;
				break;
			} else {
				return -1;
			}
		}
		return 0;
	}
	static const struct {
		const char *name;
		enum ev_kind kind;
	} simple[] = {
	    {"remove", EV_REMOVE},     {"deaf_after", EV_DEAF_AFTER},     {"deaf", EV_DEAF},
	    {"slow", EV_SLOW},         {"bad_checksum", EV_BAD_CHECKSUM}, {"vanish", EV_VANISH},
	    {"reappear", EV_REAPPEAR}, {"garbage", EV_GARBAGE},           {"heal", EV_HEAL},
	    {"exit", EV_EXIT},
	};
	for (size_t k = 0; k < sizeof simple / sizeof simple[0]; k++) {
		if (strcmp(cmd, simple[k].name) == 0) {
			ev->kind = simple[k].kind;
			return 0;
		}
	}
	return -1;
}

static int load_script(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "pn532_emu: cannot open %s\n", path);
		return -1;
	}
	char line[4096];
	int lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		char *p = line + strspn(line, " \t");
		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		if (n_events == MAX_EVENTS) {
			fprintf(stderr, "pn532_emu: %s: too many lines\n", path);
			fclose(f);
			return -1;
		}
		struct event *ev = &events[n_events];
		memset(ev, 0, sizeof *ev);
		char *end;
		ev->at = strtod(p, &end);
		if (end == p || parse_command(end, ev) != 0) {
			fprintf(stderr, "pn532_emu: %s:%d: bad line\n", path, lineno);
			fclose(f);
			return -1;
		}
		n_events++;
	}
	fclose(f);
	return 0;
}

/* ---- the pseudo-terminal ------------------------------------------------ */

static int master = -1;
static const char *link_path, *path_file;
static char slave_path[128];

static int pty_create(void)
{
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
		return -1;
	fcntl(master, F_SETFD, FD_CLOEXEC);
	snprintf(slave_path, sizeof slave_path, "%s", ptsname(master));
	/* Raw on our side too, so nothing rewrites the bytes. */
	int s = open(slave_path, O_RDWR | O_NOCTTY);
	if (s >= 0) {
		struct termios t;
		if (tcgetattr(s, &t) == 0) {
			cfmakeraw(&t);
			tcsetattr(s, TCSANOW, &t);
		}
		close(s);
	}
	if (link_path) {
		char tmp[600];
		snprintf(tmp, sizeof tmp, "%s.tmp", link_path);
		unlink(tmp);
		if (symlink(slave_path, tmp) != 0 || rename(tmp, link_path) != 0)
			return -1;
	}
	if (path_file) {
		char tmp[600];
		snprintf(tmp, sizeof tmp, "%s.tmp", path_file);
		FILE *f = fopen(tmp, "w");
		if (!f)
			return -1;
		fprintf(f, "%s\n", slave_path);
		fclose(f);
		rename(tmp, path_file);
	}
	printf("%s\n", slave_path);
	fflush(stdout);
	emu_log("pty %s", slave_path);
	return 0;
}

static void pty_vanish(void)
{
	if (master >= 0)
		close(master);
	master = -1;
	if (link_path)
		unlink(link_path);
	emu_log("vanish %s", slave_path);
}

/* ---- the chip ---------------------------------------------------------- */

static bool asleep = true; /* a PN532 starts in LowVBat until woken */
static uint8_t regs[0x10000];
static uint8_t parameters;
static uint8_t mx_rty_passive = 0xff;
static bool deaf, deaf_sticky;
static long deaf_countdown = -1;
static double slow_ms;
static long bad_checksums;
static long garbage_left; /* > 0: that many; -1: until heal */
static long commands;
static double rf_try_ms = 3.0, cmd_ms = 0.5;
static bool force_extended;

static uint8_t rx[4096];
static size_t rx_len;
static uint8_t last_frame[FRAME_MAX + 16];
static size_t last_frame_len;

/* The command being executed: an answer due at a time, or a wait for a
 * badge (InListPassiveTarget with infinite retries, InAutoPoll). */
struct pending {
	bool active;
	uint8_t cmd;
	double due; /* answer at this time when not waiting */
	uint8_t data[FRAME_MAX];
	size_t len;
	bool waiting; /* for a badge */
	double started;
	double deadline;   /* 0: none */
	uint8_t types[16]; /* InAutoPoll */
	size_t ntypes;
	double slot_ms;
	long slots;       /* 0: infinite */
	uint8_t init[12]; /* InListPassiveTarget initiator data */
	size_t init_len;
	uint8_t brty;
};
static struct pending pend;

static void send_raw(const uint8_t *b, size_t n)
{
	if (master < 0)
		return;
	while (n > 0) {
		ssize_t w = write(master, b, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		b += w;
		n -= (size_t)w;
	}
}

static void send_ack(void)
{
	static const uint8_t ack[] = {0x00, 0x00, 0xff, 0x00, 0xff, 0x00};
	if (garbage_left != 0) {
		uint8_t junk[6];
		for (size_t i = 0; i < sizeof junk; i++)
			junk[i] = (uint8_t)(rand() & 0xff) | 0x01;
		send_raw(junk, sizeof junk);
		return;
	}
	send_raw(ack, sizeof ack);
}

/* Frames data (TFI D5 and the command code + 1 in front) and sends it. */
static void send_response(uint8_t cmd, const uint8_t *data, size_t len)
{
	uint8_t f[FRAME_MAX + 16];
	size_t n = 0;
	size_t plen = len + 2;
	f[n++] = 0x00;
	f[n++] = 0x00;
	f[n++] = 0xff;
	if (plen > 255 || force_extended) {
		f[n++] = 0xff;
		f[n++] = 0xff;
		f[n++] = (uint8_t)(plen >> 8);
		f[n++] = (uint8_t)plen;
		f[n] = (uint8_t)(0x100 - ((f[n - 2] + f[n - 1]) & 0xff));
		n++;
	} else {
		f[n++] = (uint8_t)plen;
		f[n++] = (uint8_t)(0x100 - plen);
	}
	uint8_t sum = 0xd5 + (uint8_t)(cmd + 1);
	f[n++] = 0xd5;
	f[n++] = (uint8_t)(cmd + 1);
	for (size_t i = 0; i < len; i++) {
		f[n++] = data[i];
		sum = (uint8_t)(sum + data[i]);
	}
	f[n++] = (uint8_t)(0x100 - sum);
	f[n++] = 0x00;
	memcpy(last_frame, f, n);
	last_frame_len = n;
	if (garbage_left != 0) {
		for (size_t i = 0; i < n; i++)
			f[i] = (uint8_t)(rand() & 0xff);
		f[0] = 0x5a; /* never a valid preamble */
		if (garbage_left > 0)
			garbage_left--;
		emu_log("garbage answer to 0x%02x", cmd);
	} else if (bad_checksums > 0) {
		f[n - 2] ^= 0x5a;
		bad_checksums--;
		emu_log("bad checksum on answer to 0x%02x", cmd);
	}
	send_raw(f, n);
}

static void send_error_frame(void)
{
	static const uint8_t err[] = {0x00, 0x00, 0xff, 0x01, 0xff, 0x7f, 0x81, 0x00};
	send_raw(err, sizeof err);
}

static void answer_at(uint8_t cmd, const uint8_t *data, size_t len, double delay)
{
	pend.active = true;
	pend.waiting = false;
	pend.cmd = cmd;
	memcpy(pend.data, data, len);
	pend.len = len;
	pend.due = now_ms() + delay + cmd_ms + slow_ms;
}

static bool uid_matches_init(const uint8_t *init, size_t len)
{
	if (len == 0)
		return true;
	/* libnfc passes a 7- or 10-byte UID with its cascade tags. */
	uint8_t flat[12];
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (init[i] == 0x88 && (i == 0 || i == 4))
			continue;
		flat[n++] = init[i];
	}
	return n == card.uid_len && memcmp(flat, card.uid, n) == 0;
}

/* TargetData for a type A badge: Tg, SENS_RES, SEL_RES, NFCID1, [ATS]. */
static size_t target_data_a(uint8_t *out, bool with_ats)
{
	size_t n = 0;
	uint8_t atqa0 = 0x00, atqa1 = 0x44, sak = 0x00;
	if (card.kind == CARD_CLASSIC1K) {
		atqa1 = card.uid_len == 4 ? 0x04 : 0x44;
		sak = 0x08;
	} else if (card.kind == CARD_DESFIRE) {
		atqa0 = 0x03;
		sak = 0x20;
	}
	out[n++] = 0x01;
	out[n++] = atqa0;
	out[n++] = atqa1;
	out[n++] = sak;
	out[n++] = (uint8_t)card.uid_len;
	memcpy(out + n, card.uid, card.uid_len);
	n += card.uid_len;
	if (with_ats && (sak & 0x20)) {
		static const uint8_t ats[] = {0x06, 0x75, 0x77, 0x81, 0x02, 0x80};
		memcpy(out + n, ats, sizeof ats);
		n += sizeof ats;
	}
	return n;
}

static bool card_answers(uint8_t brty, const uint8_t *init, size_t init_len)
{
	return card.present && brty == 0x00 && uid_matches_init(init, init_len);
}

static void finish_list(bool found)
{
	uint8_t out[64];
	size_t n = 0;
	if (found) {
		out[n++] = 1;
		n += target_data_a(out + n, (parameters & 0x10) != 0);
		card.selected = true;
		emu_log("selected %02X%02X%02X%02X...", card.uid[0], card.uid[1], card.uid[2],
		        card.uid[3]);
	} else {
		out[n++] = 0;
	}
	answer_at(0x4a, out, n, 0);
}

static bool autopoll_type_matches(uint8_t t)
{
	if (!card.present)
		return false;
	switch (t) {
	case 0x00: /* generic passive 106 */
	case 0x10: /* MIFARE: any type A badge */ return true;
	case 0x20: /* ISO14443-4A only */ return card.kind == CARD_DESFIRE;
	default: return false;
	}
}

static void finish_autopoll(uint8_t type)
{
	uint8_t out[64];
	size_t n = 0;
	if (type == 0xff) {
		out[n++] = 0;
	} else {
		out[n++] = 1;
		out[n++] = type;
		uint8_t td[40];
		size_t tl = target_data_a(td, type == 0x20);
		out[n++] = (uint8_t)tl;
		memcpy(out + n, td, tl);
		n += tl;
		card.selected = true;
		emu_log("autopoll found badge in slot type 0x%02x", type);
	}
	answer_at(0x60, out, n, 0);
}

/* Re-examines a wait for a badge; returns the time it next needs a look. */
static double pending_check(double t)
{
	if (!pend.active || !pend.waiting)
		return 0;
	if (pend.cmd == 0x4a) {
		if (card_answers(pend.brty, pend.init, pend.init_len) &&
		    t >= pend.started + rf_try_ms) {
			finish_list(true);
			return 0;
		}
		if (card_answers(pend.brty, pend.init, pend.init_len))
			return pend.started + rf_try_ms;
		if (pend.deadline > 0 && t >= pend.deadline) {
			finish_list(false);
			return 0;
		}
		return pend.deadline;
	}
	/* InAutoPoll: one slot of Period x 150 ms per type, in order, PollNr
	 * times; a badge answers as soon as it is present in a slot of a
	 * type it matches. */
	long slot = (long)((t - pend.started) / pend.slot_ms);
	if (pend.slots > 0 && slot >= pend.slots) {
		finish_autopoll(0xff);
		return 0;
	}
	uint8_t type = pend.types[(size_t)slot % pend.ntypes];
	if (autopoll_type_matches(type) && t >= pend.started + rf_try_ms) {
		finish_autopoll(type);
		return 0;
	}
	return pend.started + (double)(slot + 1) * pend.slot_ms;
}

static void exec_indataexchange(const uint8_t *d, size_t len, bool thru)
{
	uint8_t out[64];
	size_t n = 0;
	const uint8_t *c = thru ? d : d + 1;
	size_t clen = thru ? len : (len > 0 ? len - 1 : 0);
	if (!card.present || !card.selected || clen == 0) {
		out[n++] = 0x01; /* timeout: nothing answered */
		answer_at(thru ? 0x42 : 0x40, out, n, rf_try_ms);
		return;
	}
	if (card.kind == CARD_DESFIRE) {
		out[n++] = 0x00;
		out[n++] = 0xa2; /* R(ACK) to the presence check's R(NAK) */
		answer_at(thru ? 0x42 : 0x40, out, n, 1);
		return;
	}
	if (!card_is_type2()) {
		out[n++] = 0x14; /* a Classic wants authentication first */
		card.selected = false;
		answer_at(thru ? 0x42 : 0x40, out, n, 1);
		return;
	}
	if (c[0] == 0x30 && clen >= 2) {
		size_t page = c[1];
		if (page >= card.pages) {
			out[n++] = 0x14; /* NAK */
			card.selected = false;
		} else {
			out[n++] = 0x00;
			for (size_t i = 0; i < 16; i++)
				out[n++] = card.mem[((page * 4) + i) % (card.pages * 4)];
		}
	} else if (c[0] == 0x60 && kinds[card.kind].version_size) {
		static const uint8_t ver[] = {0x00, 0x04, 0x04, 0x02, 0x01, 0x00, 0x00, 0x03};
		out[n++] = 0x00;
		memcpy(out + n, ver, sizeof ver);
		out[n + 6] = kinds[card.kind].version_size;
		n += sizeof ver;
	} else {
		/* Unknown to the tag: it NAKs and drops back to idle. */
		out[n++] = 0x01;
		card.selected = false;
	}
	answer_at(thru ? 0x42 : 0x40, out, n, 1);
}

static void exec_command(const uint8_t *d, size_t len)
{
	uint8_t cmd = d[0];
	const uint8_t *a = d + 1;
	size_t alen = len - 1;
	uint8_t out[FRAME_MAX];
	size_t n = 0;

	commands++;
	if (deaf_countdown == 0) {
		deaf = true;
		deaf_countdown = -1;
		emu_log("deaf at command %ld (0x%02x)", commands, cmd);
		return;
	}
	if (deaf_countdown > 0)
		deaf_countdown--;
	send_ack();
	switch (cmd) {
	case 0x00: /* Diagnose */
		if (alen >= 1 && a[0] == 0x06) {
			out[n++] = (card.present && card.selected) ? 0x00 : 0x01;
		} else {
			memcpy(out, a, alen);
			n = alen;
		}
		break;
	case 0x02: /* GetFirmwareVersion: PN532 v1.6, ISO14443A/B and 18092 */
		out[n++] = 0x32;
		out[n++] = 0x01;
		out[n++] = 0x06;
		out[n++] = 0x07;
		break;
	case 0x04: /* GetGeneralStatus */
		out[n++] = 0x00;
		out[n++] = 0x01;
		out[n++] = card.selected ? 1 : 0;
		out[n++] = 0x80;
		break;
	case 0x06: /* ReadRegister */
		for (size_t i = 0; i + 1 < alen; i += 2)
			out[n++] = regs[(a[i] << 8) | a[i + 1]];
		break;
	case 0x08: /* WriteRegister */
		for (size_t i = 0; i + 2 < alen; i += 3)
			regs[(a[i] << 8) | a[i + 1]] = a[i + 2];
		break;
	case 0x12: /* SetParameters */
		if (alen >= 1)
			parameters = a[0];
		break;
	case 0x14: /* SAMConfiguration */
		if (alen < 1 || a[0] < 1 || a[0] > 4) {
			send_error_frame();
			return;
		}
		break;
	case 0x16: /* PowerDown: answers, then sleeps until woken */
		out[n++] = 0x00;
		answer_at(cmd, out, n, 0);
		asleep = true;
		return;
	case 0x32: /* RFConfiguration */
		if (alen >= 4 && a[0] == 0x05)
			mx_rty_passive = a[3];
		if (alen >= 2 && a[0] == 0x01 && !(a[1] & 0x01))
			card.selected = false; /* field off: badges reset */
		break;
	case 0x44: /* InDeselect */
	case 0x52: /* InRelease */
		card.selected = false;
		out[n++] = 0x00;
		break;
	case 0x54: /* InSelect */
	case 0x4e: /* InPSL */ out[n++] = 0x00; break;
	case 0x40: /* InDataExchange */ exec_indataexchange(a, alen, false); return;
	case 0x42: /* InCommunicateThru */ exec_indataexchange(a, alen, true); return;
	case 0x4a: /* InListPassiveTarget */
		if (alen < 2) {
			send_error_frame();
			return;
		}
		memset(&pend, 0, sizeof pend);
		pend.active = true;
		pend.waiting = true;
		pend.cmd = cmd;
		pend.brty = a[1];
		pend.init_len = alen - 2 > sizeof pend.init ? sizeof pend.init : alen - 2;
		memcpy(pend.init, a + 2, pend.init_len);
		pend.started = now_ms();
		/* MxRtyPassiveActivation 0xff retries for ever; n: n+1 tries. */
		pend.deadline = mx_rty_passive == 0xff
		                    ? 0
		                    : pend.started + rf_try_ms * (double)(mx_rty_passive + 1);
		card.selected = false;
		pending_check(now_ms());
		return;
	case 0x60: /* InAutoPoll */
		if (alen < 3 || a[1] == 0 || a[1] > 0x0f) {
			send_error_frame();
			return;
		}
		memset(&pend, 0, sizeof pend);
		pend.active = true;
		pend.waiting = true;
		pend.cmd = cmd;
		pend.slots = a[0] == 0xff ? 0 : (long)a[0] * (long)(alen - 2);
		pend.slot_ms = 150.0 * a[1];
		pend.ntypes = alen - 2 > sizeof pend.types ? sizeof pend.types : alen - 2;
		memcpy(pend.types, a + 2, pend.ntypes);
		pend.started = now_ms();
		{
			char types[3 * 16 + 1] = "";
			for (size_t k = 0; k < pend.ntypes; k++)
				snprintf(types + 3 * k, 4, " %02x", pend.types[k]);
			/* The latency benchmark times its badges from this line. */
			emu_log("autopoll-start pollnr %u, %.0f ms slots, types%s", a[0],
			        pend.slot_ms, types);
		}
		card.selected = false;
		pending_check(now_ms());
		return;
	default:
		emu_log("unknown command 0x%02x", cmd);
		send_error_frame();
		return;
	}
	answer_at(cmd, out, n, 0);
}

static void wake(void)
{
	if (asleep || deaf || slow_ms > 0)
		emu_log("woken up%s%s", deaf && !deaf_sticky ? ", no longer deaf" : "",
		        slow_ms > 0 && !deaf_sticky ? ", fast again" : "");
	asleep = false;
	if (!deaf_sticky) {
		/* A fresh wake-up sequence revives a hung chip: the model of
		 * cheap boards that recover when re-initialised. */
		deaf = false;
		slow_ms = 0;
	}
}

/* Consumes what the host sent: wake-up bytes, ACK (abort), NACK
 * (repeat), normal and extended frames. */
static void parse_input(void)
{
	size_t i = 0;
	while (i < rx_len) {
		if (rx[i] == 0x55) {
			wake();
			i++;
			continue;
		}
		if (asleep || deaf) {
			i++;
			continue;
		}
		/* Look for the start code 00 FF. */
		if (rx[i] != 0x00) {
			i++;
			continue;
		}
		if (i + 1 >= rx_len)
			break;
		if (rx[i + 1] != 0xff) {
			i++;
			continue;
		}
		if (i + 3 >= rx_len)
			break;
		uint8_t l = rx[i + 2], lcs = rx[i + 3];
		if (l == 0x00 && lcs == 0xff) { /* ACK: abort the command */
			if (pend.active)
				emu_log("command 0x%02x aborted by the host", pend.cmd);
			pend.active = false;
			i += 4;
			continue;
		}
		if (l == 0xff && lcs == 0x00) { /* NACK: send the last answer again */
			send_raw(last_frame, last_frame_len);
			i += 4;
			continue;
		}
		size_t len, hdr;
		if (l == 0xff && lcs == 0xff) {
			if (i + 6 >= rx_len)
				break;
			if (((rx[i + 4] + rx[i + 5] + rx[i + 6]) & 0xff) != 0) {
				emu_log("extended frame length checksum error");
				i += 2;
				continue;
			}
			len = ((size_t)rx[i + 4] << 8) | rx[i + 5];
			hdr = 7;
		} else {
			if (((l + lcs) & 0xff) != 0) {
				emu_log("frame length checksum error");
				i += 2;
				continue;
			}
			len = l;
			hdr = 4;
		}
		if (i + hdr + len + 1 > rx_len)
			break; /* wait for the rest (data, DCS, postamble) */
		const uint8_t *d = rx + i + hdr;
		uint8_t sum = 0;
		for (size_t k = 0; k <= len; k++)
			sum = (uint8_t)(sum + d[k]);
		size_t consumed = hdr + len + 1;
		if (i + consumed < rx_len && rx[i + consumed] == 0x00)
			consumed++;
		if (sum != 0) {
			/* The chip drops a frame it cannot trust. */
			emu_log("frame data checksum error");
		} else if (len < 2 || d[0] != 0xd4) {
			send_ack();
			send_error_frame();
		} else {
			/* A new command ends whatever ran before it. */
			pend.active = false;
			exec_command(d + 1, len - 1);
		}
		i += consumed;
	}
	memmove(rx, rx + i, rx_len - i);
	rx_len -= i;
}

/* ---- script events ------------------------------------------------------ */

static bool run_event(const struct event *ev)
{
	switch (ev->kind) {
	case EV_PRESENT:
		card_setup(ev->card_kind, ev->uid, ev->uid_len);
		if (ev->has_ndef && card.pages)
			card_set_ndef(ev->ndef, ev->ndef_len, ev->ndef_raw);
		card.present = true;
		{
			char hex[32];
			for (size_t k = 0; k < ev->uid_len; k++)
				snprintf(hex + 2 * k, 3, "%02X", ev->uid[k]);
			emu_log("present %s %s", hex, kinds[ev->card_kind].name);
		}
		break;
	case EV_REMOVE:
		card.present = false;
		card.selected = false;
		emu_log("remove");
		break;
	case EV_DEAF_AFTER:
		deaf_countdown = ev->n > 0 ? ev->n : 1;
		emu_log("deaf after %ld more commands", deaf_countdown);
		break;
	case EV_DEAF:
		deaf = deaf_sticky = true;
		pend.active = false;
		emu_log("deaf until heal");
		break;
	case EV_SLOW:
		slow_ms = (double)ev->n;
		emu_log("slow %ld ms", ev->n);
		break;
	case EV_BAD_CHECKSUM:
		bad_checksums = ev->n > 0 ? ev->n : 1;
		emu_log("bad checksum on the next %ld answers", bad_checksums);
		break;
	case EV_GARBAGE:
		garbage_left = ev->n > 0 ? ev->n : -1;
		emu_log("garbage %ld", garbage_left);
		break;
	case EV_HEAL:
		deaf = deaf_sticky = false;
		deaf_countdown = -1;
		slow_ms = 0;
		garbage_left = 0;
		bad_checksums = 0;
		emu_log("heal");
		break;
	case EV_VANISH:
		pty_vanish();
		pend.active = false;
		rx_len = 0;
		asleep = true;
		break;
	case EV_REAPPEAR:
		if (master < 0 && pty_create() != 0) {
			emu_log("cannot create a pty");
			return false;
		}
		break;
	case EV_EXIT: return false;
	}
	return true;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	const char *script = NULL, *log_path = NULL;
	bool control = false;
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--script") == 0 && v) {
			script = v;
			i++;
		} else if (strcmp(argv[i], "--link") == 0 && v) {
			link_path = v;
			i++;
		} else if (strcmp(argv[i], "--path-file") == 0 && v) {
			path_file = v;
			i++;
		} else if (strcmp(argv[i], "--log") == 0 && v) {
			log_path = v;
			i++;
		} else if (strcmp(argv[i], "--rf-try-ms") == 0 && v) {
			rf_try_ms = atof(v);
			i++;
		} else if (strcmp(argv[i], "--cmd-ms") == 0 && v) {
			cmd_ms = atof(v);
			i++;
		} else if (strcmp(argv[i], "--extended") == 0) {
			force_extended = true;
		} else if (strcmp(argv[i], "--control") == 0) {
			control = true;
		} else {
			fprintf(stderr, "usage: pn532_emu [--script FILE] [--link PATH] "
			                "[--path-file FILE] [--log FILE] [--rf-try-ms N] "
			                "[--cmd-ms N] [--extended] [--control]\n");
			return 2;
		}
	}
	if (log_path) {
		log_file = fopen(log_path, "a");
		if (!log_file) {
			fprintf(stderr, "pn532_emu: cannot open %s\n", log_path);
			return 1;
		}
	}
	events = calloc(MAX_EVENTS, sizeof *events);
	if (!events)
		return 1;
	if (script && load_script(script) != 0)
		return 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	srand(1);
	start_ms = now_ms();
	if (pty_create() != 0) {
		fprintf(stderr, "pn532_emu: cannot create a pty\n");
		return 1;
	}
	char ctl[8192];
	size_t ctl_len = 0;
	bool running = true;
	while (running && !stop) {
		double t = now_ms();
		while (next_event < n_events && events[next_event].at + start_ms <= t) {
			if (!run_event(&events[next_event++])) {
				running = false;
				break;
			}
			pending_check(now_ms());
		}
		if (!running)
			break;
		double wake_at = t + 1000;
		if (next_event < n_events)
			wake_at = events[next_event].at + start_ms;
		if (pend.active && pend.waiting) {
			double w = pending_check(t);
			if (w > 0 && w < wake_at)
				wake_at = w;
		}
		if (pend.active && !pend.waiting) {
			if (pend.due <= t) {
				pend.active = false;
				if (master >= 0 && !deaf)
					send_response(pend.cmd, pend.data, pend.len);
				continue;
			}
			if (pend.due < wake_at)
				wake_at = pend.due;
		}
		struct pollfd pfd[2];
		int nfds = 0, master_idx = -1, ctl_idx = -1;
		if (master >= 0) {
			pfd[nfds].fd = master;
			pfd[nfds].events = POLLIN;
			master_idx = nfds++;
		}
		if (control) {
			pfd[nfds].fd = 0;
			pfd[nfds].events = POLLIN;
			ctl_idx = nfds++;
		}
		double wait = wake_at - now_ms();
		int timeout = wait <= 0 ? 0 : (int)(wait + 0.999);
		int rc = poll(pfd, (nfds_t)nfds, timeout);
		if (rc < 0 && errno != EINTR)
			break;
		if (rc <= 0)
			continue;
		if (master_idx >= 0 && (pfd[master_idx].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t r = read(master, rx + rx_len, sizeof rx - rx_len);
			if (r > 0) {
				rx_len += (size_t)r;
				parse_input();
				if (rx_len == sizeof rx)
					rx_len = 0;
			} else if (pfd[master_idx].revents & POLLHUP) {
				/* No host has the slave open: look again shortly
				 * rather than spin on the hang-up. */
				struct timespec ts = {0, 5 * 1000 * 1000};
				nanosleep(&ts, NULL);
			}
		}
		if (ctl_idx >= 0 && (pfd[ctl_idx].revents & (POLLIN | POLLHUP))) {
			ssize_t r = read(0, ctl + ctl_len, sizeof ctl - 1 - ctl_len);
			if (r <= 0) {
				control = false; /* stdin closed: the script alone runs on */
				continue;
			}
			ctl_len += (size_t)r;
			char *nl;
			while ((nl = memchr(ctl, '\n', ctl_len)) != NULL) {
				*nl = '\0';
				struct event ev;
				memset(&ev, 0, sizeof ev);
				char line[sizeof ctl];
				snprintf(line, sizeof line, "%s", ctl);
				if (line[0] && parse_command(line, &ev) == 0) {
					if (!run_event(&ev))
						running = false;
					pending_check(now_ms());
				} else if (line[0]) {
					emu_log("bad control line");
				}
				size_t used = (size_t)(nl - ctl) + 1;
				memmove(ctl, ctl + used, ctl_len - used);
				ctl_len -= used;
			}
			if (ctl_len == sizeof ctl - 1)
				ctl_len = 0;
		}
	}
	if (link_path)
		unlink(link_path);
	if (master >= 0)
		close(master);
	emu_log("exit after %ld commands", commands);
	free(events);
	return 0;
}
