/* SPDX-License-Identifier: MIT */
/* test_naming.c -- one crash, one name (naming rule v2, issue 9): each
 * crash runs under every variation a user's machine may add to one
 * program build, through the real tmwatch, and every recorded
 * crash/crash name must be byte-identical, and match the expected text
 * written here from the examples' sources (own frames' +N computed from
 * the source lines: marker line minus the function's line).
 *
 * Variations: with and without system debug info
 * (TMWATCH_NO_SYSTEM_DEBUG=1), three CPU levels forced with
 * GLIBC_TUNABLES (each must make libc pick another strlen: the local
 * log's [detail] line names the variant), the binary copied to another
 * directory, ASLR off (setarch -R), an unrelated library preloaded, and
 * wrapper, preload-only and library mode. Also: a site counted in-process
 * by tm_stack_counter_inc and a crash at the same call instruction give
 * one name (naming_parity). A variation that cannot run fails loudly.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "stackutil.h"
#include "testutil.h"

#define RUN_TIMEOUT_MS 60000

/* glibc 2.36's strlen: EVEX with AVX512VL+BW, else AVX2 (with BMI2;
 * _rtm with RTM), else SSE2 (sysdeps/x86_64/multiarch/ifunc-avx2.h).
 * Which variant each level gives depends on the CPU (cpu_variants). */
static struct cpu_level {
	const char *tunables;	/* NULL: the CPU as it is */
	const char *variant;	/* the strlen the log must show */
} levels[] = {
	{ NULL, NULL },
	{ "glibc.cpu.hwcaps=-AVX512VL,-AVX512BW", NULL },
	{ "glibc.cpu.hwcaps=-AVX2,-AVX512VL,-AVX512BW", NULL },
};

/* The strlen each level picks on this CPU, from /proc/cpuinfo. Fails
 * unless the levels give at least two different variants (three on a
 * CPU with AVX-512, like the CI machine's). */
static void cpu_variants(void)
{
	char *info = tu_read_file("/proc/cpuinfo", NULL), *flags, *end;
	int avx2, evex, distinct;

	if (!info || !(flags = strstr(info, "\nflags")))
		fail_msg("cannot read the CPU flags in /proc/cpuinfo");
	end = strchr(flags + 1, '\n');
	if (end)
		*end = 0;
#define HAS(f) (strstr(flags, " " f " ") || \
		(strlen(flags) > strlen(f) && \
		 strcmp(flags + strlen(flags) - strlen(f) - 1, " " f) == 0))
	avx2 = HAS("avx2") && HAS("bmi2");
	evex = avx2 && HAS("avx512vl") && HAS("avx512bw");
#undef HAS
	levels[0].variant = evex ? "__strlen_evex" : avx2 ?
		"__strlen_avx2" : "__strlen_sse2";
	levels[1].variant = avx2 ? "__strlen_avx2" : "__strlen_sse2";
	levels[2].variant = "__strlen_sse2";
	distinct = 1 + (strcmp(levels[0].variant, levels[1].variant) != 0) +
		(strcmp(levels[1].variant, levels[2].variant) != 0);
	if (distinct < 2)
		fail_msg("this CPU has no AVX2: GLIBC_TUNABLES cannot change "
			 "strlen's IFUNC choice here");
	if (distinct < 3)
		fprintf(stderr, "test_naming: no AVX-512 here, two strlen "
			"variants instead of three\n");
	free(info);
}

enum mode { WRAPPER, PRELOAD, LIBRARY };

struct variation {
	const char *what;
	enum mode mode;
	int nodebug;
	int level;		/* index in levels[] */
	int copy;		/* run a copy in another directory */
	int noaslr;
	int preload_other;
};

static const struct variation variations[] = {
	{ "wrapper", WRAPPER, 0, 0, 0, 0, 0 },
	{ "wrapper, no system debug info", WRAPPER, 1, 0, 0, 0, 0 },
	{ "wrapper, cpu level avx2", WRAPPER, 0, 1, 0, 0, 0 },
	{ "wrapper, cpu level sse2", WRAPPER, 0, 2, 0, 0, 0 },
	{ "wrapper, cpu level avx2, no system debug info", WRAPPER, 1, 1, 0,
	  0, 0 },
	{ "wrapper, cpu level sse2, no system debug info", WRAPPER, 1, 2, 0,
	  0, 0 },
	{ "wrapper, copied binary", WRAPPER, 0, 0, 1, 0, 0 },
	{ "wrapper, ASLR off", WRAPPER, 0, 0, 0, 1, 0 },
	{ "wrapper, another library preloaded", WRAPPER, 0, 0, 0, 0, 1 },
	{ "preload-only", PRELOAD, 0, 0, 0, 0, 0 },
	{ "preload-only, no system debug info, sse2", PRELOAD, 1, 2, 0, 0,
	  0 },
	{ "library mode", LIBRARY, 0, 0, 0, 0, 0 },
	{ "library mode, no system debug info, avx2", LIBRARY, 1, 1, 0, 0,
	  0 },
};

/* One expected line: literal text, or an own frame computed from the
 * source (FILE relative to examples/, FUNCTION). */
struct line {
	const char *text;
	const char *file;
	const char *function;
};

struct naming_case {
	const char *prog;	/* examples/PROG, PROG_libmode */
	const char *copy_also;	/* a library shipped next to it */
	int check_variant;	/* the log shows the strlen variant */
	struct line lines[8];
};

#define SYS(t) { t, NULL, NULL }
#define OWN(f, fn) { NULL, f, fn }

static const struct naming_case strlen_case = {
	"crash_strlen", NULL, 1,
	{ SYS("strlen"), OWN("crash_strlen.c", "measure"),
	  OWN("crash_strlen.c", "main") },
};
static const struct naming_case strtok_case = {
	"crash_strtok", NULL, 0,
	{ SYS("strtok_r"), OWN("crash_strtok.c", "next_word"),
	  OWN("crash_strtok.c", "main") },
};
static const struct naming_case thread_case = {
	"crash_late_thread", NULL, 0,
	{ OWN("crash_late_thread.c", "write_null"),
	  OWN("crash_late_thread.c", "run") },
};
/* libstdc++ throws from its own code; the constructor template is
 * instantiated in the program from libstdc++ 12's basic_string.h (its
 * __throw_logic_error call is 5 lines below the constructor's line). */
static const struct naming_case cxx_case = {
	"crash_cxx_string", NULL, 0,
	{ SYS("std::__throw_logic_error"),
	  SYS("std::__cxx11::basic_string<\\.\\.\\.>::basic_string<\\.\\.\\.>"
	      ":\\+5," "\\+0x[0-9a-f]+"),
	  OWN("crash_cxx_string.cc", "make_name"),
	  OWN("crash_cxx_string.cc", "main") },
};
static const struct naming_case shlib_case = {
	"crash_in_shlib", "libcrash_shlib.so", 0,
	{ OWN("lib_src/crash_shlib.c", "crash_shlib_write_null"),
	  OWN("crash_in_shlib.c", "main") },
};

/* The +N of FUNCTION in examples/FILE: the line with the comment
 * "frame FUNCTION:+N" minus the line defining FUNCTION (the last line
 * before it naming "FUNCTION(" that is not a declaration). The
 * comment's own N must agree. */
static long plus_n(const char *file, const char *function)
{
	char *path = tu_path(su_env_or_die("TMWATCH_SRC"), "examples");
	char *full = tu_path(path, file), *text = tu_read_file(full, NULL);
	char marker[128], call[128], *l, *nl;
	long lineno = 0, decl = 0, at = 0, said = -1;

	if (!text)
		fail_msg("cannot read '%s'", full);
	snprintf(marker, sizeof marker, "frame %s:+", function);
	snprintf(call, sizeof call, "%s(", function);
	for (l = text; l && *l; l = nl ? nl + 1 : NULL) {
		size_t len;
		char *m;

		nl = strchr(l, '\n');
		if (nl)
			*nl = 0;
		lineno++;
		if ((m = strstr(l, marker))) {
			at = lineno;
			said = strtol(m + strlen(marker), NULL, 10);
			break;
		}
		len = strlen(l);
		while (len && (l[len - 1] == ' ' || l[len - 1] == '\t'))
			len--;
		if (strstr(l, call) && len && l[len - 1] != ';')
			decl = lineno;
	}
	if (!at || !decl)
		fail_msg("no frame comment or definition of %s in %s",
			 function, full);
	if (at - decl != said)
		fail_msg("%s: %s is at +%ld, its comment says +%ld", full,
			 function, at - decl, said);
	free(text);
	free(full);
	free(path);
	return at - decl;
}

static char **expected(const struct naming_case *nc)
{
	static char *out[10];
	size_t i;

	for (i = 0; nc->lines[i].text || nc->lines[i].file; i++) {
		free(out[i]);
		if (nc->lines[i].text)
			out[i] = strdup(nc->lines[i].text);
		else if (asprintf(&out[i], "%s:\\+%ld,\\+0x[0-9a-f]+",
				  nc->lines[i].function,
				  plus_n(nc->lines[i].file,
					 nc->lines[i].function)) < 0)
			fail();
	}
	out[i] = NULL;
	return out;
}

/* The only crash log under STATE (XDG_STATE_HOME). */
static char *only_log(const char *state)
{
	char *dir = tu_path(state, "tmwatch/crashes"), *found = NULL;
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (strstr(e->d_name, ".log") && !found)
			found = tu_path(dir, e->d_name);
	if (d)
		closedir(d);
	if (!found)
		fail_msg("no crash log in '%s'", dir);
	free(dir);
	return found;
}

/* Runs NC under V; returns its one crash/crash name. */
static char *run_variation(const struct naming_case *nc,
			   const struct variation *v)
{
	char *store = tu_fresh_store("naming-store");
	char *state = tu_tmpdir("naming-state");
	char *tmp = tu_tmpdir("naming-copy");
	char *prog, *xdg, *pre = NULL, *tun = NULL, *name, **names, **progs;
	char *argv[8], *env[8], arch[80];
	char pbuf[128];
	uint64_t *values;
	size_t n, a = 0, e = 0;
	struct utsname un;
	int st;

	snprintf(pbuf, sizeof pbuf, "%s%s", nc->prog,
		 v->mode == LIBRARY ? "_libmode" : "");
	prog = su_example(pbuf);
	if (v->copy) {
		char *to = tu_path(tmp, pbuf);
		char *cp[] = { "cp", prog, to, NULL };

		assert_int_equal(tu_run(cp, NULL, NULL, NULL, RUN_TIMEOUT_MS),
				 0);
		if (nc->copy_also) {
			char *lib = su_example(nc->copy_also);
			char *cp2[] = { "cp", lib, tmp, NULL };

			assert_int_equal(tu_run(cp2, NULL, NULL, NULL,
						RUN_TIMEOUT_MS), 0);
			free(lib);
		}
		free(prog);
		prog = to;
	}
	if (asprintf(&xdg, "XDG_STATE_HOME=%s", state) < 0)
		fail();
	env[e++] = xdg;
	env[e++] = v->nodebug ? "TMWATCH_NO_SYSTEM_DEBUG=1" :
		"TMWATCH_NO_SYSTEM_DEBUG";
	env[e++] = "TMWATCH_FD";
	if (levels[v->level].tunables) {
		if (asprintf(&tun, "GLIBC_TUNABLES=%s",
			     levels[v->level].tunables) < 0)
			fail();
		env[e++] = tun;
	} else {
		env[e++] = "GLIBC_TUNABLES";
	}
	if (v->mode == PRELOAD &&
	    asprintf(&pre, "LD_PRELOAD=%s", su_env_or_die("TMWATCH_SHIM")) < 0)
		fail();
	if (v->preload_other &&
	    asprintf(&pre, "LD_PRELOAD=libz.so.1") < 0)
		fail();
	env[e++] = pre ? pre : "LD_PRELOAD";
	env[e] = NULL;
	if (v->noaslr) {
		if (uname(&un) != 0)
			fail();
		snprintf(arch, sizeof arch, "%s", un.machine);
		argv[a++] = "setarch";
		argv[a++] = arch;
		argv[a++] = "-R";
	}
	if (v->mode == WRAPPER) {
		argv[a++] = (char *)su_env_or_die("TMWATCH_BIN");
		argv[a++] = "-q";
	}
	argv[a++] = prog;
	argv[a] = NULL;
	st = tu_run(argv, env, NULL, NULL, RUN_TIMEOUT_MS);
	if (st == -1)
		fail_msg("%s (%s) did not end within %d ms", pbuf, v->what,
			 RUN_TIMEOUT_MS);
	if (!WIFSIGNALED(st))
		fail_msg("%s (%s) ended with %s, not a crash", pbuf, v->what,
			 tu_describe_status(st));
	n = su_counters(store, "crash/crash", &names, &values, &progs);
	if (n != 1 || values[0] != 1)
		fail_msg("%s (%s): %zu crash/crash counters, expected one "
			 "counted once", pbuf, v->what, n);
	name = strdup(names[0]);
	if (nc->check_variant) {
		/* The local log keeps the precise frame: the IFUNC variant
		 * this CPU level chose, with file:line when libc6-dbg is
		 * there. */
		char *log = only_log(state), *text = tu_read_file(log, NULL);
		char want[128];

		/* A prefix: __strlen_avx2 or __strlen_avx2_rtm. */
		snprintf(want, sizeof want, "[detail] %s",
			 levels[v->level].variant);
		if (v->nodebug)
			snprintf(want, sizeof want, "[detail] libc.so.6:+0x");
		if (!text || !strstr(text, want))
			fail_msg("%s (%s): the crash log '%s' lacks '%s':\n%s",
				 pbuf, v->what, log, want, text ? text : "");
		if (!v->nodebug && !strstr(text, "strlen-"))
			fail_msg("%s (%s): no strlen source file:line in the "
				 "crash log:\n%s", pbuf, v->what, text);
		free(text);
		free(log);
	}
	su_free_list(names, n);
	su_free_list(progs, n);
	free(values);
	free(prog);
	free(xdg);
	free(pre);
	free(tun);
	tu_rmrf(store);
	tu_rmrf(state);
	tu_rmrf(tmp);
	free(store);
	free(state);
	free(tmp);
	return name;
}

static void check_case(const struct naming_case *nc, int library_mode)
{
	size_t nv = sizeof variations / sizeof variations[0];
	char *first = NULL, **want = expected(nc);

	for (size_t i = 0; i < nv; i++) {
		char *name;

		if (variations[i].mode == LIBRARY && !library_mode)
			continue;
		name = run_variation(nc, &variations[i]);
		if (!first) {
			if (!su_match(name, (const char *const *)want)) {
				char *w = su_lines((const char *const *)want);

				fail_msg("%s (%s): recorded\n%s\n--- expected"
					 "\ncrash/crash\n%s", nc->prog,
					 variations[i].what, name, w);
			}
			first = name;
			continue;
		}
		if (strcmp(name, first) != 0)
			fail_msg("%s: the name changed with '%s':\n%s\n--- "
				 "while '%s' gave\n%s", nc->prog,
				 variations[i].what, name, variations[0].what,
				 first);
		free(name);
	}
	free(first);
}

static void strlen_crash_has_one_name_in_every_variation(void **s)
{
	(void)s;
	check_case(&strlen_case, 1);
}

static void strtok_r_crash_has_one_name_in_every_variation(void **s)
{
	(void)s;
	check_case(&strtok_case, 1);
}

static void thread_crash_has_one_name_in_every_variation(void **s)
{
	(void)s;
	check_case(&thread_case, 1);
}

static void libstdcxx_crash_has_one_name_in_every_variation(void **s)
{
	(void)s;
	check_case(&cxx_case, 1);
}

static void shipped_library_crash_has_one_name_in_every_variation(void **s)
{
	(void)s;
	check_case(&shlib_case, 1);
}

/* A static library-mode program carries libc's IFUNC variants inside
 * itself: the one this CPU level chose is named strlen, without offset,
 * at every level and with or without system debug info. */
static void static_executable_names_its_ifunc_variant_publicly(void **s)
{
	char *first = NULL;

	(void)s;
	for (int level = 0; level < 3; level++) {
		for (int nodebug = 0; nodebug < 2; nodebug++) {
			char *store = tu_fresh_store("naming-static");
			char *state = tu_tmpdir("naming-static-state");
			char *prog = su_example("crash_strlen_static_libmode");
			char *argv[] = { prog, NULL }, *xdg, *tun = NULL;
			char *env[] = { NULL, NULL, "TMWATCH_FD", NULL, NULL };
			char **names, **progs;
			uint64_t *values;
			size_t n;
			int st;

			if (asprintf(&xdg, "XDG_STATE_HOME=%s", state) < 0)
				fail();
			env[0] = xdg;
			env[1] = nodebug ? "TMWATCH_NO_SYSTEM_DEBUG=1" :
				"TMWATCH_NO_SYSTEM_DEBUG";
			if (levels[level].tunables &&
			    asprintf(&tun, "GLIBC_TUNABLES=%s",
				     levels[level].tunables) < 0)
				fail();
			env[3] = tun ? tun : "GLIBC_TUNABLES";
			st = tu_run(argv, env, NULL, NULL, RUN_TIMEOUT_MS);
			if (st == -1 || !WIFSIGNALED(st))
				fail_msg("static strlen ended with %s",
					 tu_describe_status(st));
			n = su_counters(store, "crash/crash", &names, &values,
					&progs);
			if (n != 1)
				fail_msg("static strlen: %zu crash/crash "
					 "counters", n);
			if (strncmp(names[0], "crash/crash\nstrlen\n", 19))
				fail_msg("static strlen at level %d named\n%s",
					 level, names[0]);
			if (!first)
				first = strdup(names[0]);
			else if (strcmp(first, names[0]) != 0)
				fail_msg("static strlen: level %d%s gave\n%s\n"
					 "--- the CPU as it is gave\n%s", level,
					 nodebug ? " without debug info" : "",
					 names[0], first);
			su_free_list(names, n);
			su_free_list(progs, n);
			free(values);
			free(prog);
			free(xdg);
			free(tun);
			tu_rmrf(store);
			tu_rmrf(state);
			free(store);
			free(state);
		}
	}
	free(first);
}

/* naming_parity run twice, "count" then "crash", in library mode and
 * under the wrapper: one crash/crash counter reading 2 each time. */
static void counted_site_and_crash_at_it_have_one_name(void **s)
{
	static const char *const want[] = {
		"compare:\\+2,\\+0x[0-9a-f]+", "libc\\.so\\.6", "qsort_r",
		"main:\\+7,\\+0x[0-9a-f]+", NULL,
	};

	(void)s;
	for (int wrapped = 0; wrapped < 2; wrapped++) {
		char *store = tu_fresh_store("parity-store");
		char *state = tu_tmpdir("parity-state"), *xdg, **names;
		char *prog = su_example("naming_parity"), **progs;
		char *env[] = { NULL, "TMWATCH_FD", "LD_PRELOAD", NULL };
		char *count[] = { (char *)su_env_or_die("TMWATCH_BIN"), "-q",
				  prog, "count", NULL };
		char *crash[] = { (char *)su_env_or_die("TMWATCH_BIN"), "-q",
				  prog, "crash", NULL };
		uint64_t *values;
		size_t n;
		int st;

		if (asprintf(&xdg, "XDG_STATE_HOME=%s", state) < 0)
			fail();
		env[0] = xdg;
		st = tu_run(wrapped ? count : count + 2, env, NULL, NULL,
			    RUN_TIMEOUT_MS);
		if (st != 0)
			fail_msg("naming_parity count ended with %s",
				 tu_describe_status(st));
		st = tu_run(wrapped ? crash : crash + 2, env, NULL, NULL,
			    RUN_TIMEOUT_MS);
		if (st == -1 || !WIFSIGNALED(st) || WTERMSIG(st) != SIGSEGV)
			fail_msg("naming_parity crash ended with %s",
				 tu_describe_status(st));
		n = su_counters(store, "crash/crash", &names, &values,
				&progs);
		if (n != 1 || values[0] != 2) {
			for (size_t i = 0; i < n; i++)
				fprintf(stderr, "%llu %s\n",
					(unsigned long long)values[i],
					names[i]);
			fail_msg("%s: expected one crash/crash counted twice, "
				 "got %zu counters", wrapped ? "wrapper" :
				 "library mode", n);
		}
		if (!su_match(names[0], want))
			fail_msg("recorded\n%s\n--- expected\n%s", names[0],
				 su_lines(want));
		su_free_list(names, n);
		su_free_list(progs, n);
		free(values);
		free(prog);
		free(xdg);
		tu_rmrf(store);
		tu_rmrf(state);
		free(store);
		free(state);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strlen_crash_has_one_name_in_every_variation),
		cmocka_unit_test(
			strtok_r_crash_has_one_name_in_every_variation),
		cmocka_unit_test(thread_crash_has_one_name_in_every_variation),
		cmocka_unit_test(
			libstdcxx_crash_has_one_name_in_every_variation),
		cmocka_unit_test(
			shipped_library_crash_has_one_name_in_every_variation),
		cmocka_unit_test(counted_site_and_crash_at_it_have_one_name),
		cmocka_unit_test(
			static_executable_names_its_ifunc_variant_publicly),
	};
	struct rlimit nocore = { 0, 0 };

	setrlimit(RLIMIT_CORE, &nocore);
	cpu_variants();
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
