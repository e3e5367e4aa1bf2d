/* The reader interface over its backends (reader_backend.h). */
#include "cv_reader.h"

#include <stdio.h>
#include <stdlib.h>

#include "cv_error.h"
#include "reader_backend.h"

struct cv_reader {
	const struct cv_reader_ops *ops;
	void *impl;
};

int cv_reader_open(const struct cv_config *cfg, struct cv_reader **out, char *err, size_t errlen)
{
	*out = NULL;
	const struct cv_reader_ops *ops = NULL;
	switch (cfg->reader_driver) {
	case CV_READER_DRIVER_SIM: ops = &cv_reader_sim_ops; break;
	case CV_READER_DRIVER_NFC: ops = &cv_reader_nfc_ops; break;
	}
	if (!ops) {
		snprintf(err, errlen, "unknown reader driver");
		return CV_EINVAL;
	}
	struct cv_reader *r = calloc(1, sizeof *r);
	if (!r)
		return CV_ENOMEM;
	r->ops = ops;
	int rc = ops->open(cfg, &r->impl, err, errlen);
	if (rc != 0) {
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int cv_reader_next(struct cv_reader *reader, int timeout_ms, struct cv_reader_event *ev)
{
	return reader->ops->next(reader->impl, timeout_ms, ev);
}

void cv_reader_abort(struct cv_reader *reader)
{
	reader->ops->abort(reader->impl);
}

int cv_reader_inject_tap(struct cv_reader *reader, const char *uid_hex)
{
	if (!reader->ops->inject_tap)
		return CV_EUNSUPPORTED;
	return reader->ops->inject_tap(reader->impl, uid_hex);
}

const char *cv_reader_name(const struct cv_reader *reader)
{
	return reader->ops->name;
}

void cv_reader_close(struct cv_reader *reader)
{
	if (!reader)
		return;
	reader->ops->close(reader->impl);
	free(reader);
}
