/* The import-network file: a CSV edge list read through libcsv, its pairs
 * put in key order and summed, so a file of one row per encounter (our own
 * encounters.csv) and a weighted edge list give the same ties. */
#include "cv_network_file.h"

#include <csv.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cv_error.h"

#define NET_ROWS_MAX 1000000
#define NET_FIELD_MAX 1024
#define NET_COLUMNS_MAX 256

enum { COL_NONE = -1, COL_A, COL_B, COL_COUNT_ };

struct parse {
	struct cv_network *out;
	size_t cap;
	bool have_header;
	int columns[NET_COLUMNS_MAX];
	size_t column_count;
	size_t field;
	char *fields[3];
	size_t line, row_line;
	bool at_row_start;
	int rc;
	char why[200];
};

static void fail(struct parse *ps, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct parse *ps, int rc, const char *fmt, ...)
{
	if (ps->rc)
		return;
	va_list ap;
	ps->rc = rc;
	va_start(ap, fmt);
	vsnprintf(ps->why, sizeof ps->why, fmt, ap);
	va_end(ap);
}

static int column_of(const char *h)
{
	static const char *const a[] = {"person_a", "source", "from", "a"};
	static const char *const b[] = {"person_b", "target", "to", "b"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(h, a[i]) == 0)
			return COL_A;
		if (strcasecmp(h, b[i]) == 0)
			return COL_B;
	}
	if (strcasecmp(h, "count") == 0 || strcasecmp(h, "weight") == 0)
		return COL_COUNT_;
	return COL_NONE;
}

static char *trimmed_copy(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return strndup(s, n);
}

static void on_field(void *data, size_t len, void *user)
{
	struct parse *ps = user;
	size_t i = ps->field++;
	if (ps->rc)
		return;
	if (len > NET_FIELD_MAX) {
		fail(ps, CV_EINVAL, "field %zu is longer than %d bytes", i + 1, NET_FIELD_MAX);
		return;
	}
	if (data && memchr(data, '\0', len)) {
		fail(ps, CV_EINVAL, "field %zu contains a NUL byte", i + 1);
		return;
	}
	char *text = trimmed_copy(data ? data : "", len);
	if (!text) {
		fail(ps, CV_ENOMEM, "out of memory");
		return;
	}
	if (!ps->have_header) {
		if (i >= NET_COLUMNS_MAX) {
			fail(ps, CV_EINVAL, "more than %d columns", NET_COLUMNS_MAX);
		} else {
			int col = column_of(text);
			for (size_t k = 0; k < i && col != COL_NONE; k++)
				if (ps->columns[k] == col)
					col = COL_NONE; /* a repeated heading: the first counts */
			ps->columns[i] = col;
			ps->column_count = i + 1;
		}
		free(text);
		return;
	}
	if (i < ps->column_count && ps->columns[i] != COL_NONE) {
		free(ps->fields[ps->columns[i]]);
		ps->fields[ps->columns[i]] = text;
		return;
	}
	free(text);
}

static void clear_fields(struct parse *ps)
{
	for (int c = 0; c < 3; c++) {
		free(ps->fields[c]);
		ps->fields[c] = NULL;
	}
	ps->field = 0;
}

static void add_row(struct parse *ps)
{
	char *a = ps->fields[COL_A], *b = ps->fields[COL_B], *c = ps->fields[COL_COUNT_];
	if ((!a || !*a) && (!b || !*b) && (!c || !*c))
		return; /* an empty line */
	if (!a || !*a || !b || !*b) {
		fail(ps, CV_EINVAL, "a row needs both people");
		return;
	}
	int64_t count = 1;
	if (c && *c) {
		char *end;
		long long v = strtoll(c, &end, 10);
		/* "3.0" from a spreadsheet is a whole number too. */
		if (*end == '.' && strspn(end + 1, "0") == strlen(end + 1))
			end += strlen(end);
		if (*end || v < 1 || v > 1000000000) {
			fail(ps, CV_EINVAL, "count '%.40s' is not a whole number from 1", c);
			return;
		}
		count = v;
	}
	ps->out->rows++;
	if (ps->out->rows > NET_ROWS_MAX) {
		fail(ps, CV_EINVAL, "more than %d rows", NET_ROWS_MAX);
		return;
	}
	if (strcmp(a, b) == 0) {
		ps->out->self++;
		return;
	}
	if (ps->out->count == ps->cap) {
		size_t cap = ps->cap ? 2 * ps->cap : 64;
		struct cv_network_edge *grown = realloc(ps->out->edges, cap * sizeof *grown);
		if (!grown) {
			fail(ps, CV_ENOMEM, "out of memory");
			return;
		}
		ps->out->edges = grown;
		ps->cap = cap;
	}
	bool swap = strcmp(a, b) > 0;
	ps->out->edges[ps->out->count++] =
	    (struct cv_network_edge){swap ? b : a, swap ? a : b, count};
	ps->fields[COL_A] = ps->fields[COL_B] = NULL;
}

static void on_row(int terminator, void *user)
{
	struct parse *ps = user;
	(void)terminator;
	if (!ps->rc) {
		if (!ps->have_header) {
			bool a = false, b = false;
			for (size_t i = 0; i < ps->column_count; i++) {
				a = a || ps->columns[i] == COL_A;
				b = b || ps->columns[i] == COL_B;
			}
			if (!a || !b)
				fail(ps, CV_EINVAL,
				     "the header needs two person columns (person_a and person_b, "
				     "or source and target)");
			ps->have_header = true;
		} else {
			add_row(ps);
		}
	}
	clear_fields(ps);
	ps->at_row_start = true;
}

static int edge_cmp(const void *x, const void *y)
{
	const struct cv_network_edge *p = x, *q = y;
	int c = strcmp(p->a, q->a);
	return c ? c : strcmp(p->b, q->b);
}

/* Sorts the pairs and folds repeats into one with the summed count. */
static void merge_pairs(struct cv_network *net)
{
	if (net->count == 0)
		return;
	qsort(net->edges, net->count, sizeof *net->edges, edge_cmp);
	size_t w = 0;
	for (size_t r = 1; r < net->count; r++) {
		if (edge_cmp(&net->edges[w], &net->edges[r]) == 0) {
			net->edges[w].count += net->edges[r].count;
			free(net->edges[r].a);
			free(net->edges[r].b);
		} else {
			net->edges[++w] = net->edges[r];
		}
	}
	net->count = w + 1;
}

int cv_network_parse(const char *text, size_t len, struct cv_network *out, char *err, size_t errlen)
{
	struct csv_parser csv;
	struct parse ps = {.out = out, .line = 1, .at_row_start = true};
	memset(out, 0, sizeof *out);
	if (err && errlen)
		err[0] = '\0';
	if (csv_init(&csv, CSV_STRICT | CSV_APPEND_NULL) != 0) {
		snprintf(err ? err : (char[1]){0}, err ? errlen : 1, "out of memory");
		return CV_ENOMEM;
	}
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		text += 3;
		len -= 3;
	}
	/* One physical line at a time, so a row knows where it started. */
	size_t pos = 0;
	while (pos < len && !ps.rc) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) + 1 : len - pos;
		if (ps.at_row_start) {
			ps.row_line = ps.line;
			ps.at_row_start = false;
		}
		if (csv_parse(&csv, text + pos, n, on_field, on_row, &ps) != n && !ps.rc)
			fail(&ps, CV_EINVAL, "%s", csv_strerror(csv_error(&csv)));
		pos += n;
		ps.line++;
	}
	if (!ps.rc && csv_fini(&csv, on_field, on_row, &ps) != 0)
		fail(&ps, CV_EINVAL, "%s", csv_strerror(csv_error(&csv)));
	if (!ps.rc && !ps.have_header)
		fail(&ps, CV_EINVAL, "the file is empty: the first row must name the columns");
	csv_free(&csv);
	clear_fields(&ps);
	if (ps.rc) {
		if (err && errlen) {
			if (ps.row_line)
				snprintf(err, errlen, "line %zu: %s", ps.row_line, ps.why);
			else
				snprintf(err, errlen, "%s", ps.why);
		}
		cv_network_free(out);
		return ps.rc;
	}
	merge_pairs(out);
	return 0;
}

void cv_network_free(struct cv_network *net)
{
	if (!net)
		return;
	for (size_t i = 0; i < net->count; i++) {
		free(net->edges[i].a);
		free(net->edges[i].b);
	}
	free(net->edges);
	memset(net, 0, sizeof *net);
}
