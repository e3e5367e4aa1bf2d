/* Badge UIDs between bytes and upper-case hex, and the random-UID rule. */
#include "cv_badge.h"

#include <ctype.h>

#include "cv_error.h"

static const char hex_digits[] = "0123456789ABCDEF";

int cv_badge_uid_format(const uint8_t *uid, size_t len, char out[CV_UID_HEX_MAX])
{
	out[0] = '\0';
	if (len == 0 || len > CV_UID_MAX)
		return CV_EINVAL;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex_digits[uid[i] >> 4];
		out[2 * i + 1] = hex_digits[uid[i] & 0x0f];
	}
	out[2 * len] = '\0';
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)toupper((unsigned char)c);
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cv_badge_uid_parse(const char *text, bool allow_any_length, uint8_t out[CV_UID_MAX],
                       size_t *len)
{
	size_t n = 0;
	const char *p = text;

	*len = 0;
	if (!text)
		return CV_EINVAL;
	while (*p) {
		if (n > 0 && (*p == ':' || *p == ' ')) {
			p++;
			continue;
		}
		int hi = hex_value(p[0]);
		int lo = hi >= 0 ? hex_value(p[1]) : -1;
		if (hi < 0 || lo < 0 || n == CV_UID_MAX)
			return CV_EINVAL;
		out[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	if (n == 0)
		return CV_EINVAL;
	if (!allow_any_length && n != 4 && n != 7 && n != 10)
		return CV_EINVAL;
	*len = n;
	return 0;
}

int cv_badge_uid_normalize(const char *text, char out[CV_UID_HEX_MAX])
{
	uint8_t uid[CV_UID_MAX];
	size_t len;

	out[0] = '\0';
	int rc = cv_badge_uid_parse(text, false, uid, &len);
	if (rc != 0)
		return rc;
	return cv_badge_uid_format(uid, len, out);
}

bool cv_badge_uid_is_random(const uint8_t *uid, size_t len)
{
	return len == 4 && uid[0] == 0x08;
}
