/* Fuzz target for the configuration parser: any bytes, NUL-terminated as
 * the caller's file reader does, must parse or fail with a message that
 * names the file, and a success must leave every key in its range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cv_config.h"
#include "cv_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cv_config cfg;
	char err[256];
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	cv_config_defaults(&cfg);
	int rc = cv_config_parse(text, "fuzz.conf", &cfg, err, sizeof err);
	check(memchr(err, '\0', sizeof err) != NULL);
	if (rc != 0) {
		check(rc == CV_EINVAL || rc == CV_ENOMEM);
		check(strncmp(err, "fuzz.conf:", 10) == 0);
	} else {
		check(err[0] == '\0');
		check(cfg.kiosk_id[0] && cfg.zone[0] && cfg.store_path[0]);
		check(cfg.display_width >= 240 && cfg.display_width <= 7680);
		check(cfg.display_height >= 240 && cfg.display_height <= 4320);
		check(cfg.display_rotation % 90 == 0 && cfg.display_rotation <= 270);
		check(cfg.reader_modulations != 0);
		check(cfg.pair_window_ms >= 1000 && cfg.pair_window_ms <= 60000);
		check(cfg.debounce_ms >= 0 && cfg.debounce_ms <= 10000);
		check(cfg.prompt_timeout_ms >= 2000 && cfg.prompt_timeout_ms <= 120000);
		check(cfg.message_ms >= 500 && cfg.message_ms <= 30000);
		check(memchr(cfg.kiosk_name, '\0', sizeof cfg.kiosk_name) != NULL);
		check(memchr(cfg.sync_url, '\0', sizeof cfg.sync_url) != NULL);
	}
	check(strcmp(cfg.source, "fuzz.conf") == 0);
	free(text);
	return 0;
}
