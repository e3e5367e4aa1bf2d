/* Organiser mode in the main loop: touches and taps into the organiser
 * state machine, its effects carried out, and the live screen's snapshots.
 * The PIN is checked here (a slow hash, a fraction of a second, once per
 * login) and never logged; the digits are wiped once checked. */
#include "app_organizer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cv_clock.h"
#include "cv_error.h"
#include "cv_live.h"
#include "cv_log.h"
#include "cv_organizer.h"
#include "cv_pin.h"
#include "cv_recorder.h"
#include "cv_sync_thread.h"

#define CV_LOG_TAG "organizer"

#define ORG_TIMEOUT_MS 60000
#define ORG_LOCK_MS 60000
#define ORG_MAX_FAILURES 5
#define ORG_NOTICE_MS 4000
#define LIVE_POLL_MS 200
#define ANIMATION_MS 33

struct app_org {
	const struct cv_config *cfg;
	struct cv_org_state state;
	struct cv_org_params params;
	struct cv_ui_org_data data;
	struct cv_live *live;
	struct cv_live_snapshot *snap; /* owned; the newest taken */
	bool animating;
	struct cv_sync_thread *sync; /* borrowed */
	struct cv_recorder *rec;     /* borrowed */
	char zone[CV_ID_MAX];        /* this kiosk's zone now */
	uint32_t next_id;            /* request ids for the writer thread; 0 is none */
	uint32_t search_id;          /* the newest search asked for */
	uint32_t action_id;          /* the bind/unbind/revoke/zone waiting for its reply */
	int pending_zone;            /* the zone asked for (index), or -1 */
	/* The sync thread's newest state, handed over under sync_lock: it
	 * writes sync_box, the UI thread copies it into data.sync on a tick. */
	pthread_mutex_t sync_lock;
	struct cv_ui_sync_view sync_box;
	bool sync_fresh;
	void (*wake)(void *ctx);
	void *wake_ctx;
};

static void org_zones(struct app_org *o)
{
	const char *p = o->cfg->organizer_zones;
	bool have_own = false;

	while (*p && o->data.zone_count < CV_UI_ZONES_MAX) {
		size_t n = strcspn(p, ",");
		char zone[CV_ID_MAX];
		size_t a = 0;

		while (a < n && p[a] == ' ')
			a++;
		while (n > a && p[n - 1] == ' ')
			n--;
		if (n > a && n - a < sizeof zone) {
			memcpy(zone, p + a, n - a);
			zone[n - a] = '\0';
			have_own |= strcmp(zone, o->cfg->zone) == 0;
			snprintf(o->data.zones[o->data.zone_count++], CV_ID_MAX, "%s", zone);
		}
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	if (!have_own && o->data.zone_count < CV_UI_ZONES_MAX)
		snprintf(o->data.zones[o->data.zone_count++], CV_ID_MAX, "%s", o->cfg->zone);
}

int app_org_create(const struct cv_config *cfg, void (*wake)(void *ctx), void *ctx,
                   struct app_org **out)
{
	struct app_org *o = calloc(1, sizeof(*o));
	int rc;

	*out = NULL;
	if (!o)
		return CV_ENOMEM;
	o->cfg = cfg;
	pthread_mutex_init(&o->sync_lock, NULL);
	o->wake = wake;
	o->wake_ctx = ctx;
	o->data.sync.configured = cfg->sync_url[0] != '\0';
	o->data.sync.pending = -1;
	o->sync_box = o->data.sync;
	snprintf(o->zone, sizeof o->zone, "%s", cfg->zone);
	o->pending_zone = -1;
	cv_org_init(&o->state);
	o->params = (struct cv_org_params){
	    .enabled = cfg->organizer_pin_hash[0] != '\0',
	    .timeout_ms = ORG_TIMEOUT_MS,
	    .lock_ms = ORG_LOCK_MS,
	    .max_failures = ORG_MAX_FAILURES,
	    .notice_ms = ORG_NOTICE_MS,
	};
	org_zones(o);
	o->params.zone_count = o->data.zone_count;
	if (cfg->live_screen || o->params.enabled) {
		rc = cv_live_start(cfg->store_path, cfg->kiosk_id, LIVE_POLL_MS, wake, ctx,
		                   &o->live);
		if (rc != 0)
			cv_log_warn("no live screen: %s", cv_strerror(rc));
	}
	if (!o->params.enabled)
		cv_log_info("no [organizer] pin_hash: organiser mode is off");
	*out = o;
	return 0;
}

void app_org_destroy(struct app_org *o)
{
	if (!o)
		return;
	cv_live_stop(o->live);
	cv_live_snapshot_free(o->snap);
	pthread_mutex_destroy(&o->sync_lock);
	free(o);
}

void app_org_set_sync(struct app_org *o, struct cv_sync_thread *sync)
{
	o->sync = sync;
	/* [sync] url is set but the thread did not start: say so, not "not yet" */
	if (!sync && o->data.sync.configured) {
		o->data.sync.finished = true;
		o->data.sync.outcome = CV_SYNC_FAILED;
	}
}

void app_org_sync_post(struct app_org *o, const struct cv_sync_state *state)
{
	char at[sizeof o->sync_box.at] = "";

	if (!state->syncing) {
		time_t now = (time_t)(cv_clock_stamp().wall_ms / 1000);
		struct tm tm;

		if (localtime_r(&now, &tm))
			strftime(at, sizeof at, "%H:%M", &tm);
	}
	pthread_mutex_lock(&o->sync_lock);
	o->sync_box.syncing = state->syncing;
	o->sync_box.pending = state->pending;
	o->sync_box.quarantined = state->quarantined;
	if (!state->syncing) {
		o->sync_box.finished = true;
		o->sync_box.outcome = state->outcome;
		memcpy(o->sync_box.at, at, sizeof at);
	}
	o->sync_fresh = true;
	pthread_mutex_unlock(&o->sync_lock);
	if (o->wake)
		o->wake(o->wake_ctx);
}

void app_org_set_recorder(struct app_org *o, struct cv_recorder *rec)
{
	o->rec = rec;
}

const char *app_org_zone(const struct app_org *o)
{
	return o->zone;
}

static uint32_t org_next_id(struct app_org *o)
{
	if (++o->next_id == 0)
		o->next_id = 1;
	return o->next_id;
}

bool app_org_active(const struct app_org *o)
{
	return cv_org_active(&o->state);
}

static void org_step(struct app_org *o, struct cv_org_event *ev, struct cv_flow_tap *pass,
                     bool *passed, bool *dirty);

static void org_done(struct app_org *o, enum cv_org_event_kind kind, bool ok, bool *dirty)
{
	struct cv_org_event ev = {.kind = kind, .now_ms = cv_clock_mono_ms()};

	ev.u.ok = ok;
	org_step(o, &ev, NULL, NULL, dirty);
}

static void org_apply(struct app_org *o, struct cv_org_effect *fx, struct cv_flow_tap *pass,
                      bool *passed, bool *dirty)
{
	switch (fx->kind) {
	case CV_ORG_FX_VERIFY_PIN: {
		int rc = cv_pin_verify(o->cfg->organizer_pin_hash, fx->text);

		explicit_bzero(fx->text, sizeof fx->text);
		if (rc == CV_EINVAL)
			cv_log_error("[organizer] pin_hash is not a hash from convene hash-pin");
		cv_log_info("organiser %lld: PIN %s", (long long)o->state.organizer.id,
		            rc == 0 ? "accepted" : "refused");
		org_done(o, CV_ORG_EV_PIN_CHECKED, rc == 0, dirty);
		break;
	}
	case CV_ORG_FX_SYNC:
		if (o->sync)
			cv_sync_thread_poke(o->sync);
		else
			cv_log_warn("sync now: no [sync] url configured");
		org_done(o, CV_ORG_EV_DONE, o->sync != NULL, dirty);
		break;
	case CV_ORG_FX_SEARCH:
		/* The writer thread owns the store: the results come back in
		 * the inbox (app_org_reply); until then the last ones stay. */
		o->search_id = org_next_id(o);
		if (!o->rec || cv_recorder_submit_search(o->rec, o->search_id, fx->text) != 0) {
			o->data.result_count = 0;
			*dirty = true;
		}
		break;
	case CV_ORG_FX_BIND:
	case CV_ORG_FX_UNBIND:
	case CV_ORG_FX_REVOKE:
	case CV_ORG_FX_SET_ZONE:
	case CV_ORG_FX_EXPORT: {
		int rc = CV_ECLOSED;
		o->action_id = org_next_id(o);
		o->pending_zone = -1;
		if (o->rec && fx->kind == CV_ORG_FX_BIND)
			rc = cv_recorder_submit_bind(o->rec, o->action_id, fx->uid, fx->person);
		else if (o->rec && fx->kind == CV_ORG_FX_UNBIND)
			rc = cv_recorder_submit_unbind(o->rec, o->action_id, fx->uid);
		else if (o->rec && fx->kind == CV_ORG_FX_REVOKE)
			rc = cv_recorder_submit_revoke(o->rec, o->action_id, fx->uid);
		else if (o->rec && fx->kind == CV_ORG_FX_EXPORT)
			rc = cv_recorder_submit_export(o->rec, o->action_id);
		else if (o->rec && fx->zone >= 0 && fx->zone < o->data.zone_count) {
			o->pending_zone = fx->zone;
			rc = cv_recorder_submit_zone(o->rec, o->action_id, o->data.zones[fx->zone]);
		}
		if (rc != 0) {
			cv_log_warn("could not ask for the organiser action: %s", cv_strerror(rc));
			o->action_id = 0;
			org_done(o, CV_ORG_EV_DONE, false, dirty);
		}
		break;
	}
	case CV_ORG_FX_CLOSED: cv_log_info("organiser mode closed"); break;
	case CV_ORG_FX_PASS_TAP:
		if (pass && passed) {
			*pass = fx->tap;
			*passed = true;
		}
		break;
	}
}

static void org_step(struct app_org *o, struct cv_org_event *ev, struct cv_flow_tap *pass,
                     bool *passed, bool *dirty)
{
	struct cv_org_effects fx;

	if (cv_org_step(&o->state, &o->params, ev, &fx))
		*dirty = true;
	explicit_bzero(ev, sizeof *ev);
	for (int i = 0; i < fx.count; i++)
		org_apply(o, &fx.fx[i], pass, passed, dirty);
	explicit_bzero(&fx, sizeof fx);
}

void app_org_reply(struct app_org *o, const struct cv_inbox_item *item, bool *dirty)
{
	if (item->kind == CV_INBOX_SEARCH) {
		int n;
		/* an answer to an older query is dropped: a newer one is coming */
		if (item->write_id != o->search_id || !o->rec)
			return;
		n = cv_recorder_take_results(o->rec, item->write_id, o->data.results,
		                             CV_UI_RESULTS_MAX);
		if (n < 0)
			return;
		o->data.result_count = n;
		*dirty = true;
		return;
	}
	if (item->kind != CV_INBOX_ORG_DONE || item->write_id == 0 ||
	    item->write_id != o->action_id)
		return;
	o->action_id = 0;
	/* the recorder has the new zone even if the menu closed meanwhile */
	if (item->ok && o->pending_zone >= 0 && o->pending_zone < o->data.zone_count)
		snprintf(o->zone, sizeof o->zone, "%s", o->data.zones[o->pending_zone]);
	o->pending_zone = -1;
	org_done(o, CV_ORG_EV_DONE, item->ok, dirty);
}

bool app_org_tap(struct app_org *o, const struct cv_flow_tap *tap, struct cv_flow_tap *pass,
                 bool *dirty)
{
	struct cv_org_event ev = {.kind = CV_ORG_EV_TAP, .now_ms = cv_clock_mono_ms()};
	bool passed = false;

	ev.u.tap = *tap;
	org_step(o, &ev, pass, &passed, dirty);
	return passed;
}

void app_org_hit(struct app_org *o, const struct cv_ui_hit *hit, const struct cv_flow_state *flow,
                 bool *dirty)
{
	struct cv_org_event ev = {.now_ms = cv_clock_mono_ms()};

	switch (hit->target) {
	case CV_UI_T_ORGANIZER:
		ev.kind = CV_ORG_EV_OPEN;
		ev.u.person = flow->first.person;
		break;
	case CV_UI_T_DIGIT:
		ev.kind = CV_ORG_EV_DIGIT;
		ev.u.digit = hit->index;
		break;
	case CV_UI_T_ERASE: ev.kind = CV_ORG_EV_ERASE; break;
	case CV_UI_T_ENTER: ev.kind = CV_ORG_EV_ENTER; break;
	case CV_UI_T_BACK: ev.kind = CV_ORG_EV_BACK; break;
	case CV_UI_T_ITEM:
		ev.kind = CV_ORG_EV_ITEM;
		ev.u.item = (enum cv_org_item)hit->index;
		break;
	case CV_UI_T_ZONE:
		ev.kind = CV_ORG_EV_ZONE;
		ev.u.zone = hit->index;
		break;
	case CV_UI_T_KEY:
		ev.kind = CV_ORG_EV_TEXT;
		memcpy(ev.u.text, hit->text, sizeof ev.u.text);
		break;
	case CV_UI_T_RESULT:
		if (hit->index < 0 || hit->index >= o->data.result_count)
			return;
		ev.kind = CV_ORG_EV_PICK;
		ev.u.person = o->data.results[hit->index];
		break;
	case CV_UI_T_UNBIND: ev.kind = CV_ORG_EV_UNBIND; break;
	case CV_UI_T_REVOKE: ev.kind = CV_ORG_EV_REVOKE; break;
	default: return;
	}
	org_step(o, &ev, NULL, NULL, dirty);
}

static bool org_live_shown(const struct app_org *o)
{
	return o->cfg->live_screen || o->state.screen == CV_ORG_LIVE;
}

void app_org_tick(struct app_org *o, struct cv_ui *ui, bool *dirty)
{
	struct cv_org_event ev = {.kind = CV_ORG_EV_TICK, .now_ms = cv_clock_mono_ms()};
	struct cv_live_snapshot *snap = cv_live_take(o->live);

	org_step(o, &ev, NULL, NULL, dirty);
	pthread_mutex_lock(&o->sync_lock);
	if (o->sync_fresh) {
		o->data.sync = o->sync_box;
		o->sync_fresh = false;
		*dirty |= o->state.screen == CV_ORG_MENU;
	}
	pthread_mutex_unlock(&o->sync_lock);
	if (snap) {
		cv_live_snapshot_free(o->snap);
		o->snap = snap;
		o->animating = true;
		*dirty |= org_live_shown(o);
	}
	if (o->snap && org_live_shown(o) && o->animating) {
		o->animating = cv_ui_live_step(ui, o->snap, cv_clock_mono_ms());
		*dirty = true;
	}
	/* the lock's countdown is drawn in whole seconds */
	if (o->state.screen == CV_ORG_PIN && cv_org_locked(&o->state, cv_clock_mono_ms()))
		*dirty = true;
}

int app_org_wait_ms(const struct app_org *o, int wait)
{
	int64_t now = cv_clock_mono_ms();

	if (o->state.deadline_ms > 0) {
		int64_t until = o->state.deadline_ms - now;
		if (until < wait)
			wait = until < 0 ? 0 : (int)until;
	}
	if (o->animating && org_live_shown(o) && wait > ANIMATION_MS)
		wait = ANIMATION_MS;
	if (o->state.screen == CV_ORG_PIN && cv_org_locked(&o->state, now) && wait > 250)
		wait = 250;
	return wait;
}

void app_org_view(struct app_org *o, const struct cv_flow_state *flow, struct cv_ui_view *view)
{
	view->now_ms = cv_clock_mono_ms();
	view->zone = o->zone;
	view->org = &o->state;
	view->org_data = &o->data;
	view->live = o->snap;
	view->live_only = o->cfg->live_screen;
	view->organizer_button = o->params.enabled && flow->screen == CV_SCREEN_WELCOME &&
	                         flow->first.person.role == CV_ROLE_ORGANIZER;
}

void app_org_signature(const struct app_org *o, int *screen, int *notice, int *pin_len)
{
	*screen = (int)o->state.screen;
	*notice = (int)o->state.notice;
	*pin_len = o->state.pin_len;
}

const char *app_org_shot_name(const struct app_org *o, const char *flow_name)
{
	static const char *const names[CV_ORG_SCREEN_COUNT] = {
	    NULL,        "org-pin",    "org-checking", "org-menu", "org-live",
	    "org-enrol", "org-search", "org-badge",    "org-zone", "org-notice"};

	if (!cv_org_active(&o->state) || (unsigned)o->state.screen >= CV_ORG_SCREEN_COUNT)
		return flow_name;
	return names[o->state.screen];
}
