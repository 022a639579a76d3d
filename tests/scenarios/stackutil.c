/* SPDX-License-Identifier: MIT */
/* stackutil.c -- helpers of the stack-counter scenarios (stackutil.h).
 * Reads counter files only through the product's validating reader
 * (lib/counterparse.h); never writes to the store.
 */
#define _GNU_SOURCE
#include "stackutil.h"

#include <dirent.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "counterparse.h"
#include "testutil.h"

const char *su_env_or_die(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		fprintf(stderr, "%s is not set (run under ctest)\n", name);
		exit(1);
	}
	return v;
}

char *su_example(const char *prog)
{
	return tu_path(su_env_or_die("TMWATCH_EXAMPLES"), prog);
}

static int line_matches(const char *pat, const char *line)
{
	char *anchored;
	regex_t re;
	int ok;

	if (asprintf(&anchored, "^(%s)$", pat) < 0)
		return 0;
	if (regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB) != 0) {
		free(anchored);
		fail_msg("bad expected pattern '%s'", pat);
	}
	ok = regexec(&re, line, 0, NULL, 0) == 0;
	regfree(&re);
	free(anchored);
	return ok;
}

/* Backtracking over '*' lines; stacks are at most 17 lines. */
static int match_from(char **lines, size_t n, size_t i,
		      const char *const *pat)
{
	if (!*pat)
		return i == n;
	if ((*pat)[0] == '*') {
		size_t j = i;

		for (;;) {
			if (match_from(lines, n, j, pat + 1))
				return 1;
			if (j == n || !line_matches(*pat + 1, lines[j]))
				return 0;
			j++;
		}
	}
	return i < n && line_matches(*pat, lines[i]) &&
		match_from(lines, n, i + 1, pat + 1);
}

int su_match(const char *name, const char *const *expected)
{
	char *copy = strdup(name), *save = NULL, *tok, *lines[64];
	size_t n = 0;
	int ok;

	tok = strtok_r(copy, "\n", &save);
	if (!tok || strcmp(tok, "crash/crash") != 0) {
		free(copy);
		return 0;
	}
	while ((tok = strtok_r(NULL, "\n", &save)) && n < 64)
		lines[n++] = tok;
	ok = match_from(lines, n, 0, expected);
	free(copy);
	return ok;
}

char *su_lines(const char *const *expected)
{
	size_t len = 1;
	char *s;

	for (const char *const *p = expected; *p; p++)
		len += strlen(*p) + 1;
	s = calloc(1, len);
	for (const char *const *p = expected; *p; p++) {
		strcat(s, *p);
		strcat(s, "\n");
	}
	return s;
}

static int wanted(const char *name, const char *prefix)
{
	size_t pl = strlen(prefix);

	if (strncmp(name, prefix, pl) != 0)
		return 0;
	return prefix[pl - 1] == ':' || name[pl] == '\n' || name[pl] == '\0';
}

size_t su_counters(const char *store, const char *prefix, char ***names,
		   uint64_t **values, char ***programs)
{
	char *local = tu_path(store, "local");
	DIR *d = opendir(local);
	struct dirent *e;
	size_t n = 0;

	*names = NULL;
	*values = NULL;
	*programs = NULL;
	while (d && (e = readdir(d))) {
		struct tm__parsed_file f;
		size_t l = strlen(e->d_name);
		char *path, why[128];

		if (l < 9 || strcmp(e->d_name + l - 9, ".v1.count") != 0)
			continue;
		path = tu_path(local, e->d_name);
		if (tm__counterparse_path(path, &f, why, sizeof why) != 0)
			fail_msg("counter file '%s' unreadable: %s", path,
				 why);
		for (size_t i = 0; i < f.ncounters; i++) {
			if (!wanted(f.counters[i].name, prefix))
				continue;
			*names = realloc(*names, (n + 1) * sizeof(char *));
			*values = realloc(*values, (n + 1) * sizeof(uint64_t));
			*programs = realloc(*programs,
					    (n + 1) * sizeof(char *));
			(*names)[n] = strdup(f.counters[i].name);
			(*values)[n] = f.counters[i].value;
			(*programs)[n] = strndup(e->d_name,
						 strcspn(e->d_name, "@"));
			n++;
		}
		tm__counterparse_free(&f);
		free(path);
	}
	if (d)
		closedir(d);
	free(local);
	return n;
}

void su_free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

int su_grep_tree(const char *dir, const char *needle, char **where)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	if (strstr(dir, needle)) {
		if (where)
			*where = strdup(dir);
		found = 1;
	}
	while (!found && d && (e = readdir(d))) {
		char *p;
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0)
			continue;
		p = tu_path(dir, e->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			found = su_grep_tree(p, needle, where);
		} else if (S_ISREG(st.st_mode)) {
			size_t len = 0;
			char *text = tu_read_file(p, &len);

			found = strstr(p, needle) ||
				(text && memmem(text, len, needle,
						strlen(needle)));
			if (found && where)
				*where = strdup(p);
			free(text);
		}
		free(p);
	}
	if (d)
		closedir(d);
	return found;
}
