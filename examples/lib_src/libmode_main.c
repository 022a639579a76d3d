/* SPDX-License-Identifier: MIT */
/* libmode_main.c -- turns any crash example into a library-mode program:
 * linked with -Wl,--wrap=main, the C runtime calls this main, which calls
 * tm_crash_monitor_start() first thing, as the docs ask, then the
 * example's own main. Built as crash_*_libmode (examples/CMakeLists.txt). */
#include <tmwatch/crash.h>

int __real_main(int argc, char **argv, char **envp);
int __wrap_main(int argc, char **argv, char **envp);

int __wrap_main(int argc, char **argv, char **envp)
{
	(void)tm_crash_monitor_start();
	return __real_main(argc, argv, envp);
}
