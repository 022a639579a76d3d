/* SPDX-License-Identifier: MIT */
/* test_jobcontrol.c -- an interactive bash on a pseudo-terminal runs a
 * program under tmwatch: Ctrl-Z stops the job, fg resumes it, Ctrl-C is
 * delivered to the program exactly once, the program reads the terminal
 * (it is in the foreground group), and $? is the program's; a crash
 * gets the shell's usual "Segmentation fault" and status 139. Ctrl-C also
 * reaches a program that moved to a process group of its own (timeout).
 *
 * Every wait reads the pty with a deadline and fails naming what it
 * waited for, with the whole transcript.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#define STEP_TIMEOUT_MS 10000

struct term {
	int fd;
	pid_t pid;
	char log[65536];
	size_t len, seen;	/* seen: where the next expect starts */
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void expect(struct term *t, const char *what)
{
	long deadline = now_ms() + STEP_TIMEOUT_MS;
	char *hit;

	for (;;) {
		struct pollfd p = { t->fd, POLLIN, 0 };
		long left;
		ssize_t n;

		t->log[t->len] = '\0';
		hit = strstr(t->log + t->seen, what);
		if (hit) {
			t->seen = (size_t)(hit - t->log) + strlen(what);
			return;
		}
		left = deadline - now_ms();
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		n = read(t->fd, t->log + t->len, sizeof(t->log) - 1 - t->len);
		if (n <= 0)
			break;
		t->len += (size_t)n;
	}
	fail_msg("no '%s' on the terminal within %d ms; transcript:\n%s",
		 what, STEP_TIMEOUT_MS, t->log);
}

static void type(struct term *t, const char *s)
{
	assert_int_equal(write(t->fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void ctrl_z_fg_and_ctrl_c_work_once_misc(void **state)
{
	static struct term t;
	char cmd[4096];
	int st;

	(void)state;
	t.pid = forkpty(&t.fd, NULL, NULL, NULL);
	assert_true(t.pid >= 0);
	if (t.pid == 0) {
		setenv("PS1", "PROMPT> ", 1);
		setenv("TERM", "dumb", 1);
		execlp("bash", "bash", "--norc", "--noprofile", "-i",
		       (char *)NULL);
		_exit(127);
	}
	expect(&t, "PROMPT> ");
	snprintf(cmd, sizeof(cmd), "'%s' '%s/signal_counter'\n",
		 getenv("TMWATCH_BIN"), getenv("TMWATCH_EXAMPLES"));
	type(&t, cmd);
	expect(&t, "ready");
	type(&t, "\x1a"); /* Ctrl-Z */
	expect(&t, "Stopped");
	expect(&t, "PROMPT> ");
	type(&t, "fg\n");
	expect(&t, "got cont");
	type(&t, "\x03"); /* Ctrl-C */
	expect(&t, "got int");
	type(&t, "q\n");
	expect(&t, "ints=1");
	expect(&t, "PROMPT> ");
	type(&t, "echo rc=$?\n");
	expect(&t, "rc=0");
	/* The shell's own report of a crash is unchanged. */
	snprintf(cmd, sizeof(cmd), "'%s' '%s/crash_null_write'\n",
		 getenv("TMWATCH_BIN"), getenv("TMWATCH_EXAMPLES"));
	type(&t, cmd);
	expect(&t, "Segmentation fault");
	expect(&t, "PROMPT> ");
	type(&t, "echo rc=$?\n");
	expect(&t, "rc=139");
	type(&t, "exit\n");
	assert_int_equal(tu_wait(t.pid, &st, STEP_TIMEOUT_MS), 0);
	close(t.fd);
}

/* A program that moves itself to a process group of its own, as
 * timeout(1) does (Python here: timeout itself sometimes misses a Ctrl-C
 * typed right after its command printed, bare as well), is not in the
 * terminal's foreground group (tmwatch's is): Ctrl-C reaches only
 * tmwatch, which must pass it on. Bare and under tmwatch, the shell must
 * report the same status. */
static void ctrl_c_reaches_a_program_in_its_own_group_misc(void **state)
{
	static struct term t;
	char cmd[4096], rc_bare[32];
	const char *p;
	int st, round;

	(void)state;
	t.pid = forkpty(&t.fd, NULL, NULL, NULL);
	assert_true(t.pid >= 0);
	if (t.pid == 0) {
		setenv("PS1", "PROMPT> ", 1);
		setenv("TERM", "dumb", 1);
		execlp("bash", "bash", "--norc", "--noprofile", "-i",
		       (char *)NULL);
		_exit(127);
	}
	expect(&t, "PROMPT> ");
	for (round = 0; round < 2; round++) {
		snprintf(cmd, sizeof(cmd), "%s%s%spython3 -c 'import os, "
			 "time; os.setpgid(0, 0); print(\"re\" + \"ady\", "
			 "flush=True); time.sleep(50)'\n",
			 round ? "'" : "", round ? getenv("TMWATCH_BIN") : "",
			 round ? "' " : "");
		type(&t, cmd);
		expect(&t, "ready");
		type(&t, "\x03"); /* Ctrl-C */
		expect(&t, "PROMPT> ");
		type(&t, "echo \"r\"\"c=$?.\"\n");
		expect(&t, "rc=");
		p = t.log + t.seen;
		expect(&t, ".");
		if (round == 0) {
			snprintf(rc_bare, sizeof(rc_bare), "rc=%.*s",
				 (int)(t.log + t.seen - p), p);
			assert_string_equal(rc_bare, "rc=130.");
		} else {
			char rc[32];

			snprintf(rc, sizeof(rc), "rc=%.*s",
				 (int)(t.log + t.seen - p), p);
			if (strcmp(rc, rc_bare) != 0)
				fail_msg("under tmwatch '%s', bare '%s'; "
					 "transcript:\n%s", rc, rc_bare, t.log);
		}
		expect(&t, "PROMPT> ");
	}
	type(&t, "exit\n");
	assert_int_equal(tu_wait(t.pid, &st, STEP_TIMEOUT_MS), 0);
	close(t.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ctrl_z_fg_and_ctrl_c_work_once_misc),
		cmocka_unit_test(
			ctrl_c_reaches_a_program_in_its_own_group_misc),
	};

	if (!getenv("TMWATCH_BIN") || !getenv("TMWATCH_EXAMPLES")) {
		fprintf(stderr, "test_jobcontrol: run under ctest\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
