/* The libnfc reader backend: polls the configured modulations, reports one
 * PRESENT per physical presence and REMOVED when the badge leaves, reads
 * the NDEF of Type 2 tags, watches the reader's health while idle, and
 * reopens it with backoff after it vanishes, stops answering or answers
 * garbage. Everything but abort runs in the reader thread. */
#include <nfc/nfc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cv_badge.h"
#include "cv_clock.h"
#include "cv_error.h"
#include "cv_log.h"
#include "cv_ndef.h"
#include "cv_reader_check.h"
#include "reader_backend.h"

#define CV_LOG_TAG "reader-nfc"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 5000
/* A poll cycle never starts sooner than this after the last one: a chip
 * that answers "nothing there" at once would otherwise make the thread
 * spin. A tap waits at most this long for the next cycle. */
#define POLL_FLOOR_MS 8
#define PRESENCE_EVERY_MS 30
/* A health answer is slow when it takes 5x the first one measured after
 * opening, but never less than SLOW_FLOOR_MS (scheduling noise on a busy
 * kiosk), or more than SLOW_LIMIT_MS whatever the first one was. */
#define SLOW_FACTOR 5
#define SLOW_FLOOR_US (50 * 1000)
#define SLOW_LIMIT_US (500 * 1000)
#define TAG_TIMEOUT_MS 100 /* one Type 2 READ or GET_VERSION */
#define QUEUE_MAX 8
#define MALFORMED_SEEN 8

struct nfc_backend {
	char connstring[CV_PATH_MAX];
	unsigned modulations;
	int health_interval_ms;

	nfc_context *ctx;
	/* dev is swapped only under lock, so abort (any thread) never sees
	 * a device being closed. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	nfc_device *dev;
	atomic_bool aborted;

	int lock_fd;
	bool online;           /* ONLINE reported, OFFLINE not since */
	bool offline_reported; /* OFFLINE reported, ONLINE not since */
	int backoff_ms;
	int64_t next_open_ms;
	char last_failure[128];

	int64_t next_probe_ms;
	int64_t base_rtt_us; /* first health answer after opening */
	int64_t last_poll_ms;

	bool have_target;
	nfc_target target;
	uint8_t uid[CV_UID_MAX];
	size_t uid_len;
	char uid_hex[CV_UID_HEX_MAX];
	int64_t next_presence_ms;

	/* UIDs whose malformed NDEF was logged: once per badge */
	char malformed[MALFORMED_SEEN][CV_UID_HEX_MAX];
	size_t malformed_next;

	struct cv_reader_event queue[QUEUE_MAX];
	size_t q_head, q_len;
};

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void push(struct nfc_backend *b, const struct cv_reader_event *ev)
{
	if (b->q_len == QUEUE_MAX) {
		/* The caller drains after every step, so this is a bug. */
		cv_log_error("event queue full, dropping an event");
		return;
	}
	b->queue[(b->q_head + b->q_len) % QUEUE_MAX] = *ev;
	b->q_len++;
}

static void push_simple(struct nfc_backend *b, enum cv_reader_event_kind kind, const char *detail)
{
	struct cv_reader_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = kind;
	ev.mono_ms = cv_clock_mono_ms();
	snprintf(ev.detail, sizeof ev.detail, "%s", detail ? detail : "");
	push(b, &ev);
}

/* Sleeps until the monotonic time `until` or an abort, whichever first. */
static void wait_until(struct nfc_backend *b, int64_t until_ms)
{
	int64_t left = until_ms - cv_clock_mono_ms();
	if (left <= 0)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += left / 1000;
	ts.tv_nsec += (left % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&b->lock);
	while (!atomic_load(&b->aborted)) {
		if (pthread_cond_timedwait(&b->cond, &b->lock, &ts) != 0)
			break;
	}
	pthread_mutex_unlock(&b->lock);
}

static const char *nfc_error_text(int rc)
{
	switch (rc) {
	case NFC_EIO: return "input/output error";
	case NFC_ETIMEOUT: return "no answer in time";
	case NFC_ECHIP: return "chip error";
	case NFC_EOPABORTED: return "aborted";
	case NFC_EINVARG: return "invalid argument";
	case NFC_EDEVNOTSUPP: return "not supported by the device";
	case NFC_ENOTSUCHDEV: return "no such device";
	case NFC_EOVFLOW: return "buffer overflow";
	case NFC_ERFTRANS: return "RF transmission error";
	case NFC_ETGRELEASED: return "target released";
	case NFC_EMFCAUTHFAIL: return "authentication failed";
	case NFC_ENOTIMPL: return "not implemented";
	case NFC_ESOFT: return "software error";
	default: return "error";
	}
}

/* Closes the device; the lock keeps abort from using it meanwhile. */
static void device_close(struct nfc_backend *b)
{
	pthread_mutex_lock(&b->lock);
	nfc_device *dev = b->dev;
	b->dev = NULL;
	if (dev)
		nfc_close(dev); /* releases the badge, field off, power down */
	pthread_mutex_unlock(&b->lock);
	b->have_target = false;
}

/* One liveness round trip, timed. libnfc's public API has no firmware
 * query after opening, so this switches the RF field on (it is on
 * already): one RFConfiguration command the chip must ACK and answer. */
static int probe(struct nfc_backend *b, int64_t *rtt_us)
{
	int64_t t0 = mono_us();
	int rc = nfc_device_set_property_bool(b->dev, NP_ACTIVATE_FIELD, true);
	*rtt_us = mono_us() - t0;
	return rc;
}

static void firmware_text(nfc_device *dev, char *out, size_t size)
{
	char *info = NULL;
	snprintf(out, size, "unknown firmware");
	if (nfc_device_get_information_about(dev, &info) >= 0 && info) {
		/* The first line reads "chip: PN532 v1.6". */
		const char *p = strncmp(info, "chip: ", 6) == 0 ? info + 6 : info;
		size_t n = strcspn(p, "\n");
		snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), p);
	}
	nfc_free(info);
}

static void report_failure(struct nfc_backend *b, const char *detail)
{
	if (strcmp(detail, b->last_failure) != 0) {
		cv_log_warn("reader %s: %s", b->connstring[0] ? b->connstring : "(libnfc default)",
		            detail);
		snprintf(b->last_failure, sizeof b->last_failure, "%s", detail);
	}
	if (!b->offline_reported) {
		push_simple(b, CV_READER_EV_OFFLINE, detail);
		b->offline_reported = true;
		b->online = false;
	}
}

/* Opens and configures the device. On failure reports OFFLINE (once per
 * outage) and schedules the next try with a doubling backoff. */
static int device_open(struct nfc_backend *b)
{
	char detail[128];
	if (b->lock_fd < 0) {
		char path[CV_PATH_MAX];
		long holder = 0;
		int rc = cv_reader_lock(b->connstring, &b->lock_fd, &holder, path, sizeof path);
		if (rc == CV_EBUSY) {
			snprintf(detail, sizeof detail,
			         "in use by another program (pid %ld, %.60s)", holder, path);
			goto fail;
		}
		if (rc != 0)
			cv_log_warn("cannot take the reader lock %s; going on without it", path);
	}
	if (cv_reader_clear_stale_claim(b->connstring) == 1)
		cv_log_warn("cleared a claim left on %s by a program that stopped", b->connstring);

	/* libnfc declares the connstring as a whole nfc_connstring array. */
	nfc_connstring wanted;
	snprintf(wanted, sizeof wanted, "%s", b->connstring);
	nfc_device *dev = nfc_open(b->ctx, wanted[0] ? wanted : NULL);
	if (!dev) {
		char why[128];
		if (cv_reader_diagnose(b->connstring, why, sizeof why) != 0)
			snprintf(detail, sizeof detail, "%.127s", why);
		else if (b->connstring[0])
			snprintf(detail, sizeof detail, "no reader answers on %.100s",
			         b->connstring);
		else
			snprintf(detail, sizeof detail,
			         "no reader found (set [reader] connstring)");
		goto fail;
	}
	int rc = nfc_initiator_init(dev);
	/* Each select is one InListPassiveTarget that returns at once when
	 * nothing is there; with libnfc's default infinite select an idle
	 * select waits out its 300 ms timeout and reports an error. */
	if (rc >= 0)
		rc = nfc_device_set_property_bool(dev, NP_INFINITE_SELECT, false);
	if (rc < 0) {
		snprintf(detail, sizeof detail, "the reader on %.60s failed to initialise: %s",
		         nfc_device_get_connstring(dev), nfc_error_text(rc));
		nfc_close(dev);
		goto fail;
	}
	char fw[64];
	firmware_text(dev, fw, sizeof fw);
	pthread_mutex_lock(&b->lock);
	b->dev = dev;
	pthread_mutex_unlock(&b->lock);

	int64_t rtt = 0;
	rc = probe(b, &rtt);
	if (rc < 0) {
		snprintf(detail, sizeof detail,
		         "the reader stopped answering right after opening: %s",
		         nfc_error_text(rc));
		device_close(b);
		goto fail;
	}
	b->base_rtt_us = rtt > 0 ? rtt : 1;
	b->next_probe_ms = cv_clock_mono_ms() + b->health_interval_ms;
	b->backoff_ms = BACKOFF_MIN_MS;
	b->last_failure[0] = '\0';
	snprintf(detail, sizeof detail, "%.60s, %.60s", nfc_device_get_name(dev), fw);
	cv_log_info("reader online: %s (%s), health answer in %lld us", detail,
	            nfc_device_get_connstring(dev), (long long)rtt);
	if (!b->online) {
		push_simple(b, CV_READER_EV_ONLINE, detail);
		b->online = true;
		b->offline_reported = false;
	}
	return 0;
fail:
	report_failure(b, detail);
	b->next_open_ms = cv_clock_mono_ms() + b->backoff_ms;
	b->backoff_ms = b->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : b->backoff_ms * 2;
	return CV_EDEVICE;
}

/* The reader failed: the badge (if any) is gone for us, the device is
 * closed, OFFLINE reported, and the first reopen is tried at once. */
static void go_offline(struct nfc_backend *b, const char *detail)
{
	if (b->have_target) {
		struct cv_reader_event ev;
		memset(&ev, 0, sizeof ev);
		ev.kind = CV_READER_EV_REMOVED;
		ev.mono_ms = cv_clock_mono_ms();
		memcpy(ev.uid, b->uid, b->uid_len);
		ev.uid_len = b->uid_len;
		memcpy(ev.uid_hex, b->uid_hex, sizeof ev.uid_hex);
		push(b, &ev);
	}
	report_failure(b, detail);
	device_close(b);
	b->next_open_ms = cv_clock_mono_ms();
	b->backoff_ms = BACKOFF_MIN_MS;
}

/* A command failed with rc during `what`. A reader that still answers
 * had a glitch (a bad checksum, a badge torn away); one that does not is
 * offline. */
static void command_failed(struct nfc_backend *b, int rc, const char *what)
{
	int64_t rtt;
	int prc = probe(b, &rtt);
	if (prc >= 0) {
		cv_log_info("%s failed (%s) but the reader answers: going on", what,
		            nfc_error_text(rc));
		return;
	}
	char detail[128];
	if (rc == NFC_ETIMEOUT || prc == NFC_ETIMEOUT)
		snprintf(detail, sizeof detail, "the reader stopped answering (%s)", what);
	else
		snprintf(detail, sizeof detail,
		         "the reader failed during %.30s: %s (unplugged or "
		         "answering garbage)",
		         what, nfc_error_text(rc));
	go_offline(b, detail);
}

/* Re-opens the device in place after it answered too slowly. */
static void reinitialise(struct nfc_backend *b, int64_t rtt_us)
{
	cv_log_warn("the reader answered in %lld ms (%lld ms after opening): re-initialising",
	            (long long)(rtt_us / 1000), (long long)(b->base_rtt_us / 1000));
	device_close(b);
	bool was_online = b->online;
	b->online = true; /* no ONLINE event for a re-initialisation that works */
	if (device_open(b) == 0) {
		cv_log_info("reader recovered after re-initialisation");
		return;
	}
	if (!was_online)
		b->online = false;
}

static void health_check(struct nfc_backend *b)
{
	int64_t rtt;
	b->next_probe_ms = cv_clock_mono_ms() + b->health_interval_ms;
	int rc = probe(b, &rtt);
	if (rc < 0) {
		if (rc == NFC_EOPABORTED)
			return;
		cv_log_warn("health check failed: %s", nfc_error_text(rc));
		/* One re-initialisation first: cheap boards that went deaf
		 * after hours idle usually answer again after a wake-up. */
		device_close(b);
		report_failure(b, "the reader stopped answering its health check");
		if (device_open(b) == 0)
			cv_log_info("reader recovered after re-initialisation");
		return;
	}
	int64_t limit = b->base_rtt_us * SLOW_FACTOR;
	if (limit < SLOW_FLOOR_US)
		limit = SLOW_FLOOR_US;
	if (rtt <= limit && rtt <= SLOW_LIMIT_US)
		return;
	/* Once more, so one scheduling hiccup does not cost a re-open. */
	rc = probe(b, &rtt);
	if (rc >= 0 && rtt <= limit && rtt <= SLOW_LIMIT_US)
		return;
	reinitialise(b, rtt);
}

static void uid_cascade(const uint8_t *uid, size_t len, uint8_t *out, size_t *out_len)
{
	/* ISO14443-3 cascade levels: 7- and 10-byte UIDs start with CT 0x88. */
	if (len == 7) {
		out[0] = 0x88;
		memcpy(out + 1, uid, 7);
		*out_len = 8;
	} else if (len == 10) {
		out[0] = 0x88;
		memcpy(out + 1, uid, 3);
		out[4] = 0x88;
		memcpy(out + 5, uid + 3, 7);
		*out_len = 12;
	} else {
		memcpy(out, uid, len);
		*out_len = len;
	}
}

static void card_type_a(const nfc_iso14443a_info *nai, char *out, size_t size)
{
	unsigned atqa = ((unsigned)nai->abtAtqa[0] << 8) | nai->abtAtqa[1];
	uint8_t sak = nai->btSak;
	const char *t = "ISO14443A";
	if (atqa == 0x0044 && sak == 0x00)
		t = "NTAG/Ultralight";
	else if (sak == 0x08 || sak == 0x88)
		t = "MIFARE Classic 1K";
	else if (sak == 0x18)
		t = "MIFARE Classic 4K";
	else if (sak == 0x09)
		t = "MIFARE Mini";
	else if (sak == 0x28)
		t = "MIFARE Classic 1K / ISO14443-4";
	else if ((sak & 0x20) && atqa == 0x0344)
		t = "DESFire / ISO14443-4";
	else if (sak & 0x20)
		t = "ISO14443-4";
	snprintf(out, size, "%s", t);
}

/* GET_VERSION (0x60) tells NTAG213/215/216 and Ultralight EV1 apart. A
 * plain Ultralight does not know it and drops back to idle, so it is
 * selected again. */
static void type2_version(struct nfc_backend *b, struct cv_reader_event *ev)
{
	uint8_t cmd = 0x60, ver[8];
	int rc = nfc_initiator_transceive_bytes(b->dev, &cmd, 1, ver, sizeof ver, TAG_TIMEOUT_MS);
	if (rc == 8 && ver[1] == 0x04) {
		const char *name = NULL;
		if (ver[2] == 0x04)
			name = ver[6] == 0x0f   ? "NTAG213"
			       : ver[6] == 0x11 ? "NTAG215"
			       : ver[6] == 0x13 ? "NTAG216"
			                        : "NTAG";
		else if (ver[2] == 0x03)
			name = "MIFARE Ultralight EV1";
		if (name)
			snprintf(ev->card_type, sizeof ev->card_type, "%s", name);
		return;
	}
	snprintf(ev->card_type, sizeof ev->card_type, "MIFARE Ultralight");
	uint8_t init[12];
	size_t init_len;
	nfc_target nt;
	uid_cascade(b->uid, b->uid_len, init, &init_len);
	if (nfc_initiator_select_passive_target(b->dev, b->target.nm, init, init_len, &nt) > 0)
		b->target = nt;
}

static int tag_read(struct nfc_backend *b, uint8_t page, uint8_t out[16])
{
	uint8_t cmd[2] = {0x30, page};
	int rc = nfc_initiator_transceive_bytes(b->dev, cmd, sizeof cmd, out, 16, TAG_TIMEOUT_MS);
	if (rc < 0)
		return rc;
	return rc == 16 ? 0 : NFC_EIO;
}

static bool malformed_seen(struct nfc_backend *b, const char *uid_hex)
{
	for (size_t i = 0; i < MALFORMED_SEEN; i++)
		if (strcmp(b->malformed[i], uid_hex) == 0)
			return true;
	snprintf(b->malformed[b->malformed_next], CV_UID_HEX_MAX, "%s", uid_hex);
	b->malformed_next = (b->malformed_next + 1) % MALFORMED_SEEN;
	return false;
}

/* Reads the NDEF of a Type 2 tag: the capability container in page 3,
 * then user memory from page 4 only as far as the TLVs need, never past
 * the data area the CC declares nor CV_NDEF_USER_MAX. */
static void type2_ndef(struct nfc_backend *b, struct cv_reader_event *ev)
{
	uint8_t mem[CV_NDEF_USER_MAX + 16], page[16];
	int rc = tag_read(b, 3, page);
	if (rc < 0) {
		cv_log_info("badge %s: cannot read its capability container: %s", ev->uid_hex,
		            nfc_error_text(rc));
		return;
	}
	if (page[0] != 0xe1) {
		snprintf(ev->ndef_info, sizeof ev->ndef_info, "not NDEF formatted");
		return;
	}
	size_t cap = (size_t)page[2] * 8;
	if (cap > CV_NDEF_USER_MAX)
		cap = CV_NDEF_USER_MAX;
	size_t have = cap < 12 ? cap : 12;
	memcpy(mem, page + 4, have);
	while (have < cap && cv_ndef_tlv_needed(mem, have) > have) {
		rc = tag_read(b, (uint8_t)(4 + have / 4), page);
		if (rc < 0) {
			cv_log_info("badge %s: NDEF read stopped at byte %zu: %s", ev->uid_hex,
			            have, nfc_error_text(rc));
			return;
		}
		size_t n = cap - have < 16 ? cap - have : 16;
		memcpy(mem + have, page, n);
		have += n;
	}
	const char *why = "";
	rc = cv_ndef_attendee_id(mem, have, ev->ndef_id, sizeof ev->ndef_id, &why);
	cv_ndef_describe(mem, have, ev->ndef_info, sizeof ev->ndef_info);
	if (rc == CV_EINVAL || rc == CV_ETOOBIG || rc == CV_EUNSUPPORTED) {
		if (!malformed_seen(b, ev->uid_hex))
			cv_log_warn("badge %s: NDEF ignored: %s", ev->uid_hex, why);
	}
}

static void on_target(struct nfc_backend *b, const nfc_target *nt)
{
	struct cv_reader_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = CV_READER_EV_PRESENT;
	ev.mono_ms = cv_clock_mono_ms();
	const uint8_t *uid = NULL;
	size_t uid_len = 0;
	bool type2 = false;
	switch (nt->nm.nmt) {
	case NMT_ISO14443A:
		uid = nt->nti.nai.abtUid;
		uid_len = nt->nti.nai.szUidLen;
		card_type_a(&nt->nti.nai, ev.card_type, sizeof ev.card_type);
		type2 = nt->nti.nai.abtAtqa[0] == 0x00 && nt->nti.nai.abtAtqa[1] == 0x44 &&
		        nt->nti.nai.btSak == 0x00;
		break;
	case NMT_ISO14443B:
		uid = nt->nti.nbi.abtPupi;
		uid_len = 4;
		snprintf(ev.card_type, sizeof ev.card_type, "ISO14443B");
		break;
	case NMT_FELICA:
		uid = nt->nti.nfi.abtId;
		uid_len = 8;
		snprintf(ev.card_type, sizeof ev.card_type, "FeliCa");
		break;
	default: break;
	}
	if (!uid || uid_len == 0 || uid_len > CV_UID_MAX) {
		cv_log_info("ignoring a target without a usable identifier");
		return;
	}
	memcpy(ev.uid, uid, uid_len);
	ev.uid_len = uid_len;
	cv_badge_uid_format(uid, uid_len, ev.uid_hex);
	b->have_target = true;
	b->target = *nt;
	memcpy(b->uid, uid, uid_len);
	b->uid_len = uid_len;
	memcpy(b->uid_hex, ev.uid_hex, sizeof b->uid_hex);
	if (type2) {
		type2_version(b, &ev);
		type2_ndef(b, &ev);
	}
	b->next_presence_ms = cv_clock_mono_ms() + PRESENCE_EVERY_MS;
	cv_log_debug("badge %s present (%s)", ev.uid_hex, ev.card_type);
	push(b, &ev);
}

static void badge_removed(struct nfc_backend *b)
{
	struct cv_reader_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = CV_READER_EV_REMOVED;
	ev.mono_ms = cv_clock_mono_ms();
	memcpy(ev.uid, b->uid, b->uid_len);
	ev.uid_len = b->uid_len;
	memcpy(ev.uid_hex, b->uid_hex, sizeof ev.uid_hex);
	b->have_target = false;
	/* The next health check waits a full interval: polling just proved
	 * the reader answers. */
	b->next_probe_ms = cv_clock_mono_ms() + b->health_interval_ms;
	push(b, &ev);
}

static void check_presence(struct nfc_backend *b)
{
	int rc = nfc_initiator_target_is_present(b->dev, NULL);
	b->next_presence_ms = cv_clock_mono_ms() + PRESENCE_EVERY_MS;
	if (rc == 0)
		return;
	if (rc == NFC_EDEVNOTSUPP || rc == NFC_EINVARG) {
		/* No ping for this card type: select it again by its UID. */
		uint8_t init[12];
		size_t init_len;
		nfc_target nt;
		const uint8_t *init_p = NULL;
		if (b->target.nm.nmt == NMT_ISO14443A) {
			uid_cascade(b->uid, b->uid_len, init, &init_len);
			init_p = init;
		} else {
			init_len = 0;
		}
		rc = nfc_initiator_select_passive_target(b->dev, b->target.nm, init_p, init_len,
		                                         &nt);
		if (rc > 0)
			return;
		if (rc == 0) {
			badge_removed(b);
			return;
		}
	}
	if (rc == NFC_ETGRELEASED || rc == NFC_ERFTRANS || rc == NFC_EMFCAUTHFAIL) {
		badge_removed(b);
		return;
	}
	if (rc == NFC_EOPABORTED)
		return;
	/* A reader that still answers had a glitch: the badge stays, and
	 * the next check (30 ms on) tells whether it is still there. */
	command_failed(b, rc, "the presence check");
}

static void poll_once(struct nfc_backend *b)
{
	static const nfc_modulation mod_a = {.nmt = NMT_ISO14443A, .nbr = NBR_106};
	static const nfc_modulation mod_b = {.nmt = NMT_ISO14443B, .nbr = NBR_106};
	static const nfc_modulation mod_f212 = {.nmt = NMT_FELICA, .nbr = NBR_212};
	static const nfc_modulation mod_f424 = {.nmt = NMT_FELICA, .nbr = NBR_424};
	nfc_modulation mods[4];
	size_t n = 0;
	if (b->modulations & CV_MODULATION_ISO14443A)
		mods[n++] = mod_a;
	if (b->modulations & CV_MODULATION_ISO14443B)
		mods[n++] = mod_b;
	if (b->modulations & CV_MODULATION_FELICA) {
		mods[n++] = mod_f212;
		mods[n++] = mod_f424;
	}
	b->last_poll_ms = cv_clock_mono_ms();
	for (size_t i = 0; i < n; i++) {
		nfc_target nt;
		int rc = nfc_initiator_select_passive_target(b->dev, mods[i], NULL, 0, &nt);
		if (rc > 0) {
			on_target(b, &nt);
			return;
		}
		if (rc == NFC_EOPABORTED || atomic_load(&b->aborted))
			return;
		if (rc < 0) {
			command_failed(b, rc, "polling");
			return;
		}
	}
}

/* One unit of work with the device open: a presence check while a badge
 * is on the reader, else a health check when due, else a poll cycle. */
static void step(struct nfc_backend *b, int64_t deadline)
{
	int64_t now = cv_clock_mono_ms();
	if (b->have_target) {
		if (now < b->next_presence_ms) {
			wait_until(b,
			           b->next_presence_ms < deadline ? b->next_presence_ms : deadline);
			return;
		}
		check_presence(b);
		return;
	}
	if (now >= b->next_probe_ms) {
		health_check(b);
		return;
	}
	if (now < b->last_poll_ms + POLL_FLOOR_MS) {
		int64_t until = b->last_poll_ms + POLL_FLOOR_MS;
		wait_until(b, until < deadline ? until : deadline);
		return;
	}
	poll_once(b);
}

static int nfc_next(void *impl, int timeout_ms, struct cv_reader_event *ev)
{
	struct nfc_backend *b = impl;
	int64_t deadline = cv_clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	bool stepped = false;
	for (;;) {
		if (atomic_load(&b->aborted))
			return CV_ECLOSED;
		if (b->q_len > 0) {
			*ev = b->queue[b->q_head];
			b->q_head = (b->q_head + 1) % QUEUE_MAX;
			b->q_len--;
			return 1;
		}
		int64_t now = cv_clock_mono_ms();
		if (stepped && now >= deadline)
			return 0;
		stepped = true;
		if (!b->dev) {
			if (now >= b->next_open_ms) {
				device_open(b);
				continue;
			}
			wait_until(b, b->next_open_ms < deadline ? b->next_open_ms : deadline);
			continue;
		}
		step(b, deadline);
	}
}

static void nfc_abort(void *impl)
{
	struct nfc_backend *b = impl;
	atomic_store(&b->aborted, true);
	/* trylock: while the reader thread closes or opens the device it
	 * holds the lock, and it checks the flag right after. */
	if (pthread_mutex_trylock(&b->lock) == 0) {
		if (b->dev)
			nfc_abort_command(b->dev);
		pthread_cond_broadcast(&b->cond);
		pthread_mutex_unlock(&b->lock);
	} else {
		pthread_mutex_lock(&b->lock);
		pthread_cond_broadcast(&b->cond);
		pthread_mutex_unlock(&b->lock);
	}
}

static int nfc_backend_open(const struct cv_config *cfg, void **impl, char *err, size_t errlen)
{
	*impl = NULL;
	struct nfc_backend *b = calloc(1, sizeof *b);
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return CV_ENOMEM;
	}
	snprintf(b->connstring, sizeof b->connstring, "%s", cfg->reader_connstring);
	b->modulations =
	    cfg->reader_modulations ? cfg->reader_modulations : (unsigned)CV_MODULATION_ISO14443A;
	b->health_interval_ms =
	    cfg->reader_health_interval_ms > 0 ? cfg->reader_health_interval_ms : 5000;
	b->lock_fd = -1;
	b->backoff_ms = BACKOFF_MIN_MS;
	atomic_init(&b->aborted, false);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	int rc = pthread_cond_init(&b->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0) {
		free(b);
		snprintf(err, errlen, "cannot create a condition variable");
		return CV_ENOMEM;
	}
	pthread_mutex_init(&b->lock, NULL);
	nfc_init(&b->ctx);
	if (!b->ctx) {
		snprintf(err, errlen, "libnfc failed to initialise");
		pthread_mutex_destroy(&b->lock);
		pthread_cond_destroy(&b->cond);
		free(b);
		return CV_EDEVICE;
	}
	*impl = b;
	return 0;
}

static void nfc_backend_close(void *impl)
{
	struct nfc_backend *b = impl;
	if (!b)
		return;
	device_close(b);
	nfc_exit(b->ctx);
	cv_reader_unlock(b->lock_fd);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->cond);
	free(b);
}

const struct cv_reader_ops cv_reader_nfc_ops = {
    .name = "nfc",
    .open = nfc_backend_open,
    .next = nfc_next,
    .abort = nfc_abort,
    .inject_tap = NULL,
    .close = nfc_backend_close,
};
