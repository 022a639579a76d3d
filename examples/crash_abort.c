/* SPDX-License-Identifier: MIT */
/* crash_abort.c -- calls abort(): SIGABRT raised by the process itself. */
#include <stdlib.h>

__attribute__((noinline)) static void give_up(void)
{
	abort(); /* frame give_up:+2 */
}

int main(void)
{
	give_up(); /* frame main:+2 */
	return 0;
}
