/* SPDX-License-Identifier: MIT */
/* identity.h -- who a program is, for its counter file name (DESIGN §6.2).
 *
 * PROGRAM@VERSION-TOOLCHAIN-linux-GOARCH: read from the executable's ELF
 * file with libelf (notes, .comment, header), never from anything the
 * program says about itself at run time. Thread-safe (each call has its
 * own libelf handle); not for signal handlers; never prints.
 */
#ifndef TMWATCH_IDENTITY_H
#define TMWATCH_IDENTITY_H

#include <stddef.h>

struct tm__identity {
	char program[256];	/* executable file name (never the path) */
	char version[128];	/* .note.package "version" | env_version |
				 * "b" + 12 hex of build-id | "devel" */
	char toolchain[64];	/* from .comment: "gcc12.2.0", "clang14.0.6",
				 * "rustc1.95.0", else "unknown" */
	char goarch[16];	/* Go spelling: amd64, 386, arm64, ...;
				 * "unknown" */
	unsigned char build_id[64];
	size_t build_id_len;
};

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

/* tm__identity_self fills *OUT for the calling process, as
 * tm__identity_from_elf would for /proc/self/exe, without libelf: notes
 * from the loaded program headers, .comment through a few preads. It is
 * what the store runs when a process counts for the first time. Returns 0
 * or -errno (OUT still holds the defaults). Not for signal handlers. */
int tm__identity_self(const char *env_version, struct tm__identity *out);

/* tm__identity_sanitize replaces, in place, every byte outside
 * [A-Za-z0-9._+~] by '_'. Names and versions go into file names of the
 * form PROGRAM@VERSION-TOOLCHAIN-...: they must hold no '/', '-', '@' or
 * control character. (Go turns a version containing '-' into "devel"; we
 * keep the information and write '_' instead.) */
void tm__identity_sanitize(char *s);

/* tm__identity_sanitize_program is tm__identity_sanitize for program names,
 * which keep '-' as Go telemetry's do ("clang-tidy", "rust-analyzer"): the
 * program is the first field of a counter file name and the readers take
 * it from the metadata, never by splitting the name. */
void tm__identity_sanitize_program(char *s);

/* tm__identity_goarch maps an ELF machine, class (ELFCLASS32/64) and data
 * encoding (ELFDATA2LSB/MSB) to Go's GOARCH spelling, or "unknown". */
const char *tm__identity_goarch(unsigned machine, int elfclass, int data);

/* tm__identity_host_goarch returns the GOARCH of the machine this library
 * was built for ("amd64" on x86-64), or "unknown". */
const char *tm__identity_host_goarch(void);

/* tm__identity_toolchain picks the toolchain string from the contents of
 * a .comment section (NUL-separated strings, LEN bytes) into OUT:
 * "rustcX.Y.Z" over "clangX.Y.Z" over "gccX.Y.Z" (clang and rustc programs
 * also carry GCC strings from the C runtime's crt objects; of several of
 * one kind the last wins, as the linker appends the program's own after
 * crt's). "unknown" when none is found. */
void tm__identity_toolchain(const char *comment, size_t len, char *out,
			    size_t cap);

#endif
