/* SPDX-License-Identifier: MIT */
/* identity_elf.h -- another program's identity from its file, with libelf
 * (tool side; the rules and struct tm__identity are lib/identity.h's). */
#ifndef TMWATCH_TOOL_IDENTITY_ELF_H
#define TMWATCH_TOOL_IDENTITY_ELF_H

#include "identity.h"

/* tm__identity_from_elf fills *OUT for the executable at PATH. When FD is
 * >= 0 it is read instead of opening PATH (say /proc/PID/exe opened by the
 * watchdog while the process lived) and is left open; PATH then only gives
 * the program name (its last component, with a readlink " (deleted)"
 * suffix removed). ENV_VERSION (may be NULL) is TMWATCH_PROGRAM_VERSION,
 * used when the file has no package note. Every string is passed through
 * tm__identity_sanitize.
 * Returns 0; -errno when the file cannot be opened; TM_ENOTELF when it is
 * not an ELF file libelf can read. On error *OUT still holds the program
 * name and defaults (version ENV_VERSION or "devel", toolchain "unknown",
 * goarch of the machine we run on) so callers can count anyway.
 * Cost: a few microseconds (one open, one mmap, a walk of the section
 * headers); see docs/store-layout.md for the measured figure. */
int tm__identity_from_elf(const char *path, int fd, const char *env_version,
			  struct tm__identity *out);

#endif
