/* SPDX-License-Identifier: MIT */
/* count.c -- increments crash counters in the crashing program's file.
 *
 * A crash belongs to the program that crashed (DESIGN §6.2): its name,
 * version and toolchain come from the executable the kernel ran, opened
 * through /proc/PID/exe while the child waits (so a binary replaced on
 * disk still counts under the identity that crashed), never from the
 * record's exe string alone. Counts are exact: one call, one increment.
 * Never prints; single-threaded.
 */
#define _GNU_SOURCE
#include "count.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	if (!exe_path || !*exe_path)
		return -ESRCH;
	return tm__identity_from_elf(exe_path, -1, env_version, id);
}

int count_add(const struct tm__identity *id, const char *name)
{
	return tm__store_count_for(id, name, strlen(name), 1);
}
