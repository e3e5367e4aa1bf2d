/* Fuzz target for the sync batch decoder (what `convene serve` reads from
 * the network): any bytes, raw or gzip, must decode into a batch that
 * validates and re-encodes to the same batch, or fail with a message and
 * nothing allocated. Replies are decoded too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cv_error.h"
#include "cv_sync_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void one(const char *text, size_t size)
{
	struct cv_sync_batch b, again;
	char err[256];
	int rc = cv_sync_batch_decode(text, size, &b, err, sizeof err);
	check(memchr(err, '\0', sizeof err) != NULL);
	if (rc != 0) {
		check(rc == CV_EINVAL || rc == CV_ETOOBIG || rc == CV_ENOMEM);
		check(err[0] != '\0');
		check(b.records == NULL && b.record_count == 0 && b.people == NULL);
		return;
	}
	check(cv_sync_batch_validate(&b, NULL, 0) == 0);
	char *json;
	size_t len;
	check(cv_sync_batch_encode(&b, &json, &len) == 0);
	check(cv_sync_batch_decode(json, len, &again, err, sizeof err) == 0);
	check(again.record_count == b.record_count && again.person_count == b.person_count &&
	      again.skip_count == b.skip_count);
	for (size_t i = 0; i < b.record_count; i++)
		check(memcmp(&again.records[i], &b.records[i], sizeof b.records[i]) == 0);
	free(json);
	cv_sync_batch_free(&again);
	cv_sync_batch_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so a read past the end is caught. */
	char *text = calloc(size ? size : 1, 1);
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	one(text, size);
	unsigned char *plain;
	size_t plain_len;
	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b &&
	    cv_sync_gunzip(text, size, 1 << 20, &plain, &plain_len) == 0) {
		one((const char *)plain, plain_len);
		free(plain);
	}
	struct cv_sync_reply r;
	char err[128];
	if (cv_sync_reply_decode(text, size, &r, err, sizeof err) == 0)
		cv_sync_reply_free(&r);
	free(text);
	return 0;
}
