/* SPDX-License-Identifier: MIT */
/* paths.h -- where the counter store and the crash logs live.
 *
 * Pure string work on the environment (and getpwuid_r for a missing HOME):
 * nothing here creates, opens or checks a file. The layout under these
 * directories is documented in docs/store-layout.md.
 */
#ifndef TMWATCH_PATHS_H
#define TMWATCH_PATHS_H

#include <stddef.h>

/* tm__paths_store_dir writes the store directory T into BUF: $TMWATCH_DIR,
 * else $XDG_CONFIG_HOME/tmwatch, else $HOME/.config/tmwatch (HOME from the
 * environment, else the password database). Empty variables and a relative
 * XDG_CONFIG_HOME are ignored (XDG Base Directory spec). Returns 0,
 * -ENAMETOOLONG when BUF is too small, TM_EINVAL when no home is known.
 * Thread-safe as long as nobody calls setenv concurrently; not for signal
 * handlers. */
int tm__paths_store_dir(char *buf, size_t cap);

/* tm__paths_state_dir writes tmwatch's state directory into BUF:
 * $XDG_STATE_HOME/tmwatch, else $HOME/.local/state/tmwatch. Crash logs go in
 * its crashes/ subdirectory (DESIGN §5.4). Same returns and rules as
 * tm__paths_store_dir. */
int tm__paths_state_dir(char *buf, size_t cap);

/* tm__paths_home writes the user's home directory into BUF: $HOME when set
 * and not empty, else the pw_dir of the real uid. Returns 0, -ENAMETOOLONG,
 * or TM_EINVAL when neither gives an absolute path. */
int tm__paths_home(char *buf, size_t cap);

/* tm__paths_join writes "A/B" into BUF, with exactly one slash between them
 * (none added when A already ends with one; A alone when B is empty).
 * Returns 0 or -ENAMETOOLONG (BUF then holds ""). Async-signal-safe. */
int tm__paths_join(char *buf, size_t cap, const char *a, const char *b);

#endif
