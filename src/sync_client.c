/* The upload client over libcurl: builds a batch from the store, gzips it,
 * POSTs it to [sync] url + /v1/batch, and acts on the reply (acknowledge,
 * resynchronise, quarantine, halve the batch, back off, or stop with a
 * reason). curl's codes stop here; docs/sync-protocol.md has the rules. */
#include "cv_sync_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cv_clock.h"
#include "cv_error.h"
#include "cv_log.h"
#include "cv_store_sync.h"
#include "cv_sync_codec.h"

#define CV_LOG_TAG "sync"

#define REPLY_MAX (1u << 20)
/* Resynchronisations in a row before the client stops: a server that keeps
 * moving its acknowledgement is not converging. */
#define RESYNC_MAX 5

static const char *const outcome_names[] = {
    [CV_SYNC_DONE] = "done",
    [CV_SYNC_QUARANTINED] = "quarantined",
    [CV_SYNC_UNREACHABLE] = "unreachable",
    [CV_SYNC_TLS] = "tls",
    [CV_SYNC_CLOCK] = "clock",
    [CV_SYNC_BAD_TOKEN] = "bad-token",
    [CV_SYNC_REFUSED] = "refused",
    [CV_SYNC_STOPPED] = "stopped",
    [CV_SYNC_FAILED] = "failed",
};

const char *cv_sync_outcome_name(enum cv_sync_outcome outcome)
{
	return (unsigned)outcome < sizeof outcome_names / sizeof outcome_names[0]
	           ? outcome_names[outcome]
	           : "unknown";
}

int cv_sync_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : CV_ENOMEM;
}

void cv_sync_global_cleanup(void)
{
	curl_global_cleanup();
}

int cv_sync_read_token(const char *path, char *token, size_t size, char *err, size_t errlen)
{
	token[0] = '\0';
	if (!path || !*path) {
		snprintf(err, errlen, "[sync] token_file is not set");
		return CV_EINVAL;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot read the token file %s: %s", path, strerror(errno));
		return errno == EACCES ? CV_EPERM : CV_ENOTFOUND;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
		close(fd);
		snprintf(err, errlen, "the token file %s may be read by others: chmod 600 it",
		         path);
		return CV_EPERM;
	}
	char buf[CV_SYNC_TOKEN_MAX + 2];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "cannot read the token file %s: %s", path, strerror(errno));
		return CV_EIO;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	size_t len = strlen(buf);
	bool printable = len > 0;
	for (size_t i = 0; i < len; i++)
		printable = printable && buf[i] > ' ' && buf[i] <= '~';
	if (!printable || len >= size || len >= CV_SYNC_TOKEN_MAX) {
		snprintf(err, errlen, "the token file %s does not hold one token on one line",
		         path);
		return CV_EINVAL;
	}
	memcpy(token, buf, len + 1);
	return 0;
}

/* ---- one HTTP request ---- */

struct buf {
	char *data;
	size_t len;
	bool overflow;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;
	size_t n = size * nmemb;
	if (b->len + n > REPLY_MAX) {
		b->overflow = true;
		return 0;
	}
	char *grown = realloc(b->data, b->len + n + 1);
	if (!grown)
		return 0;
	memcpy(grown + b->len, ptr, n);
	b->data = grown;
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	const atomic_bool *stop = ctx;
	return stop && atomic_load(stop) ? 1 : 0;
}

struct client {
	struct cv_store *store;
	const struct cv_sync_options *opt;
	const struct cv_config *cfg;
	CURL *curl;
	struct curl_slist *headers;
	char url[CV_PATH_MAX + 16];
	char curl_err[CURL_ERROR_SIZE];
	struct cv_sync_result *res;
	int batch_size;
	bool time_learnt; /* a run learns the time once: a clock fix takes the write lock */
};

/* What became of one request, classified. */
enum attempt {
	AT_REPLY,     /* an HTTP reply: status and body */
	AT_TRANSIENT, /* try again later: reason */
	AT_FATAL,     /* stop: outcome and reason */
};

static bool clock_not_yet_valid(const char *text)
{
	return strstr(text, "not yet valid") != NULL || strstr(text, "not_yet_valid") != NULL;
}

static enum attempt classify_curl(struct client *c, CURLcode rc, char *reason, size_t len,
                                  enum cv_sync_outcome *fatal)
{
	const char *detail = c->curl_err[0] ? c->curl_err : curl_easy_strerror(rc);
	char shown[200];
	cv_log_escape(detail, shown, sizeof shown);
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
		if (clock_not_yet_valid(detail)) {
			*fatal = CV_SYNC_CLOCK;
			snprintf(reason, len,
			         "the kiosk clock is wrong: set the time (the server's "
			         "certificate is not yet valid)");
		} else if (rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH) {
			*fatal = CV_SYNC_TLS;
			snprintf(reason, len,
			         "TLS failure: the server's public key is not the one "
			         "pinned in [sync] pinned_pubkey");
		} else {
			*fatal = CV_SYNC_TLS;
			snprintf(reason, len,
			         "TLS failure: the server's certificate or key was "
			         "not accepted (%.120s)",
			         shown);
		}
		return AT_FATAL;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		*fatal = CV_SYNC_REFUSED;
		snprintf(reason, len, "[sync] url cannot be used: %s", shown);
		return AT_FATAL;
	case CURLE_ABORTED_BY_CALLBACK:
		*fatal = CV_SYNC_STOPPED;
		snprintf(reason, len, "stopped");
		return AT_FATAL;
	default:
		if (clock_not_yet_valid(detail)) {
			*fatal = CV_SYNC_CLOCK;
			snprintf(reason, len, "the kiosk clock is wrong: set the time");
			return AT_FATAL;
		}
		snprintf(reason, len, "server unreachable: %s", shown);
		return AT_TRANSIENT;
	}
}

static enum attempt post(struct client *c, const unsigned char *body, size_t len, long *status,
                         struct buf *reply, char *reason, size_t reason_len,
                         enum cv_sync_outcome *fatal)
{
	memset(reply, 0, sizeof *reply);
	c->curl_err[0] = '\0';
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, reply);
	CURLcode rc = curl_easy_perform(c->curl);
	c->res->requests++;
	curl_off_t up = 0, down = 0;
	long req_size = 0, hdr_size = 0;
	curl_easy_getinfo(c->curl, CURLINFO_SIZE_UPLOAD_T, &up);
	curl_easy_getinfo(c->curl, CURLINFO_SIZE_DOWNLOAD_T, &down);
	curl_easy_getinfo(c->curl, CURLINFO_REQUEST_SIZE, &req_size);
	curl_easy_getinfo(c->curl, CURLINFO_HEADER_SIZE, &hdr_size);
	/* The request size counts the body as well when curl sent it with
	 * the headers (a small POST): never count the body twice. */
	c->res->bytes_up += req_size >= up ? (int64_t)req_size : (int64_t)up + req_size;
	c->res->bytes_down += (int64_t)down + hdr_size;
	if (rc != CURLE_OK) {
		if (reply->overflow) {
			snprintf(reason, reason_len, "the server's reply was too large");
			return AT_TRANSIENT;
		}
		return classify_curl(c, rc, reason, reason_len, fatal);
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	return AT_REPLY;
}

/* ---- the run ---- */

static void report(struct client *c, const char *state)
{
	if (!c->opt->progress)
		return;
	struct cv_sync_counts counts;
	if (cv_store_sync_counts(c->store, &counts) != 0)
		counts.pending = -1;
	struct cv_sync_progress p = {
	    .pending = counts.pending, .records_sent = c->res->records_sent, .state = state};
	c->opt->progress(&p, c->opt->progress_ctx);
}

static bool stopped(const struct client *c)
{
	return c->opt->stop && atomic_load(c->opt->stop);
}

/* Sleeps ms in short slices, so a stop is noticed. */
static void pause_ms(const struct client *c, int ms)
{
	while (ms > 0 && !stopped(c)) {
		int step = ms < 50 ? ms : 50;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)step * 1000000L};
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/* Exponential backoff with jitter: base * 2^n, capped, then a random
 * point in its upper half, so kiosks that failed together do not retry
 * together. */
static int backoff_ms(const struct client *c, int n)
{
	int base = c->opt->backoff_base_ms > 0 ? c->opt->backoff_base_ms : 500;
	int cap = c->opt->backoff_max_ms > 0 ? c->opt->backoff_max_ms : 30000;
	int64_t d = base;
	for (int i = 0; i < n && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	unsigned r = 0;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		r = (unsigned)cv_clock_mono_ms();
	return (int)(d / 2 + (int64_t)(r % (unsigned)(d / 2 + 1)));
}

static int client_setup(struct client *c)
{
	const struct cv_config *cfg = c->cfg;
	char auth[CV_SYNC_TOKEN_MAX + 32];
	char kiosk[CV_ID_MAX + 32];

	c->curl = curl_easy_init();
	if (!c->curl)
		return CV_ENOMEM;
	size_t n = strlen(cfg->sync_url);
	snprintf(c->url, sizeof c->url, "%s%sv1/batch", cfg->sync_url,
	         n > 0 && cfg->sync_url[n - 1] == '/' ? "" : "/");
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->opt->token);
	snprintf(kiosk, sizeof kiosk, "X-Convene-Kiosk: %s", cfg->kiosk_id);
	const char *const lines[] = {"Content-Type: application/json",
	                             "Content-Encoding: gzip",
	                             "Accept: application/json",
	                             "Expect:",
	                             auth,
	                             kiosk};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		struct curl_slist *h = curl_slist_append(c->headers, lines[i]);
		if (!h)
			return CV_ENOMEM;
		c->headers = h;
	}
	CURL *k = c->curl;
	curl_easy_setopt(k, CURLOPT_URL, c->url);
	curl_easy_setopt(k, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(k, CURLOPT_POST, 1L);
	curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(k, CURLOPT_ERRORBUFFER, c->curl_err);
	curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(k, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT, (long)cfg->sync_connect_timeout_s);
	curl_easy_setopt(k, CURLOPT_TIMEOUT, (long)cfg->sync_timeout_s);
	/* Verification is never switched off; a CA file or a pinned key only
	 * narrows whom the kiosk trusts. */
	curl_easy_setopt(k, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(k, CURLOPT_SSL_VERIFYHOST, 2L);
	if (cfg->sync_ca_file[0])
		curl_easy_setopt(k, CURLOPT_CAINFO, cfg->sync_ca_file);
	if (cfg->sync_pinned_pubkey[0])
		curl_easy_setopt(k, CURLOPT_PINNEDPUBLICKEY, cfg->sync_pinned_pubkey);
	curl_easy_setopt(k, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(k, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(k, CURLOPT_XFERINFODATA, (void *)c->opt->stop);
	curl_easy_setopt(k, CURLOPT_USERAGENT, "convene/" CONVENE_VERSION);
	return 0;
}

/* After an accepted batch: a trusted time learnt from the reply fixes the
 * untrusted records of this boot (once). */
static void learn_time(struct client *c, int64_t server_time_ms)
{
	if (server_time_ms <= 0 || c->time_learnt)
		return;
	c->time_learnt = true;
	struct cv_stamp now = cv_clock_stamp();
	double total = 0;
	curl_easy_getinfo(c->curl, CURLINFO_TOTAL_TIME, &total);
	/* The server read its clock about half a round trip ago. */
	int64_t trusted = now.wall_trusted ? now.wall_ms : server_time_ms + (int64_t)(total * 500);
	bool recorded = false;
	if (cv_store_sync_fix_clock(c->store, &now, trusted, now.wall_trusted ? "ntp" : "server",
	                            &recorded) == 0 &&
	    recorded)
		c->res->clock_fixed = true;
}

static void set_outcome(struct cv_sync_result *res, enum cv_sync_outcome o, const char *reason)
{
	res->outcome = o;
	snprintf(res->reason, sizeof res->reason, "%s", reason);
}

/* Sends one batch until it is answered for good. Returns 1 to go on, 0 when
 * the run is over (res->outcome set). */
static int send_batch(struct client *c, struct cv_sync_batch *b, int *resyncs)
{
	struct cv_sync_result *res = c->res;
	char *json = NULL;
	unsigned char *gz = NULL;
	size_t json_len = 0, gz_len = 0;
	char reason[256];
	int go_on = 0;

	int rc = cv_sync_batch_encode(b, &json, &json_len);
	if (rc == 0)
		rc = cv_sync_gzip(json, json_len, CV_SYNC_WIRE_MAX, &gz, &gz_len);
	free(json);
	if (rc == CV_ETOOBIG && b->record_count > 1) {
		c->batch_size = (int)b->record_count / 2;
		return 1;
	}
	if (rc != 0) {
		char why[200] = "";
		if (rc == CV_EINVAL)
			cv_sync_batch_validate(b, why, sizeof why);
		snprintf(reason, sizeof reason, "cannot encode a batch: %s%s%s", cv_strerror(rc),
		         why[0] ? ": " : "", why);
		set_outcome(res, CV_SYNC_FAILED, reason);
		return 0;
	}
	int limit = c->opt->attempts == 0 ? c->cfg->sync_attempts : c->opt->attempts;
	for (int attempt = 0;; attempt++) {
		if (stopped(c)) {
			set_outcome(res, CV_SYNC_STOPPED, "stopped");
			break;
		}
		long status = 0;
		struct buf body;
		enum cv_sync_outcome fatal = CV_SYNC_FAILED;
		enum attempt at =
		    post(c, gz, gz_len, &status, &body, reason, sizeof reason, &fatal);
		struct cv_sync_reply reply;
		memset(&reply, 0, sizeof reply);
		char perr[160] = "";
		bool parsed =
		    at == AT_REPLY && body.data &&
		    cv_sync_reply_decode(body.data, body.len, &reply, perr, sizeof perr) == 0;
		free(body.data);
		if (at == AT_FATAL) {
			set_outcome(res, fatal, reason);
			break;
		}
		if (at == AT_REPLY) {
			char msg[CV_SYNC_REASON_MAX + 2];
			cv_log_escape(parsed ? reply.message : "", msg, sizeof msg);
			if (status == 200 && parsed && reply.ok && reply.has_acked_seq) {
				int cv = cv_store_sync_batch_done(c->store, b, &reply);
				if (cv < 0) {
					set_outcome(res, CV_SYNC_FAILED, cv_strerror(cv));
				} else {
					res->batches++;
					res->records_sent += (int64_t)b->record_count;
					learn_time(c, reply.server_time_ms);
					*resyncs = 0;
					go_on = 1;
				}
				cv_sync_reply_free(&reply);
				break;
			}
			if (status == 409 && parsed && reply.has_acked_seq) {
				/* The server holds a different prefix than we thought:
				 * start again from its acknowledgement. */
				cv_log_info("server: %s; resuming after sequence %lld", msg,
				            (long long)reply.acked_seq);
				int cv = strcmp(reply.error, "replayed") == 0
				             ? cv_store_sync_batch_done(c->store, b, &reply)
				             : cv_store_sync_set_acked_for(c->store, b->kiosk_id,
				                                           reply.acked_seq);
				cv_sync_reply_free(&reply);
				if (cv < 0) {
					set_outcome(res, CV_SYNC_FAILED, cv_strerror(cv));
					break;
				}
				if (++*resyncs > RESYNC_MAX) {
					set_outcome(
					    res, CV_SYNC_REFUSED,
					    "server refused: its acknowledgement keeps moving");
					break;
				}
				go_on = 1;
				break;
			}
			if (status == 422 && parsed && reply.rejected_count > 0) {
				int64_t now = cv_clock_stamp().wall_ms;
				int cv = 0;
				for (size_t i = 0; cv == 0 && i < reply.rejected_count; i++) {
					cv = cv_store_sync_quarantine_for(
					    c->store, b->kiosk_id, reply.rejected[i].seq,
					    reply.rejected[i].reason, now);
					res->quarantined++;
				}
				cv_sync_reply_free(&reply);
				if (cv < 0) {
					set_outcome(res, CV_SYNC_FAILED, cv_strerror(cv));
					break;
				}
				go_on = 1;
				break;
			}
			if ((status == 400 || status == 413) && b->record_count > 1) {
				/* Find the record the server refuses by halving. */
				c->batch_size = (int)b->record_count / 2;
				cv_log_warn("server refused a batch (%ld: %s); trying %d records",
				            status, msg, c->batch_size);
				cv_sync_reply_free(&reply);
				go_on = 1;
				break;
			}
			if ((status == 400 || status == 413) && b->record_count == 1) {
				char why[CV_SYNC_REASON_MAX];
				snprintf(why, sizeof why, "server refused (%ld): %.180s", status,
				         parsed && reply.message[0] ? reply.message
				                                    : "bad request");
				int cv = cv_store_sync_quarantine_for(c->store, b->kiosk_id,
				                                      b->records[0].seq, why,
				                                      cv_clock_stamp().wall_ms);
				res->quarantined++;
				cv_sync_reply_free(&reply);
				if (cv < 0) {
					set_outcome(res, CV_SYNC_FAILED, cv_strerror(cv));
					break;
				}
				go_on = 1;
				break;
			}
			if (status == 401 || status == 403) {
				snprintf(reason, sizeof reason,
				         "bad token: the server refused this "
				         "kiosk's token (%.150s)",
				         parsed && msg[0] ? msg : "no reason given");
				set_outcome(res, CV_SYNC_BAD_TOKEN, reason);
				cv_sync_reply_free(&reply);
				break;
			}
			if (status >= 400 && status < 500 && status != 408 && status != 429) {
				snprintf(reason, sizeof reason, "server refused (%ld): %.180s",
				         status, parsed && msg[0] ? msg : "no reason given");
				set_outcome(res, CV_SYNC_REFUSED, reason);
				cv_sync_reply_free(&reply);
				break;
			}
			/* 5xx, 408, 429, or a 200 whose body did not arrive whole. */
			if (status == 200)
				snprintf(reason, sizeof reason,
				         "unreadable reply from the server (%.150s)",
				         perr[0] ? perr : "not a reply");
			else
				snprintf(reason, sizeof reason, "server error %ld: %.180s", status,
				         parsed && msg[0] ? msg : "no reason given");
			cv_sync_reply_free(&reply);
		}
		if (limit > 0 && attempt + 1 >= limit) {
			set_outcome(res, CV_SYNC_UNREACHABLE, reason);
			break;
		}
		int wait = backoff_ms(c, attempt);
		char state[300];
		snprintf(state, sizeof state, "retrying in %d ms: %.250s", wait, reason);
		cv_log_warn("%s", state);
		report(c, state);
		pause_ms(c, wait);
	}
	free(gz);
	return go_on;
}

/* Sends kiosk's pending records: this kiosk's own, or on a hub, another
 * kiosk's that the hub holds. Returns true when the run goes on. */
static bool run_kiosk(struct client *c, const char *kiosk)
{
	struct cv_store *store = c->store;
	struct cv_sync_result *out = c->res;
	int resyncs = 0, empty_runs = 0;
	bool own = strcmp(kiosk, c->cfg->kiosk_id) == 0;

	for (;;) {
		if (stopped(c)) {
			set_outcome(out, CV_SYNC_STOPPED, "stopped");
			return false;
		}
		struct cv_sync_batch b;
		int cv = own ? cv_store_sync_next_batch(store, (size_t)c->batch_size,
		                                        cv_clock_stamp().wall_ms, &b)
		             : cv_store_sync_next_batch_for(store, kiosk, (size_t)c->batch_size,
		                                            cv_clock_stamp().wall_ms, &b);
		if (cv < 0) {
			set_outcome(out, CV_SYNC_FAILED, cv_strerror(cv));
			return false;
		}
		if (b.record_count + b.skip_count + b.person_count == 0) {
			cv_sync_batch_free(&b);
			break;
		}
		/* Batches that carry no record (roster changes) end by
		 * themselves; a few in a row would mean a loop. */
		empty_runs = b.record_count + b.skip_count == 0 ? empty_runs + 1 : 0;
		if (empty_runs > 3) {
			cv_sync_batch_free(&b);
			break;
		}
		report(c, own ? "sending" : "forwarding");
		int go_on = send_batch(c, &b, &resyncs);
		cv_sync_batch_free(&b);
		if (!go_on)
			return false;
		/* A smaller batch found what the server refused; grow back. */
		if (c->batch_size < c->cfg->sync_batch_size)
			c->batch_size = c->batch_size * 2 > c->cfg->sync_batch_size
			                    ? c->cfg->sync_batch_size
			                    : c->batch_size * 2;
	}
	return true;
}

/* The kiosks whose records this store holds from others (a hub's). */
struct held_list {
	char (*ids)[CV_ID_MAX];
	size_t count, cap;
	const char *own;
};

static int collect_held(const char *kiosk_id, int64_t held, void *ctx)
{
	struct held_list *l = ctx;
	(void)held;
	if (strcmp(kiosk_id, l->own) == 0 || strlen(kiosk_id) >= CV_ID_MAX)
		return 0;
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		char(*grown)[CV_ID_MAX] = realloc(l->ids, cap * sizeof *grown);
		if (!grown)
			return CV_ENOMEM;
		l->ids = grown;
		l->cap = cap;
	}
	snprintf(l->ids[l->count++], CV_ID_MAX, "%s", kiosk_id);
	return 0;
}

int cv_sync_run(struct cv_store *store, const struct cv_sync_options *opt,
                struct cv_sync_result *out)
{
	struct client c = {.store = store, .opt = opt, .res = out};

	memset(out, 0, sizeof *out);
	if (!store || !opt || !opt->cfg || !opt->token || !opt->cfg->sync_url[0])
		return CV_EINVAL;
	c.cfg = opt->cfg;
	c.batch_size = c.cfg->sync_batch_size;
	if (client_setup(&c) != 0) {
		set_outcome(out, CV_SYNC_FAILED, "cannot set up the HTTP client");
		goto done;
	}
	if (run_kiosk(&c, c.cfg->kiosk_id)) {
		/* A hub forwards what kiosks sent it, each under its own id. */
		struct held_list held = {.own = c.cfg->kiosk_id};
		int cv = cv_store_sync_foreach_held(store, collect_held, &held);
		if (cv < 0)
			set_outcome(out, CV_SYNC_FAILED, cv_strerror(cv));
		for (size_t i = 0; cv == 0 && i < held.count; i++)
			if (!run_kiosk(&c, held.ids[i]))
				break;
		free(held.ids);
	}
	if (out->reason[0] == '\0') {
		struct cv_sync_counts counts;
		if (cv_store_sync_counts(store, &counts) == 0 && counts.quarantined > 0) {
			snprintf(out->reason, sizeof out->reason,
			         "%lld record(s) in quarantine after the server refused them "
			         "(see convene status)",
			         (long long)counts.quarantined);
			out->outcome = CV_SYNC_QUARANTINED;
		} else {
			out->outcome = CV_SYNC_DONE;
		}
	}
done:;
	struct cv_sync_counts counts;
	if (cv_store_sync_counts(store, &counts) == 0)
		out->pending = counts.pending;
	char line[CV_SYNC_REASON_MAX];
	if (out->outcome == CV_SYNC_DONE)
		snprintf(line, sizeof line, "ok: %lld records sent, nothing pending",
		         (long long)out->records_sent);
	else
		snprintf(line, sizeof line, "%s", out->reason);
	cv_store_sync_set_result(store, line, cv_clock_stamp().wall_ms);
	report(&c, line);
	curl_slist_free_all(c.headers);
	if (c.curl)
		curl_easy_cleanup(c.curl);
	return 0;
}
