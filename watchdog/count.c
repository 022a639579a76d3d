/* SPDX-License-Identifier: MIT */
/* count.c -- increments crash counters in the crashing program's file.
 *
 * A crash belongs to the program that crashed (DESIGN §6.2): its name,
 * version and toolchain come from the executable the kernel ran, opened
 * through /proc/PID/exe while the child waits (so a binary replaced on
 * disk still counts under the identity that crashed), never from the
 * record's exe string: a path a crashing process wrote is never opened
 * (it could name a FIFO or a device; docs/security.md). Counts are exact: one call, one increment.
 * Never prints; single-threaded.
 */
#define _GNU_SOURCE
#include "count.h"
#include "identity_elf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "store.h"
#include "tmwatch/common.h"

static const char VERSION_VAR[] = "TMWATCH_PROGRAM_VERSION=";

int count_env_version(pid_t pid, char *buf, size_t cap)
{
	char path[64], *env;
	size_t len = 0;
	ssize_t got;
	int fd, found = 0;

	if (cap)
		buf[0] = 0;
	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	env = malloc(COUNT_ENVIRON_MAX + 1);
	if (!env) {
		close(fd);
		return -ENOMEM;
	}
	while (len < COUNT_ENVIRON_MAX &&
	       (got = read(fd, env + len, COUNT_ENVIRON_MAX - len)) > 0)
		len += (size_t)got;
	close(fd);
	env[len] = 0;
	for (size_t i = 0; i < len; i += strlen(env + i) + 1) {
		if (strncmp(env + i, VERSION_VAR, sizeof VERSION_VAR - 1))
			continue;
		snprintf(buf, cap, "%s", env + i + sizeof VERSION_VAR - 1);
		found = 1;
		break; /* getenv takes the first of duplicates too */
	}
	free(env);
	return found;
}

/* The identity of a program nobody can name: counted all the same. */
static void unidentified(struct tm__identity *id)
{
	memset(id, 0, sizeof *id);
	snprintf(id->program, sizeof id->program, "%s", COUNT_UNIDENTIFIED);
	snprintf(id->version, sizeof id->version, "devel");
	snprintf(id->toolchain, sizeof id->toolchain, "unknown");
	snprintf(id->goarch, sizeof id->goarch, "%s",
		 tm__identity_host_goarch());
}

int count_identify(pid_t pid, const char *exe_path, struct tm__identity *id)
{
	char link[64], target[4096], version[128];
	const char *env_version = NULL;
	ssize_t tl;
	int fd, r;

	if (count_env_version(pid, version, sizeof version) == 1 &&
	    version[0])
		env_version = version;
	snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
	/* /proc/PID/exe is the kernel's word for the file the process
	 * runs: always a regular file we may read, never a path a crashing
	 * process chose. */
	fd = open(link, O_RDONLY | O_CLOEXEC);
	tl = readlink(link, target, sizeof target - 1);
	if (fd >= 0 && tl > 0) {
		target[tl] = 0;
		/* The link's text only names the program; the fd is read. */
		r = tm__identity_from_elf(target, fd, env_version, id);
		close(fd);
		return r;
	}
	if (fd >= 0)
		close(fd);
	if (exe_path && *exe_path && (fd = tm__fs_open_file(exe_path)) >= 0) {
		r = tm__identity_from_elf(exe_path, fd, env_version, id);
		close(fd);
		return r;
	}
	unidentified(id);
	return 0;
}

int count_add(const struct tm__identity *id, const char *name)
{
	return tm__store_count_for(id, name, strlen(name), 1);
}

int count_add_why(const struct tm__identity *id, const char *name, char *bad,
		  size_t cap)
{
	return tm__store_count_for_why(id, name, strlen(name), 1, bad, cap);
}
