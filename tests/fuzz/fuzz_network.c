/* Fuzz target for the import-network file: any bytes give sorted, merged,
 * non-empty pairs with positive counts, or fail with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cv_error.h"
#include "cv_network_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cv_network net;
	char err[256];
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	int rc = cv_network_parse(text, size, &net, err, sizeof err);
	if (rc != 0) {
		check(rc == CV_EINVAL || rc == CV_ENOMEM);
		check(err[0] != '\0');
		check(net.edges == NULL && net.count == 0);
	} else {
		for (size_t i = 0; i < net.count; i++) {
			const struct cv_network_edge *e = &net.edges[i];
			check(e->a[0] && e->b[0] && strcmp(e->a, e->b) < 0 && e->count >= 1);
			if (i > 0) {
				int c = strcmp(net.edges[i - 1].a, e->a);
				check(c < 0 || (c == 0 && strcmp(net.edges[i - 1].b, e->b) < 0));
			}
		}
	}
	cv_network_free(&net);
	free(text);
	return 0;
}
