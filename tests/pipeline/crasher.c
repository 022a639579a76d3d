/* SPDX-License-Identifier: MIT */
/* crasher.c -- crashes in a chosen way for the pipeline tests.
 *
 * Built twice: -O0 -g (pipeline_crasher) and -O2 -g (pipeline_crasher_o2).
 * Usage: crasher SCENARIO [ARGS...]; fds 3/4 as crasher_record.h says.
 * The comment on each crashing or calling line is the frame it must
 * produce: FUNCTION:+N where N = line - the line that declares the function.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "crasher_record.h"

void crashlib_crash(int how);
void level2(int x);
void level1(int x);
void outer_of_inline(int x);
void call_null(void);
void recurse(int n);
void give_up(void);

typedef void (*fn_ptr)(void);
volatile fn_ptr null_fn;
volatile int *volatile null_ptr;

__attribute__((noinline)) void level2(int x)
{
	null_ptr[x] = 1; /* level2:+2 */
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void level1(int x)
{
	level2(x + 0); /* level1:+2 */
	__asm__ volatile("" ::: "memory");
}

static inline __attribute__((always_inline)) void inner_inline(int x)
{
	null_ptr[x] = 2; /* inner_inline:+2 */
}

__attribute__((noinline)) void outer_of_inline(int x)
{
	inner_inline(x); /* outer_of_inline:+2 */
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void call_null(void)
{
	null_fn(); /* call_null:+2 */
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void recurse(int n)
{
	if (n == 0)
		null_ptr[0] = 3; /* recurse:+3 */
	else
		recurse(n - 1); /* recurse:+5 */
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void give_up(void)
{
	abort(); /* give_up:+2 */
}

static void wait_for_go(void)
{
	char go;

	/* Tell the test we run (exec is done), then wait for its word. */
	(void)write(CRASHER_RECORD_FD, "R", 1);
	(void)read(CRASHER_GO_FD, &go, 1);
}

int main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : "segv";
	const char *secret = argc > 2 ? argv[2] : NULL;

	crasher_install(secret);
	if (secret)
		prctl(PR_SET_NAME, secret);
	if (strcmp(s, "segv") == 0)
		level1(0); /* main:+9 */
	else if (strcmp(s, "late") == 0) {
		wait_for_go();
		level1(1); /* main:+12 */
	} else if (strcmp(s, "inline") == 0)
		outer_of_inline(0); /* main:+14 */
	else if (strcmp(s, "nullfn") == 0)
		call_null(); /* main:+16 */
	else if (strcmp(s, "recurse") == 0)
		recurse(argc > 2 ? atoi(argv[2]) : 1000); /* main:+18 */
	else if (strcmp(s, "abort") == 0)
		give_up(); /* main:+20 */
	else if (strcmp(s, "lib") == 0)
		crashlib_crash(0); /* main:+22 */
	else if (strcmp(s, "dlopen") == 0) {
		void *h = dlopen(argv[2], RTLD_NOW);
		void (*f)(int) = h ? (void (*)(int))dlsym(h, "dl_crash") :
			NULL;

		if (f)
			f(argc > 3 ? atoi(argv[3]) : 1);
	}
	return 1;
}
