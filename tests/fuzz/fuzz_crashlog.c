/* SPDX-License-Identifier: MIT */
/* fuzz_crashlog.c -- libFuzzer target for the crash log reader of
 * `tmwatch crashes` (watchdog/commands/crashsummary.c, compiled into this
 * target directly: watchdog/ is on the include path). Any bytes give a
 * summary whose fields are NUL-terminated inside their buffers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commands/crashsummary.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crash_summary s;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	crashsummary_parse(text, &s);
	if (strnlen(s.program, sizeof s.program) == sizeof s.program ||
	    strnlen(s.version, sizeof s.version) == sizeof s.version ||
	    strnlen(s.sig, sizeof s.sig) == sizeof s.sig ||
	    strnlen(s.frame, sizeof s.frame) == sizeof s.frame)
		abort();
	free(text);
	return 0;
}
