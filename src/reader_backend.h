/* The seam between cv_reader and its backends, after libnfc's driver
 * table: each operation is marked required or optional, and reader.c
 * answers CV_EUNSUPPORTED for a missing optional one. Private to src/. */
#ifndef CV_READER_BACKEND_H
#define CV_READER_BACKEND_H

#include "cv_reader.h"

struct cv_reader_ops {
	const char *name;
	/* required: allocate the backend's state into *impl */
	int (*open)(const struct cv_config *cfg, void **impl, char *err, size_t errlen);
	/* required: as cv_reader_next */
	int (*next)(void *impl, int timeout_ms, struct cv_reader_event *ev);
	/* required: as cv_reader_abort; any thread */
	void (*abort)(void *impl);
	/* optional: as cv_reader_inject_tap; any thread */
	int (*inject_tap)(void *impl, const char *uid_hex);
	/* required: free everything */
	void (*close)(void *impl);
};

extern const struct cv_reader_ops cv_reader_sim_ops;
extern const struct cv_reader_ops cv_reader_nfc_ops;

#endif
