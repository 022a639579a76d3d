/* SPDX-License-Identifier: MIT */
/* symmod.c -- libtmwatch-sym.so: names a stack counter's frames for
 * libtmwatch (lib/stackcounter.c), which dlopen()s this module on the
 * first tm_stack_counter_inc of a process.
 *
 * The module carries the crash symbolizer (symbolize.c, libdw) so that a
 * program linking libtmwatch needs libc only, and a stack counter gets
 * exactly the name the watchdog gives a crash at the same site (naming
 * rule v2, stackname.h): the same code names both. Its one export is
 * tm__symmod_stack_name; everything else stays inside (--exclude-libs).
 * The upload configs naming this program (at its version) are read once,
 * on the first call: their OwnModules make those libraries the program's
 * own (issue 9), as the watchdog does for a crash.
 * Any thread; never from a signal handler (libdwfl allocates).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "identity.h"
#include "paths.h"
#include "stackname.h"
#include "store.h"
#include "symbolize.h"
#include "uploadconfig.h"

/* The OwnModules patterns for this process, read once; kept for the
 * process's life (they point into own_configs). */
static pthread_once_t own_once = PTHREAD_ONCE_INIT;
static struct tm__upload_configs own_configs;
static const char *own[TM__UC_MAX_OWN];
static size_t nown;

static void own_load(void)
{
	const struct tm__identity *id = tm__store_self_identity();
	char store[4096];

	if (id && tm__paths_store_dir(store, sizeof store) == 0 &&
	    tm__uploadconfig_load_all_with(store, NULL,
						   &own_configs) == 0)
		nown = tm__uploadconfig_own_modules(&own_configs, id->program,
						    id->version, own,
						    TM__UC_MAX_OWN);
}

__attribute__((visibility("default"))) char *
tm__symmod_stack_name(const char *prefix, void *const *pcs, size_t depth);

/* tm__symmod_stack_name returns the counter name for PREFIX and PCS
 * (DEPTH return addresses of this process, innermost first) in a
 * malloc'd string (the caller frees it with libc's free), or NULL when
 * out of memory or the maps cannot be read. DWARF names with +N line
 * offsets where debug info is found, inline levels as frames of their
 * own, else symbol tables, else module names. */
char *tm__symmod_stack_name(const char *prefix, void *const *pcs,
			    size_t depth)
{
	uint64_t *addr = calloc(depth ? depth : 1, sizeof *addr);
	unsigned char *exact = calloc(depth ? depth : 1, 1);
	struct tm__symbolizer *sym = NULL;
	struct tm__symframes frames = { 0 };
	struct tm__frame *kept = NULL;
	char *name = NULL;
	int r;

	pthread_once(&own_once, own_load);
	if (!addr || !exact || tm__symbolize_open_own(0, own, nown, &sym) != 0)
		goto out;
	for (size_t i = 0; i < depth; i++)
		addr[i] = (uint64_t)(uintptr_t)pcs[i];
	name = malloc(TM__STACKNAME_MAX_LEN + 1);
	r = name ? tm__symbolize_pcs(sym, addr, exact, depth, &frames) :
		-ENOMEM;
	/* A partial result (-E2BIG) still names the innermost frames. The
	 * watchdog's rule (stackname.h): same frames, same name. */
	kept = r == -ENOMEM ? NULL : calloc(frames.n ? frames.n : 1,
					   sizeof *kept);
	if (!kept ||
	    (name && tm__stackname_build(prefix, kept,
					 tm__stackname_select(frames.frames,
							      frames.n, kept),
					 name, TM__STACKNAME_MAX_LEN + 1) < 0)) {
		free(name);
		name = NULL;
	}
	tm__symframes_free(&frames);
	tm__symbolize_close(sym);
out:
	free(kept);
	free(addr);
	free(exact);
	return name;
}
