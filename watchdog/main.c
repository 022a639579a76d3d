/* SPDX-License-Identifier: MIT */
/* main.c -- the tmwatch executable: argv to command. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	(void)argc; (void)argv;
	return 0;
}
