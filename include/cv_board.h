/* Board profiles: board/NAME.ini files in the config format that set what a
 * board, reader and display combination needs (reader connstring and
 * polling, screen size and rotation). A profile sits under the kiosk's own
 * config: defaults, then the profile, then the config file, so any key the
 * config file sets wins. */
#ifndef CV_BOARD_H
#define CV_BOARD_H

#include <stddef.h>

#include "cv_config.h"

/* Finds the profile file for name, looking in order in $CONVENE_BOARD_DIR,
 * /etc/convene/board, the installed share/convene/board and the source
 * tree's board/. name must be lower-case letters, digits and '-'. Writes the
 * path into path. Returns 0, CV_EINVAL for a bad name, CV_ENOTFOUND, or
 * CV_ETOOBIG when path is too small. */
int cv_board_find(const char *name, char *path, size_t pathlen);

/* Applies the profile name on top of what cfg holds (through
 * cv_config_parse) and sets cfg->board. Returns 0 or a CV_E* code with a
 * message naming the profile (and its line) in err. */
int cv_board_load(const char *name, struct cv_config *cfg, char *err, size_t errlen);

/* The whole start-up order in one call: cfg gets the defaults, then the
 * board profile, then text (the config file's contents, from filename;
 * text may be NULL for none). The profile is board when not NULL (the
 * command line's --board), else the config's [kiosk] board, else none.
 * Returns 0 or a CV_E* code with the message in err. */
int cv_board_configure(const char *board, const char *text, const char *filename,
                       struct cv_config *cfg, char *err, size_t errlen);

/* The profile's caveats (its "; - " comment lines: wiring switches, bus
 * limits, what must not hold the device), one per line without the "; - ",
 * into buf, for `convene reader-check` to name likely faults. Returns 0,
 * CV_EINVAL, CV_ENOTFOUND, CV_EIO, or CV_ETOOBIG when buf was too small
 * (buf then holds the whole lines that fitted). */
int cv_board_notes(const char *name, char *buf, size_t len);

#endif
