/* SPDX-License-Identifier: MIT */
/* fuzz_merged.c -- libFuzzer target for the merged-dataset reader of
 * `tmwatch stacks` (watchdog/commands/stacks_data.c) and the grouping
 * behind it (stacks_group.c): the input is a merged day (NDJSON
 * reports, uploaded by anyone). Every line must be read or counted
 * as invalid; every group must get an ID, a signature and frames;
 * escaped text must hold only printable ASCII without backticks or '|'.
 *
 * The stacks files are compiled in directly (one source per target). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TMWATCH_VERSION
#define TMWATCH_VERSION "fuzz"
#endif
#include "../../watchdog/commands/stacks_data.c"
#include "../../watchdog/commands/stacks_group.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_escaped(const char *e)
{
	for (const unsigned char *p = (const unsigned char *)e; *p; p++) {
		if (p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0xa6) {
			p += 2;
			continue;
		}
		if (*p < 0x20 || *p > 0x7e || *p == '`' || *p == '|')
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stacks_set s = { .program = NULL, .prefix = "" };

	if (stacks_read_merged(&s, "2026-11-22", (const char *)data, size))
		goto out;
	stacks_rank(&s);
	for (size_t i = 0; i < s.n; i++) {
		const struct stacks_group *g = s.groups[i];
		char id[9], *e;

		stacks_id(g->name, strlen(g->name), id);
		if (strcmp(id, g->id) || strlen(g->sig_id) != 8)
			abort();
		for (size_t j = 0; j < g->nframes; j++) {
			char *fn = stacks_frame_func(g->frames[j]);

			if (!(e = stacks_escape(g->frames[j])))
				continue;
			check_escaped(e);
			if (stacks_frame_is_valid(g->frames[j]) &&
			    !strchr(g->frames[j], '`') &&
			    !strchr(g->frames[j], '\\') &&
			    !strchr(g->frames[j], '|') &&
			    strcmp(e, g->frames[j]))
				abort();	/* valid text shows as is */
			free(e);
			free(fn);
		}
		if (i && g->total > s.groups[i - 1]->total)
			abort();	/* ranked */
	}
out:
	stacks_free(&s);
	return 0;
}
