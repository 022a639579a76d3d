/* SPDX-License-Identifier: MIT */
/* warn.h -- the one line libtmwatch may print (STYLE §4).
 *
 * "tmwatch cannot work here, the program runs unmonitored": said at most
 * once per process, silent under TMWATCH_QUIET=1.
 */
#ifndef TMWATCH_WARN_H
#define TMWATCH_WARN_H

/* tm__warn_once formats "tmwatch: <text>\n" and writes it to stderr with a
 * single write(2), the first time it is called in this process (an atomic
 * flag; later calls, from any thread, print nothing). Nothing is printed
 * when TMWATCH_QUIET=1. Text longer than 1 KiB is cut. errno is preserved.
 * FMT follows STYLE §4: lower case, no full stop, no newline. Thread-safe;
 * not async-signal-safe (vsnprintf, getenv). */
void tm__warn_once(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
