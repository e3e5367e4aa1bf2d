/* Tap feedback on GPIO lines: an LED and a buzzer driven through libgpiod
 * (the character device, /dev/gpiochipN). The lines are held from open to
 * close by a small thread of their own, which times the pulses, so the
 * caller only posts a pattern and never waits on the device. */
#ifndef CV_FEEDBACK_H
#define CV_FEEDBACK_H

#include <stdbool.h>
#include <stddef.h>

#include "cv_config.h"

struct cv_feedback;

struct cv_feedback_options {
	const char *chip; /* "gpiochip0", "/dev/gpiochip0", "0" or a label ("pinctrl-rp1") */
	int led_line;     /* line offset; -1: no LED */
	int buzzer_line;  /* line offset; -1: no buzzer */
	bool active_low;  /* "on" drives the lines low */
	int led_ms;       /* the LED's pulse, > 0 */
	int buzzer_ms;    /* one beep, > 0 */
};

enum cv_feedback_pattern {
	CV_FEEDBACK_CONFIRM, /* a tap confirmed: one pulse of each line */
	CV_FEEDBACK_ERROR,   /* not saved, or a card that is no badge: two short pulses */
};

/* The options of cfg's [feedback] section. The strings point into cfg. */
struct cv_feedback_options cv_feedback_options_from_config(const struct cv_config *cfg);

/* True when opts names at least one line. */
bool cv_feedback_wanted(const struct cv_feedback_options *opts);

/* Opens the chip, requests each configured line as an output (consumer
 * "convene") driven off, and starts the thread. Returns 0 and *out, or
 * CV_EINVAL (no line, the same line twice, bad durations), CV_ENOTFOUND (no
 * such chip or line), CV_EPERM, CV_EBUSY (a line held by another consumer,
 * named in err), CV_EIO or CV_ENOMEM, with a message naming the chip and
 * line in err and *out NULL: nothing stays requested. Any thread; opening
 * is quick (a few ioctls). */
int cv_feedback_open(const struct cv_feedback_options *opts, struct cv_feedback **out, char *err,
                     size_t errlen);

/* One line for people ("LED line 17, buzzer line 27 on gpiochip0
 * [pinctrl-bcm2711]"). fb may be NULL ("off"). */
void cv_feedback_describe(const struct cv_feedback *fb, char *buf, size_t len);

/* Posts a pattern and returns at once. A pattern posted while another plays
 * replaces it from its start; when the queue is full the post is dropped
 * (a burst of taps needs no more than the pulse already queued). fb may be
 * NULL: nothing happens. Any thread. */
void cv_feedback_signal(struct cv_feedback *fb, enum cv_feedback_pattern pattern);

/* How long pattern takes to play out on fb, in milliseconds (0 for NULL). */
int cv_feedback_pattern_ms(const struct cv_feedback *fb, enum cv_feedback_pattern pattern);

/* Stops the thread at once (a pulse in progress is cut short), drives every
 * line off, releases the lines and frees fb. NULL is allowed. Not from the
 * feedback thread. */
void cv_feedback_close(struct cv_feedback *fb);

#endif
