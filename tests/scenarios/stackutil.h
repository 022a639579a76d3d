/* SPDX-License-Identifier: MIT */
/* stackutil.h -- helpers of the stack-counter scenarios (test_stacks.c,
 * test_stacks_special.c): run an example under the real tmwatch, read the
 * crash/crash counters of the fresh store with the counter-file reader,
 * and compare a recorded name with its expected lines.
 *
 * Expected lines are anchored POSIX extended regexps; a line starting
 * with '*' stands for zero or more recorded lines each matching the rest.
 * Memory returned is malloc'd and owned by the caller.
 */
#ifndef TMWATCH_STACKUTIL_H
#define TMWATCH_STACKUTIL_H

#include <stddef.h>
#include <stdint.h>

/* One hexadecimal byte offset, and the frame forms of
 * docs/stack-counters.md for the program's own code: DWARF, and symbol
 * only. System library frames (naming rule v2) are exact texts, and
 * nothing below main or a thread's start routine is listed. */
#define SU_HEX "\\+0x[0-9a-f]+"
#define SU_F(fn, n) fn ":\\+" #n "," SU_HEX
#define SU_S(fn) fn ":" SU_HEX

/* su_env_or_die returns getenv(NAME), or exits: run under ctest. */
const char *su_env_or_die(const char *name);

/* su_example returns the path of example PROG. */
char *su_example(const char *prog);

/* su_match compares the frame lines of NAME (after "crash/crash") with
 * the NULL-terminated EXPECTED. Returns 1 on a match. */
int su_match(const char *name, const char *const *expected);

/* su_lines joins EXPECTED with newlines, for failure messages. */
char *su_lines(const char *const *expected);

/* su_counters reads every counter file of the store STORE and returns
 * the counters named PREFIX, or starting with PREFIX and a newline (a
 * stack counter), or with PREFIX when it ends in ':': their names in
 * *NAMES (malloc'd copies), values in *VALUES and the program names of
 * their files (the PROG of PROG@VER-...) in *PROGRAMS. Returns their
 * number. Fails the test when a stack counter it reads fails
 * su_offsets_are_sane, whatever PREFIX. */
size_t su_counters(const char *store, const char *prefix, char ***names,
		   uint64_t **values, char ***programs);

/* Bound on any +0x offset in a frame line: no function, and no module
 * of the scenarios, is this large; an address or a distance between two
 * mappings is (a module table with a wrong bias gives those). */
#define SU_OFFSET_MAX 0x4000000ull

/* su_offsets_are_sane checks every frame line of the stack counter NAME:
 * no +0x offset reaches SU_OFFSET_MAX, and a module-only frame's offset
 * lies inside its module file when that file can be found (examples,
 * system library and program directories, files this process maps).
 * Returns 1, or 0 with *WHY (malloc'd) naming the frame. su_counters
 * applies it to every stack counter it reads and fails the test, and
 * test_scenarios.c to every counter of each store it dumps. */
int su_offsets_are_sane(const char *name, char **why);

/* su_free_list frees N strings and the array. */
void su_free_list(char **list, size_t n);

/* su_grep_tree returns 1 when any regular file under DIR contains
 * NEEDLE, naming the first in *WHERE (malloc'd) when WHERE is not
 * NULL. */
int su_grep_tree(const char *dir, const char *needle, char **where);

#endif
