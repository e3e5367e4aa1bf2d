/* The main loop's organiser mode and live screen: the organiser state
 * machine stepped with touches and taps, its effects carried out (the PIN
 * checked, sync poked, an export written), and the live snapshots taken from
 * their reader thread. Private to app.c; UI thread only. */
#ifndef CV_APP_ORGANIZER_H
#define CV_APP_ORGANIZER_H

#include <stdbool.h>

#include "cv_config.h"
#include "cv_flow.h"
#include "cv_ui.h"

struct app_org;
struct cv_sync_thread;
struct cv_sync_state;
struct cv_recorder;
struct cv_inbox_item;

/* wake(ctx) is called from the live screen's thread with each snapshot. */
int app_org_create(const struct cv_config *cfg, void (*wake)(void *ctx), void *ctx,
                   struct app_org **out);
void app_org_destroy(struct app_org *o);

/* The background sync thread "sync now" pokes (may be NULL). */
void app_org_set_sync(struct app_org *o, struct cv_sync_thread *sync);

/* The sync thread's state for the menu: copied under a lock, the main
 * loop woken. Any thread; never blocks beyond that copy. */
void app_org_sync_post(struct app_org *o, const struct cv_sync_state *state);

/* The recorder whose writer thread searches the roster, binds badges and
 * keeps the zone (may be NULL: those actions then fail). */
void app_org_set_recorder(struct app_org *o, struct cv_recorder *rec);

/* A reply from the writer thread (CV_INBOX_SEARCH, CV_INBOX_ORG_DONE). */
void app_org_reply(struct app_org *o, const struct cv_inbox_item *item, bool *dirty);

/* This kiosk's zone now (the configuration's until changed in the menu). */
const char *app_org_zone(const struct app_org *o);

/* True while organiser mode has the screen. */
bool app_org_active(const struct app_org *o);

/* A tap while organiser mode is open. Returns true when the kiosk flow
 * must see it (organiser mode closed for it): then *pass is the tap. */
bool app_org_tap(struct app_org *o, const struct cv_flow_tap *tap, struct cv_flow_tap *pass,
                 bool *dirty);

/* A touch that hit something other than a prompt option. */
void app_org_hit(struct app_org *o, const struct cv_ui_hit *hit, const struct cv_flow_state *flow,
                 bool *dirty);

/* Time passed: timeouts, new live snapshots, the map's animation. */
void app_org_tick(struct app_org *o, struct cv_ui *ui, bool *dirty);

/* How long the loop may sleep (ms) before app_org_tick needs to run. */
int app_org_wait_ms(const struct app_org *o, int wait);

/* Adds organiser mode and the live screen to a view about to be drawn. */
void app_org_view(struct app_org *o, const struct cv_flow_state *flow, struct cv_ui_view *view);

/* What a screenshot of the organiser screens is told apart by, and its name
 * ("org-menu"; flow_name while organiser mode is closed). */
void app_org_signature(const struct app_org *o, int *screen, int *notice, int *pin_len);
const char *app_org_shot_name(const struct app_org *o, const char *flow_name);

#endif
