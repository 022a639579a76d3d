/* SPDX-License-Identifier: MIT */
/* symbolize.h -- program counters of a live process to named frames
 * (DESIGN §5.2), shared by the watchdog's crash path and
 * tm_stack_counter_inc.
 *
 * A symbolizer reads the module table of a process (/proc/PID/maps),
 * checks each module file against the build-id in the process's memory,
 * and names PCs by the naming rule (v2, modclass.h): in the program's own
 * modules with libdw, DWARF (in the module or separate, found by
 * build-id) with inline chains and +N line offsets, else .symtab/.dynsym,
 * else the module's file name; in system libraries, the public name the
 * library's .dynsym gives (IFUNC variants folded) or its soname, without
 * offsets (their precise frames, for the local log only, come from
 * tm__symbolize_detail). Frames (struct tm__frame) carry nothing
 * but names and offsets; paths and file:line live in a separate detail
 * array meant for the local crash log only.
 *
 * Lifecycle: tm__symbolize_open, any number of tm__symbolize_pcs, then
 * tm__symbolize_close. One symbolizer belongs to one thread at a time.
 * For a pid other than ours the process must stay alive (the crashing
 * child waits in its handler) until the last tm__symbolize_pcs. Cost:
 * opening reads maps and each module's ELF headers; DWARF is read lazily
 * per module on first use. Never prints; not for signal handlers.
 */
#ifndef TMWATCH_LIB_SYMBOLIZE_H
#define TMWATCH_LIB_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <elfutils/libdwfl.h>

#include "stackname.h"

/* Longest frame name kept (demangled and reduced); longer ones are cut. */
#define TM__SYMBOLIZE_NAME_MAX 512
/* Inline levels listed per PC; deeper chains keep the innermost ones. */
#define TM__SYMBOLIZE_INLINE_MAX 32
/* Most frames one call returns (PCs times inline levels). */
#define TM__SYMBOLIZE_FRAMES_MAX 8192

struct tm__symbolizer;

/* Where a frame's name came from, for the local log. */
enum tm__sym_source {
	TM__SYM_NONE = 0,	/* PC in no module (wild or NULL pointer) */
	TM__SYM_MODULE,		/* module known, no symbol for the PC */
	TM__SYM_DYNSYM,		/* nearest .dynsym symbol */
	TM__SYM_SYMTAB,		/* nearest .symtab symbol */
	TM__SYM_DWARF,		/* DWARF: name and line offset */
};

/* Local-log detail of one frame. Never passed toward a counter name:
 * file, module_path and debug_file are paths. Strings are malloc'd,
 * owned by the tm__symframes that holds them; NULL when unknown. */
struct tm__frame_info {
	uint64_t pc;		/* the address looked up (a return address
				   minus one, or the exact PC) */
	size_t pc_index;	/* which of the PCs given it came from */
	enum tm__sym_source source;
	int is_inlined;		/* an inlined level, not the physical */
	int line;		/* source line, 0 when unknown */
	char *file;		/* source file as DWARF names it */
	char *function;		/* frames[i].function points here */
	char *module;		/* frames[i].module points here */
	char *module_path;	/* module path as the process maps it */
	char *debug_file;	/* the file names came from: the module, a
				   separate .debug, or /proc/PID/map_files */
	int module_changed;	/* the file at module_path is not what the
				   process runs (build-id differs, deleted) */
};

/* Frames for a list of PCs, innermost first: frames[] feeds
 * tm__stackname_build, info[] (same index) the local log. */
struct tm__symframes {
	size_t n;
	struct tm__frame *frames;
	struct tm__frame_info *info;
	size_t cap;		/* private */
};

/* tm__symbolize_open makes a symbolizer for process PID (0: this
 * process). Separate debug info is searched by build-id in the
 * colon-separated directories of $TMWATCH_DEBUG_DIRS (each holding
 * .build-id/xx/yyyy.debug), then /usr/lib/debug, then by debug link next
 * to the module. Returns 0 with *OUT set, -errno (-ESRCH, -EACCES: the
 * maps could not be read), or -ENOMEM. */
int tm__symbolize_open(pid_t pid, struct tm__symbolizer **out);

/* tm__symbolize_open_own is tm__symbolize_open where libraries whose
 * file name matches one of the NOWN fnmatch patterns OWN (an upload
 * config's OwnModules for the program, uploadconfig.h) are the program's
 * own modules, wherever they are installed: their frames keep the
 * precise forms. The patterns are copied. */
int tm__symbolize_open_own(pid_t pid, const char *const *own, size_t nown,
			   struct tm__symbolizer **out);

/* tm__symbolize_open_program is tm__symbolize_open_own for a process
 * whose program is not /proc/PID/exe (a valgrind client): PROGRAM (its
 * path, as the module table shows it) and PROGRAM_FD (the file, read only
 * here) classify the modules; PROGRAM NULL means /proc/PID/exe. */
int tm__symbolize_open_program(pid_t pid, const char *program,
			       int program_fd, const char *const *own,
			       size_t nown, struct tm__symbolizer **out);

/* tm__symbolize_set_cache_dir makes S look PCs up in, and add them to,
 * the persistent symbolization cache in DIR (copied; symcache.h), before
 * and after reading DWARF: a PC an earlier watchdog named costs no debug
 * info at all. Only for the watchdog, never for a process symbolizing
 * itself (tm_stack_counter_inc: TM_EINVAL), and only where writing
 * local files is allowed (not in mode off, DESIGN §7). The directory is
 * created (0700) on the first miss; when it cannot be, S names PCs
 * as without a cache, silently. Returns 0, TM_EINVAL, or -ENOMEM. */
int tm__symbolize_set_cache_dir(struct tm__symbolizer *s, const char *dir);

/* tm__symbolize_close releases S (NULL is fine). */
void tm__symbolize_close(struct tm__symbolizer *s);

/* tm__symbolize_pcs names N PCS into *OUT (zeroed first; release with
 * tm__symframes_free). IS_EXACT[i] says PCS[i] is an exact PC (the
 * faulting instruction, or a frame interrupted by a signal) rather than
 * a return address, which is looked up as PC - 1 so that the call's line
 * is named; IS_EXACT NULL means "PCS[0] exact, the rest return
 * addresses". One PC gives one frame per inline level, innermost first.
 * Returns 0 (every PC gives at least one frame, TM__SYM_NONE when it is
 * in no module), -ENOMEM, or -E2BIG past TM__SYMBOLIZE_FRAMES_MAX
 * frames (*OUT then holds the frames that fit). */
int tm__symbolize_pcs(struct tm__symbolizer *s, const uint64_t *pcs,
		      const unsigned char *is_exact, size_t n,
		      struct tm__symframes *out);

/* tm__symbolize_detail adds to F, after each system library frame of
 * S's process, that PC's precise frames (DWARF with inline levels and
 * file:line, IFUNC variants, from /usr/lib/debug too) marked
 * detail_only: the local log's view, never a counter's. Reads only
 * module files (the sessions S opened), not the process, so it may run
 * after the process was let go. Returns 0 or -ENOMEM (F then holds
 * what was done). */
int tm__symbolize_detail(struct tm__symbolizer *s, struct tm__symframes *f);

/* tm__symframes_free releases what tm__symbolize_pcs put in F. */
void tm__symframes_free(struct tm__symframes *f);

/* tm__symbolize_source_name returns "dwarf", "symtab", "dynsym",
 * "module" or "none" (static strings). */
const char *tm__symbolize_source_name(enum tm__sym_source src);

/* tm__symbolize_find_debuginfo is a Dwfl_Callbacks.find_debuginfo that
 * looks for separate debug info by build-id in the local debuginfo path
 * only: never a debuginfod server (no network, no ~/.cache writes from a
 * user's program or a crash). Every Dwfl in tmwatch uses it. */
int tm__symbolize_find_debuginfo(Dwfl_Module *mod, void **userdata,
				 const char *modname, Dwarf_Addr base,
				 const char *file_name,
				 const char *debuglink_file,
				 GElf_Word debuglink_crc,
				 char **debuginfo_file_name);

#endif
