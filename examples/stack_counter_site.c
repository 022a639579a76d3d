/* SPDX-License-Identifier: MIT */
/* stack_counter_site.c -- tm_stack_counter_inc at a known site, three
 * times from one stack: one counter "test/site" with frames inner_site,
 * outer_site, main (naming rule v2: nothing below main), read 3. Prints
 * whether libdw is mapped before the first stack counter and after it
 * ("libdw before 0 after 1"): a program linking libtmwatch loads the
 * symbolizer only when it counts a stack
 * (tests/scenarios/test_stackcounter_inproc.c). */
#include <stdio.h>
#include <string.h>

#include <tmwatch/tmwatch.h>

static int libdw_mapped(void)
{
	char line[4096];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strstr(line, "/libdw"))
			found = 1;
	fclose(f);
	return found;
}

__attribute__((noinline)) void inner_site(void);
__attribute__((noinline)) void outer_site(int n);

__attribute__((noinline)) void inner_site(void)
{
	tm_stack_counter_inc("test/site"); /* inner_site:+2 */
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void outer_site(int n)
{
	for (volatile int i = 0; i < n; i++)
		inner_site(); /* outer_site:+3 */
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	int before = libdw_mapped();

	outer_site(3); /* main:+4 */
	printf("libdw before %d after %d\n", before, libdw_mapped());
	return 0;
}
