/* SPDX-License-Identifier: MIT */
/* fuzz_report.c -- libFuzzer target for the report JSON reader
 * (tool/report.c, tm__report_parse). Any input must be either rejected or
 * accepted; an accepted report must survive format and a second parse
 * unchanged, and filtering it must not fail. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char cfg[] =
		"{\"Version\":\"f\",\"Endpoint\":\"https://e.example/u\","
		"\"Programs\":[{\"Name\":\"a\",\"Counters\":[{\"Name\":"
		"\"c:{x,y}\",\"Rate\":0.5}],\"Stacks\":[{\"Name\":"
		"\"crash/crash\",\"Depth\":2}]}]}";
	struct tm__upload_config c;
	const struct tm__upload_config *cv[1] = { &c };
	struct tm__report r, r2, f;
	char why[256], *text, *text2;
	size_t len, len2;

	if (tm__report_parse((const char *)data, size, &r, why, sizeof why))
		return 0;
	if (tm__report_format(&r, &text, &len))
		abort();
	if (tm__report_parse(text, len, &r2, why, sizeof why))
		abort();
	if (tm__report_format(&r2, &text2, &len2) || len != len2 ||
	    memcmp(text, text2, len))
		abort();
	if (tm__uploadconfig_parse(cfg, strlen(cfg), "f", &c, why,
				   sizeof why) ||
	    tm__report_filter(&r, cv, 1, &f))
		abort();
	tm__report_free(&f);
	tm__uploadconfig_free(&c);
	free(text);
	free(text2);
	tm__report_free(&r);
	tm__report_free(&r2);
	return 0;
}
