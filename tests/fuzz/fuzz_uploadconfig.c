/* SPDX-License-Identifier: MIT */
/* fuzz_uploadconfig.c -- libFuzzer target for the upload config reader
 * (tool/uploadconfig.c). Any input is rejected with a reason or accepted;
 * an accepted config must answer every query without failing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tmwatch/common.h"
#include "uploadconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tm__upload_config c;
	char why[512];
	int rc;

	rc = tm__uploadconfig_parse((const char *)data, size, "fuzz.json", &c,
				    why, sizeof why);
	if (rc == TM_EBADCONFIG) {
		if (strncmp(why, "fuzz.json: ", 11))
			abort(); /* every error names the file */
		return 0;
	}
	if (rc)
		return 0;
	for (size_t i = 0; i < c.nprograms; i++) {
		const struct tm__uc_program *p = &c.programs[i];

		if (tm__uploadconfig_program(&c, p->name,
					     p->nversions ? p->versions[0] :
					     "") != p &&
		    !tm__uploadconfig_program(&c, p->name, p->nversions ?
					      p->versions[0] : ""))
			abort();
		for (size_t k = 0; k < p->ncounters; k++)
			if (!tm__uploadconfig_counter(p, p->counters[k].name))
				abort();
		for (size_t k = 0; k < p->nstacks; k++)
			if (!tm__uploadconfig_stack(p, p->stacks[k].name))
				abort();
		/* OwnModules: file name patterns only, bounded. */
		if (p->nown > TM__UC_MAX_OWN)
			abort();
		for (size_t k = 0; k < p->nown; k++)
			if (!p->own[k][0] || strchr(p->own[k], '/') ||
			    strlen(p->own[k]) > TM__UC_MAX_OWN_LEN)
				abort();
	}
	{
		struct tm__upload_configs cs = { .n = 1, .v = &c };
		const char *own[TM__UC_MAX_OWN];

		for (size_t i = 0; i < c.nprograms; i++)
			if (tm__uploadconfig_own_modules(&cs,
				c.programs[i].name, "", own,
				TM__UC_MAX_OWN) > TM__UC_MAX_OWN)
				abort();
	}
	if (!tm__uploadconfig_is_loopback_url(c.endpoint) &&
	    strncmp(c.endpoint, "https://", 8))
		abort();
	tm__uploadconfig_free(&c);
	return 0;
}
