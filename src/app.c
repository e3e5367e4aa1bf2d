/* The kiosk's main loop on the SDL main thread: input and inbox in, the
 * flow stepped, its effects carried out, a frame drawn only when something
 * changed. The loop sleeps on a semaphore that the recorder posts to, with a
 * timeout of the next flow deadline or the input poll interval: SDL's
 * KMSDRM backend has no blocking event wait (SDL_WaitEvent polls every
 * millisecond there), so input is read at a modest rate instead and the
 * idle cost stays near zero on every video backend. */
#include "cv_app.h"

#include <SDL2/SDL.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_assets.h"
#include "cv_clock.h"
#include "cv_error.h"
#include "cv_feedback.h"
#include "cv_fileutil.h"
#include "cv_flow.h"
#include "cv_log.h"
#include "cv_queue.h"
#include "cv_reader.h"
#include "cv_recorder.h"
#include "cv_service.h"
#include "cv_store.h"
#include "cv_sync_thread.h"
#include "cv_ui.h"
#include "app_organizer.h"

#define CV_LOG_TAG "app"

#define INBOX_CAPACITY 1024
#define SIM_KEYS 9
/* How long a confirmation may wait for its write before it is drawn anyway
 * (with the store's failure shown if the write never comes back). */
#define SAVE_WAIT_MS 1000

struct shot_signature {
	enum cv_screen screen;
	int64_t first_seq;
	int64_t second_seq;
	int answer;
	bool reader_online;
	bool store_failed;
	char first_uid[CV_UID_HEX_MAX];
	int org_screen; /* organiser mode's screen, notice and digits typed */
	int org_notice;
	int org_pin_len;
	int consent_choice; /* the consent screen's choice so far */
	bool consent_show_name;
};

struct app {
	const struct cv_config *cfg;
	const struct cv_run_options *opts;
	SDL_sem *wake;
	struct cv_queue *inbox;
	struct cv_recorder *recorder;
	struct cv_assets *assets;
	struct cv_ui *ui;
	struct cv_flow_state flow;
	struct cv_flow_params params;
	bool dirty;
	bool quit;
	bool script_done;
	int exit_code;
	int64_t defer_since_ms; /* a confirmation waiting for its write */
	int64_t last_confirmed_seq;
	uint32_t last_confirmed_write;
	int shot_count;
	bool have_shot;
	struct shot_signature last_shot;
	char sim_keys[SIM_KEYS][CV_UID_HEX_MAX];
	int sim_key_count;
	bool reader_stall_logged;
	struct app_org *org;          /* organiser mode and the live screen */
	struct cv_feedback *feedback; /* [feedback] LED and buzzer; NULL: none */
};

/* ---- background sync ([sync] url): its state is logged on change, kept
 * in the store for `convene status` and handed to the organiser menu ---- */

struct app_sync_log {
	char last[256];      /* touched only by the sync thread */
	struct app_org *org; /* set before the thread starts */
};

static void app_sync_notify(const struct cv_sync_state *state, void *ctx)
{
	struct app_sync_log *log = ctx;
	app_org_sync_post(log->org, state);
	if (state->syncing || strcmp(log->last, state->last) == 0)
		return;
	snprintf(log->last, sizeof log->last, "%s", state->last);
	cv_log_info("sync: pending %lld, quarantined %lld: %s", (long long)state->pending,
	            (long long)state->quarantined, state->last);
}

static void app_wake(void *ctx)
{
	SDL_SemPost(ctx);
}

static void app_apply_effects(struct app *app, const struct cv_flow_effects *fx)
{
	for (int i = 0; i < fx->count; i++) {
		const struct cv_flow_effect *e = &fx->fx[i];
		const char *answer = NULL;
		if (e->answer >= 0)
			answer = cv_assets_option(app->assets, e->answer)->id;
		int rc = 0;
		switch (e->kind) {
		case CV_FLOW_FX_RECORD_ENCOUNTER:
			rc = cv_recorder_submit_encounter(app->recorder, e->write_id, e->person_a,
			                                  e->person_b, e->a_tap_seq, e->b_tap_seq,
			                                  answer);
			break;
		case CV_FLOW_FX_RECORD_ANSWER:
			rc = cv_recorder_submit_answer(app->recorder, e->write_id, e->b_tap_seq,
			                               answer);
			break;
		case CV_FLOW_FX_SOUND:
			cv_ui_play_confirm(app->ui);
			cv_feedback_signal(app->feedback, CV_FEEDBACK_CONFIRM);
			break;
		case CV_FLOW_FX_RECORD_CONSENT:
			rc = cv_recorder_submit_consent(app->recorder, e->write_id, e->person_a,
			                                e->consent, e->show_name, e->a_tap_seq);
			break;
		}
		if (rc != 0) {
			/* The write never reached the writer: tell the flow at once,
			 * so the screen says it was not saved. */
			cv_log_error("could not queue a write: %s", cv_strerror(rc));
			cv_feedback_signal(app->feedback, CV_FEEDBACK_ERROR);
			struct cv_flow_event ev = {.kind = CV_FLOW_EV_SAVED,
			                           .now_ms = cv_clock_mono_ms()};
			ev.u.saved.write_id = e->write_id;
			ev.u.saved.ok = false;
			struct cv_flow_effects none;
			cv_flow_step(&app->flow, &app->params, &ev, &none);
			app->dirty = true;
		}
	}
}

static void app_step(struct app *app, const struct cv_flow_event *ev)
{
	struct cv_flow_effects fx;
	if (cv_flow_step(&app->flow, &app->params, ev, &fx))
		app->dirty = true;
	app_apply_effects(app, &fx);
}

static void app_press(struct app *app, int option)
{
	struct cv_flow_event ev = {.kind = CV_FLOW_EV_PRESS, .now_ms = cv_clock_mono_ms()};
	ev.u.option = option;
	app_step(app, &ev);
}

static void app_consent(struct app *app, int input)
{
	struct cv_flow_event ev = {.kind = CV_FLOW_EV_CONSENT, .now_ms = cv_clock_mono_ms()};
	ev.u.consent = (enum cv_flow_consent_input)input;
	app_step(app, &ev);
}

/* What a touch hit: a prompt option for the flow, anything else for
 * organiser mode. */
static void app_hit(struct app *app, const struct cv_ui_hit *hit)
{
	if (hit->target == CV_UI_T_CONSENT && !app_org_active(app->org))
		app_consent(app, hit->index);
	else if (hit->target == CV_UI_T_OPTION && !app_org_active(app->org))
		app_press(app, hit->index);
	else if (hit->target != CV_UI_T_OPTION && hit->target != CV_UI_T_CONSENT)
		app_org_hit(app->org, hit, &app->flow, &app->dirty);
}

/* A touch at screen point (x, y), on the screen as people see it. */
static void app_touch(struct app *app, int x, int y)
{
	struct cv_ui_hit hit;

	if (cv_ui_hit_test(app->ui, x, y, &hit))
		app_hit(app, &hit);
}

static void app_handle_inbox(struct app *app, const struct cv_inbox_item *item)
{
	struct cv_flow_event ev = {.now_ms = cv_clock_mono_ms()};

	switch (item->kind) {
	case CV_INBOX_TAP:
		ev.kind = CV_FLOW_EV_TAP;
		ev.u.tap = item->tap;
		/* organiser mode takes taps while open (enrolment), and hands an
		 * attendee's back to the flow as it closes */
		if (app_org_active(app->org) &&
		    !app_org_tap(app->org, &item->tap, &ev.u.tap, &app->dirty))
			break;
		app_step(app, &ev);
		/* A card that cannot be a badge (the refused screen entered
		 * now, not a debounced second read): the error pulses, as for
		 * a tap that was not saved. */
		if (ev.u.tap.random_uid && app->flow.screen == CV_SCREEN_REFUSED &&
		    app->flow.entered_ms == ev.now_ms)
			cv_feedback_signal(app->feedback, CV_FEEDBACK_ERROR);
		break;
	case CV_INBOX_READER:
		if (item->online)
			cv_log_info("reader online");
		else
			cv_log_warn("reader offline: %s", item->detail);
		ev.kind = CV_FLOW_EV_READER;
		ev.u.reader_online = item->online;
		app_step(app, &ev);
		break;
	case CV_INBOX_SAVED:
	case CV_INBOX_STORE_ERROR:
		ev.kind = CV_FLOW_EV_SAVED;
		ev.u.saved.write_id = item->kind == CV_INBOX_SAVED ? item->write_id : 0;
		ev.u.saved.ok = item->kind == CV_INBOX_SAVED && item->ok;
		if (!ev.u.saved.ok)
			cv_feedback_signal(app->feedback, CV_FEEDBACK_ERROR);
		app_step(app, &ev);
		break;
	case CV_INBOX_PRESS: {
		/* the consent buttons have ids of their own ("consent-done") */
		int consent = cv_flow_consent_input_from_id(item->option);
		if (consent >= 0) {
			app_consent(app, consent);
			break;
		}
		int option = cv_assets_option_index(app->assets, item->option);
		if (option < 0) {
			cv_log_warn("script pressed unknown option '%s'", item->option);
			break;
		}
		app_press(app, option);
		break;
	}
	case CV_INBOX_TOUCH: app_touch(app, item->x, item->y); break;
	case CV_INBOX_SEARCH:
	case CV_INBOX_ORG_DONE: app_org_reply(app->org, item, &app->dirty); break;
	case CV_INBOX_SCRIPT_DONE:
		cv_log_info("sim script finished");
		app->script_done = true;
		break;
	}
}

static void app_handle_sdl(struct app *app, const SDL_Event *e)
{
	struct cv_ui_hit hit;

	switch (e->type) {
	case SDL_QUIT: app->quit = true; break;
	case SDL_KEYDOWN:
		if (e->key.keysym.sym == SDLK_ESCAPE && !app->cfg->display_fullscreen) {
			app->quit = true;
		} else if (e->key.keysym.sym >= SDLK_1 && e->key.keysym.sym <= SDLK_9) {
			int k = e->key.keysym.sym - SDLK_1;
			if (k < app->sim_key_count)
				cv_recorder_inject_tap(app->recorder, app->sim_keys[k]);
		}
		break;
	case SDL_MOUSEBUTTONDOWN:
	case SDL_FINGERDOWN:
		/* calibrated and turned back onto the screen people see (a click
		 * SDL makes up from a touch is left out: its finger counts) */
		if (cv_ui_hit_event(app->ui, e, &hit))
			app_hit(app, &hit);
		break;
	case SDL_WINDOWEVENT:
		if (e->window.event == SDL_WINDOWEVENT_EXPOSED ||
		    e->window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
			app->dirty = true;
		break;
	default: break;
	}
}

static struct shot_signature app_signature(const struct app *app)
{
	struct shot_signature s;
	memset(&s, 0, sizeof s);
	s.screen = app->flow.screen;
	s.first_seq = app->flow.first.tap_seq;
	s.second_seq = app->flow.second.tap_seq;
	s.answer = app->flow.answer;
	s.reader_online = app->flow.reader_online;
	s.store_failed = app->flow.store_failed;
	memcpy(s.first_uid, app->flow.first.uid, sizeof s.first_uid);
	s.consent_choice = (int)app->flow.consent_choice;
	s.consent_show_name = app->flow.consent_show_name;
	app_org_signature(app->org, &s.org_screen, &s.org_notice, &s.org_pin_len);
	return s;
}

static void app_screenshot(struct app *app)
{
	struct shot_signature sig = app_signature(app);
	if (app->have_shot && memcmp(&sig, &app->last_shot, sizeof sig) == 0)
		return;
	app->last_shot = sig;
	app->have_shot = true;
	char path[CV_PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%03d-%s.png", app->opts->screenshot_dir, ++app->shot_count,
	         app_org_shot_name(app->org, cv_flow_screen_name(app->flow.screen)));
	if (cv_ui_save_png(app->ui, path) != 0)
		cv_log_warn("could not write screenshot %s", path);
}

/* Logs each confirmation once it is on screen: the crash test checks that
 * every tap logged here is in the database. */
static void app_log_confirmations(struct app *app)
{
	const struct cv_flow_state *f = &app->flow;
	int64_t seq = 0;

	switch (f->screen) {
	case CV_SCREEN_WELCOME:
	case CV_SCREEN_CONSENT:
	case CV_SCREEN_UNKNOWN: seq = f->first.tap_seq; break;
	case CV_SCREEN_PROMPT:
	case CV_SCREEN_PRIVATE: seq = f->second.tap_seq; break;
	default: break;
	}
	if (seq > app->last_confirmed_seq) {
		cv_log_info("confirmed tap seq=%lld screen=%s mono_ms=%lld", (long long)seq,
		            cv_flow_screen_name(f->screen), (long long)cv_clock_mono_ms());
		app->last_confirmed_seq = seq;
	}
	if (f->screen == CV_SCREEN_THANKS && f->pending_write_id == 0 &&
	    f->next_write_id != app->last_confirmed_write && f->encounter_recorded) {
		cv_log_info("confirmed encounter tap seq=%lld answer=%d",
		            (long long)f->second.tap_seq, f->answer);
		app->last_confirmed_write = f->next_write_id;
	}
}

static void app_draw(struct app *app)
{
	int64_t now = cv_clock_mono_ms();

	/* Thanks confirms an encounter: hold the frame until its write is
	 * committed, so what the screen confirms is on disk. */
	if (app->flow.screen == CV_SCREEN_THANKS && app->flow.pending_write_id != 0) {
		if (app->defer_since_ms == 0)
			app->defer_since_ms = now;
		if (now - app->defer_since_ms < SAVE_WAIT_MS)
			return;
	}
	app->defer_since_ms = 0;
	struct cv_ui_view view = {
	    .flow = &app->flow,
	    .kiosk_name = app->cfg->kiosk_name,
	    .zone = app->cfg->zone,
	    .mode = app->cfg->mode,
	    .pair_window_ms = app->cfg->pair_window_ms,
	};
	app_org_view(app->org, &app->flow, &view);
	if (cv_ui_draw(app->ui, &view) != 0) {
		cv_log_error("drawing failed: %s", SDL_GetError());
		return;
	}
	app->dirty = false;
	app_log_confirmations(app);
	if (app->opts->screenshot_dir)
		app_screenshot(app);
}

static int app_wait_ms(const struct app *app)
{
	int wait = app->cfg->display_input_poll_ms;
	int64_t now = cv_clock_mono_ms();

	if (app->flow.deadline_ms > 0) {
		int64_t until = app->flow.deadline_ms - now;
		if (until < wait)
			wait = until < 0 ? 0 : (int)until;
	}
	if (app->defer_since_ms > 0 && wait > 5)
		wait = 5;
	return app_org_wait_ms(app->org, wait);
}

static void app_load_sim_keys(struct app *app)
{
	const char *p = app->cfg->reader_sim_keys;
	while (*p && app->sim_key_count < SIM_KEYS) {
		size_t n = strcspn(p, ",");
		char uid[64];
		snprintf(uid, sizeof uid, "%.*s", (int)(n < 63 ? n : 63), p);
		if (cv_badge_uid_normalize(uid, app->sim_keys[app->sim_key_count]) == 0)
			app->sim_key_count++;
		p += n;
		if (*p == ',')
			p++;
	}
	if (app->sim_key_count > 0)
		return;
	/* No keys configured: the first badges of the roster, for demos. */
	struct cv_store *store = NULL;
	char err[256];
	if (cv_store_open(app->cfg->store_path, app->cfg->kiosk_id, &store, err, sizeof err) != 0)
		return;
	app->sim_key_count = cv_store_first_badges(store, app->sim_keys, SIM_KEYS);
	cv_store_close(store);
}

static bool app_done(struct app *app)
{
	return app->opts->exit_when_done && app->script_done &&
	       app->flow.screen == CV_SCREEN_IDLE && app->flow.pending_write_id == 0 &&
	       cv_queue_length(app->inbox) == 0 && !app->dirty;
}

/* A reader call returns within a few seconds even while the backend
 * reopens a vanished device; one that has not come back for this long is
 * stuck for good, and only a restart frees the reader. */
#define READER_STALL_MS 15000

static void app_watchdog(struct app *app)
{
	int64_t quiet = cv_clock_mono_ms() - cv_recorder_reader_alive_ms(app->recorder);
	if (quiet < READER_STALL_MS) {
		app->reader_stall_logged = false;
		cv_service_watchdog_ping();
		return;
	}
	if (!app->reader_stall_logged) {
		cv_log_error("the reader thread has not come back for %lld s; letting the "
		             "watchdog restart the kiosk",
		             (long long)(quiet / 1000));
		app->reader_stall_logged = true;
	}
}

static void app_loop(struct app *app)
{
	SDL_Event e;
	struct cv_inbox_item item;

	while (!app->quit) {
		while (SDL_PollEvent(&e))
			app_handle_sdl(app, &e);
		while (cv_queue_pop(app->inbox, &item, 0) == 1)
			app_handle_inbox(app, &item);
		struct cv_flow_event tick = {.kind = CV_FLOW_EV_TICK, .now_ms = cv_clock_mono_ms()};
		app_step(app, &tick);
		app_org_tick(app->org, app->ui, &app->dirty);
		if (app->dirty)
			app_draw(app);
		if (app_done(app))
			break;
		/* systemd: a loop that stops turning stops these pings, and the
		 * service is restarted; so does a wedged reader thread. */
		app_watchdog(app);
		SDL_SemWaitTimeout(app->wake, (Uint32)app_wait_ms(app));
	}
}

int cv_app_run(const struct cv_config *cfg, const struct cv_run_options *opts)
{
	struct app app = {.cfg = cfg, .opts = opts, .exit_code = 1};
	char err[512];
	int rc;

	if (opts->exit_when_done &&
	    (cfg->reader_driver != CV_READER_DRIVER_SIM || !cfg->reader_script[0])) {
		fprintf(stderr, "convene: --exit-when-done needs the sim reader with a script "
		                "([reader] driver = sim, script = FILE)\n");
		return 2;
	}
	if (opts->screenshot_dir && cv_file_mkdirs(opts->screenshot_dir) != 0) {
		fprintf(stderr, "convene: cannot create the screenshot folder %s\n",
		        opts->screenshot_dir);
		return 1;
	}
	rc = cv_assets_load(cfg, &app.assets, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "convene: %s\n", err);
		return 1;
	}
	app.params = (struct cv_flow_params){
	    .mode = cfg->mode,
	    .pair_window_ms = cfg->pair_window_ms,
	    .debounce_ms = cfg->debounce_ms,
	    .prompt_timeout_ms = cfg->prompt_timeout_ms,
	    .message_ms = cfg->message_ms,
	    .option_count = cv_assets_option_count(app.assets),
	    .not_together = cv_assets_not_together(app.assets),
	    .consent_ask = cfg->consent_ask,
	};
	cv_flow_init(&app.flow);

	struct cv_ui_options ui_opts = {
	    .width = cfg->display_width,
	    .height = cfg->display_height,
	    .rotation = cfg->display_rotation,
	    .touch_calibration = &cfg->display_touch_calibration,
	    .fullscreen = cfg->display_fullscreen,
	    .headless = opts->headless,
	    .font_path = cfg->display_font,
	    .sound = cfg->sound,
	};
	rc = cv_ui_create(&ui_opts, app.assets, &app.ui, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "convene: %s\n", err);
		goto out_assets;
	}
	app.wake = SDL_CreateSemaphore(0);
	if (!app.wake) {
		fprintf(stderr, "convene: %s\n", SDL_GetError());
		goto out_ui;
	}
	rc = cv_queue_create(sizeof(struct cv_inbox_item), INBOX_CAPACITY, app_wake, app.wake,
	                     &app.inbox);
	if (rc != 0)
		goto out_sem;

	rc = app_org_create(cfg, app_wake, app.wake, &app.org);
	if (rc != 0)
		goto out_inbox;

	struct cv_reader *reader = NULL;
	rc = cv_reader_open(cfg, &reader, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "convene: %s\n", err);
		goto out_inbox;
	}
	cv_log_info("kiosk %s (%s) in zone %s, mode %s, reader %s", cfg->kiosk_id, cfg->kiosk_name,
	            cfg->zone, cv_config_mode_name(cfg->mode), cv_reader_name(reader));
	/* The recorder owns the reader from here on, even when it fails. */
	rc = cv_recorder_start(cfg, reader, app.inbox, &app.recorder, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "convene: %s\n", err);
		goto out_inbox;
	}
	app_org_set_recorder(app.org, app.recorder);
	if (cfg->reader_driver == CV_READER_DRIVER_SIM)
		app_load_sim_keys(&app);
	/* The LED and buzzer are a nicety: without them the kiosk still runs. */
	struct cv_feedback_options fb_opts = cv_feedback_options_from_config(cfg);
	if (cv_feedback_wanted(&fb_opts)) {
		if (cv_feedback_open(&fb_opts, &app.feedback, err, sizeof err) == 0) {
			char what[160];
			cv_feedback_describe(app.feedback, what, sizeof what);
			cv_log_info("feedback: %s", what);
		} else {
			cv_log_warn("no tap feedback: %s", err);
		}
	}

	app.dirty = true;
	app_draw(&app);
	cv_log_info("first frame drawn mono_ms=%lld", (long long)cv_clock_mono_ms());
	/* systemd (Type=notify): started once the first frame is on screen. */
	cv_service_ready();
	cv_service_status("running");
	struct cv_sync_thread *sync = NULL;
	struct app_sync_log sync_log = {.last = "", .org = app.org};
	if (cfg->sync_url[0] && (cv_sync_global_init() != 0 ||
	                         cv_sync_thread_start(cfg, app_sync_notify, &sync_log, &sync) != 0))
		cv_log_error("background sync could not start; use convene sync");
	app_org_set_sync(app.org, sync);
	app_loop(&app);
	cv_service_stopping();
	app.exit_code = 0;

	cv_sync_thread_stop(sync);
	/* Closing the inbox first releases a writer blocked on it. */
	cv_queue_close(app.inbox);
	cv_recorder_stop(app.recorder);
	cv_feedback_close(app.feedback);
out_inbox:
	app_org_destroy(app.org);
	cv_queue_destroy(app.inbox);
out_sem:
	SDL_DestroySemaphore(app.wake);
out_ui:
	cv_ui_destroy(app.ui);
out_assets:
	cv_assets_destroy(app.assets);
	return app.exit_code;
}
