/* Organiser mode: the pure state machine from the organiser's badge through
 * the PIN keypad to the menu and its screens (live, enrolment, zone, sync,
 * export). It decides what is shown and which actions the caller carries out;
 * docs/flow.md ("Organiser mode") has the table of transitions. */
#include "cv_organizer.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

static int64_t org_after(int64_t now, int ms)
{
	if (ms < 1)
		ms = 1;
	if (now > INT64_MAX - ms)
		return INT64_MAX;
	return now + ms;
}

static struct cv_org_effect *org_push(struct cv_org_effects *out, enum cv_org_effect_kind kind)
{
	struct cv_org_effect *fx;

	assert(out->count < CV_ORG_EFFECTS_MAX);
	fx = &out->fx[out->count++];
	memset(fx, 0, sizeof *fx);
	fx->kind = kind;
	return fx;
}

/* Enters screen at now: every screen but a finished notice closes after the
 * timeout from the last touch, which entering counts as. */
static void org_enter(struct cv_org_state *s, const struct cv_org_params *p,
                      enum cv_org_screen screen, int64_t now)
{
	s->screen = screen;
	s->touched_ms = now;
	s->deadline_ms = screen == CV_ORG_OFF ? 0 : org_after(now, p->timeout_ms);
	if (screen != CV_ORG_PIN) {
		memset(s->pin, 0, sizeof s->pin);
		s->pin_len = 0;
	}
	if (screen != CV_ORG_SEARCH)
		memset(s->query, 0, sizeof s->query);
	if (screen != CV_ORG_NOTICE) {
		s->notice = CV_ORG_NOTICE_NONE;
		s->pending = CV_ORG_NOTICE_NONE;
		s->notice_ok = false;
	}
	if (screen != CV_ORG_SEARCH && screen != CV_ORG_BADGE && screen != CV_ORG_NOTICE)
		memset(&s->badge, 0, sizeof s->badge);
}

/* A touch on the same screen: the timeout starts over. */
static void org_touch(struct cv_org_state *s, const struct cv_org_params *p, int64_t now)
{
	s->touched_ms = now;
	if (s->screen != CV_ORG_NOTICE || s->notice == CV_ORG_NOTICE_WORKING)
		s->deadline_ms = org_after(now, p->timeout_ms);
}

static void org_close(struct cv_org_state *s, const struct cv_org_params *p, int64_t now,
                      struct cv_org_effects *out)
{
	org_enter(s, p, CV_ORG_OFF, now);
	memset(&s->organizer, 0, sizeof s->organizer);
	s->pin_wrong = false;
	org_push(out, CV_ORG_FX_CLOSED);
}

/* An action was asked for: a "working" notice until DONE. */
static void org_work(struct cv_org_state *s, const struct cv_org_params *p, int64_t now,
                     enum cv_org_notice what)
{
	org_enter(s, p, CV_ORG_NOTICE, now);
	s->notice = CV_ORG_NOTICE_WORKING;
	s->pending = what;
	switch (what) {
	case CV_ORG_NOTICE_BOUND:
	case CV_ORG_NOTICE_UNBOUND:
	case CV_ORG_NOTICE_REVOKED:
	case CV_ORG_NOTICE_RANDOM: s->notice_return = CV_ORG_ENROL; break;
	default: s->notice_return = CV_ORG_MENU; break;
	}
}

static void org_finish(struct cv_org_state *s, const struct cv_org_params *p, int64_t now,
                       enum cv_org_notice what, bool ok)
{
	s->notice = what;
	s->pending = CV_ORG_NOTICE_NONE;
	s->notice_ok = ok;
	s->touched_ms = now;
	s->deadline_ms = org_after(now, p->notice_ms);
}

static size_t org_utf8_last(const char *s, size_t len)
{
	size_t i = len;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--;
	return i > 0 ? i - 1 : 0;
}

static void org_search(struct cv_org_state *s, struct cv_org_effects *out)
{
	struct cv_org_effect *fx = org_push(out, CV_ORG_FX_SEARCH);

	memcpy(fx->text, s->query, sizeof fx->text);
}

static bool org_enrol_tap(struct cv_org_state *s, const struct cv_org_params *p,
                          const struct cv_flow_tap *tap, int64_t now, struct cv_org_effects *out)
{
	if (tap->random_uid) {
		org_work(s, p, now, CV_ORG_NOTICE_RANDOM);
		org_finish(s, p, now, CV_ORG_NOTICE_RANDOM, false);
		return true;
	}
	if (tap->uid[0] == '\0')
		return false;
	if (tap->person.id == 0) {
		org_enter(s, p, CV_ORG_SEARCH, now);
		s->badge = *tap;
		org_search(s, out);
	} else {
		org_enter(s, p, CV_ORG_BADGE, now);
		s->badge = *tap;
	}
	return true;
}

static bool org_tap(struct cv_org_state *s, const struct cv_org_params *p,
                    const struct cv_flow_tap *raw, int64_t now, struct cv_org_effects *out)
{
	struct cv_flow_tap tap = *raw;
	bool enrolling = s->screen == CV_ORG_ENROL || s->screen == CV_ORG_SEARCH ||
	                 s->screen == CV_ORG_BADGE ||
	                 (s->screen == CV_ORG_NOTICE && s->notice != CV_ORG_NOTICE_WORKING &&
	                  s->notice_return == CV_ORG_ENROL);

	tap.uid[sizeof tap.uid - 1] = '\0';
	tap.person.name[sizeof tap.person.name - 1] = '\0';
	tap.person.organization[sizeof tap.person.organization - 1] = '\0';
	if (s->screen == CV_ORG_OFF)
		return false;
	if (enrolling)
		return org_enrol_tap(s, p, &tap, now, out);
	/* The organiser's own badge again (a second read, a nervous tap) keeps
	 * the mode; anyone else's tap is an attendee's: the kiosk is theirs. */
	if (!tap.random_uid && tap.person.id != 0 && tap.person.id == s->organizer.id)
		return false;
	org_close(s, p, now, out);
	org_push(out, CV_ORG_FX_PASS_TAP)->tap = tap;
	return true;
}

static bool org_digit(struct cv_org_state *s, const struct cv_org_params *p, int digit, int64_t now)
{
	if (s->screen != CV_ORG_PIN || cv_org_locked(s, now) || digit < 0 || digit > 9 ||
	    s->pin_len >= CV_ORG_PIN_MAX)
		return false;
	s->pin[s->pin_len++] = (char)('0' + digit);
	s->pin[s->pin_len] = '\0';
	s->pin_wrong = false;
	org_touch(s, p, now);
	return true;
}

static bool org_erase(struct cv_org_state *s, const struct cv_org_params *p, int64_t now,
                      struct cv_org_effects *out)
{
	if (s->screen == CV_ORG_PIN && s->pin_len > 0) {
		s->pin[--s->pin_len] = '\0';
		org_touch(s, p, now);
		return true;
	}
	if (s->screen == CV_ORG_SEARCH && s->query[0] != '\0') {
		size_t len = strlen(s->query);

		memset(s->query + org_utf8_last(s->query, len), 0,
		       len - org_utf8_last(s->query, len));
		org_touch(s, p, now);
		org_search(s, out);
		return true;
	}
	return false;
}

static bool org_text(struct cv_org_state *s, const struct cv_org_params *p, const char *raw,
                     int64_t now, struct cv_org_effects *out)
{
	size_t n = strnlen(raw, sizeof((struct cv_org_event *)0)->u.text);
	size_t len = strlen(s->query);

	if (s->screen != CV_ORG_SEARCH || n == 0 || n >= sizeof((struct cv_org_event *)0)->u.text)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)raw[i] < 0x20 || raw[i] == 0x7f)
			return false; /* a keyboard never types control characters */
	if (len + n >= sizeof s->query)
		return false;
	memcpy(s->query + len, raw, n);
	s->query[len + n] = '\0';
	org_touch(s, p, now);
	org_search(s, out);
	return true;
}

static bool org_enter_pin(struct cv_org_state *s, const struct cv_org_params *p, int64_t now,
                          struct cv_org_effects *out)
{
	struct cv_org_effect *fx;

	if (s->screen != CV_ORG_PIN || cv_org_locked(s, now) || s->pin_len < CV_ORG_PIN_MIN)
		return false;
	fx = org_push(out, CV_ORG_FX_VERIFY_PIN);
	memcpy(fx->text, s->pin, (size_t)s->pin_len + 1);
	/* The digits leave the state with the effect: nothing keeps them. */
	org_enter(s, p, CV_ORG_CHECKING, now);
	return true;
}

static bool org_checked(struct cv_org_state *s, const struct cv_org_params *p, bool ok, int64_t now)
{
	if (s->screen != CV_ORG_CHECKING)
		return false;
	if (ok) {
		s->failures = 0;
		s->pin_wrong = false;
		org_enter(s, p, CV_ORG_MENU, now);
		return true;
	}
	s->pin_wrong = true;
	if (++s->failures >= p->max_failures) {
		s->failures = 0;
		s->locked_until_ms = org_after(now, p->lock_ms);
	}
	org_enter(s, p, CV_ORG_PIN, now);
	return true;
}

static bool org_item(struct cv_org_state *s, const struct cv_org_params *p, enum cv_org_item item,
                     int64_t now, struct cv_org_effects *out)
{
	if (s->screen != CV_ORG_MENU)
		return false;
	switch (item) {
	case CV_ORG_ITEM_LIVE: org_enter(s, p, CV_ORG_LIVE, now); return true;
	case CV_ORG_ITEM_ENROL: org_enter(s, p, CV_ORG_ENROL, now); return true;
	case CV_ORG_ITEM_ZONE: org_enter(s, p, CV_ORG_ZONE, now); return true;
	case CV_ORG_ITEM_SYNC:
		org_work(s, p, now, CV_ORG_NOTICE_SYNC);
		org_push(out, CV_ORG_FX_SYNC);
		return true;
	case CV_ORG_ITEM_EXPORT:
		org_work(s, p, now, CV_ORG_NOTICE_EXPORT);
		org_push(out, CV_ORG_FX_EXPORT);
		return true;
	case CV_ORG_ITEM_BACK: org_close(s, p, now, out); return true;
	case CV_ORG_ITEM_COUNT: break;
	}
	return false;
}

static bool org_back(struct cv_org_state *s, const struct cv_org_params *p, int64_t now,
                     struct cv_org_effects *out)
{
	switch (s->screen) {
	case CV_ORG_OFF: return false;
	case CV_ORG_PIN:
	case CV_ORG_CHECKING:
	case CV_ORG_MENU: org_close(s, p, now, out); return true;
	case CV_ORG_LIVE:
	case CV_ORG_ENROL:
	case CV_ORG_ZONE: org_enter(s, p, CV_ORG_MENU, now); return true;
	case CV_ORG_SEARCH:
	case CV_ORG_BADGE: org_enter(s, p, CV_ORG_ENROL, now); return true;
	case CV_ORG_NOTICE:
		if (s->notice == CV_ORG_NOTICE_WORKING)
			return false; /* the action is under way: its outcome will show */
		org_enter(s, p, s->notice_return, now);
		return true;
	case CV_ORG_SCREEN_COUNT: break;
	}
	return false;
}

static bool org_badge_action(struct cv_org_state *s, const struct cv_org_params *p,
                             enum cv_org_effect_kind kind, int64_t now, struct cv_org_effects *out)
{
	char uid[CV_UID_HEX_MAX];

	if (s->screen != CV_ORG_BADGE)
		return false;
	memcpy(uid, s->badge.uid, sizeof uid);
	org_work(s, p, now,
	         kind == CV_ORG_FX_UNBIND ? CV_ORG_NOTICE_UNBOUND : CV_ORG_NOTICE_REVOKED);
	memcpy(org_push(out, kind)->uid, uid, sizeof uid);
	return true;
}

static bool org_pick(struct cv_org_state *s, const struct cv_org_params *p,
                     const struct cv_flow_person *person, int64_t now, struct cv_org_effects *out)
{
	struct cv_org_effect *fx;

	if (s->screen != CV_ORG_SEARCH || person->id <= 0)
		return false;
	s->badge.person = *person;
	s->badge.person.name[sizeof s->badge.person.name - 1] = '\0';
	s->badge.person.organization[sizeof s->badge.person.organization - 1] = '\0';
	org_work(s, p, now, CV_ORG_NOTICE_BOUND);
	fx = org_push(out, CV_ORG_FX_BIND);
	memcpy(fx->uid, s->badge.uid, sizeof fx->uid);
	fx->person = person->id;
	return true;
}

void cv_org_init(struct cv_org_state *state)
{
	memset(state, 0, sizeof *state);
	state->screen = CV_ORG_OFF;
	state->notice_return = CV_ORG_MENU;
}

bool cv_org_active(const struct cv_org_state *state)
{
	return state->screen != CV_ORG_OFF;
}

bool cv_org_locked(const struct cv_org_state *state, int64_t now_ms)
{
	return state->locked_until_ms != 0 && now_ms < state->locked_until_ms;
}

bool cv_org_step(struct cv_org_state *s, const struct cv_org_params *p,
                 const struct cv_org_event *ev, struct cv_org_effects *out)
{
	bool changed = false;
	int64_t now = ev->now_ms < s->touched_ms ? s->touched_ms : ev->now_ms;

	memset(out, 0, sizeof *out);
	if (s->deadline_ms != 0 && now >= s->deadline_ms) {
		if (s->screen == CV_ORG_NOTICE && s->notice != CV_ORG_NOTICE_WORKING)
			org_enter(s, p, s->notice_return, now);
		else
			org_close(s, p, now, out);
		changed = true;
	}
	/* A lock that ran out is forgotten, so the keypad redraws unlocked. */
	if (s->locked_until_ms != 0 && now >= s->locked_until_ms) {
		s->locked_until_ms = 0;
		changed |= s->screen == CV_ORG_PIN;
	}

	switch (ev->kind) {
	case CV_ORG_EV_OPEN:
		if (s->screen != CV_ORG_OFF || !p->enabled || ev->u.person.id <= 0 ||
		    ev->u.person.role != CV_ROLE_ORGANIZER)
			break;
		org_enter(s, p, CV_ORG_PIN, now);
		s->organizer = ev->u.person;
		s->organizer.name[sizeof s->organizer.name - 1] = '\0';
		s->organizer.organization[sizeof s->organizer.organization - 1] = '\0';
		s->pin_wrong = false;
		changed = true;
		break;
	case CV_ORG_EV_DIGIT: changed |= org_digit(s, p, ev->u.digit, now); break;
	case CV_ORG_EV_ERASE: changed |= org_erase(s, p, now, out); break;
	case CV_ORG_EV_ENTER: changed |= org_enter_pin(s, p, now, out); break;
	case CV_ORG_EV_PIN_CHECKED: changed |= org_checked(s, p, ev->u.ok, now); break;
	case CV_ORG_EV_ITEM: changed |= org_item(s, p, ev->u.item, now, out); break;
	case CV_ORG_EV_BACK: changed |= org_back(s, p, now, out); break;
	case CV_ORG_EV_TAP: changed |= org_tap(s, p, &ev->u.tap, now, out); break;
	case CV_ORG_EV_TEXT: changed |= org_text(s, p, ev->u.text, now, out); break;
	case CV_ORG_EV_PICK: changed |= org_pick(s, p, &ev->u.person, now, out); break;
	case CV_ORG_EV_UNBIND: changed |= org_badge_action(s, p, CV_ORG_FX_UNBIND, now, out); break;
	case CV_ORG_EV_REVOKE: changed |= org_badge_action(s, p, CV_ORG_FX_REVOKE, now, out); break;
	case CV_ORG_EV_ZONE:
		if (s->screen != CV_ORG_ZONE || ev->u.zone < 0 || ev->u.zone >= p->zone_count)
			break;
		org_work(s, p, now, CV_ORG_NOTICE_ZONE);
		org_push(out, CV_ORG_FX_SET_ZONE)->zone = ev->u.zone;
		changed = true;
		break;
	case CV_ORG_EV_DONE:
		if (s->screen != CV_ORG_NOTICE || s->notice != CV_ORG_NOTICE_WORKING)
			break;
		org_finish(s, p, now, s->pending, ev->u.ok);
		changed = true;
		break;
	case CV_ORG_EV_TICK: break;
	default: break;
	}
	assert(cv_org_check(s, p) == NULL);
	return changed;
}

static bool org_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

const char *cv_org_check(const struct cv_org_state *s, const struct cv_org_params *p)
{
	if (s == NULL)
		return "state is NULL";
	if ((unsigned)s->screen >= CV_ORG_SCREEN_COUNT)
		return "screen is out of range";
	if ((s->screen == CV_ORG_OFF) != (s->deadline_ms == 0))
		return "deadline_ms is 0 when closed and only then";
	if (s->deadline_ms != 0 && s->deadline_ms < s->touched_ms)
		return "deadline_ms is before the last touch";
	if (s->pin_len < 0 || s->pin_len > CV_ORG_PIN_MAX || s->pin[s->pin_len] != '\0' ||
	    strlen(s->pin) != (size_t)s->pin_len)
		return "pin_len does not match the digits";
	for (int i = 0; i < s->pin_len; i++)
		if (s->pin[i] < '0' || s->pin[i] > '9')
			return "the PIN holds a non-digit";
	if (s->screen != CV_ORG_PIN && s->pin_len != 0)
		return "PIN digits kept outside the keypad";
	if (s->failures < 0 || (p != NULL && s->failures >= p->max_failures && p->max_failures > 0))
		return "failures not below max_failures";
	if (!org_terminated(s->query, sizeof s->query))
		return "query is not terminated";
	if (s->screen != CV_ORG_SEARCH && s->query[0] != '\0')
		return "a query outside the search";
	if (!org_terminated(s->badge.uid, sizeof s->badge.uid) ||
	    !org_terminated(s->organizer.name, sizeof s->organizer.name))
		return "a text is not terminated";
	if (s->screen != CV_ORG_OFF &&
	    (s->organizer.id <= 0 || s->organizer.role != CV_ROLE_ORGANIZER))
		return "open without an organiser";
	if (s->screen == CV_ORG_OFF && s->organizer.id != 0)
		return "closed but an organiser is kept";
	if ((s->screen == CV_ORG_NOTICE) != (s->notice != CV_ORG_NOTICE_NONE))
		return "a notice exactly on the notice screen";
	if ((s->notice == CV_ORG_NOTICE_WORKING) != (s->pending != CV_ORG_NOTICE_NONE))
		return "pending exactly while working";
	if (s->screen == CV_ORG_SEARCH &&
	    (s->badge.person.id != 0 || s->badge.random_uid || s->badge.uid[0] == '\0'))
		return "search: not an unknown badge";
	if (s->screen == CV_ORG_BADGE && (s->badge.person.id == 0 || s->badge.uid[0] == '\0'))
		return "badge: not a known badge";
	if (s->notice_return != CV_ORG_MENU && s->notice_return != CV_ORG_ENROL)
		return "a notice returns to the menu or enrolment";
	return NULL;
}

const char *cv_org_screen_name(enum cv_org_screen screen)
{
	switch (screen) {
	case CV_ORG_OFF: return "off";
	case CV_ORG_PIN: return "pin";
	case CV_ORG_CHECKING: return "checking";
	case CV_ORG_MENU: return "menu";
	case CV_ORG_LIVE: return "live";
	case CV_ORG_ENROL: return "enrol";
	case CV_ORG_SEARCH: return "search";
	case CV_ORG_BADGE: return "badge";
	case CV_ORG_ZONE: return "zone";
	case CV_ORG_NOTICE: return "notice";
	case CV_ORG_SCREEN_COUNT: break;
	}
	return "invalid";
}
