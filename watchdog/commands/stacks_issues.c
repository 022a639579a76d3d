/* SPDX-License-Identifier: MIT */
/* stacks_issues.c -- the maintainer's issue files for `tmwatch stacks`
 * (docs/maintainers.md "Issues"): which issue claims which stack group,
 * regressions past a fix, and drafts for the groups nobody claims.
 *
 * An issue file DIR/NAME.md may start with front matter between "---"
 * lines (title:, fixed-in:), claims stacks by ID (or signature ID) on
 * "Dups:" lines and by a predicate in a ```#!stacks fenced block
 * (stacks_pred.c). Drafts carry uploaded text only escaped (every byte
 * outside printable ASCII, and '`', '\\', '|', become \xNN) and inside
 * code spans, so a hostile upload cannot end a code span or a table cell
 * or inject Markdown.
 * Drafts are written temp + rename. Never prints.
 */
#define _GNU_SOURCE
#include "stacks.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "tmwatch/common.h"

#define MAX_ISSUE_BYTES (1 << 20)

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int is_id_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_';
}

static void set_error(struct stacks_issue *iu, const char *fmt,
		      const char *arg)
{
	if (iu->error)
		return;
	if (asprintf(&iu->error, fmt, arg) < 0)
		iu->error = NULL;
}

static int add_dups(struct stacks_issue *iu, char *rest)
{
	char *save = NULL, *t;

	for (t = strtok_r(rest, " \t,", &save); t;
	     t = strtok_r(NULL, " \t,", &save)) {
		size_t n = strlen(t);
		char (*nd)[9];

		if (n != 8) {
			set_error(iu, "Dups: '%s' is not an 8-character stack "
				  "ID", t);
			continue;
		}
		for (size_t i = 0; i < n; i++)
			if (!is_id_char(t[i])) {
				set_error(iu, "Dups: '%s' is not a stack ID",
					  t);
				n = 0;
				break;
			}
		if (!n)
			continue;
		if (!(nd = realloc(iu->dups, (iu->ndups + 1) * sizeof *nd)))
			return -ENOMEM;
		iu->dups = nd;
		memcpy(iu->dups[iu->ndups++], t, 9);
	}
	return 0;
}

static int parse_issue(struct stacks_issue *iu, char *text)
{
	char *save = NULL, *line, *pred = NULL;
	size_t predlen = 0;
	int lineno = 0, in_front = 0, in_block = 0, in_fence = 0;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *t = trim(line);

		lineno++;
		if (lineno == 1 && !strcmp(t, "---")) {
			in_front = 1;
			continue;
		}
		if (in_front) {
			if (!strcmp(t, "---")) {
				in_front = 0;
			} else if (!strncasecmp(t, "fixed-in:", 9)) {
				free(iu->fixed_in);
				iu->fixed_in = strdup(trim(t + 9));
				if (!iu->fixed_in)
					return -ENOMEM;
			} else if (!strncasecmp(t, "title:", 6)) {
				free(iu->title);
				if (!(iu->title = strdup(trim(t + 6))))
					return -ENOMEM;
			}
			continue;
		}
		if (in_block) {
			if (!strncmp(t, "```", 3)) {
				in_block = 0;
				continue;
			}
			size_t n = strlen(t);
			char *np = realloc(pred, predlen + n + 2);

			if (!np) {
				free(pred);
				return -ENOMEM;
			}
			pred = np;
			memcpy(pred + predlen, t, n);
			predlen += n;
			pred[predlen++] = '\n';
			pred[predlen] = '\0';
			continue;
		}
		if (!strncmp(t, "```", 3)) {
			if (!strcmp(trim(t + 3), "#!stacks")) {
				if (pred) {
					/* A second block: either claims. */
					char *np = realloc(pred, predlen + 5);

					if (!np) {
						free(pred);
						return -ENOMEM;
					}
					pred = np;
					memcpy(pred + predlen, "||\n", 4);
					predlen += 3;
				}
				in_block = 1;
			} else {
				in_fence = !in_fence;
			}
			continue;
		}
		if (in_fence)
			continue;
		if (!strncasecmp(t, "Dups:", 5)) {
			if (add_dups(iu, t + 5)) {
				free(pred);
				return -ENOMEM;
			}
		} else if (!iu->title && t[0] == '#' && t[1] == ' ') {
			if (!(iu->title = strdup(trim(t + 2)))) {
				free(pred);
				return -ENOMEM;
			}
		}
	}
	if (in_block)
		set_error(iu, "%s", "the #!stacks block is not closed");
	if (pred && !iu->error) {
		char why[200];

		iu->pred = stacks_pred_parse(pred, why, sizeof why);
		if (!iu->pred)
			set_error(iu, "#!stacks: %s", why);
	}
	iu->pred_text = pred;
	return 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct stacks_issue *)a)->path,
		      ((const struct stacks_issue *)b)->path);
}

int stacks_issues_load(const char *dir, struct stacks_issues *is,
		       char *why, size_t whycap)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	memset(is, 0, sizeof *is);
	if (!d) {
		rc = -errno;
		snprintf(why, whycap, "%s", tm_strerror(rc));
		return rc;
	}
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		struct stacks_issue *iu, *nv;
		char *text;
		size_t len;

		if (e->d_name[0] == '.' || l < 4 ||
		    strcmp(e->d_name + l - 3, ".md"))
			continue;
		if (!(nv = realloc(is->v, (is->n + 1) * sizeof *nv))) {
			rc = -ENOMEM;
			break;
		}
		is->v = nv;
		iu = &is->v[is->n++];
		memset(iu, 0, sizeof *iu);
		if (asprintf(&iu->path, "%s/%s", dir, e->d_name) < 0 ||
		    !(iu->base = strndup(e->d_name, l - 3))) {
			iu->path = NULL;
			rc = -ENOMEM;
			break;
		}
		if (!(text = malloc(MAX_ISSUE_BYTES))) {
			rc = -ENOMEM;
			break;
		}
		rc = tm__fs_read_small(iu->path, text, MAX_ISSUE_BYTES, &len);
		if (rc) {
			set_error(iu, "cannot read it: %s", tm_strerror(rc));
			free(text);
			rc = 0;
			continue;
		}
		text[len] = '\0';
		rc = parse_issue(iu, text);
		free(text);
		if (rc)
			break;
	}
	closedir(d);
	if (rc)
		snprintf(why, whycap, "%s", tm_strerror(rc));
	else if (is->n)
		qsort(is->v, is->n, sizeof *is->v, by_path);
	return rc;
}

static int claims(const struct stacks_issue *iu, const struct stacks_group *g)
{
	if (iu->error)
		return 0;
	for (size_t i = 0; i < iu->ndups; i++)
		if (!strcmp(iu->dups[i], g->id) ||
		    !strcmp(iu->dups[i], g->sig_id))
			return 1;
	return iu->pred && stacks_pred_match(iu->pred, g->name);
}

int stacks_issues_match(struct stacks_issues *is, struct stacks_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct stacks_group *g = s->groups[i];

		for (size_t j = 0; j < is->n; j++) {
			size_t *nc;

			if (!claims(&is->v[j], g))
				continue;
			if (!(nc = realloc(g->claims, (g->nclaims + 1) *
						      sizeof *nc)))
				return -ENOMEM;
			g->claims = nc;
			g->claims[g->nclaims++] = j;
		}
	}
	return 0;
}

int stacks_version_cmp(const char *a, const char *b)
{
	if (*a == 'v')
		a++;
	if (*b == 'v')
		b++;
	while (*a || *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			unsigned long long x, y;
			char *ea, *eb;

			x = strtoull(a, &ea, 10);
			y = strtoull(b, &eb, 10);
			if (x != y)
				return x < y ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return 0;
}

const char *stacks_issue_regressed(const struct stacks_issue *iu,
				   const struct stacks_group *g)
{
	const char *worst = NULL;

	if (!iu->fixed_in || !*iu->fixed_in)
		return NULL;
	for (size_t i = 0; i < g->nversions; i++)
		if (stacks_version_cmp(g->versions[i].key, iu->fixed_in) >= 0 &&
		    (!worst || stacks_version_cmp(g->versions[i].key,
						  worst) > 0))
			worst = g->versions[i].key;
	return worst;
}

/* url_part appends S percent-encoded (KEEP_SLASH keeps '/'). */
static void url_part(FILE *f, const char *s, int keep_slash)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (isalnum(*p) || strchr("-._~", *p) ||
		    (keep_slash && *p == '/'))
			fputc(*p, f);
		else
			fprintf(f, "%%%02X", *p);
}

char *stacks_source_link(const char *tmpl, const char *version,
			 const char *file, int line,
			 const char *strip_prefix)
{
	size_t n = strip_prefix ? strlen(strip_prefix) : 0;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if (n && !strncmp(file, strip_prefix, n)) {
		file += n;
		while (*file == '/')
			file++;
	}
	if (!(f = open_memstream(&out, &len)))
		return NULL;
	for (const char *p = tmpl; *p;) {
		if (!strncmp(p, "{version}", 9)) {
			url_part(f, version ? version : "", 0);
			p += 9;
		} else if (!strncmp(p, "{file}", 6)) {
			url_part(f, file, 1);
			p += 6;
		} else if (!strncmp(p, "{line}", 6)) {
			fprintf(f, "%d", line);
			p += 6;
		} else {
			fputc(*p++, f);
		}
	}
	if (fclose(f)) {
		free(out);
		return NULL;
	}
	return out;
}

static const char *title_func(const struct stacks_group *g, char **owned)
{
	size_t j = g->own_frame >= 0 ? (size_t)g->own_frame : 0;

	if (g->own_frame < 0) {
		/* No symbols: the first frame with a line offset is the
		 * program's own (system frames carry none). */
		for (size_t k = 0; k < g->nframes; k++)
			if (strstr(g->frames[k], ":+") &&
			    strchr(g->frames[k], ',')) {
				j = k;
				break;
			}
	}
	if (!g->nframes)
		return "(no frames)";
	*owned = stacks_frame_func(g->frames[j]);
	return *owned ? *owned : "?";
}

int stacks_draft_write(const char *dir, const struct stacks_group *g,
		       const char *source_url, const char *strip_prefix)
{
	char *owned = NULL, *fn, *prog, *out = NULL, path[4200];
	size_t len = 0;
	FILE *f;
	int rc;

	fn = stacks_escape(title_func(g, &owned));
	prog = stacks_escape(g->program);
	free(owned);
	if (!fn || !prog || !(f = open_memstream(&out, &len))) {
		free(fn);
		free(prog);
		return -ENOMEM;
	}
	fprintf(f, "---\ntitle: %s: crash in %s\n---\n\n# %s: crash in `%s`\n\n"
		"Stack `%s` (signature `%s`) was counted %llu times from %s to "
		"%s.\n\n| version | count |\n|---|---|\n", prog, fn, prog, fn,
		g->id, g->sig_id, (unsigned long long)g->total, g->first_day,
		g->last_day);
	for (size_t i = 0; i < g->nversions; i++) {
		char *v = stacks_escape(g->versions[i].key);

		fprintf(f, "| `%s` | %llu |\n", v ? v : "?",
			(unsigned long long)g->versions[i].n);
		free(v);
	}
	fprintf(f, "\nFrames, innermost first:\n\n");
	for (size_t j = 0; j < g->nframes; j++) {
		char *e = stacks_escape(g->frames[j]);
		const struct stacks_src *s = g->src ? &g->src[j] : NULL;

		fprintf(f, "- `%s`", e ? e : "?");
		if (s && s->file) {
			char *link = source_url ? stacks_source_link(
				source_url, g->symbols_version, s->file,
				s->line, strip_prefix) : NULL;
			const char *shown = s->file;
			size_t n = strip_prefix ? strlen(strip_prefix) : 0;

			if (n && !strncmp(shown, strip_prefix, n))
				shown += n + (shown[n] == '/');
			if (link)
				fprintf(f, " [%s:%d](%s)", shown, s->line,
					link);
			else
				fprintf(f, " %s:%d", shown, s->line);
			free(link);
		}
		fputc('\n', f);
		free(e);
	}
	fprintf(f, "\nDups: %s\n\n## Reproducing\n\n", g->id);
	if (g->symbols_version && g->own_frame >= 0) {
		char *v = stacks_escape(g->symbols_version);

		fprintf(f, "%s %s crashes here; its symbols were found in "
			"`%s`. Run it under `tmwatch` and check the local "
			"crash log (`tmwatch crashes`) for the full stack.\n",
			prog, v ? v : "?", g->src[g->own_frame].binary);
		free(v);
	} else {
		fprintf(f, "Seen in the versions above; no release binary "
			"was found for them (give `--symbols DIR`).\n");
	}
	free(fn);
	free(prog);
	if (fclose(f)) {
		free(out);
		return -ENOMEM;
	}
	snprintf(path, sizeof path, "%s/%s.md", dir, g->id);
	rc = tm__fs_write_atomic(path, out, len, 0644, 1);
	free(out);
	return rc;
}

void stacks_issues_free(struct stacks_issues *is)
{
	for (size_t i = 0; i < is->n; i++) {
		struct stacks_issue *iu = &is->v[i];

		free(iu->path);
		free(iu->base);
		free(iu->title);
		free(iu->fixed_in);
		free(iu->dups);
		stacks_pred_free(iu->pred);
		free(iu->pred_text);
		free(iu->error);
	}
	free(is->v);
	is->v = NULL;
	is->n = 0;
}
