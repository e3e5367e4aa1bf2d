/* Text folding for searches: a name as a person types it on the kiosk's
 * keyboard, with or without its accents and capitals, finds the stored one.
 * Pure. */
#ifndef CV_TEXT_H
#define CV_TEXT_H

#include <stddef.h>

/* Folds UTF-8 text for matching: ASCII letters to lower case, Latin
 * letters with diacritics (Latin-1 Supplement, Latin Extended-A) to their
 * base letters ("Ä" → "a", "ß" → "ss", "Ł" → "l", "Œ" → "oe"), other
 * characters kept as they are; invalid bytes are dropped. Writes at most
 * outlen bytes with the terminator, never a cut character. Returns the
 * folded length. */
size_t cv_text_fold(const char *in, char *out, size_t outlen);

#endif
