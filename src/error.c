/* Texts for the CV_E* codes of include/cv_error.h. */
#include "cv_error.h"

#include <stdarg.h>
#include <stdio.h>

const char *cv_strerror(int err)
{
	switch (err) {
	case CV_OK: return "success";
	case CV_ENOMEM: return "out of memory";
	case CV_EIO: return "input/output error";
	case CV_EINVAL: return "invalid input";
	case CV_ENOTFOUND: return "not found";
	case CV_EEXIST: return "already exists";
	case CV_ESTORE: return "database error";
	case CV_ESCHEMA: return "database from an unknown or newer version";
	case CV_ETIMEOUT: return "timed out";
	case CV_EDEVICE: return "device error";
	case CV_EUNSUPPORTED: return "not supported";
	case CV_EBUSY: return "busy";
	case CV_ECLOSED: return "closed";
	case CV_ETOOBIG: return "too big";
	case CV_EPERM: return "permission denied";
	case CV_EFULL: return "full";
	}
	return "unknown error";
}

void cv_error_format(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
