/* SPDX-License-Identifier: MIT */
/* startup_floor.c -- what any first count with this on-disk layout costs
 * a program, without libtmwatch: the same system calls and page faults
 * the store's first open makes at the least, written out by hand with no
 * checks (bench_startup.c's "floor" row). The store directory ($TMWATCH_DIR),
 * the mode file lookup, local/, weekends, the program's own file for its
 * toolchain (three preads), the counter file ($BENCH_FLOOR_FILE, made by
 * a warm-up run of startup_count), its mapping and one increment. Any
 * store that keeps Go's file names and formats pays this much; the ratio
 * between this row and "counts one" is libtmwatch's own cost. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	const char *dir = getenv("TMWATCH_DIR"), *file =
		getenv("BENCH_FLOOR_FILE");
	const char *exe = (const char *)getauxval(AT_EXECFN);
	char buf[512];
	struct stat st;
	struct sigaction sa;
	volatile uint64_t *count;
	unsigned char *base;
	uint32_t hdr_len;
	int top, local, fd;

	if (!dir || !file || !exe)
		return 2;
	top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fstat(top, &st);
	fd = openat(top, "mode", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0)
		close(fd);
	local = openat(top, "local", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		       O_CLOEXEC);
	fstat(local, &st);
	fd = open(exe, O_RDONLY | O_CLOEXEC);
	pread(fd, buf, 64, 0);
	pread(fd, buf, sizeof buf, 4096);
	pread(fd, buf, 64, 8192);
	close(fd);
	fd = openat(local, "weekends", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	read(fd, buf, 8);
	close(fd);
	(void)time(NULL);
	fd = openat(local, file, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0)
		return 1;
	if (pread(fd, buf, 192, 0) != 192)
		return 1;
	memcpy(&hdr_len, buf + 28, 4);
	base = mmap(NULL, 64u << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    0);
	if (base == MAP_FAILED)
		return 1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGBUS, &sa, NULL);
	close(top);
	close(local);
	/* The closed word, the bucket and the record of the count. */
	(void)*(volatile uint32_t *)(base + 16380);
	count = (volatile uint64_t *)(base + ((hdr_len + 4 + 2048 + 31) & ~31u));
	__atomic_fetch_add(count, 0, __ATOMIC_RELAXED);
	return 0;
}
