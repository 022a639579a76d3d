/* SPDX-License-Identifier: MIT */
/* test_stackcounter.c -- tm_stack_counter_inc names the caller's stack.
 *
 * The counting runs in a forked child with a fresh store; the parent reads
 * the file back. Frame names and +N line offsets come from DWARF (the
 * build has -g); byte offsets are not checked. The two call sites must
 * give two distinct counters.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "counterparse.h"
#include "testutil.h"
#include "tmwatch/counter.h"

static char *store;

/* Non-static and noinline so .symtab names them and -O2 keeps frames. */
__attribute__((noinline)) void impossible_branch_a(void);
__attribute__((noinline)) void impossible_branch_b(void);
__attribute__((noinline)) void report_twice(void);

__attribute__((noinline)) void impossible_branch_a(void)
{
	tm_stack_counter_inc("test/bug");
	__asm__ volatile("" ::: "memory"); /* no tail call */
}

__attribute__((noinline)) void impossible_branch_b(void)
{
	tm_stack_counter_inc("test/bug");
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void report_twice(void)
{
	/* volatile: one call site, not an unrolled pair. */
	for (volatile int i = 0; i < 2; i++)
		impossible_branch_a();
	impossible_branch_b();
	__asm__ volatile("" ::: "memory");
}

static void counts_each_call_site_as_its_own_stack(void **state)
{
	struct tm__parsed_file pf;
	char *local, path[4096] = "", why[128];
	struct dirent *e;
	DIR *d;
	pid_t pid;
	int status, seen_a = 0, seen_b = 0;

	(void)state;
	store = tu_fresh_store("stackcounter");
	pid = fork();
	if (pid == 0) {
		report_twice();
		_exit(0);
	}
	assert_int_equal(tu_wait(pid, &status, 30000), 0);
	assert_int_equal(status, 0);
	local = tu_path(store, "local");
	d = opendir(local);
	assert_non_null(d);
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".v1.count"))
			snprintf(path, sizeof path, "%s/%s", local, e->d_name);
	closedir(d);
	assert_int_equal(tm__counterparse_path(path, &pf, why, sizeof why), 0);
	for (size_t i = 0; i < pf.ncounters; i++) {
		const char *n = pf.counters[i].name;

		if (strncmp(n, "test/bug\n", 9) != 0)
			continue;
		/* The first frame is the caller of tm_stack_counter_inc,
		 * then the function that called it. */
		if (strncmp(n + 9, "impossible_branch_a:+2,+0x", 26) == 0) {
			assert_non_null(strstr(n, "\nreport_twice:+4,+0x"));
			assert_int_equal(pf.counters[i].value, 2);
			seen_a++;
		} else if (strncmp(n + 9, "impossible_branch_b:+2,+0x",
				   26) == 0) {
			assert_int_equal(pf.counters[i].value, 1);
			seen_b++;
		} else {
			fail_msg("unexpected stack counter:\n%s", n);
		}
		/* Never a path or an address. */
		assert_null(strchr(n + 9, '/'));
	}
	assert_int_equal(seen_a, 1);
	assert_int_equal(seen_b, 1);
	tm__counterparse_free(&pf);
	free(local);
	tu_rmrf(store);
	free(store);
}

/* libcmocka has no debug info here, so naming its frame asks the debug
 * info finder; with DEBUGINFOD_URLS pointing at a listening socket of
 * ours, any debuginfod query would show up as a connection. */
static void stack_counters_never_query_debuginfod(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof a;
	char url[64], *cache;
	pid_t pid;
	int lfd, status;

	(void)state;
	store = tu_fresh_store("stackcounter-net");
	cache = tu_path(store, "debuginfod-cache");
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(lfd, 16), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(a.sin_port));
	pid = fork();
	if (pid == 0) {
		setenv("DEBUGINFOD_URLS", url, 1);
		setenv("DEBUGINFOD_CACHE_PATH", cache, 1);
		setenv("DEBUGINFOD_TIMEOUT", "2", 1);
		report_twice();
		_exit(0);
	}
	assert_int_equal(tu_wait(pid, &status, 60000), 0);
	assert_int_equal(status, 0);
	/* A query would have left a connection in the backlog. */
	assert_int_equal(accept(lfd, NULL, NULL), -1);
	close(lfd);
	tu_rmrf(store);
	free(cache);
	free(store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counts_each_call_site_as_its_own_stack),
		cmocka_unit_test(stack_counters_never_query_debuginfod),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
