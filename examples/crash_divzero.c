/* SPDX-License-Identifier: MIT */
/* crash_divzero.c -- integer division by zero: SIGFPE, FPE_INTDIV. */
#include <stdlib.h>

__attribute__((noinline)) static int divide(int a, volatile int b)
{
	return a / b; /* frame divide:+2 */
}

int main(int argc, char **argv)
{
	(void)argv;
	return divide(argc, 0); /* frame main:+3 */
}
