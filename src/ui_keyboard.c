/* The on-screen keyboard of the roster search: lower-case letters, the
 * accented letters that names in the roster carry, a space and a delete
 * key. It types lower case only: the search folds case on both sides. */
#include <stdio.h>
#include <string.h>

#include "ui_internal.h"

/* One row per line, keys separated by blanks; "SP" is the space bar and
 * "DEL" the delete key. */
static const char *const wide_rows[] = {
    "q w e r t y u i o p",
    "a s d f g h j k l -",
    "z x c v b n m SP DEL",
    "é è á à ä ö ü ñ ç ø å ł ß",
};

/* Portrait: no more than eight keys a row, so each stays a fingertip wide. */
static const char *const narrow_rows[] = {
    "q w e r t y u i", "o p a s d f g h", "j k l z x c v b",
    "n m - SP DEL",    "é è á à ä ö ü",   "ñ ç ø å ł ß",
};

#define WIDE_ROWS (sizeof(wide_rows) / sizeof(wide_rows[0]))
#define NARROW_ROWS (sizeof(narrow_rows) / sizeof(narrow_rows[0]))

static int row_keys(const char *row, char keys[][8], int max)
{
	int n = 0;

	while (*row && n < max) {
		size_t len = strcspn(row, " ");

		if (len > 0 && len < 8) {
			memcpy(keys[n], row, len);
			keys[n][len] = '\0';
			n++;
		}
		row += len;
		while (*row == ' ')
			row++;
	}
	return n;
}

void ui_draw_keyboard(struct cv_ui *ui, const struct metrics *m, SDL_Rect area)
{
	bool portrait = m->h > m->w;
	const char *const *rows = portrait ? narrow_rows : wide_rows;
	int count = (int)(portrait ? NARROW_ROWS : WIDE_ROWS);
	int gap = ui_at_least(m->s / 120, 3);
	int row_h = (area.h - (count - 1) * gap) / count;
	int widest = 0;
	char keys[16][8];

	for (int r = 0; r < count; r++) {
		int n = row_keys(rows[r], keys, 16), units = 0;

		for (int k = 0; k < n; k++)
			units += strcmp(keys[k], "SP") == 0    ? 3
			         : strcmp(keys[k], "DEL") == 0 ? 2
			                                       : 1;
		widest = units > widest ? units : widest;
	}
	for (int r = 0; r < count; r++) {
		int n = row_keys(rows[r], keys, 16), units = 0, x, unit;

		for (int k = 0; k < n; k++)
			units += strcmp(keys[k], "SP") == 0    ? 3
			         : strcmp(keys[k], "DEL") == 0 ? 2
			                                       : 1;
		unit = (area.w - (widest - 1) * gap) / widest;
		x = area.x + (area.w - (units * unit + (units - 1) * gap)) / 2;
		for (int k = 0; k < n; k++) {
			bool space = strcmp(keys[k], "SP") == 0, del = strcmp(keys[k], "DEL") == 0;
			int span = space ? 3 : del ? 2 : 1;
			SDL_Rect rect = {x, area.y + r * (row_h + gap),
			                 span * unit + (span - 1) * gap, row_h};
			char key[48];

			snprintf(key, sizeof(key), "key.%.40s",
			         space ? "space"
			         : del ? "erase"
			               : keys[k]);
			if (del)
				ui_button(ui, m, rect, key, cv_assets_text(ui->assets, "org.erase"),
				          m->small_px, false, CV_UI_T_ERASE, 0, NULL);
			else
				ui_button(ui, m, rect, key,
				          space ? cv_assets_text(ui->assets, "org.space") : keys[k],
				          space ? m->small_px : m->button_px, true, CV_UI_T_KEY, 0,
				          space ? " " : keys[k]);
			x += rect.w + gap;
		}
	}
}
