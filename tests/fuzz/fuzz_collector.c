/* SPDX-License-Identifier: MIT */
/* fuzz_collector.c -- libFuzzer target for tmwatch-collector's request
 * handling (collector/check.c): the first input line is
 * "METHOD URL CONTENT-TYPE", the rest is the body. Every request must get
 * a status, and an accepted one a week and a key that are safe as a path,
 * a body that is one JSON object with nothing after it, and an X that
 * cJSON prints back byte for byte (collector/body.c); the parse cost the
 * memory budget charges exists exactly for bodies the scanner accepts.
 *
 * check.c and body.c are compiled into this target directly: the fuzz
 * build gives each target one source file, and both are pure (no disk, no
 * network). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../collector/check.c"
#include "../../collector/body.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tm__upload_configs cfgs;

static void load_configs(void)
{
	static const char cfg[] =
		"{\"Version\":\"f\",\"Endpoint\":\"https://e.example/u\","
		"\"Programs\":[{\"Name\":\"a\",\"Counters\":[{\"Name\":"
		"\"c:{x,y}\"}],\"Stacks\":[{\"Name\":\"crash/crash\","
		"\"Depth\":4}]}]}";
	static int done;

	if (done)
		return;
	done = 1;
	cfgs.v = calloc(1, sizeof *cfgs.v);
	if (!cfgs.v || tm__uploadconfig_parse(cfg, strlen(cfg), "f",
					      cfgs.v, NULL, 0))
		abort();
	cfgs.n = 1;
}

/* An accepted body: cJSON ends its one value exactly at the last
 * non-whitespace byte, and X is the printer's own spelling. */
static void check_accepted_body(const char *body, size_t len)
{
	const char *end = NULL, *x;
	size_t xlen;
	cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	cJSON *xv;
	char *printed;

	if (!root || body_check(body, len, &x, &xlen))
		abort();
	while (end < body + len && strchr(" \t\r\n", *end) && *end)
		end++;
	if (end != body + len)
		abort();
	xv = cJSON_GetObjectItemCaseSensitive(root, "X");
	printed = xv ? cJSON_PrintUnformatted(xv) : NULL;
	if (!printed || strlen(printed) != xlen || memcmp(printed, x, xlen))
		abort();
	cJSON_free(printed);
	cJSON_Delete(root);
}

/* The parse cost is charged exactly for the bodies body_check lets
 * through, and covers at least the text twice. */
static void check_cost(const char *body, size_t len)
{
	const char *x;
	size_t xlen, cost = body_parse_cost(body, len);

	if ((cost == 0) != (body_check(body, len, &x, &xlen) != NULL))
		abort();
	if (cost && cost < 2 * len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	char head[512], method[64] = "", url[256] = "", ct[128] = "";
	struct collector_verdict v;
	size_t hl;

	load_configs();
	if (!nl)
		return 0;
	hl = (size_t)(nl - (const char *)data);
	if (hl >= sizeof head)
		return 0;
	memcpy(head, data, hl);
	head[hl] = '\0';
	sscanf(head, "%63s %255s %127s", method, url, ct);
	check_cost(nl + 1, size - hl - 1);
	check_request(&cfgs, method, url, ct, nl + 1, size - hl - 1, &v);
	if (v.status < 200 || v.status > 599)
		abort();
	if (v.status == 200 && (strlen(v.week) != 10 || !v.key[0] ||
				strchr(v.key, '/') || v.key[0] == '.'))
		abort();
	if (v.status == 200)
		check_accepted_body(nl + 1, size - hl - 1);
	return 0;
}
