/* SPDX-License-Identifier: MIT */
/* busguard.h -- keeps a SIGBUS from our own counter-file mappings away from
 * the program that counts.
 *
 * A counter file is mapped MAP_SHARED; if another process truncates it,
 * the next access to a page past the new end raises SIGBUS in whichever
 * program was counting. tmwatch must never kill a program, so every
 * counter-file reserve is registered here, and a SIGBUS handler consulted
 * first replaces a registered reserve that faulted with anonymous zero
 * pages, marks it broken and returns: the faulting access re-executes
 * harmlessly and the store reopens (and re-checks) the file on the next
 * increment. Every other SIGBUS goes on to the program's previous action
 * exactly as before. See docs/security.md for the whole design and its
 * limits. Thread-safe; the handler is async-signal-safe.
 */
#ifndef TMWATCH_BUSGUARD_H
#define TMWATCH_BUSGUARD_H

#include <stddef.h>
#include <stdint.h>

/* Reserves the guard can watch at once: a long-running process keeps one
 * mapping per week it lived through, so this is five years of weeks. */
#define TM__BUSGUARD_SLOTS 256

/* tm__busguard_register watches [BASE, BASE+LEN) (page-aligned), installing
 * the SIGBUS handler on first use. CLOSED_OFF is the offset of a 32-bit
 * word the handler sets to 1 in the replacement pages, so that lock-free
 * readers of that word see the reserve as closed and re-resolve. Returns a
 * slot number >= 0, -EMFILE when every slot is taken, or -errno from
 * sigaction; on error nothing is watched and the caller must not map. */
int tm__busguard_register(void *base, size_t len, size_t closed_off);

/* tm__busguard_unregister stops watching SLOT; call it before munmap. */
void tm__busguard_unregister(int slot);

/* tm__busguard_broken returns 1 once the handler replaced SLOT's pages. */
int tm__busguard_broken(int slot);

#endif
