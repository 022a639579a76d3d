/* SPDX-License-Identifier: MIT */
/* count_events.c -- an instrumented tool: counts its own events with
 * libtmwatch (a plain counter, a hot-path handle, and a stack counter for
 * a condition that should never happen, like gopls/bug).
 *
 * usage: count_events [N]   handles N requests (default 3)
 */
#include <stdio.h>
#include <stdlib.h>

#include <tmwatch/tmwatch.h>

static struct tm_counter requests = TM_COUNTER_INIT("count_events/request");

static void handle(int i)
{
	tm_counter_handle_inc(&requests);
	if (i % 7 == 6)
		/* "Impossible": records where it happened. */
		tm_stack_counter_inc("count_events/bug");
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;

	tm_counter_inc("count_events/start");
	for (int i = 0; i < n; i++)
		handle(i);
	printf("handled %d requests\n", n);
	return 0;
}
