/* The clock adapter: every record carries enough to correct its wall time
 * later (boot id, monotonic time since boot, wall time, whether the wall
 * clock was trusted when it was read). */
#ifndef CV_CLOCK_H
#define CV_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define CV_BOOT_ID_LEN 37 /* 36 characters of a UUID and the terminator */

enum cv_clock_trust {
	CV_CLOCK_TRUST_AUTO,   /* trusted when the kernel says NTP has synced */
	CV_CLOCK_TRUST_ALWAYS, /* the board has a battery-backed RTC */
	CV_CLOCK_TRUST_NEVER,
};

struct cv_stamp {
	char boot_id[CV_BOOT_ID_LEN];
	int64_t mono_ms; /* CLOCK_BOOTTIME: counts suspend, never jumps */
	int64_t wall_ms; /* CLOCK_REALTIME, ms since the Unix epoch */
	bool wall_trusted;
};

/* Reads the boot id once. Call from main before any thread starts. */
int cv_clock_init(enum cv_clock_trust trust);

/* The current stamp. Any thread. */
struct cv_stamp cv_clock_stamp(void);

/* Monotonic milliseconds since boot. Any thread. */
int64_t cv_clock_mono_ms(void);

/* Local calendar date of a wall time, as "YYYY-MM-DD" into out[11]. */
void cv_clock_local_date(int64_t wall_ms, char out[11]);

#endif
