/* Folding text for searches: lower case, and the Latin letters with
 * diacritics that rosters of European gatherings hold, down to their base
 * letters. Pure. */
#include "cv_text.h"

#include <stdint.h>
#include <string.h>

/* Base letters of U+00C0..U+017F, in order; "" keeps the character. */
/* clang-format off */
static const char *const latin[] = {
	/* U+00C0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	/* U+00D0 */ "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",
	/* U+00E0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	/* U+00F0 */ "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
	/* U+0100 */ "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
	/* U+0110 */ "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
	/* U+0120 */ "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
	/* U+0130 */ "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
	/* U+0140 */ "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
	/* U+0150 */ "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
	/* U+0160 */ "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
	/* U+0170 */ "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",
};
/* clang-format on */

/* Decodes one UTF-8 character at s (n bytes left). Returns its length, 0
 * for an invalid sequence; *cp is the code point. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c = s[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xE0) == 0xC0) {
		len = 2;
		c &= 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3;
		c &= 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4;
		c &= 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	/* overlong forms and surrogates are not text */
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
		return 0;
	*cp = c;
	return len;
}

size_t cv_text_fold(const char *in, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)(in ? in : "");
	size_t n = strlen((const char *)s), used = 0;

	if (outlen == 0)
		return 0;
	while (n > 0) {
		uint32_t cp;
		size_t len = utf8_next(s, n, &cp);
		const char *rep = NULL;
		char one;
		size_t rep_len;

		if (len == 0) {
			/* an invalid byte: dropped, so it cannot split a character */
			s++;
			n--;
			continue;
		}
		if (cp < 0x80) {
			one = (char)(cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp);
			rep = &one;
			rep_len = 1;
		} else if (cp >= 0xC0 && cp <= 0x17F && latin[cp - 0xC0][0] != '\0') {
			rep = latin[cp - 0xC0];
			rep_len = strlen(rep);
		} else {
			rep = (const char *)s;
			rep_len = len;
		}
		if (used + rep_len + 1 > outlen)
			break;
		memcpy(out + used, rep, rep_len);
		used += rep_len;
		s += len;
		n -= len;
	}
	out[used] = '\0';
	return used;
}
