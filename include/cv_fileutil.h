/* Small file helpers shared by the adapters and main. */
#ifndef CV_FILEUTIL_H
#define CV_FILEUTIL_H

#include <stddef.h>

/* Reads a whole file (at most max_bytes) into a NUL-terminated buffer the
 * caller frees. Returns 0, CV_ENOTFOUND, CV_EPERM, CV_ETOOBIG or CV_EIO. */
int cv_file_read_all(const char *path, size_t max_bytes, char **out, size_t *len);

/* Creates a directory and its parents (mode 0755). Returns 0 or CV_EIO. */
int cv_file_mkdirs(const char *path);

#endif
