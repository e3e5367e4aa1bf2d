/* `convene reader-check`, and what it shares with the nfc reader backend:
 * the lock that keeps two programs off one reader, and the diagnosis that
 * turns "libnfc could not open it" into the specific cause (no device,
 * permission denied, bus not enabled, ACR122U held by pcscd, port
 * claimed). */
#ifndef CV_READER_CHECK_H
#define CV_READER_CHECK_H

#include <stddef.h>

#include "cv_config.h"

/* Lists the devices libnfc sees, opens the configured reader, prints its
 * name and firmware, waits up to wait_ms for one badge and prints its UID,
 * card type and NDEF content, all on stdout. Returns the exit code: 0 when
 * a badge was read, 1 with a specific message otherwise (also when a
 * running kiosk holds the reader). Main thread; nothing else may have the
 * reader open in this process. */
int cv_reader_check(const struct cv_config *cfg, int wait_ms);

/* Takes the reader's lock: an flock on
 * /run/lock/convene-reader-<connstring, sanitised>.lock (or under /tmp when
 * /run/lock is not writable), holding the taker's pid. Returns 0 with *fd,
 * CV_EBUSY when another process holds it (path names the file, *holder its
 * pid or 0), CV_EIO. The fd is close-on-exec; cv_reader_unlock releases
 * the lock and removes the file. */
int cv_reader_lock(const char *connstring, int *fd, long *holder, char *path, size_t path_size);
void cv_reader_unlock(int fd);

/* Looks at the device a connstring names for a reason it cannot be opened.
 * Returns 0 with msg "" when none is found, else a CV_E* code
 * (CV_ENOTFOUND, CV_EPERM, CV_EBUSY) with a one-line msg saying what is
 * wrong and what to do. Any thread. */
int cv_reader_diagnose(const char *connstring, char *msg, size_t msg_size);

/* libnfc marks a serial port it opens as claimed in the port's termios
 * and a program that dies keeps it marked, so no libnfc program opens it
 * again. When connstring names a serial port so marked, clears the mark
 * and returns 1; 0 when there was none; a CV_E* code on failure. Call only
 * with the reader's lock held. */
int cv_reader_clear_stale_claim(const char *connstring);

#endif
