/* SPDX-License-Identifier: MIT */
/* bench_handler_chain.c -- what a program's own crash-signal handler costs
 * per delivery under the shim, which runs it (capture_handler.c: the
 * stack it belongs on, the delivery it handles kept in the thread's
 * state). A worker (this binary, "worker N") installs a SIGTRAP handler
 * and executes N breakpoints, each resumed by the handler (x86-64: int3
 * leaves the PC after it; AArch64: brk, the handler steps over it), and
 * prints the nanoseconds per trap. Run bare, under `tmwatch -q` (the
 * shim found as tmwatch finds it, or TMWATCH_SHIM), and, given a second
 * shim, under tmwatch with that one: medians of RUNS interleaved runs,
 * each as a ratio against bare.
 *
 * usage: bench_handler_chain [RUNS [TRAPS [OTHER_SHIM]]]; finds tmwatch via
 * TMWATCH_BIN or ../bin/tmwatch next to this binary.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void on_trap(int sig, siginfo_t *info, void *ucv)
{
	(void)sig;
	(void)info;
#if defined(__aarch64__)
	((ucontext_t *)ucv)->uc_mcontext.pc += 4;
#else
	(void)ucv;
#endif
}

static int worker(long traps)
{
	struct sigaction sa;
	double t0;
	long i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGTRAP, &sa, NULL) != 0)
		return 2;
	t0 = now_ns();
	for (i = 0; i < traps; i++) {
#if defined(__x86_64__)
		__asm__ volatile("int3" ::: "memory");
#elif defined(__aarch64__)
		__asm__ volatile("brk #0" ::: "memory");
#endif
	}
	printf("%.1f\n", (now_ns() - t0) / (double)traps);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

/* Runs CMD (a shell line) and reads the worker's figure; exits loudly
 * when it gives none. */
static double run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	double ns = -1;

	if (!p || fscanf(p, "%lf", &ns) != 1 || pclose(p) != 0 || ns <= 0) {
		fprintf(stderr, "bench_handler_chain: '%s' gave no figure; "
			"check that tmwatch and the shim are built\n", cmd);
		exit(1);
	}
	return ns;
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], tmwatch[PATH_MAX + 16], store[] =
		"/tmp/bench-chain-XXXXXX";
	char bare[2 * PATH_MAX], shim[4 * PATH_MAX], other[5 * PATH_MAX];
	const char *env = getenv("TMWATCH_BIN");
	int runs, i;
	long traps;
	double *b, *s, *o;
	ssize_t n;

	if (argc > 2 && strcmp(argv[1], "worker") == 0)
		return worker(atol(argv[2]));
	runs = argc > 1 ? atoi(argv[1]) : 9;
	traps = argc > 2 ? atol(argv[2]) : 200000;
	if (runs < 1 || traps < 1) {
		fprintf(stderr, "usage: bench_handler_chain [RUNS [TRAPS "
			"[OTHER_SHIM]]]\n");
		return 2;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || !mkdtemp(store))
		return 1;
	self[n] = '\0';
	if (env && *env)
		snprintf(tmwatch, sizeof(tmwatch), "%s", env);
	else
		snprintf(tmwatch, sizeof(tmwatch), "%.*s/../bin/tmwatch",
			 (int)(strrchr(self, '/') - self), self);
	snprintf(bare, sizeof(bare), "'%s' worker %ld", self, traps);
	snprintf(shim, sizeof(shim),
		 "TMWATCH_DIR=%s XDG_STATE_HOME=%s '%s' -q '%s' worker %ld",
		 store, store, tmwatch, self, traps);
	if (argc > 3)
		snprintf(other, sizeof(other), "TMWATCH_SHIM='%s' %s",
			 argv[3], shim);
	b = calloc((size_t)runs, sizeof(*b));
	s = calloc((size_t)runs, sizeof(*s));
	o = calloc((size_t)runs, sizeof(*o));
	if (!b || !s || !o)
		return 1;
	for (i = 0; i < runs; i++) {
		b[i] = run(bare);
		s[i] = run(shim);
		if (argc > 3)
			o[i] = run(other);
	}
	printf("handler chain: %ld traps x %d runs, median ns per trap\n",
	       traps, runs);
	printf("  bare                 %8.1f\n", median(b, runs));
	printf("  under tmwatch        %8.1f  (%.2fx bare)\n", median(s, runs),
	       median(s, runs) / median(b, runs));
	if (argc > 3)
		printf("  with %s %8.1f  (%.2fx bare)\n", argv[3],
		       median(o, runs), median(o, runs) / median(b, runs));
	snprintf(other, sizeof(other), "rm -rf '%s'", store);
	return system(other) == 0 ? 0 : 1;
}
