/* Telling the service manager how the kiosk is doing: ready after the first
 * frame, watchdog pings from the main loop, a one-line status, and stopping.
 * Under systemd these go to $NOTIFY_SOCKET through libsystemd's sd_notify;
 * anywhere else every call is a cheap no-op. Call from the main thread. */
#ifndef CV_SERVICE_H
#define CV_SERVICE_H

#include <stdint.h>

/* Reads $NOTIFY_SOCKET and the watchdog interval ($WATCHDOG_USEC, for this
 * process) once. The other calls do this on first use; calling it again
 * reads the environment afresh (tests do). */
void cv_service_init(void);

/* The watchdog interval systemd expects pings within, in microseconds; 0
 * when no watchdog is configured for this process. */
uint64_t cv_service_watchdog_usec(void);

/* READY=1: start-up is complete (the first frame is on screen). Returns 0
 * (also when not under systemd) or CV_EIO when the message was not sent. */
int cv_service_ready(void);

/* WATCHDOG=1, sent at most every half interval, so it can be called on every
 * turn of the main loop: with no watchdog configured it costs one branch.
 * Only call it when the loop is really making progress. */
void cv_service_watchdog_ping(void);

/* STATUS=text, shown by `systemctl status`. Control characters are replaced
 * by spaces and the text is cut at 200 bytes. Returns 0 or CV_EIO. */
int cv_service_status(const char *text);

/* STOPPING=1: an orderly shutdown has begun. Returns 0 or CV_EIO. */
int cv_service_stopping(void);

#endif
