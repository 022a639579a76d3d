/* SPDX-License-Identifier: MIT */
/* crash_exit_status.c -- exits with the status given as argument (default
 * 0): normal and non-zero exits are not crashes. */
#include <stdlib.h>

int main(int argc, char **argv)
{
	return argc > 1 ? atoi(argv[1]) : 0;
}
