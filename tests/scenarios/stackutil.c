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
#include <unistd.h>

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

/* Directories where a module-only frame's file may be: the examples,
 * the programs' and libraries' usual homes, and those of every file the
 * test itself maps (libc's, whatever the multiarch path). */
static int module_size(const char *base, uint64_t *size)
{
	static const char *const fixed[] = {
		"/usr/bin", "/bin", "/lib64", "/usr/lib64",
		"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
		"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
		"/usr/libexec/valgrind", "/usr/lib/go-1.19/bin",
	};
	const char *ex = getenv("TMWATCH_EXAMPLES");
	char line[4096];
	struct stat st;
	FILE *maps;
	int found = 0;

	if (strchr(base, '/') || !*base)
		return 0;
	for (size_t i = 0; i <= sizeof fixed / sizeof fixed[0]; i++) {
		const char *dir = i ? fixed[i - 1] : ex;
		char *p;

		if (!dir)
			continue;
		p = tu_path(dir, base);
		found = stat(p, &st) == 0 && S_ISREG(st.st_mode);
		free(p);
		if (found) {
			*size = (uint64_t)st.st_size;
			return 1;
		}
	}
	maps = fopen("/proc/self/maps", "re");
	while (maps && !found && fgets(line, sizeof line, maps)) {
		char *path = strchr(line, '/'), *slash;

		if (!path)
			continue;
		path[strcspn(path, "\n")] = 0;
		slash = strrchr(path, '/');
		if (strcmp(slash + 1, base) == 0 && stat(path, &st) == 0) {
			*size = (uint64_t)st.st_size;
			found = 1;
		}
	}
	if (maps)
		fclose(maps);
	return found;
}

int su_offsets_are_sane(const char *name, char **why)
{
	char *copy = strdup(name), *save = NULL, *line;
	int ok = 1;

	*why = NULL;
	(void)strtok_r(copy, "\n", &save); /* the event line */
	while (ok && (line = strtok_r(NULL, "\n", &save))) {
		char *colon = strrchr(line, ':'), *hex;
		uint64_t off, size;

		if (!colon || !(hex = strstr(colon, "+0x")))
			continue; /* "…", "truncated" */
		off = strtoull(hex + 3, NULL, 16);
		*colon = 0;
		if (off >= SU_OFFSET_MAX) {
			ok = asprintf(why, "frame '%s:%s': offset 0x%llx is "
				      "an address, not an offset", line,
				      colon + 1, (unsigned long long)off) < 0;
		} else if (module_size(line, &size) && off >= size) {
			ok = asprintf(why, "frame '%s:%s': offset 0x%llx is "
				      "past the end of the module file "
				      "(%llu bytes)", line, colon + 1,
				      (unsigned long long)off,
				      (unsigned long long)size) < 0;
		}
		*colon = ':';
	}
	free(copy);
	return ok;
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
			char *why;

			if (strchr(f.counters[i].name, '\n') &&
			    !su_offsets_are_sane(f.counters[i].name, &why))
				fail_msg("counter\n%s\n--- in '%s': %s",
					 f.counters[i].name, path, why);
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
