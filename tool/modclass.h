/* SPDX-License-Identifier: MIT */
/* modclass.h -- whose code a module is, and how system library frames
 * are named (DESIGN §5.3 "One crash, one name"; docs/stack-counters.md,
 * "Naming rule v2").
 *
 * A crash/crash name may depend only on the program build and the crash
 * site. The program's own modules (the executable, libraries shipped with
 * it) are pinned by the program's version: their frames keep the precise
 * forms (FUNCTION:+N,+0xOFF). Every other module is a system library
 * whose build, debug packages and IFUNC choices vary from machine to
 * machine: its frames are named from what every machine has and what
 * does not move, the library's own exported symbols (.dynsym), IFUNC
 * variants folded to the public name they implement, else the soname
 * alone, never an offset. Used by symbolize.c for the watchdog and for
 * tm_stack_counter_inc alike. Any thread; not for signal handlers.
 */
#ifndef TMWATCH_LIB_MODCLASS_H
#define TMWATCH_LIB_MODCLASS_H

#include <stddef.h>
#include <stdint.h>

#include <gelf.h>

/* The naming rule's version, for docs and report metadata. */
#define TM__NAMING_RULE "v2"

enum tm__modclass {
	TM__MOD_PROGRAM = 1,	/* the executable itself */
	TM__MOD_SHIPPED,	/* a library shipped with it */
	TM__MOD_SYSTEM,		/* everything else */
};

/* What the executable says about where its own libraries are: its
 * directory, its install prefix's lib* directories (when not a system
 * prefix) and the
 * directories of its DT_RUNPATH/DT_RPATH ($ORIGIN expanded). */
struct tm__modclass_ctx {
	char *exe;		/* executable path as the process maps it */
	char *dirs[16];		/* own directories, no trailing '/' */
	size_t ndirs;
	char *own[16];		/* file name patterns of the program's
				   own libraries (fnmatch), wherever they
				   are installed */
	size_t nown;
};

/* tm__modclass_init fills CTX for the executable at EXE (EXE_ELF, its
 * ELF, may be NULL: then no run paths). Returns 0 or -ENOMEM. */
int tm__modclass_init(struct tm__modclass_ctx *ctx, const char *exe,
		      Elf *exe_elf);

/* tm__modclass_add_own adds a file name pattern (fnmatch(3), e.g.
 * "libclang-cpp.so.*") of libraries the program names as its own: an
 * upload config's OwnModules (uploadconfig.h), for a program whose
 * libraries live in the system library directories. Returns 0,
 * TM_EINVAL (a pattern with '/', or full) or -ENOMEM. */
int tm__modclass_add_own(struct tm__modclass_ctx *ctx, const char *pattern);

/* tm__modclass_free releases CTX's strings. */
void tm__modclass_free(struct tm__modclass_ctx *ctx);

/* tm__modclass_of classifies the module mapped from PATH. */
enum tm__modclass tm__modclass_of(const struct tm__modclass_ctx *ctx,
				  const char *path);

/* tm__modclass_soname copies ELF's DT_SONAME into BUF, else FALLBACK
 * (the file name). */
void tm__modclass_soname(Elf *elf, const char *fallback, char *buf,
			 size_t cap);

/* A system library's names, read once per module: exported functions
 * sorted by address, and IFUNC implementations (libc's, when the
 * library is the same build as the libc of this process). */
struct tm__modclass_names;

/* tm__modclass_names_load reads ELF's .dynsym (addresses are ELF vaddrs).
 * ID/ID_LEN is the module's build-id (may be empty). Returns NULL when
 * out of memory (the frame is then the soname alone). */
struct tm__modclass_names *tm__modclass_names_load(Elf *elf,
						   const unsigned char *id,
						   size_t id_len);
void tm__modclass_names_free(struct tm__modclass_names *sn);

/* tm__modclass_names_lookup returns the public name of the function holding
 * vaddr ADDR (static string owned by SN), or NULL when the library's
 * own tables cannot tell. Among aliases the name without leading '_',
 * then the shortest, then the smallest wins, whatever the table's
 * order. An address in an IFUNC implementation gives the public name it
 * implements (strlen for __strlen_evex). ELF is the module's ELF, for
 * the implementation's bounds (.eh_frame). */
const char *tm__modclass_names_lookup(struct tm__modclass_names *sn, Elf *elf,
				uint64_t addr);

#endif
