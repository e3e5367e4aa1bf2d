/* Fuzz target for the sim reader's script parser: any bytes must give steps
 * within the grammar's bounds, or a "line N: " message and no steps. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cv_error.h"
#include "cv_simscript.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cv_sim_step *steps = NULL;
	size_t count = 0;
	char err[256];

	/* A copy of exactly size bytes, so a read past the end is caught. */
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	int rc = cv_simscript_parse(text, size, &steps, &count, err, sizeof err);
	check(memchr(err, '\0', sizeof err) != NULL);
	if (rc != 0) {
		check(rc == CV_EINVAL || rc == CV_ENOMEM);
		check(steps == NULL && count == 0);
		check(strncmp(err, "line ", 5) == 0);
	} else {
		size_t last_line = 0;
		check(count == 0 || steps != NULL);
		for (size_t i = 0; i < count; i++) {
			const struct cv_sim_step *s = &steps[i];
			check(s->delay_ms >= 0 && s->delay_ms <= 86400000);
			check(s->line > last_line);
			last_line = s->line;
			switch (s->kind) {
			case CV_SIM_TAP:
			case CV_SIM_PRESENT:
				check(s->uid_len == 4 || s->uid_len == 7 || s->uid_len == 10);
				break;
			case CV_SIM_PRESS:
				check(s->option[0] && strlen(s->option) < CV_SIM_OPTION_MAX);
				break;
			case CV_SIM_TOUCH:
				check(s->x >= 0 && s->x <= 10000 && s->y >= 0 && s->y <= 10000);
				break;
			case CV_SIM_REMOVE: break;
			default: check(0);
			}
		}
	}
	free(steps);
	free(text);
	return 0;
}
