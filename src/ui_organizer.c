/* The organiser screens: the PIN keypad, the menu, the zone list, the
 * enrolment screens with the roster search and its keyboard, the notices,
 * and the live screen framed with a way back. Every word from the assets. */
#include <stdio.h>
#include <string.h>

#include "ui_internal.h"

static const struct cv_theme *theme(const struct cv_ui *ui)
{
	return cv_assets_theme(ui->assets);
}

static const char *text(const struct cv_ui *ui, const char *key)
{
	return cv_assets_text(ui->assets, key);
}

/* Draws the text of key, filled from the view. Returns its height. */
static int line(struct cv_ui *ui, const char *key, enum face face, int px, int x, int y, int w,
                int lines, uint32_t rgb, bool center)
{
	char buf[TEXT_MAX];

	ui_fill(ui, text(ui, key), buf, sizeof(buf));
	return ui_text(ui, key, buf, face, px, x, y, w, lines, rgb, center);
}

/* A title row: a back button on the left (unless back is false) and the
 * title. Returns the height it takes with the gap below. */
static int title_row(struct cv_ui *ui, const struct metrics *m, SDL_Rect area, const char *key,
                     bool back)
{
	int bh = ui_at_least(m->s * 12 / 100, MIN_TOUCH_PX);
	int bw = ui_at_least(m->s * 26 / 100, 2 * MIN_TOUCH_PX);
	int x = area.x, w = area.w, h;

	if (back) {
		ui_button(ui, m, (SDL_Rect){area.x, area.y, bw, bh}, "org.back",
		          text(ui, "org.back"), m->small_px, true, CV_UI_T_BACK, 0, NULL);
		x += bw + m->gap;
		w -= 2 * (bw + m->gap); /* centred between the button and its mirror */
	}
	h = line(ui, key, FACE_BOLD, m->heading_px, x, area.y, w, 1, theme(ui)->text, true);
	if (h < bh && back)
		h = bh;
	return h + m->gap;
}

/* n buttons in a grid filling area; label(i) and the target of each. */
static void grid(struct cv_ui *ui, const struct metrics *m, SDL_Rect area, int n, int cols,
                 const char *const *keys, const char *const *labels, enum cv_ui_target target,
                 int highlight)
{
	int rows = (n + cols - 1) / cols, gap = m->gap * 2 / 3;
	int bw = (area.w - (cols - 1) * gap) / cols;
	int bh = (area.h - (rows - 1) * gap) / ui_at_least(rows, 1);

	if (bh > m->s * 22 / 100)
		bh = m->s * 22 / 100;
	bh = ui_at_least(bh, MIN_TOUCH_PX);
	for (int i = 0; i < n; i++) {
		SDL_Rect r = {area.x + (i % cols) * (bw + gap), area.y + (i / cols) * (bh + gap),
		              bw, bh};
		char label[TEXT_MAX];

		ui_fill(ui, labels[i], label, sizeof(label));
		ui_button(ui, m, r, keys[i], label, m->button_px, i != highlight, target, i, NULL);
	}
}

static void draw_pin(struct cv_ui *ui, const struct metrics *m, SDL_Rect area)
{
	const struct cv_theme *t = theme(ui);
	const struct cv_org_state *o = ui->view.org;
	bool portrait = m->h > m->w, locked = cv_org_locked(o, ui->view.now_ms);
	SDL_Rect info = area, pad = area;
	int y, dot, gap = m->gap / 2, kw, kh;
	static const char *const labels[12] = {"1", "2", "3", "4", "5", "6", "7", "8", "9"};

	if (portrait) {
		info.h = area.h * 38 / 100;
		pad.y = area.y + info.h;
		pad.h = area.h - info.h;
	} else {
		info.w = area.w * 45 / 100;
		pad.x = area.x + info.w + m->gap;
		pad.w = area.w - info.w - m->gap;
	}
	y = info.y;
	/* the way out, above everything else */
	ui_button(ui, m,
	          (SDL_Rect){info.x, y, ui_at_least(m->s * 26 / 100, 2 * MIN_TOUCH_PX),
	                     ui_at_least(m->s * 12 / 100, MIN_TOUCH_PX)},
	          "org.back", text(ui, "org.back"), m->small_px, true, CV_UI_T_BACK, 0, NULL);
	y += ui_at_least(m->s * 12 / 100, MIN_TOUCH_PX) + m->gap;
	y += line(ui, "org.pin_title", FACE_BOLD, m->heading_px, info.x, y, info.w, 2, t->text,
	          false) +
	     m->gap / 2;
	y += line(ui, "org.pin_hint", FACE_REGULAR, m->body_px, info.x, y, info.w, 2, t->muted,
	          false) +
	     m->gap;
	/* one dot per digit typed: the PIN itself is never drawn */
	dot = m->s * 3 / 100;
	for (int i = 0; i < o->pin_len; i++)
		ui_fill_disc(ui->renderer, (float)(info.x + dot + i * dot * 3), (float)(y + dot),
		             (float)dot, t->text);
	y += 2 * dot + m->gap;
	if (locked) {
		ui->fill_count = (o->locked_until_ms - ui->view.now_ms + 999) / 1000;
		line(ui, "org.pin_locked", FACE_BOLD, m->body_px, info.x, y, info.w, 3, t->warn,
		     false);
	} else if (o->pin_wrong) {
		line(ui, "org.pin_wrong", FACE_BOLD, m->body_px, info.x, y, info.w, 2, t->warn,
		     false);
	}

	/* the keypad: 1-9, then delete, 0, OK */
	kw = (pad.w - 2 * gap) / 3;
	kh = (pad.h - 3 * gap) / 4;
	if (kw > kh * 2)
		kw = kh * 2;
	pad.x += (pad.w - (3 * kw + 2 * gap)) / 2;
	for (int i = 0; i < 12; i++) {
		SDL_Rect r = {pad.x + (i % 3) * (kw + gap), pad.y + (i / 3) * (kh + gap), kw, kh};
		char key[16];

		if (i < 9) {
			snprintf(key, sizeof(key), "key.%d", i + 1);
			ui_button(ui, m, r, key, labels[i], m->title_px, true, CV_UI_T_DIGIT, i + 1,
			          NULL);
		} else if (i == 9) {
			ui_button(ui, m, r, "org.erase", text(ui, "org.erase"), m->small_px, true,
			          CV_UI_T_ERASE, 0, NULL);
		} else if (i == 10) {
			ui_button(ui, m, r, "key.0", "0", m->title_px, true, CV_UI_T_DIGIT, 0,
			          NULL);
		} else {
			ui_button(ui, m, r, "org.ok", text(ui, "org.ok"), m->button_px, false,
			          CV_UI_T_ENTER, 0, NULL);
		}
	}
}

static void draw_centered(struct cv_ui *ui, const struct metrics *m, SDL_Rect area, enum icon icon,
                          uint32_t icon_rgb, const char *key, bool back)
{
	const struct cv_theme *t = theme(ui);
	int y = area.y + area.h / 4;

	if (back)
		title_row(ui, m, area, "org.menu_title", true);
	if (icon != ICON_NONE) {
		ui_draw_icon(ui, icon, m->icon, area.x + area.w / 2, y, icon_rgb);
		y += m->icon / 2 + m->gap;
	}
	line(ui, key, FACE_BOLD, m->heading_px, area.x, y, area.w, 3, t->text, true);
}

/* The key of the line that says how the background sync stands, and its
 * colour: the last run's outcome once one has finished. */
static const char *sync_result_key(const struct cv_ui_sync_view *s, const struct cv_theme *t,
                                   uint32_t *rgb)
{
	*rgb = t->warn;
	if (!s->configured) {
		*rgb = t->muted;
		return "org.sync_off";
	}
	if (!s->finished) {
		*rgb = t->muted;
		return s->syncing ? "org.sync_running" : "org.sync_never";
	}
	switch (s->outcome) {
	case CV_SYNC_DONE: *rgb = t->ok; return "org.sync_done";
	case CV_SYNC_QUARANTINED: return "org.sync_held";
	case CV_SYNC_UNREACHABLE: return "org.sync_unreachable";
	case CV_SYNC_TLS: return "org.sync_tls";
	case CV_SYNC_CLOCK: return "org.sync_clock";
	case CV_SYNC_BAD_TOKEN: return "org.sync_bad_token";
	case CV_SYNC_REFUSED: return "org.sync_refused";
	case CV_SYNC_STOPPED: *rgb = t->muted; return "org.sync_never";
	case CV_SYNC_FAILED: break;
	}
	return "org.sync_failed";
}

/* Draws the text of key with {count} and {time} filled. Returns its height. */
static int sync_line(struct cv_ui *ui, const char *key, long long count, const char *at,
                     enum face face, int px, SDL_Rect area, int y, int lines, uint32_t rgb)
{
	char buf[TEXT_MAX], out[TEXT_MAX];
	const char *mark;

	ui->fill_count = count;
	ui_fill(ui, text(ui, key), buf, sizeof(buf));
	/* {time} is the sync's own placeholder: ui_fill leaves it as it is */
	mark = strstr(buf, "{time}");
	if (mark)
		snprintf(out, sizeof(out), "%.*s%s%s", (int)(mark - buf), buf, at, mark + 6);
	else
		snprintf(out, sizeof(out), "%s", buf);
	return ui_text(ui, key, out, face, px, area.x, y, area.w, lines, rgb, true);
}

/* The background sync under the menu's title: how the last run ended, what
 * still waits, and what is held back with the way to retry it. Returns the
 * height it takes with the gap below. */
static int draw_sync(struct cv_ui *ui, const struct metrics *m, SDL_Rect area)
{
	const struct cv_theme *t = theme(ui);
	const struct cv_ui_sync_view *s;
	int y = area.y, gap = m->gap / 3;
	uint32_t rgb;
	const char *key;

	if (!ui->view.org_data)
		return 0;
	s = &ui->view.org_data->sync;
	key = sync_result_key(s, t, &rgb);
	y += sync_line(ui, key, 0, s->at, FACE_BOLD, m->body_px, area, y, 2, rgb) + gap;
	if (s->configured && s->pending >= 0)
		y += sync_line(ui, "org.sync_pending", (long long)s->pending, s->at, FACE_REGULAR,
		               m->small_px, area, y, 1, t->muted) +
		     gap;
	if (s->configured && s->quarantined > 0) {
		y += sync_line(ui, "org.sync_quarantined", (long long)s->quarantined, s->at,
		               FACE_BOLD, m->small_px, area, y, 1, t->warn) +
		     gap;
		y += sync_line(ui, "org.sync_retry_hint", 0, s->at, FACE_REGULAR, m->small_px, area,
		               y, 2, t->muted) +
		     gap;
	}
	return y - area.y + m->gap - gap;
}

static void draw_menu(struct cv_ui *ui, const struct metrics *m, SDL_Rect area)
{
	static const char *const keys[CV_ORG_ITEM_COUNT] = {"org.item_live",   "org.item_enrol",
	                                                    "org.item_zone",   "org.item_sync",
	                                                    "org.item_export", "org.item_back"};
	const char *labels[CV_ORG_ITEM_COUNT];
	int top = line(ui, "org.menu_title", FACE_BOLD, m->heading_px, area.x, area.y, area.w, 1,
	               theme(ui)->text, true) +
	          m->gap;

	for (int i = 0; i < CV_ORG_ITEM_COUNT; i++)
		labels[i] = text(ui, keys[i]);
	area.y += top;
	area.h -= top;
	top = draw_sync(ui, m, area);
	area.y += top;
	area.h -= top;
	grid(ui, m, area, CV_ORG_ITEM_COUNT, m->h > m->w ? 1 : 3, keys, labels, CV_UI_T_ITEM,
	     CV_ORG_ITEM_LIVE);
}

static void draw_zones(struct cv_ui *ui, const struct metrics *m, SDL_Rect area)
{
	const struct cv_ui_org_data *d = ui->view.org_data;
	const char *keys[CV_UI_ZONES_MAX], *labels[CV_UI_ZONES_MAX];
	char names[CV_UI_ZONES_MAX][CV_ID_MAX + 8];
	int n = d ? d->zone_count : 0, current = -1, top;

	top = title_row(ui, m, area, "org.zone_title", true);
	area.y += top;
	area.h -= top;
	for (int i = 0; i < n && i < CV_UI_ZONES_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "zone.%s", d->zones[i]);
		keys[i] = names[i];
		labels[i] = d->zones[i];
		if (strcmp(d->zones[i], ui->view.zone ? ui->view.zone : "") == 0)
			current = i;
	}
	grid(ui, m, area, n, m->h > m->w ? 1 : (n <= 4 ? 2 : 3), keys, labels, CV_UI_T_ZONE,
	     current);
}

static void draw_enrol(struct cv_ui *ui, const struct metrics *m, SDL_Rect area)
{
	const struct cv_theme *t = theme(ui);
	int top = title_row(ui, m, area, "org.enrol_title", true), y;

	y = area.y + top + (area.h - top) / 6;
	ui_draw_icon(ui, ICON_TAP, m->icon, area.x + area.w / 2, y + m->icon / 2, t->accent);
	y += m->icon + m->gap;
	line(ui, "org.enrol_body", FACE_REGULAR, m->body_px, area.x, y, area.w, 3, t->muted, true);
}

static void draw_search(struct cv_ui *ui, const struct metrics *m, SDL_Rect area)
{
	const struct cv_theme *t = theme(ui);
	const struct cv_ui_org_data *d = ui->view.org_data;
	int top = title_row(ui, m, area, "org.search_title", true);
	int field_h = ui_at_least(m->s * 11 / 100, MIN_TOUCH_PX), y = area.y + top;
	int res_h = ui_at_least(m->s * 11 / 100, MIN_TOUCH_PX), n = d ? d->result_count : 0;
	bool portrait = m->h > m->w;
	int cols = portrait ? 1 : 3, shown = portrait ? 3 : 3, rows;
	int pad = m->gap / 2;
	SDL_Surface *s;

	/* the query, as typed, with a caret */
	ui_fill_round(ui->renderer, (float)area.x, (float)y, (float)area.w, (float)field_h,
	              (float)m->radius, t->surface);
	{
		char q[CV_ORG_QUERY_MAX + 4];

		snprintf(q, sizeof(q), "%s|", ui->view.org->query);
		s = ui_render_fit(ui, q, FACE_BOLD, m->body_px, area.w - 2 * pad, 1, field_h,
		                  t->text, NULL);
		if (s) {
			int w = s->w < area.w - 2 * pad ? s->w : area.w - 2 * pad;
			ui_blit_text(ui, "org.query", s, area.x + pad + w / 2,
			             y + (field_h - s->h) / 2, area.w - 2 * pad);
			SDL_FreeSurface(s);
		}
	}
	y += field_h + m->gap / 2;

	/* the results, as buttons */
	if (n > shown)
		n = shown;
	rows = portrait ? shown : 1;
	if (n == 0) {
		line(ui, "org.search_none", FACE_REGULAR, m->body_px, area.x, y + res_h / 4, area.w,
		     1, t->muted, true);
	} else {
		int gap = m->gap / 2, bw = (area.w - (cols - 1) * gap) / cols;

		for (int i = 0; i < n; i++) {
			SDL_Rect r = {area.x + (i % cols) * (bw + gap),
			              y + (i / cols) * (res_h + gap), bw, res_h};
			char key[32], label[2 * CV_NAME_MAX + 8];
			const struct cv_flow_person *p = &d->results[i];

			snprintf(key, sizeof(key), "org.result.%d", i);
			if (p->organization[0])
				snprintf(label, sizeof(label), "%s · %s", p->name, p->organization);
			else
				snprintf(label, sizeof(label), "%s", p->name);
			ui_button(ui, m, r, key, label, m->small_px, false, CV_UI_T_RESULT, i,
			          NULL);
		}
	}
	y += rows * res_h + (rows - 1) * (m->gap / 2) + m->gap / 2;
	ui_draw_keyboard(ui, m, (SDL_Rect){area.x, y, area.w, area.y + area.h - y});
}

static void draw_badge(struct cv_ui *ui, const struct metrics *m, SDL_Rect area)
{
	const struct cv_theme *t = theme(ui);
	const struct cv_flow_person *p = &ui->view.org->badge.person;
	int top = title_row(ui, m, area, "org.enrol_title", true), y = area.y + top;
	int bh = ui_at_least(m->s * 16 / 100, MIN_TOUCH_PX), gap = m->gap;
	int bw = (area.w - gap) / 2;

	y += line(ui, "org.badge_title", FACE_BOLD, m->heading_px, area.x, y, area.w, 2, t->text,
	          true) +
	     m->gap / 2;
	y += ui_text(ui, "org.badge_org", p->organization, FACE_REGULAR, m->body_px, area.x, y,
	             area.w, 1, t->muted, true);
	y = area.y + area.h - bh;
	ui_button(ui, m, (SDL_Rect){area.x, y, bw, bh}, "org.unbind", text(ui, "org.unbind"),
	          m->button_px, true, CV_UI_T_UNBIND, 0, NULL);
	ui_button(ui, m, (SDL_Rect){area.x + bw + gap, y, bw, bh}, "org.revoke",
	          text(ui, "org.revoke"), m->button_px, false, CV_UI_T_REVOKE, 0, NULL);
}

static void draw_notice(struct cv_ui *ui, const struct metrics *m, SDL_Rect area)
{
	const struct cv_org_state *o = ui->view.org;
	const struct cv_theme *t = theme(ui);
	const char *key = "org.failed";

	if (o->notice == CV_ORG_NOTICE_WORKING) {
		draw_centered(ui, m, area, ICON_NONE, 0, "org.working", false);
		return;
	}
	if (o->notice == CV_ORG_NOTICE_RANDOM) {
		draw_centered(ui, m, area, ICON_CROSS, t->warn, "org.random", true);
		return;
	}
	if (o->notice_ok) {
		switch (o->notice) {
		case CV_ORG_NOTICE_SYNC: key = "org.done_sync"; break;
		case CV_ORG_NOTICE_EXPORT: key = "org.done_export"; break;
		case CV_ORG_NOTICE_BOUND: key = "org.done_bound"; break;
		case CV_ORG_NOTICE_UNBOUND: key = "org.done_unbound"; break;
		case CV_ORG_NOTICE_REVOKED: key = "org.done_revoked"; break;
		case CV_ORG_NOTICE_ZONE: key = "org.done_zone"; break;
		default: break;
		}
	}
	draw_centered(ui, m, area, o->notice_ok ? ICON_CHECK : ICON_ALERT,
	              o->notice_ok ? t->ok : t->warn, key, true);
}

void ui_draw_organizer(struct cv_ui *ui, const struct metrics *m, SDL_Rect area)
{
	switch (ui->view.org->screen) {
	case CV_ORG_PIN: draw_pin(ui, m, area); break;
	case CV_ORG_CHECKING:
		draw_centered(ui, m, area, ICON_NONE, 0, "org.checking", false);
		break;
	case CV_ORG_MENU: draw_menu(ui, m, area); break;
	case CV_ORG_LIVE: {
		int bh = ui_at_least(m->s * 10 / 100, MIN_TOUCH_PX);
		int bw = ui_at_least(m->s * 22 / 100, 2 * MIN_TOUCH_PX);
		SDL_Rect live = {m->margin / 3, area.y - m->margin + m->margin / 3,
		                 m->w - 2 * (m->margin / 3),
		                 area.h + 2 * m->margin - 2 * (m->margin / 3)};

		/* the way back gets a strip of its own under the screen */
		live.h -= bh + m->gap / 3;
		ui_draw_live(ui, m, live);
		ui_button(
		    ui, m, (SDL_Rect){live.x + live.w - bw, live.y + live.h + m->gap / 3, bw, bh},
		    "org.back", text(ui, "org.back"), m->small_px, false, CV_UI_T_BACK, 0, NULL);
		break;
	}
	case CV_ORG_ENROL: draw_enrol(ui, m, area); break;
	case CV_ORG_SEARCH: draw_search(ui, m, area); break;
	case CV_ORG_BADGE: draw_badge(ui, m, area); break;
	case CV_ORG_ZONE: draw_zones(ui, m, area); break;
	case CV_ORG_NOTICE: draw_notice(ui, m, area); break;
	case CV_ORG_OFF:
	case CV_ORG_SCREEN_COUNT: break;
	}
}
