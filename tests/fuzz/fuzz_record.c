/* SPDX-License-Identifier: MIT */
/* fuzz_record.c -- libFuzzer target for the crash record validator
 * (watchdog/record.c): any bytes a crashing child may send.
 *
 * record.c belongs to the tmwatch executable, not to libtmwatch, so it is
 * compiled into this target directly (watchdog/ is on the include path).
 * Checks beyond "no crash": an accepted record's stack lies inside the
 * input, and its strings are terminated within their fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct record rec;
	const char *why = NULL;

	if (record_parse(data, size, &rec, &why) != 0) {
		if (!why)
			abort(); /* every rejection names its reason */
		return 0;
	}
	if (rec.stack_len &&
	    (rec.stack < data || rec.stack + rec.stack_len > data + size))
		abort();
	if (strlen(rec.exe) > TM_RECORD_EXE_MAX ||
	    strlen(rec.abort_msg) > TM_RECORD_ABORT_MAX ||
	    strlen(rec.thread_name) > 16)
		abort();
	return 0;
}
