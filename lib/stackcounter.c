/* SPDX-License-Identifier: MIT */
/* stackcounter.c -- tm_stack_counter_inc: count the caller's stack.
 *
 * For conditions that should never happen (Go's gopls/bug): the counter
 * name is PREFIX followed by the caller's frames in the crash/crash frame
 * format (stackname.c), by the watchdog's naming rule (v2: system library
 * frames by exported name or soname, nothing below main or a thread's
 * start routine; tm__stackname_select). The stack comes from glibc's
 * backtrace(); names come from the crash symbolizer over this process's
 * own modules (symbolize.c). Each distinct (prefix, stack) is
 * symbolized once and then counted through a cached counter handle, so a
 * condition hit in a loop costs an unwind and a table lookup.
 *
 * Any thread; not for signal handlers (backtrace and libdwfl allocate).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stackname.h"
#include "symbolize.h"
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

/* Builds the counter name for PREFIX and PCS (return addresses) into a
 * malloc'd string, with the crash symbolizer (symbolize.c): DWARF
 * names and +N line offsets where debug info is found, inline levels
 * as frames of their own, else symbol tables, else module names. */
static char *stack_name(const char *prefix, void *const *pcs, size_t depth)
{
	uint64_t addr[STACK_DEPTH];
	unsigned char exact[STACK_DEPTH] = { 0 };
	struct tm__symbolizer *sym;
	struct tm__symframes frames = { 0 };
	struct tm__frame *kept;
	char *name;
	int r;

	if (tm__symbolize_open(0, &sym) != 0)
		return NULL;
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
	free(kept);
	tm__symframes_free(&frames);
	tm__symbolize_close(sym);
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
