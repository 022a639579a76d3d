/* SPDX-License-Identifier: MIT */
/* crash_late_thread.c -- a NULL write in a thread created after load; the
 * thread is named so the record carries its name. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stddef.h>

__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 7; /* frame write_null:+2 */
}

static void *run(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "late-worker");
	write_null(NULL); /* frame run:+4 */
	return NULL;
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, run, NULL) != 0)
		return 1;
	pthread_join(t, NULL);
	return 0;
}
