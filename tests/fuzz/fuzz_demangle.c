/* SPDX-License-Identifier: MIT */
/* fuzz_demangle.c -- libFuzzer target for frame names from symbols,
 * tm__demangle_name (tool/demangle.c): Rust legacy and v0 symbols, Go
 * generic shapes and C++ names come from the symbol tables of any
 * binary a crashed process mapped, so they are untrusted.
 *
 * The input is one symbol name (cut at its first NUL). The output must be
 * NUL-terminated inside its buffer, shorter than the buffer, and a name
 * asked for twice must come out the same (no state); anything else (or a
 * crash, leak or hang under the sanitizers) is a finding. Seeds:
 * corpus/fuzz_demangle/ (real rustc, g++ and Go symbols, and broken
 * ones).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "demangle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *raw = malloc(size + 1), a[512], b[512];
	int ra, rb;

	if (!raw)
		return 0;
	memcpy(raw, data, size);
	raw[size] = 0;
	memset(a, 0x55, sizeof a);
	ra = tm__demangle_name(raw, a, sizeof a);
	rb = tm__demangle_name(raw, b, sizeof b);
	if (!memchr(a, 0, sizeof a) || ra != rb || strcmp(a, b) != 0 ||
	    (ra >= 0 && (size_t)ra != strlen(a)) ||
	    (ra < 0 && ra != -ENAMETOOLONG))
		abort();
	free(raw);
	return 0;
}
