/* NDEF as NFC Forum Type 2 tags (NTAG21x, Ultralight) carry it: the TLV walk
 * over user memory, the record layout, Text and URI records, and the
 * attendee id a printed badge holds. Pure: every read is bounded by the
 * buffer given, nothing is allocated, errors are specific. */
#ifndef CV_NDEF_H
#define CV_NDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most user memory the reader reads: NTAG216's 888 bytes. */
#define CV_NDEF_USER_MAX 888

/* Type Name Formats (NFC Forum NDEF 1.0, 3.2.6). */
enum cv_ndef_tnf {
	CV_NDEF_TNF_EMPTY = 0,
	CV_NDEF_TNF_WELL_KNOWN = 1,
	CV_NDEF_TNF_MEDIA = 2,
	CV_NDEF_TNF_ABSOLUTE_URI = 3,
	CV_NDEF_TNF_EXTERNAL = 4,
	CV_NDEF_TNF_UNKNOWN = 5,
	CV_NDEF_TNF_UNCHANGED = 6,
};

/* One record; the pointers point into the message buffer given to
 * cv_ndef_record_next and live as long as it does. */
struct cv_ndef_record {
	uint8_t tnf;
	bool mb, me; /* message begin, message end */
	const uint8_t *type;
	size_t type_len;
	const uint8_t *id;
	size_t id_len;
	const uint8_t *payload;
	size_t payload_len;
};

/* How many bytes of user memory (from page 4) the TLV walk must see to
 * finish. Returns len or less when mem[0..len) is enough (the NDEF message
 * TLV is complete, a terminator TLV was met, or the data is malformed), a
 * larger number when a TLV runs past len: the caller reads more, up to its
 * cap, and asks again. */
size_t cv_ndef_tlv_needed(const uint8_t *mem, size_t len);

/* Finds the first NDEF message TLV (type 0x03) in user memory, skipping
 * NULL, lock control, memory control and proprietary TLVs. Returns 0 with
 * *msg and *msg_len (pointing into mem), CV_ENOTFOUND when a terminator
 * TLV or the end comes first, CV_ETOOBIG when the message runs past len,
 * CV_EINVAL when a TLV header is cut short. *why names the fault. */
int cv_ndef_tlv_find(const uint8_t *mem, size_t len, const uint8_t **msg, size_t *msg_len,
                     const char **why);

/* Reads the record at *pos in the message and advances *pos. Returns 1 with
 * *rec, 0 at the end (after the record flagged ME, or at len), CV_EINVAL for
 * a record that runs past the message or breaks the format,
 * CV_EUNSUPPORTED for chunked records. *why names the fault. */
int cv_ndef_record_next(const uint8_t *msg, size_t len, size_t *pos, struct cv_ndef_record *rec,
                        const char **why);

/* Decodes a Text record (well-known type "T"): its language code into
 * lang[lang_size] and its text, converted from UTF-16 when flagged, as
 * UTF-8 into text[text_size]. Returns 0, CV_EINVAL (not a Text record, bad
 * status byte, bad UTF-8/UTF-16, an embedded NUL) or CV_ETOOBIG. */
int cv_ndef_text(const struct cv_ndef_record *rec, char *lang, size_t lang_size, char *text,
                 size_t text_size, const char **why);

/* Decodes a URI record (well-known type "U", its prefix code expanded; or
 * an absolute-URI record) into uri[uri_size]. Returns 0, CV_EINVAL or
 * CV_ETOOBIG. */
int cv_ndef_uri(const struct cv_ndef_record *rec, char *uri, size_t uri_size, const char **why);

/* The attendee id a URI names: the value of its `id=` query parameter
 * (percent-decoded), else its last non-empty path segment. Returns 0,
 * CV_ENOTFOUND (neither), CV_EINVAL (bad percent escape, control
 * characters) or CV_ETOOBIG. */
int cv_ndef_uri_attendee_id(const char *uri, char *out, size_t out_size);

/* The attendee id a badge carries in user memory: the text of the first
 * Text record, else the id of the first URI record that names one; blanks
 * around it trimmed. Returns 0 with out[out_size], CV_ENOTFOUND when there
 * is no NDEF message or no record naming an id, or the error of the first
 * malformed part (CV_EINVAL, CV_ETOOBIG, CV_EUNSUPPORTED) with *why saying
 * what. out is "" on every path but success. */
int cv_ndef_attendee_id(const uint8_t *mem, size_t len, char *out, size_t out_size,
                        const char **why);

/* A one-line description of the NDEF records in user memory, for people
 * checking a badge: e.g. `Text(en) "A-17"; URI "https://x.org/a/17"`, or
 * the fault met. Text is escaped to printable ASCII. Always writes out. */
void cv_ndef_describe(const uint8_t *mem, size_t len, char *out, size_t out_size);

#endif
