/* SPDX-License-Identifier: MIT */
/* stackcounter.c -- tm_stack_counter_inc: count the caller's stack.
 *
 * For conditions that should never happen (Go's gopls/bug): the counter
 * name is PREFIX followed by the caller's frames in the crash/crash frame
 * format (stackname.c), by the watchdog's naming rule (v2: system library
 * frames by exported name or soname, nothing below main or a thread's
 * start routine; tm__stackname_select). The stack comes from glibc's
 * backtrace(). Names come from the crash symbolizer, which needs libdw
 * and so is not in libtmwatch: the first stack counter of a process
 * dlopen()s libtmwatch-sym.so (tool/symmod.c), which names the frames
 * with the very code the watchdog uses. Without it (a static program,
 * or a missing module) frames are named by module and offset only
 * (docs/stack-counters.md). Each distinct (prefix, stack) is named once
 * and then counted through a cached counter handle, so a condition hit
 * in a loop costs an unwind and a table lookup.
 *
 * dlopen and dlsym are weak references: a static program linking
 * libtmwatch.a pulls no dynamic loader out of libc.a for this file.
 *
 * Any thread; not for signal handlers (backtrace and libdwfl allocate).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <limits.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stackname.h"
#include "tmwatch/counter.h"

#pragma weak dlopen
#pragma weak dlsym
#pragma weak dladdr

/* Deeper stacks are cut: the name keeps 16 frames anyway, and recursion
 * collapse needs only a few more to see a run. */
#define STACK_DEPTH 64
/* Distinct stacks remembered per process; past this each new stack is
 * symbolized on every call (still counted correctly). */
#define CACHE_SLOTS 256

struct stack_slot {
	const char *prefix;      /* caller's pointer, compared by value too */
	size_t depth;
	void *pcs[STACK_DEPTH];
	struct tm_counter counter;
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct stack_slot *cache[CACHE_SLOTS];
static size_t cache_used;

typedef char *symmod_name_fn(const char *prefix, void *const *pcs,
			      size_t depth);

static pthread_once_t symmod_once = PTHREAD_ONCE_INIT;
static symmod_name_fn *symmod_name;

/* Whether ST is owned by root or by us and writable by nobody else. */
static int is_ours(const struct stat *st)
{
	return (st->st_uid == 0 || st->st_uid == geteuid()) &&
	       !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* Whether PATH (a regular file) and its directory are is_ours: a module
 * found next to a program in a shared directory (/tmp) must not be
 * someone else's. */
static int is_trusted(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (!slash || (size_t)(slash - path) >= sizeof dir ||
	    stat(path, &st) != 0 || !S_ISREG(st.st_mode) || !is_ours(&st))
		return 0;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return stat(dir[0] ? dir : "/", &st) == 0 && is_ours(&st);
}

/* Tries PATH; sets symmod_name when it is the module. CHECKED: PATH
 * must pass is_trusted (every path but the user's own variable). */
static int symmod_try(const char *path, int checked)
{
	void *h;

	if (checked && !is_trusted(path))
		return 0;
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		return 0;
	symmod_name = (symmod_name_fn *)dlsym(h, "tm__symmod_stack_name");
	return symmod_name != NULL;
}

/* Finds libtmwatch-sym.so: $TMWATCH_SYM_MODULE (not in setuid
 * programs), then next to the file holding libtmwatch (DIR/tmwatch/,
 * the installed layout, then DIR/, the build tree), then the configured
 * install path; a found file is loaded only when it and its directory
 * belong to root or to us and nobody else may write them. */
static void symmod_load(void)
{
	static const char name[] = "libtmwatch-sym.so";
	const char *env = secure_getenv("TMWATCH_SYM_MODULE");
	char path[PATH_MAX];
	Dl_info info;

	/* No dynamic loader (a static program): a module needing libdw
	 * and libc.so cannot be loaded safely. */
	if (!dlopen || !dlsym || getauxval(AT_BASE) == 0)
		return;
	if (env && *env) {
		symmod_try(env, 0);
		return;
	}
	if (dladdr && dladdr((void *)symmod_load, &info) &&
	    info.dli_fname && strchr(info.dli_fname, '/')) {
		const char *slash = strrchr(info.dli_fname, '/');
		int dir = (int)(slash - info.dli_fname);

		if (snprintf(path, sizeof path, "%.*s/tmwatch/%s", dir,
			     info.dli_fname, name) < (int)sizeof path &&
		    symmod_try(path, 1))
			return;
		if (snprintf(path, sizeof path, "%.*s/%s", dir,
			     info.dli_fname, name) < (int)sizeof path &&
		    symmod_try(path, 1))
			return;
	}
#ifdef TMWATCH_INSTALLED_SYM_MODULE
	symmod_try(TMWATCH_INSTALLED_SYM_MODULE, 1);
#endif
}

struct mod_hit {
	uintptr_t pc;
	uintptr_t bias;
	const char *name;
	int found;
};

static int mod_of_pc(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct mod_hit *hit = arg;

	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && hit->pc >= lo &&
		    hit->pc < lo + ph->p_memsz) {
			hit->bias = info->dlpi_addr;
			hit->name = info->dlpi_name;
			hit->found = 1;
			return 1;
		}
	}
	return 0;
}

/* The fallback without the module: every frame by module file name and
 * offset from its load bias (the last resort of rule v2's ladder), for
 * the return address minus one, like the symbolizer. */
static char *module_only_name(const char *prefix, void *const *pcs,
			      size_t depth)
{
	struct tm__frame frames[STACK_DEPTH];
	char exe[PATH_MAX], *name;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	const char *exe_base;

	exe[n > 0 ? n : 0] = '\0';
	exe_base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : "?";
	for (size_t i = 0; i < depth; i++) {
		struct mod_hit hit = { .pc = (uintptr_t)pcs[i] - 1 };
		const char *mod = "?";

		dl_iterate_phdr(mod_of_pc, &hit);
		if (hit.found && hit.name && *hit.name)
			mod = strrchr(hit.name, '/') ?
				strrchr(hit.name, '/') + 1 : hit.name;
		else if (hit.found)
			mod = exe_base;
		frames[i] = (struct tm__frame){
			.module = mod,
			.offset = hit.found ? hit.pc - hit.bias : hit.pc,
		};
	}
	name = malloc(TM__STACKNAME_MAX_LEN + 1);
	if (name && tm__stackname_build(prefix, frames, depth, name,
					TM__STACKNAME_MAX_LEN + 1) < 0) {
		free(name);
		name = NULL;
	}
	return name;
}

/* Builds the counter name for PREFIX and PCS (return addresses) into a
 * malloc'd string: by the symbolizer module when it loads, else by
 * module and offset. */
static char *stack_name(const char *prefix, void *const *pcs, size_t depth)
{
	pthread_once(&symmod_once, symmod_load);
	if (symmod_name)
		return symmod_name(prefix, pcs, depth);
	return module_only_name(prefix, pcs, depth);
}

static struct stack_slot *find_slot(const char *prefix, void *const *pcs,
				    size_t depth)
{
	for (size_t i = 0; i < cache_used; i++) {
		struct stack_slot *s = cache[i];

		if (s->depth == depth && strcmp(s->prefix, prefix) == 0 &&
		    memcmp(s->pcs, pcs, depth * sizeof pcs[0]) == 0)
			return s;
	}
	return NULL;
}

__attribute__((noinline)) void tm_stack_counter_inc(const char *prefix)
{
	void *pcs[STACK_DEPTH + 2], *ret = __builtin_return_address(0);
	int got = backtrace(pcs, STACK_DEPTH + 2), first = 1;
	struct stack_slot *slot;
	size_t depth;
	char *name;

	if (!prefix || !*prefix || got < 2)
		return;
	/* The caller's stack starts at our return address. Usually that is
	 * frame 1, but an interposed backtrace (ASan's) adds a frame. */
	for (int i = 0; i < got; i++) {
		if (pcs[i] == ret) {
			first = i;
			break;
		}
	}
	depth = (size_t)(got - first);
	if (depth > STACK_DEPTH)
		depth = STACK_DEPTH;
	memmove(pcs + 1, pcs + first, depth * sizeof pcs[0]);
	pthread_mutex_lock(&cache_mu);
	slot = find_slot(prefix, pcs + 1, depth);
	pthread_mutex_unlock(&cache_mu);
	if (slot) {
		tm_counter_handle_inc(&slot->counter);
		return;
	}
	name = stack_name(prefix, pcs + 1, depth);
	if (!name)
		return;
	slot = calloc(1, sizeof *slot);
	char *prefix_copy = strdup(prefix);
	if (!slot || !prefix_copy) {
		free(slot);
		free(prefix_copy);
		tm_counter_inc(name);
		free(name);
		return;
	}
	slot->prefix = prefix_copy;
	slot->depth = depth;
	memcpy(slot->pcs, pcs + 1, depth * sizeof pcs[0]);
	slot->counter.name = name;
	pthread_mutex_lock(&cache_mu);
	if (cache_used < CACHE_SLOTS && !find_slot(prefix, pcs + 1, depth)) {
		cache[cache_used++] = slot;
		pthread_mutex_unlock(&cache_mu);
		tm_counter_handle_inc(&slot->counter);
		return;
	}
	pthread_mutex_unlock(&cache_mu);
	/* Table full, or another thread cached the same stack first. */
	tm_counter_inc(name);
	free(name);
	free(prefix_copy);
	free(slot);
}
