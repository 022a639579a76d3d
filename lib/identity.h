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
#include <stdint.h>

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

/* tm__identity_self fills *OUT for the calling process, as
 * tm__identity_from_elf would for /proc/self/exe, without libelf: notes
 * from the loaded program headers, .comment through a few preads of the
 * file the program was started from when that file provably is the
 * running build (its build-id note), else of /proc/self/exe. It is what
 * the store runs when a process counts for the first time. Returns 0 or
 * -errno (OUT still holds the defaults). Thread-safe; not for signal
 * handlers. */
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

/* The type of the FDO package metadata note
 * (https://systemd.io/ELF_PACKAGE_METADATA/). */
#define TM__IDENTITY_FDO_NOTE_TYPE 0xcafe1a7eu

/* What one pass over a program's notes found (tm__identity_take_note). */
struct tm__identity_notes {
	char version[128];
	unsigned char build_id[64];
	size_t build_id_len;
	int has_build_id;
};

/* tm__identity_note_version puts the package note JSON's first top-level
 * "version" string (LEN bytes at JSON, decoded, cut to CAP - 1 bytes and
 * at an embedded NUL) into OUT and returns its length: 0 when the
 * document has no usable "version" (OUT is ""), -1 when it is not a
 * well-formed JSON object (OUT is ""). Untrusted input, fuzzed
 * (tests/fuzz/fuzz_identity_note.c). */
long tm__identity_note_version(const char *json, size_t len, char *out,
			       size_t cap);

/* tm__identity_take_note takes one ELF note (TYPE, NAME of NAMESZ bytes
 * with its NUL, DESC of DESCSZ bytes) into F: the FDO package note's
 * version, the first GNU build-id. Bounds are the caller's. */
void tm__identity_take_note(uint32_t type, const char *name, size_t namesz,
			    const char *desc, size_t descsz,
			    struct tm__identity_notes *f);

/* tm__identity_defaults sets *OUT to what every identity starts from:
 * program from PATH's last component, version ENV_VERSION or "devel",
 * toolchain "unknown", this host's GOARCH. */
void tm__identity_defaults(const char *path, const char *env_version,
			   struct tm__identity *out);

/* tm__identity_finish applies the version rule once the notes F are
 * known: package note, else ENV_VERSION (already in OUT), else "b" + the
 * first 12 hex digits of the build-id. */
void tm__identity_finish(const struct tm__identity_notes *f,
			 const char *env_version, struct tm__identity *out);

#endif
