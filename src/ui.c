/* The touchscreen: one SDL window, one screen per flow state drawn from a
 * struct cv_ui_view with every word taken from the assets, laid out from
 * the window's size, and the short confirmation sound. Owns SDL's video
 * (and audio) subsystems, SDL_ttf and the fonts while it lives. */
#include "cv_ui.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>
#include <fontconfig/fontconfig.h>

#include "cv_error.h"
#include "cv_log.h"
#include "ui_internal.h"

#define CV_LOG_TAG "ui"

void ui_metrics_for(int w, int h, struct metrics *m)
{
	m->w = w;
	m->h = h;
	m->s = w < h ? w : h;
	m->margin = m->s * 5 / 100;
	m->gap = m->s * 3 / 100;
	m->title_px = m->s * 95 / 1000;
	m->heading_px = m->s * 75 / 1000;
	m->body_px = m->s * 52 / 1000;
	m->small_px = m->s * 42 / 1000;
	m->button_px = m->s * 48 / 1000;
	m->banner_px = m->s * 44 / 1000;
	m->icon = m->s * 17 / 100;
	m->radius = m->s * 25 / 1000;
}

int ui_at_least(int v, int min)
{
	return v < min ? min : v;
}

/* ---- fonts ---- */

static int font_lookup(const char *pattern, char *out, size_t outlen)
{
	FcPattern *pat, *match;
	FcResult res;
	FcChar8 *file = NULL;
	int rc = CV_ENOTFOUND;

	if (!FcInit())
		return CV_ENOTFOUND;
	pat = FcNameParse((const FcChar8 *)pattern);
	if (!pat)
		return CV_ENOTFOUND;
	FcConfigSubstitute(NULL, pat, FcMatchPattern);
	FcDefaultSubstitute(pat);
	match = FcFontMatch(NULL, pat, &res);
	FcPatternDestroy(pat);
	if (!match)
		return CV_ENOTFOUND;
	if (FcPatternGetString(match, FC_FILE, 0, &file) == FcResultMatch && file) {
		snprintf(out, outlen, "%s", (const char *)file);
		rc = 0;
	}
	FcPatternDestroy(match);
	return rc;
}

TTF_Font *ui_font_get(struct cv_ui *ui, enum face face, int px)
{
	TTF_Font *f;

	px = ui_at_least(px, MIN_TEXT_PX);
	for (int i = 0; i < ui->font_count; i++)
		if (ui->fonts[i].face == face && ui->fonts[i].px == px)
			return ui->fonts[i].font;
	if (ui->font_count == FONT_CACHE_MAX) {
		/* a resized window asks for new sizes: start the cache over */
		for (int i = 0; i < ui->font_count; i++)
			TTF_CloseFont(ui->fonts[i].font);
		ui->font_count = 0;
	}
	f = TTF_OpenFont(ui->font_path[face], px);
	if (!f) {
		cv_log_error("font %s at %d px: %s", ui->font_path[face], px, TTF_GetError());
		return NULL;
	}
	if (face == FACE_BOLD && ui->synth_bold)
		TTF_SetFontStyle(f, TTF_STYLE_BOLD);
	TTF_SetFontWrappedAlign(f, TTF_WRAPPED_ALIGN_CENTER);
	TTF_SetFontHinting(f, TTF_HINTING_LIGHT);
	ui->fonts[ui->font_count++] = (struct font_slot){face, px, f};
	return f;
}

/* ---- colours and shapes ---- */

SDL_Color ui_colour(uint32_t rgb)
{
	return (SDL_Color){(Uint8)(rgb >> 16), (Uint8)(rgb >> 8), (Uint8)rgb, 255};
}

void ui_set_colour(SDL_Renderer *r, uint32_t rgb, float alpha)
{
	SDL_SetRenderDrawColor(r, (Uint8)(rgb >> 16), (Uint8)(rgb >> 8), (Uint8)rgb,
	                       (Uint8)lroundf(255.0f * alpha));
}

/* A rounded rectangle (a disc when w == h == 2 * rad), filled row by row
 * with the partly covered edge pixels blended, so curves look smooth on
 * every renderer. */
void ui_fill_round(SDL_Renderer *r, float x, float y, float w, float h, float rad, uint32_t rgb)
{
	int top = (int)floorf(y), bottom = (int)ceilf(y + h);

	if (rad > w / 2)
		rad = w / 2;
	if (rad > h / 2)
		rad = h / 2;
	for (int py = top; py < bottom; py++) {
		float yc = (float)py + 0.5f, inset = 0, xl, xr;
		int a, b;

		if (yc < y || yc > y + h)
			continue;
		if (yc < y + rad || yc > y + h - rad) {
			float dy = yc < y + rad ? y + rad - yc : yc - (y + h - rad);
			float q = rad * rad - dy * dy;
			inset = rad - sqrtf(q > 0 ? q : 0);
		}
		xl = x + inset;
		xr = x + w - inset;
		if (xr <= xl)
			continue;
		a = (int)ceilf(xl);
		b = (int)floorf(xr);
		if (b > a) {
			ui_set_colour(r, rgb, 1.0f);
			SDL_RenderFillRect(r, &(SDL_Rect){a, py, b - a, 1});
		}
		if ((float)a > xl) {
			ui_set_colour(r, rgb, (float)a - xl);
			SDL_RenderDrawPoint(r, a - 1, py);
		}
		if (xr > (float)b && b >= a) {
			ui_set_colour(r, rgb, xr - (float)b);
			SDL_RenderDrawPoint(r, b, py);
		}
	}
}

void ui_fill_disc(SDL_Renderer *r, float cx, float cy, float rad, uint32_t rgb)
{
	ui_fill_round(r, cx - rad, cy - rad, 2 * rad, 2 * rad, rad, rgb);
}

/* A straight stroke with round ends. */
void ui_stroke(SDL_Renderer *r, float x0, float y0, float x1, float y1, float t, uint32_t rgb)
{
	float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
	SDL_Color c = ui_colour(rgb);
	SDL_Vertex v[4];
	const int idx[6] = {0, 1, 2, 1, 3, 2};
	float nx, ny;

	if (len <= 0)
		return;
	nx = -dy / len * t / 2;
	ny = dx / len * t / 2;
	v[0] = (SDL_Vertex){{x0 + nx, y0 + ny}, c, {0, 0}};
	v[1] = (SDL_Vertex){{x0 - nx, y0 - ny}, c, {0, 0}};
	v[2] = (SDL_Vertex){{x1 + nx, y1 + ny}, c, {0, 0}};
	v[3] = (SDL_Vertex){{x1 - nx, y1 - ny}, c, {0, 0}};
	SDL_RenderGeometry(r, NULL, v, 4, idx, 6);
	ui_fill_disc(r, x0, y0, t / 2, rgb);
	ui_fill_disc(r, x1, y1, t / 2, rgb);
}

/* An arc of a circle around (cx, cy), from angle a0 to a1 (radians, 0 is
 * right, growing clockwise on screen), with round ends. */
static void arc(SDL_Renderer *r, float cx, float cy, float rad, float t, float a0, float a1,
                uint32_t rgb)
{
	enum { STEPS = 32 };
	SDL_Vertex v[2 * (STEPS + 1)];
	int idx[6 * STEPS];
	SDL_Color c = ui_colour(rgb);

	for (int i = 0; i <= STEPS; i++) {
		float a = a0 + (a1 - a0) * (float)i / STEPS;
		float ca = cosf(a), sa = sinf(a);
		v[2 * i] =
		    (SDL_Vertex){{cx + (rad - t / 2) * ca, cy + (rad - t / 2) * sa}, c, {0, 0}};
		v[2 * i + 1] =
		    (SDL_Vertex){{cx + (rad + t / 2) * ca, cy + (rad + t / 2) * sa}, c, {0, 0}};
	}
	for (int i = 0; i < STEPS; i++) {
		int k = 2 * i;
		int q[6] = {k, k + 1, k + 2, k + 1, k + 3, k + 2};
		memcpy(&idx[6 * i], q, sizeof(q));
	}
	SDL_RenderGeometry(r, NULL, v, 2 * (STEPS + 1), idx, 6 * STEPS);
	ui_fill_disc(r, cx + rad * cosf(a0), cy + rad * sinf(a0), t / 2, rgb);
	ui_fill_disc(r, cx + rad * cosf(a1), cy + rad * sinf(a1), t / 2, rgb);
}

void ui_draw_icon(struct cv_ui *ui, enum icon icon, int size, int cx, int cy, uint32_t rgb)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);
	SDL_Renderer *r = ui->renderer;
	float rad = (float)size / 2, x = (float)cx, y = (float)cy;

	switch (icon) {
	case ICON_TAP: /* the contactless mark on a soft disc */
		ui_fill_disc(r, x, y, rad, t->surface);
		for (int i = 0; i < 3; i++)
			arc(r, x - rad * 0.32f, y, rad * (0.26f + 0.22f * (float)i), rad * 0.10f,
			    -0.9f, 0.9f, rgb);
		ui_fill_disc(r, x - rad * 0.32f, y, rad * 0.10f, rgb);
		break;
	case ICON_CHECK:
		ui_fill_disc(r, x, y, rad, rgb);
		ui_stroke(r, x - rad * 0.42f, y + rad * 0.02f, x - rad * 0.12f, y + rad * 0.32f,
		          rad * 0.15f, t->background);
		ui_stroke(r, x - rad * 0.12f, y + rad * 0.32f, x + rad * 0.44f, y - rad * 0.28f,
		          rad * 0.15f, t->background);
		break;
	case ICON_ALERT:
		ui_fill_disc(r, x, y, rad, rgb);
		ui_stroke(r, x, y - rad * 0.48f, x, y + rad * 0.10f, rad * 0.17f, t->background);
		ui_fill_disc(r, x, y + rad * 0.40f, rad * 0.11f, t->background);
		break;
	case ICON_CROSS:
		ui_fill_disc(r, x, y, rad, rgb);
		ui_stroke(r, x - rad * 0.32f, y - rad * 0.32f, x + rad * 0.32f, y + rad * 0.32f,
		          rad * 0.15f, t->background);
		ui_stroke(r, x + rad * 0.32f, y - rad * 0.32f, x - rad * 0.32f, y + rad * 0.32f,
		          rad * 0.15f, t->background);
		break;
	case ICON_NONE: break;
	}
}

/* ---- text ---- */

static void put(char *out, size_t outlen, size_t *used, const char *s, size_t n)
{
	if (*used + 1 >= outlen)
		return;
	if (n > outlen - 1 - *used)
		n = outlen - 1 - *used;
	memcpy(out + *used, s, n);
	*used += n;
	out[*used] = '\0';
}

/* Fills the placeholders of a template from the view. An unknown
 * {placeholder} stays as written so the mistake shows. */
void ui_fill(const struct cv_ui *ui, const char *tmpl, char *out, size_t outlen)
{
	const struct cv_ui_view *v = &ui->view;
	size_t used = 0;
	char seconds[16];

	char count[24];

	snprintf(seconds, sizeof(seconds), "%d", (v->pair_window_ms + 999) / 1000);
	snprintf(count, sizeof(count), "%lld", (long long)ui->fill_count);
	out[0] = '\0';
	while (*tmpl) {
		const char *open = strchr(tmpl, '{'), *close, *val = NULL;
		size_t nlen;

		if (!open) {
			put(out, outlen, &used, tmpl, strlen(tmpl));
			break;
		}
		put(out, outlen, &used, tmpl, (size_t)(open - tmpl));
		close = strchr(open, '}');
		if (!close) {
			put(out, outlen, &used, open, strlen(open));
			break;
		}
		nlen = (size_t)(close - open - 1);
#define IS(word) (nlen == strlen(word) && strncmp(open + 1, word, nlen) == 0)
		if (IS("name"))
			val = v->flow->first.person.name;
		else if (IS("organization"))
			val = v->flow->first.person.organization;
		else if (IS("zone"))
			val = v->zone;
		else if (IS("kiosk"))
			val = v->kiosk_name;
		else if (IS("seconds"))
			val = seconds;
		else if (IS("other"))
			val = v->flow->second.person.name;
		else if (IS("count"))
			val = count;
		else if (IS("organizer") && v->org)
			val = v->org->organizer.name;
		else if (IS("person") && v->org)
			val = v->org->badge.person.name;
#undef IS
		if (val)
			put(out, outlen, &used, val, strlen(val));
		else
			put(out, outlen, &used, open, nlen + 2);
		tmpl = close + 1;
	}
	/* never leave half a UTF-8 sequence where the buffer ran out */
	if (used > 0 && used + 1 >= outlen) {
		size_t i = used;
		while (i > 0 && ((unsigned char)out[i - 1] & 0xC0) == 0x80)
			i--;
		if (i > 0 && ((unsigned char)out[i - 1] & 0xC0) == 0xC0)
			out[i - 1] = '\0';
	}
}

bool ui_blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t')
			return false;
	return true;
}

/* True when every word of text fits in max_w on its own: wrapping may
 * then break lines between words only, never inside a name. */
static bool words_fit(TTF_Font *f, const char *text, int max_w)
{
	char word[TEXT_MAX];

	while (*text) {
		size_t n = strcspn(text, " \n");
		int w = 0;

		if (n > 0) {
			if (n >= sizeof(word))
				n = sizeof(word) - 1;
			memcpy(word, text, n);
			word[n] = '\0';
			if (TTF_SizeUTF8(f, word, &w, NULL) != 0 || w > max_w)
				return false;
		}
		text += n;
		while (*text == ' ' || *text == '\n')
			text++;
	}
	return true;
}

/* Narrows the wrap width of a multi-line text as far as it keeps the same
 * number of lines, so lines come out even rather than one long line and
 * an orphaned last word. Takes s, returns the surface to use. */
static SDL_Surface *balance_lines(TTF_Font *f, const char *text, SDL_Color c, SDL_Surface *s,
                                  int max_w)
{
	int lo = max_w / 2, hi = max_w;

	if (s->h < 2 * TTF_FontLineSkip(f))
		return s;
	while (hi - lo > 4) {
		int mid = (lo + hi) / 2;
		SDL_Surface *t = NULL;

		if (words_fit(f, text, mid))
			t = TTF_RenderUTF8_Blended_Wrapped(f, text, c, (Uint32)mid);
		if (t && t->h == s->h) {
			SDL_FreeSurface(s);
			s = t;
			hi = mid;
		} else {
			SDL_FreeSurface(t);
			lo = mid;
		}
	}
	return s;
}

/* Renders text wrapped at max_w, shrinking from px until it takes at most
 * lines lines, no more than max_h pixels (0: no limit) and breaks no word
 * (or the smallest readable size is reached). The caller frees it; the
 * size used goes to *px_out unless that is NULL. */
SDL_Surface *ui_render_fit(struct cv_ui *ui, const char *text, enum face face, int px, int max_w,
                           int lines, int max_h, uint32_t rgb, int *px_out)
{
	px = ui_at_least(px, MIN_TEXT_PX);
	max_w = ui_at_least(max_w, 1);
	for (;;) {
		TTF_Font *f = ui_font_get(ui, face, px);
		SDL_Surface *s;
		int limit;

		if (!f)
			return NULL;
		limit = ui_at_least(lines, 1) * TTF_FontLineSkip(f);
		if (max_h > 0 && max_h < limit)
			limit = max_h;
		if (px > MIN_TEXT_PX && !words_fit(f, text, max_w)) {
			px = ui_at_least(px * 9 / 10, MIN_TEXT_PX);
			continue;
		}
		s = TTF_RenderUTF8_Blended_Wrapped(f, text, ui_colour(rgb), (Uint32)max_w);
		if (!s) {
			cv_log_warn("cannot render text: %s", TTF_GetError());
			return NULL;
		}
		if ((s->w <= max_w && s->h <= limit) || px == MIN_TEXT_PX) {
			if (px_out)
				*px_out = px;
			return balance_lines(f, text, ui_colour(rgb), s, max_w);
		}
		SDL_FreeSurface(s);
		px = ui_at_least(px * 9 / 10, MIN_TEXT_PX);
	}
}

void ui_record_box(struct cv_ui *ui, const char *key, SDL_Rect r)
{
	struct cv_ui_text_box *b;

	if (ui->box_count == TEXT_BOXES_MAX)
		return;
	b = &ui->boxes[ui->box_count++];
	snprintf(b->key, sizeof(b->key), "%s", key);
	b->x = r.x;
	b->y = r.y;
	b->w = r.w;
	b->h = r.h;
}

/* Draws a rendered text centred on (cx, top), scaled down if it is still
 * wider than max_w at the smallest size, and records its box. */
int ui_blit_text(struct cv_ui *ui, const char *key, SDL_Surface *s, int cx, int top, int max_w)
{
	SDL_Texture *tex = SDL_CreateTextureFromSurface(ui->renderer, s);
	SDL_Rect dst = {0, top, s->w, s->h};

	if (dst.w > max_w) {
		dst.h = dst.h * max_w / dst.w;
		dst.w = max_w;
	}
	dst.x = cx - dst.w / 2;
	if (tex) {
		SDL_RenderCopy(ui->renderer, tex, NULL, &dst);
		SDL_DestroyTexture(tex);
	}
	ui_record_box(ui, key, dst);
	return dst.h;
}

/* ---- touch targets ---- */

void ui_add_button(struct cv_ui *ui, SDL_Rect r, enum cv_ui_target target, int index,
                   const char *text)
{
	struct ui_button *b;

	if (ui->button_count == BUTTONS_MAX)
		return;
	b = &ui->buttons[ui->button_count++];
	memset(b, 0, sizeof(*b));
	b->r = r;
	b->hit.target = target;
	b->hit.index = index;
	if (text)
		snprintf(b->hit.text, sizeof(b->hit.text), "%s", text);
}

void ui_button(struct cv_ui *ui, const struct metrics *m, SDL_Rect r, const char *key,
               const char *label, int px, bool quiet, enum cv_ui_target target, int index,
               const char *text)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);
	int pad = ui_at_least(m->gap / 3, 4);
	SDL_Surface *s;

	if (quiet) {
		int bw = ui_at_least(m->s / 240, 2);
		ui_fill_round(ui->renderer, (float)r.x, (float)r.y, (float)r.w, (float)r.h,
		              (float)m->radius, t->muted);
		ui_fill_round(ui->renderer, (float)(r.x + bw), (float)(r.y + bw),
		              (float)(r.w - 2 * bw), (float)(r.h - 2 * bw), (float)(m->radius - bw),
		              t->surface);
	} else {
		ui_fill_round(ui->renderer, (float)r.x, (float)r.y, (float)r.w, (float)r.h,
		              (float)m->radius, t->accent);
	}
	ui_add_button(ui, r, target, index, text);
	if (!label || ui_blank(label))
		return;
	s = ui_render_fit(ui, label, FACE_BOLD, px, r.w - 2 * pad, 2, r.h - 2 * pad,
	                  quiet ? t->text : t->accent_text, NULL);
	if (s) {
		int h = s->h < r.h - 2 * pad ? s->h : r.h - 2 * pad;
		ui_blit_text(ui, key, s, r.x + r.w / 2, r.y + (r.h - h) / 2, r.w - 2 * pad);
		SDL_FreeSurface(s);
	}
}

SDL_Surface *ui_trim(struct cv_ui *ui, SDL_Surface *s, const char *text, enum face face, int px)
{
	TTF_Font *f = ui_font_get(ui, face, px);
	SDL_Surface *t;
	int w = 0;

	/* wrapped text is rendered as wide as the wrap and centred in it:
	 * one line is cut to its own width so it can sit flush left */
	if (!f || s->h >= 2 * TTF_FontLineSkip(f) || TTF_SizeUTF8(f, text, &w, NULL) != 0 ||
	    w + 2 >= s->w || w <= 0)
		return s;
	t = SDL_CreateRGBSurfaceWithFormat(0, w + 2, s->h, 32, SDL_PIXELFORMAT_ARGB8888);
	if (!t)
		return s;
	SDL_SetSurfaceBlendMode(s, SDL_BLENDMODE_NONE);
	SDL_BlitSurface(s, &(SDL_Rect){(s->w - w) / 2 - 1, 0, w + 2, s->h}, t, NULL);
	SDL_FreeSurface(s);
	return t;
}

int ui_text(struct cv_ui *ui, const char *key, const char *text, enum face face, int px, int x,
            int y, int max_w, int lines, uint32_t rgb, bool center)
{
	SDL_Surface *s;
	int h, used = px;

	if (!text || ui_blank(text) || max_w <= 0)
		return 0;
	s = ui_render_fit(ui, text, face, px, max_w, lines, 0, rgb, &used);
	if (!s)
		return 0;
	if (!center)
		s = ui_trim(ui, s, text, face, used);
	if (center) {
		h = ui_blit_text(ui, key, s, x + max_w / 2, y, max_w);
	} else {
		int w = s->w < max_w ? s->w : max_w;
		h = ui_blit_text(ui, key, s, x + w / 2, y, max_w);
	}
	SDL_FreeSurface(s);
	return h;
}

/* ---- vertical stacks: a centred column of icons and texts ---- */

struct block {
	const char *key; /* asset key of a text; NULL for an icon */
	SDL_Surface *surf;
	enum icon icon;
	int size;
	uint32_t rgb;
	int gap; /* space above */
};

struct stack {
	struct block b[8];
	int n;
	int max_w;
	int pct; /* scale of every size, in percent */
};

static void stack_icon(struct stack *st, enum icon icon, int size, uint32_t rgb)
{
	if (st->n == 8)
		return;
	st->b[st->n++] = (struct block){.icon = icon, .size = size * st->pct / 100, .rgb = rgb};
}

/* Adds the asset text key, filled from the view, unless it comes out empty
 * (an attendee without an organization). */
static void stack_text(struct cv_ui *ui, struct stack *st, const char *key, const char *tmpl,
                       enum face face, int px, int lines, uint32_t rgb, int gap)
{
	char text[TEXT_MAX];
	SDL_Surface *s;

	if (st->n == 8)
		return;
	ui_fill(ui, tmpl ? tmpl : cv_assets_text(ui->assets, key), text, sizeof(text));
	if (ui_blank(text))
		return;
	px = px * st->pct / 100;
	s = ui_render_fit(ui, text, face, px, st->max_w, lines, 0, rgb, NULL);
	if (!s)
		return;
	st->b[st->n++] = (struct block){.key = key, .surf = s, .gap = gap * st->pct / 100};
}

static int stack_height(const struct stack *st)
{
	int h = 0;

	for (int i = 0; i < st->n; i++)
		h += (i ? st->b[i].gap : 0) + (st->b[i].surf ? st->b[i].surf->h : st->b[i].size);
	return h;
}

static void stack_free(struct stack *st)
{
	for (int i = 0; i < st->n; i++)
		SDL_FreeSurface(st->b[i].surf);
	st->n = 0;
}

typedef void (*stack_builder)(struct cv_ui *ui, const struct metrics *m, struct stack *st);

/* Builds the column at full size, and smaller until it fits the area
 * (long names, long translations, small screens), then draws it centred. */
static void stack_fit_draw(struct cv_ui *ui, const struct metrics *m, SDL_Rect area,
                           stack_builder build)
{
	struct stack st = {.max_w = area.w};
	int y;

	for (st.pct = 100;; st.pct = st.pct * 88 / 100) {
		build(ui, m, &st);
		if (stack_height(&st) <= area.h || st.pct < 40)
			break;
		stack_free(&st);
	}
	y = area.y + (area.h - stack_height(&st)) / 2;
	if (y < area.y)
		y = area.y;
	for (int i = 0; i < st.n; i++) {
		struct block *b = &st.b[i];

		y += i ? b->gap : 0;
		if (b->surf) {
			y += ui_blit_text(ui, b->key, b->surf, area.x + area.w / 2, y, area.w);
		} else {
			ui_draw_icon(ui, b->icon, b->size, area.x + area.w / 2, y + b->size / 2,
			             b->rgb);
			y += b->size;
		}
	}
	stack_free(&st);
}

/* A rounded panel with one text, at the bottom of area. Returns the height
 * it takes, 0 when the text is empty. */
static int bottom_panel(struct cv_ui *ui, const struct metrics *m, SDL_Rect area, const char *key,
                        uint32_t text_rgb)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);
	char text[TEXT_MAX];
	int pad = m->gap, inner_w = area.w - 2 * pad;
	SDL_Surface *s;
	SDL_Rect box;

	ui_fill(ui, cv_assets_text(ui->assets, key), text, sizeof(text));
	if (ui_blank(text))
		return 0;
	s = ui_render_fit(ui, text, FACE_REGULAR, m->body_px, inner_w, 3, 0, text_rgb, NULL);
	if (!s)
		return 0;
	box = (SDL_Rect){area.x, area.y + area.h - s->h - 2 * pad, area.w, s->h + 2 * pad};
	ui_fill_round(ui->renderer, (float)box.x, (float)box.y, (float)box.w, (float)box.h,
	              (float)m->radius, t->surface);
	ui_blit_text(ui, key, s, box.x + box.w / 2, box.y + pad, inner_w);
	SDL_FreeSurface(s);
	return box.h;
}

/* ---- screens ---- */

static bool pairs_on(const struct cv_ui *ui)
{
	return ui->view.mode == CV_MODE_MEET || ui->view.mode == CV_MODE_BOTH;
}

static void build_idle(struct cv_ui *ui, const struct metrics *m, struct stack *st)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);

	stack_icon(st, ICON_TAP, m->icon * 6 / 5, t->accent);
	stack_text(ui, st, "idle.title", NULL, FACE_BOLD, m->title_px, 2, t->text, m->gap);
	stack_text(ui, st, "idle.subtitle", NULL, FACE_REGULAR, m->body_px, 2, t->muted,
	           m->gap / 2);
}

static void draw_idle(struct cv_ui *ui, const struct metrics *m, SDL_Rect area)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);
	char text[TEXT_MAX];

	ui_fill(ui, cv_assets_text(ui->assets, "idle.place"), text, sizeof(text));
	if (!ui_blank(text)) {
		SDL_Surface *s = ui_render_fit(ui, text, FACE_REGULAR, m->small_px, area.w, 1, 0,
		                               t->muted, NULL);
		if (s) {
			int h =
			    ui_blit_text(ui, "idle.place", s, area.x + area.w / 2, area.y, area.w);
			area.y += h + m->gap;
			area.h -= h + m->gap;
			SDL_FreeSurface(s);
		}
	}
	if (pairs_on(ui)) {
		int h = bottom_panel(ui, m, area, "idle.meet_hint", t->text);
		area.h -= h ? h + m->gap : 0;
	}
	stack_fit_draw(ui, m, area, build_idle);
}

static void build_welcome(struct cv_ui *ui, const struct metrics *m, struct stack *st)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);
	const struct cv_flow_tap *tap = &ui->view.flow->first;

	stack_icon(st, ICON_CHECK, m->icon, t->ok);
	stack_text(ui, st, "welcome.title", NULL, FACE_BOLD, m->title_px, 2, t->text, m->gap);
	stack_text(ui, st, "welcome.organization", NULL, FACE_REGULAR, m->body_px, 2, t->muted,
	           m->gap / 3);
	if (tap->checked_in_now)
		stack_text(ui, st, "welcome.checked_in", NULL, FACE_BOLD, m->body_px, 2, t->ok,
		           m->gap);
	else
		stack_text(ui, st, "welcome.back", NULL, FACE_BOLD, m->body_px, 2, t->ok, m->gap);
	if (tap->person.consent == CV_CONSENT_ATTENDANCE)
		stack_text(ui, st, "welcome.attendance_only", NULL, FACE_REGULAR, m->small_px, 2,
		           t->muted, m->gap / 2);
}

static void draw_welcome(struct cv_ui *ui, const struct metrics *m, SDL_Rect area)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);

	/* quiet buttons in the top corners: an attendee's eye goes to the
	 * welcome; whoever wants to change their consent, or an organiser,
	 * knows where to look */
	int bh = ui_at_least(m->s * 12 / 100, MIN_TOUCH_PX);
	int bw = ui_at_least(m->s * 40 / 100, 2 * MIN_TOUCH_PX);

	if (ui->view.organizer_button && m->w < 2 * bw + m->gap) {
		/* too narrow for two corners: the organiser's button goes below */
		SDL_Rect r = {area.x + area.w - bw, area.y + bh + m->gap / 2, bw, bh};
		ui_button(ui, m, r, "welcome.organizer",
		          cv_assets_text(ui->assets, "welcome.organizer"), m->small_px, true,
		          CV_UI_T_ORGANIZER, 0, NULL);
		area.y += bh + m->gap / 2;
		area.h -= bh + m->gap / 2;
	} else if (ui->view.organizer_button) {
		SDL_Rect r = {area.x + area.w - bw, area.y, bw, bh};
		ui_button(ui, m, r, "welcome.organizer",
		          cv_assets_text(ui->assets, "welcome.organizer"), m->small_px, true,
		          CV_UI_T_ORGANIZER, 0, NULL);
	}
	{
		SDL_Rect r = {area.x, area.y, bw, bh};
		ui_button(ui, m, r, "welcome.consent",
		          cv_assets_text(ui->assets, "welcome.consent"), m->small_px, true,
		          CV_UI_T_CONSENT, CV_FLOW_CONSENT_OPEN, NULL);
		area.y += bh + m->gap / 2;
		area.h -= bh + m->gap / 2;
	}

	/* someone who chose attendance only is never paired: no hint to */
	if (pairs_on(ui) && ui->view.flow->first.person.consent != CV_CONSENT_ATTENDANCE) {
		int h = bottom_panel(ui, m, area, "welcome.pair_hint", t->accent);
		area.h -= h ? h + m->gap : 0;
	}
	stack_fit_draw(ui, m, area, build_welcome);
}

static bool thanks_not_together(const struct cv_ui *ui)
{
	int answer = ui->view.flow->answer;
	return answer >= 0 && answer == cv_assets_not_together(ui->assets);
}

static void build_thanks(struct cv_ui *ui, const struct metrics *m, struct stack *st)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);

	if (thanks_not_together(ui)) {
		stack_icon(st, ICON_CHECK, m->icon, t->accent);
		stack_text(ui, st, "thanks.not_together_title", NULL, FACE_BOLD, m->title_px, 2,
		           t->text, m->gap);
		stack_text(ui, st, "thanks.not_together_body", NULL, FACE_REGULAR, m->body_px, 3,
		           t->muted, m->gap / 2);
	} else {
		stack_icon(st, ICON_CHECK, m->icon, t->ok);
		stack_text(ui, st, "thanks.title", NULL, FACE_BOLD, m->title_px, 2, t->text,
		           m->gap);
		stack_text(ui, st, "thanks.body", NULL, FACE_REGULAR, m->body_px, 3, t->muted,
		           m->gap / 2);
	}
}

static void build_private(struct cv_ui *ui, const struct metrics *m, struct stack *st)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);

	stack_icon(st, ICON_CHECK, m->icon, t->accent);
	stack_text(ui, st, "private.title", NULL, FACE_BOLD, m->title_px, 2, t->text, m->gap);
	stack_text(ui, st, "private.body", NULL, FACE_REGULAR, m->body_px, 3, t->muted, m->gap / 2);
}

static void build_unknown(struct cv_ui *ui, const struct metrics *m, struct stack *st)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);

	stack_icon(st, ICON_ALERT, m->icon, t->warn);
	stack_text(ui, st, "unknown.title", NULL, FACE_BOLD, m->title_px, 2, t->text, m->gap);
	stack_text(ui, st, "unknown.body", NULL, FACE_REGULAR, m->body_px, 3, t->muted, m->gap / 2);
}

static void build_refused(struct cv_ui *ui, const struct metrics *m, struct stack *st)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);

	stack_icon(st, ICON_CROSS, m->icon, t->warn);
	stack_text(ui, st, "refused.title", NULL, FACE_BOLD, m->title_px, 2, t->text, m->gap);
	stack_text(ui, st, "refused.body", NULL, FACE_REGULAR, m->body_px, 3, t->muted, m->gap / 2);
}

/* Columns for n buttons: wide rows on a landscape screen, one or two
 * columns in portrait, so every label stays large enough to read. */
static int grid_columns(int n, bool portrait)
{
	if (portrait)
		return n <= 3 ? 1 : 2;
	if (n <= 3)
		return n;
	if (n == 4)
		return 2;
	return n <= 9 ? 3 : 4;
}

static int option_pad(const struct metrics *m)
{
	return ui_at_least(m->gap / 2, 6);
}

static void draw_option(struct cv_ui *ui, const struct metrics *m, int i, SDL_Rect r, int px)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);
	const struct cv_prompt_option *o = cv_assets_option(ui->assets, i);
	int pad = option_pad(m);
	uint32_t bg = o->not_together ? t->surface : t->accent;
	uint32_t fg = o->not_together ? t->text : t->accent_text;
	char key[sizeof("option.") + CV_SIM_OPTION_MAX]; /* record_box keeps what fits */
	SDL_Surface *s;

	/* the "we didn't meet" answer is quieter: an outline, not a fill */
	if (o->not_together) {
		int bw = ui_at_least(m->s / 240, 2);
		ui_fill_round(ui->renderer, (float)r.x, (float)r.y, (float)r.w, (float)r.h,
		              (float)m->radius, t->muted);
		ui_fill_round(ui->renderer, (float)(r.x + bw), (float)(r.y + bw),
		              (float)(r.w - 2 * bw), (float)(r.h - 2 * bw), (float)(m->radius - bw),
		              bg);
	} else {
		ui_fill_round(ui->renderer, (float)r.x, (float)r.y, (float)r.w, (float)r.h,
		              (float)m->radius, bg);
	}
	ui->option_rects[i] = r;
	snprintf(key, sizeof(key), "option.%s", o->id);
	s = ui_render_fit(ui, o->label, FACE_BOLD, px, r.w - 2 * pad, 3, r.h - 2 * pad, fg, NULL);
	if (s) {
		int h = s->h < r.h - 2 * pad ? s->h : r.h - 2 * pad;
		ui_blit_text(ui, key, s, r.x + r.w / 2, r.y + (r.h - h) / 2, r.w - 2 * pad);
		SDL_FreeSurface(s);
	}
}

static void draw_prompt(struct cv_ui *ui, const struct metrics *m, SDL_Rect area)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);
	int n = cv_assets_option_count(ui->assets);
	int cols = grid_columns(n, m->h > m->w), rows = (n + cols - 1) / cols;
	int gap = m->gap * 2 / 3, y = area.y, bw, bh, top, px;
	char text[TEXT_MAX];
	SDL_Surface *s;

	s = ui_render_fit(ui, cv_assets_question(ui->assets), FACE_BOLD, m->heading_px, area.w, 2,
	                  0, t->text, NULL);
	if (s) {
		y += ui_blit_text(ui, "prompt.question", s, area.x + area.w / 2, y, area.w);
		SDL_FreeSurface(s);
	}
	ui_fill(ui, cv_assets_text(ui->assets, "prompt.names"), text, sizeof(text));
	if (!ui_blank(text)) {
		s = ui_render_fit(ui, text, FACE_REGULAR, m->body_px, area.w, 2, 0, t->muted, NULL);
		if (s) {
			y += m->gap / 3;
			y += ui_blit_text(ui, "prompt.names", s, area.x + area.w / 2, y, area.w);
			SDL_FreeSurface(s);
		}
	}
	y += m->gap;

	/* the buttons share what is left; a few get a comfortable height,
	 * many shrink, never under a finger's width */
	bw = (area.w - (cols - 1) * gap) / cols;
	bh = (area.y + area.h - y - (rows - 1) * gap) / rows;
	if (bh > m->s * 26 / 100)
		bh = m->s * 26 / 100;
	bh = ui_at_least(bh, MIN_TOUCH_PX);
	top = y + (area.y + area.h - y - (rows * bh + (rows - 1) * gap)) / 2;
	if (top < y)
		top = y;
	/* one type size for every label, the largest that fits them all, so
	 * no answer looks more important than another */
	px = m->button_px;
	for (int i = 0; i < n; i++) {
		int pad = option_pad(m), fit = px;

		s = ui_render_fit(ui, cv_assets_option(ui->assets, i)->label, FACE_BOLD, px,
		                  bw - 2 * pad, 3, bh - 2 * pad, t->text, &fit);
		SDL_FreeSurface(s);
		px = fit < px ? fit : px;
	}
	for (int i = 0; i < n; i++) {
		int row = i / cols, col = i % cols;
		int in_row = row == rows - 1 ? n - row * cols : cols;
		int x0 = area.x + (area.w - (in_row * bw + (in_row - 1) * gap)) / 2;
		SDL_Rect r = {x0 + col * (bw + gap), top + row * (bh + gap), bw, bh};
		draw_option(ui, m, i, r, px);
	}
	ui->option_count = n;
}

/* Banners sit at the top, over whatever screen, and push it down.
 * Returns the height they take. */
static int draw_banners(struct cv_ui *ui, const struct metrics *m)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);
	const char *keys[2];
	int n = 0, y = 0;

	if (!ui->view.flow->reader_online)
		keys[n++] = "banner.reader_offline";
	if (ui->view.flow->store_failed)
		keys[n++] = "banner.store_failed";
	for (int i = 0; i < n; i++) {
		int pad = m->gap / 2, inner = m->w - 2 * m->margin;
		char text[TEXT_MAX];
		SDL_Surface *s;

		ui_fill(ui, cv_assets_text(ui->assets, keys[i]), text, sizeof(text));
		if (ui_blank(text))
			continue;
		/* text in the background colour reads on the warning colour in
		 * light and dark themes alike */
		s = ui_render_fit(ui, text, FACE_BOLD, m->banner_px, inner, 2, 0, t->background,
		                  NULL);
		if (!s)
			continue;
		ui_set_colour(ui->renderer, t->warn, 1.0f);
		SDL_RenderFillRect(ui->renderer, &(SDL_Rect){0, y, m->w, s->h + 2 * pad});
		ui_blit_text(ui, keys[i], s, m->w / 2, y + pad, inner);
		y += s->h + 2 * pad;
		SDL_FreeSurface(s);
		if (i + 1 < n) {
			/* a hairline between two banners */
			ui_set_colour(ui->renderer, t->background, 0.35f);
			SDL_RenderFillRect(ui->renderer,
			                   &(SDL_Rect){0, y, m->w, ui_at_least(m->s / 400, 1)});
			y += ui_at_least(m->s / 400, 1);
		}
	}
	return y;
}

/* ---- rotation: the frame is drawn upright and copied turned ---- */

/* Measures the window and, turned by the rotation, the screen; with a
 * rotation, points the renderer at the upright frame texture, (re)made at
 * the screen's size. Without one the frame goes straight to the back
 * buffer, as cheap as it ever was. Returns 0 or CV_EDEVICE. */
static int frame_begin(struct cv_ui *ui)
{
	int pw, ph, tw = 0, th = 0;

	/* while a target is set, the output size is the target's */
	if (SDL_GetRenderTarget(ui->renderer))
		SDL_SetRenderTarget(ui->renderer, NULL);
	if (SDL_GetRendererOutputSize(ui->renderer, &pw, &ph) != 0)
		SDL_GetWindowSize(ui->window, &pw, &ph);
	cv_touch_turn_size(ui->rotation, pw, ph, &ui->w, &ui->h);
	if (ui->rotation == 0)
		return 0;
	if (ui->frame && (SDL_QueryTexture(ui->frame, NULL, NULL, &tw, &th) != 0 || tw != ui->w ||
	                  th != ui->h)) {
		SDL_DestroyTexture(ui->frame);
		ui->frame = NULL;
	}
	if (!ui->frame) {
		ui->frame = SDL_CreateTexture(ui->renderer, SDL_PIXELFORMAT_ARGB8888,
		                              SDL_TEXTUREACCESS_TARGET, ui->w, ui->h);
		if (!ui->frame) {
			cv_log_error("the frame to turn, %dx%d: %s", ui->w, ui->h, SDL_GetError());
			return CV_EDEVICE;
		}
		/* copied as it is, pixel for pixel */
		SDL_SetTextureBlendMode(ui->frame, SDL_BLENDMODE_NONE);
		SDL_SetTextureScaleMode(ui->frame, SDL_ScaleModeNearest);
	}
	if (SDL_SetRenderTarget(ui->renderer, ui->frame) != 0) {
		cv_log_error("drawing into the frame to turn: %s", SDL_GetError());
		return CV_EDEVICE;
	}
	return 0;
}

/* Copies the upright frame, turned, onto the window's back buffer. */
static int frame_show(struct cv_ui *ui)
{
	SDL_Rect dst;
	SDL_Point centre;

	if (ui->rotation == 0)
		return 0;
	if (SDL_SetRenderTarget(ui->renderer, NULL) != 0) {
		cv_log_error("drawing: %s", SDL_GetError());
		return CV_EDEVICE;
	}
	/* SDL turns clockwise about a point of the rectangle; whole pixels,
	 * as the software renderer drops half ones */
	cv_touch_turn_placement(ui->rotation, ui->w, ui->h, &dst.x, &dst.y, &centre.x, &centre.y);
	dst.w = ui->w;
	dst.h = ui->h;
	if (SDL_RenderCopyEx(ui->renderer, ui->frame, NULL, &dst, (double)ui->rotation, &centre,
	                     SDL_FLIP_NONE) != 0) {
		cv_log_error("turning the frame: %s", SDL_GetError());
		return CV_EDEVICE;
	}
	return 0;
}

/* Draws the frame of ui->view, upright, into the back buffer or (with a
 * rotation) the frame texture. Returns 0 or CV_EDEVICE when the renderer
 * refuses. */
static int render_frame(struct cv_ui *ui)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);
	struct metrics m;
	SDL_Rect area;
	int top;

	if (frame_begin(ui) != 0)
		return CV_EDEVICE;
	ui_metrics_for(ui->w, ui->h, &m);
	ui->box_count = 0;
	ui->option_count = 0;
	ui->button_count = 0;
	SDL_SetRenderDrawBlendMode(ui->renderer, SDL_BLENDMODE_BLEND);
	ui_set_colour(ui->renderer, t->background, 1.0f);
	if (SDL_RenderClear(ui->renderer) != 0) {
		cv_log_error("drawing: %s", SDL_GetError());
		return CV_EDEVICE;
	}

	top = draw_banners(ui, &m);
	area = (SDL_Rect){m.margin, top + m.margin, m.w - 2 * m.margin, m.h - top - 2 * m.margin};
	if (ui->view.org && cv_org_active(ui->view.org)) {
		ui_draw_organizer(ui, &m, area);
		return 0;
	}
	if (ui->view.live_only) {
		/* a TV: the whole screen, small margins */
		area = (SDL_Rect){m.margin / 3, top + m.margin / 3, m.w - 2 * (m.margin / 3),
		                  m.h - top - 2 * (m.margin / 3)};
		ui_draw_live(ui, &m, area);
		return 0;
	}
	switch (ui->view.flow->screen) {
	case CV_SCREEN_IDLE: draw_idle(ui, &m, area); break;
	case CV_SCREEN_WELCOME: draw_welcome(ui, &m, area); break;
	case CV_SCREEN_PROMPT: draw_prompt(ui, &m, area); break;
	case CV_SCREEN_THANKS: stack_fit_draw(ui, &m, area, build_thanks); break;
	case CV_SCREEN_UNKNOWN: stack_fit_draw(ui, &m, area, build_unknown); break;
	case CV_SCREEN_REFUSED: stack_fit_draw(ui, &m, area, build_refused); break;
	case CV_SCREEN_CONSENT: ui_draw_consent(ui, &m, area); break;
	case CV_SCREEN_PRIVATE: stack_fit_draw(ui, &m, area, build_private); break;
	case CV_SCREEN_COUNT: break;
	}
	return 0;
}

/* ---- public ---- */

static void audio_open(struct cv_ui *ui)
{
	char path[CV_PATH_MAX + 32];
	SDL_AudioSpec spec;

	snprintf(path, sizeof(path), "%s/sounds/confirm.wav", cv_assets_dir(ui->assets));
	if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
		cv_log_warn("no sound: %s", SDL_GetError());
		return;
	}
	ui->audio_up = true;
	if (!SDL_LoadWAV(path, &spec, &ui->wav, &ui->wav_len)) {
		cv_log_warn("no sound: %s: %s", path, SDL_GetError());
		return;
	}
	/* opened once with the file's own format: SDL converts if the device
	 * wants another, and playing is then only a queue */
	ui->audio = SDL_OpenAudioDevice(NULL, 0, &spec, NULL, 0);
	if (ui->audio == 0) {
		cv_log_warn("no sound: %s", SDL_GetError());
		SDL_FreeWAV(ui->wav);
		ui->wav = NULL;
		return;
	}
	SDL_PauseAudioDevice(ui->audio, 0);
	cv_log_info(
	    "sound on: %s (%u ms)", path,
	    (unsigned)(1000ull * ui->wav_len /
	               ((uint64_t)spec.freq * spec.channels * SDL_AUDIO_BITSIZE(spec.format) / 8)));
}

static int fonts_find(struct cv_ui *ui, const char *font_path, char *err, size_t errlen)
{
	int rc;

	if (font_path && font_path[0]) {
		snprintf(ui->font_path[FACE_REGULAR], CV_PATH_MAX, "%s", font_path);
		snprintf(ui->font_path[FACE_BOLD], CV_PATH_MAX, "%s", font_path);
		ui->synth_bold = true;
		return 0;
	}
	rc = font_lookup("DejaVu Sans", ui->font_path[FACE_REGULAR], CV_PATH_MAX);
	if (rc == 0)
		rc = font_lookup("DejaVu Sans:style=Bold", ui->font_path[FACE_BOLD], CV_PATH_MAX);
	/* only the two file names are needed, and nothing else in the program
	 * uses fontconfig: give its caches back */
	FcFini();
	if (rc != 0) {
		snprintf(err, errlen,
		         "no font found through fontconfig (install fonts-dejavu-core "
		         "or set [display] font)");
		return CV_ENOTFOUND;
	}
	return 0;
}

int cv_ui_create(const struct cv_ui_options *opts, const struct cv_assets *assets,
                 struct cv_ui **out, char *err, size_t errlen)
{
	struct cv_ui *ui;
	Uint32 flags = SDL_WINDOW_SHOWN;
	int rc = CV_EDEVICE, win_w, win_h;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	ui = calloc(1, sizeof(*ui));
	if (!ui) {
		snprintf(err, errlen, "out of memory");
		return CV_ENOMEM;
	}
	ui->assets = assets;
	ui->headless = opts->headless;
	if (opts->rotation == 90 || opts->rotation == 180 || opts->rotation == 270)
		ui->rotation = opts->rotation;
	ui->calibration = opts->touch_calibration ? *opts->touch_calibration : CV_TOUCH_IDENTITY;
	if (opts->headless) {
		SDL_SetHintWithPriority(SDL_HINT_VIDEODRIVER, "offscreen", SDL_HINT_OVERRIDE);
		/* or SDL would load a GL stack only to copy the frame to nowhere */
		SDL_SetHintWithPriority(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0", SDL_HINT_OVERRIDE);
	}
	if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
		snprintf(err, errlen, "video: %s", SDL_GetError());
		goto fail;
	}
	ui->video_up = true;
	if (TTF_Init() != 0) {
		snprintf(err, errlen, "SDL_ttf: %s", TTF_GetError());
		goto fail;
	}
	ui->ttf_up = true;
	rc = fonts_find(ui, opts->font_path, err, errlen);
	if (rc != 0)
		goto fail;
	for (int f = 0; f < FACE_COUNT; f++) {
		if (!ui_font_get(ui, (enum face)f, 24)) {
			snprintf(err, errlen, "font %s: %s", ui->font_path[f], TTF_GetError());
			rc = CV_ENOTFOUND;
			goto fail;
		}
	}
	rc = CV_EDEVICE;
	if (opts->fullscreen)
		flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
	/* width x height is the screen people see; the panel is it turned */
	cv_touch_turn_size(ui->rotation, opts->width, opts->height, &win_w, &win_h);
	ui->window = SDL_CreateWindow("Convene", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
	                              win_w, win_h, flags);
	if (!ui->window) {
		snprintf(err, errlen, "window %dx%d: %s", win_w, win_h, SDL_GetError());
		goto fail;
	}
	/* the offscreen driver has no GPU; the software renderer also makes
	 * headless frames identical from one machine to the next */
	if (!opts->headless)
		ui->renderer = SDL_CreateRenderer(
		    ui->window, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
	if (!ui->renderer)
		ui->renderer = SDL_CreateRenderer(ui->window, -1, SDL_RENDERER_SOFTWARE);
	if (!ui->renderer) {
		snprintf(err, errlen, "renderer: %s", SDL_GetError());
		goto fail;
	}
	if (ui->rotation != 0 && !SDL_RenderTargetSupported(ui->renderer)) {
		snprintf(err, errlen,
		         "[display] rotation = %d needs a renderer that can draw into a texture, "
		         "and this one cannot",
		         ui->rotation);
		goto fail;
	}
	if (opts->fullscreen)
		SDL_ShowCursor(SDL_DISABLE); /* a touch kiosk: no pointer over the text */
	if (SDL_GetRendererOutputSize(ui->renderer, &win_w, &win_h) != 0)
		SDL_GetWindowSize(ui->window, &win_w, &win_h);
	cv_touch_turn_size(ui->rotation, win_w, win_h, &ui->w, &ui->h);
	if (opts->sound && !opts->headless)
		audio_open(ui);
	{
		SDL_RendererInfo info;
		if (SDL_GetRendererInfo(ui->renderer, &info) == 0)
			cv_log_info(
			    "display %dx%d, rotation %d, screen %dx%d, %s renderer, font %s", win_w,
			    win_h, ui->rotation, ui->w, ui->h, info.name,
			    ui->font_path[FACE_REGULAR]);
		if (!cv_touch_matrix_is_identity(&ui->calibration))
			cv_log_info("touch calibration %g %g %g %g %g %g", ui->calibration.a,
			            ui->calibration.b, ui->calibration.c, ui->calibration.d,
			            ui->calibration.e, ui->calibration.f);
	}
	*out = ui;
	return 0;
fail:
	cv_ui_destroy(ui);
	return rc;
}

void cv_ui_destroy(struct cv_ui *ui)
{
	if (!ui)
		return;
	if (ui->audio)
		SDL_CloseAudioDevice(ui->audio);
	if (ui->wav)
		SDL_FreeWAV(ui->wav);
	if (ui->audio_up)
		SDL_QuitSubSystem(SDL_INIT_AUDIO);
	ui_live_free(ui);
	if (ui->frame)
		SDL_DestroyTexture(ui->frame);
	for (int i = 0; i < ui->font_count; i++)
		TTF_CloseFont(ui->fonts[i].font);
	if (ui->ttf_up)
		TTF_Quit();
	if (ui->renderer)
		SDL_DestroyRenderer(ui->renderer);
	if (ui->window)
		SDL_DestroyWindow(ui->window);
	if (ui->video_up)
		SDL_QuitSubSystem(SDL_INIT_VIDEO);
	free(ui);
}

int cv_ui_draw(struct cv_ui *ui, const struct cv_ui_view *view)
{
	ui->flow = *view->flow;
	snprintf(ui->kiosk_name, sizeof(ui->kiosk_name), "%s",
	         view->kiosk_name ? view->kiosk_name : "");
	snprintf(ui->zone, sizeof(ui->zone), "%s", view->zone ? view->zone : "");
	ui->view = *view;
	ui->view.flow = &ui->flow;
	ui->view.kiosk_name = ui->kiosk_name;
	ui->view.zone = ui->zone;
	if (view->org) {
		ui->org = *view->org;
		ui->view.org = &ui->org;
	}
	if (view->org_data) {
		ui->org_data = *view->org_data;
		ui->view.org_data = &ui->org_data;
	}
	ui->have_frame = true;
	if (render_frame(ui) != 0 || frame_show(ui) != 0)
		return CV_EDEVICE;
	SDL_RenderPresent(ui->renderer);
	return 0;
}

int cv_ui_hit_option(const struct cv_ui *ui, int x, int y)
{
	SDL_Point p = {x, y};

	for (int i = 0; i < ui->option_count; i++)
		if (SDL_PointInRect(&p, &ui->option_rects[i]))
			return i;
	return -1;
}

bool cv_ui_hit_test(const struct cv_ui *ui, int x, int y, struct cv_ui_hit *out)
{
	SDL_Point p = {x, y};
	int option = cv_ui_hit_option(ui, x, y);

	memset(out, 0, sizeof(*out));
	if (option >= 0) {
		out->target = CV_UI_T_OPTION;
		out->index = option;
		return true;
	}
	for (int i = 0; i < ui->button_count; i++) {
		if (SDL_PointInRect(&p, &ui->buttons[i].r)) {
			*out = ui->buttons[i].hit;
			return true;
		}
	}
	return false;
}

bool cv_ui_event_point(const struct cv_ui *ui, const SDL_Event *e, int *x, int *y)
{
	struct cv_touch_geometry g = {ui->rotation, ui->w, ui->h};
	int ww = 0, wh = 0;

	switch (e->type) {
	case SDL_FINGERDOWN:
		cv_touch_from_finger(&g, &ui->calibration, e->tfinger.x, e->tfinger.y, x, y);
		return true;
	case SDL_MOUSEBUTTONDOWN:
		/* SDL also reports a touch as a click; the finger event has it */
		if (e->button.which == SDL_TOUCH_MOUSEID || e->button.button != SDL_BUTTON_LEFT)
			return false;
		/* mouse points are in the window's units, which may not be pixels */
		SDL_GetWindowSize(ui->window, &ww, &wh);
		cv_touch_from_window(&g, ww, wh, e->button.x, e->button.y, x, y);
		return true;
	default: return false;
	}
}

bool cv_ui_hit_event(const struct cv_ui *ui, const SDL_Event *e, struct cv_ui_hit *out)
{
	int x, y;

	memset(out, 0, sizeof(*out));
	if (!cv_ui_event_point(ui, e, &x, &y))
		return false;
	return cv_ui_hit_test(ui, x, y, out);
}

int cv_ui_save_png(struct cv_ui *ui, const char *path)
{
	SDL_Surface *shot;
	int rc = CV_EIO, got;

	if (!ui->have_frame) {
		cv_log_error("%s: no frame drawn yet", path);
		return CV_EIO;
	}
	/* After a present the back buffer is undefined on some renderers, so
	 * the frame is drawn again from the saved view (same pixels: drawing
	 * depends on the view only) and read back before any present. With a
	 * rotation it is read from the frame texture: upright, as people see
	 * it, whichever way the panel is mounted. */
	if (render_frame(ui) != 0) {
		SDL_SetRenderTarget(ui->renderer, NULL);
		return CV_EIO;
	}
	shot = SDL_CreateRGBSurfaceWithFormat(0, ui->w, ui->h, 24, SDL_PIXELFORMAT_RGB24);
	if (!shot) {
		cv_log_error("%s: %s", path, SDL_GetError());
		SDL_SetRenderTarget(ui->renderer, NULL);
		return CV_EIO;
	}
	got = SDL_RenderReadPixels(ui->renderer, NULL, SDL_PIXELFORMAT_RGB24, shot->pixels,
	                           shot->pitch);
	SDL_SetRenderTarget(ui->renderer, NULL);
	if (got != 0) {
		cv_log_error("%s: reading the frame: %s", path, SDL_GetError());
		goto out;
	}
	if (IMG_SavePNG(shot, path) != 0) {
		cv_log_error("%s: %s", path, IMG_GetError());
		goto out;
	}
	rc = 0;
out:
	SDL_FreeSurface(shot);
	return rc;
}

size_t cv_ui_text_boxes(const struct cv_ui *ui, const struct cv_ui_text_box **boxes)
{
	*boxes = ui->boxes;
	return ui->box_count;
}

void cv_ui_size(const struct cv_ui *ui, int *width, int *height)
{
	*width = ui->w;
	*height = ui->h;
}

void cv_ui_play_confirm(struct cv_ui *ui)
{
	if (!ui || ui->audio == 0)
		return;
	/* a new tap cuts the previous chime short rather than queueing after it */
	SDL_ClearQueuedAudio(ui->audio);
	if (SDL_QueueAudio(ui->audio, ui->wav, ui->wav_len) != 0)
		cv_log_warn("sound: %s", SDL_GetError());
	SDL_PauseAudioDevice(ui->audio, 0);
}
