/* Systemd integration through libsystemd's sd_notify: readiness, watchdog
 * pings rate-limited to half the interval, status text and stopping. The
 * environment is read once, so the calls in the main loop stay cheap and
 * turn into nothing when the kiosk does not run under systemd. */
#include "cv_service.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "cv_clock.h"
#include "cv_error.h"
#include "cv_log.h"

#define CV_LOG_TAG "service"

#define STATUS_MAX 200

static struct {
	bool initialized;
	bool notify;          /* $NOTIFY_SOCKET is set */
	uint64_t watchdog_us; /* 0: no watchdog for this process */
	int64_t last_ping_ms;
	bool ping_failed_logged;
} service;

void cv_service_init(void)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	uint64_t usec = 0;

	memset(&service, 0, sizeof service);
	service.initialized = true;
	service.notify = sock && *sock;
	/* Checks $WATCHDOG_PID against our pid, so a child that inherited the
	 * environment does not ping on the parent's behalf. */
	if (service.notify && sd_watchdog_enabled(0, &usec) > 0)
		service.watchdog_us = usec;
	service.last_ping_ms = -1;
}

static void service_lazy_init(void)
{
	if (!service.initialized)
		cv_service_init();
}

uint64_t cv_service_watchdog_usec(void)
{
	service_lazy_init();
	return service.watchdog_us;
}

/* sd_notify returns 0 when there is no socket, > 0 when sent, < 0 errno. */
static int service_send(const char *msg)
{
	service_lazy_init();
	if (!service.notify)
		return 0;
	int r = sd_notify(0, msg);
	if (r < 0) {
		cv_log_warn("cannot tell systemd '%s': %s", msg, strerror(-r));
		return CV_EIO;
	}
	return 0;
}

int cv_service_ready(void)
{
	int rc = service_send("READY=1");
	if (rc == 0 && service.watchdog_us > 0) {
		cv_log_info("watchdog every %llu ms",
		            (unsigned long long)(service.watchdog_us / 1000));
		service.last_ping_ms = cv_clock_mono_ms();
	}
	return rc;
}

void cv_service_watchdog_ping(void)
{
	if (service.initialized && service.watchdog_us == 0)
		return;
	service_lazy_init();
	if (service.watchdog_us == 0)
		return;
	int64_t now = cv_clock_mono_ms();
	int64_t half_ms = (int64_t)(service.watchdog_us / 2000);
	if (service.last_ping_ms >= 0 && now - service.last_ping_ms < half_ms)
		return;
	int r = sd_notify(0, "WATCHDOG=1");
	if (r < 0 && !service.ping_failed_logged) {
		/* Logged once: the loop would otherwise repeat it forever. */
		cv_log_warn("cannot ping the watchdog: %s", strerror(-r));
		service.ping_failed_logged = true;
	}
	service.last_ping_ms = now;
}

int cv_service_status(const char *text)
{
	char msg[sizeof "STATUS=" + STATUS_MAX];
	size_t n = 0;

	memcpy(msg, "STATUS=", 7);
	n = 7;
	/* The protocol is one assignment per line: a newline in the text
	 * would start a new (bogus) assignment. */
	for (const unsigned char *p = (const unsigned char *)text; *p && n < 7 + STATUS_MAX; p++)
		msg[n++] = (*p < 0x20 || *p == 0x7f) ? ' ' : (char)*p;
	msg[n] = '\0';
	return service_send(msg);
}

int cv_service_stopping(void)
{
	return service_send("STOPPING=1");
}
