/* The tests' own account of a turned picture, written apart from cv_touch so
 * that it can catch cv_touch out: where SDL_RenderCopyEx puts screen pixel
 * (x, y) of a w x h screen when it turns the picture clockwise onto the
 * panel. */
#ifndef CV_TEST_PANEL_PIXEL_H
#define CV_TEST_PANEL_PIXEL_H

static inline void panel_pixel(int rotation, int w, int h, int x, int y, int *px, int *py)
{
	switch (rotation) {
	case 90:
		*px = h - 1 - y;
		*py = x;
		break;
	case 180:
		*px = w - 1 - x;
		*py = h - 1 - y;
		break;
	case 270:
		*px = y;
		*py = w - 1 - x;
		break;
	default:
		*px = x;
		*py = y;
		break;
	}
}

#endif
