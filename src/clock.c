/* The clock adapter: boot id, monotonic and wall time, and whether the wall
 * clock can be trusted (the kernel's NTP state, or the configured policy). */
#include "cv_clock.h"

#include <stdio.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "cv_error.h"

static char clock_boot_id[CV_BOOT_ID_LEN] = "unknown";
static enum cv_clock_trust clock_trust = CV_CLOCK_TRUST_AUTO;

int cv_clock_init(enum cv_clock_trust trust)
{
	clock_trust = trust;
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
	if (!f)
		return CV_EIO;
	char line[64];
	int rc = CV_EIO;
	if (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strlen(line) == CV_BOOT_ID_LEN - 1) {
			memcpy(clock_boot_id, line, CV_BOOT_ID_LEN);
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t cv_clock_mono_ms(void)
{
	return clock_ms(CLOCK_BOOTTIME);
}

static bool wall_is_trusted(void)
{
	switch (clock_trust) {
	case CV_CLOCK_TRUST_ALWAYS: return true;
	case CV_CLOCK_TRUST_NEVER: return false;
	case CV_CLOCK_TRUST_AUTO: break;
	}
	/* The kernel clears STA_UNSYNC once an NTP client has disciplined the
	 * clock; a Pi without RTC and network keeps it set. */
	struct timex tx = {0};
	int state = adjtimex(&tx);
	return state != -1 && state != TIME_ERROR && !(tx.status & STA_UNSYNC);
}

struct cv_stamp cv_clock_stamp(void)
{
	struct cv_stamp s;
	memcpy(s.boot_id, clock_boot_id, CV_BOOT_ID_LEN);
	s.mono_ms = cv_clock_mono_ms();
	s.wall_ms = clock_ms(CLOCK_REALTIME);
	s.wall_trusted = wall_is_trusted();
	return s;
}

void cv_clock_local_date(int64_t wall_ms, char out[11])
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	if (!localtime_r(&t, &tm)) {
		snprintf(out, 11, "0000-00-00");
		return;
	}
	if (strftime(out, 11, "%Y-%m-%d", &tm) != 10)
		snprintf(out, 11, "0000-00-00");
}
