/* SPDX-License-Identifier: MIT */
/* crash_secret.c -- fails an assertion whose text, and the thread name,
 * are argv[1]: the privacy test (tests/scenarios/test_stacks_special.c)
 * runs it from a path, with an argument and an environment holding a
 * secret, and checks that the secret never reaches the store.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* glibc's assert() calls this; <assert.h> declares it only without NDEBUG
 * (release builds define NDEBUG, and this example must fail anyway). */
extern void __assert_fail(const char *assertion, const char *file,
			  unsigned int line, const char *function)
	__attribute__((noreturn));

__attribute__((noinline)) static void fail_with(const char *text)
{
	char name[16];

	snprintf(name, sizeof(name), "%s", text);
	pthread_setname_np(pthread_self(), name);
	__assert_fail(text, __FILE__, __LINE__, __func__); /* fail_with:+6 */
}

int main(int argc, char **argv)
{
	fail_with(argc > 1 ? argv[1] : "no secret"); /* frame main:+2 */
	return 0;
}
