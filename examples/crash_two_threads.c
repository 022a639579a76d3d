/* SPDX-License-Identifier: MIT */
/* crash_two_threads.c -- two threads released by one barrier write through
 * NULL at the same moment: exactly one record, one death. */
#include <pthread.h>
#include <stddef.h>

static pthread_barrier_t go;

__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 1; /* frame write_null:+2 */
}

static void *run(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&go);
	write_null(NULL); /* frame run:+4 */
	return NULL;
}

int main(void)
{
	pthread_t a, b;

	pthread_barrier_init(&go, NULL, 2);
	if (pthread_create(&a, NULL, run, NULL) != 0 ||
	    pthread_create(&b, NULL, run, NULL) != 0)
		return 1;
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return 0;
}
