/* SPDX-License-Identifier: MIT */
/* crash_null_funcptr.c -- calls through a NULL function pointer: the PC is
 * 0, outside every module; the caller is found from the return address. */
#include <stddef.h>

static void (*volatile hook)(void);

__attribute__((noinline)) static void call_hook(void)
{
	hook(); /* frame call_hook:+2 */
}

int main(void)
{
	call_hook(); /* frame main:+2 */
	return 0;
}
