/* Keyed pseudonyms: SipHash-2-4 (Aumasson and Bernstein's keyed PRF, short
 * inputs, 128-bit key) over the person's store id as decimal text. */
#include "cv_pseudonym.h"

#include <stdio.h>
#include <string.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t load64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

uint64_t cv_pseudonym_siphash(const uint8_t key[CV_PSEUDONYM_KEY_BYTES], const void *data,
                              size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = load64(key), k1 = load64(key + 8);
	uint64_t v[4] = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
	                 k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
	size_t whole = len - len % 8;
	for (size_t i = 0; i < whole; i += 8) {
		uint64_t m = load64(in + i);
		v[3] ^= m;
		sipround(v);
		sipround(v);
		v[0] ^= m;
	}
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = 0; i < len % 8; i++)
		b |= (uint64_t)in[whole + i] << (8 * i);
	v[3] ^= b;
	sipround(v);
	sipround(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static uint64_t hash_id(const uint8_t key[CV_PSEUDONYM_KEY_BYTES], int64_t id)
{
	char text[24];
	int n = snprintf(text, sizeof text, "%lld", (long long)id);
	return cv_pseudonym_siphash(key, text, (size_t)n);
}

void cv_pseudonym_text(const uint8_t key[CV_PSEUDONYM_KEY_BYTES], int64_t id,
                       char out[CV_PSEUDONYM_MAX])
{
	/* Crockford-like alphabet: no i, l, o, u to misread. */
	static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
	uint64_t h = hash_id(key, id);
	out[0] = 'p';
	out[1] = '-';
	for (int i = 0; i < 13; i++) {
		out[2 + i] = alphabet[h & 31];
		h >>= 5;
	}
	out[15] = '\0';
}

int64_t cv_pseudonym_number(const uint8_t key[CV_PSEUDONYM_KEY_BYTES], int64_t id)
{
	uint64_t n = hash_id(key, id) & ((1ULL << 48) - 1);
	return n ? (int64_t)n : 1;
}
