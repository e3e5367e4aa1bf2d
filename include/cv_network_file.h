/* The file `convene import-network` reads: the ties of an earlier
 * convening as a CSV edge list (our own encounters.csv export, or any
 * source,target[,count] table). Pure: parses text in memory into pairs of
 * person keys with counts. docs/export.md describes the format. */
#ifndef CV_NETWORK_FILE_H
#define CV_NETWORK_FILE_H

#include <stddef.h>
#include <stdint.h>

struct cv_network_edge {
	char *a, *b;   /* person keys, a < b (bytewise), never equal, never empty */
	int64_t count; /* encounters of the pair, >= 1 */
};

struct cv_network {
	struct cv_network_edge *edges; /* one per unordered pair, sorted by (a, b) */
	size_t count;
	size_t rows; /* data rows read */
	size_t self; /* rows skipped because both ends were the same person */
};

/* Parses text (UTF-8, optional BOM, LF or CRLF). The header names the
 * columns, in any case: the first person (person_a, source, from, a), the
 * second (person_b, target, to, b), optionally count (or weight: a whole
 * number >= 1; each row counts 1 without it). Other columns are ignored.
 * Rows with the same pair in either order add up. At most 1,000,000 rows.
 * Returns 0 and *out (free with cv_network_free), or CV_EINVAL / CV_ENOMEM
 * with "line N: why" in err and *out empty. */
int cv_network_parse(const char *text, size_t len, struct cv_network *out, char *err,
                     size_t errlen);
void cv_network_free(struct cv_network *net);

#endif
