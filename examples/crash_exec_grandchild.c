/* SPDX-License-Identifier: MIT */
/* crash_exec_grandchild.c -- forks and execs crash_null_write (found next
 * to this program); that grandchild crashes under its own name. Exits with
 * 128 + the grandchild's signal. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	char self[PATH_MAX], prog[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;
	int st;
	pid_t pid;

	if (n <= 0)
		return 1;
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	snprintf(prog, sizeof(prog), "%s/crash_null_write", self);
	pid = fork();
	if (pid == 0) {
		execl(prog, "crash_null_write", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 1;
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}
