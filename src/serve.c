/* `convene serve`: the receiving end of sync on libmicrohttpd. One internal
 * polling thread answers every connection, so the server's store has one
 * user; a batch is authenticated from its headers before its body is read,
 * bounded while it arrives, inflated with a bound, decoded, and ingested in
 * one transaction. Also the kiosk tokens file (hashes only). */
#include "cv_serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cv_clock.h"
#include "cv_error.h"
#include "cv_log.h"
#include "cv_store.h"
#include "cv_store_sync.h"
#include "cv_sync_codec.h"
#include "cv_sync_thread.h"

#define CV_LOG_TAG "serve"

#define TOKEN_BYTES 32
#define HASH_BYTES 32
#define TOKENS_FILE_MAX (1u << 20)

/* ---- tokens ---- */

static void token_hash_hex(const char *token, char hex[2 * HASH_BYTES + 1])
{
	unsigned char h[HASH_BYTES];
	crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
	sodium_bin2hex(hex, 2 * HASH_BYTES + 1, h, sizeof h);
}

#define HUB_MARK " hub"

/* Finds kiosk_id's line in the tokens file text: its hash into hex, and
 * whether the line ends in "hub" (a hub's token, which may forward other
 * kiosks' records). */
static bool tokens_find(const char *text, const char *kiosk_id, char hex[2 * HASH_BYTES + 1],
                        bool *hub)
{
	size_t klen = strlen(kiosk_id);
	size_t plain = klen + 1 + 2 * HASH_BYTES;
	*hub = false;
	for (const char *p = text; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		bool marked = len == plain + strlen(HUB_MARK) &&
		              strncmp(p + plain, HUB_MARK, strlen(HUB_MARK)) == 0;
		if ((len == plain || marked) && strncmp(p, kiosk_id, klen) == 0 && p[klen] == ' ') {
			memcpy(hex, p + klen + 1, 2 * HASH_BYTES);
			hex[2 * HASH_BYTES] = '\0';
			*hub = marked;
			return true;
		}
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

static int read_small_file(const char *path, char **out)
{
	*out = NULL;
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? CV_ENOTFOUND : CV_EIO;
	char *buf = malloc(TOKENS_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return CV_ENOMEM;
	}
	size_t n = fread(buf, 1, TOKENS_FILE_MAX, f);
	bool bad = ferror(f) != 0;
	fclose(f);
	if (bad) {
		free(buf);
		return CV_EIO;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

int cv_serve_check_token(const char *tokens_file, const char *kiosk_id, const char *token)
{
	bool hub;
	return cv_serve_check_token_hub(tokens_file, kiosk_id, token, &hub);
}

int cv_serve_check_token_hub(const char *tokens_file, const char *kiosk_id, const char *token,
                             bool *hub)
{
	char *text;
	char want[2 * HASH_BYTES + 1], got[2 * HASH_BYTES + 1];
	*hub = false;
	int rc = read_small_file(tokens_file, &text);
	if (rc == CV_ENOTFOUND)
		return CV_ENOTFOUND;
	if (rc != 0)
		return CV_EIO;
	bool marked = false;
	bool found = tokens_find(text, kiosk_id, want, &marked);
	free(text);
	if (!found)
		return CV_ENOTFOUND;
	token_hash_hex(token, got);
	/* Constant time: how much of a guess matched must not show. */
	if (sodium_memcmp(want, got, 2 * HASH_BYTES) != 0)
		return CV_EPERM;
	*hub = marked;
	return 0;
}

int cv_serve_add_kiosk(const struct cv_config *cfg, const char *kiosk_id, char *token, size_t size,
                       char *err, size_t errlen)
{
	return cv_serve_add_token(cfg, kiosk_id, false, token, size, err, errlen);
}

int cv_serve_add_token(const struct cv_config *cfg, const char *kiosk_id, bool hub, char *token,
                       size_t size, char *err, size_t errlen)
{
	const char *path = cfg->serve_tokens_file;
	char *old = NULL;
	char tmp[CV_PATH_MAX + 16];
	unsigned char raw[TOKEN_BYTES];
	char hex[2 * HASH_BYTES + 1];

	token[0] = '\0';
	if (!path[0]) {
		snprintf(err, errlen, "[serve] tokens_file is not set");
		return CV_EINVAL;
	}
	if (size < CV_SERVE_TOKEN_LEN + 1 || sodium_init() < 0)
		return CV_EINVAL;
	int rc = read_small_file(path, &old);
	if (rc != 0 && rc != CV_ENOTFOUND) {
		snprintf(err, errlen, "cannot read %s: %s", path, cv_strerror(rc));
		return rc;
	}
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(token, size, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	token_hash_hex(token, hex);

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		free(old);
		token[0] = '\0';
		return CV_EIO;
	}
	fprintf(f, "# convene kiosk tokens: KIOSK_ID BLAKE2b-256(token) in hex [hub]\n");
	size_t klen = strlen(kiosk_id);
	for (const char *p = old; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		bool mine = len > klen && strncmp(p, kiosk_id, klen) == 0 && p[klen] == ' ';
		if (!mine && len > 0 && p[0] != '#')
			fprintf(f, "%.*s\n", (int)len, p);
		p = eol ? eol + 1 : NULL;
	}
	fprintf(f, "%s %s%s\n", kiosk_id, hex, hub ? HUB_MARK : "");
	free(old);
	bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		token[0] = '\0';
		return CV_EIO;
	}
	return 0;
}

/* ---- the HTTP side ---- */

struct server {
	const struct cv_config *cfg;
	struct cv_store *store; /* used only by the polling thread while it runs */
	int64_t batches;
	struct cv_sync_thread *forward; /* a hub's upload upstream; NULL: none */
};

/* Per request, from the first call of the handler to the last. */
struct request {
	bool is_batch;
	bool overflow;
	bool hub; /* the token may forward other kiosks' records */
	char kiosk[CV_ID_MAX];
	bool gzip;
	unsigned char *body;
	size_t len, cap;
};

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *json)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_reply(struct MHD_Connection *conn, unsigned status,
                                     const struct cv_sync_reply *reply)
{
	char *json = NULL;
	size_t len = 0;
	if (cv_sync_reply_encode(reply, &json, &len) != 0)
		return respond(conn, 500,
		               "{\"protocol\":1,\"ok\":false,\"error\":\"internal\","
		               "\"message\":\"out of memory\"}");
	enum MHD_Result ret = respond(conn, status, json);
	free(json);
	return ret;
}

static enum MHD_Result refuse(struct MHD_Connection *conn, unsigned status, const char *code,
                              const char *message)
{
	struct cv_sync_reply r;
	memset(&r, 0, sizeof r);
	snprintf(r.error, sizeof r.error, "%s", code);
	snprintf(r.message, sizeof r.message, "%s", message);
	r.server_time_ms = cv_clock_stamp().wall_ms;
	char shown[CV_SYNC_REASON_MAX];
	cv_log_warn("refused %u %s: %s", status, code, cv_log_escape(message, shown, sizeof shown));
	return respond_reply(conn, status, &r);
}

static unsigned reply_status(const struct cv_sync_reply *r)
{
	if (r->ok)
		return 200;
	if (strcmp(r->error, "out_of_order") == 0 || strcmp(r->error, "replayed") == 0)
		return 409;
	if (strcmp(r->error, "rejected") == 0)
		return 422;
	return 400;
}

/* Headers only: who is asking, with what. Returns MHD_YES with a response
 * queued when refused, else sets *accepted. */
static enum MHD_Result check_headers(struct server *srv, struct MHD_Connection *conn,
                                     struct request *rq, bool *accepted)
{
	*accepted = false;
	const char *kiosk = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Convene-Kiosk");
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	const char *enc = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Encoding");
	const char *clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");

	if (!kiosk || !*kiosk || strlen(kiosk) >= sizeof rq->kiosk)
		return refuse(conn, 400, "no_kiosk", "the X-Convene-Kiosk header is missing");
	snprintf(rq->kiosk, sizeof rq->kiosk, "%s", kiosk);
	if (!auth || strncasecmp(auth, "Bearer ", 7) != 0 || !auth[7])
		return refuse(conn, 401, "no_token", "an Authorization: Bearer token is required");
	int rc =
	    cv_serve_check_token_hub(srv->cfg->serve_tokens_file, rq->kiosk, auth + 7, &rq->hub);
	if (rc == CV_ENOTFOUND)
		return refuse(conn, 403, "unknown_kiosk",
		              "this kiosk is not known here: run convene add-kiosk on the server");
	if (rc == CV_EPERM)
		return refuse(conn, 401, "bad_token", "the token is wrong for this kiosk");
	if (rc != 0)
		return refuse(conn, 503, "tokens_unreadable", "the server cannot read its tokens");
	if (enc && strcasecmp(enc, "gzip") != 0 && strcasecmp(enc, "identity") != 0)
		return refuse(conn, 415, "bad_encoding",
		              "Content-Encoding must be gzip or identity");
	rq->gzip = enc && strcasecmp(enc, "gzip") == 0;
	if (clen && strtoull(clen, NULL, 10) > CV_SYNC_WIRE_MAX)
		return refuse(conn, 413, "too_big", "the request body is over the limit");
	*accepted = true;
	return MHD_YES;
}

static enum MHD_Result handle_batch(struct server *srv, struct MHD_Connection *conn,
                                    struct request *rq)
{
	char err[256];
	unsigned char *plain = NULL;
	size_t plain_len = 0;
	const char *json = (const char *)rq->body;
	size_t json_len = rq->len;

	if (rq->overflow)
		return refuse(conn, 413, "too_big", "the request body is over the limit");
	if (rq->gzip) {
		int rc = cv_sync_gunzip(rq->body, rq->len, CV_SYNC_BODY_MAX, &plain, &plain_len);
		if (rc == CV_ETOOBIG)
			return refuse(conn, 413, "too_big", "the inflated body is over the limit");
		if (rc != 0)
			return refuse(conn, 400, "bad_gzip", "the body is not valid gzip");
		json = (const char *)plain;
		json_len = plain_len;
	}
	struct cv_sync_batch b;
	int rc = cv_sync_batch_decode(json ? json : "", json_len, &b, err, sizeof err);
	free(plain);
	if (rc == CV_ETOOBIG)
		return refuse(conn, 413, "too_big", err);
	if (rc == CV_ENOMEM)
		return refuse(conn, 503, "busy", "out of memory");
	if (rc != 0)
		return refuse(conn, 400, "bad_batch", err);
	/* A hub's token speaks for the kiosks whose records it forwards: they
	 * keep their own ids and numbers, so exactly-once holds end to end. */
	if (strcmp(b.kiosk_id, rq->kiosk) != 0 && !rq->hub) {
		cv_sync_batch_free(&b);
		return refuse(conn, 403, "wrong_kiosk",
		              "the batch names another kiosk than the token");
	}
	struct cv_sync_reply reply;
	int64_t now = cv_clock_stamp().wall_ms;
	rc = cv_store_sync_ingest(srv->store, &b, now, rq->len, &reply);
	size_t records = b.record_count;
	char kiosk[CV_ID_MAX];
	snprintf(kiosk, sizeof kiosk, "%s", b.kiosk_id);
	cv_sync_batch_free(&b);
	if (rc != 0)
		return refuse(conn, 503, "store_failed", "the server's store failed; try again");
	reply.server_time_ms = now;
	unsigned status = reply_status(&reply);
	if (reply.ok) {
		srv->batches++;
		cv_log_info("kiosk %s%s%s: %zu records, %lld stored, %lld held already, now holds "
		            "%lld (%zu bytes)",
		            kiosk, strcmp(kiosk, rq->kiosk) != 0 ? " via " : "",
		            strcmp(kiosk, rq->kiosk) != 0 ? rq->kiosk : "", records,
		            (long long)reply.stored, (long long)reply.duplicates,
		            (long long)reply.acked_seq, rq->len);
		if (srv->forward && reply.stored > 0)
			cv_sync_thread_poke(srv->forward);
	} else {
		char shown[CV_SYNC_REASON_MAX];
		cv_log_warn("kiosk %s: %u %s: %s", rq->kiosk, status, reply.error,
		            cv_log_escape(reply.message, shown, sizeof shown));
	}
	enum MHD_Result ret = respond_reply(conn, status, &reply);
	cv_sync_reply_free(&reply);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct server *srv = cls;
	struct request *rq = *con_cls;
	(void)version;

	if (!rq) {
		rq = calloc(1, sizeof *rq);
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		if (strcmp(url, "/health") == 0) {
			if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
				return refuse(conn, 405, "method", "use GET for /health");
			char json[160];
			snprintf(json, sizeof json,
			         "{\"protocol\":%d,\"ok\":true,\"server_time_ms\":%lld,"
			         "\"batches\":%lld}",
			         CV_SYNC_PROTOCOL, (long long)cv_clock_stamp().wall_ms,
			         (long long)srv->batches);
			return respond(conn, 200, json);
		}
		if (strcmp(url, "/v1/batch") != 0)
			return refuse(conn, 404, "not_found", "no such path (POST /v1/batch)");
		if (strcmp(method, "POST") != 0)
			return refuse(conn, 405, "method", "use POST for /v1/batch");
		bool accepted;
		enum MHD_Result r = check_headers(srv, conn, rq, &accepted);
		if (!accepted)
			return r;
		rq->is_batch = true;
		return MHD_YES;
	}
	if (!rq->is_batch)
		return MHD_YES; /* a response is queued; the body is discarded */
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (rq->overflow || rq->len + n > CV_SYNC_WIRE_MAX) {
			rq->overflow = true;
			return MHD_YES;
		}
		if (rq->len + n > rq->cap) {
			size_t cap = rq->cap ? rq->cap : 64 * 1024;
			while (cap < rq->len + n)
				cap *= 2;
			unsigned char *grown = realloc(rq->body, cap);
			if (!grown)
				return MHD_NO;
			rq->body = grown;
			rq->cap = cap;
		}
		memcpy(rq->body + rq->len, upload_data, n);
		rq->len += n;
		return MHD_YES;
	}
	rq->is_batch = false; /* answered once */
	return handle_batch(srv, conn, rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct request *rq = *con_cls;
	if (rq) {
		free(rq->body);
		free(rq);
	}
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char line[256];
	vsnprintf(line, sizeof line, fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	cv_log_debug("http: %s", line);
}

static int parse_listen(const char *listen, struct sockaddr_in *sa, char *err, size_t errlen)
{
	char host[CV_NAME_MAX];
	const char *colon = strrchr(listen, ':');
	memset(sa, 0, sizeof *sa);
	if (!colon || (size_t)(colon - listen) >= sizeof host) {
		snprintf(err, errlen, "--listen needs HOST:PORT, got '%s'", listen);
		return CV_EINVAL;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535) {
		snprintf(err, errlen, "--listen needs a port from 1 to 65535, got '%s'", colon + 1);
		return CV_EINVAL;
	}
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	if (getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai) {
		snprintf(err, errlen, "cannot resolve '%s' to listen on", host);
		return CV_EINVAL;
	}
	memcpy(sa, ai->ai_addr, sizeof *sa);
	freeaddrinfo(ai);
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

int cv_serve_run(const struct cv_config *cfg, const char *listen, const atomic_bool *stop,
                 char *err, size_t errlen)
{
	struct server srv = {.cfg = cfg};
	struct sockaddr_in sa;
	if (!listen)
		listen = cfg->serve_listen;
	if (!cfg->serve_tokens_file[0]) {
		snprintf(err, errlen, "[serve] tokens_file is not set: no kiosk could sync");
		return CV_EINVAL;
	}
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium cannot start");
		return CV_EIO;
	}
	int rc = parse_listen(listen, &sa, err, errlen);
	if (rc != 0)
		return rc;
	rc = cv_store_open(cfg->store_path, cfg->kiosk_id, &srv.store, err, errlen);
	if (rc != 0)
		return rc;
	struct MHD_Daemon *d = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    on_request, &srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)60, MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_EXTERNAL_LOGGER,
	    on_mhd_log, NULL, MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
	if (!d) {
		snprintf(err, errlen, "cannot listen on %s (in use, or not allowed)", listen);
		cv_store_close(srv.store);
		return CV_EIO;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	cv_log_info("serving sync on %s (port %u), store %s", listen,
	            info ? (unsigned)info->port : 0u, cfg->store_path);
	/* A hub: what kiosks send here goes on upstream, from a thread of its
	 * own with its own store connection (poked after each stored batch). */
	if (cfg->sync_url[0]) {
		rc = cv_sync_thread_start(cfg, NULL, NULL, &srv.forward);
		if (rc != 0)
			cv_log_error("cannot forward upstream: %s", cv_strerror(rc));
		else
			cv_log_info("forwarding upstream every %d s", cfg->sync_interval_s);
	}
	while (!atomic_load(stop)) {
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000000L};
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(d);
	cv_sync_thread_stop(srv.forward);
	cv_store_close(srv.store);
	cv_log_info("stopped serving after %lld batches", (long long)srv.batches);
	return 0;
}
