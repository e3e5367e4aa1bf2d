/* Bundles: the pending records of a kiosk as batches of the sync protocol,
 * one JSON batch per line, gzipped, and sealed to the server's public key
 * (crypto_box_seal) when one is configured; and their import on the server
 * through the same exactly-once ingest as uploads. */
#include "cv_bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cv_clock.h"
#include "cv_error.h"
#include "cv_log.h"
#include "cv_store_sync.h"
#include "cv_sync_codec.h"

#define CV_LOG_TAG "bundle"

#define MAGIC_PLAIN "CONVENE-BUNDLE 1 plain\n"
#define MAGIC_SEALED "CONVENE-BUNDLE 1 sealed\n"
#define BUNDLE_MAX ((size_t)512 << 20)
#define BUNDLE_BATCH 500

static int read_file(const char *path, size_t max, unsigned char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	FILE *f = fopen(path, "rbe");
	if (!f)
		return errno == ENOENT ? CV_ENOTFOUND : CV_EIO;
	size_t cap = 1 << 16, n = 0;
	unsigned char *buf = malloc(cap);
	int rc = buf ? 0 : CV_ENOMEM;
	while (rc == 0) {
		if (n == cap) {
			if (cap >= max + 1) {
				rc = CV_ETOOBIG;
				break;
			}
			cap *= 2;
			unsigned char *g = realloc(buf, cap);
			if (!g) {
				rc = CV_ENOMEM;
				break;
			}
			buf = g;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			rc = ferror(f) ? CV_EIO : 0;
			break;
		}
	}
	fclose(f);
	if (rc == 0 && n > max)
		rc = CV_ETOOBIG;
	if (rc != 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int write_file_atomic(const char *path, const void *head, size_t head_len, const void *data,
                             size_t len, mode_t mode)
{
	char tmp[CV_PATH_MAX + 16];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return errno == EACCES ? CV_EPERM : CV_EIO;
	const unsigned char *parts[2] = {head, data};
	size_t lens[2] = {head_len, len};
	bool ok = true;
	for (int i = 0; ok && i < 2; i++) {
		size_t off = 0;
		while (ok && off < lens[i]) {
			ssize_t w = write(fd, parts[i] + off, lens[i] - off);
			if (w < 0 && errno == EINTR)
				continue;
			ok = w > 0;
			off += w > 0 ? (size_t)w : 0;
		}
	}
	ok = ok && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return CV_EIO;
	}
	return 0;
}

static int read_key(const char *path, unsigned char *key, size_t size)
{
	unsigned char *data;
	size_t len;
	int rc = read_file(path, 4096, &data, &len);
	if (rc != 0)
		return rc;
	/* Hex text, one line. */
	size_t bin_len = 0;
	rc = sodium_hex2bin(key, size, (const char *)data, len, " \r\n", &bin_len, NULL);
	free(data);
	return rc == 0 && bin_len == size ? 0 : CV_EINVAL;
}

static int write_key(const char *path, const unsigned char *key, size_t size, mode_t mode)
{
	char hex[2 * crypto_box_SECRETKEYBYTES + 2];
	sodium_bin2hex(hex, sizeof hex, key, size);
	size_t n = strlen(hex);
	hex[n++] = '\n';
	int rc = write_file_atomic(path, "", 0, hex, n, mode);
	sodium_memzero(hex, sizeof hex);
	return rc;
}

int cv_bundle_ensure_keys(const struct cv_config *cfg, bool *created, char *err, size_t errlen)
{
	*created = false;
	const char *pub = cfg->serve_public_key_file, *sec = cfg->serve_secret_key_file;
	if (!pub[0] || !sec[0]) {
		snprintf(err, errlen,
		         "[serve] public_key_file and secret_key_file must both be set");
		return CV_EINVAL;
	}
	if (sodium_init() < 0)
		return CV_EIO;
	if (access(pub, F_OK) == 0 && access(sec, F_OK) == 0)
		return 0;
	unsigned char pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
	crypto_box_keypair(pk, sk);
	int rc = write_key(sec, sk, sizeof sk, 0600);
	sodium_memzero(sk, sizeof sk);
	if (rc == 0)
		rc = write_key(pub, pk, sizeof pk, 0644);
	if (rc != 0) {
		snprintf(err, errlen, "cannot write the server's key pair: %s", cv_strerror(rc));
		return rc;
	}
	*created = true;
	return 0;
}

/* Appends text and a newline to a growing buffer. */
static int append(char **buf, size_t *len, size_t *cap, const char *text, size_t n)
{
	if (*len + n + 1 > BUNDLE_MAX)
		return CV_ETOOBIG;
	if (*len + n + 1 > *cap) {
		size_t c = *cap ? *cap : 1 << 16;
		while (c < *len + n + 1)
			c *= 2;
		char *g = realloc(*buf, c);
		if (!g)
			return CV_ENOMEM;
		*buf = g;
		*cap = c;
	}
	memcpy(*buf + *len, text, n);
	(*buf)[*len + n] = '\n';
	*len += n + 1;
	return 0;
}

static int64_t batch_end(const struct cv_sync_batch *b)
{
	int64_t end = 0;
	if (b->record_count > 0)
		end = b->records[b->record_count - 1].seq;
	if (b->skip_count > 0 && b->skipped[b->skip_count - 1].seq > end)
		end = b->skipped[b->skip_count - 1].seq;
	return end;
}

int cv_bundle_export(struct cv_store *store, const struct cv_config *cfg, const char *path,
                     struct cv_bundle_stats *stats, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0, cap = 0;
	unsigned char *gz = NULL, *sealed = NULL;
	size_t gz_len = 0;
	int64_t after = 0;
	int rc;

	memset(stats, 0, sizeof *stats);
	if (sodium_init() < 0)
		return CV_EIO;
	rc = cv_store_sync_acked(store, &after);
	for (bool first = true; rc == 0; first = false) {
		struct cv_sync_batch b;
		int64_t now = cv_clock_stamp().wall_ms;
		rc = first ? cv_store_sync_next_batch(store, BUNDLE_BATCH, now, &b)
		           : cv_store_sync_batch_after(store, after, BUNDLE_BATCH, now, &b);
		if (rc != 0)
			break;
		if (b.record_count + b.skip_count + b.person_count == 0) {
			cv_sync_batch_free(&b);
			break;
		}
		b.acked_seq = after;
		char *json;
		size_t jlen;
		rc = cv_sync_batch_encode(&b, &json, &jlen);
		int64_t end = batch_end(&b);
		stats->records += (int64_t)b.record_count;
		cv_sync_batch_free(&b);
		if (rc != 0)
			break;
		rc = append(&text, &len, &cap, json, jlen);
		free(json);
		stats->batches++;
		if (end <= after)
			break; /* only retries or roster: nothing further */
		after = end;
	}
	if (rc != 0) {
		snprintf(err, errlen, "cannot build the bundle: %s", cv_strerror(rc));
		goto out;
	}
	rc = cv_sync_gzip(text ? text : "", len, BUNDLE_MAX, &gz, &gz_len);
	if (rc != 0) {
		snprintf(err, errlen, "cannot compress the bundle: %s", cv_strerror(rc));
		goto out;
	}
	const char *magic = MAGIC_PLAIN;
	const unsigned char *payload = gz;
	size_t payload_len = gz_len;
	if (cfg->sync_server_public_key_file[0]) {
		unsigned char pk[crypto_box_PUBLICKEYBYTES];
		rc = read_key(cfg->sync_server_public_key_file, pk, sizeof pk);
		if (rc != 0) {
			snprintf(err, errlen, "cannot read the server's public key %s: %s",
			         cfg->sync_server_public_key_file, cv_strerror(rc));
			goto out;
		}
		sealed = malloc(gz_len + crypto_box_SEALBYTES);
		if (!sealed) {
			rc = CV_ENOMEM;
			goto out;
		}
		crypto_box_seal(sealed, gz, gz_len, pk);
		magic = MAGIC_SEALED;
		payload = sealed;
		payload_len = gz_len + crypto_box_SEALBYTES;
		stats->sealed = true;
	}
	rc = write_file_atomic(path, magic, strlen(magic), payload, payload_len, 0600);
	if (rc != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, cv_strerror(rc));
		goto out;
	}
	stats->bytes = strlen(magic) + payload_len;
out:
	free(text);
	free(gz);
	free(sealed);
	return rc;
}

int cv_bundle_import(struct cv_store *store, const struct cv_config *cfg, const char *path,
                     struct cv_bundle_stats *stats, char *err, size_t errlen)
{
	unsigned char *file = NULL, *opened = NULL, *text = NULL;
	size_t file_len = 0, text_len = 0;
	int rc;

	memset(stats, 0, sizeof *stats);
	if (sodium_init() < 0)
		return CV_EIO;
	rc = read_file(path, BUNDLE_MAX, &file, &file_len);
	if (rc != 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, cv_strerror(rc));
		return rc;
	}
	const unsigned char *gz;
	size_t gz_len;
	size_t plain_magic = strlen(MAGIC_PLAIN), sealed_magic = strlen(MAGIC_SEALED);
	if (file_len >= plain_magic && memcmp(file, MAGIC_PLAIN, plain_magic) == 0) {
		gz = file + plain_magic;
		gz_len = file_len - plain_magic;
	} else if (file_len >= sealed_magic + crypto_box_SEALBYTES &&
	           memcmp(file, MAGIC_SEALED, sealed_magic) == 0) {
		unsigned char pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
		if (!cfg->serve_public_key_file[0] || !cfg->serve_secret_key_file[0] ||
		    read_key(cfg->serve_public_key_file, pk, sizeof pk) != 0 ||
		    read_key(cfg->serve_secret_key_file, sk, sizeof sk) != 0) {
			snprintf(err, errlen,
			         "the bundle is sealed: set [serve] public_key_file and "
			         "secret_key_file to the server's key pair");
			rc = CV_EINVAL;
			goto out;
		}
		size_t n = file_len - sealed_magic - crypto_box_SEALBYTES;
		opened = malloc(n ? n : 1);
		rc = opened ? crypto_box_seal_open(opened, file + sealed_magic,
		                                   file_len - sealed_magic, pk, sk)
		            : -1;
		sodium_memzero(sk, sizeof sk);
		if (rc != 0) {
			snprintf(err, errlen,
			         "the bundle was not sealed to this server's key, or "
			         "it is damaged");
			rc = CV_EINVAL;
			goto out;
		}
		gz = opened;
		gz_len = n;
		stats->sealed = true;
	} else {
		snprintf(err, errlen, "%s is not a Convene bundle", path);
		rc = CV_EINVAL;
		goto out;
	}
	rc = cv_sync_gunzip(gz, gz_len, BUNDLE_MAX, &text, &text_len);
	if (rc != 0) {
		snprintf(err, errlen, "the bundle is damaged (%s)", cv_strerror(rc));
		goto out;
	}
	stats->bytes = file_len;
	for (char *p = (char *)text; p < (char *)text + text_len;) {
		char *eol = memchr(p, '\n', (size_t)((char *)text + text_len - p));
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		char why[256];
		struct cv_sync_batch b;
		struct cv_sync_reply reply;
		if (n == 0) {
			p += 1;
			continue;
		}
		rc = cv_sync_batch_decode(p, n, &b, why, sizeof why);
		p += n + 1;
		stats->batches++;
		if (rc != 0) {
			cv_log_warn("bundle batch %lld refused: %s", (long long)stats->batches,
			            why);
			stats->refused++;
			rc = 0;
			continue;
		}
		stats->records += (int64_t)b.record_count;
		rc = cv_store_sync_ingest(store, &b, cv_clock_stamp().wall_ms, n, &reply);
		if (rc == 0 && reply.ok) {
			stats->stored += reply.stored;
			stats->duplicates += reply.duplicates;
		} else if (rc == 0 && strcmp(reply.error, "replayed") == 0) {
			stats->duplicates += (int64_t)b.record_count;
		} else if (rc == 0) {
			char shown[CV_SYNC_REASON_MAX];
			cv_log_warn("bundle batch %lld of kiosk %s refused: %s: %s",
			            (long long)stats->batches, b.kiosk_id, reply.error,
			            cv_log_escape(reply.message, shown, sizeof shown));
			stats->refused++;
		}
		cv_sync_reply_free(&reply);
		cv_sync_batch_free(&b);
		if (rc != 0) {
			snprintf(err, errlen, "the store failed: %s", cv_strerror(rc));
			goto out;
		}
	}
out:
	free(file);
	free(opened);
	free(text);
	return rc;
}
