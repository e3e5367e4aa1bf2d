/* Checks shared by the screenshot tests: find a drawn text by its asset key,
 * read a saved PNG back, and check a frame (not blank, every expected text
 * drawn inside the screen without overlap and with ink in it, every touch
 * target at least 48 px). Failures go through cmocka. */
#ifndef CV_TEST_UI_CHECK_H
#define CV_TEST_UI_CHECK_H

#include <stddef.h>

#include <SDL.h>

#include "cv_assets.h"
#include "cv_ui.h"

const struct cv_ui_text_box *ui_check_find_box(const struct cv_ui_text_box *b, size_t n,
                                               const char *key);
Uint32 ui_check_pixel(const SDL_Surface *s, int x, int y);
/* The caller frees the surface. */
SDL_Surface *ui_check_load_png(const char *png);
/* what names the frame in failure messages; keys lists key_count entries at
 * most (a NULL ends it early). */
void ui_check_frame(struct cv_ui *ui, const struct cv_assets *a, int width, int height,
                    const char *png, const char *what, const char *const *keys, int key_count,
                    int min_targets);

#endif
