/* SPDX-License-Identifier: MIT */
/* helper_ownmod_prog.c -- ownmod_prog: calls into libownmod.so, found
 * through LD_LIBRARY_PATH only (no RUNPATH names its directory), so the
 * library counts as a system library unless an upload config names it
 * in OwnModules (test_own_modules.c). "crash" crashes inside the
 * library; "count" counts the stack test/ownmod three times there. */
#include <string.h>

void ownmod_crash(volatile int *p);
void ownmod_count(void);

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "count") == 0) {
		for (volatile int i = 0; i < 3; i++)
			ownmod_count(); /* main:+4 */
		return 0;
	}
	ownmod_crash((volatile int *)0); /* main:+7 */
	return 0;
}
