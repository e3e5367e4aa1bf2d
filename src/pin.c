/* The organiser PIN's hash and check, with libsodium's crypto_pwhash_str
 * (Argon2id, a random salt inside the string). Interactive limits: the PIN
 * is short, so its strength is the hash's cost and the keypad's lock. */
#include "cv_pin.h"

#include <string.h>

#include <sodium.h>

#include "cv_error.h"

int cv_pin_valid(const char *pin)
{
	size_t n = 0;

	if (!pin)
		return 0;
	for (; pin[n]; n++)
		if (pin[n] < '0' || pin[n] > '9')
			return 0;
	return n >= 4 && n <= 12;
}

static int pin_init(void)
{
	/* Idempotent and thread-safe; it picks the fastest implementations. */
	return sodium_init() < 0 ? CV_ENOMEM : 0;
}

int cv_pin_hash(const char *pin, char *out, size_t outlen)
{
	char hash[crypto_pwhash_STRBYTES];

	if (outlen > 0)
		out[0] = '\0';
	if (!cv_pin_valid(pin))
		return CV_EINVAL;
	if (outlen < sizeof hash && outlen < CV_ORGANIZER_HASH_MAX)
		return CV_EINVAL;
	if (pin_init() != 0)
		return CV_ENOMEM;
	if (crypto_pwhash_str(hash, pin, strlen(pin), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return CV_ENOMEM;
	if (strlen(hash) + 1 > outlen)
		return CV_ETOOBIG;
	memcpy(out, hash, strlen(hash) + 1);
	sodium_memzero(hash, sizeof hash);
	return 0;
}

int cv_pin_verify(const char *hash, const char *pin)
{
	if (!hash || strncmp(hash, "$argon2", 7) != 0 ||
	    strnlen(hash, crypto_pwhash_STRBYTES) >= crypto_pwhash_STRBYTES)
		return CV_EINVAL;
	if (!cv_pin_valid(pin))
		return CV_EPERM;
	if (pin_init() != 0)
		return CV_ENOMEM;
	return crypto_pwhash_str_verify(hash, pin, strlen(pin)) == 0 ? 0 : CV_EPERM;
}
