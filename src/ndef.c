/* NDEF parsing for Type 2 tags: the TLV walk over user memory, records,
 * Text and URI records, and the attendee id they carry. Every read is
 * checked against the buffer's end before it happens; badge data is
 * outside data and may be anything. */
#include "cv_ndef.h"

#include <stdio.h>
#include <string.h>

#include "cv_error.h"

enum {
	TLV_NULL = 0x00,
	TLV_LOCK_CONTROL = 0x01,
	TLV_MEMORY_CONTROL = 0x02,
	TLV_NDEF = 0x03,
	TLV_PROPRIETARY = 0xfd,
	TLV_TERMINATOR = 0xfe,
};

static void set_why(const char **why, const char *text)
{
	if (why)
		*why = text;
}

/* Reads the TLV header at pos. Returns 1 with *type, *vlen and *voff (the
 * value's offset), 0 when the header needs bytes past len (*need says how
 * many in all), and sets *vlen to 0 for NULL and terminator TLVs. */
static int tlv_header(const uint8_t *mem, size_t len, size_t pos, uint8_t *type, size_t *vlen,
                      size_t *voff, size_t *need)
{
	if (pos >= len) {
		*need = pos + 1;
		return 0;
	}
	*type = mem[pos];
	if (*type == TLV_NULL || *type == TLV_TERMINATOR) {
		*vlen = 0;
		*voff = pos + 1;
		return 1;
	}
	if (pos + 1 >= len) {
		*need = pos + 2;
		return 0;
	}
	if (mem[pos + 1] != 0xff) {
		*vlen = mem[pos + 1];
		*voff = pos + 2;
		return 1;
	}
	/* Three-byte length format: 0xFF then a big-endian 16-bit length. */
	if (pos + 3 >= len) {
		*need = pos + 4;
		return 0;
	}
	*vlen = ((size_t)mem[pos + 2] << 8) | mem[pos + 3];
	*voff = pos + 4;
	return 1;
}

size_t cv_ndef_tlv_needed(const uint8_t *mem, size_t len)
{
	size_t pos = 0;
	for (;;) {
		uint8_t type = 0;
		size_t vlen = 0, voff = 0, need = 0;
		if (!tlv_header(mem, len, pos, &type, &vlen, &voff, &need))
			return need;
		if (type == TLV_TERMINATOR)
			return len;
		if (type == TLV_NULL) {
			pos = voff;
			continue;
		}
		if (voff + vlen > len)
			return voff + vlen;
		if (type == TLV_NDEF)
			return len;
		pos = voff + vlen;
	}
}

int cv_ndef_tlv_find(const uint8_t *mem, size_t len, const uint8_t **msg, size_t *msg_len,
                     const char **why)
{
	size_t pos = 0;
	*msg = NULL;
	*msg_len = 0;
	set_why(why, "");
	for (;;) {
		uint8_t type = 0;
		size_t vlen = 0, voff = 0, need = 0;
		if (pos >= len) {
			set_why(why, "no NDEF message TLV in user memory");
			return CV_ENOTFOUND;
		}
		if (!tlv_header(mem, len, pos, &type, &vlen, &voff, &need)) {
			set_why(why, "a TLV header is cut short by the end of user memory");
			return CV_EINVAL;
		}
		if (type == TLV_TERMINATOR) {
			set_why(why, "terminator TLV before any NDEF message");
			return CV_ENOTFOUND;
		}
		if (type == TLV_NULL) {
			pos = voff;
			continue;
		}
		if (voff + vlen > len) {
			if (type == TLV_NDEF) {
				set_why(why, "the NDEF message TLV runs past user memory");
				return CV_ETOOBIG;
			}
			set_why(why, "a TLV runs past user memory");
			return CV_EINVAL;
		}
		if (type == TLV_NDEF) {
			if (vlen == 0) {
				set_why(why, "empty NDEF message");
				return CV_ENOTFOUND;
			}
			*msg = mem + voff;
			*msg_len = vlen;
			return 0;
		}
		/* Lock control, memory control, proprietary and reserved
		 * types are skipped: their length says where the next is. */
		pos = voff + vlen;
	}
}

int cv_ndef_record_next(const uint8_t *msg, size_t len, size_t *pos, struct cv_ndef_record *rec,
                        const char **why)
{
	memset(rec, 0, sizeof *rec);
	set_why(why, "");
	size_t p = *pos;
	if (p >= len)
		return 0;
	uint8_t hdr = msg[p++];
	rec->mb = (hdr & 0x80) != 0;
	rec->me = (hdr & 0x40) != 0;
	bool cf = (hdr & 0x20) != 0;
	bool sr = (hdr & 0x10) != 0;
	bool il = (hdr & 0x08) != 0;
	rec->tnf = hdr & 0x07;
	if (cf || rec->tnf == CV_NDEF_TNF_UNCHANGED) {
		set_why(why, "chunked NDEF records are not supported");
		return CV_EUNSUPPORTED;
	}
	if (rec->tnf == 0x07) {
		set_why(why, "reserved TNF 7 in an NDEF record");
		return CV_EINVAL;
	}
	size_t head = 1 + (sr ? 1 : 4) + (il ? 1 : 0);
	if (len - p < head) {
		set_why(why, "an NDEF record header runs past the message");
		return CV_EINVAL;
	}
	rec->type_len = msg[p++];
	if (sr) {
		rec->payload_len = msg[p++];
	} else {
		rec->payload_len = ((size_t)msg[p] << 24) | ((size_t)msg[p + 1] << 16) |
		                   ((size_t)msg[p + 2] << 8) | msg[p + 3];
		p += 4;
	}
	rec->id_len = il ? msg[p++] : 0;
	/* Each length is checked against what is left, so no sum overflows. */
	size_t left = len - p;
	if (rec->type_len > left) {
		set_why(why, "an NDEF record type runs past the message");
		return CV_EINVAL;
	}
	rec->type = msg + p;
	p += rec->type_len;
	left -= rec->type_len;
	if (rec->id_len > left) {
		set_why(why, "an NDEF record id runs past the message");
		return CV_EINVAL;
	}
	rec->id = msg + p;
	p += rec->id_len;
	left -= rec->id_len;
	if (rec->payload_len > left) {
		set_why(why, "an NDEF record payload runs past the message");
		return CV_EINVAL;
	}
	rec->payload = msg + p;
	p += rec->payload_len;
	if (rec->tnf == CV_NDEF_TNF_EMPTY && (rec->type_len || rec->id_len || rec->payload_len)) {
		set_why(why, "an empty NDEF record with a type, id or payload");
		return CV_EINVAL;
	}
	/* After the record flagged ME the message ends, whatever follows. */
	*pos = rec->me ? len : p;
	return 1;
}

static bool is_well_known(const struct cv_ndef_record *rec, char type)
{
	return rec->tnf == CV_NDEF_TNF_WELL_KNOWN && rec->type_len == 1 &&
	       rec->type[0] == (uint8_t)type;
}

/* Appends code point cp as UTF-8. Returns 0 or CV_ETOOBIG. */
static int put_utf8(char *out, size_t size, size_t *n, uint32_t cp)
{
	uint8_t b[4];
	size_t k;
	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | (cp >> 6));
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | (cp >> 12));
		b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | (cp >> 18));
		b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 4;
	}
	if (*n + k >= size)
		return CV_ETOOBIG;
	memcpy(out + *n, b, k);
	*n += k;
	out[*n] = '\0';
	return 0;
}

/* Length of the valid UTF-8 sequence at s[0..len) (no overlongs, no
 * surrogates, at most U+10FFFF), or 0 when it is not one. */
static size_t utf8_seq(const uint8_t *s, size_t len)
{
	uint8_t c = s[0];
	size_t k;
	uint32_t cp, min;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) {
		k = 2;
		cp = c & 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		k = 3;
		cp = c & 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		k = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (k > len)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

/* Copies valid UTF-8 without NULs into out[size]. */
static int copy_utf8(const uint8_t *s, size_t len, char *out, size_t size, const char **why)
{
	out[0] = '\0';
	if (len >= size) {
		set_why(why, "NDEF text longer than the kiosk keeps");
		return CV_ETOOBIG;
	}
	for (size_t i = 0; i < len;) {
		size_t k = utf8_seq(s + i, len - i);
		if (k == 0 || s[i] == 0) {
			set_why(why,
			        k == 0 ? "invalid UTF-8 in an NDEF record" : "a NUL in NDEF text");
			out[0] = '\0';
			return CV_EINVAL;
		}
		i += k;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

static int copy_utf16(const uint8_t *s, size_t len, char *out, size_t size, const char **why)
{
	bool big_endian = true; /* the NDEF Text RTD default without a BOM */
	size_t n = 0;
	out[0] = '\0';
	if (len % 2 != 0) {
		set_why(why, "UTF-16 text of an odd length");
		return CV_EINVAL;
	}
	size_t i = 0;
	if (len >= 2 && s[0] == 0xff && s[1] == 0xfe) {
		big_endian = false;
		i = 2;
	} else if (len >= 2 && s[0] == 0xfe && s[1] == 0xff) {
		i = 2;
	}
	while (i < len) {
		uint32_t u = big_endian ? ((uint32_t)s[i] << 8 | s[i + 1])
		                        : ((uint32_t)s[i + 1] << 8 | s[i]);
		i += 2;
		if (u >= 0xd800 && u <= 0xdbff) {
			if (i >= len)
				goto bad;
			uint32_t lo = big_endian ? ((uint32_t)s[i] << 8 | s[i + 1])
			                         : ((uint32_t)s[i + 1] << 8 | s[i]);
			if (lo < 0xdc00 || lo > 0xdfff)
				goto bad;
			i += 2;
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
		} else if ((u >= 0xdc00 && u <= 0xdfff) || u == 0) {
			goto bad;
		}
		if (put_utf8(out, size, &n, u) != 0) {
			out[0] = '\0';
			set_why(why, "NDEF text longer than the kiosk keeps");
			return CV_ETOOBIG;
		}
	}
	return 0;
bad:
	out[0] = '\0';
	set_why(why, "invalid UTF-16 in a Text record");
	return CV_EINVAL;
}

int cv_ndef_text(const struct cv_ndef_record *rec, char *lang, size_t lang_size, char *text,
                 size_t text_size, const char **why)
{
	lang[0] = '\0';
	text[0] = '\0';
	set_why(why, "");
	if (!is_well_known(rec, 'T')) {
		set_why(why, "not a Text record");
		return CV_EINVAL;
	}
	if (rec->payload_len < 1) {
		set_why(why, "a Text record without its status byte");
		return CV_EINVAL;
	}
	uint8_t status = rec->payload[0];
	size_t lang_len = status & 0x3f;
	if (status & 0x40) {
		set_why(why, "a Text record with the reserved status bit set");
		return CV_EINVAL;
	}
	if (lang_len > rec->payload_len - 1) {
		set_why(why, "a Text record's language code runs past its payload");
		return CV_EINVAL;
	}
	if (lang_len >= lang_size) {
		set_why(why, "a Text record's language code is too long");
		return CV_ETOOBIG;
	}
	for (size_t i = 0; i < lang_len; i++) {
		uint8_t c = rec->payload[1 + i];
		if (c < 0x21 || c > 0x7e) {
			set_why(why, "a Text record's language code is not ASCII");
			return CV_EINVAL;
		}
		lang[i] = (char)c;
	}
	lang[lang_len] = '\0';
	const uint8_t *body = rec->payload + 1 + lang_len;
	size_t body_len = rec->payload_len - 1 - lang_len;
	if (status & 0x80)
		return copy_utf16(body, body_len, text, text_size, why);
	return copy_utf8(body, body_len, text, text_size, why);
}

/* URI identifier codes, NFC Forum URI RTD 1.0, table 3. */
static const char *const uri_prefixes[] = {
    "",
    "http://www.",
    "https://www.",
    "http://",
    "https://",
    "tel:",
    "mailto:",
    "ftp://anonymous:anonymous@",
    "ftp://ftp.",
    "ftps://",
    "sftp://",
    "smb://",
    "nfs://",
    "ftp://",
    "dav://",
    "news:",
    "telnet://",
    "imap:",
    "rtsp://",
    "urn:",
    "pop:",
    "sip:",
    "sips:",
    "tftp:",
    "btspp://",
    "btl2cap://",
    "btgoep://",
    "tcpobex://",
    "irdaobex://",
    "file://",
    "urn:epc:id:",
    "urn:epc:tag:",
    "urn:epc:pat:",
    "urn:epc:raw:",
    "urn:epc:",
    "urn:nfc:",
};

int cv_ndef_uri(const struct cv_ndef_record *rec, char *uri, size_t uri_size, const char **why)
{
	uri[0] = '\0';
	set_why(why, "");
	if (rec->tnf == CV_NDEF_TNF_ABSOLUTE_URI)
		return copy_utf8(rec->type, rec->type_len, uri, uri_size, why);
	if (!is_well_known(rec, 'U')) {
		set_why(why, "not a URI record");
		return CV_EINVAL;
	}
	if (rec->payload_len < 1) {
		set_why(why, "a URI record without its prefix code");
		return CV_EINVAL;
	}
	uint8_t code = rec->payload[0];
	if (code >= sizeof uri_prefixes / sizeof uri_prefixes[0]) {
		set_why(why, "a URI record with a reserved prefix code");
		return CV_EINVAL;
	}
	const char *prefix = uri_prefixes[code];
	size_t plen = strlen(prefix);
	if (plen >= uri_size) {
		set_why(why, "a URI longer than the kiosk keeps");
		return CV_ETOOBIG;
	}
	int rc =
	    copy_utf8(rec->payload + 1, rec->payload_len - 1, uri + plen, uri_size - plen, why);
	if (rc != 0) {
		uri[0] = '\0';
		return rc;
	}
	memcpy(uri, prefix, plen);
	return 0;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..len) into out[size]; refuses control characters
 * and NULs, which no attendee id holds. */
static int percent_decode(const char *s, size_t len, char *out, size_t size)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= len)
				goto bad;
			int hi = hex_nibble(s[i + 1]), lo = hex_nibble(s[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f)
			goto bad;
		if (n + 1 >= size) {
			out[0] = '\0';
			return CV_ETOOBIG;
		}
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 0;
bad:
	out[0] = '\0';
	return CV_EINVAL;
}

int cv_ndef_uri_attendee_id(const char *uri, char *out, size_t out_size)
{
	out[0] = '\0';
	size_t end = strcspn(uri, "#");
	const char *q = memchr(uri, '?', end);
	if (q) {
		const char *p = q + 1;
		const char *stop = uri + end;
		while (p < stop) {
			const char *amp = memchr(p, '&', (size_t)(stop - p));
			const char *pend = amp ? amp : stop;
			if (pend - p >= 3 && memcmp(p, "id=", 3) == 0 && pend - p > 3)
				return percent_decode(p + 3, (size_t)(pend - p - 3), out, out_size);
			p = pend + 1;
		}
		end = (size_t)(q - uri);
	}
	/* The path starts after "scheme://authority" or after "scheme:". */
	size_t start = 0;
	const char *colon = memchr(uri, ':', end);
	if (colon) {
		start = (size_t)(colon - uri) + 1;
		if (end - start >= 2 && uri[start] == '/' && uri[start + 1] == '/') {
			const char *slash = memchr(uri + start + 2, '/', end - start - 2);
			start = slash ? (size_t)(slash - uri) : end;
		}
	}
	while (end > start && uri[end - 1] == '/')
		end--;
	size_t seg = end;
	while (seg > start && uri[seg - 1] != '/')
		seg--;
	if (seg == end)
		return CV_ENOTFOUND;
	return percent_decode(uri + seg, end - seg, out, out_size);
}

/* Trims blanks around out in place; returns its new length. */
static size_t trim(char *out)
{
	size_t len = strlen(out), b = 0;
	while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '\t' || out[len - 1] == '\n' ||
	                   out[len - 1] == '\r'))
		len--;
	while (b < len && (out[b] == ' ' || out[b] == '\t' || out[b] == '\n' || out[b] == '\r'))
		b++;
	memmove(out, out + b, len - b);
	out[len - b] = '\0';
	return len - b;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

int cv_ndef_attendee_id(const uint8_t *mem, size_t len, char *out, size_t out_size,
                        const char **why)
{
	const uint8_t *msg;
	size_t msg_len, pos = 0;
	bool have_uri_id = false;
	char uri_id[256];
	out[0] = '\0';
	int rc = cv_ndef_tlv_find(mem, len, &msg, &msg_len, why);
	if (rc != 0)
		return rc;
	for (;;) {
		struct cv_ndef_record rec;
		rc = cv_ndef_record_next(msg, msg_len, &pos, &rec, why);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		if (is_well_known(&rec, 'T')) {
			char lang[64];
			rc = cv_ndef_text(&rec, lang, sizeof lang, out, out_size, why);
			if (rc != 0)
				return rc;
			if (has_control(out)) {
				out[0] = '\0';
				set_why(why, "control characters in a Text record's attendee id");
				return CV_EINVAL;
			}
			if (trim(out) > 0)
				return 0;
			continue;
		}
		if (!have_uri_id &&
		    (is_well_known(&rec, 'U') || rec.tnf == CV_NDEF_TNF_ABSOLUTE_URI)) {
			char uri[CV_NDEF_USER_MAX + 64];
			rc = cv_ndef_uri(&rec, uri, sizeof uri, why);
			if (rc != 0)
				return rc;
			rc = cv_ndef_uri_attendee_id(uri, uri_id, sizeof uri_id);
			if (rc == CV_EINVAL) {
				set_why(why,
				        "a URI record's id has a bad escape or control characters");
				return rc;
			}
			if (rc == 0 && trim(uri_id) > 0)
				have_uri_id = true;
		}
	}
	if (!have_uri_id) {
		set_why(why, "no Text record and no URI naming an id");
		return CV_ENOTFOUND;
	}
	if (strlen(uri_id) >= out_size) {
		set_why(why, "the URI's attendee id is longer than the kiosk keeps");
		return CV_ETOOBIG;
	}
	memcpy(out, uri_id, strlen(uri_id) + 1);
	return 0;
}

/* Appends text to out, escaping what is not printable ASCII. */
static void append_escaped(char *out, size_t size, const char *text)
{
	size_t n = strlen(out);
	for (const unsigned char *p = (const unsigned char *)text; *p && n + 5 < size; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') {
			out[n++] = (char)*p;
		} else {
			static const char hex[] = "0123456789abcdef";
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 0xf];
		}
	}
	out[n] = '\0';
}

static void append(char *out, size_t size, const char *text)
{
	size_t n = strlen(out);
	size_t k = strlen(text);
	if (n + k >= size)
		k = size - n - 1;
	memcpy(out + n, text, k);
	out[n + k] = '\0';
}

void cv_ndef_describe(const uint8_t *mem, size_t len, char *out, size_t out_size)
{
	const uint8_t *msg;
	size_t msg_len, pos = 0;
	const char *why = "";
	if (out_size == 0)
		return;
	out[0] = '\0';
	int rc = cv_ndef_tlv_find(mem, len, &msg, &msg_len, &why);
	if (rc != 0) {
		append(out, out_size, rc == CV_ENOTFOUND ? "no NDEF message" : why);
		return;
	}
	for (int i = 0;; i++) {
		struct cv_ndef_record rec;
		rc = cv_ndef_record_next(msg, msg_len, &pos, &rec, &why);
		if (rc == 0)
			break;
		if (i > 0)
			append(out, out_size, "; ");
		if (rc < 0) {
			append(out, out_size, why);
			break;
		}
		char text[CV_NDEF_USER_MAX + 64], lang[64];
		if (is_well_known(&rec, 'T')) {
			if (cv_ndef_text(&rec, lang, sizeof lang, text, sizeof text, &why) == 0) {
				append(out, out_size, "Text(");
				append_escaped(out, out_size, lang);
				append(out, out_size, ") \"");
				append_escaped(out, out_size, text);
				append(out, out_size, "\"");
			} else {
				append(out, out_size, why);
			}
		} else if (is_well_known(&rec, 'U') || rec.tnf == CV_NDEF_TNF_ABSOLUTE_URI) {
			if (cv_ndef_uri(&rec, text, sizeof text, &why) == 0) {
				append(out, out_size, "URI \"");
				append_escaped(out, out_size, text);
				append(out, out_size, "\"");
			} else {
				append(out, out_size, why);
			}
		} else {
			char line[64];
			snprintf(line, sizeof line, "record TNF %u, %zu-byte payload", rec.tnf,
			         rec.payload_len);
			append(out, out_size, line);
		}
	}
}
