/* The kiosk program: wires config, store, recorder, flow and UI, and runs
 * the SDL main loop until asked to stop. */
#ifndef CV_APP_H
#define CV_APP_H

#include <stdbool.h>

#include "cv_config.h"

struct cv_run_options {
	bool headless;
	const char *screenshot_dir; /* NULL: none */
	bool exit_when_done;        /* exit 0 once the script is done and the kiosk idle */
};

/* Runs the kiosk. Returns the process exit code (0 on a clean stop). */
int cv_app_run(const struct cv_config *cfg, const struct cv_run_options *opts);

#endif
