/* Fuzzes the NDEF parser with arbitrary Type 2 tag user memory: the TLV
 * walk, records, Text/URI decoding and the description reader-check
 * prints. Nothing may read outside the buffer or leave out unterminated. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cv_ndef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[64], desc[160];
	const char *why = NULL;
	if (size > CV_NDEF_USER_MAX)
		size = CV_NDEF_USER_MAX;
	(void)cv_ndef_tlv_needed(data, size);
	int rc = cv_ndef_attendee_id(data, size, id, sizeof id, &why);
	if (strlen(id) >= sizeof id || (rc != 0 && id[0] != '\0') || !why)
		__builtin_trap();
	cv_ndef_describe(data, size, desc, sizeof desc);
	if (strlen(desc) >= sizeof desc)
		__builtin_trap();
	/* The URI id rule on the same bytes read as text. */
	char text[CV_NDEF_USER_MAX + 1];
	memcpy(text, data, size);
	text[size] = '\0';
	(void)cv_ndef_uri_attendee_id(text, id, sizeof id);
	return 0;
}
