/* SPDX-License-Identifier: MIT */
/* naming_parity.c -- one site named two ways: "count" counts crash/crash
 * with tm_stack_counter_inc from a qsort callback, "crash" calls a wild
 * pointer from the same call instruction (the watchdog names the caller
 * at the same return address). Library mode. By naming rule v2 both
 * names are one: the counter reads 2. */
#include <stdlib.h>
#include <string.h>

#include <tmwatch/tmwatch.h>

static void (*volatile site)(const char *);

static int compare(const void *a, const void *b)
{
	site("crash/crash"); /* frame compare:+2 */
	return *(const int *)a - *(const int *)b;
}

int main(int argc, char **argv)
{
	int v[2] = { 2, 1 };

	(void)tm_crash_monitor_start();
	site = argc > 1 && strcmp(argv[1], "crash") == 0 ?
		(void (*)(const char *))8 : tm_stack_counter_inc;
	qsort(v, 2, sizeof v[0], compare); /* frame main:+7 */
	return v[0] == 1 ? 0 : 1;
}
