/* SPDX-License-Identifier: MIT */
/* telemetry_dump.c -- `tmwatch telemetry dump` and `csv`: counter files as
 * text, JSON or CSV.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "counterparse.h"
#include "cmd.h"
#include "cmdutil.h"
#include "msg.h"
#include "tmwatch/common.h"

static const char CMD[] = "tmwatch telemetry";

/* Text dump: a header line per file, its metadata, then "VALUE NAME" per
 * counter; a stack counter's frames follow on lines indented by a tab. */
static void dump_text(const char *path, const struct tm__parsed_file *pf)
{
	printf("# %s\n", path);
	for (size_t i = 0; i < pf->nmeta; i++)
		printf("# %s: %s\n", pf->meta_keys[i], pf->meta_values[i]);
	for (size_t i = 0; i < pf->ncounters; i++) {
		const struct tm__parsed_counter *c = &pf->counters[i];
		const char *nl = memchr(c->name, '\n', c->name_len);

		if (!nl) {
			printf("%" PRIu64 "\t%s\n", c->value, c->name);
			continue;
		}
		printf("%" PRIu64 "\t%.*s\n", c->value, (int)(nl - c->name),
		       c->name);
		for (const char *line = nl + 1; *line;) {
			const char *end = strchr(line, '\n');
			int len = end ? (int)(end - line) : (int)strlen(line);

			if (len > 0)
				printf("\t  %.*s\n", len, line);
			line += len + (end ? 1 : 0);
		}
	}
}

static cJSON *file_json(const char *path, const struct tm__parsed_file *pf)
{
	cJSON *o = cJSON_CreateObject(), *meta, *counters;

	cJSON_AddStringToObject(o, "Path", path);
	meta = cJSON_AddObjectToObject(o, "Meta");
	for (size_t i = 0; i < pf->nmeta; i++)
		cJSON_AddStringToObject(meta, pf->meta_keys[i],
					pf->meta_values[i]);
	counters = cJSON_AddObjectToObject(o, "Count");
	for (size_t i = 0; i < pf->ncounters; i++)
		cmdutil_json_add_u64(counters, pf->counters[i].name,
				     pf->counters[i].value);
	return o;
}

int telemetry_dump_main(int argc, char **argv)
{
	struct cmdutil_count_file *files;
	cJSON *all = NULL;
	size_t n;
	int json = 0, failed = 0, i;

	if (cmdutil_wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry dump [--json] [FILE...]\n\n"
		       "Prints counter files: every file in the store's "
		       "local directory, or the\nFILEs given. Text: '# "
		       "file' and '# Key: value' metadata lines, then\n"
		       "'VALUE<TAB>NAME' per counter, stack frames indented "
		       "below. --json prints\n[{\"Path\",\"Meta\",\"Count\"}]. "
		       "Corrupt files are reported and skipped (exit 1).\n");
		return MSG_EXIT_OK;
	}
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else
			return msg_usage(CMD, "unknown option '%s' for dump",
					 argv[i]);
	}
	if (cmdutil_collect_files(argc - i, argv + i, &files, &n))
		return MSG_EXIT_FAIL;
	if (json)
		all = cJSON_CreateArray();
	for (size_t k = 0; k < n; k++) {
		struct tm__parsed_file pf;

		if (cmdutil_parse_or_complain(files[k].path, &pf)) {
			failed = 1;
			continue;
		}
		if (json)
			cJSON_AddItemToArray(all,
					     file_json(files[k].path, &pf));
		else
			dump_text(files[k].path, &pf);
		tm__counterparse_free(&pf);
	}
	if (json) {
		char *s = cJSON_Print(all);
		if (s)
			printf("%s\n", s);
		free(s);
		cJSON_Delete(all);
	}
	free(files);
	return failed ? MSG_EXIT_FAIL : MSG_EXIT_OK;
}

/* Writes S as one RFC 4180 CSV field (quoted: names contain newlines). */
static void csv_field(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

int telemetry_csv_main(int argc, char **argv)
{
	static const char *const keys[] = { "Program", "Version", "GoVersion",
		"GOOS", "GOARCH", "TimeBegin", "TimeEnd" };
	struct cmdutil_count_file *files;
	size_t n;
	int failed = 0, i = 1;

	if (cmdutil_wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry csv [FILE...]\n\nPrints one "
		       "CSV row per counter: program, version, toolchain, os,"
		       " arch,\nweek begin, week end, counter name (stack "
		       "counters keep their newlines,\nquoted), value.\n");
		return MSG_EXIT_OK;
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	else if (i < argc && argv[i][0] == '-')
		return msg_usage(CMD, "unknown option '%s' for csv", argv[i]);
	if (cmdutil_collect_files(argc - i, argv + i, &files, &n))
		return MSG_EXIT_FAIL;
	printf("program,version,toolchain,goos,goarch,begin,end,counter,"
	       "value\n");
	for (size_t k = 0; k < n; k++) {
		struct tm__parsed_file pf;

		if (cmdutil_parse_or_complain(files[k].path, &pf)) {
			failed = 1;
			continue;
		}
		for (size_t c = 0; c < pf.ncounters; c++) {
			for (size_t j = 0; j < sizeof keys / sizeof keys[0];
			     j++) {
				const char *v = tm__parsed_meta(&pf, keys[j]);
				csv_field(v ? v : "");
				putchar(',');
			}
			csv_field(pf.counters[c].name);
			printf(",%" PRIu64 "\n", pf.counters[c].value);
		}
		tm__counterparse_free(&pf);
	}
	free(files);
	return failed ? MSG_EXIT_FAIL : MSG_EXIT_OK;
}
