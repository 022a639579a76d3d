/* SPDX-License-Identifier: MIT */
/* fuzz_counterfile.c -- libFuzzer target for the counter file reader,
 * tm__counterparse_buf (lib/counterparse.c).
 *
 * Each input is parsed as is, and again zero-padded to the next 16 KiB
 * multiple: the reader rejects anything shorter than one page, so the
 * padded copy lets small mutations reach the chain walk. A result must be
 * either a consistent file or TM_ECORRUPT with a reason; anything else
 * (or a crash, leak or hang under the sanitizers) is a finding. Seeds:
 * corpus/fuzz_counterfile/. Format: docs/counter-file.md.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "counterfile.h"
#include "counterparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *data, size_t size)
{
	struct tm__parsed_file pf;
	char why[128];
	int r = tm__counterparse_buf(data, size, &pf, why, sizeof(why));

	if (r == TM_ECORRUPT) {
		if (why[0] == '\0')
			abort(); /* every rejection names its reason */
		return;
	}
	if (r == -ENOMEM)
		return;
	if (r != 0)
		abort();
	for (size_t i = 0; i < pf.nmeta; i++) {
		if (!pf.meta_keys[i] || !pf.meta_values[i])
			abort();
	}
	for (size_t i = 0; i < pf.ncounters; i++) {
		const struct tm__parsed_counter *c = &pf.counters[i];

		if (!c->name || c->name[c->name_len] != '\0' ||
		    c->name_len == 0)
			abort();
	}
	(void)tm__parsed_meta(&pf, "Program");
	tm__counterparse_free(&pf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t padded = (size + TM__COUNTERFILE_PAGE) / TM__COUNTERFILE_PAGE *
			TM__COUNTERFILE_PAGE;
	uint8_t *copy;

	check(data, size);
	if (size % TM__COUNTERFILE_PAGE == 0 || padded > 4 * 16384)
		return 0;
	copy = calloc(1, padded);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	check(copy, padded);
	free(copy);
	return 0;
}
