/* SPDX-License-Identifier: MIT */
/* fuzz_stackpred.c -- libFuzzer target for the issue files of
 * `tmwatch stacks` (watchdog/commands/stacks_pred.c, stacks_issues.c):
 * the input is an issue file (front matter, Dups: lines, ```#!stacks
 * blocks); a line "----stack----" splits off a stack text the parsed
 * predicate is matched against. Parsing must end, bounded, with a
 * predicate or a reason; matching must not read past the text.
 *
 * The stacks files are compiled in directly (one source per target). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../watchdog/commands/stacks_group.c"
#include "../../watchdog/commands/stacks_issues.c"
#include "../../watchdog/commands/stacks_pred.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *stack, *sep;
	struct stacks_issue *iu;
	struct stacks_pred *p;
	char why[200];

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	sep = strstr(text, "\n----stack----\n");
	stack = sep ? sep + 15 : (char *)"crash/crash\nmain:+1,+0x2";
	if (sep)
		*sep = '\0';
	/* The raw text as one predicate. */
	p = stacks_pred_parse(text, why, sizeof why);
	if (p) {
		stacks_pred_match(p, stack);
		stacks_pred_free(p);
	} else if (!why[0]) {
		abort();	/* a failure must say why */
	}
	/* The text as an issue file. */
	iu = calloc(1, sizeof *iu);
	if (iu) {
		struct stacks_issues one = { 1, iu };

		if (parse_issue(iu, text) == 0 && iu->pred)
			stacks_pred_match(iu->pred, stack);
		stacks_issues_free(&one);
	}
	free(text);
	return 0;
}
