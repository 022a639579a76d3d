/* SPDX-License-Identifier: MIT */
/* crash_fork_child.c -- a forked child writes through NULL; the parent
 * reports how it died and exits with 128 + the signal. */
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 3; /* frame write_null:+2 */
}

int main(void)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		write_null(NULL); /* frame main:+6 */
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 1;
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}
