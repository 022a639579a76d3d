/* SPDX-License-Identifier: MIT */
/* crash_strtok.c -- strtok_r(NULL, ..., &p) with p NULL: the fault is in
 * strtok_r itself, which the counter names (not its caller). */
#include <stdio.h>
#include <string.h>

__attribute__((noinline)) static char *next_word(char **save)
{
	return strtok_r(NULL, " ", save); /* frame next_word:+2 */
}

int main(void)
{
	char *save = NULL;

	puts(next_word(&save)); /* frame main:+4 */
	return 0;
}
