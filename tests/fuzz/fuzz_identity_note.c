/* SPDX-License-Identifier: MIT */
/* fuzz_identity_note.c -- libFuzzer target for the FDO package note's
 * JSON, tm__identity_note_version (lib/identity.c): the note comes from
 * the ELF file of any program the watchdog counts, and from the program
 * itself in-process, so it is untrusted.
 *
 * The input is the note's description bytes. The output must be
 * NUL-terminated inside its buffer, its length what the function
 * returned, the same when asked twice, and never longer than a smaller
 * buffer allows; anything else (or a crash, leak or hang under the
 * sanitizers) is a finding. Seeds: corpus/fuzz_identity_note/ (real
 * notes, escapes, nesting, broken documents).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char a[128], b[128], small[8];
	long ra, rb, rs;

	memset(a, 0x55, sizeof a);
	ra = tm__identity_note_version((const char *)data, size, a, sizeof a);
	rb = tm__identity_note_version((const char *)data, size, b, sizeof b);
	rs = tm__identity_note_version((const char *)data, size, small,
				       sizeof small);
	if (!memchr(a, 0, sizeof a) || ra != rb || strcmp(a, b) != 0 ||
	    ra < -1 || (ra >= 0 && (size_t)ra != strlen(a)) ||
	    (ra < 0 && a[0]) || (ra < 0) != (rs < 0) ||
	    strlen(small) >= sizeof small || strncmp(a, small, strlen(small)))
		abort();
	return 0;
}
