/* The sim reader's script: one event a line, '#' starts a comment.
 *   <delay_ms> tap <UID-hex>      present then remove
 *   <delay_ms> present <UID-hex>
 *   <delay_ms> remove
 *   <delay_ms> press <option-id>
 *   <delay_ms> touch <x> <y>
 * delay_ms counts from the previous event (0..86400000). A UID is 4, 7 or
 * 10 bytes in hex, with optional ':' or ' ' between bytes; an option-id is
 * 1..47 of [A-Za-z0-9_-]; x and y are 0..10000. Pure. */
#ifndef CV_SIMSCRIPT_H
#define CV_SIMSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "cv_badge.h"

enum cv_sim_kind { CV_SIM_TAP, CV_SIM_PRESENT, CV_SIM_REMOVE, CV_SIM_PRESS, CV_SIM_TOUCH };

#define CV_SIM_OPTION_MAX 48

struct cv_sim_step {
	int64_t delay_ms;
	enum cv_sim_kind kind;
	uint8_t uid[CV_UID_MAX]; /* tap, present */
	size_t uid_len;
	char option[CV_SIM_OPTION_MAX]; /* press */
	int x, y;                       /* touch */
	size_t line;
};

/* Parses a whole script. On success *steps (owned by the caller, free();
 * NULL when there are no steps) and *count are set and 0 is returned. On a bad line returns
 * CV_EINVAL with "line N: why" in err, and *steps NULL. */
int cv_simscript_parse(const char *text, size_t len, struct cv_sim_step **steps, size_t *count,
                       char *err, size_t errlen);

#endif
