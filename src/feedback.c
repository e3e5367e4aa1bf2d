/* The LED and buzzer of [feedback]: the chip and lines opened through
 * libgpiod (its v1 API, as in Debian bookworm), and the thread that plays
 * each posted pattern as a timed list of line edges. Only that thread
 * touches the lines between open and close. */
#include "cv_feedback.h"

#include <dirent.h>
#include <errno.h>
#include <gpiod.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cv_clock.h"
#include "cv_error.h"
#include "cv_log.h"
#include "cv_queue.h"

#define CV_LOG_TAG "feedback"

#define CONSUMER "convene"
/* Posts beyond this while a pattern plays are dropped: a burst of taps
 * needs no more than the pulses already queued. */
#define QUEUE_CAPACITY 4

enum { LINE_LED, LINE_BUZZER, LINE_COUNT };

static const char *const line_names[LINE_COUNT] = {"LED", "buzzer"};

struct cv_feedback {
	struct cv_feedback_options opts;
	char chip_spec[CV_ID_MAX]; /* opts.chip points here */
	struct gpiod_chip *chip;
	struct gpiod_line *lines[LINE_COUNT]; /* NULL: not configured */
	int offsets[LINE_COUNT];
	int pulse_ms[LINE_COUNT];
	struct cv_queue *queue; /* enum cv_feedback_pattern, UI thread to ours */
	pthread_t thread;
	atomic_bool stopping; /* close: play nothing more */
	int failures;         /* set_value errors, logged once; our thread only */
};

struct cv_feedback_options cv_feedback_options_from_config(const struct cv_config *cfg)
{
	return (struct cv_feedback_options){
	    .chip = cfg->feedback_chip,
	    .led_line = cfg->feedback_led_line,
	    .buzzer_line = cfg->feedback_buzzer_line,
	    .active_low = cfg->feedback_active_low,
	    .led_ms = cfg->feedback_led_ms,
	    .buzzer_ms = cfg->feedback_buzzer_ms,
	};
}

bool cv_feedback_wanted(const struct cv_feedback_options *opts)
{
	return opts->led_line >= 0 || opts->buzzer_line >= 0;
}

/* ---- patterns ---- */

struct edge {
	int at_ms;
	int line;
	int value; /* 1: on (libgpiod applies active-low) */
};

#define EDGES_MAX (LINE_COUNT * 2 * 2)

/* The edges of pattern in time order. A confirmation is one pulse of each
 * line, the LED's long enough to be seen and the buzzer's a short beep; an
 * error is two short pulses of both, as far apart as they are long, so the
 * two are told apart by ear and by eye. */
static int pattern_edges(const struct cv_feedback *fb, enum cv_feedback_pattern pattern,
                         struct edge *edges)
{
	int n = 0;
	int pulses = pattern == CV_FEEDBACK_ERROR ? 2 : 1;

	for (int l = 0; l < LINE_COUNT; l++) {
		if (!fb->lines[l])
			continue;
		int len = pattern == CV_FEEDBACK_ERROR ? fb->opts.buzzer_ms : fb->pulse_ms[l];
		for (int p = 0; p < pulses; p++) {
			edges[n++] = (struct edge){.at_ms = 2 * p * len, .line = l, .value = 1};
			edges[n++] =
			    (struct edge){.at_ms = (2 * p + 1) * len, .line = l, .value = 0};
		}
	}
	/* A handful of edges: insertion sort, stable so that equal times keep
	 * the LED before the buzzer. */
	for (int i = 1; i < n; i++) {
		struct edge e = edges[i];
		int j = i;
		for (; j > 0 && edges[j - 1].at_ms > e.at_ms; j--)
			edges[j] = edges[j - 1];
		edges[j] = e;
	}
	return n;
}

int cv_feedback_pattern_ms(const struct cv_feedback *fb, enum cv_feedback_pattern pattern)
{
	struct edge edges[EDGES_MAX];
	if (!fb)
		return 0;
	int n = pattern_edges(fb, pattern, edges);
	return n > 0 ? edges[n - 1].at_ms : 0;
}

/* ---- the thread ---- */

static void line_set(struct cv_feedback *fb, int line, int value)
{
	if (!fb->lines[line])
		return;
	if (gpiod_line_set_value(fb->lines[line], value) == 0)
		return;
	/* A chip that vanished (an unplugged USB GPIO adapter) fails every
	 * pulse: say so once, not at every tap. */
	if (fb->failures++ == 0)
		cv_log_warn("cannot set the %s line %d on %s: %s; feedback may be stuck",
		            line_names[line], fb->offsets[line], fb->opts.chip, strerror(errno));
}

static void lines_off(struct cv_feedback *fb)
{
	for (int l = 0; l < LINE_COUNT; l++)
		line_set(fb, l, 0);
}

static void *feedback_thread(void *arg)
{
	struct cv_feedback *fb = arg;
	enum cv_feedback_pattern pattern;
	int rc = cv_queue_pop(fb->queue, &pattern, -1);

	/* After close the queue still hands out what was posted: skip it. */
	while (rc == 1 && !atomic_load(&fb->stopping)) {
		struct edge edges[EDGES_MAX];
		int n = pattern_edges(fb, pattern, edges);
		int64_t start = cv_clock_mono_ms();
		int i = 0;

		/* A new pattern starts from everything off, whatever was lit. */
		lines_off(fb);
		rc = 0;
		while (i < n) {
			int64_t wait = start + edges[i].at_ms - cv_clock_mono_ms();
			if (wait <= 0) {
				line_set(fb, edges[i].line, edges[i].value);
				i++;
				continue;
			}
			/* Waiting on the queue is the sleep between edges: a new
			 * pattern or close cuts it short. */
			rc = cv_queue_pop(fb->queue, &pattern,
			                  wait > INT32_MAX ? INT32_MAX : (int)wait);
			if (rc != 0)
				break;
		}
		if (rc == 0)
			rc = cv_queue_pop(fb->queue, &pattern, -1);
	}
	lines_off(fb);
	return NULL;
}

/* ---- open and close ---- */

static bool all_digits(const char *s)
{
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* The first /dev/gpiochip* this process may not open, into path; false
 * when there is none. */
static bool find_denied_chip(char *path, size_t len)
{
	DIR *d = opendir("/dev");
	bool found = false;
	if (!d)
		return false;
	struct dirent *de;
	while (!found && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "gpiochip", 8) != 0)
			continue;
		snprintf(path, len, "/dev/%.200s", de->d_name);
		found = access(path, R_OK | W_OK) != 0 && errno == EACCES;
	}
	closedir(d);
	return found;
}

/* Why a chip named spec could not be opened, for errno e. libgpiod's lookup
 * tries the label, then the name or path, and leaves the errno of its last
 * try, so a chip that exists but may not be opened can show as missing:
 * look at the devices to tell that apart. */
static int chip_error(const char *spec, int e, char *err, size_t errlen)
{
	char path[300];
	bool by_label = false;

	if (strncmp(spec, "/dev/", 5) == 0)
		snprintf(path, sizeof path, "%.200s", spec);
	else if (all_digits(spec))
		snprintf(path, sizeof path, "/dev/gpiochip%.100s", spec);
	else {
		snprintf(path, sizeof path, "/dev/%.200s", spec);
		by_label = access(path, F_OK) != 0;
	}
	/* A label is found by opening every chip: one that may not be opened
	 * hides it. */
	bool denied =
	    e == EACCES || e == EPERM ||
	    (access(path, F_OK) == 0 && access(path, R_OK | W_OK) != 0 && errno == EACCES) ||
	    (by_label && find_denied_chip(path, sizeof path));
	if (denied) {
		cv_error_format(err, errlen,
		                "GPIO chip '%s': permission denied on %s (the kiosk's user needs "
		                "read and write access: the convene group, udev rule "
		                "60-convene.rules)",
		                spec, path);
		return CV_EPERM;
	}
	if (e == ENOENT || e == ENODEV || e == ENXIO) {
		cv_error_format(err, errlen,
		                "no GPIO chip '%s' (give a name such as gpiochip0, a /dev path, "
		                "a number or a label; `gpiodetect` lists them)",
		                spec);
		return CV_ENOTFOUND;
	}
	cv_error_format(err, errlen, "GPIO chip '%s': %s", spec, strerror(e));
	return CV_EIO;
}

/* Requests line l as an output, driven off. */
static int line_open(struct cv_feedback *fb, int l, char *err, size_t errlen)
{
	const char *chip = gpiod_chip_name(fb->chip);
	unsigned count = gpiod_chip_num_lines(fb->chip);
	int offset = fb->offsets[l];

	if ((unsigned)offset >= count) {
		cv_error_format(err, errlen, "[feedback] %s %d: %s has lines 0 to %u only",
		                l == LINE_LED ? "led_line" : "buzzer_line", offset, chip,
		                count - 1);
		return CV_ENOTFOUND;
	}
	struct gpiod_line *line = gpiod_chip_get_line(fb->chip, (unsigned)offset);
	if (!line) {
		cv_error_format(err, errlen, "%s line %d on %s: %s", line_names[l], offset, chip,
		                strerror(errno));
		return CV_EIO;
	}
	int flags = fb->opts.active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
	if (gpiod_line_request_output_flags(line, CONSUMER, flags, 0) == 0) {
		fb->lines[l] = line;
		return 0;
	}
	int e = errno;
	if (e == EBUSY) {
		const char *holder = NULL;
		if (gpiod_line_update(line) == 0)
			holder = gpiod_line_consumer(line);
		cv_error_format(err, errlen,
		                "%s line %d on %s is busy: in use by '%s' (another program, "
		                "a device-tree overlay or a kernel driver holds it)",
		                line_names[l], offset, chip, holder ? holder : "?");
		return CV_EBUSY;
	}
	cv_error_format(err, errlen, "%s line %d on %s: %s", line_names[l], offset, chip,
	                strerror(e));
	return e == EACCES || e == EPERM ? CV_EPERM : CV_EIO;
}

static void feedback_free(struct cv_feedback *fb)
{
	for (int l = 0; l < LINE_COUNT; l++) {
		if (fb->lines[l]) {
			gpiod_line_set_value(fb->lines[l], 0);
			gpiod_line_release(fb->lines[l]);
		}
	}
	if (fb->chip)
		gpiod_chip_close(fb->chip);
	cv_queue_destroy(fb->queue);
	free(fb);
}

int cv_feedback_open(const struct cv_feedback_options *opts, struct cv_feedback **out, char *err,
                     size_t errlen)
{
	*out = NULL;
	cv_error_format(err, errlen, "%s", "");
	if (!cv_feedback_wanted(opts)) {
		cv_error_format(err, errlen, "[feedback]: neither led_line nor buzzer_line is set");
		return CV_EINVAL;
	}
	if (opts->led_line == opts->buzzer_line) {
		cv_error_format(err, errlen,
		                "[feedback] led_line and buzzer_line are both %d: they need a "
		                "line each",
		                opts->led_line);
		return CV_EINVAL;
	}
	if (!opts->chip || !opts->chip[0] || strlen(opts->chip) >= CV_ID_MAX || opts->led_ms <= 0 ||
	    opts->buzzer_ms <= 0) {
		cv_error_format(err, errlen, "[feedback]: no chip, or a pulse of no length");
		return CV_EINVAL;
	}

	struct cv_feedback *fb = calloc(1, sizeof *fb);
	if (!fb) {
		cv_error_format(err, errlen, "out of memory");
		return CV_ENOMEM;
	}
	fb->opts = *opts;
	snprintf(fb->chip_spec, sizeof fb->chip_spec, "%s", opts->chip);
	fb->opts.chip = fb->chip_spec;
	fb->offsets[LINE_LED] = opts->led_line;
	fb->offsets[LINE_BUZZER] = opts->buzzer_line;
	fb->pulse_ms[LINE_LED] = opts->led_ms;
	fb->pulse_ms[LINE_BUZZER] = opts->buzzer_ms;

	int rc = cv_queue_create(sizeof(enum cv_feedback_pattern), QUEUE_CAPACITY, NULL, NULL,
	                         &fb->queue);
	if (rc != 0) {
		cv_error_format(err, errlen, "out of memory");
		goto fail;
	}
	errno = 0;
	fb->chip = gpiod_chip_open_lookup(opts->chip);
	if (!fb->chip) {
		rc = chip_error(opts->chip, errno, err, errlen);
		goto fail;
	}
	for (int l = 0; l < LINE_COUNT; l++) {
		if (fb->offsets[l] < 0)
			continue;
		rc = line_open(fb, l, err, errlen);
		if (rc != 0)
			goto fail;
	}
	if (pthread_create(&fb->thread, NULL, feedback_thread, fb) != 0) {
		cv_error_format(err, errlen, "cannot start the feedback thread");
		rc = CV_ENOMEM;
		goto fail;
	}
	*out = fb;
	return 0;

fail:
	feedback_free(fb);
	return rc;
}

void cv_feedback_describe(const struct cv_feedback *fb, char *buf, size_t len)
{
	size_t used = 0;

	if (!fb) {
		snprintf(buf, len, "off");
		return;
	}
	buf[0] = '\0';
	for (int l = 0; l < LINE_COUNT && used < len; l++) {
		if (!fb->lines[l])
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s line %d", used ? ", " : "",
		                         line_names[l], fb->offsets[l]);
	}
	if (used < len)
		snprintf(buf + used, len - used, " on %s [%s]%s", gpiod_chip_name(fb->chip),
		         gpiod_chip_label(fb->chip), fb->opts.active_low ? ", active low" : "");
}

void cv_feedback_signal(struct cv_feedback *fb, enum cv_feedback_pattern pattern)
{
	if (!fb)
		return;
	/* Never waits: the caller is the UI thread. */
	(void)cv_queue_try_push(fb->queue, &pattern);
}

void cv_feedback_close(struct cv_feedback *fb)
{
	if (!fb)
		return;
	atomic_store(&fb->stopping, true);
	cv_queue_close(fb->queue);
	pthread_join(fb->thread, NULL);
	feedback_free(fb);
}
