/* SPDX-License-Identifier: MIT */
/* crash_abort_after_handler.c -- abort() after a SIGABRT handler that
 * returns ("returns", the default) or with SIGABRT ignored ("ignored"):
 * glibc resets SIGABRT itself and raises it again, so the process dies of
 * SIGABRT. "raise" raises SIGABRT with the returning handler instead and
 * goes on: "survived", exit 0. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_abrt(int sig)
{
	static const char line[] = "handler returns\n";

	(void)sig;
	(void)!write(1, line, sizeof(line) - 1);
}

__attribute__((noinline)) static void give_up(void)
{
	abort(); /* frame give_up:+2 */
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "returns";
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = strcmp(how, "ignored") == 0 ? SIG_IGN : on_abrt;
	sigaction(SIGABRT, &sa, NULL);
	if (strcmp(how, "raise") == 0) {
		raise(SIGABRT);
		printf("survived\n");
		return 0;
	}
	give_up(); /* frame main:+13 */
	return 0;
}
