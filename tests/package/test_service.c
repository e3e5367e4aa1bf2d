/* cv_service against a real notify socket: what systemd would receive for
 * ready, status, stopping and watchdog pings, and silence when the process
 * is not under systemd or the watchdog is someone else's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cv_error.h"
#include "cv_service.h"

struct notify_sock {
	int fd;
	char path[108];
};

static int sock_setup(void **state)
{
	struct notify_sock *s = calloc(1, sizeof *s);
	assert_non_null(s);
	snprintf(s->path, sizeof s->path, "/tmp/cv-notify-%d", (int)getpid());
	unlink(s->path);
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(s->fd >= 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", s->path);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, sizeof sa), 0);
	setenv("NOTIFY_SOCKET", s->path, 1);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	*state = s;
	return 0;
}

static int sock_teardown(void **state)
{
	struct notify_sock *s = *state;
	close(s->fd);
	unlink(s->path);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	free(s);
	return 0;
}

/* The next datagram, or "" when none is waiting. */
static const char *next_msg(struct notify_sock *s)
{
	static char buf[512];
	ssize_t n = recv(s->fd, buf, sizeof buf - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void set_watchdog(unsigned long long usec, long pid)
{
	char v[32];
	snprintf(v, sizeof v, "%llu", usec);
	setenv("WATCHDOG_USEC", v, 1);
	snprintf(v, sizeof v, "%ld", pid);
	setenv("WATCHDOG_PID", v, 1);
}

static void test_ready_status_stopping(void **state)
{
	struct notify_sock *s = *state;
	cv_service_init();
	assert_int_equal(cv_service_ready(), 0);
	assert_string_equal(next_msg(s), "READY=1");
	assert_int_equal(cv_service_status("reader online\nREADY=0"), 0);
	/* A newline in the text must not smuggle in a second assignment. */
	assert_string_equal(next_msg(s), "STATUS=reader online READY=0");
	assert_int_equal(cv_service_stopping(), 0);
	assert_string_equal(next_msg(s), "STOPPING=1");
	assert_string_equal(next_msg(s), "");
}

static void test_status_is_cut(void **state)
{
	struct notify_sock *s = *state;
	char big[400];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	cv_service_init();
	assert_int_equal(cv_service_status(big), 0);
	const char *m = next_msg(s);
	assert_int_equal(strlen(m), strlen("STATUS=") + 200);
}

static void test_no_watchdog_no_ping(void **state)
{
	struct notify_sock *s = *state;
	cv_service_init();
	assert_int_equal(cv_service_watchdog_usec(), 0);
	cv_service_watchdog_ping();
	assert_string_equal(next_msg(s), "");
}

static void test_watchdog_pings_at_half_interval(void **state)
{
	struct notify_sock *s = *state;
	/* An hour: the second ping comes well inside half of it. */
	set_watchdog(3600ull * 1000000ull, (long)getpid());
	cv_service_init();
	assert_int_equal(cv_service_watchdog_usec(), 3600ull * 1000000ull);
	cv_service_watchdog_ping();
	assert_string_equal(next_msg(s), "WATCHDOG=1");
	cv_service_watchdog_ping();
	cv_service_watchdog_ping();
	assert_string_equal(next_msg(s), "");
}

static void test_watchdog_tiny_interval_pings_each_time(void **state)
{
	struct notify_sock *s = *state;
	/* 1 ms: half of it rounds to 0 ms, so every call pings. */
	set_watchdog(1000, (long)getpid());
	cv_service_init();
	cv_service_watchdog_ping();
	assert_string_equal(next_msg(s), "WATCHDOG=1");
	cv_service_watchdog_ping();
	assert_string_equal(next_msg(s), "WATCHDOG=1");
}

static void test_watchdog_of_another_process_ignored(void **state)
{
	struct notify_sock *s = *state;
	set_watchdog(3600ull * 1000000ull, (long)getpid() + 1);
	cv_service_init();
	assert_int_equal(cv_service_watchdog_usec(), 0);
	cv_service_watchdog_ping();
	assert_string_equal(next_msg(s), "");
}

static void test_not_under_systemd(void **state)
{
	struct notify_sock *s = *state;
	unsetenv("NOTIFY_SOCKET");
	set_watchdog(1000, (long)getpid());
	cv_service_init();
	assert_int_equal(cv_service_watchdog_usec(), 0);
	assert_int_equal(cv_service_ready(), 0);
	assert_int_equal(cv_service_status("x"), 0);
	cv_service_watchdog_ping();
	assert_int_equal(cv_service_stopping(), 0);
	assert_string_equal(next_msg(s), "");
}

static void test_socket_gone_is_an_error(void **state)
{
	struct notify_sock *s = *state;
	setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1);
	cv_service_init();
	assert_int_equal(cv_service_ready(), CV_EIO);
	(void)s;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ready_status_stopping, sock_setup, sock_teardown),
	    cmocka_unit_test_setup_teardown(test_status_is_cut, sock_setup, sock_teardown),
	    cmocka_unit_test_setup_teardown(test_no_watchdog_no_ping, sock_setup, sock_teardown),
	    cmocka_unit_test_setup_teardown(test_watchdog_pings_at_half_interval, sock_setup,
	                                    sock_teardown),
	    cmocka_unit_test_setup_teardown(test_watchdog_tiny_interval_pings_each_time, sock_setup,
	                                    sock_teardown),
	    cmocka_unit_test_setup_teardown(test_watchdog_of_another_process_ignored, sock_setup,
	                                    sock_teardown),
	    cmocka_unit_test_setup_teardown(test_not_under_systemd, sock_setup, sock_teardown),
	    cmocka_unit_test_setup_teardown(test_socket_gone_is_an_error, sock_setup,
	                                    sock_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
