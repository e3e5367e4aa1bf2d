/* Stable pseudonyms for exports: a keyed hash (SipHash-2-4) of a person's
 * store id under a secret kept in the store, so the same person gets the
 * same pseudonym in every export of that store and nobody without the
 * secret can link a pseudonym back to a name. Pure. */
#ifndef CV_PSEUDONYM_H
#define CV_PSEUDONYM_H

#include <stddef.h>
#include <stdint.h>

#define CV_PSEUDONYM_KEY_BYTES 16
#define CV_PSEUDONYM_MAX 24 /* "p-" + 16 base-32 letters + NUL, with room */

/* SipHash-2-4 of data under key. */
uint64_t cv_pseudonym_siphash(const uint8_t key[CV_PSEUDONYM_KEY_BYTES], const void *data,
                              size_t len);

/* The text pseudonym of person id: "p-" and 13 lower-case base-32 letters
 * (64 bits of the hash). */
void cv_pseudonym_text(const uint8_t key[CV_PSEUDONYM_KEY_BYTES], int64_t id,
                       char out[CV_PSEUDONYM_MAX]);

/* A numeric pseudonym of person id for formats that want integers (the
 * contact list): 48 bits of the same hash, so from 1 to 2^48 - 1. */
int64_t cv_pseudonym_number(const uint8_t key[CV_PSEUDONYM_KEY_BYTES], int64_t id);

#endif
