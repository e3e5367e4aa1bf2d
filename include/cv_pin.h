/* The organiser PIN: a salted, slow hash (libsodium's crypto_pwhash_str,
 * Argon2id) kept in the config as [organizer] pin_hash, never the PIN
 * itself. The PIN is never logged. */
#ifndef CV_PIN_H
#define CV_PIN_H

#include <stddef.h>

#include "cv_config.h"

/* True for 4 to 12 ASCII digits. */
int cv_pin_valid(const char *pin);

/* Hashes pin (cv_pin_valid) with a fresh random salt into out (at least
 * CV_ORGANIZER_HASH_MAX bytes). Returns 0, CV_EINVAL (not a PIN), CV_ENOMEM
 * (the hash's memory could not be had). Takes about a second on a Pi. */
int cv_pin_hash(const char *pin, char *out, size_t outlen);

/* Checks pin against a hash from cv_pin_hash. Returns 0 when it matches,
 * CV_EPERM when not, CV_EINVAL when hash is not such a string. Slow on
 * purpose (tenths of a second): call it where a pause is acceptable. */
int cv_pin_verify(const char *hash, const char *pin);

#endif
