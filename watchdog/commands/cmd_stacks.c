/* SPDX-License-Identifier: MIT */
/* cmd_stacks.c -- `tmwatch stacks`: a maintainer's view of the crashes
 * users uploaded (docs/maintainers.md).
 *
 * Reads merged datasets (stacks_data.c) for a range of days, groups one
 * program's stack counters by stack ID and signature (stacks_group.c),
 * ranks them, optionally maps own frames to file:line (stacks_symbols.c),
 * matches the maintainer's issue files, flags regressions and writes
 * drafts for unclaimed groups (stacks_issues.c), and prints a table or
 * JSON. Every string from the data is escaped before it reaches a
 * terminal or a Markdown file. Exit status: 0, 1 failure, 2 usage.
 */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "cmd.h"
#include "msg.h"
#include "stacks.h"
#include "tmwatch/common.h"

static const char CMD[] = "tmwatch stacks";

struct opts {
	const char *data, *program, *since, *until, *prefix;
	const char *symbols, *source_url, *strip_prefix, *issues;
	const char *new_issues;
	long days;
	unsigned long long min_count;
	int json, debuginfod;
};

/* One signature: the groups that share it (members[0..ngroups), ranked,
 * pointing into the sorted copy that signatures() returns in *BYSIG). */
struct sig {
	const char *id;
	const struct stacks_group *first;
	uint64_t total;
	size_t ngroups;
	struct stacks_group **members;
};

static void help(void)
{
	puts("usage: tmwatch stacks --data DIR|URL --program NAME [options]\n"
	     "\n"
	     "Groups the crash stacks users uploaded (merged datasets of "
	     "tmwatch-collector)\nby stack ID, ranks them, maps frames to "
	     "source lines and matches them to issues.\n"
	     "\n"
	     "  --data DIR|URL        collector --data directory, its "
	     "http(s):// base URL,\n"
	     "                        or its PostgreSQL store "
	     "(postgresql://...)\n"
	     "  --program NAME        the program (required)\n"
	     "  --days N              the last N days, today included (7)\n"
	     "  --since DATE          from DATE (YYYY-MM-DD) instead\n"
	     "  --until DATE          up to DATE (today)\n"
	     "  --prefix NAME         stack counter to read (crash/crash; "
	     "'' for all)\n"
	     "  --min-count N         hide groups counted fewer than N times\n"
	     "  --symbols DIR         release binaries or debug files: "
	     "frames to file:line\n"
	     "  --source-url TMPL     link template: {version} {file} "
	     "{line}\n"
	     "  --strip-prefix DIR    removed from source paths before "
	     "{file}\n"
	     "  --debuginfod          also ask DEBUGINFOD_URLS for debug "
	     "files\n"
	     "  --issues DIR          issue files (*.md) claiming stacks\n"
	     "  --new-issues DIR      write a draft per unclaimed group\n"
	     "  --json                JSON for scripts (schema in "
	     "docs/maintainers.md)\n"
	     "\n"
	     "Exit status: 0 ok, 1 failure, 2 usage error. TMWATCH_NOW sets "
	     "today.");
}

static int parse_date_arg(const char *opt, const char *v, char out[11])
{
	time_t t;

	if (strlen(v) != 10 || tm__clock_parse(v, &t)) {
		msg_usage(CMD, "%s: '%s' is not a date YYYY-MM-DD", opt, v);
		return -1;
	}
	tm__clock_date(t, out);
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "program", required_argument, NULL, 'p' },
		{ "days", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "prefix", required_argument, NULL, 'P' },
		{ "min-count", required_argument, NULL, 'm' },
		{ "symbols", required_argument, NULL, 'S' },
		{ "source-url", required_argument, NULL, 'U' },
		{ "strip-prefix", required_argument, NULL, 'x' },
		{ "debuginfod", no_argument, NULL, 'D' },
		{ "issues", required_argument, NULL, 'i' },
		{ "new-issues", required_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char *end;
	int c;

	memset(o, 0, sizeof *o);
	o->days = 7;
	o->min_count = 1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o->data = optarg; break;
		case 'p': o->program = optarg; break;
		case 'n':
			errno = 0;
			o->days = strtol(optarg, &end, 10);
			if (errno || *end || o->days < 1 || o->days > 36500)
				return msg_usage(CMD, "--days: '%s' is not a "
						 "number of days from 1",
						 optarg);
			break;
		case 's': o->since = optarg; break;
		case 'u': o->until = optarg; break;
		case 'P': o->prefix = optarg; break;
		case 'm':
			errno = 0;
			o->min_count = strtoull(optarg, &end, 10);
			if (errno || *end || *optarg == '-')
				return msg_usage(CMD, "--min-count: '%s' is "
						 "not a count", optarg);
			break;
		case 'S': o->symbols = optarg; break;
		case 'U': o->source_url = optarg; break;
		case 'x': o->strip_prefix = optarg; break;
		case 'D': o->debuginfod = 1; break;
		case 'i': o->issues = optarg; break;
		case 'N': o->new_issues = optarg; break;
		case 'j': o->json = 1; break;
		case 'h': help(); return -1;
		default:
			return msg_usage(CMD, "unknown option '%s'",
					 argv[optind - 1]);
		}
	}
	if (optind < argc)
		return msg_usage(CMD, "unexpected argument '%s'",
				 argv[optind]);
	if (!o->data || !o->program)
		return msg_usage(CMD, "--data and --program are required");
	return 0;
}

static int by_sig(const void *a, const void *b)
{
	const struct sig *x = a, *y = b;

	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->id, y->id);
}

static int by_signature(const void *a, const void *b)
{
	const struct stacks_group *x = *(struct stacks_group *const *)a;
	const struct stacks_group *y = *(struct stacks_group *const *)b;
	int c = strcmp(x->signature, y->signature);

	if (c)
		return c;
	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->id, y->id);
}

/* signatures sums the shown groups per signature, ranked: one sort of
 * the groups by signature text, then runs (n log n: 10 000 groups must
 * not cost 10^8 comparisons). *BYSIG is the sorted copy the signatures
 * point into; free both. */
static struct sig *signatures(const struct stacks_set *s,
			      unsigned long long min, size_t *n,
			      struct stacks_group ***bysig)
{
	struct sig *v = calloc(s->n ? s->n : 1, sizeof *v);
	struct stacks_group **g = malloc((s->n ? s->n : 1) * sizeof *g);
	size_t m = 0;

	*n = 0;
	*bysig = g;
	if (!v || !g) {
		free(v);
		return NULL;
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->groups[i]->total >= min)
			g[m++] = s->groups[i];
	if (m)
		qsort(g, m, sizeof *g, by_signature);
	for (size_t i = 0; i < m; i++) {
		if (!i || strcmp(g[i]->signature, g[i - 1]->signature)) {
			v[*n].id = g[i]->sig_id;
			v[*n].first = g[i];
			v[*n].members = &g[i];
			(*n)++;
		}
		v[*n - 1].total += g[i]->total;
		v[*n - 1].ngroups++;
	}
	if (*n)
		qsort(v, *n, sizeof *v, by_sig);
	return v;
}

/* What one issue claims: counts per version over its groups. */
struct claim_sum {
	uint64_t total;
	size_t ngroups, nversions, nregressed;
	struct stacks_kv v[64];	/* versions past 64 are summed in total */
};

static int by_version(const void *a, const void *b)
{
	return stacks_version_cmp(((const struct stacks_kv *)a)->key,
				  ((const struct stacks_kv *)b)->key);
}

static void sum_claims(const struct stacks_set *s,
		       const struct stacks_issues *is, size_t issue,
		       unsigned long long min, struct claim_sum *c)
{
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < s->n; i++) {
		const struct stacks_group *g = s->groups[i];
		size_t k;

		if (g->total < min)
			continue;
		for (k = 0; k < g->nclaims && g->claims[k] != issue; k++)
			;
		if (k == g->nclaims)
			continue;
		c->ngroups++;
		c->total += g->total;
		if (stacks_issue_regressed(&is->v[issue], g))
			c->nregressed++;
		for (size_t j = 0; j < g->nversions; j++) {
			size_t m;

			for (m = 0; m < c->nversions; m++)
				if (!strcmp(c->v[m].key, g->versions[j].key))
					break;
			if (m == c->nversions) {
				if (m == sizeof c->v / sizeof c->v[0])
					continue;
				c->v[m].key = g->versions[j].key;
				c->nversions++;
			}
			c->v[m].n += g->versions[j].n;
		}
	}
	if (c->nversions)
		qsort(c->v, c->nversions, sizeof c->v[0], by_version);
}

static char *frame_link(const struct opts *o, const struct stacks_group *g,
			size_t i)
{
	const struct stacks_src *src = g->src ? &g->src[i] : NULL;

	if (!o->source_url || !src || !src->file)
		return NULL;
	return stacks_source_link(o->source_url, g->symbols_version,
				  src->file, src->line, o->strip_prefix);
}

static const char *strip(const struct opts *o, const char *file)
{
	size_t n = o->strip_prefix ? strlen(o->strip_prefix) : 0;

	if (n && !strncmp(file, o->strip_prefix, n)) {
		file += n;
		while (*file == '/')
			file++;
	}
	return file;
}

static void print_text(const struct opts *o, const struct stacks_set *s,
		       const struct stacks_issues *is, const char *from,
		       const char *to, struct sig *sigs, size_t nsigs)
{
	size_t shown = 0, rank = 0;

	for (size_t i = 0; i < s->n; i++)
		shown += s->groups[i]->total >= o->min_count;
	printf("%s: %s, %s..%s: %zu days, %zu reports, %zu stack groups, "
	       "%zu signatures", o->program, o->prefix ? o->prefix :
	       "crash/crash", from, to, s->ndays_read, s->nreports, shown,
	       nsigs);
	if (s->nbad_lines)
		printf(", %zu invalid lines skipped", s->nbad_lines);
	putchar('\n');
	for (size_t i = 0; i < s->n; i++) {
		const struct stacks_group *g = s->groups[i];

		if (g->total < o->min_count)
			continue;
		printf("\n#%zu %s  count %llu  signature %s  seen %s..%s\n",
		       ++rank, g->id, (unsigned long long)g->total, g->sig_id,
		       g->first_day, g->last_day);
		printf("   versions:");
		for (size_t j = 0; j < g->nversions; j++) {
			char *e = stacks_escape(g->versions[j].key);

			printf(" %s=%llu", e ? e : "?",
			       (unsigned long long)g->versions[j].n);
			free(e);
		}
		printf("  arch:");
		for (size_t j = 0; j < g->narches; j++) {
			char *e = stacks_escape(g->arches[j].key);

			printf(" %s=%llu", e ? e : "?",
			       (unsigned long long)g->arches[j].n);
			free(e);
		}
		putchar('\n');
		for (size_t j = 0; is && j < g->nclaims; j++) {
			const struct stacks_issue *iu = &is->v[g->claims[j]];
			const char *rv = stacks_issue_regressed(iu, g);

			printf("   issue: %s", iu->base);
			if (rv)
				printf("  REGRESSION: fixed in %s, crashes in "
				       "%s", iu->fixed_in, rv);
			putchar('\n');
		}
		if (is && g->nclaims > 1)
			printf("   DUPLICATE CLAIM: %zu issues claim this "
			       "stack\n", g->nclaims);
		if (is && g->nclaims == 0)
			printf("   issue: none\n");
		for (size_t j = 0; j < g->nframes; j++) {
			char *e = stacks_escape(g->frames[j]);
			const struct stacks_src *src = g->src ? &g->src[j] :
						       NULL;

			int valid = stacks_frame_is_valid(g->frames[j]);
			int mapped = src && src->file;
			int why = src && src->why && g->own_frame >= 0;

			if (valid && !mapped && !why)
				printf("     %s", e ? e : "?");
			else
				printf("     %-40s", e ? e : "?");
			if (!valid)
				printf(" (not stack-counter text)");
			if (mapped) {
				char *link = frame_link(o, g, j);

				printf(" %s:%d%s", strip(o, src->file),
				       src->line, src->line_offset_ok ? "" :
				       " (line offset differs)");
				if (link)
					printf(" %s", link);
				free(link);
			} else if (why) {
				printf(" (%s)", src->why);
			}
			putchar('\n');
			free(e);
		}
	}
	if (is && is->n) {
		printf("\nissues:\n");
		for (size_t i = 0; i < is->n; i++) {
			struct claim_sum c;

			sum_claims(s, is, i, o->min_count, &c);
			printf("  %s  count %llu  groups %zu", is->v[i].base,
			       (unsigned long long)c.total, c.ngroups);
			for (size_t j = 0; j < c.nversions; j++) {
				char *e = stacks_escape(c.v[j].key);

				printf("%s%s=%llu", j ? " " : "  versions: ",
				       e ? e : "?",
				       (unsigned long long)c.v[j].n);
				free(e);
			}
			if (c.nregressed)
				printf("  REGRESSION (fixed in %s)",
				       is->v[i].fixed_in);
			if (is->v[i].error)
				printf("  (not understood: see above)");
			putchar('\n');
		}
	}
	if (nsigs) {
		printf("\nsignatures (same functions across versions):\n");
		for (size_t i = 0; i < nsigs; i++)
			printf("  %s  count %llu  groups %zu\n", sigs[i].id,
			       (unsigned long long)sigs[i].total,
			       sigs[i].ngroups);
	}
}

static cJSON *kv_json(const struct stacks_kv *v, size_t n)
{
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; o && i < n; i++)
		cJSON_AddNumberToObject(o, v[i].key, (double)v[i].n);
	return o;
}

static int print_json(const struct opts *o, const struct stacks_set *s,
		      const struct stacks_issues *is, const char *from,
		      const char *to, struct sig *sigs, size_t nsigs,
		      cJSON *drafts)
{
	cJSON *root = cJSON_CreateObject(), *groups, *days, *sj, *dups;
	char *text;

	if (!root)
		return -ENOMEM;
	cJSON_AddStringToObject(root, "Program", o->program);
	cJSON_AddStringToObject(root, "Prefix", o->prefix ? o->prefix :
				"crash/crash");
	cJSON_AddStringToObject(root, "From", from);
	cJSON_AddStringToObject(root, "To", to);
	days = cJSON_AddArrayToObject(root, "Days");
	for (size_t i = 0; i < s->ndays_read; i++)
		cJSON_AddItemToArray(days,
				     cJSON_CreateString(s->days_read[i]));
	cJSON_AddNumberToObject(root, "Reports", (double)s->nreports);
	cJSON_AddNumberToObject(root, "InvalidLines", (double)s->nbad_lines);
	groups = cJSON_AddArrayToObject(root, "Groups");
	dups = cJSON_AddArrayToObject(root, "DuplicateClaims");
	for (size_t i = 0; i < s->n; i++) {
		const struct stacks_group *g = s->groups[i];
		cJSON *gj, *fr, *iss, *reg;

		if (g->total < o->min_count)
			continue;
		gj = cJSON_CreateObject();
		cJSON_AddItemToArray(groups, gj);
		cJSON_AddStringToObject(gj, "ID", g->id);
		cJSON_AddStringToObject(gj, "Signature", g->sig_id);
		cJSON_AddStringToObject(gj, "Name", g->name);
		cJSON_AddNumberToObject(gj, "Count", (double)g->total);
		cJSON_AddItemToObject(gj, "Versions",
				      kv_json(g->versions, g->nversions));
		cJSON_AddItemToObject(gj, "Arches",
				      kv_json(g->arches, g->narches));
		cJSON_AddItemToObject(gj, "PerDay", kv_json(g->days, g->ndays));
		cJSON_AddStringToObject(gj, "FirstDay", g->first_day);
		cJSON_AddStringToObject(gj, "LastDay", g->last_day);
		fr = cJSON_AddArrayToObject(gj, "Frames");
		for (size_t j = 0; j < g->nframes; j++) {
			cJSON *f = cJSON_CreateObject();
			char *fn = stacks_frame_func(g->frames[j]);
			const struct stacks_src *src = g->src ? &g->src[j] :
						       NULL;

			cJSON_AddItemToArray(fr, f);
			cJSON_AddStringToObject(f, "Text", g->frames[j]);
			cJSON_AddBoolToObject(f, "Valid",
				stacks_frame_is_valid(g->frames[j]));
			cJSON_AddStringToObject(f, "Function", fn ? fn : "");
			free(fn);
			cJSON_AddBoolToObject(f, "Own", g->own_frame >= 0 &&
					      j >= (size_t)g->own_frame &&
					      src && src->file);
			if (src && src->file) {
				char *link = frame_link(o, g, j);

				cJSON_AddStringToObject(f, "File",
							strip(o, src->file));
				cJSON_AddNumberToObject(f, "Line", src->line);
				cJSON_AddBoolToObject(f, "LineOffsetMatches",
						      src->line_offset_ok);
				if (link)
					cJSON_AddStringToObject(f, "URL", link);
				free(link);
			} else if (src && src->why) {
				cJSON_AddStringToObject(f, "Unmapped",
							src->why);
			}
		}
		if (g->symbols_version)
			cJSON_AddStringToObject(gj, "SymbolsVersion",
						g->symbols_version);
		if (!is)
			continue;
		iss = cJSON_AddArrayToObject(gj, "Issues");
		reg = cJSON_AddArrayToObject(gj, "Regressions");
		for (size_t j = 0; j < g->nclaims; j++) {
			const struct stacks_issue *iu = &is->v[g->claims[j]];
			const char *rv = stacks_issue_regressed(iu, g);

			cJSON_AddItemToArray(iss, cJSON_CreateString(iu->base));
			if (rv) {
				cJSON *r = cJSON_CreateObject();

				cJSON_AddStringToObject(r, "Issue", iu->base);
				cJSON_AddStringToObject(r, "FixedIn",
							iu->fixed_in);
				cJSON_AddStringToObject(r, "Version", rv);
				cJSON_AddItemToArray(reg, r);
			}
		}
		if (g->nclaims > 1) {
			cJSON *d = cJSON_CreateObject();

			cJSON_AddStringToObject(d, "ID", g->id);
			cJSON_AddItemReferenceToObject(d, "Issues", iss);
			cJSON_AddItemToArray(dups, d);
		}
	}
	sj = cJSON_AddArrayToObject(root, "Signatures");
	for (size_t i = 0; i < nsigs; i++) {
		cJSON *x = cJSON_CreateObject();
		cJSON *ids = cJSON_CreateArray();

		cJSON_AddStringToObject(x, "ID", sigs[i].id);
		cJSON_AddStringToObject(x, "Signature",
					sigs[i].first->signature);
		cJSON_AddNumberToObject(x, "Count", (double)sigs[i].total);
		for (size_t j = 0; j < sigs[i].ngroups; j++)
			cJSON_AddItemToArray(ids, cJSON_CreateString(
				sigs[i].members[j]->id));
		cJSON_AddItemToObject(x, "Groups", ids);
		cJSON_AddItemToArray(sj, x);
	}
	if (is) {
		cJSON *ij = cJSON_AddArrayToObject(root, "Issues");

		for (size_t i = 0; i < is->n; i++) {
			cJSON *x = cJSON_CreateObject();

			cJSON_AddStringToObject(x, "Issue", is->v[i].base);
			if (is->v[i].title)
				cJSON_AddStringToObject(x, "Title",
							is->v[i].title);
			if (is->v[i].fixed_in)
				cJSON_AddStringToObject(x, "FixedIn",
							is->v[i].fixed_in);
			if (is->v[i].error)
				cJSON_AddStringToObject(x, "Error",
							is->v[i].error);
			{
				struct claim_sum c;
				cJSON *vj;

				sum_claims(s, is, i, o->min_count, &c);
				cJSON_AddNumberToObject(x, "Count",
							(double)c.total);
				cJSON_AddNumberToObject(x, "Groups",
							(double)c.ngroups);
				vj = cJSON_AddObjectToObject(x, "Versions");
				for (size_t j = 0; vj && j < c.nversions; j++)
					cJSON_AddNumberToObject(vj, c.v[j].key,
						(double)c.v[j].n);
				cJSON_AddBoolToObject(x, "Regressed",
						      c.nregressed > 0);
			}
			cJSON_AddItemToArray(ij, x);
		}
	}
	if (drafts)
		cJSON_AddItemReferenceToObject(root, "Drafts", drafts);
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return -ENOMEM;
	puts(text);
	free(text);
	return 0;
}

int cmd_stacks_main(int argc, char **argv)
{
	struct opts o;
	struct stacks_set s = { 0 };
	struct stacks_issues is = { 0 };
	struct stacks_symbols *sy = NULL;
	char from[11], to[11], why[512] = "";
	struct sig *sigs = NULL;
	struct stacks_group **bysig = NULL;
	cJSON *drafts = NULL;
	size_t nsigs = 0;
	int rc, status = MSG_EXIT_FAIL;

	if ((rc = parse_args(argc, argv, &o)))
		return rc < 0 ? MSG_EXIT_OK : rc;
	if (o.until) {
		if (parse_date_arg("--until", o.until, to))
			return MSG_EXIT_USAGE;
	} else {
		tm__clock_date(tm__clock_now(), to);
	}
	if (o.since) {
		if (parse_date_arg("--since", o.since, from))
			return MSG_EXIT_USAGE;
	} else {
		time_t t;

		tm__clock_parse(to, &t);
		tm__clock_date(t - (time_t)(o.days - 1) * 86400, from);
	}
	s.program = o.program;
	s.prefix = o.prefix;
	if (!strncmp(o.data, "postgresql://", 13) ||
	    !strncmp(o.data, "postgres://", 11))
		rc = stacks_load_pg(&s, o.data, from, to, why, sizeof why);
	else
		rc = stacks_load(&s, o.data, from, to, why, sizeof why);
	if (rc) {
		msg_error("cannot read the merged data: %s", why);
		goto out;
	}
	stacks_rank(&s);
	if (o.symbols) {
		if (!(sy = stacks_symbols_open(o.symbols, o.debuginfod, why,
					       sizeof why))) {
			msg_error("cannot use --symbols '%s': %s; give a "
				  "directory of release binaries or debug "
				  "files", o.symbols, why);
			goto out;
		}
		for (size_t i = 0; i < s.n; i++)
			if (s.groups[i]->total >= o.min_count &&
			    stacks_symbols_map(sy, s.groups[i])) {
				msg_error("out of memory mapping frames");
				goto out;
			}
	}
	if (o.issues) {
		if ((rc = stacks_issues_load(o.issues, &is, why,
					     sizeof why))) {
			msg_error("cannot read --issues '%s': %s", o.issues,
				  why);
			goto out;
		}
		if (stacks_issues_match(&is, &s)) {
			msg_error("out of memory matching issues");
			goto out;
		}
		for (size_t i = 0; i < is.n; i++)
			if (is.v[i].error && !o.json)
				fprintf(stderr, "tmwatch: issue '%s': %s; it "
					"claims nothing until fixed\n",
					is.v[i].path, is.v[i].error);
	}
	if (o.new_issues) {
		drafts = cJSON_CreateArray();
		if (mkdir(o.new_issues, 0755) && errno != EEXIST) {
			msg_error("cannot create '%s': %s", o.new_issues,
				  tm_strerror(-errno));
			goto out;
		}
		for (size_t i = 0; i < s.n; i++) {
			const struct stacks_group *g = s.groups[i];
			char path[4200];

			if (g->total < o.min_count || g->nclaims)
				continue;
			rc = stacks_draft_write(o.new_issues, g, o.source_url,
						o.strip_prefix);
			if (rc) {
				msg_error("cannot write a draft in '%s': %s; "
					  "check the directory",
					  o.new_issues, tm_strerror(rc));
				goto out;
			}
			snprintf(path, sizeof path, "%s/%s.md", o.new_issues,
				 g->id);
			cJSON_AddItemToArray(drafts, cJSON_CreateString(path));
			if (!o.json)
				fprintf(stderr, "tmwatch: wrote draft '%s'\n",
					path);
		}
	}
	sigs = signatures(&s, o.min_count, &nsigs, &bysig);
	if (o.json) {
		if (print_json(&o, &s, o.issues ? &is : NULL, from, to, sigs,
			       nsigs, drafts)) {
			msg_error("out of memory writing JSON");
			goto out;
		}
	} else {
		print_text(&o, &s, o.issues ? &is : NULL, from, to, sigs,
			   nsigs);
	}
	status = fflush(stdout) ? MSG_EXIT_FAIL : MSG_EXIT_OK;
out:
	cJSON_Delete(drafts);
	free(sigs);
	free(bysig);
	stacks_symbols_close(sy);
	stacks_issues_free(&is);
	stacks_free(&s);
	return status;
}
