/* The sim reader's script: lines of "<delay_ms> <command> <arguments>" to
 * an array of steps, with the first bad line reported by number and by what
 * was expected there. */
#include "cv_simscript.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_error.h"

#define SIM_DELAY_MAX 86400000 /* one day */
#define SIM_COORD_MAX 10000
#define SIM_TOKEN_SHOWN 40 /* bytes of a bad token quoted back */
#define COMMANDS "tap, present, remove, press or touch"

/* One line being read: its text without the comment, and a cursor. */
struct cursor {
	const char *p;
	const char *end;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void skip_space(struct cursor *c)
{
	while (c->p < c->end && is_space(*c->p))
		c->p++;
}

/* The next whitespace-separated token; *len 0 at the end of the line. */
static const char *next_token(struct cursor *c, size_t *len)
{
	skip_space(c);
	const char *start = c->p;
	while (c->p < c->end && !is_space(*c->p))
		c->p++;
	*len = (size_t)(c->p - start);
	return start;
}

static bool token_is(const char *tok, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(tok, word, len) == 0;
}

/* Writes a token for a message: printable ASCII as is, the rest as \xHH. */
static void show(const char *tok, size_t len, char *out, size_t outlen)
{
	size_t used = 0;
	for (size_t i = 0; i < len && used + 5 < outlen; i++) {
		unsigned char ch = (unsigned char)tok[i];
		if (i == SIM_TOKEN_SHOWN) {
			used += (size_t)snprintf(out + used, outlen - used, "...");
			break;
		}
		if (ch >= 0x20 && ch < 0x7f && ch != '\'')
			out[used++] = (char)ch;
		else
			used += (size_t)snprintf(out + used, outlen - used, "\\x%02X", ch);
	}
	out[used] = '\0';
}

/* Parses a decimal number 0..max; false for anything else. */
static bool parse_uint(const char *tok, size_t len, long max, long *out)
{
	long n = 0;
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (tok[i] < '0' || tok[i] > '9')
			return false;
		n = n * 10 + (tok[i] - '0');
		if (n > max)
			return false;
	}
	*out = n;
	return true;
}

static bool valid_option(const char *tok, size_t len)
{
	if (len == 0 || len >= CV_SIM_OPTION_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = tok[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

static int line_error(char *err, size_t errlen, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int line_error(char *err, size_t errlen, size_t line, const char *fmt, ...)
{
	va_list ap;
	if (!err || errlen == 0)
		return CV_EINVAL;
	int n = snprintf(err, errlen, "line %zu: ", line);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return CV_EINVAL;
}

/* Nothing may follow the arguments but blanks (the comment is gone). */
static int expect_end(struct cursor *c, const char *command, char *err, size_t errlen, size_t line)
{
	size_t len;
	const char *tok = next_token(c, &len);
	if (len == 0)
		return 0;
	char shown[SIM_TOKEN_SHOWN * 4 + 8];
	show(tok, len, shown, sizeof shown);
	return line_error(err, errlen, line, "unexpected '%s' after the arguments of '%s'", shown,
	                  command);
}

/* Parses one line (without its '\n'). *has_step is false for a blank or
 * comment line. */
static int parse_line(const char *text, size_t len, size_t line, struct cv_sim_step *step,
                      bool *has_step, char *err, size_t errlen)
{
	const char *hash = memchr(text, '#', len);
	struct cursor c = {text, hash ? hash : text + len};
	char shown[SIM_TOKEN_SHOWN * 4 + 8];
	size_t tlen;
	const char *tok;
	long n;

	*has_step = false;
	memset(step, 0, sizeof *step);
	step->line = line;
	if (memchr(text, '\0', len))
		return line_error(err, errlen, line, "contains a NUL byte");

	tok = next_token(&c, &tlen);
	if (tlen == 0)
		return 0;
	if (!parse_uint(tok, tlen, SIM_DELAY_MAX, &n)) {
		show(tok, tlen, shown, sizeof shown);
		return line_error(err, errlen, line,
		                  "expected a delay in milliseconds from 0 to %d, got '%s'",
		                  SIM_DELAY_MAX, shown);
	}
	step->delay_ms = n;

	tok = next_token(&c, &tlen);
	if (tlen == 0)
		return line_error(err, errlen, line, "expected a command after the delay (%s)",
		                  COMMANDS);

	if (token_is(tok, tlen, "tap") || token_is(tok, tlen, "present")) {
		const char *command = tok[0] == 't' ? "tap" : "present";
		step->kind = tok[0] == 't' ? CV_SIM_TAP : CV_SIM_PRESENT;
		/* The rest of the line is the UID, which may be written with
		 * spaces or colons between its bytes. */
		skip_space(&c);
		const char *uid = c.p;
		const char *uid_end = c.end;
		while (uid_end > uid && is_space(uid_end[-1]))
			uid_end--;
		size_t ulen = (size_t)(uid_end - uid);
		if (ulen == 0)
			return line_error(
			    err, errlen, line,
			    "expected a badge UID after '%s' (4, 7 or 10 bytes in hex)", command);
		char buf[3 * CV_UID_MAX + 2];
		bool ok = ulen < sizeof buf;
		if (ok) {
			memcpy(buf, uid, ulen);
			buf[ulen] = '\0';
			ok = cv_badge_uid_parse(buf, false, step->uid, &step->uid_len) == 0;
		}
		if (!ok) {
			show(uid, ulen, shown, sizeof shown);
			return line_error(
			    err, errlen, line,
			    "expected a badge UID after '%s' (4, 7 or 10 bytes in hex), "
			    "got '%s'",
			    command, shown);
		}
	} else if (token_is(tok, tlen, "remove")) {
		step->kind = CV_SIM_REMOVE;
		if (expect_end(&c, "remove", err, errlen, line) != 0)
			return CV_EINVAL;
	} else if (token_is(tok, tlen, "press")) {
		step->kind = CV_SIM_PRESS;
		tok = next_token(&c, &tlen);
		if (!valid_option(tok, tlen)) {
			show(tok, tlen, shown, sizeof shown);
			return line_error(err, errlen, line,
			                  "expected an option id after 'press' (1 to %d of A-Z a-z "
			                  "0-9 _ -), got '%s'",
			                  CV_SIM_OPTION_MAX - 1, shown);
		}
		memcpy(step->option, tok, tlen);
		step->option[tlen] = '\0';
		if (expect_end(&c, "press", err, errlen, line) != 0)
			return CV_EINVAL;
	} else if (token_is(tok, tlen, "touch")) {
		step->kind = CV_SIM_TOUCH;
		for (int axis = 0; axis < 2; axis++) {
			tok = next_token(&c, &tlen);
			if (!parse_uint(tok, tlen, SIM_COORD_MAX, &n)) {
				show(tok, tlen, shown, sizeof shown);
				return line_error(err, errlen, line,
				                  "expected %s after 'touch' (a whole number of "
				                  "pixels from 0 to %d), got '%s'",
				                  axis == 0 ? "x" : "y", SIM_COORD_MAX, shown);
			}
			if (axis == 0)
				step->x = (int)n;
			else
				step->y = (int)n;
		}
		if (expect_end(&c, "touch", err, errlen, line) != 0)
			return CV_EINVAL;
	} else {
		show(tok, tlen, shown, sizeof shown);
		return line_error(err, errlen, line, "unknown command '%s' (expected %s)", shown,
		                  COMMANDS);
	}
	*has_step = true;
	return 0;
}

int cv_simscript_parse(const char *text, size_t len, struct cv_sim_step **steps, size_t *count,
                       char *err, size_t errlen)
{
	struct cv_sim_step *list = NULL;
	size_t n = 0, cap = 0, line = 0;
	const char *p = text, *end = text + len;
	int rc = 0;

	*steps = NULL;
	*count = 0;
	if (err && errlen)
		err[0] = '\0';
	if (!text)
		return len ? CV_EINVAL : 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		struct cv_sim_step step;
		bool has_step;

		line++;
		rc = parse_line(p, (size_t)(eol - p), line, &step, &has_step, err, errlen);
		if (rc != 0)
			goto fail;
		if (has_step) {
			if (n == cap) {
				size_t grown_cap = cap ? 2 * cap : 32;
				struct cv_sim_step *grown =
				    realloc(list, grown_cap * sizeof *grown);
				if (!grown) {
					line_error(err, errlen, line, "out of memory");
					rc = CV_ENOMEM;
					goto fail;
				}
				list = grown;
				cap = grown_cap;
			}
			list[n++] = step;
		}
		p = nl ? nl + 1 : end;
	}
	*steps = list;
	*count = n;
	return 0;

fail:
	free(list);
	return rc;
}
