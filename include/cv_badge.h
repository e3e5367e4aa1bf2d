/* Badge identities: UIDs as bytes and as upper-case hex. Pure. */
#ifndef CV_BADGE_H
#define CV_BADGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CV_UID_MAX 10                       /* ISO14443A: 4, 7 or 10 bytes */
#define CV_UID_HEX_MAX (2 * CV_UID_MAX + 1) /* with the terminator */

/* Formats len bytes as upper-case hex into out[CV_UID_HEX_MAX].
 * Returns 0, or CV_EINVAL when len is 0 or over CV_UID_MAX. */
int cv_badge_uid_format(const uint8_t *uid, size_t len, char out[CV_UID_HEX_MAX]);

/* Parses hex (either case, optional ':' or ' ' between byte pairs) into
 * bytes. Accepts 4, 7 or 10 bytes (and other lengths 1..10 when
 * allow_any_length). Returns 0 or CV_EINVAL. */
int cv_badge_uid_parse(const char *text, bool allow_any_length, uint8_t out[CV_UID_MAX],
                       size_t *len);

/* Normalises a UID text to upper-case hex without separators.
 * Returns 0 or CV_EINVAL. */
int cv_badge_uid_normalize(const char *text, char out[CV_UID_HEX_MAX]);

/* True for a random UID (4 bytes starting 0x08, ISO14443-3): phones and
 * privacy cards present a new one at every tap, so it identifies nobody. */
bool cv_badge_uid_is_random(const uint8_t *uid, size_t len);

#endif
