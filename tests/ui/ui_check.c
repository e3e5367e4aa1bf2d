/* Checks shared by the screenshot tests of organiser mode, the live screen
 * and consent: what a saved frame must show. */
#include "ui_check.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <SDL_image.h>

const struct cv_ui_text_box *ui_check_find_box(const struct cv_ui_text_box *b, size_t n,
                                               const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(b[i].key, key) == 0)
			return &b[i];
	return NULL;
}

Uint32 ui_check_pixel(const SDL_Surface *s, int x, int y)
{
	return *(const Uint32 *)((const Uint8 *)s->pixels + (size_t)y * (size_t)s->pitch +
	                         (size_t)x * 4) &
	       0xFFFFFF;
}

SDL_Surface *ui_check_load_png(const char *png)
{
	SDL_Surface *raw = IMG_Load(png), *s;

	if (!raw)
		fail_msg("cannot read %s: %s", png, IMG_GetError());
	s = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_ARGB8888, 0);
	SDL_FreeSurface(raw);
	assert_non_null(s);
	return s;
}

void ui_check_frame(struct cv_ui *ui, const struct cv_assets *a, int width, int height,
                    const char *png, const char *what, const char *const *keys, int key_count,
                    int min_targets)
{
	const struct cv_ui_text_box *boxes;
	size_t n = cv_ui_text_boxes(ui, &boxes);
	SDL_Surface *s = ui_check_load_png(png);
	long other = 0;
	int w, h, targets = 0;

	cv_ui_size(ui, &w, &h);
	assert_int_equal(s->w, width);
	assert_int_equal(s->h, height);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			other += ui_check_pixel(s, x, y) != cv_assets_theme(a)->background;
	if (other * 100 < (long)w * h * 2)
		fail_msg("%s: only %ld pixels drawn", what, other);
	for (int k = 0; k < key_count && keys[k]; k++)
		if (!ui_check_find_box(boxes, n, keys[k]))
			fail_msg("%s: %s was not drawn", what, keys[k]);
	for (size_t i = 0; i < n; i++) {
		const struct cv_ui_text_box *b = &boxes[i];
		Uint32 corner;
		long differ = 0;

		if (b->x < 0 || b->y < 0 || b->w <= 0 || b->h <= 0 || b->x + b->w > w ||
		    b->y + b->h > h)
			fail_msg("%s: %s at %d,%d %dx%d leaves the screen", what, b->key, b->x,
			         b->y, b->w, b->h);
		if (b->h < 16)
			fail_msg("%s: %s is only %d px high", what, b->key, b->h);
		for (size_t j = i + 1; j < n; j++) {
			const struct cv_ui_text_box *c = &boxes[j];
			if (b->x < c->x + c->w && c->x < b->x + b->w && b->y < c->y + c->h &&
			    c->y < b->y + b->h)
				fail_msg("%s: %s overlaps %s", what, b->key, c->key);
		}
		corner = ui_check_pixel(s, b->x, b->y);
		for (int y = b->y; y < b->y + b->h; y++)
			for (int x = b->x; x < b->x + b->w; x++)
				differ += ui_check_pixel(s, x, y) != corner;
		if (differ * 100 < (long)b->w * b->h * 2)
			fail_msg("%s: text %s looks empty", what, b->key);
	}
	SDL_FreeSurface(s);
	/* every target is a fingertip wide and tall, and hits itself at its centre */
	for (int y = 0; y < h; y += 4) {
		for (int x = 0; x < w; x += 4) {
			struct cv_ui_hit hit, left, right, up, down;

			if (!cv_ui_hit_test(ui, x, y, &hit) || hit.target == CV_UI_T_OPTION)
				continue;
			/* only the top-left corner of each target is measured */
			if (cv_ui_hit_test(ui, x - 4, y, &left) &&
			    memcmp(&left, &hit, sizeof hit) == 0)
				continue;
			if (cv_ui_hit_test(ui, x, y - 4, &up) && memcmp(&up, &hit, sizeof hit) == 0)
				continue;
			targets++;
			if (!cv_ui_hit_test(ui, x + 44, y, &right) ||
			    memcmp(&right, &hit, sizeof hit) != 0 ||
			    !cv_ui_hit_test(ui, x, y + 44, &down) ||
			    memcmp(&down, &hit, sizeof hit) != 0)
				fail_msg("%s: a target at %d,%d (kind %d) is under 48 px", what, x,
				         y, (int)hit.target);
		}
	}
	if (targets < min_targets)
		fail_msg("%s: %d touch targets, expected at least %d", what, targets, min_targets);
}
