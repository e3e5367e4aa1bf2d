/* Registration systems' exports as rosters: the CSV is read with libcsv,
 * its columns recognised (pretix, Eventbrite) or mapped, and each row
 * rewritten as a row of the plain roster, on the same line it started on
 * in the original, then handed to cv_roster_parse. So there is one set of
 * roster rules and errors name the lines the organiser sees. */
#include "cv_roster_formats.h"

#include <csv.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cv_error.h"

#define RF_COLUMNS_MAX 256
#define RF_FIELD_MAX 1024

/* What a column becomes: a public field, or one of these. */
enum kind {
	K_PASS = 100, /* passed through under its own heading (warned about there) */
	K_DROP,       /* dropped: its heading would clash with a roster column */
	K_ORDER_CODE, /* pretix: with the position id, the external id */
	K_POSITION_ID,
};

struct column {
	int kind; /* enum cv_roster_field or enum kind */
	int rank; /* among columns of one kind, lower first (attendee before buyer) */
	char *heading;
};

struct row {
	char **fields;
	size_t count, cap;
	size_t line;
};

struct table {
	struct row *rows; /* rows[0] is the header */
	size_t count, cap;
	size_t line; /* the physical line being fed */
	bool at_row_start;
	struct row cur;
	int rc;
};

/* ---- reading the CSV ---- */

static void on_field(void *data, size_t len, void *user)
{
	struct table *t = user;
	if (t->rc)
		return;
	if (t->cur.count == RF_COLUMNS_MAX || len > RF_FIELD_MAX) {
		t->rc = CV_EINVAL;
		return;
	}
	if (t->cur.count == t->cur.cap) {
		size_t cap = t->cur.cap ? 2 * t->cur.cap : 16;
		char **grown = realloc(t->cur.fields, cap * sizeof *grown);
		if (!grown) {
			t->rc = CV_ENOMEM;
			return;
		}
		t->cur.fields = grown;
		t->cur.cap = cap;
	}
	char *copy = strndup(data ? data : "", len);
	if (!copy) {
		t->rc = CV_ENOMEM;
		return;
	}
	t->cur.fields[t->cur.count++] = copy;
}

static void row_free(struct row *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->fields[i]);
	free(r->fields);
	memset(r, 0, sizeof *r);
}

static void on_row(int terminator, void *user)
{
	struct table *t = user;
	(void)terminator;
	if (!t->rc && t->count == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct row *grown = realloc(t->rows, cap * sizeof *grown);
		if (!grown)
			t->rc = CV_ENOMEM;
		else {
			t->rows = grown;
			t->cap = cap;
		}
	}
	if (t->rc) {
		row_free(&t->cur);
	} else {
		t->rows[t->count++] = t->cur;
		memset(&t->cur, 0, sizeof t->cur);
	}
	t->at_row_start = true;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->count; i++)
		row_free(&t->rows[i]);
	free(t->rows);
	row_free(&t->cur);
}

/* Reads every row with the line it starts on, as cv_roster_parse counts
 * lines (LF, CRLF or a lone CR end one). Errors are left for
 * cv_roster_parse to report on the plain text; here they only stop. */
static int table_read(const char *text, size_t len, struct table *t)
{
	struct csv_parser csv;
	memset(t, 0, sizeof *t);
	t->at_row_start = true;
	if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		return CV_ENOMEM;
	const char *p = text, *end = text + len;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (p < end && !t->rc) {
		const char *next = p;
		while (next < end && *next != '\n' && *next != '\r')
			next++;
		if (next < end && *next == '\r' && next + 1 < end && next[1] == '\n')
			next++;
		if (next < end)
			next++;
		t->line++;
		if (t->at_row_start) {
			for (const char *q = p; q < next; q++)
				if (!isspace((unsigned char)*q)) {
					t->cur.line = t->line;
					t->at_row_start = false;
					break;
				}
		}
		size_t n = (size_t)(next - p);
		if (csv_parse(&csv, p, n, on_field, on_row, t) != n && !t->rc)
			t->rc = CV_EINVAL;
		p = next;
	}
	if (!t->rc && csv_fini(&csv, on_field, on_row, t) != 0)
		t->rc = CV_EINVAL;
	csv_free(&csv);
	return t->rc;
}

/* ---- recognising columns ---- */

static void lower_trim(const char *in, char *out, size_t outlen)
{
	while (isspace((unsigned char)*in))
		in++;
	size_t n = 0;
	for (; *in && n + 1 < outlen; in++)
		out[n++] = (char)tolower((unsigned char)*in);
	while (n > 0 && isspace((unsigned char)out[n - 1]))
		n--;
	out[n] = '\0';
}

static bool is_any(const char *h, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(h, *list) == 0)
			return true;
	return false;
}

/* The part after "Attendee name: " / "Name des Teilnehmers: ", or h. */
static const char *name_part(const char *h)
{
	const char *colon = strrchr(h, ':');
	if (!colon)
		return h;
	colon++;
	while (*colon == ' ')
		colon++;
	return colon;
}

static const char *const pretix_hints[] = {"order code",   "bestellnummer", "position id",
                                           "positions-id", "ticket secret", NULL};
static const char *const eventbrite_hints[] = {
    "order #", "attendee #", "barcode #", "order no.", "bestellnr.", "teilnehmer-nr.", NULL};

/* A heading's kind and rank from what registration systems write (English
 * and German). Unknown headings pass through. */
static void recognise(const char *heading, enum cv_roster_source source, struct column *c)
{
	static const char *const given[] = {"given name", "first name", "vorname", "firstname",
	                                    NULL};
	static const char *const family[] = {"family name", "last name",    "surname", "nachname",
	                                     "lastname",    "familienname", NULL};
	static const char *const whole[] = {"name",
	                                    "attendee name",
	                                    "full name",
	                                    "teilnehmername",
	                                    "name des teilnehmers",
	                                    "name der teilnehmerin",
	                                    "vollständiger name",
	                                    NULL};
	static const char *const org[] = {"company",
	                                  "firma",
	                                  "unternehmen",
	                                  "organization",
	                                  "organisation",
	                                  "attendee company",
	                                  "organisation/firma",
	                                  NULL};
	static const char *const email_attendee[] = {"attendee email",
	                                             "attendee e-mail",
	                                             "e-mail des teilnehmers",
	                                             "teilnehmer-e-mail",
	                                             "e-mail-adresse des teilnehmers",
	                                             NULL};
	static const char *const email_any[] = {"email", "e-mail", "email address",
	                                        "e-mail-adresse", NULL};
	static const char *const external[] = {"external_id", "id", "attendee #", "teilnehmer-nr.",
	                                       NULL};
	static const char *const badge[] = {"badge_uid", "uid", "badge", NULL};
	static const char *const role[] = {"role", "rolle", NULL};
	char h[128];
	lower_trim(heading, h, sizeof h);
	const char *part = name_part(h);
	c->rank = 0;
	c->kind = K_PASS;
	if (is_any(h, (const char *const[]){"order code", "bestellnummer", NULL}) &&
	    source == CV_ROSTER_SOURCE_PRETIX)
		c->kind = K_ORDER_CODE;
	else if (is_any(h, (const char *const[]){"position id", "positions-id", NULL}) &&
	         source == CV_ROSTER_SOURCE_PRETIX)
		c->kind = K_POSITION_ID;
	else if (is_any(part, given))
		c->kind = CV_ROSTER_FIELD_GIVEN_NAME;
	else if (is_any(part, family))
		c->kind = CV_ROSTER_FIELD_FAMILY_NAME;
	else if (strchr(h, ':') && part != h)
		c->kind = K_PASS; /* another name part: title, middle name */
	else if (is_any(h, whole))
		c->kind = CV_ROSTER_FIELD_NAME;
	else if (is_any(h, org))
		c->kind = CV_ROSTER_FIELD_ORGANIZATION;
	else if (is_any(h, email_attendee))
		c->kind = CV_ROSTER_FIELD_EMAIL;
	else if (is_any(h, email_any)) {
		/* pretix's plain "Email" is the buyer's: the attendee's comes first. */
		c->kind = CV_ROSTER_FIELD_EMAIL;
		c->rank = 1;
	} else if (is_any(h, external))
		c->kind = CV_ROSTER_FIELD_EXTERNAL_ID;
	else if (is_any(h, badge))
		c->kind = CV_ROSTER_FIELD_BADGE_UID;
	else if (is_any(h, role))
		c->kind = CV_ROSTER_FIELD_ROLE;
}

int cv_roster_field_parse(const char *text, enum cv_roster_field *out)
{
	static const struct {
		const char *name;
		enum cv_roster_field field;
	} names[] = {
	    {"ignore", CV_ROSTER_FIELD_IGNORE},
	    {"name", CV_ROSTER_FIELD_NAME},
	    {"given_name", CV_ROSTER_FIELD_GIVEN_NAME},
	    {"first_name", CV_ROSTER_FIELD_GIVEN_NAME},
	    {"family_name", CV_ROSTER_FIELD_FAMILY_NAME},
	    {"last_name", CV_ROSTER_FIELD_FAMILY_NAME},
	    {"organization", CV_ROSTER_FIELD_ORGANIZATION},
	    {"organisation", CV_ROSTER_FIELD_ORGANIZATION},
	    {"role", CV_ROSTER_FIELD_ROLE},
	    {"email", CV_ROSTER_FIELD_EMAIL},
	    {"external_id", CV_ROSTER_FIELD_EXTERNAL_ID},
	    {"badge_uid", CV_ROSTER_FIELD_BADGE_UID},
	};
	*out = CV_ROSTER_FIELD_IGNORE;
	for (size_t i = 0; text && i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(text, names[i].name) == 0) {
			*out = names[i].field;
			return 0;
		}
	return CV_EINVAL;
}

int cv_roster_map_parse(char *spec, struct cv_roster_map_entry *entry, char *err, size_t errlen)
{
	char *eq = spec ? strrchr(spec, '=') : NULL;
	entry->column = NULL;
	entry->field = CV_ROSTER_FIELD_IGNORE;
	if (!eq || eq == spec || !eq[1]) {
		cv_error_format(err, errlen, "--map needs COLUMN=FIELD, got '%s'",
		                spec ? spec : "");
		return CV_EINVAL;
	}
	*eq = '\0';
	if (cv_roster_field_parse(eq + 1, &entry->field) != 0) {
		cv_error_format(
		    err, errlen,
		    "--map %s=%s: the field is not name, given_name, family_name, organization, "
		    "role, email, external_id, badge_uid or ignore",
		    spec, eq + 1);
		*eq = '=';
		return CV_EINVAL;
	}
	entry->column = spec;
	return 0;
}

const char *cv_roster_source_name(enum cv_roster_source source)
{
	switch (source) {
	case CV_ROSTER_SOURCE_PRETIX: return "pretix";
	case CV_ROSTER_SOURCE_EVENTBRITE: return "Eventbrite";
	case CV_ROSTER_SOURCE_MAPPED: return "mapped columns";
	default: return "roster";
	}
}

/* ---- writing the plain roster ---- */

struct text {
	char *buf;
	size_t len, cap;
	size_t lines; /* line breaks written, counted as cv_roster_parse counts them */
	int rc;
};

static void put(struct text *t, const char *s, size_t n)
{
	if (t->rc)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		while (t->len + n + 1 > cap)
			cap *= 2;
		char *grown = realloc(t->buf, cap);
		if (!grown) {
			t->rc = CV_ENOMEM;
			return;
		}
		t->buf = grown;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n);
	for (size_t i = 0; i < n; i++)
		t->lines += s[i] == '\n' || (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n'));
	t->len += n;
	t->buf[t->len] = '\0';
}

static void put_s(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

/* Every field quoted, quotes doubled: whatever it holds reads back as is. */
static void put_field(struct text *t, const char *s, bool first)
{
	if (!first)
		put(t, ",", 1);
	put(t, "\"", 1);
	for (const char *q; (q = strchr(s, '"')); s = q + 1) {
		put(t, s, (size_t)(q - s) + 1);
		put(t, "\"", 1);
	}
	put_s(t, s);
	put(t, "\"", 1);
}

static bool blank(const char *s)
{
	for (; s && *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

/* The first non-empty value among the columns of kind and rank, by
 * position; "" when none. */
static const char *value_ranked(const struct column *cols, size_t ncols, const struct row *r,
                                int kind, int rank)
{
	for (size_t i = 0; i < ncols && i < r->count; i++)
		if (cols[i].kind == kind && cols[i].rank == rank && !blank(r->fields[i]))
			return r->fields[i];
	return "";
}

/* The first non-empty value among the columns of kind, by rank then
 * position; "" when none. */
static const char *value_of(const struct column *cols, size_t ncols, const struct row *r, int kind)
{
	const char *v = value_ranked(cols, ncols, r, kind, 0);
	return *v ? v : value_ranked(cols, ncols, r, kind, 1);
}

struct shared_ref {
	const char *value;
	size_t row;
};

static int shared_cmp(const void *x, const void *y)
{
	return strcasecmp(((const struct shared_ref *)x)->value,
	                  ((const struct shared_ref *)y)->value);
}

/* Marks the rows whose fallback email (the buyer's, rank 1) another row
 * shares: one order for several people gives them all the buyer's address,
 * which names none of them. */
static int mark_shared_emails(const struct column *cols, size_t ncols, const struct table *t,
                              bool *shared)
{
	struct shared_ref *refs = malloc(t->count * sizeof *refs);
	if (!refs)
		return CV_ENOMEM;
	size_t n = 0;
	for (size_t r = 1; r < t->count; r++) {
		const char *v = value_ranked(cols, ncols, &t->rows[r], CV_ROSTER_FIELD_EMAIL, 1);
		if (*v)
			refs[n++] = (struct shared_ref){v, r};
	}
	qsort(refs, n, sizeof *refs, shared_cmp);
	for (size_t i = 0; i + 1 < n; i++)
		if (strcasecmp(refs[i].value, refs[i + 1].value) == 0)
			shared[refs[i].row] = shared[refs[i + 1].row] = true;
	free(refs);
	return 0;
}

static bool has_kind(const struct column *cols, size_t n, int kind)
{
	for (size_t i = 0; i < n; i++)
		if (cols[i].kind == kind)
			return true;
	return false;
}

static char *trimmed(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return strndup(s, n);
}

static const char *const plain_headings[] = {"name",      "organization", "organisation", "company",
                                             "role",      "email",        "external_id",  "id",
                                             "badge_uid", "uid",          "badge",        NULL};

int cv_roster_parse_mapped(const char *text, size_t len, const struct cv_roster_mapping *map,
                           struct cv_roster *out, enum cv_roster_source *source, char *err,
                           size_t errlen)
{
	struct table t;
	struct column *cols = NULL;
	struct text plain = {0};
	bool *shared = NULL;
	size_t ncols = 0;
	int rc;

	memset(out, 0, sizeof *out);
	*source = CV_ROSTER_SOURCE_PLAIN;
	cv_error_format(err, errlen, "%s", "");
	bool mapped = map && map->count > 0;
	if (!text && len)
		return cv_roster_parse(text, len, out, err, errlen);
	rc = table_read(text ? text : "", len, &t);
	if (rc != 0 || t.count == 0) {
		/* Let the plain parser say what is wrong, with its line. */
		table_free(&t);
		return cv_roster_parse(text, len, out, err, errlen);
	}
	const struct row *head = &t.rows[0];
	ncols = head->count;

	/* Which system wrote it. */
	bool plain_name = false;
	for (size_t i = 0; i < ncols; i++) {
		char h[128];
		lower_trim(head->fields[i], h, sizeof h);
		if (is_any(h, pretix_hints))
			*source = CV_ROSTER_SOURCE_PRETIX;
		else if (is_any(h, eventbrite_hints) && *source != CV_ROSTER_SOURCE_PRETIX)
			*source = CV_ROSTER_SOURCE_EVENTBRITE;
		plain_name = plain_name || strcmp(h, "name") == 0;
	}
	if (*source == CV_ROSTER_SOURCE_PLAIN && (plain_name && !mapped)) {
		table_free(&t);
		return cv_roster_parse(text, len, out, err, errlen);
	}
	if (*source == CV_ROSTER_SOURCE_PLAIN)
		*source = CV_ROSTER_SOURCE_MAPPED;

	cols = calloc(ncols ? ncols : 1, sizeof *cols);
	if (!cols) {
		rc = CV_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < ncols; i++) {
		recognise(head->fields[i], *source, &cols[i]);
		cols[i].heading = trimmed(head->fields[i]);
		if (!cols[i].heading) {
			rc = CV_ENOMEM;
			goto fail;
		}
	}
	for (size_t m = 0; mapped && m < map->count; m++) {
		char want[128];
		bool found = false;
		lower_trim(map->entries[m].column, want, sizeof want);
		for (size_t i = 0; i < ncols; i++) {
			char h[128];
			lower_trim(head->fields[i], h, sizeof h);
			if (strcmp(h, want) == 0) {
				/* Explicit: this column, first among its kind. */
				cols[i].kind = map->entries[m].field == CV_ROSTER_FIELD_IGNORE
				                   ? K_DROP
				                   : (int)map->entries[m].field;
				cols[i].rank = 0;
				found = true;
			}
		}
		if (!found) {
			cv_error_format(err, errlen, "--map: the header has no column '%s'",
			                map->entries[m].column);
			rc = CV_EINVAL;
			goto fail;
		}
	}
	/* A column left over keeps its heading, so the plain parser warns about
	 * it (a custom question, an order date), unless that heading is one of
	 * the plain roster's or repeats one already passed. */
	for (size_t i = 0; i < ncols; i++) {
		if (cols[i].kind != K_PASS)
			continue;
		char h[128];
		lower_trim(cols[i].heading, h, sizeof h);
		bool clash = is_any(h, plain_headings) || !h[0];
		for (size_t j = 0; j < i && !clash; j++)
			clash = cols[j].kind == K_PASS &&
			        strcasecmp(cols[j].heading, cols[i].heading) == 0;
		if (clash)
			cols[i].kind = K_DROP;
	}
	bool whole = has_kind(cols, ncols, CV_ROSTER_FIELD_NAME);
	bool parts = has_kind(cols, ncols, CV_ROSTER_FIELD_GIVEN_NAME) ||
	             has_kind(cols, ncols, CV_ROSTER_FIELD_FAMILY_NAME);
	if (!whole && !parts) {
		cv_error_format(
		    err, errlen,
		    "no name column: %s headers need an attendee name (or given and family "
		    "name) column; name one with --map COLUMN=name",
		    cv_roster_source_name(*source));
		rc = CV_EINVAL;
		goto fail;
	}
	bool code = has_kind(cols, ncols, K_ORDER_CODE),
	     position = has_kind(cols, ncols, K_POSITION_ID);
	shared = calloc(t.count, sizeof *shared);
	if (!shared || mark_shared_emails(cols, ncols, &t, shared) != 0) {
		rc = CV_ENOMEM;
		goto fail;
	}

	/* The plain roster: our columns, then the passed-through ones. */
	static const char *const out_heads[] = {"name",  "organization", "role",
	                                        "email", "external_id",  "badge_uid"};
	static const int out_kinds[] = {CV_ROSTER_FIELD_NAME,        CV_ROSTER_FIELD_ORGANIZATION,
	                                CV_ROSTER_FIELD_ROLE,        CV_ROSTER_FIELD_EMAIL,
	                                CV_ROSTER_FIELD_EXTERNAL_ID, CV_ROSTER_FIELD_BADGE_UID};
	for (size_t k = 0; k < 6; k++)
		put_field(&plain, out_heads[k], k == 0);
	for (size_t i = 0; i < ncols; i++)
		if (cols[i].kind == K_PASS)
			put_field(&plain, cols[i].heading, false);
	put_s(&plain, "\n");
	for (size_t r = 1; r < t.count; r++) {
		const struct row *row = &t.rows[r];
		/* Blank lines up to the row's own line: the plain parser skips
		 * them, and its errors then name the original line. */
		while (!plain.rc && plain.lines + 1 < row->line)
			put_s(&plain, "\n");
		char *name = NULL, *ext = NULL;
		const char *v = whole ? value_of(cols, ncols, row, CV_ROSTER_FIELD_NAME) : "";
		if (blank(v) && parts) {
			const char *g = value_of(cols, ncols, row, CV_ROSTER_FIELD_GIVEN_NAME);
			const char *f = value_of(cols, ncols, row, CV_ROSTER_FIELD_FAMILY_NAME);
			size_t n = strlen(g) + strlen(f) + 2;
			name = malloc(n);
			if (name) {
				char *gt = trimmed(g), *ft = trimmed(f);
				if (gt && ft)
					snprintf(name, n, "%s%s%s", gt, gt[0] && ft[0] ? " " : "",
					         ft);
				else
					name[0] = '\0';
				free(gt);
				free(ft);
			}
		}
		const char *e = value_of(cols, ncols, row, CV_ROSTER_FIELD_EXTERNAL_ID);
		if (blank(e) && code) {
			const char *c = value_of(cols, ncols, row, K_ORDER_CODE);
			const char *p = position ? value_of(cols, ncols, row, K_POSITION_ID) : "";
			size_t n = strlen(c) + strlen(p) + 2;
			ext = malloc(n);
			if (ext)
				snprintf(ext, n, "%s%s%s", c, !blank(c) && !blank(p) ? "-" : "", p);
		}
		if ((blank(v) && parts && !name) || (blank(e) && code && !ext)) {
			free(name);
			free(ext);
			rc = CV_ENOMEM;
			goto fail;
		}
		for (size_t k = 0; k < 6; k++) {
			const char *f = value_of(cols, ncols, row, out_kinds[k]);
			if (k == 0 && name)
				f = name;
			if (k == 4 && ext)
				f = ext;
			if (out_kinds[k] == CV_ROSTER_FIELD_EMAIL) {
				f = value_ranked(cols, ncols, row, CV_ROSTER_FIELD_EMAIL, 0);
				if (!*f && !shared[r])
					f = value_ranked(cols, ncols, row, CV_ROSTER_FIELD_EMAIL,
					                 1);
			}
			put_field(&plain, f, k == 0);
		}
		for (size_t i = 0; i < ncols; i++)
			if (cols[i].kind == K_PASS)
				put_field(&plain, i < row->count ? row->fields[i] : "", false);
		put_s(&plain, "\n");
		free(name);
		free(ext);
	}
	if (plain.rc) {
		rc = plain.rc;
		goto fail;
	}
	rc = cv_roster_parse(plain.buf, plain.len, out, err, errlen);
	goto done;

fail:
	cv_roster_free(out);
done:
	for (size_t i = 0; cols && i < ncols; i++)
		free(cols[i].heading);
	free(cols);
	free(shared);
	free(plain.buf);
	table_free(&t);
	return rc;
}
