/* Whole-file reads and directory creation for the adapters and main. */
#include "cv_fileutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cv_error.h"

static int errno_to_cv(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR: return CV_ENOTFOUND;
	case EACCES:
	case EPERM: return CV_EPERM;
	case ENOSPC: return CV_EFULL;
	default: return CV_EIO;
	}
}

int cv_file_read_all(const char *path, size_t max_bytes, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return errno_to_cv(errno);

	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf)
		goto fail_nomem;
	for (;;) {
		if (n == cap) {
			if (cap >= max_bytes) {
				free(buf);
				fclose(f);
				return CV_ETOOBIG;
			}
			cap = cap * 2 > max_bytes ? max_bytes : cap * 2;
			char *grown = realloc(buf, cap + 1);
			if (!grown)
				goto fail_nomem;
			buf = grown;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		if (got == 0) {
			if (ferror(f)) {
				free(buf);
				fclose(f);
				return CV_EIO;
			}
			break;
		}
		n += got;
		if (n > max_bytes) {
			free(buf);
			fclose(f);
			return CV_ETOOBIG;
		}
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;

fail_nomem:
	free(buf);
	fclose(f);
	return CV_ENOMEM;
}

int cv_file_mkdirs(const char *path)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof buf)
		return CV_EINVAL;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return errno_to_cv(errno);
		*p = '/';
	}
	if (mkdir(buf, 0755) != 0 && errno != EEXIST)
		return errno_to_cv(errno);
	return 0;
}
