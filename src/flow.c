/* The kiosk flow: the pure state machine behind the screens, from a badge tap
 * to a pair's answer. It decides what is shown and which writes the store must
 * make; docs/flow.md has the diagram, the table of transitions and the invariants. */
#include "cv_flow.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

/* The shortest a screen may last. A zero or negative duration from a bad
 * configuration would otherwise give a deadline of 0 ("never") or one that
 * has already passed when the screen is entered. */
#define FLOW_MIN_SCREEN_MS 1

static int64_t flow_deadline(int64_t now, int ms)
{
	if (ms < FLOW_MIN_SCREEN_MS)
		ms = FLOW_MIN_SCREEN_MS;
	/* Saturate rather than overflow: a caller's clock near INT64_MAX is a bug,
	 * not a reason for undefined behaviour. */
	if (now > INT64_MAX - ms)
		return INT64_MAX;
	return now + ms;
}

/* Welcome is the pair window in the modes that pair, and an ordinary message otherwise. */
static int flow_welcome_ms(const struct cv_flow_params *params)
{
	return params->mode == CV_MODE_CHECKIN ? params->message_ms : params->pair_window_ms;
}

static void flow_copy_tap(struct cv_flow_tap *dst, const struct cv_flow_tap *src)
{
	*dst = *src;
	/* The strings come from other threads and other modules: make sure they
	 * end, so strcmp and drawing cannot run off them. */
	dst->uid[sizeof dst->uid - 1] = '\0';
	dst->person.name[sizeof dst->person.name - 1] = '\0';
	dst->person.organization[sizeof dst->person.organization - 1] = '\0';
}

static void flow_enter(struct cv_flow_state *state, enum cv_screen screen, int64_t now,
                       int duration_ms)
{
	state->screen = screen;
	state->entered_ms = now;
	state->deadline_ms = screen == CV_SCREEN_IDLE ? 0 : flow_deadline(now, duration_ms);
	/* a choice lives only as long as its screen */
	state->consent_choice = CV_CONSENT_UNSET;
	state->consent_show_name = false;
}

static void flow_enter_idle(struct cv_flow_state *state, int64_t now)
{
	flow_enter(state, CV_SCREEN_IDLE, now, 0);
	memset(&state->first, 0, sizeof state->first);
	memset(&state->second, 0, sizeof state->second);
	state->answer = -1;
	state->encounter_recorded = false;
}

/* Welcome, unknown and refused show one tap. */
static void flow_enter_single(struct cv_flow_state *state, enum cv_screen screen,
                              const struct cv_flow_tap *tap, int64_t now, int duration_ms)
{
	flow_enter(state, screen, now, duration_ms);
	state->first = *tap;
	memset(&state->second, 0, sizeof state->second);
	state->answer = -1;
	state->encounter_recorded = false;
}

static struct cv_flow_effect *flow_push(struct cv_flow_effects *out, enum cv_flow_effect_kind kind)
{
	struct cv_flow_effect *fx;

	/* No transition emits more than two effects. */
	assert(out->count < CV_FLOW_EFFECTS_MAX);
	fx = &out->fx[out->count++];
	memset(fx, 0, sizeof *fx);
	fx->kind = kind;
	fx->answer = -1;
	return fx;
}

static void flow_push_sound(struct cv_flow_effects *out)
{
	flow_push(out, CV_FLOW_FX_SOUND);
}

/* A write for the pair on screen (first = A, second = B). Its id is never 0,
 * which means "no write", even when the counter wraps. */
static void flow_push_write(struct cv_flow_state *state, struct cv_flow_effects *out,
                            enum cv_flow_effect_kind kind, int answer)
{
	struct cv_flow_effect *fx = flow_push(out, kind);

	state->next_write_id++;
	if (state->next_write_id == 0)
		state->next_write_id = 1;
	state->pending_write_id = state->next_write_id;

	fx->write_id = state->next_write_id;
	fx->person_a = state->first.person.id;
	fx->person_b = state->second.person.id;
	fx->a_tap_seq = state->first.tap_seq;
	fx->b_tap_seq = state->second.tap_seq;
	fx->answer = answer;
}

static struct cv_flow_recent *flow_recent_find(struct cv_flow_state *state, const char *uid)
{
	for (int i = 0; i < CV_FLOW_RECENT; i++) {
		if (state->recent[i].uid[0] != '\0' && strcmp(state->recent[i].uid, uid) == 0)
			return &state->recent[i];
	}
	return NULL;
}

/* True when uid was last taken within debounce_ms: the same badge brought
 * back at once, which is a second read of one gesture, not a new tap. */
static bool flow_debounced(struct cv_flow_state *state, const struct cv_flow_params *params,
                           const char *uid, int64_t now)
{
	const struct cv_flow_recent *r;

	if (uid[0] == '\0')
		return false;
	r = flow_recent_find(state, uid);
	if (r == NULL)
		return false;
	/* now is never before a remembered tap (see cv_flow_step); if it were,
	 * no time would have passed. */
	return (now > r->at_ms ? now - r->at_ms : 0) < params->debounce_ms;
}

/* Remembers a taken tap: its own entry if the badge is known, else an empty
 * one, else the oldest (which is past the window whenever the window holds
 * fewer than CV_FLOW_RECENT badges). */
static void flow_remember(struct cv_flow_state *state, const char *uid, int64_t now)
{
	struct cv_flow_recent *slot;

	if (uid[0] == '\0')
		return;
	slot = flow_recent_find(state, uid);
	for (int i = 0; slot == NULL && i < CV_FLOW_RECENT; i++) {
		if (state->recent[i].uid[0] == '\0')
			slot = &state->recent[i];
	}
	if (slot == NULL) {
		slot = &state->recent[0];
		for (int i = 1; i < CV_FLOW_RECENT; i++) {
			if (state->recent[i].at_ms < slot->at_ms)
				slot = &state->recent[i];
		}
	}
	memcpy(slot->uid, uid, sizeof slot->uid);
	slot->at_ms = now;
}

/* The consent screen for the person in first, with what they agreed to
 * before (if anything) already chosen. */
static void flow_enter_consent(struct cv_flow_state *state, const struct cv_flow_params *params,
                               int64_t now)
{
	flow_enter(state, CV_SCREEN_CONSENT, now, params->prompt_timeout_ms);
	memset(&state->second, 0, sizeof state->second);
	state->answer = -1;
	state->encounter_recorded = false;
	state->consent_choice = state->first.person.consent;
	state->consent_show_name =
	    state->first.person.consent != CV_CONSENT_UNSET && state->first.person.show_name;
}

static bool flow_private(const struct cv_flow_person *a, const struct cv_flow_person *b)
{
	return a->consent == CV_CONSENT_ATTENDANCE || b->consent == CV_CONSENT_ATTENDANCE;
}

static bool flow_tap(struct cv_flow_state *state, const struct cv_flow_params *params,
                     const struct cv_flow_tap *raw, int64_t now, struct cv_flow_effects *out)
{
	struct cv_flow_tap tap;

	flow_copy_tap(&tap, raw);
	if (flow_debounced(state, params, tap.uid, now))
		return false;
	flow_remember(state, tap.uid, now);

	if (tap.random_uid) {
		/* A random UID identifies nobody, whatever a lookup may have said:
		 * never show a person for it. */
		memset(&tap.person, 0, sizeof tap.person);
		tap.checked_in_now = false;
		flow_enter_single(state, CV_SCREEN_REFUSED, &tap, now, params->message_ms);
		return true;
	}
	if (tap.person.id == 0) {
		flow_enter_single(state, CV_SCREEN_UNKNOWN, &tap, now, params->message_ms);
		return true;
	}
	if (tap.person.consent > CV_CONSENT_ENCOUNTERS)
		tap.person.consent = CV_CONSENT_UNSET; /* a value from nowhere: never said */
	if (params->consent_ask && tap.person.consent == CV_CONSENT_UNSET) {
		/* Never said what may be logged: ask before anything else. A
		 * person waiting on welcome loses their window, as with any
		 * badge that does not pair. */
		flow_enter_single(state, CV_SCREEN_CONSENT, &tap, now, params->prompt_timeout_ms);
		flow_enter_consent(state, params, now);
		return true;
	}
	if (state->screen == CV_SCREEN_WELCOME && params->mode != CV_MODE_CHECKIN &&
	    tap.person.id != state->first.person.id &&
	    flow_private(&state->first.person, &tap.person)) {
		/* One of them chose attendance only: the pair is not recorded,
		 * and the screen says so without saying who. */
		flow_enter(state, CV_SCREEN_PRIVATE, now, params->message_ms);
		state->second = tap;
		state->answer = -1;
		state->encounter_recorded = false;
		flow_push_sound(out);
		return true;
	}
	if (state->screen == CV_SCREEN_WELCOME && params->mode != CV_MODE_CHECKIN &&
	    tap.person.id != state->first.person.id) {
		/* The second person within the window (a passed window has already
		 * sent the screen back to idle): the pair. */
		flow_enter(state, CV_SCREEN_PROMPT, now, params->prompt_timeout_ms);
		state->second = tap;
		state->answer = -1;
		state->encounter_recorded = false;
		if (params->mode == CV_MODE_MEET) {
			flow_push_write(state, out, CV_FLOW_FX_RECORD_ENCOUNTER, -1);
			state->encounter_recorded = true;
		}
		return true;
	}
	/* Idle, a new person after any other screen, the same person again
	 * (which restarts the window), or any second person in checkin mode. */
	flow_enter_single(state, CV_SCREEN_WELCOME, &tap, now, flow_welcome_ms(params));
	flow_push_sound(out);
	return true;
}

static bool flow_press(struct cv_flow_state *state, const struct cv_flow_params *params, int option,
                       int64_t now, struct cv_flow_effects *out)
{
	if (state->screen != CV_SCREEN_PROMPT)
		return false;
	if (option < 0 || option >= params->option_count || option >= CV_FLOW_OPTIONS_MAX)
		return false;

	if (params->mode == CV_MODE_MEET) {
		/* The encounter was written at B's tap; "not together" is an answer too. */
		if (state->encounter_recorded)
			flow_push_write(state, out, CV_FLOW_FX_RECORD_ANSWER, option);
	} else if (params->mode == CV_MODE_BOTH && option != params->not_together) {
		flow_push_write(state, out, CV_FLOW_FX_RECORD_ENCOUNTER, option);
		state->encounter_recorded = true;
	}
	/* "Not together" in both mode writes nothing but still gets its thanks:
	 * the screen confirms that the choice was heard. */
	flow_enter(state, CV_SCREEN_THANKS, now, params->message_ms);
	state->answer = option;
	flow_push_sound(out);
	return true;
}

static bool flow_consent(struct cv_flow_state *state, const struct cv_flow_params *params,
                         enum cv_flow_consent_input input, int64_t now, struct cv_flow_effects *out)
{
	struct cv_flow_effect *fx;

	if (input == CV_FLOW_CONSENT_OPEN) {
		if (state->screen != CV_SCREEN_WELCOME)
			return false;
		/* the pair window ends: the person is busy choosing */
		flow_enter_consent(state, params, now);
		return true;
	}
	if (state->screen != CV_SCREEN_CONSENT)
		return false;
	switch (input) {
	case CV_FLOW_CONSENT_ATTENDANCE:
	case CV_FLOW_CONSENT_ENCOUNTERS: {
		enum cv_consent c = input == CV_FLOW_CONSENT_ATTENDANCE ? CV_CONSENT_ATTENDANCE
		                                                        : CV_CONSENT_ENCOUNTERS;
		if (state->consent_choice == c)
			return false;
		state->consent_choice = c;
		return true;
	}
	case CV_FLOW_CONSENT_SHOW_NAME:
	case CV_FLOW_CONSENT_HIDE_NAME: {
		bool show = input == CV_FLOW_CONSENT_SHOW_NAME;
		if (state->consent_show_name == show)
			return false;
		state->consent_show_name = show;
		return true;
	}
	case CV_FLOW_CONSENT_DONE:
		if (state->consent_choice == CV_CONSENT_UNSET)
			return false; /* nothing chosen yet: the button waits */
		state->first.person.consent = state->consent_choice;
		state->first.person.show_name = state->consent_show_name;
		fx = flow_push(out, CV_FLOW_FX_RECORD_CONSENT);
		state->next_write_id++;
		if (state->next_write_id == 0)
			state->next_write_id = 1;
		state->pending_write_id = state->next_write_id;
		fx->write_id = state->next_write_id;
		fx->person_a = state->first.person.id;
		fx->a_tap_seq = state->first.tap_seq;
		fx->consent = state->consent_choice;
		fx->show_name = state->consent_show_name;
		/* welcome again, with a fresh window: they may pair now */
		flow_enter(state, CV_SCREEN_WELCOME, now, flow_welcome_ms(params));
		flow_push_sound(out);
		return true;
	case CV_FLOW_CONSENT_OPEN:
	case CV_FLOW_CONSENT_INPUT_COUNT: break;
	}
	return false;
}

static bool flow_saved(struct cv_flow_state *state, uint32_t write_id, bool ok)
{
	bool was_failed = state->store_failed;
	uint32_t was_pending = state->pending_write_id;

	if (write_id == 0)
		return false;
	if (write_id == state->pending_write_id) {
		state->pending_write_id = 0;
		state->store_failed = !ok;
	} else if (!ok && write_id <= state->next_write_id) {
		/* An older write failed after a newer one was asked for: its data
		 * is lost all the same, so the warning stands. Ids above the counter
		 * were never handed out and are ignored. */
		state->store_failed = true;
	}
	return state->store_failed != was_failed || state->pending_write_id != was_pending;
}

void cv_flow_init(struct cv_flow_state *state)
{
	memset(state, 0, sizeof *state);
	state->screen = CV_SCREEN_IDLE;
	state->answer = -1;
	state->reader_online = true;
}

bool cv_flow_step(struct cv_flow_state *state, const struct cv_flow_params *params,
                  const struct cv_flow_event *ev, struct cv_flow_effects *out)
{
	bool changed = false;
	int64_t now;

	memset(out, 0, sizeof *out);

	/* A clock that runs backwards is the caller's bug: treat it as no time
	 * passing, so entered_ms never decreases and deadlines stay ahead. */
	now = ev->now_ms < state->entered_ms ? state->entered_ms : ev->now_ms;

	if (state->deadline_ms != 0 && now >= state->deadline_ms) {
		flow_enter_idle(state, now);
		changed = true;
	}

	switch (ev->kind) {
	case CV_FLOW_EV_TAP: changed |= flow_tap(state, params, &ev->u.tap, now, out); break;
	case CV_FLOW_EV_PRESS: changed |= flow_press(state, params, ev->u.option, now, out); break;
	case CV_FLOW_EV_TICK: break;
	case CV_FLOW_EV_READER:
		if (state->reader_online != ev->u.reader_online) {
			state->reader_online = ev->u.reader_online;
			changed = true;
		}
		break;
	case CV_FLOW_EV_SAVED:
		changed |= flow_saved(state, ev->u.saved.write_id, ev->u.saved.ok);
		break;
	case CV_FLOW_EV_CONSENT:
		changed |= flow_consent(state, params, ev->u.consent, now, out);
		break;
	default:
		/* An unknown kind changes nothing (deadlines were still applied). */
		break;
	}

	assert(cv_flow_check(state, params) == NULL);
	return changed;
}

static bool flow_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static bool flow_tap_terminated(const struct cv_flow_tap *tap)
{
	return flow_terminated(tap->uid, sizeof tap->uid) &&
	       flow_terminated(tap->person.name, sizeof tap->person.name) &&
	       flow_terminated(tap->person.organization, sizeof tap->person.organization);
}

static bool flow_tap_empty(const struct cv_flow_tap *tap)
{
	return tap->person.id == 0 && tap->uid[0] == '\0' && !tap->random_uid;
}

static const char *flow_check_params(const struct cv_flow_params *p)
{
	if (p->mode != CV_MODE_CHECKIN && p->mode != CV_MODE_MEET && p->mode != CV_MODE_BOTH)
		return "params: mode is not checkin, meet or both";
	if (p->option_count < 1 || p->option_count > CV_FLOW_OPTIONS_MAX)
		return "params: option_count is not in 1..CV_FLOW_OPTIONS_MAX";
	if (p->not_together < 0 || p->not_together >= p->option_count)
		return "params: not_together is not an option";
	return NULL;
}

static const char *flow_check_recent(const struct cv_flow_state *s)
{
	for (int i = 0; i < CV_FLOW_RECENT; i++) {
		const struct cv_flow_recent *r = &s->recent[i];

		if (!flow_terminated(r->uid, sizeof r->uid))
			return "recent: a uid is not terminated";
		if (r->uid[0] == '\0')
			continue;
		if (r->at_ms > s->entered_ms)
			return "recent: a tap is later than the screen it led to";
		for (int j = 0; j < i; j++) {
			if (strcmp(s->recent[j].uid, r->uid) == 0)
				return "recent: a badge is remembered twice";
		}
	}
	return NULL;
}

/* PROMPT and THANKS: two known, different people, and what was written for them. */
static const char *flow_check_pair(const struct cv_flow_state *s, const struct cv_flow_params *p)
{
	if (s->first.person.id == 0 || s->second.person.id == 0)
		return "pair: a person is missing";
	if (s->first.person.id == s->second.person.id)
		return "pair: a person is paired with themself";
	if (s->first.random_uid || s->second.random_uid)
		return "pair: a random UID is paired";
	if (s->screen == CV_SCREEN_PRIVATE) {
		if (!flow_private(&s->first.person, &s->second.person))
			return "private: both agreed to encounters";
		if (s->encounter_recorded)
			return "private: an encounter was written";
	} else if (flow_private(&s->first.person, &s->second.person)) {
		return "pair: someone who chose attendance only is prompted";
	}
	if (p == NULL)
		return NULL;
	if (p->mode == CV_MODE_CHECKIN)
		return "pair: a pair in checkin mode";
	if (p->mode == CV_MODE_MEET && s->screen != CV_SCREEN_PRIVATE && !s->encounter_recorded)
		return "pair: meet mode without the encounter written at the second tap";
	if (p->mode == CV_MODE_BOTH && s->screen == CV_SCREEN_PROMPT && s->encounter_recorded)
		return "pair: both mode wrote the encounter before the answer";
	if (p->mode == CV_MODE_BOTH && s->screen == CV_SCREEN_THANKS &&
	    s->encounter_recorded != (s->answer != p->not_together))
		return "pair: both mode wrote (or skipped) the encounter against the answer";
	return NULL;
}

const char *cv_flow_check(const struct cv_flow_state *s, const struct cv_flow_params *p)
{
	const char *why;

	if (s == NULL)
		return "state is NULL";
	if (p != NULL && (why = flow_check_params(p)) != NULL)
		return why;
	if ((unsigned)s->screen >= CV_SCREEN_COUNT)
		return "screen is out of range";
	if (s->entered_ms < 0)
		return "entered_ms is negative";
	if ((s->screen == CV_SCREEN_IDLE) != (s->deadline_ms == 0))
		return "deadline_ms is 0 at idle and only at idle";
	if (s->deadline_ms != 0 && s->deadline_ms < s->entered_ms)
		return "deadline_ms is before entered_ms";
	if (s->pending_write_id != 0 && s->pending_write_id != s->next_write_id)
		return "pending_write_id is not the newest write";
	if (s->store_failed && s->next_write_id == 0)
		return "store_failed without any write";
	if (!flow_tap_terminated(&s->first) || !flow_tap_terminated(&s->second))
		return "a tap's text is not terminated";
	if ((why = flow_check_recent(s)) != NULL)
		return why;
	if (s->screen == CV_SCREEN_THANKS) {
		if (s->answer < 0 || s->answer >= CV_FLOW_OPTIONS_MAX ||
		    (p != NULL && s->answer >= p->option_count))
			return "thanks: answer is not an option";
	} else if (s->answer != -1) {
		return "answer is set outside thanks";
	}
	if (s->screen != CV_SCREEN_PROMPT && s->screen != CV_SCREEN_THANKS) {
		if (s->encounter_recorded)
			return "encounter_recorded outside prompt and thanks";
		if (s->screen != CV_SCREEN_PRIVATE && !flow_tap_empty(&s->second))
			return "a second badge outside prompt, thanks and private";
	}
	if ((unsigned)s->first.person.consent > CV_CONSENT_ENCOUNTERS ||
	    (unsigned)s->second.person.consent > CV_CONSENT_ENCOUNTERS ||
	    (unsigned)s->consent_choice > CV_CONSENT_ENCOUNTERS)
		return "a consent is out of range";
	if (s->screen != CV_SCREEN_CONSENT &&
	    (s->consent_choice != CV_CONSENT_UNSET || s->consent_show_name))
		return "a consent choice outside the consent screen";

	switch (s->screen) {
	case CV_SCREEN_IDLE:
		if (!flow_tap_empty(&s->first))
			return "idle: a badge is shown";
		break;
	case CV_SCREEN_WELCOME:
		if (s->first.person.id == 0)
			return "welcome: nobody to welcome";
		if (s->first.random_uid)
			return "welcome: a random UID is welcomed";
		if (p != NULL && p->consent_ask && s->first.person.consent == CV_CONSENT_UNSET)
			return "welcome: the event asks, and the person has not said";
		break;
	case CV_SCREEN_CONSENT:
		if (s->first.person.id == 0 || s->first.random_uid)
			return "consent: nobody to ask";
		break;
	case CV_SCREEN_PROMPT:
	case CV_SCREEN_THANKS:
	case CV_SCREEN_PRIVATE: return flow_check_pair(s, p);
	case CV_SCREEN_UNKNOWN:
		if (s->first.person.id != 0)
			return "unknown: the badge has a person";
		if (s->first.random_uid)
			return "unknown: a random UID belongs on refused";
		break;
	case CV_SCREEN_REFUSED:
		if (!s->first.random_uid)
			return "refused: the UID is not random";
		if (s->first.person.id != 0)
			return "refused: a random UID shows a person";
		break;
	default: return "screen is out of range";
	}
	return NULL;
}

const char *cv_flow_screen_name(enum cv_screen screen)
{
	switch (screen) {
	case CV_SCREEN_IDLE: return "idle";
	case CV_SCREEN_WELCOME: return "welcome";
	case CV_SCREEN_PROMPT: return "prompt";
	case CV_SCREEN_THANKS: return "thanks";
	case CV_SCREEN_UNKNOWN: return "unknown";
	case CV_SCREEN_REFUSED: return "refused";
	case CV_SCREEN_CONSENT: return "consent";
	case CV_SCREEN_PRIVATE: return "private";
	default: break;
	}
	return "invalid";
}

static const char *const consent_ids[CV_FLOW_CONSENT_INPUT_COUNT] = {
    [CV_FLOW_CONSENT_OPEN] = "consent-open",
    [CV_FLOW_CONSENT_ATTENDANCE] = "consent-attendance",
    [CV_FLOW_CONSENT_ENCOUNTERS] = "consent-encounters",
    [CV_FLOW_CONSENT_SHOW_NAME] = "consent-show-name",
    [CV_FLOW_CONSENT_HIDE_NAME] = "consent-hide-name",
    [CV_FLOW_CONSENT_DONE] = "consent-done",
};

const char *cv_flow_consent_input_id(enum cv_flow_consent_input input)
{
	if ((unsigned)input >= CV_FLOW_CONSENT_INPUT_COUNT)
		return NULL;
	return consent_ids[input];
}

int cv_flow_consent_input_from_id(const char *id)
{
	for (int i = 0; id && i < CV_FLOW_CONSENT_INPUT_COUNT; i++)
		if (strcmp(id, consent_ids[i]) == 0)
			return i;
	return -1;
}
