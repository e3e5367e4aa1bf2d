/* The one error convention of Convene: functions return 0 on success or a
 * negative CV_E* code; adapters translate library codes (SQLite, libnfc,
 * SDL, curl) at their boundary so nothing above them sees those. */
#ifndef CV_ERROR_H
#define CV_ERROR_H

#include <stddef.h>

enum cv_error {
	CV_OK = 0,
	CV_ENOMEM = -1,        /* out of memory */
	CV_EIO = -2,           /* a file or device could not be read or written */
	CV_EINVAL = -3,        /* bad input: config, CSV, script, argument */
	CV_ENOTFOUND = -4,     /* no such record, file or device */
	CV_EEXIST = -5,        /* already exists / conflicts with what is stored */
	CV_ESTORE = -6,        /* the database refused or failed */
	CV_ESCHEMA = -7,       /* the database is from a newer or unknown version */
	CV_ETIMEOUT = -8,      /* nothing happened in time */
	CV_EDEVICE = -9,       /* the reader or display failed */
	CV_EUNSUPPORTED = -10, /* this backend cannot do that */
	CV_EBUSY = -11,        /* held by someone else */
	CV_ECLOSED = -12,      /* shut down or aborted */
	CV_ETOOBIG = -13,      /* over a size limit */
	CV_EPERM = -14,        /* permission denied */
	CV_EFULL = -15,        /* disk or queue full */
};

/* A short, static, human-readable text for a CV_E* code. Never NULL. */
const char *cv_strerror(int err);

/* Writes a message into a caller's error buffer (err may be NULL or errlen
 * 0: then nothing is written). The one way modules fill their err out-param. */
void cv_error_format(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
