/* The sim reader: replays a script of taps, presses and touches on its
 * timeline for headless runs and demos, and takes injected taps from the
 * window's number keys. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cv_clock.h"
#include "cv_error.h"
#include "cv_fileutil.h"
#include "cv_log.h"
#include "reader_backend.h"

#define CV_LOG_TAG "reader-sim"

#define SIM_SCRIPT_MAX_BYTES (16u << 20)
#define SIM_INJECT_MAX 16

struct sim_reader {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool aborted;
	struct cv_sim_step *steps;
	size_t step_count;
	size_t next_step;
	int64_t next_due_ms; /* monotonic time the next step is due */
	bool has_script;
	bool done_reported;
	bool remove_pending; /* a tap's removal follows its presence */
	char present_uid[CV_UID_HEX_MAX];
	char injected[SIM_INJECT_MAX][CV_UID_HEX_MAX];
	size_t injected_count;
};

static int sim_open(const struct cv_config *cfg, void **impl, char *err, size_t errlen)
{
	struct sim_reader *s = calloc(1, sizeof *s);
	if (!s)
		return CV_ENOMEM;
	if (cfg->reader_script[0]) {
		char *text = NULL;
		size_t len = 0;
		int rc = cv_file_read_all(cfg->reader_script, SIM_SCRIPT_MAX_BYTES, &text, &len);
		if (rc != 0) {
			snprintf(err, errlen, "%s: cannot read the sim script: %s",
			         cfg->reader_script, cv_strerror(rc));
			free(s);
			return rc;
		}
		char why[256];
		rc = cv_simscript_parse(text, len, &s->steps, &s->step_count, why, sizeof why);
		free(text);
		if (rc != 0) {
			snprintf(err, errlen, "%s: %s", cfg->reader_script, why);
			free(s);
			return rc;
		}
		s->has_script = true;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &attr);
	pthread_condattr_destroy(&attr);
	s->next_due_ms = cv_clock_mono_ms() + (s->step_count ? s->steps[0].delay_ms : 0);
	*impl = s;
	return 0;
}

static void fill_badge(struct cv_reader_event *ev, enum cv_reader_event_kind kind,
                       const char *uid_hex)
{
	memset(ev, 0, sizeof *ev);
	ev->kind = kind;
	ev->mono_ms = cv_clock_mono_ms();
	if (kind == CV_READER_EV_PRESENT) {
		cv_badge_uid_parse(uid_hex, true, ev->uid, &ev->uid_len);
		cv_badge_uid_format(ev->uid, ev->uid_len, ev->uid_hex);
		snprintf(ev->card_type, sizeof ev->card_type, "sim");
	}
}

/* Turns the due script step into an event. Called with the lock held. */
static void sim_emit_step(struct sim_reader *s, struct cv_reader_event *ev)
{
	const struct cv_sim_step *st = &s->steps[s->next_step++];
	char uid_hex[CV_UID_HEX_MAX] = "";

	if (st->kind == CV_SIM_TAP || st->kind == CV_SIM_PRESENT)
		cv_badge_uid_format(st->uid, st->uid_len, uid_hex);
	switch (st->kind) {
	case CV_SIM_TAP:
		fill_badge(ev, CV_READER_EV_PRESENT, uid_hex);
		s->remove_pending = true;
		break;
	case CV_SIM_PRESENT:
		fill_badge(ev, CV_READER_EV_PRESENT, uid_hex);
		snprintf(s->present_uid, sizeof s->present_uid, "%s", uid_hex);
		break;
	case CV_SIM_REMOVE:
		fill_badge(ev, CV_READER_EV_REMOVED, "");
		s->present_uid[0] = '\0';
		break;
	case CV_SIM_PRESS:
		fill_badge(ev, CV_READER_EV_PRESS, "");
		snprintf(ev->option, sizeof ev->option, "%s", st->option);
		break;
	case CV_SIM_TOUCH:
		fill_badge(ev, CV_READER_EV_TOUCH, "");
		ev->x = st->x;
		ev->y = st->y;
		break;
	}
	if (s->next_step < s->step_count)
		s->next_due_ms += s->steps[s->next_step].delay_ms;
}

static int sim_next(void *impl, int timeout_ms, struct cv_reader_event *ev)
{
	struct sim_reader *s = impl;
	int64_t give_up = cv_clock_mono_ms() + timeout_ms;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		if (s->aborted) {
			rc = CV_ECLOSED;
			break;
		}
		if (s->remove_pending) {
			s->remove_pending = false;
			fill_badge(ev, CV_READER_EV_REMOVED, "");
			rc = 1;
			break;
		}
		if (s->injected_count > 0) {
			fill_badge(ev, CV_READER_EV_PRESENT, s->injected[0]);
			memmove(s->injected[0], s->injected[1],
			        (s->injected_count - 1) * sizeof s->injected[0]);
			s->injected_count--;
			s->remove_pending = true;
			rc = 1;
			break;
		}
		int64_t now = cv_clock_mono_ms();
		if (s->next_step < s->step_count && now >= s->next_due_ms) {
			sim_emit_step(s, ev);
			rc = 1;
			break;
		}
		if (s->has_script && s->next_step == s->step_count && !s->done_reported) {
			s->done_reported = true;
			fill_badge(ev, CV_READER_EV_SCRIPT_DONE, "");
			rc = 1;
			break;
		}
		int64_t wake = give_up;
		if (s->next_step < s->step_count && s->next_due_ms < wake)
			wake = s->next_due_ms;
		if (now >= give_up)
			break;
		/* Condition variables cannot wait on CLOCK_BOOTTIME: wait the
		 * same span on CLOCK_MONOTONIC. */
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t span = wake - now;
		ts.tv_sec += span / 1000;
		ts.tv_nsec += (span % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->cond, &s->lock, &ts);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static void sim_abort(void *impl)
{
	struct sim_reader *s = impl;
	pthread_mutex_lock(&s->lock);
	s->aborted = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static int sim_inject_tap(void *impl, const char *uid_hex)
{
	struct sim_reader *s = impl;
	uint8_t uid[CV_UID_MAX];
	size_t len;

	if (cv_badge_uid_parse(uid_hex, true, uid, &len) != 0)
		return CV_EINVAL;
	pthread_mutex_lock(&s->lock);
	if (s->injected_count == SIM_INJECT_MAX) {
		pthread_mutex_unlock(&s->lock);
		return CV_EFULL;
	}
	cv_badge_uid_format(uid, len, s->injected[s->injected_count++]);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static void sim_close(void *impl)
{
	struct sim_reader *s = impl;
	if (!s)
		return;
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s->steps);
	free(s);
}

const struct cv_reader_ops cv_reader_sim_ops = {
    .name = "sim",
    .open = sim_open,
    .next = sim_next,
    .abort = sim_abort,
    .inject_tap = sim_inject_tap,
    .close = sim_close,
};
