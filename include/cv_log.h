/* The logging module: one line per message to stderr, where journald picks
 * it up. Each file defines CV_LOG_TAG before using the macros. Safe to call
 * from any thread. */
#ifndef CV_LOG_H
#define CV_LOG_H

#include <stddef.h>

enum cv_log_level { CV_LOG_DEBUG, CV_LOG_INFO, CV_LOG_WARN, CV_LOG_ERROR };

void cv_log_set_level(enum cv_log_level level);
enum cv_log_level cv_log_get_level(void);

void cv_log_write(enum cv_log_level level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copies untrusted text (badge data, names, network replies) into buf with
 * control characters and non-printable bytes escaped as \xNN, truncated to
 * fit. Returns buf. */
const char *cv_log_escape(const char *in, char *buf, size_t size);

#define cv_log_debug(...) cv_log_write(CV_LOG_DEBUG, CV_LOG_TAG, __VA_ARGS__)
#define cv_log_info(...) cv_log_write(CV_LOG_INFO, CV_LOG_TAG, __VA_ARGS__)
#define cv_log_warn(...) cv_log_write(CV_LOG_WARN, CV_LOG_TAG, __VA_ARGS__)
#define cv_log_error(...) cv_log_write(CV_LOG_ERROR, CV_LOG_TAG, __VA_ARGS__)

#endif
