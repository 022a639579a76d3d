/* SPDX-License-Identifier: MIT */
/* crash_dlopen_ctor.c -- dlopen()s libcrash_ctor.so (found next to this
 * program), whose constructor writes through NULL. */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char self[PATH_MAX], lib[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return 1;
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(lib, sizeof(lib), "%s/libcrash_ctor.so", self);
	return dlopen(lib, RTLD_NOW) ? 0 : 1; /* frame main:+10 */
}
