/* SPDX-License-Identifier: MIT */
/* modules.h -- the module table of a waiting child: every file-backed
 * mapping of /proc/PID/maps, with its ELF load bias and build-id.
 *
 * Read while the child waits in its handler (crash.c calls it before the
 * ack). Files and maps lines are untrusted: every header and note is
 * bound-checked. Single-threaded (the watchdog's loop); never for signal
 * handlers; never prints.
 */
#ifndef TMWATCH_WATCHDOG_MODULES_H
#define TMWATCH_WATCHDOG_MODULES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One file-backed mapping of /proc/PID/maps, with what its ELF file
 * says: every mapping of one file shares bias and build-id. */
struct modules_mapping {
	uint64_t start, end, offset;
	char perms[5];
	char *path;		/* malloc'd; may end in " (deleted)" */
	int is_elf;		/* bias and build_id below are known */
	uint64_t bias;		/* load bias: runtime address - ELF vaddr */
	unsigned char build_id[64];
	size_t build_id_len;	/* 0: the file has no NT_GNU_BUILD_ID */
};

/* The module table of a waiting child: every file-backed mapping. */
struct modules_table {
	struct modules_mapping *map;
	size_t n;
};

/* modules_read reads /proc/PID/maps of the waiting child into *OUT
 * (release with modules_free), with each ELF module's load bias and
 * build-id, read through /proc/PID/map_files (the very file mapped, even
 * if replaced on disk since) or else the path. Returns 0 or -errno. */
int modules_read(pid_t pid, struct modules_table *out);

/* modules_at returns the mapping containing ADDR, or NULL. */
const struct modules_mapping *modules_at(const struct modules_table *m,
					 uint64_t addr);

/* modules_find_loaded returns the file-offset-0 mapping of PATH in a
 * load that maps the file executable (code the process runs, not a
 * file it mapped as data), or NULL. */
const struct modules_mapping *modules_find_loaded(const struct modules_table *m,
						  const char *path);

/* modules_free releases what modules_read filled; M is left empty and
 * may be freed again. */
void modules_free(struct modules_table *m);

#endif
