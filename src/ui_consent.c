/* The consent screen: what may be noted about the person on screen
 * (attendance only, or also the people they meet) and whether their name
 * may appear on the live screen, then "save". The chosen answer is filled,
 * the other outlined, so the choice reads at a glance from a step away. */
#include "ui_internal.h"

#include "cv_assets.h"

static int consent_text(struct cv_ui *ui, const char *key, enum face face, int px, SDL_Rect area,
                        int y, int lines, uint32_t rgb)
{
	char text[TEXT_MAX];

	ui_fill(ui, cv_assets_text(ui->assets, key), text, sizeof(text));
	if (ui_blank(text))
		return 0;
	return ui_text(ui, key, text, face, px, area.x, y, area.w, lines, rgb, true);
}

static void consent_button(struct cv_ui *ui, const struct metrics *m, SDL_Rect r, const char *key,
                           int px, bool chosen, enum cv_flow_consent_input input)
{
	char text[TEXT_MAX];

	ui_fill(ui, cv_assets_text(ui->assets, key), text, sizeof(text));
	ui_button(ui, m, r, key, text, px, !chosen, CV_UI_T_CONSENT, (int)input, NULL);
}

void ui_draw_consent(struct cv_ui *ui, const struct metrics *m, SDL_Rect area)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);
	const struct cv_flow_state *f = ui->view.flow;
	bool portrait = m->h > m->w;
	int gap = m->gap, y = area.y, h;
	int choice_h = ui_at_least(m->s * 20 / 100, MIN_TOUCH_PX);
	int toggle_h = ui_at_least(m->s * 12 / 100, MIN_TOUCH_PX);
	int done_h = ui_at_least(m->s * 13 / 100, MIN_TOUCH_PX);
	SDL_Rect r;

	/* a tall screen has room to spare: centre the block on an estimate
	 * of its height (two-line title and question, the buttons, the note) */
	{
		int est = 2 * m->heading_px * 6 / 5 + 2 * m->body_px * 6 / 5 + m->small_px * 6 / 5 +
		          (portrait ? 2 * choice_h + gap / 2 : choice_h) + toggle_h + done_h +
		          4 * gap;
		if (est < area.h)
			y += (area.h - est) / 2;
	}
	y += consent_text(ui, "consent.title", FACE_BOLD, m->heading_px, area, y, 2, t->text);
	y += gap;

	/* the two answers: side by side, or stacked on a portrait screen */
	if (portrait) {
		r = (SDL_Rect){area.x, y, area.w, choice_h};
		consent_button(ui, m, r, "consent.attendance", m->button_px,
		               f->consent_choice == CV_CONSENT_ATTENDANCE,
		               CV_FLOW_CONSENT_ATTENDANCE);
		r.y += choice_h + gap / 2;
		consent_button(ui, m, r, "consent.encounters", m->button_px,
		               f->consent_choice == CV_CONSENT_ENCOUNTERS,
		               CV_FLOW_CONSENT_ENCOUNTERS);
		y = r.y + choice_h + gap;
	} else {
		int w = (area.w - gap) / 2;
		r = (SDL_Rect){area.x, y, w, choice_h};
		consent_button(ui, m, r, "consent.attendance", m->button_px,
		               f->consent_choice == CV_CONSENT_ATTENDANCE,
		               CV_FLOW_CONSENT_ATTENDANCE);
		r.x += w + gap;
		consent_button(ui, m, r, "consent.encounters", m->button_px,
		               f->consent_choice == CV_CONSENT_ENCOUNTERS,
		               CV_FLOW_CONSENT_ENCOUNTERS);
		y += choice_h + gap;
	}

	h = consent_text(ui, "consent.name_question", FACE_REGULAR, m->body_px, area, y, 2,
	                 t->muted);
	y += h ? h + gap / 2 : 0;
	{
		int w = portrait ? (area.w - gap) / 2 : (area.w * 70 / 100 - gap) / 2;
		int x0 = area.x + (area.w - (2 * w + gap)) / 2;
		r = (SDL_Rect){x0, y, w, toggle_h};
		consent_button(ui, m, r, "consent.show_name", m->small_px, f->consent_show_name,
		               CV_FLOW_CONSENT_SHOW_NAME);
		r.x += w + gap;
		consent_button(ui, m, r, "consent.hide_name", m->small_px, !f->consent_show_name,
		               CV_FLOW_CONSENT_HIDE_NAME);
		y += toggle_h + gap;
	}

	/* save: outlined (and ignored by the flow) until an answer is chosen */
	{
		int w = portrait ? area.w : area.w * 45 / 100;
		r = (SDL_Rect){area.x + (area.w - w) / 2, y, w, done_h};
		consent_button(ui, m, r, "consent.done", m->button_px,
		               f->consent_choice != CV_CONSENT_UNSET, CV_FLOW_CONSENT_DONE);
		y += done_h + gap / 2;
	}
	if (y + m->small_px < area.y + area.h)
		consent_text(ui, "consent.note", FACE_REGULAR, m->small_px, area, y, 1, t->muted);
}
