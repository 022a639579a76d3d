/* SPDX-License-Identifier: MIT */
/* helper_storm.c -- a crash storm for the intake scenarios
 * (test_intake_load.c): forks N children that each build a stack of
 * DEPTH_KB KiB (recursion with 1 KiB frames), wait on one pipe and all
 * write through NULL the moment it closes. With "self" as the third
 * argument, the parent then writes through NULL too; with "first", the
 * parent writes through NULL at once and the children crash when it is
 * dead (their pipe closes with it); else it exits 0 when every child
 * died of SIGSEGV (1 otherwise).
 *
 * usage: helper_storm N DEPTH_KB [self|first]. Prints "go" on stdout
 * just before the children are released.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int go_fd;

__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 1; /* frame write_null:+2 */
}

/* Each level keeps 1 KiB on the stack, so the crash's stack copy (and
 * its record) is about DEPTH KiB. */
__attribute__((noinline)) static void deep(int depth)
{
	volatile char pad[1024];
	char c;

	memset((char *)pad, depth & 0xff, sizeof pad);
	if (depth > 0) {
		deep(depth - 1);
	} else {
		(void)!read(go_fd, &c, 1); /* returns at EOF */
		write_null(NULL);
	}
	pad[0] = 0; /* keeps the frame: not a tail call */
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;
	int depth = argc > 2 ? atoi(argv[2]) : 0, i, st, bad = 0;
	int self = argc > 3 && strcmp(argv[3], "self") == 0;
	int first = argc > 3 && strcmp(argv[3], "first") == 0;
	int go[2];

	if (n < 0 || n > 5000 || depth < 0 || depth > 240 || pipe(go) != 0)
		return 2;
	go_fd = go[0];
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 2;
		if (pid == 0) {
			close(go[1]);
			deep(depth);
			_exit(0);
		}
	}
	close(go[0]);
	printf("go\n");
	fflush(stdout);
	if (first)
		write_null(NULL); /* go[1] closes when we are dead */
	close(go[1]);
	for (i = 0; i < n; i++) {
		if (wait(&st) < 0 || !WIFSIGNALED(st) ||
		    WTERMSIG(st) != SIGSEGV)
			bad = 1;
	}
	if (self)
		write_null(NULL);
	return bad;
}
