/* SPDX-License-Identifier: MIT */
/* crash_storm.c -- forks N children (default 20) that wait on one pipe and
 * all write through NULL the moment it closes. Exits 0 when every child
 * died of SIGSEGV, else 1. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 20; /* frame write_null:+2 */
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20, i, st, bad = 0;
	int go[2];
	char c;

	if (n <= 0 || n > 1000 || pipe(go) != 0)
		return 2;
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 2;
		if (pid == 0) {
			close(go[1]);
			(void)!read(go[0], &c, 1); /* returns at EOF */
			write_null(NULL); /* frame main:+16 */
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]);
	for (i = 0; i < n; i++) {
		if (wait(&st) < 0 || !WIFSIGNALED(st) ||
		    WTERMSIG(st) != 11)
			bad = 1;
	}
	return bad;
}
