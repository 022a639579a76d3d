/* SPDX-License-Identifier: MIT */
/* stackcounter.c -- tm_stack_counter_inc: count the caller's stack.
 *
 * For conditions that should never happen (Go's gopls/bug): the counter
 * name is PREFIX followed by the caller's frames in the crash/crash frame
 * format (stackname.c). The stack comes from glibc's backtrace(); names
 * come from libdwfl over this process's own modules (.symtab, else
 * .dynsym, else the module name). Each distinct (prefix, stack) is
 * symbolized once and then counted through a cached counter handle, so a
 * condition hit in a loop costs an unwind and a table lookup.
 *
 * Any thread; not for signal handlers (backtrace and libdwfl allocate).
 */
#define _GNU_SOURCE
#include <elfutils/libdwfl.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stackname.h"
#include "tmwatch/counter.h"

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

static const Dwfl_Callbacks self_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

/* Symbol names as frames show them: without the ELF symbol version
 * ("__libc_start_main@@GLIBC_2.34"), which says nothing about the code. */
#define FRAME_NAME_MAX 256

/* Symbolizes PCS (return addresses) into FRAMES, whose names are copied
 * into NAMES. */
static void symbolize(Dwfl *dwfl, void *const *pcs, size_t depth,
		      struct tm__frame *frames,
		      char (*names)[FRAME_NAME_MAX])
{
	for (size_t i = 0; i < depth; i++) {
		/* A return address points after the call: look up the call
		 * itself, and report that offset (docs/stack-counters.md). */
		Dwarf_Addr pc = (Dwarf_Addr)(uintptr_t)pcs[i] - 1;
		Dwfl_Module *mod = dwfl ? dwfl_addrmodule(dwfl, pc) : NULL;
		struct tm__frame *f = &frames[i];
		const char *modname = NULL, *sym = NULL;
		Dwarf_Addr start = 0;
		GElf_Off off = 0;
		GElf_Sym s;

		memset(f, 0, sizeof *f);
		if (mod) {
			modname = dwfl_module_info(mod, NULL, &start, NULL,
						   NULL, NULL, NULL, NULL);
			sym = dwfl_module_addrinfo(mod, pc, &off, &s, NULL,
						   NULL, NULL);
		}
		if (sym) {
			snprintf(names[i], FRAME_NAME_MAX, "%.*s",
				 (int)strcspn(sym, "@"), sym);
			f->function = names[i];
			f->offset = off;
		} else {
			snprintf(names[i], FRAME_NAME_MAX, "%s",
				 modname ? base_name(modname) : "?");
			f->module = names[i];
			f->offset = pc - start;
		}
	}
}

/* Builds the counter name for PREFIX and PCS into a malloc'd string. */
static char *stack_name(const char *prefix, void *const *pcs, size_t depth)
{
	struct tm__frame frames[STACK_DEPTH];
	static _Thread_local char names[STACK_DEPTH][FRAME_NAME_MAX];
	Dwfl *dwfl = dwfl_begin(&self_callbacks);
	char *name = malloc(TM__STACKNAME_MAX_LEN + 1);

	if (dwfl) {
		dwfl_report_begin(dwfl);
		if (dwfl_linux_proc_report(dwfl, getpid()) != 0 ||
		    dwfl_report_end(dwfl, NULL, NULL) != 0) {
			dwfl_end(dwfl);
			dwfl = NULL;
		}
	}
	symbolize(dwfl, pcs, depth, frames, names);
	if (name && tm__stackname_build(prefix, frames, depth, name,
					TM__STACKNAME_MAX_LEN + 1) < 0) {
		free(name);
		name = NULL;
	}
	if (dwfl)
		dwfl_end(dwfl);
	return name;
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
	void *pcs[STACK_DEPTH + 1];
	int got = backtrace(pcs, STACK_DEPTH + 1);
	struct stack_slot *slot;
	size_t depth;
	char *name;

	/* Frame 0 is this function; the caller's stack starts at 1. */
	if (!prefix || !*prefix || got < 2)
		return;
	depth = (size_t)got - 1;
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
