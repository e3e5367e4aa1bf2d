/* Roster import: a registration CSV in memory to rows of people, through
 * libcsv in strict mode. The text is fed one physical line at a time so each
 * row knows the line it starts on; the first bad row fails the whole file. */
#include "cv_roster.h"

#include <csv.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cv_error.h"

#define ROSTER_ROWS_MAX 100000
#define ROSTER_FIELD_MAX 1024
#define ROSTER_COLUMNS_MAX 256
#define WHY_MAX 256

enum column {
	COL_UNUSED = -1,
	COL_NAME,
	COL_ORGANIZATION,
	COL_ROLE,
	COL_EMAIL,
	COL_EXTERNAL_ID,
	COL_BADGE_UID,
	COL_CONSENT,
	COL_SHOW_NAME,
	COL_COUNT
};

static const struct {
	const char *heading;
	enum column column;
} headings[] = {
    {"name", COL_NAME},
    {"organization", COL_ORGANIZATION},
    {"organisation", COL_ORGANIZATION},
    {"company", COL_ORGANIZATION},
    {"role", COL_ROLE},
    {"email", COL_EMAIL},
    {"external_id", COL_EXTERNAL_ID},
    {"id", COL_EXTERNAL_ID},
    {"badge_uid", COL_BADGE_UID},
    {"uid", COL_BADGE_UID},
    {"badge", COL_BADGE_UID},
    {"consent", COL_CONSENT},
    {"show_name", COL_SHOW_NAME},
    {"show name", COL_SHOW_NAME},
    {"name_on_screen", COL_SHOW_NAME},
};

static const char *const column_names[COL_COUNT] = {
    "name", "organization", "role", "email", "external_id", "badge_uid", "consent", "show_name",
};

struct parse {
	struct cv_roster *out;
	size_t rows_cap;
	size_t warnings_cap;

	/* the header */
	bool have_header;
	size_t column_count;
	enum column *columns; /* per header column */

	/* the row being read */
	size_t line;     /* the physical line being fed */
	size_t row_line; /* where the row being read started */
	bool at_row_start;
	size_t field_index;
	char *fields[COL_COUNT]; /* copies of the used fields, NULL when absent */
	char **header_fields;    /* the header's texts while it is read */
	bool row_blank;          /* every field so far empty */

	int rc;
	char why[WHY_MAX];
};

static void fail(struct parse *ps, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct parse *ps, int rc, const char *fmt, ...)
{
	va_list ap;
	if (ps->rc != 0)
		return;
	ps->rc = rc;
	va_start(ap, fmt);
	vsnprintf(ps->why, sizeof ps->why, fmt, ap);
	va_end(ap);
}

/* Writes s into out as printable text for a message: control bytes and
 * quotes as \xHH, cut at max bytes. UTF-8 passes through. */
static void quote_text(const char *s, size_t len, char *out, size_t outlen, size_t max)
{
	size_t used = 0;
	for (size_t i = 0; i < len && used + 5 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i >= max) {
			used += (size_t)snprintf(out + used, outlen - used, "...");
			break;
		}
		if (c < 0x20 || c == 0x7f || c == '\'')
			used += (size_t)snprintf(out + used, outlen - used, "\\x%02X", c);
		else
			out[used++] = (char)c;
	}
	out[used < outlen ? used : outlen - 1] = '\0';
}

/* Well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF), and no
 * NUL or other control byte but tab and the line breaks a quoted field may
 * hold. */
static bool valid_utf8_text(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		unsigned char c = *p;
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
				return false;
			p++;
			continue;
		}
		size_t n;
		unsigned lo = 0x80, hi = 0xBF;
		if (c >= 0xC2 && c <= 0xDF)
			n = 1;
		else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			if (c == 0xE0)
				lo = 0xA0;
			else if (c == 0xED)
				hi = 0x9F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		} else
			return false;
		if ((size_t)(end - p) <= n)
			return false;
		if (p[1] < lo || p[1] > hi)
			return false;
		for (size_t i = 2; i <= n; i++)
			if (p[i] < 0x80 || p[i] > 0xBF)
				return false;
		p += n + 1;
	}
	return true;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trims ASCII blanks in place; returns s. */
static char *trim(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && is_blank(s[n - 1]))
		s[--n] = '\0';
	size_t start = 0;
	while (is_blank(s[start]))
		start++;
	if (start > 0)
		memmove(s, s + start, n - start + 1);
	return s;
}

static int add_warning(struct parse *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int add_warning(struct parse *ps, const char *fmt, ...)
{
	struct cv_roster *r = ps->out;
	char text[WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (r->warning_count == ps->warnings_cap) {
		size_t cap = ps->warnings_cap ? 2 * ps->warnings_cap : 8;
		char **grown = realloc(r->warnings, cap * sizeof *grown);
		if (!grown)
			return CV_ENOMEM;
		r->warnings = grown;
		ps->warnings_cap = cap;
	}
	char *copy = strdup(text);
	if (!copy)
		return CV_ENOMEM;
	r->warnings[r->warning_count++] = copy;
	return 0;
}

static enum column column_for(const char *heading)
{
	for (size_t i = 0; i < sizeof headings / sizeof headings[0]; i++)
		if (strcasecmp(heading, headings[i].heading) == 0)
			return headings[i].column;
	return COL_UNUSED;
}

/* The header row is complete: maps each column, warns about the unused. */
static void finish_header(struct parse *ps)
{
	size_t seen[COL_COUNT] = {0}; /* column number + 1 of each field's column */

	ps->columns = malloc(ps->column_count * sizeof *ps->columns);
	if (!ps->columns) {
		fail(ps, CV_ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < ps->column_count; i++) {
		char *heading = trim(ps->header_fields[i]);
		enum column col = column_for(heading);
		char shown[128];
		quote_text(heading, strlen(heading), shown, sizeof shown, 60);
		ps->columns[i] = col;
		if (col == COL_UNUSED) {
			int rc = heading[0]
			             ? add_warning(ps, "column '%s' is not used", shown)
			             : add_warning(ps, "column %zu has no heading and is not used",
			                           i + 1);
			if (rc != 0) {
				fail(ps, rc, "out of memory");
				return;
			}
			continue;
		}
		if (seen[col]) {
			fail(ps, CV_EINVAL,
			     "columns %zu and %zu are both %s (heading '%s'); keep one", seen[col],
			     i + 1, column_names[col], shown);
			return;
		}
		seen[col] = i + 1;
	}
	if (!seen[COL_NAME])
		fail(ps, CV_EINVAL,
		     "the header has no 'name' column (the first row must name the columns: "
		     "name, organization, role, email, external_id, badge_uid)");
	ps->have_header = true;
}

static void clear_fields(struct parse *ps)
{
	for (int c = 0; c < COL_COUNT; c++) {
		free(ps->fields[c]);
		ps->fields[c] = NULL;
	}
	ps->field_index = 0;
	ps->row_blank = true;
}

static void on_field(void *data, size_t len, void *user)
{
	struct parse *ps = user;
	size_t index = ps->field_index++;

	if (ps->rc != 0)
		return;
	if (len > ROSTER_FIELD_MAX) {
		fail(ps, CV_EINVAL, "field %zu is longer than %d bytes", index + 1,
		     ROSTER_FIELD_MAX);
		return;
	}
	if (data && memchr(data, '\0', len)) {
		fail(ps, CV_EINVAL, "field %zu contains a NUL byte", index + 1);
		return;
	}
	if (!ps->have_header) {
		if (index >= ROSTER_COLUMNS_MAX) {
			fail(ps, CV_EINVAL, "the header has more than %d columns",
			     ROSTER_COLUMNS_MAX);
			return;
		}
		char *copy = strndup(data ? data : "", len);
		if (!copy) {
			fail(ps, CV_ENOMEM, "out of memory");
			return;
		}
		ps->header_fields[index] = copy;
		ps->column_count = index + 1;
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (!is_blank(((const char *)data)[i])) {
			ps->row_blank = false;
			break;
		}
	}
	if (index >= ps->column_count || ps->columns[index] == COL_UNUSED)
		return; /* too many fields is reported at the end of the row */
	char *copy = strndup(data ? data : "", len);
	if (!copy) {
		fail(ps, CV_ENOMEM, "out of memory");
		return;
	}
	ps->fields[ps->columns[index]] = trim(copy);
}

static bool text_ok(struct parse *ps, enum column col)
{
	const char *s = ps->fields[col];
	if (s && !valid_utf8_text(s, strlen(s))) {
		fail(ps, CV_EINVAL, "%s is not valid UTF-8 text (or holds a control character)",
		     column_names[col]);
		return false;
	}
	return true;
}

/* Moves a field's text out of ps, or NULL when absent or empty. */
static char *take(struct parse *ps, enum column col)
{
	char *s = ps->fields[col];
	ps->fields[col] = NULL;
	if (s && !s[0]) {
		free(s);
		s = NULL;
	}
	return s;
}

static void add_row(struct parse *ps)
{
	struct cv_roster *r = ps->out;
	struct cv_roster_row row = {.line = ps->row_line};
	enum cv_role role = CV_ROLE_ATTENDEE;

	if (ps->field_index > ps->column_count) {
		fail(ps, CV_EINVAL, "%zu fields, but the header has %zu columns", ps->field_index,
		     ps->column_count);
		return;
	}
	if (ps->row_blank)
		return; /* a spreadsheet's empty row: ",,," */
	if (r->count == ROSTER_ROWS_MAX) {
		fail(ps, CV_EINVAL, "more than %d rows; split the roster", ROSTER_ROWS_MAX);
		return;
	}
	for (int c = 0; c < COL_COUNT; c++)
		if (!text_ok(ps, (enum column)c))
			return;
	if (!ps->fields[COL_NAME] || !ps->fields[COL_NAME][0]) {
		fail(ps, CV_EINVAL, "empty name");
		return;
	}
	if (ps->fields[COL_ROLE] && ps->fields[COL_ROLE][0] &&
	    cv_role_parse(ps->fields[COL_ROLE], &role) != 0) {
		char shown[128];
		quote_text(ps->fields[COL_ROLE], strlen(ps->fields[COL_ROLE]), shown, sizeof shown,
		           40);
		fail(ps, CV_EINVAL, "role '%s' is not attendee, organizer or staff", shown);
		return;
	}
	if (ps->fields[COL_EMAIL] && ps->fields[COL_EMAIL][0] &&
	    !strchr(ps->fields[COL_EMAIL], '@')) {
		char shown[128];
		quote_text(ps->fields[COL_EMAIL], strlen(ps->fields[COL_EMAIL]), shown,
		           sizeof shown, 60);
		fail(ps, CV_EINVAL, "email '%s' has no '@'", shown);
		return;
	}
	if (ps->fields[COL_BADGE_UID] && ps->fields[COL_BADGE_UID][0] &&
	    cv_badge_uid_normalize(ps->fields[COL_BADGE_UID], row.badge_uid) != 0) {
		char shown[128];
		quote_text(ps->fields[COL_BADGE_UID], strlen(ps->fields[COL_BADGE_UID]), shown,
		           sizeof shown, 40);
		fail(ps, CV_EINVAL, "badge_uid '%s' is not 4, 7 or 10 bytes in hex", shown);
		return;
	}
	struct cv_consent_choice consent = {.scope = CV_CONSENT_UNSET, .show_name = -1};
	if (cv_consent_parse(ps->fields[COL_CONSENT], &consent) != 0) {
		char shown[128];
		quote_text(ps->fields[COL_CONSENT], strlen(ps->fields[COL_CONSENT]), shown,
		           sizeof shown, 40);
		fail(ps, CV_EINVAL,
		     "consent '%s' is not attendance or encounters (with name or noname)", shown);
		return;
	}
	int show_name = -1;
	if (cv_consent_parse_yes_no(ps->fields[COL_SHOW_NAME], &show_name) != 0) {
		char shown[128];
		quote_text(ps->fields[COL_SHOW_NAME], strlen(ps->fields[COL_SHOW_NAME]), shown,
		           sizeof shown, 40);
		fail(ps, CV_EINVAL, "show_name '%s' is not yes or no", shown);
		return;
	}
	if (show_name < 0)
		show_name = consent.show_name;
	/* the row's encoding: 0 (what a zeroed row says) is "not said" */
	show_name = show_name < 0 ? 0 : show_name ? 1 : -1;
	if (r->count == ps->rows_cap) {
		size_t cap = ps->rows_cap ? 2 * ps->rows_cap : 64;
		struct cv_roster_row *grown = realloc(r->rows, cap * sizeof *grown);
		if (!grown) {
			fail(ps, CV_ENOMEM, "out of memory");
			return;
		}
		r->rows = grown;
		ps->rows_cap = cap;
	}
	row.role = role;
	row.consent = consent.scope;
	row.show_name = show_name;
	row.name = take(ps, COL_NAME);
	row.organization = take(ps, COL_ORGANIZATION);
	row.email = take(ps, COL_EMAIL);
	row.external_id = take(ps, COL_EXTERNAL_ID);
	if (!row.organization)
		row.organization = strdup("");
	r->rows[r->count++] = row; /* owned by the roster from here, even half-built */
	if (!row.organization)
		fail(ps, CV_ENOMEM, "out of memory");
}

static void on_row(int terminator, void *user)
{
	struct parse *ps = user;
	(void)terminator;

	if (ps->rc == 0) {
		if (!ps->have_header)
			finish_header(ps);
		else
			add_row(ps);
	}
	clear_fields(ps);
	ps->at_row_start = true;
}

/* ---- duplicates, found after the whole file is read ---- */

struct key_ref {
	const char *key;
	size_t line;
};

static int compare_ref(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Finds the earliest line that repeats an external_id, email or badge_uid
 * of an earlier line: sorting keeps this fast at the row limit. Emails
 * compare in any case, so they are compared lower-cased. */
static void find_duplicates(struct parse *ps)
{
	static const char *const what_names[] = {"external_id", "email", "badge_uid"};
	const struct cv_roster *r = ps->out;
	size_t n_max = r->count ? r->count : 1;
	struct key_ref *refs = malloc(n_max * sizeof *refs);
	char **folded = calloc(n_max, sizeof *folded);
	size_t dup_line = 0, first_line = 0;
	const char *dup_what = NULL;
	char shown[128] = "";

	if (!refs || !folded) {
		fail(ps, CV_ENOMEM, "out of memory");
		goto out;
	}
	for (int what = 0; what < 3; what++) {
		size_t n = 0;
		for (size_t i = 0; i < r->count; i++) {
			const char *key = what == 0   ? r->rows[i].external_id
			                  : what == 1 ? r->rows[i].email
			                              : r->rows[i].badge_uid;
			if (!key || !key[0])
				continue;
			if (what == 1) {
				folded[i] = strdup(key);
				if (!folded[i]) {
					fail(ps, CV_ENOMEM, "out of memory");
					goto out;
				}
				for (char *c = folded[i]; *c; c++)
					*c = (char)tolower((unsigned char)*c);
				key = folded[i];
			}
			refs[n++] = (struct key_ref){key, r->rows[i].line};
		}
		qsort(refs, n, sizeof *refs, compare_ref);
		size_t group = 0; /* the first of the run of equal keys */
		for (size_t i = 1; i < n; i++) {
			if (strcmp(refs[i].key, refs[group].key) != 0) {
				group = i;
				continue;
			}
			if (!dup_line || refs[i].line < dup_line) {
				dup_line = refs[i].line;
				first_line = refs[group].line;
				dup_what = what_names[what];
				quote_text(refs[i].key, strlen(refs[i].key), shown, sizeof shown,
				           60);
			}
		}
	}
	if (dup_line) {
		ps->row_line = dup_line;
		fail(ps, CV_EINVAL, "%s '%s' is also on line %zu", dup_what, shown, first_line);
	}
out:
	if (folded)
		for (size_t i = 0; i < r->count; i++)
			free(folded[i]);
	free(folded);
	free(refs);
}

/* ---- public ---- */

void cv_roster_free(struct cv_roster *roster)
{
	if (!roster)
		return;
	for (size_t i = 0; i < roster->count; i++) {
		free(roster->rows[i].name);
		free(roster->rows[i].organization);
		free(roster->rows[i].email);
		free(roster->rows[i].external_id);
	}
	free(roster->rows);
	for (size_t i = 0; i < roster->warning_count; i++)
		free(roster->warnings[i]);
	free(roster->warnings);
	memset(roster, 0, sizeof *roster);
}

const char *cv_role_name(enum cv_role role)
{
	switch (role) {
	case CV_ROLE_ATTENDEE: return "attendee";
	case CV_ROLE_ORGANIZER: return "organizer";
	case CV_ROLE_STAFF: return "staff";
	}
	return "?";
}

int cv_role_parse(const char *text, enum cv_role *out)
{
	*out = CV_ROLE_ATTENDEE;
	if (!text)
		return CV_EINVAL;
	if (strcasecmp(text, "attendee") == 0)
		*out = CV_ROLE_ATTENDEE;
	else if (strcasecmp(text, "organizer") == 0 || strcasecmp(text, "organiser") == 0)
		*out = CV_ROLE_ORGANIZER;
	else if (strcasecmp(text, "staff") == 0)
		*out = CV_ROLE_STAFF;
	else
		return CV_EINVAL;
	return 0;
}

int cv_roster_parse(const char *text, size_t len, struct cv_roster *out, char *err, size_t errlen)
{
	struct parse ps = {.out = out, .at_row_start = true, .row_blank = true};
	struct csv_parser csv;
	const char *p = text, *end = text + len;
	bool csv_ready = false;

	memset(out, 0, sizeof *out);
	if (err && errlen)
		err[0] = '\0';
	if (!text && len) {
		fail(&ps, CV_EINVAL, "no text");
		goto fail;
	}
	ps.header_fields = calloc(ROSTER_COLUMNS_MAX, sizeof *ps.header_fields);
	if (!ps.header_fields ||
	    csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		fail(&ps, CV_ENOMEM, "out of memory");
		goto fail;
	}
	csv_ready = true;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (p < end && ps.rc == 0) {
		/* A physical line ends at LF, CRLF or a lone CR: libcsv ends a
		 * row at either byte, so a row can only start where a line does. */
		const char *next = p;
		while (next < end && *next != '\n' && *next != '\r')
			next++;
		if (next < end && *next == '\r' && next + 1 < end && next[1] == '\n')
			next++;
		if (next < end)
			next++;
		ps.line++;
		if (ps.at_row_start) {
			/* libcsv skips blank lines between rows; a row starts on the
			 * first line with anything else on it. */
			for (const char *q = p; q < next; q++) {
				if (!is_blank(*q)) {
					ps.row_line = ps.line;
					ps.at_row_start = false;
					break;
				}
			}
		}
		size_t n = (size_t)(next - p);
		if (csv_parse(&csv, p, n, on_field, on_row, &ps) != n && ps.rc == 0) {
			ps.row_line = ps.line;
			fail(&ps, CV_EINVAL,
			     "%s: a double quote is out of place (quote a whole field, "
			     "and double each quote inside it)",
			     csv_strerror(csv_error(&csv)));
		}
		p = next;
	}
	if (ps.rc == 0 && csv_fini(&csv, on_field, on_row, &ps) != 0 && ps.rc == 0) {
		size_t started = ps.row_line;
		ps.row_line = ps.line;
		fail(&ps, CV_EINVAL, "a quoted field that starts on line %zu is never closed",
		     started);
	}
	if (ps.rc == 0 && !ps.have_header) {
		ps.row_line = 0;
		fail(&ps, CV_EINVAL,
		     "the roster is empty; the first row must name the columns, with at least "
		     "'name'");
	}
	if (ps.rc == 0)
		find_duplicates(&ps);
	if (ps.rc == 0 && out->count == 0 && add_warning(&ps, "the roster has no rows") != 0)
		fail(&ps, CV_ENOMEM, "out of memory");
	if (ps.rc != 0)
		goto fail;

	csv_free(&csv);
	clear_fields(&ps);
	for (size_t i = 0; i < ps.column_count; i++)
		free(ps.header_fields[i]);
	free(ps.header_fields);
	free(ps.columns);
	return 0;

fail:
	if (err && errlen) {
		if (ps.row_line)
			snprintf(err, errlen, "line %zu: %s", ps.row_line, ps.why);
		else
			snprintf(err, errlen, "%s", ps.why);
	}
	if (csv_ready)
		csv_free(&csv);
	clear_fields(&ps);
	if (ps.header_fields) {
		for (size_t i = 0; i < ps.column_count; i++)
			free(ps.header_fields[i]);
		free(ps.header_fields);
	}
	free(ps.columns);
	cv_roster_free(out);
	return ps.rc;
}
