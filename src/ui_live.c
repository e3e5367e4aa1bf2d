/* The live attendance screen: the big numbers, arrivals per 15 minutes, the
 * zones, the network map (a force-directed layout kept between frames,
 * nodes coloured by organisation, new ties drawn in), who has not met anyone
 * yet and suggested introductions. Only people who agreed are named. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui_internal.h"

#define TIE_GROW_MS 1500 /* how long a new tie takes to draw in */
#define COOL 0.93f       /* the layout's temperature after each iteration */
#define MIN_TEMP 0.0008f
/* Pixels of tie drawn into the map's texture per frame, strongest ties
 * first: while the layout moves only the strongest are redrawn each frame;
 * once it rests the rest are added a batch a frame until every tie is
 * drawn. About 6 ms of the software renderer on the development machine. */
#define PIXELS_PER_FRAME 100000.0f
#define LABELS_MAX 64 /* names on the map kept rendered */
#define FAR 8         /* the coarse grid of the layout's far field, FAR x FAR */

struct ui_live_layout {
	const struct cv_live_snapshot *snap; /* the snapshot the arrays follow */
	size_t n, ties;
	int64_t *id;
	float *x, *y, *dx, *dy; /* in the unit square */
	int64_t *born_ms;       /* per tie: when this UI first saw it */
	float temp;
	/* the repulsion grid: cell heads and a next link per node */
	int grid, *head, *next;
	/* the map drawn once into a texture (ties and nodes), redrawn only when
	 * the layout moved or ties settled; new ties animate on top of it */
	int *rank;          /* tie indexes, strongest first */
	SDL_Texture *tex;   /* NULL: drawn directly each frame */
	SDL_Rect tex_rect;  /* where it goes on screen */
	bool moved;         /* the layout moved since the texture was begun */
	size_t tex_settled; /* ties settled (not animating) when it was begun */
	size_t tex_done;    /* ranks drawn into it so far */
	bool tex_ok;        /* begun and valid */
	bool tex_complete;  /* every settled tie and the nodes drawn */
	/* the names on the map, rendered once and kept across snapshots */
	int label_count;
	struct label {
		int64_t id;
		int px, max_w;
		char name[CV_LIVE_NAME_MAX];
		SDL_Texture *tex;
		int w, h;
	} labels[LABELS_MAX];
};

static const uint32_t palette[CV_LIVE_ORGS_MAX] = {0x4DB2FF, 0xF5B041, 0x3CCB8C, 0xE74C8B,
                                                   0xA98BFF, 0x2EC4C4, 0xFF7F50, 0xC0D860,
                                                   0x9AB0D0, 0xE0A0E0};

static uint32_t org_colour(const struct cv_theme *t, int org)
{
	return org >= 0 && org < CV_LIVE_ORGS_MAX ? palette[org] : t->muted;
}

static float hash01(int64_t id, int salt)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull + (uint64_t)salt * 0xBF58476D1CE4E5B9ull;

	h ^= h >> 31;
	h *= 0x94D049BB133111EBull;
	h ^= h >> 29;
	return (float)(h >> 40) / (float)(1ull << 24);
}

void ui_live_free(struct cv_ui *ui)
{
	struct ui_live_layout *l = ui->layout;

	if (!l)
		return;
	free(l->id);
	free(l->x);
	free(l->y);
	free(l->dx);
	free(l->dy);
	free(l->born_ms);
	free(l->head);
	free(l->next);
	free(l->rank);
	if (l->tex)
		SDL_DestroyTexture(l->tex);
	for (int i = 0; i < l->label_count; i++)
		SDL_DestroyTexture(l->labels[i].tex);
	free(l);
	ui->layout = NULL;
}

static int find_id(const int64_t *ids, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && ids[lo] == id ? (int)lo : -1;
}

static const struct cv_live_snapshot *rank_snap; /* qsort has no context; the UI thread only */

static int rank_cmp(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;
	int ca = rank_snap->ties[a].count, cb = rank_snap->ties[b].count;

	if (ca != cb)
		return ca > cb ? -1 : 1;
	return (a > b) - (a < b); /* then the older first: a stable picture */
}

/* The ties strongest first (most encounters), so the ones drawn first while
 * the map moves are the ones that say most. */
static void rank_ties(int *rank, const struct cv_live_snapshot *s)
{
	for (size_t k = 0; k < s->tie_count; k++)
		rank[k] = (int)k;
	rank_snap = s;
	qsort(rank, s->tie_count, sizeof(*rank), rank_cmp);
}

/* Follows a new snapshot: people keep their places by id, newcomers start
 * next to someone they met (or at a place of their own), and ties beyond
 * the ones seen before start drawing in at now. */
static int layout_follow(struct cv_ui *ui, const struct cv_live_snapshot *s, int64_t now)
{
	struct ui_live_layout *old = ui->layout, *l = calloc(1, sizeof(*l));
	size_t n = s->person_count, cap = n ? n : 1, tcap = s->tie_count ? s->tie_count : 1;

	if (!l)
		return -1;
	l->id = malloc(cap * sizeof(*l->id));
	l->x = malloc(cap * sizeof(float));
	l->y = malloc(cap * sizeof(float));
	l->dx = calloc(cap, sizeof(float));
	l->dy = calloc(cap, sizeof(float));
	l->next = malloc(cap * sizeof(int));
	l->born_ms = malloc(tcap * sizeof(int64_t));
	l->rank = malloc(tcap * sizeof(int));
	if (!l->id || !l->x || !l->y || !l->dx || !l->dy || !l->next || !l->born_ms || !l->rank) {
		ui->layout = l;
		ui_live_free(ui);
		ui->layout = old;
		return -1;
	}
	l->snap = s;
	l->n = n;
	l->ties = s->tie_count;
	for (size_t i = 0; i < n; i++) {
		int at = old ? find_id(old->id, old->n, s->people[i].id) : -1;

		l->id[i] = s->people[i].id;
		if (at >= 0) {
			l->x[i] = old->x[at];
			l->y[i] = old->y[at];
		} else {
			float a = hash01(l->id[i], 1) * 6.2831853f,
			      r = 0.45f * sqrtf(hash01(l->id[i], 2));
			l->x[i] = 0.5f + r * cosf(a);
			l->y[i] = 0.5f + r * sinf(a);
			l->x[i] = -1; /* placed below, next to a partner if any */
		}
	}
	for (size_t k = 0; k < s->tie_count; k++) {
		const struct cv_live_tie *t = &s->ties[k];
		bool seen = old && k < old->ties;

		l->born_ms[k] = seen ? old->born_ms[k] : (old ? now : now - TIE_GROW_MS);
		if (l->x[t->a] < 0 && l->x[t->b] >= 0) {
			l->x[t->a] = l->x[t->b] + (hash01(l->id[t->a], 3) - 0.5f) * 0.04f;
			l->y[t->a] = l->y[t->b] + (hash01(l->id[t->a], 4) - 0.5f) * 0.04f;
		} else if (l->x[t->b] < 0 && l->x[t->a] >= 0) {
			l->x[t->b] = l->x[t->a] + (hash01(l->id[t->b], 3) - 0.5f) * 0.04f;
			l->y[t->b] = l->y[t->a] + (hash01(l->id[t->b], 4) - 0.5f) * 0.04f;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (l->x[i] < 0) {
			float a = hash01(l->id[i], 1) * 6.2831853f,
			      r = 0.45f * sqrtf(hash01(l->id[i], 2));
			l->x[i] = 0.5f + r * cosf(a);
			l->y[i] = 0.5f + r * sinf(a);
		}
	}
	rank_ties(l->rank, s);
	/* a changed network warms the layout again, a little if it was settled */
	l->temp = old ? (old->temp > 0.02f ? old->temp : 0.02f) : 0.1f;
	l->moved = true;
	if (old) {
		/* the texture follows to the new layout; it is redrawn anyway */
		l->tex = old->tex;
		l->tex_rect = old->tex_rect;
		old->tex = NULL;
		memcpy(l->labels, old->labels, sizeof l->labels);
		l->label_count = old->label_count;
		old->label_count = 0;
	}
	ui->layout = l;
	if (old) {
		ui->layout = old;
		ui_live_free(ui);
		ui->layout = l;
	}
	return 0;
}

/* One Fruchterman-Reingold iteration: repulsion between nodes in nearby
 * cells of a grid, attraction along ties, a pull to the centre, moves
 * capped by the temperature. The grid spans the nodes' bounding box with
 * about four nodes a cell, its cells no wider than the repulsion's natural
 * range (2k): a network pulled into a dense knot costs no more per frame
 * than a spread one, O(nodes + ties). */
static void layout_iterate(struct ui_live_layout *l)
{
	const struct cv_live_snapshot *s = l->snap;
	size_t n = l->n;
	float k = sqrtf(1.0f / (float)(n ? n : 1)) * 0.9f, k2 = k * k;
	float x0 = 1, y0 = 1, x1 = 0, y1 = 0, ext, cell;
	int g;

	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		x0 = l->x[i] < x0 ? l->x[i] : x0;
		y0 = l->y[i] < y0 ? l->y[i] : y0;
		x1 = l->x[i] > x1 ? l->x[i] : x1;
		y1 = l->y[i] > y1 ? l->y[i] : y1;
	}
	ext = x1 - x0 > y1 - y0 ? x1 - x0 : y1 - y0;
	ext = ext < 1e-3f ? 1e-3f : ext;
	cell = ext / sqrtf((float)n / 4.0f + 1.0f);
	cell = cell > 2 * k ? 2 * k : cell;
	g = (int)(ext / cell) + 1;
	g = g < 1 ? 1 : g > 128 ? 128 : g;
	cell = ext / (float)g + 1e-6f;
	if (g != l->grid) {
		free(l->head);
		l->head = malloc((size_t)(g * g) * sizeof(int));
		l->grid = l->head ? g : 0;
		if (!l->head)
			return;
	}
	for (int c = 0; c < g * g; c++)
		l->head[c] = -1;
	for (size_t i = 0; i < n; i++) {
		int cx = (int)((l->x[i] - x0) / cell), cy = (int)((l->y[i] - y0) / cell);
		cx = cx < 0 ? 0 : cx >= g ? g - 1 : cx;
		cy = cy < 0 ? 0 : cy >= g ? g - 1 : cy;
		l->next[i] = l->head[cy * g + cx];
		l->head[cy * g + cx] = (int)i;
		l->dx[i] = (0.5f - l->x[i]) * 0.05f; /* gravity */
		l->dy[i] = (0.5f - l->y[i]) * 0.05f;
		if (s->people[i].partners == 0) {
			/* nobody met yet: held in a ring round the network, not
			 * pushed out to the frame */
			l->dx[i] *= 4;
			l->dy[i] *= 4;
		}
	}
	/* the far field: each node pushed by the centroids of the coarse cells
	 * beyond its own, weighted by the nodes in them, so the network keeps
	 * its size and does not fold into a knot */
	float fx[FAR * FAR], fy[FAR * FAR], fn[FAR * FAR], fcell = ext / FAR + 1e-6f;

	memset(fx, 0, sizeof fx);
	memset(fy, 0, sizeof fy);
	memset(fn, 0, sizeof fn);
	for (size_t i = 0; i < n; i++) {
		int cx = (int)((l->x[i] - x0) / fcell), cy = (int)((l->y[i] - y0) / fcell);
		int c = (cy < FAR ? cy : FAR - 1) * FAR + (cx < FAR ? cx : FAR - 1);
		fx[c] += l->x[i];
		fy[c] += l->y[i];
		fn[c] += 1;
	}
	for (int c = 0; c < FAR * FAR; c++) {
		if (fn[c] > 0) {
			fx[c] /= fn[c];
			fy[c] /= fn[c];
		}
	}
	for (size_t i = 0; i < n; i++) {
		int cx = (int)((l->x[i] - x0) / cell), cy = (int)((l->y[i] - y0) / cell);
		cx = cx < 0 ? 0 : cx >= g ? g - 1 : cx;
		cy = cy < 0 ? 0 : cy >= g ? g - 1 : cy;
		for (int c = 0; c < FAR * FAR; c++) {
			float ddx = l->x[i] - fx[c], ddy = l->y[i] - fy[c];
			float d2 = ddx * ddx + ddy * ddy;

			/* beyond the near field (two fine cells): no pair
			 * pushed twice */
			if (fn[c] > 0 && d2 > fcell * fcell && d2 > 4 * cell * cell) {
				l->dx[i] += fn[c] * ddx * k2 / d2;
				l->dy[i] += fn[c] * ddy * k2 / d2;
			}
		}
		for (int yy = cy - 1; yy <= cy + 1; yy++) {
			for (int xx = cx - 1; xx <= cx + 1; xx++) {
				if (xx < 0 || yy < 0 || xx >= g || yy >= g)
					continue;
				for (int j = l->head[yy * g + xx]; j >= 0; j = l->next[j]) {
					float ddx = l->x[i] - l->x[j], ddy = l->y[i] - l->y[j];
					float d2 = ddx * ddx + ddy * ddy;

					if ((size_t)j == i)
						continue;
					if (d2 < 1e-8f) {
						ddx = (hash01(l->id[i], 5) - 0.5f) * 1e-3f;
						ddy = (hash01(l->id[i], 6) - 0.5f) * 1e-3f;
						d2 = ddx * ddx + ddy * ddy;
					}
					l->dx[i] += ddx * k2 / d2;
					l->dy[i] += ddy * k2 / d2;
				}
			}
		}
	}
	for (size_t t = 0; t < s->tie_count; t++) {
		int a = s->ties[t].a, b = s->ties[t].b;
		float ddx = l->x[a] - l->x[b], ddy = l->y[a] - l->y[b];
		float d = sqrtf(ddx * ddx + ddy * ddy), f = d / k;

		l->dx[a] -= ddx * f;
		l->dy[a] -= ddy * f;
		l->dx[b] += ddx * f;
		l->dy[b] += ddy * f;
	}
	for (size_t i = 0; i < n; i++) {
		float d = sqrtf(l->dx[i] * l->dx[i] + l->dy[i] * l->dy[i]);
		float step = d > l->temp ? l->temp / d : 1.0f;

		l->x[i] += l->dx[i] * step;
		l->y[i] += l->dy[i] * step;
		l->x[i] = l->x[i] < 0.02f ? 0.02f : l->x[i] > 0.98f ? 0.98f : l->x[i];
		l->y[i] = l->y[i] < 0.02f ? 0.02f : l->y[i] > 0.98f ? 0.98f : l->y[i];
	}
	l->temp *= COOL;
	l->moved = true;
}

bool cv_ui_live_step(struct cv_ui *ui, const struct cv_live_snapshot *snap, int64_t now_ms)
{
	struct ui_live_layout *l = ui->layout;
	size_t work;
	int iterations;

	if (!snap)
		return false;
	if (!l || l->snap != snap) {
		if (layout_follow(ui, snap, now_ms) != 0)
			return false;
		l = ui->layout;
	}
	/* a few iterations per frame, fewer for a big network */
	work = l->n + snap->tie_count + 1;
	iterations = (int)(20000 / work);
	iterations = iterations < 1 ? 1 : iterations > 4 ? 4 : iterations;
	for (int i = 0; i < iterations && l->temp > MIN_TEMP; i++)
		layout_iterate(l);
	if (l->temp > MIN_TEMP || (l->tex && !l->tex_complete))
		return true;
	for (size_t t = l->ties; t-- > 0;) {
		if (now_ms - l->born_ms[t] < TIE_GROW_MS)
			return true;
		if (t + 64 < l->ties)
			break; /* the newest ties are last: no need to look further */
	}
	return false;
}

/* ---- panels ---- */

static int heading(struct cv_ui *ui, const struct metrics *m, const char *key, int x, int y, int w)
{
	char buf[TEXT_MAX];

	ui_fill(ui, cv_assets_text(ui->assets, key), buf, sizeof(buf));
	return ui_text(ui, key, buf, FACE_BOLD, m->small_px, x, y, w, 1,
	               cv_assets_theme(ui->assets)->muted, false);
}

/* The title and the big numbers, a column each: a number, its label under
 * it. Returns the height taken. */
static int draw_numbers(struct cv_ui *ui, const struct metrics *m, SDL_Rect r,
                        const struct cv_live_snapshot *s)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);
	char num[32], buf[TEXT_MAX];
	int cw = r.w / 3, pad = m->gap / 2, h0, h1, h2;

	h0 = ui_text(ui, "live.title", cv_assets_text(ui->assets, "live.title"), FACE_BOLD,
	             m->body_px, r.x, r.y, cw - pad, 2, t->text, false);
	snprintf(num, sizeof(num), "%lld", (long long)s->checked_in);
	h1 = ui_text(ui, "live.checked_in_n", num, FACE_BOLD, m->title_px, r.x + cw, r.y, cw - pad,
	             1, t->ok, false);
	h1 += ui_text(ui, "live.checked_in", cv_assets_text(ui->assets, "live.checked_in"),
	              FACE_REGULAR, m->small_px, r.x + cw, r.y + h1, cw - pad, 1, t->text, false);
	ui->fill_count = s->expected;
	ui_fill(ui, cv_assets_text(ui->assets, "live.expected"), buf, sizeof(buf));
	h1 += ui_text(ui, "live.expected", buf, FACE_REGULAR, m->small_px, r.x + cw, r.y + h1,
	              cw - pad, 1, t->muted, false);
	snprintf(num, sizeof(num), "%lld", (long long)s->encounters);
	h2 = ui_text(ui, "live.encounters_n", num, FACE_BOLD, m->title_px, r.x + 2 * cw, r.y,
	             cw - pad, 1, t->accent, false);
	h2 +=
	    ui_text(ui, "live.encounters", cv_assets_text(ui->assets, "live.encounters"),
	            FACE_REGULAR, m->small_px, r.x + 2 * cw, r.y + h2, cw - pad, 1, t->text, false);
	h0 = h0 > h1 ? h0 : h1;
	return h0 > h2 ? h0 : h2;
}

static void draw_arrivals(struct cv_ui *ui, const struct metrics *m, SDL_Rect r,
                          const struct cv_live_snapshot *s)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);
	int first = -1, last = -1, max = 1, h = heading(ui, m, "live.arrivals", r.x, r.y, r.w);
	int base = r.y + r.h, top = r.y + h + m->gap / 3, slots;

	for (int i = 0; i < CV_LIVE_SLOTS; i++) {
		if (s->arrivals[i] > 0) {
			first = first < 0 ? i : first;
			last = i;
			max = s->arrivals[i] > max ? s->arrivals[i] : max;
		}
	}
	if (first < 0 || base - top < 8)
		return;
	/* at least two hours wide, so a first arrival is not one fat bar */
	if (last - first < 7)
		last = first + 7 < CV_LIVE_SLOTS ? first + 7 : CV_LIVE_SLOTS - 1;
	slots = last - first + 1;
	for (int i = 0; i < slots; i++) {
		float bw = (float)r.w / (float)slots;
		float bh = (float)(base - top) * (float)s->arrivals[first + i] / (float)max;

		if (bh > 0)
			ui_fill_round(ui->renderer, (float)r.x + bw * (float)i + 1,
			              (float)base - bh, bw - 2 > 1 ? bw - 2 : 1, bh, bw / 5,
			              t->accent);
	}
	ui_set_colour(ui->renderer, t->muted, 0.6f);
	SDL_RenderFillRect(ui->renderer, &(SDL_Rect){r.x, base - 1, r.w, 1});
}

static void draw_zones(struct cv_ui *ui, const struct metrics *m, SDL_Rect r,
                       const struct cv_live_snapshot *s)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);
	int y = r.y + heading(ui, m, "live.zones", r.x, r.y, r.w) + m->gap / 4;
	int lh = m->small_px * 13 / 10;
	int64_t max = 1;

	for (int i = 0; i < s->zone_count; i++)
		max = s->zones[i].people > max ? s->zones[i].people : max;
	for (int i = 0; i < s->zone_count && y + lh <= r.y + r.h; i++) {
		char key[48], label[CV_ID_MAX + 24];
		int bar = (int)((int64_t)(r.w / 2) * s->zones[i].people / max);

		snprintf(key, sizeof(key), "live.zone.%d", i);
		snprintf(label, sizeof(label), "%s  %lld", s->zones[i].zone,
		         (long long)s->zones[i].people);
		ui_fill_round(ui->renderer, (float)(r.x + r.w / 2), (float)(y + lh / 4), (float)bar,
		              (float)(lh / 2), (float)(lh / 4), t->ok);
		ui_text(ui, key, label, FACE_REGULAR, m->small_px, r.x, y, r.w / 2 - m->gap / 2, 1,
		        t->text, false);
		y += lh;
	}
}

static void draw_lonely(struct cv_ui *ui, const struct metrics *m, SDL_Rect r,
                        const struct cv_live_snapshot *s)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);
	int y = r.y + heading(ui, m, "live.lonely", r.x, r.y, r.w) + m->gap / 4;
	int lh = m->small_px * 13 / 10, shown = 0;
	char buf[TEXT_MAX];

	if (s->lonely == 0) {
		ui_text(ui, "live.lonely_none", cv_assets_text(ui->assets, "live.lonely_none"),
		        FACE_REGULAR, m->small_px, r.x, y, r.w, 1, t->text, false);
		return;
	}
	/* names two to a line while the lines last; the last line counts the rest */
	for (int i = 0; i < s->lonely_named_count && y + 2 * lh <= r.y + r.h; i += 2) {
		char key[32], names[2 * CV_LIVE_NAME_MAX + 8];
		const struct cv_live_person *a = &s->people[s->lonely_named[i]];

		snprintf(key, sizeof(key), "live.lonely.%d", i);
		if (i + 1 < s->lonely_named_count) {
			snprintf(names, sizeof(names), "%s · %s", a->name,
			         s->people[s->lonely_named[i + 1]].name);
			shown += 2;
		} else {
			snprintf(names, sizeof(names), "%s", a->name);
			shown += 1;
		}
		ui_text(ui, key, names, FACE_REGULAR, m->small_px, r.x, y, r.w, 1, t->text, false);
		y += lh;
	}
	if (s->lonely > shown && y + lh <= r.y + r.h) {
		/* with no name above it, "+ 3 more" would read as more than
		 * nobody: then the line just counts them ("3 not named") */
		const char *key = s->lonely_named_count == 0 ? "live.unnamed" : "live.more";
		ui->fill_count = s->lonely - shown;
		ui_fill(ui, cv_assets_text(ui->assets, key), buf, sizeof(buf));
		ui_text(ui, key, buf, FACE_REGULAR, m->small_px, r.x, y, r.w, 1, t->muted, false);
	}
}

static void draw_intros(struct cv_ui *ui, const struct metrics *m, SDL_Rect r,
                        const struct cv_live_snapshot *s)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);
	int y = r.y + heading(ui, m, "live.intros", r.x, r.y, r.w) + m->gap / 4;
	int lh = m->small_px * 13 / 10;

	if (s->intro_count == 0) {
		ui_text(ui, "live.intros_none", cv_assets_text(ui->assets, "live.intros_none"),
		        FACE_REGULAR, m->small_px, r.x, y, r.w, 1, t->text, false);
		return;
	}
	for (int i = 0; i < s->intro_count && y + lh <= r.y + r.h; i++) {
		char key[32], pair[2 * CV_LIVE_NAME_MAX + 8];

		snprintf(key, sizeof(key), "live.intro.%d", i);
		snprintf(pair, sizeof(pair), "%s ↔ %s", s->people[s->intros[i].a].name,
		         s->people[s->intros[i].b].name);
		ui_text(ui, key, pair, FACE_REGULAR, m->small_px, r.x, y, r.w, 1, t->text, false);
		y += lh;
	}
}

static bool rect_free(const SDL_Rect *placed, int n, SDL_Rect r)
{
	for (int i = 0; i < n; i++)
		if (SDL_HasIntersection(&placed[i], &r))
			return false;
	return true;
}

/* The ties from rank from on (settled ones only), thin and quiet, until
 * about budget pixels of line are drawn (0: no limit); returns the rank
 * reached. The software renderer's cost is the pixels, so the budget bounds
 * a frame's time whatever the ties' lengths. Ties shorter than a pixel are
 * left out: they would only darken a node. */
static size_t ties_draw(struct cv_ui *ui, const struct ui_live_layout *l,
                        const struct cv_live_snapshot *s, SDL_FRect m, size_t from, size_t settled,
                        float budget)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);
	float spent = 0;
	size_t k;

	ui_set_colour(ui->renderer, t->muted, s->tie_count > 2000 ? 0.18f : 0.45f);
	for (k = from; k < s->tie_count && (budget <= 0 || spent < budget); k++) {
		size_t i = (size_t)l->rank[k];
		const struct cv_live_tie *e = &s->ties[i];
		float x0 = m.x + l->x[e->a] * m.w, y0 = m.y + l->y[e->a] * m.h;
		float x1 = m.x + l->x[e->b] * m.w, y1 = m.y + l->y[e->b] * m.h;
		float ax = fabsf(x1 - x0), ay = fabsf(y1 - y0);

		if (i >= settled || (ax < 1.0f && ay < 1.0f))
			continue;
		SDL_RenderDrawLineF(ui->renderer, x0, y0, x1, y1);
		spent += (ax > ay ? ax : ay) + 8; /* and a fixed cost per line */
	}
	return k;
}

static void nodes_draw(struct cv_ui *ui, const struct ui_live_layout *l,
                       const struct cv_live_snapshot *s, SDL_FRect m, float rad)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);

	for (size_t i = 0; i < l->n; i++) {
		const struct cv_live_person *p = &s->people[i];
		float x = m.x + l->x[i] * m.w, y = m.y + l->y[i] * m.h;

		ui_fill_disc(ui->renderer, x, y, p->partners > 0 ? rad : rad * 0.7f,
		             p->partners > 0 ? org_colour(t, p->org) : t->muted);
	}
}

/* The ties and nodes. Settled ties and the nodes go into a texture the size
 * of the map, begun again only when the layout moved or more ties settled,
 * and filled strongest ties first, PIXELS_PER_FRAME a frame: a moving map
 * shows its strongest ties, a resting one every tie. New ties are drawn in
 * from A to B on top. Without target textures, everything is drawn each
 * frame. */
static void map_draw(struct cv_ui *ui, struct ui_live_layout *l, const struct cv_live_snapshot *s,
                     SDL_FRect m, float rad, SDL_Rect area)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);
	SDL_Renderer *rr = ui->renderer;
	int64_t now = ui->view.now_ms;
	size_t settled = s->tie_count;
	int e = (int)ceilf(rad) + 1;
	SDL_Rect want = {(int)m.x - e, (int)m.y - e, (int)m.w + 2 * e, (int)m.h + 2 * e};

	/* new ties are last, in the order they were born */
	while (settled > 0 && now - l->born_ms[settled - 1] < TIE_GROW_MS)
		settled--;
	SDL_IntersectRect(&want, &area, &want);
	if (l->tex && (l->tex_rect.w != want.w || l->tex_rect.h != want.h)) {
		SDL_DestroyTexture(l->tex);
		l->tex = NULL;
	}
	if (!l->tex && want.w > 0 && want.h > 0 && SDL_RenderTargetSupported(rr)) {
		l->tex = SDL_CreateTexture(rr, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_TARGET,
		                           want.w, want.h);
		l->tex_ok = false;
	}
	l->tex_rect = want;
	if (l->tex) {
		SDL_Texture *back = SDL_GetRenderTarget(rr);
		SDL_FRect tm = {m.x - (float)want.x, m.y - (float)want.y, m.w, m.h};

		if (l->moved || !l->tex_ok || l->tex_settled != settled) {
			l->moved = false;
			l->tex_ok = true;
			l->tex_complete = false;
			l->tex_settled = settled;
			l->tex_done = 0;
		}
		if (!l->tex_complete && SDL_SetRenderTarget(rr, l->tex) == 0) {
			size_t to;

			if (l->tex_done == 0) {
				/* opaque, the map's own colour: the ties blend as
				 * they would on the screen */
				ui_set_colour(rr, t->surface, 1.0f);
				SDL_SetRenderDrawBlendMode(rr, SDL_BLENDMODE_NONE);
				SDL_RenderClear(rr);
				SDL_SetRenderDrawBlendMode(rr, SDL_BLENDMODE_BLEND);
			}
			to = ties_draw(ui, l, s, tm, l->tex_done, settled, PIXELS_PER_FRAME);
			/* the nodes over the ties: when begun, and again when
			 * the last ties are in */
			if (l->tex_done == 0 || to >= s->tie_count)
				nodes_draw(ui, l, s, tm, rad);
			l->tex_done = to;
			l->tex_complete = to >= s->tie_count;
			SDL_SetRenderTarget(rr, back);
		}
		SDL_SetTextureBlendMode(l->tex, SDL_BLENDMODE_NONE);
		SDL_RenderCopy(rr, l->tex, NULL, &want);
	} else {
		ties_draw(ui, l, s, m, 0, settled, 0);
	}
	for (size_t k = settled; k < s->tie_count; k++) {
		const struct cv_live_tie *ti = &s->ties[k];
		float x0 = m.x + l->x[ti->a] * m.w, y0 = m.y + l->y[ti->a] * m.h;
		float x1 = m.x + l->x[ti->b] * m.w, y1 = m.y + l->y[ti->b] * m.h;
		int64_t age = now - l->born_ms[k];
		float f = age <= 0 ? 0.05f : (float)age / TIE_GROW_MS;

		ui_stroke(rr, x0, y0, x0 + (x1 - x0) * f, y0 + (y1 - y0) * f, rad * 0.8f,
		          t->accent);
	}
	if (!l->tex || settled < s->tie_count)
		nodes_draw(ui, l, s, m, rad);
}

/* A name rendered for the map, from the cache or rendered now (the cache
 * starts over when full). NULL when it cannot be rendered. */
static const struct label *label_get(struct cv_ui *ui, struct ui_live_layout *l,
                                     const struct cv_live_person *p, int px, int max_w)
{
	struct label *lb;
	SDL_Surface *surf;
	int used = px;

	for (int i = 0; i < l->label_count; i++) {
		lb = &l->labels[i];
		if (lb->id == p->id && lb->px == px && lb->max_w == max_w &&
		    strcmp(lb->name, p->name) == 0)
			return lb;
	}
	if (l->label_count == LABELS_MAX) {
		for (int i = 0; i < l->label_count; i++)
			SDL_DestroyTexture(l->labels[i].tex);
		l->label_count = 0;
	}
	surf = ui_render_fit(ui, p->name, FACE_BOLD, used, max_w, 1, 0,
	                     cv_assets_theme(ui->assets)->text, &used);
	if (!surf)
		return NULL;
	surf = ui_trim(ui, surf, p->name, FACE_BOLD, used);
	lb = &l->labels[l->label_count];
	lb->tex = SDL_CreateTextureFromSurface(ui->renderer, surf);
	lb->w = surf->w;
	lb->h = surf->h;
	SDL_FreeSurface(surf);
	if (!lb->tex)
		return NULL;
	lb->id = p->id;
	lb->px = px;
	lb->max_w = max_w;
	snprintf(lb->name, sizeof lb->name, "%s", p->name);
	l->label_count++;
	return lb;
}

static void draw_map(struct cv_ui *ui, const struct metrics *m, SDL_Rect r,
                     const struct cv_live_snapshot *s)
{
	const struct cv_theme *t = cv_assets_theme(ui->assets);
	struct ui_live_layout *l = ui->layout;
	int h = heading(ui, m, "live.map", r.x, r.y, r.w);
	float mx, my, mw, mh, rad;
	SDL_Rect placed[16];
	int n_placed = 0;

	r.y += h + m->gap / 4;
	r.h -= h + m->gap / 4;
	ui_fill_round(ui->renderer, (float)r.x, (float)r.y, (float)r.w, (float)r.h,
	              (float)m->radius, t->surface);
	if (!l || l->snap != s || l->n == 0)
		return;
	mx = (float)r.x + (float)m->gap / 2;
	my = (float)r.y + (float)m->gap / 2;
	mw = (float)r.w - (float)m->gap;
	mh = (float)r.h - (float)m->gap;
	rad = sqrtf(mw * mh / (float)l->n) * 0.16f;
	rad = rad < 2.0f ? 2.0f : rad > (float)m->s / 60 ? (float)m->s / 60 : rad;
	{
		/* the network zoomed to fill the map (up to 4x): a dense
		 * network folds into a knot in the middle of the layout's
		 * square, and its structure only shows when it fills the
		 * map. The same scale both ways, so distances stay true. */
		float x0 = 1, y0 = 1, x1 = 0, y1 = 0, z;

		/* whole discs inside the panel */
		mx += rad;
		my += rad;
		mw -= 2 * rad;
		mh -= 2 * rad;

		for (size_t i = 0; i < l->n; i++) {
			x0 = l->x[i] < x0 ? l->x[i] : x0;
			y0 = l->y[i] < y0 ? l->y[i] : y0;
			x1 = l->x[i] > x1 ? l->x[i] : x1;
			y1 = l->y[i] > y1 ? l->y[i] : y1;
		}
		z = 4.0f;
		if (x1 - x0 > 0.25f)
			z = 1.0f / (x1 - x0);
		if (y1 - y0 > 0.25f && 1.0f / (y1 - y0) < z)
			z = 1.0f / (y1 - y0);
		z = z < 1.0f ? 1.0f : z;
		mx += mw * (0.5f - z * (x0 + x1) / 2);
		my += mh * (0.5f - z * (y0 + y1) / 2);
		mw *= z;
		mh *= z;
	}

	{
		/* the texture stays clear of the panel's rounded corners */
		int in = m->radius / 3 + 1;
		SDL_Rect clip = {r.x + in, r.y + in, r.w - 2 * in, r.h - 2 * in};

		map_draw(ui, l, s, (SDL_FRect){mx, my, mw, mh}, rad, clip);
	}
	/* a few names: the best-connected of those who agreed, where they fit */
	{
		/* rank the named by partners, then try each place in turn */
		int order[64], count = 0;

		for (size_t i = 0; i < l->n && count < 64; i++)
			if (s->people[i].name[0] && s->people[i].partners > 0)
				order[count++] = (int)i;
		for (int a = 1; a < count; a++) {
			int v = order[a], b = a - 1;
			while (b >= 0 && (s->people[order[b]].partners < s->people[v].partners)) {
				order[b + 1] = order[b];
				b--;
			}
			order[b + 1] = v;
		}
		for (int k = 0; k < count && n_placed < 12; k++) {
			const struct label *lb =
			    label_get(ui, l, &s->people[order[k]], m->small_px * 9 / 10, r.w / 3);
			SDL_Rect box;
			char key[32];

			if (!lb)
				continue;
			box = (SDL_Rect){(int)(mx + l->x[order[k]] * mw) - lb->w / 2,
			                 (int)(my + l->y[order[k]] * mh + rad + 1), lb->w, lb->h};
			if (box.x < r.x)
				box.x = r.x;
			if (box.x + box.w > r.x + r.w)
				box.x = r.x + r.w - box.w;
			if (box.y + box.h > r.y + r.h)
				box.y = (int)(my + l->y[order[k]] * mh - rad - 1) - box.h;
			if (box.y >= r.y && rect_free(placed, n_placed, box)) {
				ui_set_colour(ui->renderer, t->background, 0.55f);
				SDL_RenderFillRect(ui->renderer, &box);
				SDL_RenderCopy(ui->renderer, lb->tex, NULL, &box);
				snprintf(key, sizeof(key), "live.name.%d", n_placed);
				ui_record_box(ui, key, box);
				placed[n_placed++] = box;
			}
		}
	}
}

void ui_draw_live(struct cv_ui *ui, const struct metrics *m, SDL_Rect area)
{
	const struct cv_live_snapshot *s = ui->view.live;
	bool portrait = m->h > m->w;
	int head, gap = m->gap;
	SDL_Rect map, side;

	if (!s) {
		ui_text(ui, "live.title", cv_assets_text(ui->assets, "live.title"), FACE_BOLD,
		        m->heading_px, area.x, area.y + area.h / 3, area.w, 1,
		        cv_assets_theme(ui->assets)->text, true);
		return;
	}
	head = draw_numbers(ui, m, (SDL_Rect){area.x, area.y, area.w, 0}, s);
	area.y += head + gap / 2;
	area.h -= head + gap / 2;
	if (portrait) {
		map = (SDL_Rect){area.x, area.y, area.w, area.h * 45 / 100};
		side = (SDL_Rect){area.x, map.y + map.h + gap, area.w, area.h - map.h - gap};
	} else {
		map = (SDL_Rect){area.x, area.y, area.w * 58 / 100, area.h};
		side = (SDL_Rect){map.x + map.w + gap, area.y, area.w - map.w - gap, area.h};
	}
	draw_map(ui, m, map, s);
	{
		int h1 = side.h * 24 / 100, h2 = side.h * 22 / 100, h3 = side.h * 27 / 100;
		int h4 = side.h - h1 - h2 - h3 - 3 * (gap / 2);

		draw_arrivals(ui, m, (SDL_Rect){side.x, side.y, side.w, h1}, s);
		side.y += h1 + gap / 2;
		draw_zones(ui, m, (SDL_Rect){side.x, side.y, side.w, h2}, s);
		side.y += h2 + gap / 2;
		draw_lonely(ui, m, (SDL_Rect){side.x, side.y, side.w, h3}, s);
		side.y += h3 + gap / 2;
		draw_intros(ui, m, (SDL_Rect){side.x, side.y, side.w, h4}, s);
	}
}
