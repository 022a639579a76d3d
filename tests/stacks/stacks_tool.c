/* SPDX-License-Identifier: MIT */
/* stacks_tool.c -- a tool that crashes on demand, built as two releases.
 *
 * tests/stacks/CMakeLists.txt builds it twice, as stacks-tool 1.0.0 and
 * 1.1.0 (TOOL_VERSION, carried in .note.package), each in its own
 * directory so both run as program "stacks-tool". The crash kind is
 * argv[1]. Release 1.1.0 "fixes" the divide by zero (parse_ratio checks
 * its divisor) but still crashes in store_item, the regression the
 * end-to-end test expects `tmwatch stacks` to flag. Every line where an
 * own frame stops carries a marker comment "@frame NAME": the test finds
 * the exact file:line of each frame from these markers, not from tmwatch.
 * Kinds: null (SIGSEGV), div (SIGFPE, 1.0.0 only), abort, trap (SIGILL).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PACKAGE_JSON \
	"{\"type\":\"deb\",\"name\":\"stacks-tool\",\"version\":\"" \
	TOOL_VERSION "\"}"
#define ALIGN4(n) (((n) + 3) & ~(size_t)3)

/* The FDO package note (see examples/versioned_tool.c). */
struct package_note {
	uint32_t namesz;
	uint32_t descsz;
	uint32_t type;
	char name[4];
	char desc[ALIGN4(sizeof PACKAGE_JSON)];
};

__attribute__((used, section(".note.package"), aligned(4)))
static const struct package_note package_note = {
	.namesz = 4,
	.descsz = ALIGN4(sizeof PACKAGE_JSON),
	.type = 0xcafe1a7e,
	.name = "FDO",
	.desc = PACKAGE_JSON,
};

volatile int zero;
static int sink;

__attribute__((noinline)) static void store_item(int *slot, int v)
{
	*slot = v; /* @frame store_item */
}

__attribute__((noinline)) static void load_items(int n)
{
#ifdef TOOL_FIXED_DIVIDE
	sink = n;	/* 1.1.0 changed this function: new +0x offsets */
#endif
	for (int i = 0; i < n; i++)
		store_item(i < n - 1 ? &sink : NULL, i); /* @frame load_items */
}

__attribute__((noinline)) static int parse_ratio(int a)
{
#ifdef TOOL_FIXED_DIVIDE
	if (zero == 0)
		return 0;
#endif
	return a / zero; /* @frame parse_ratio */
}

__attribute__((noinline)) static void check_config(const char *s)
{
	if (strlen(s) > 3)
		abort(); /* @frame check_config */
}

__attribute__((noinline)) static void validate_header(const char *s)
{
	if (s[0] == 't')
		__builtin_trap(); /* @frame validate_header */
}

__attribute__((noinline)) static void run(const char *kind)
{
	if (!strcmp(kind, "null"))
		load_items(3); /* @frame run null */
	else if (!strcmp(kind, "div"))
		printf("%d\n", parse_ratio(7)); /* @frame run div */
	else if (!strcmp(kind, "abort"))
		check_config(kind); /* @frame run abort */
	else if (!strcmp(kind, "trap"))
		validate_header(kind); /* @frame run trap */
}

int main(int argc, char **argv)
{
	if (argc > 1)
		run(argv[1]); /* @frame main */
	printf("stacks-tool " TOOL_VERSION "\n");
	return 0;
}
