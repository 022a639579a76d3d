/* SPDX-License-Identifier: MIT */
/* fuzz_symcache.c -- libFuzzer target for the symbolization cache reader,
 * tm__symcache_find / tm__symcache_next (tool/symcache.c).
 *
 * The first 16 bytes of an input are the key looked up (module ident and
 * relative address, host order); the rest is the cache file's contents.
 * A hit must decode exactly the frames it announces, every string inside
 * the input; anything else (or a crash, leak or hang under the
 * sanitizers) is a finding. Seeds: corpus/fuzz_symcache/ (records made by
 * tm__symcache_encode, and broken ones). Format: docs/stack-counters.md.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(const uint8_t *base, size_t size, const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;

	return n == 0 || (p >= base && p + n <= base + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tm__symcache_hit hit;
	struct tm__symcache_frame f;
	uint64_t ident, rel;
	size_t seen = 0;

	if (size < 16)
		return 0;
	memcpy(&ident, data, 8);
	memcpy(&rel, data + 8, 8);
	if (tm__symcache_find(data + 16, size - 16, ident, rel, &hit) != 0)
		return 0;
	while (tm__symcache_next(&hit, &f) == 0) {
		if (++seen > hit.nframes)
			abort(); /* more frames than announced */
		if (!inside(data, size, f.function, f.function_len) ||
		    !inside(data, size, f.file, f.file_len) ||
		    !inside(data, size, f.debug_file, f.debug_file_len))
			abort(); /* a string outside the input */
	}
	if (seen != hit.nframes)
		abort(); /* fewer frames than announced */
	return 0;
}
