/* `convene demo`: a generated roster and a scripted tour on the sim reader,
 * in a window where a display exists, else headless with screenshots. */
#ifndef CV_DEMO_H
#define CV_DEMO_H

#include "cv_config.h"

/* argv[0] is "demo". Returns the process exit code. */
int cv_demo_main(const struct cv_config *base, int argc, char **argv);

#endif
