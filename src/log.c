/* The logging module: one line per message on stderr, with a syslog
 * priority prefix when journald reads the stream, so levels survive. */
#include "cv_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static _Atomic int log_level = CV_LOG_INFO;
static _Atomic int log_journal = -1; /* unknown until the first message */

void cv_log_set_level(enum cv_log_level level)
{
	atomic_store(&log_level, (int)level);
}

enum cv_log_level cv_log_get_level(void)
{
	return (enum cv_log_level)atomic_load(&log_level);
}

void cv_log_write(enum cv_log_level level, const char *tag, const char *fmt, ...)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	static const char *const priorities[] = {"<7>", "<6>", "<4>", "<3>"};
	char line[1024];
	va_list ap;

	if ((int)level < atomic_load(&log_level))
		return;
	int journal = atomic_load(&log_journal);
	if (journal < 0) {
		journal = getenv("JOURNAL_STREAM") != NULL;
		atomic_store(&log_journal, journal);
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* One fprintf per line: stderr is unbuffered, and flockfile keeps lines
	 * from different threads whole. */
	flockfile(stderr);
	fprintf(stderr, "%s%s %s: %s\n", journal ? priorities[level] : "", names[level], tag, line);
	funlockfile(stderr);
}

const char *cv_log_escape(const char *in, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (size == 0)
		return buf;
	for (const unsigned char *p = (const unsigned char *)(in ? in : "(null)"); *p; p++) {
		/* Bytes >= 0x80 pass through: names are UTF-8. Control bytes and
		 * backslashes are escaped so a badge cannot forge a log line. */
		if (*p >= 0x20 && *p != 0x7f && *p != '\\') {
			if (o + 1 >= size)
				break;
			buf[o++] = (char)*p;
		} else {
			if (o + 4 >= size)
				break;
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[*p >> 4];
			buf[o++] = hex[*p & 0x0f];
		}
	}
	buf[o] = '\0';
	return buf;
}
