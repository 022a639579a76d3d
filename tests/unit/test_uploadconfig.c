/* SPDX-License-Identifier: MIT */
/* test_uploadconfig.c -- upload configs: validation messages name the file
 * and the field, {a,b} expansion, matching, discovery order. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "tmwatch/common.h"
#include "uploadconfig.h"
#include "../fault/mkcount.h"

static const char *GOOD =
	"{\"Version\":\"v3\",\"Endpoint\":\"https://telemetry.example/up/\","
	"\"SampleRate\":0.5,\"Programs\":[{\"Name\":\"clangd\","
	"\"Versions\":[\"17.0.1\",\"18.1.0\"],\"Counters\":["
	"{\"Name\":\"crash/signal:{SIGSEGV,SIGBUS,SIGABRT}\",\"Rate\":1},"
	"{\"Name\":\"clangd/start\",\"Rate\":0.25}],"
	"\"Stacks\":[{\"Name\":\"crash/crash\",\"Rate\":1,\"Depth\":8}]}]}";

static void uploadconfig_parses_a_valid_config(void **state)
{
	struct tm__upload_config c;
	const struct tm__uc_program *p;
	char why[256];

	(void)state;
	assert_int_equal(tm__uploadconfig_parse(GOOD, strlen(GOOD), "a.json",
						&c, why, sizeof why), 0);
	assert_string_equal(c.endpoint, "https://telemetry.example/up");
	assert_string_equal(c.version, "v3");
	assert_true(c.sample_rate == 0.5);
	p = tm__uploadconfig_program(&c, "clangd", "18.1.0");
	assert_non_null(p);
	assert_null(tm__uploadconfig_program(&c, "clangd", "16"));
	assert_null(tm__uploadconfig_program(&c, "gopls", "18.1.0"));
	assert_int_equal(p->ncounters, 4);
	assert_string_equal(p->counters[0].name, "crash/signal:SIGSEGV");
	assert_string_equal(p->counters[1].name, "crash/signal:SIGBUS");
	assert_string_equal(p->counters[2].name, "crash/signal:SIGABRT");
	assert_non_null(tm__uploadconfig_counter(p, "clangd/start"));
	assert_null(tm__uploadconfig_counter(p, "crash/signal:SIGILL"));
	assert_non_null(tm__uploadconfig_stack(p, "crash/crash\nf:+1,+0x2"));
	assert_null(tm__uploadconfig_stack(p, "crash/crashy\nf:+1,+0x2"));
	assert_int_equal(p->stacks[0].depth, 8);
	tm__uploadconfig_free(&c);
}

static void expect_error(const char *json, const char *want)
{
	struct tm__upload_config c;
	char why[512];

	assert_int_equal(tm__uploadconfig_parse(json, strlen(json),
						"/etc/x.json", &c, why,
						sizeof why), TM_EBADCONFIG);
	if (strcmp(why, want)) {
		fprintf(stderr, "expected: %s\nactual:   %s\n", want, why);
		fail_msg("wrong error text");
	}
}

#define HEAD "{\"Version\":\"v1\",\"Endpoint\":\"https://e.example/u\","

static void uploadconfig_errors_name_the_file_and_the_field(void **state)
{
	(void)state;
	expect_error("{", "/etc/x.json: not valid JSON");
	expect_error("{\"Version\":\"v1\",\"Programs\":[]}",
		     "/etc/x.json: Endpoint: required, an https URL");
	expect_error("{\"Version\":\"v1\",\"Endpoint\":\"http://example.org\","
		     "\"Programs\":[{\"Name\":\"a\"}]}",
		     "/etc/x.json: Endpoint: plain http is allowed only to "
		     "loopback; use https");
	expect_error("{\"Version\":\"v1\",\"Endpoint\":\"ftp://x.example\","
		     "\"Programs\":[{\"Name\":\"a\"}]}",
		     "/etc/x.json: Endpoint: must be an https URL");
	expect_error(HEAD "\"Programs\":[]}",
		     "/etc/x.json: Programs: required, a non-empty array");
	expect_error(HEAD "\"Programs\":[{\"Name\":\"a\",\"Counters\":[{"
		     "\"Name\":\"c\",\"Rate\":2}]}]}",
		     "/etc/x.json: Programs[0].Counters[0].Rate: must be a "
		     "number from 0 to 1");
	expect_error(HEAD "\"Programs\":[{\"Name\":\"a\"},{\"Name\":\"b\","
		     "\"Stacks\":[{\"Name\":\"crash/crash\",\"Depth\":0}]}]}",
		     "/etc/x.json: Programs[1].Stacks[0].Depth: must be an "
		     "integer from 1 to 1024");
	expect_error(HEAD "\"Programs\":[{\"Name\":\"a\",\"Counterz\":[]}]}",
		     "/etc/x.json: Programs[0].Counterz: unknown field");
	expect_error(HEAD "\"Programs\":[{\"Name\":\"a\",\"Counters\":[{"
		     "\"Name\":\"c:{x,}\"}]}]}",
		     "/etc/x.json: Programs[0].Counters[0].Name: empty "
		     "element in {a,b} list");
	expect_error(HEAD "\"Programs\":[{\"Name\":\"a\",\"Counters\":[{"
		     "\"Name\":\"c:{x,y}z\"}]}]}",
		     "/etc/x.json: Programs[0].Counters[0].Name: braces must "
		     "close one {a,b} list at the end of the name");
	expect_error(HEAD "\"Programs\":[{\"Name\":\"/usr/bin/a\"}]}",
		     "/etc/x.json: Programs[0].Name: must be a program file "
		     "name");
	expect_error(HEAD "\"SampleRate\":-1,\"Programs\":[{\"Name\":\"a\"}]}",
		     "/etc/x.json: SampleRate: must be a number from 0 to 1");
}

static void uploadconfig_allows_plain_http_only_to_loopback(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(tm__uploadconfig_check_endpoint(
		"http://127.0.0.1:9/upload", why, sizeof why), 0);
	assert_int_equal(tm__uploadconfig_check_endpoint(
		"http://localhost/upload", why, sizeof why), 0);
	assert_int_equal(tm__uploadconfig_check_endpoint(
		"http://[::1]:80/upload", why, sizeof why), 0);
	assert_int_equal(tm__uploadconfig_check_endpoint(
		"http://127.0.0.1.evil.example/upload", why, sizeof why),
		TM_EBADCONFIG);
	assert_int_equal(tm__uploadconfig_check_endpoint(
		"https://user:pw@e.example/upload", why, sizeof why),
		TM_EBADCONFIG);
	assert_int_equal(tm__uploadconfig_check_endpoint(
		"https://e.example/upload?x=1", why, sizeof why),
		TM_EBADCONFIG);
}

static void uploadconfig_earlier_directory_hides_same_file_name(void **s)
{
	char *a = tu_tmpdir("ucfg-a"), *b = tu_tmpdir("ucfg-b"), *dirs;
	struct tm__upload_configs cs;

	(void)s;
	mk_file(a, "tool.json", GOOD);
	mk_file(b, "tool.json", "{ broken");
	mk_file(b, "other.json", HEAD "\"Programs\":[{\"Name\":\"o\"}]}");
	mk_file(b, "bad.json", HEAD "\"Programs\":[{\"Name\":7}]}");
	mk_file(b, "notes.txt", "not a config");
	assert_true(asprintf(&dirs, "%s:%s:/nonexistent", a, b) > 0);
	assert_int_equal(tm__uploadconfig_load_dirs(dirs, &cs), 0);
	assert_int_equal(cs.n, 2);
	assert_string_equal(cs.v[0].version, "v3");
	assert_string_equal(cs.v[1].programs[0].name, "o");
	assert_int_equal(cs.nerrors, 1);
	assert_non_null(strstr(cs.errors[0], "bad.json: Programs[0].Name"));
	tm__uploadconfig_free_all(&cs);
	free(dirs);
	tu_rmrf(a);
	tu_rmrf(b);
	free(a);
	free(b);
}

static void uploadconfig_dirs_default_to_store_etc_and_datadir(void **s)
{
	char buf[8192];

	(void)s;
	unsetenv("TMWATCH_UPLOAD_CONFIG_DIRS");
	assert_int_equal(tm__uploadconfig_dirs("/home/u/.config/tmwatch", buf,
					       sizeof buf), 0);
	assert_non_null(strstr(buf, "/home/u/.config/tmwatch/upload.d:"
			       "/etc/tmwatch/upload.d:"));
	assert_non_null(strstr(buf, "/share/tmwatch/upload.d"));
	setenv("TMWATCH_UPLOAD_CONFIG_DIRS", "/x:/y", 1);
	assert_int_equal(tm__uploadconfig_dirs("/s", buf, sizeof buf), 0);
	assert_string_equal(buf, "/x:/y");
	unsetenv("TMWATCH_UPLOAD_CONFIG_DIRS");
}

static void uploadconfig_any_version_when_versions_absent_or_star(void **s)
{
	static const char *j = HEAD "\"Programs\":[{\"Name\":\"a\"},"
		"{\"Name\":\"b\",\"Versions\":[\"*\"]}]}";
	struct tm__upload_config c;
	char why[256];

	(void)s;
	assert_int_equal(tm__uploadconfig_parse(j, strlen(j), "t", &c, why,
						sizeof why), 0);
	assert_non_null(tm__uploadconfig_program(&c, "a", "whatever"));
	assert_non_null(tm__uploadconfig_program(&c, "b", ""));
	tm__uploadconfig_free(&c);
}

/* OwnModules (issue 9): file name patterns of the program's own
 * libraries, validated, and gathered for the program and version. */
static void uploadconfig_own_modules_for_program_and_version(void **s)
{
	static const char a[] = HEAD "\"Programs\":[{\"Name\":\"clangd\","
		"\"Versions\":[\"18\"],\"OwnModules\":[\"libclang-cpp.so.*\","
		"\"libLLVM*.so*\"]},{\"Name\":\"gopls\",\"OwnModules\":["
		"\"libgo.so\"]}]}";
	static const char b[] = HEAD "\"Programs\":[{\"Name\":\"clangd\","
		"\"OwnModules\":[\"libLLVM*.so*\",\"libclangd-extra.so\"]}]}";
	struct tm__upload_configs cs = { 0 };
	struct tm__upload_config v[2];
	const char *own[TM__UC_MAX_OWN];
	char why[256];

	(void)s;
	assert_int_equal(tm__uploadconfig_parse(a, strlen(a), "a", &v[0], why,
						sizeof why), 0);
	assert_int_equal(tm__uploadconfig_parse(b, strlen(b), "b", &v[1], why,
						sizeof why), 0);
	assert_int_equal(v[0].programs[0].nown, 2);
	assert_string_equal(v[0].programs[0].own[0], "libclang-cpp.so.*");
	cs.v = v;
	cs.n = 2;
	/* Both configs name clangd 18; the shared pattern counts once. */
	assert_int_equal(tm__uploadconfig_own_modules(&cs, "clangd", "18",
						      own, TM__UC_MAX_OWN), 3);
	assert_string_equal(own[0], "libclang-cpp.so.*");
	assert_string_equal(own[1], "libLLVM*.so*");
	assert_string_equal(own[2], "libclangd-extra.so");
	/* Another version: only the config naming any version. */
	assert_int_equal(tm__uploadconfig_own_modules(&cs, "clangd", "17",
						      own, TM__UC_MAX_OWN), 2);
	assert_string_equal(own[0], "libLLVM*.so*");
	assert_int_equal(tm__uploadconfig_own_modules(&cs, "gopls", "1",
						      own, 1), 1);
	assert_string_equal(own[0], "libgo.so");
	assert_int_equal(tm__uploadconfig_own_modules(&cs, "vim", "1",
						      own, TM__UC_MAX_OWN), 0);
	tm__uploadconfig_free(&v[0]);
	tm__uploadconfig_free(&v[1]);

	expect_error(HEAD "\"Programs\":[{\"Name\":\"a\",\"OwnModules\":"
		     "\"libx.so\"}]}",
		     "/etc/x.json: Programs[0].OwnModules: must be an array "
		     "of at most 16 file name patterns");
	expect_error(HEAD "\"Programs\":[{\"Name\":\"a\",\"OwnModules\":["
		     "\"libx.so\",\"/usr/lib/liby.so\"]}]}",
		     "/etc/x.json: Programs[0].OwnModules[1]: must be a file "
		     "name pattern (no '/', at most 255 bytes)");
	expect_error(HEAD "\"Programs\":[{\"Name\":\"a\",\"OwnModules\":["
		     "\"\"]}]}",
		     "/etc/x.json: Programs[0].OwnModules[0]: must be a file "
		     "name pattern (no '/', at most 255 bytes)");
	expect_error(HEAD "\"Programs\":[{\"Name\":\"a\",\"OwnModules\":["
		     "3]}]}",
		     "/etc/x.json: Programs[0].OwnModules[0]: must be a file "
		     "name pattern (no '/', at most 255 bytes)");
	expect_error(HEAD "\"Programs\":[{\"Name\":\"a\",\"OwnModules\":["
		     "\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\","
		     "\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]}]}",
		     "/etc/x.json: Programs[0].OwnModules: must be an array "
		     "of at most 16 file name patterns");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test(f)
		T(uploadconfig_parses_a_valid_config),
		T(uploadconfig_errors_name_the_file_and_the_field),
		T(uploadconfig_allows_plain_http_only_to_loopback),
		T(uploadconfig_earlier_directory_hides_same_file_name),
		T(uploadconfig_dirs_default_to_store_etc_and_datadir),
		T(uploadconfig_any_version_when_versions_absent_or_star),
		T(uploadconfig_own_modules_for_program_and_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
