/* SPDX-License-Identifier: MIT */
/* crash_maps_self_as_data.c -- maps its own executable (shared, and once
 * more private) and libc again, read-only, far below where they are
 * loaded, as Ruby maps its own binary (and libdw or libbacktrace map
 * the files they read), then writes through NULL: the frames must still
 * name the code. Exits 2 when a mapping cannot be placed below.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Maps PATH read-only with FLAGS at HINT; returns 0 when it landed
 * below CODE (the file's loaded code). */
static int map_below(const char *path, int flags, uintptr_t hint,
		     const void *code)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0)
		return -1;
	p = mmap((void *)hint, (size_t)st.st_size, PROT_READ,
		 flags | MAP_FIXED_NOREPLACE, fd, 0);
	close(fd);
	if (p == MAP_FAILED || (uintptr_t)p >= (uintptr_t)code) {
		fprintf(stderr, "cannot map '%s' below its code\n", path);
		return -1;
	}
	return 0;
}

__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 42; /* frame write_null:+2 */
}

int main(void)
{
	Dl_info libc;

	if (!dladdr((void *)printf, &libc) ||
	    map_below("/proc/self/exe", MAP_SHARED, 0x10000000, (void *)main) ||
	    map_below("/proc/self/exe", MAP_PRIVATE, 0x20000000,
		      (void *)main) ||
	    map_below(libc.dli_fname, MAP_SHARED, 0x30000000,
		      (void *)printf))
		return 2;
	write_null(NULL); /* frame main:+11 */
	return 0;
}
