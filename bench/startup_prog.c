/* SPDX-License-Identifier: MIT */
/* startup_prog.c -- the program bench_startup.c starts, built several
 * ways (bench/CMakeLists.txt): startup_bare (no libtmwatch),
 * startup_linked (links libtmwatch.so, never calls it at run time),
 * startup_count (counts one event), startup_stack (times its first and
 * later tm_stack_counter_inc calls and prints them in nanoseconds), the
 * same with libtmwatch.a (startup_linked_a, startup_count_a), and
 * startup_emptylib (links an empty shared library: the loader's floor
 * for any library). */
#include <stdio.h>
#include <time.h>

#if STARTUP_MODE != 0 && STARTUP_MODE != 4
#include <tmwatch/tmwatch.h>
#else
int startup_empty(void);
#endif

#if STARTUP_MODE == 3
static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

__attribute__((noinline)) static void site(void)
{
	tm_stack_counter_inc("bench/site");
	__asm__ volatile("" ::: "memory");
}
#endif

int main(int argc, char **argv)
{
	(void)argv;
#if STARTUP_MODE == 4
	if (argc > 1000)
		return startup_empty();
#elif STARTUP_MODE == 1
	/* Never true: the program links and binds libtmwatch, never calls. */
	if (argc > 1000)
		tm_counter_inc("bench/never");
#elif STARTUP_MODE == 2
	tm_counter_inc("bench/start");
#elif STARTUP_MODE == 3
	{
		long long t0 = now_ns(), t1, t2;

		site();
		t1 = now_ns();
		for (int i = 0; i < 5000; i++)
			site();
		t2 = now_ns();
		printf("%lld %lld\n", t1 - t0, (t2 - t1) / 5000);
	}
#endif
	return argc > 1000;
}
