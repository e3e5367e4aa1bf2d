/* Touch and click coordinates onto the screen people see: calibration,
 * then the rotation turned back, then scaling and clamping; and the parser
 * of calibration matrices. Numbers are read here rather than by strtod, so
 * the locale cannot change what "0.5" means and "nan" or hex floats are
 * never taken for calibration values. */
#include "cv_touch.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cv_error.h"

#define WORDS_MAX 16 /* more than any accepted count, so a long list is counted */
#define WORD_SHOWN 24

void cv_touch_turn_size(int rotation, int width, int height, int *out_w, int *out_h)
{
	bool side = rotation == 90 || rotation == 270;

	*out_w = side ? height : width;
	*out_h = side ? width : height;
}

void cv_touch_turn_placement(int rotation, int width, int height, int *x, int *y, int *cx, int *cy)
{
	/* A turn about C takes the rectangle at (x, y) onto the panel when
	 * C solves two equations per axis; the offset (0 or 1) on the odd
	 * side makes C whole. */
	int ax = 0, ay = 0; /* C on the panel */

	*x = 0;
	*y = 0;
	switch (rotation) {
	case 90:
		*y = height % 2;
		ax = ay = (height + *y) / 2;
		break;
	case 180:
		*x = width % 2;
		*y = height % 2;
		ax = (width + *x) / 2;
		ay = (height + *y) / 2;
		break;
	case 270:
		*x = width % 2;
		ax = ay = (width + *x) / 2;
		break;
	default:
		ax = width / 2;
		ay = height / 2;
		break;
	}
	*cx = ax - *x;
	*cy = ay - *y;
}

void cv_touch_matrix_apply(const struct cv_touch_matrix *m, double *x, double *y)
{
	double u = *x, v = *y;

	*x = m->a * u + m->b * v + m->c;
	*y = m->d * u + m->e * v + m->f;
}

bool cv_touch_matrix_is_identity(const struct cv_touch_matrix *m)
{
	return m->a == 1 && m->b == 0 && m->c == 0 && m->d == 0 && m->e == 1 && m->f == 0;
}

/* A point normalised over the panel onto the same point normalised over
 * the screen: the picture was turned clockwise onto the panel, so the
 * point is turned counter-clockwise. */
static void unturn(int rotation, double *u, double *v)
{
	double x = *u, y = *v;

	switch (rotation) {
	case 90:
		*u = y;
		*v = 1 - x;
		break;
	case 180:
		*u = 1 - x;
		*v = 1 - y;
		break;
	case 270:
		*u = 1 - y;
		*v = x;
		break;
	default: break;
	}
}

/* The pixel of a normalised coordinate on a side of n pixels, clamped to
 * the side (NaN lands on 0). */
static int to_pixel(double t, int n)
{
	double p;

	if (n < 1)
		return 0;
	if (!(t > 0))
		return 0;
	p = floor(t * n);
	if (p >= n)
		return n - 1;
	return (int)p;
}

void cv_touch_from_finger(const struct cv_touch_geometry *g, const struct cv_touch_matrix *cal,
                          double x, double y, int *out_x, int *out_y)
{
	double u = isfinite(x) ? x : 0, v = isfinite(y) ? y : 0;

	if (cal)
		cv_touch_matrix_apply(cal, &u, &v);
	unturn(g->rotation, &u, &v);
	*out_x = to_pixel(u, g->width);
	*out_y = to_pixel(v, g->height);
}

void cv_touch_from_window(const struct cv_touch_geometry *g, int win_w, int win_h, int x, int y,
                          int *out_x, int *out_y)
{
	/* the centre of the pixel, so equal sizes map pixel to pixel */
	double u = ((double)x + 0.5) / (win_w > 0 ? win_w : 1);
	double v = ((double)y + 0.5) / (win_h > 0 ? win_h : 1);

	unturn(g->rotation, &u, &v);
	*out_x = to_pixel(u, g->width);
	*out_y = to_pixel(v, g->height);
}

/* ---- parsing ---- */

static bool is_separator(char c)
{
	return c == ',' || isspace((unsigned char)c);
}

static bool word_is(const char *w, size_t n, const char *name)
{
	if (n != strlen(name))
		return false;
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)w[i]) != name[i])
			return false;
	return true;
}

/* "inf", "-Infinity", "NaN": what printf writes for values that are no
 * use as a calibration, named as such rather than as "not a number". */
static bool is_not_finite_word(const char *w, size_t n)
{
	if (n > 0 && (w[0] == '+' || w[0] == '-')) {
		w++;
		n--;
	}
	return word_is(w, n, "inf") || word_is(w, n, "infinity") || word_is(w, n, "nan");
}

/* Reads a decimal number: [+-]digits[.digits][e[+-]digits], with digits on
 * at least one side of the point. Returns false when w is not one; a
 * number too large for a double comes back infinite. */
static bool read_number(const char *w, size_t n, double *out)
{
	size_t i = 0;
	double mant = 0;
	long exp10 = 0, e = 0;
	bool neg = false, digits = false, eneg = false;

	if (i < n && (w[i] == '+' || w[i] == '-'))
		neg = w[i++] == '-';
	for (; i < n && isdigit((unsigned char)w[i]); i++) {
		mant = mant * 10 + (w[i] - '0');
		digits = true;
	}
	if (i < n && w[i] == '.') {
		for (i++; i < n && isdigit((unsigned char)w[i]); i++) {
			mant = mant * 10 + (w[i] - '0');
			exp10--;
			digits = true;
		}
	}
	if (!digits)
		return false;
	if (i < n && (w[i] == 'e' || w[i] == 'E')) {
		bool edigits = false;

		i++;
		if (i < n && (w[i] == '+' || w[i] == '-'))
			eneg = w[i++] == '-';
		for (; i < n && isdigit((unsigned char)w[i]); i++) {
			if (e < 100000) /* far past any double; stops overflow of e */
				e = e * 10 + (w[i] - '0');
			edigits = true;
		}
		if (!edigits)
			return false;
	}
	if (i != n)
		return false;
	exp10 += eneg ? -e : e;
	/* dividing by an exact power of ten rounds once, so "0.1" is the
	 * double nearest 0.1 */
	if (mant == 0)
		*out = 0;
	else if (exp10 < 0 && exp10 >= -22)
		*out = mant / pow(10, (double)-exp10);
	else
		*out = mant * pow(10, (double)exp10);
	if (neg)
		*out = -*out;
	return true;
}

int cv_touch_matrix_parse(const char *text, struct cv_touch_matrix *out, char *why, size_t whylen)
{
	double v[WORDS_MAX];
	int count = 0;
	const char *p = text;

	*out = CV_TOUCH_IDENTITY;
	for (;;) {
		const char *w;
		size_t n;

		while (*p && is_separator(*p))
			p++;
		if (!*p)
			break;
		w = p;
		while (*p && !is_separator(*p))
			p++;
		n = (size_t)(p - w);
		if (count == WORDS_MAX) {
			count++;
			break;
		}
		if (is_not_finite_word(w, n)) {
			cv_error_format(why, whylen, "number %d ('%.*s') is not finite", count + 1,
			                (int)(n < WORD_SHOWN ? n : WORD_SHOWN), w);
			return CV_EINVAL;
		}
		if (!read_number(w, n, &v[count])) {
			cv_error_format(why, whylen, "number %d ('%.*s') is not a number",
			                count + 1, (int)(n < WORD_SHOWN ? n : WORD_SHOWN), w);
			return CV_EINVAL;
		}
		if (!isfinite(v[count])) {
			cv_error_format(why, whylen, "number %d ('%.*s') is too large to be finite",
			                count + 1, (int)(n < WORD_SHOWN ? n : WORD_SHOWN), w);
			return CV_EINVAL;
		}
		count++;
	}
	if (count != 6 && count != 9) {
		cv_error_format(why, whylen,
		                "must be 6 numbers a b c d e f, as libinput's calibration matrix "
		                "(1 0 0 0 1 0 changes nothing); found %s%d",
		                count > WORDS_MAX ? "more than " : "",
		                count > WORDS_MAX ? WORDS_MAX : count);
		return CV_EINVAL;
	}
	if (count == 9 && (v[6] != 0 || v[7] != 0 || v[8] != 1)) {
		cv_error_format(why, whylen,
		                "9 numbers are a 3x3 matrix, whose last row must be 0 0 1 "
		                "(got %g %g %g)",
		                v[6], v[7], v[8]);
		return CV_EINVAL;
	}
	struct cv_touch_matrix m = {v[0], v[1], v[2], v[3], v[4], v[5]};
	double det = m.a * m.e - m.b * m.d;
	if (!(fabs(det) >= CV_TOUCH_DET_MIN)) {
		cv_error_format(why, whylen,
		                "is degenerate: a*e - b*d is %g, so touches would all land on a "
		                "line or a point (it must be at least %g away from 0)",
		                det, CV_TOUCH_DET_MIN);
		return CV_EINVAL;
	}
	*out = m;
	return 0;
}
