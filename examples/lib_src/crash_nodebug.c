/* SPDX-License-Identifier: MIT */
/* crash_nodebug.c -- a library built without -g and stripped: its
 * static function has no name left (module-only frame), its exported
 * one only a .dynsym name (examples/crash_in_nodebug_lib.c).
 */
#include <stddef.h>

__attribute__((noinline)) static void hidden_write(volatile int *p)
{
	*p = 1;
}

__attribute__((visibility("default"), noinline))
void crash_nodebug_entry(volatile int *p);

void crash_nodebug_entry(volatile int *p)
{
	hidden_write(p);
	__asm__ volatile("" ::: "memory"); /* no tail call */
}
