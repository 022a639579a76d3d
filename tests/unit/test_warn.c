/* SPDX-License-Identifier: MIT */
/* test_warn.c -- the warn-once line: format, once per process across
 * threads, TMWATCH_QUIET. Each case runs in a child whose stderr is a pipe,
 * since the flag is process-wide and cannot be reset. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "warn.h"

/* Runs FN in a child with stderr on a pipe; returns what it wrote. The
 * child's own checks set its exit status, which must be 0. */
static char *stderr_of(int (*fn)(void))
{
	static char buf[8192];
	size_t len = 0;
	int p[2], status;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], STDERR_FILENO);
		close(p[1]);
		_exit(fn());
	}
	close(p[1]);
	for (;;) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		ssize_t n;

		if (poll(&pf, 1, 10000) != 1)
			fail_msg("child's stderr stayed open for 10 s");
		n = read(p[0], buf + len, sizeof buf - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(p[0]);
	buf[len] = '\0';
	assert_int_equal(tu_wait(pid, &status, 10000), 0);
	assert_string_equal(tu_describe_status(status), "exit 0");
	return buf;
}

static int warn_twice(void)
{
	unsetenv("TMWATCH_QUIET");
	tm__warn_once("cannot open '%s': %s; running '%s' without crash "
		      "reporting", "/x/mode", "permission denied", "clangd");
	tm__warn_once("second message %d", 2);
	return 0;
}

static void warn_once_prints_one_prefixed_line(void **state)
{
	assert_string_equal(stderr_of(warn_twice),
			    "tmwatch: cannot open '/x/mode': permission "
			    "denied; running 'clangd' without crash "
			    "reporting\n");
}

static int warn_quietly(void)
{
	setenv("TMWATCH_QUIET", "1", 1);
	tm__warn_once("should not appear");
	return 0;
}

static void warn_once_is_silent_under_tmwatch_quiet(void **state)
{
	assert_string_equal(stderr_of(warn_quietly), "");
}

static int warn_with_quiet_zero(void)
{
	setenv("TMWATCH_QUIET", "0", 1);
	tm__warn_once("loud");
	return 0;
}

static void warn_once_speaks_when_tmwatch_quiet_is_zero(void **state)
{
	assert_string_equal(stderr_of(warn_with_quiet_zero), "tmwatch: loud\n");
}

static void *racer(void *arg)
{
	tm__warn_once("thread %d", (int)(long)arg);
	return NULL;
}

static int warn_from_threads(void)
{
	pthread_t t[8];

	unsetenv("TMWATCH_QUIET");
	for (long i = 0; i < 8; i++)
		if (pthread_create(&t[i], NULL, racer, (void *)i) != 0)
			return 2;
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	return 0;
}

static void warn_once_prints_once_across_threads(void **state)
{
	const char *out = stderr_of(warn_from_threads);
	int n = -1;

	assert_int_equal(sscanf(out, "tmwatch: thread %d\n", &n), 1);
	assert_in_range(n, 0, 7);
	assert_int_equal(strlen(out), strlen("tmwatch: thread 0\n"));
}

static int warn_long(void)
{
	static char big[4000];

	unsetenv("TMWATCH_QUIET");
	memset(big, 'z', sizeof big - 1);
	errno = ERANGE;
	tm__warn_once("%s", big);
	return errno == ERANGE ? 0 : 3;	/* errno is preserved */
}

static void warn_once_cuts_long_text_and_keeps_errno(void **state)
{
	const char *out = stderr_of(warn_long);
	size_t n = strlen(out);

	assert_int_equal(n, 1023);
	assert_memory_equal(out, "tmwatch: zzz", 12);
	assert_int_equal(out[n - 1], '\n');
	assert_int_equal(out[n - 2], 'z');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(warn_once_prints_one_prefixed_line),
		cmocka_unit_test(warn_once_is_silent_under_tmwatch_quiet),
		cmocka_unit_test(warn_once_speaks_when_tmwatch_quiet_is_zero),
		cmocka_unit_test(warn_once_prints_once_across_threads),
		cmocka_unit_test(warn_once_cuts_long_text_and_keeps_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
