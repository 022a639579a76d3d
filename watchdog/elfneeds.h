/* SPDX-License-Identifier: MIT */
/* elfneeds.h -- which shared libraries an ELF program asks for. */
#ifndef TMWATCH_WATCHDOG_ELFNEEDS_H
#define TMWATCH_WATCHDOG_ELFNEEDS_H

/* elfneeds_asan is true when the ELF file at PATH (may be NULL) has a
 * DT_NEEDED entry for an ASan runtime (libasan.so*, *clang_rt.asan*).
 * Anything unreadable or malformed answers false. Reads the file with
 * bounded preads; allocates nothing; safe after fork. */
int elfneeds_asan(const char *path);

#endif
