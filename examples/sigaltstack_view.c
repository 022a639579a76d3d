/* SPDX-License-Identifier: MIT */
/* sigaltstack_view.c -- prints what sigaltstack(2) answers to a series of
 * calls: none set, its own set, bad flags (EINVAL), too small (ENOMEM),
 * inside SA_ONSTACK handlers of SIGUSR1 and of a raised SIGSEGV (on it,
 * and EPERM to change it), disabled again, and in a new thread. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALT (64 * 1024)

static char *alt;
static char in_handler[2][64];

static const char *view(void)
{
	static char buf[64];
	stack_t ss;

	if (sigaltstack(NULL, &ss) != 0)
		return "error";
	if (ss.ss_flags & SS_DISABLE)
		return "disabled";
	snprintf(buf, sizeof(buf), "%s, %zu bytes%s",
		 (char *)ss.ss_sp == alt ? "own" : "other", ss.ss_size,
		 (ss.ss_flags & SS_ONSTACK) ? ", on it" : "");
	return buf;
}

static const char *result(int r)
{
	if (r == 0)
		return "ok";
	return errno == EINVAL ? "EINVAL" : errno == ENOMEM ? "ENOMEM"
		: errno == EPERM ? "EPERM" : "other error";
}

static void on_signal(int sig)
{
	stack_t ss = { .ss_size = ALT };
	int i = sig == SIGSEGV;

	ss.ss_sp = alt;
	snprintf(in_handler[i], sizeof(in_handler[i]), "%s; change: %s",
		 view(), result(sigaltstack(&ss, NULL)));
	if (sig == SIGSEGV)
		signal(SIGSEGV, SIG_DFL);
}

static void *in_thread(void *arg)
{
	(void)arg;
	printf("new thread: %s\n", view());
	return NULL;
}

int main(void)
{
	stack_t ss = { .ss_size = ALT }, off = { .ss_flags = SS_DISABLE };
	struct sigaction sa;
	const char *r;
	pthread_t t;

	alt = malloc(ALT);
	if (!alt)
		return 2;
	printf("start: %s\n", view());
	ss.ss_sp = alt;
	r = result(sigaltstack(&ss, NULL));
	printf("set: %s; %s\n", r, view());
	ss.ss_flags = 0x1234;
	printf("bad flags: %s\n", result(sigaltstack(&ss, NULL)));
	ss.ss_flags = 0;
	ss.ss_size = 1024;
	r = result(sigaltstack(&ss, NULL));
	printf("too small: %s; %s\n", r, view());
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	raise(SIGUSR1);
	raise(SIGSEGV);
	printf("in SIGUSR1 handler: %s\n", in_handler[0]);
	printf("in SIGSEGV handler: %s\n", in_handler[1]);
	printf("after: %s\n", view());
	r = result(sigaltstack(&off, NULL));
	printf("disable: %s; %s\n", r, view());
	if (pthread_create(&t, NULL, in_thread, NULL) != 0)
		return 2;
	pthread_join(t, NULL);
	return 0;
}
