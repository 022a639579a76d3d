/* SPDX-License-Identifier: MIT */
/* test_identity.c -- program identity from real ELF files: the example with
 * a package note, programs compiled here with cc and clang, /bin/true, a
 * file without section headers and a file that is not ELF at all. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "identity_elf.h"
#include "testutil.h"
#include "tmwatch/common.h"

static int fresh_dir(void **state)
{
	*state = tu_tmpdir("identity");
	return 0;
}

static int remove_dir(void **state)
{
	tu_rmrf(*state);
	free(*state);
	return 0;
}

/* Runs ARGV (bounded), failing the test with its stderr unless it exits
 * 0. Returns its stdout (caller frees). */
static char *run_ok(char *const argv[])
{
	char *out = NULL, *err = NULL;
	int status = tu_run(argv, NULL, &out, &err, 60000);

	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("%s: %s: %s", argv[0], tu_describe_status(status),
			 err ? err : "");
	free(err);
	return out;
}

/* Compiles a one-line C program with COMPILER (plus EXTRA, may be NULL)
 * into DIR/NAME and returns its path, or NULL when COMPILER is missing. */
static char *compile(const char *dir, const char *compiler, const char *name,
		     const char *extra)
{
	char *src = tu_path(dir, "prog.c"), *exe = tu_path(dir, name);
	static const char text[] = "int main(void) { return 0; }\n";
	char *argv[] = { (char *)compiler, "-O1", "-o", exe, src,
			 (char *)extra, NULL };
	char *probe[] = { "sh", "-c", NULL, NULL };
	char cmd[256];
	int status;

	snprintf(cmd, sizeof cmd, "command -v %s", compiler);
	probe[2] = cmd;
	status = tu_run(probe, NULL, NULL, NULL, 10000);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		free(src);
		free(exe);
		return NULL;
	}
	assert_int_equal(tu_write_file(src, text, sizeof text - 1), 0);
	free(run_ok(argv));
	free(src);
	return exe;
}

/* The build-id as readelf -n prints it, in lower-case hex. */
static void readelf_build_id(const char *path, char *hex, size_t cap)
{
	char *argv[] = { "readelf", "-n", (char *)path, NULL };
	char *out = run_ok(argv), *at = strstr(out, "Build ID: ");
	size_t n = 0;

	assert_non_null(at);
	at += 10;
	while (n + 1 < cap && at[n] && at[n] != '\n' && at[n] != ' ') {
		hex[n] = at[n];
		n++;
	}
	hex[n] = '\0';
	free(out);
}

static void expect_build_id(const struct tm__identity *id, const char *hex)
{
	char got[2 * sizeof id->build_id + 1], want[16];

	for (size_t i = 0; i < id->build_id_len; i++)
		snprintf(got + 2 * i, 3, "%02x", id->build_id[i]);
	got[2 * id->build_id_len] = '\0';
	assert_string_equal(got, hex);
	snprintf(want, sizeof want, "b%.12s", hex);
	assert_string_equal(id->version, want);
}

/* "gcc" + cc -dumpfullversion, "clang" + clang -dumpversion. */
static void compiler_version(const char *compiler, const char *flag,
			     const char *prefix, char *out, size_t cap)
{
	char *argv[] = { (char *)compiler, (char *)flag, NULL };
	char *v = run_ok(argv);

	v[strcspn(v, "\n")] = '\0';
	snprintf(out, cap, "%s%s", prefix, v);
	free(v);
}

static char *example(const char *name)
{
	const char *dir = getenv("TMWATCH_EXAMPLES");

	if (!dir || !*dir)
		fail_msg("TMWATCH_EXAMPLES is not set (run through ctest)");
	return tu_path(dir, name);
}

static void package_note_gives_the_version(void **state)
{
	char *path = example("versioned_tool"), gcc[64];
	struct tm__identity id;

	compiler_version("cc", "-dumpfullversion", "gcc", gcc, sizeof gcc);
	assert_int_equal(tm__identity_from_elf(path, -1, NULL, &id), 0);
	assert_string_equal(id.program, "versioned_tool");
	assert_string_equal(id.version, "2.4.1");
	assert_string_equal(id.toolchain, gcc);
	assert_string_equal(id.goarch, "amd64");
	assert_int_equal(id.build_id_len, 20);
	/* The note outranks the wrapper's TMWATCH_PROGRAM_VERSION. */
	assert_int_equal(tm__identity_from_elf(path, -1, "9.9", &id), 0);
	assert_string_equal(id.version, "2.4.1");
	free(path);
}

static void open_fd_is_read_and_left_open(void **state)
{
	char *path = example("versioned_tool");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct tm__identity id;

	assert_true(fd >= 0);
	assert_int_equal(tm__identity_from_elf(
				 "/opt/bin/versioned_tool (deleted)", fd,
				 NULL, &id), 0);
	assert_string_equal(id.program, "versioned_tool");
	assert_string_equal(id.version, "2.4.1");
	assert_true(fcntl(fd, F_GETFD) >= 0);
	close(fd);
	free(path);
}

static void build_id_gives_the_version_without_a_note(void **state)
{
	char *exe = compile(*state, "cc", "plain", "-Wl,--build-id=sha1");
	char hex[160], gcc[64];
	struct tm__identity id;

	readelf_build_id(exe, hex, sizeof hex);
	compiler_version("cc", "-dumpfullversion", "gcc", gcc, sizeof gcc);
	assert_int_equal(tm__identity_from_elf(exe, -1, NULL, &id), 0);
	assert_string_equal(id.program, "plain");
	expect_build_id(&id, hex);
	assert_string_equal(id.toolchain, gcc);
	assert_string_equal(id.goarch, "amd64");
	free(exe);
}

static void env_version_beats_the_build_id(void **state)
{
	char *exe = compile(*state, "cc", "plain", "-Wl,--build-id=sha1");
	struct tm__identity id;

	assert_int_equal(tm__identity_from_elf(exe, -1, "1.2-rc1/x", &id), 0);
	assert_string_equal(id.version, "1.2_rc1_x");
	assert_int_equal(id.build_id_len, 20);
	free(exe);
}

static void no_note_and_no_build_id_is_devel(void **state)
{
	char *exe = compile(*state, "cc", "anon", "-Wl,--build-id=none");
	struct tm__identity id;

	assert_int_equal(tm__identity_from_elf(exe, -1, NULL, &id), 0);
	assert_string_equal(id.version, "devel");
	assert_int_equal(id.build_id_len, 0);
	assert_int_equal(tm__identity_from_elf(exe, -1, "", &id), 0);
	assert_string_equal(id.version, "devel");
	free(exe);
}

static void bin_true_is_identified_by_its_build_id(void **state)
{
	struct tm__identity id;
	char hex[160];

	readelf_build_id("/bin/true", hex, sizeof hex);
	assert_int_equal(tm__identity_from_elf("/bin/true", -1, NULL, &id),
			 0);
	assert_string_equal(id.program, "true");
	expect_build_id(&id, hex);
	assert_string_equal(id.goarch, "amd64");
	/* Debian strips .comment from its packages. */
	assert_true(strcmp(id.toolchain, "unknown") == 0 ||
		    strncmp(id.toolchain, "gcc", 3) == 0);
}

static void clang_program_reports_clang_not_crt_gcc(void **state)
{
	char *exe = compile(*state, "clang", "viaclang", NULL);
	char want[64];
	struct tm__identity id;

	if (!exe)
		skip();
	compiler_version("clang", "-dumpversion", "clang", want,
			 sizeof want);
	assert_int_equal(tm__identity_from_elf(exe, -1, NULL, &id), 0);
	assert_string_equal(id.toolchain, want);
	free(exe);
}

/* Copies SRC to DST with the section header table removed from the ELF
 * header (as sstrip does): only program headers remain. */
static void strip_section_headers(const char *src, const char *dst)
{
	size_t len;
	char *data = tu_read_file(src, &len);
	Elf64_Ehdr eh;

	assert_non_null(data);
	assert_true(len > sizeof eh);
	memcpy(&eh, data, sizeof eh);
	eh.e_shoff = 0;
	eh.e_shnum = 0;
	eh.e_shstrndx = 0;
	memcpy(data, &eh, sizeof eh);
	assert_int_equal(tu_write_file(dst, data, len), 0);
	free(data);
}

static void notes_are_found_through_segments_without_sections(void **state)
{
	char *path = example("versioned_tool");
	char *copy = tu_path(*state, "sstripped");
	struct tm__identity id;

	strip_section_headers(path, copy);
	assert_int_equal(tm__identity_from_elf(copy, -1, NULL, &id), 0);
	assert_string_equal(id.program, "sstripped");
	assert_string_equal(id.version, "2.4.1");
	assert_int_equal(id.build_id_len, 20);
	assert_string_equal(id.toolchain, "unknown"); /* .comment is gone */
	free(path);
	free(copy);
}

static void non_elf_file_fails_but_fills_defaults(void **state)
{
	char *path = tu_path(*state, "script.sh");
	struct tm__identity id;

	assert_int_equal(tu_write_file(path, "#!/bin/sh\nexit 0\n", 17), 0);
	assert_int_equal(tm__identity_from_elf(path, -1, NULL, &id),
			 TM_ENOTELF);
	assert_string_equal(id.program, "script.sh");
	assert_string_equal(id.version, "devel");
	assert_string_equal(id.toolchain, "unknown");
	assert_string_equal(id.goarch, "amd64");
	assert_int_equal(id.build_id_len, 0);
	assert_int_equal(tm__identity_from_elf(path, -1, "3.1", &id),
			 TM_ENOTELF);
	assert_string_equal(id.version, "3.1");
	free(path);
}

static void missing_file_fails_but_fills_defaults(void **state)
{
	char *path = tu_path(*state, "gone-tool@2");
	struct tm__identity id;

	assert_int_equal(tm__identity_from_elf(path, -1, NULL, &id),
			 -ENOENT);
	assert_string_equal(id.program, "gone-tool_2");
	assert_string_equal(id.version, "devel");
	assert_string_equal(id.goarch, "amd64");
	assert_int_equal(tm__identity_from_elf(NULL, -1, NULL, &id),
			 TM_EINVAL);
	assert_string_equal(id.program, "unknown");
	free(path);
}

static void toolchain_prefers_rustc_then_clang_then_gcc(void **state)
{
	static const struct {
		const char *comment;
		size_t len;
		const char *want;
	} cases[] = {
#define C(s, w) { s, sizeof s - 1, w }
		C("GCC: (Debian 12.2.0-14) 12.2.0\0", "gcc12.2.0"),
		C("GCC: (Debian 12.2.0-14) 12.2.0\0Debian clang version "
		  "14.0.6\0", "clang14.0.6"),
		C("GCC: (GNU) 13.2.0\0rustc version 1.95.0 (0123abc "
		  "2026-01-01)\0GCC: (GNU) 13.2.0\0", "rustc1.95.0"),
		C("GCC: (GNU) 4.8.5 20150623 (Red Hat 4.8.5-44)\0",
		  "gcc4.8.5"),
		C("GCC: (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0\0"
		  "GCC: (GNU) 13.1.0\0", "gcc13.1.0"),
		C("Ubuntu clang version 14.0.0-1ubuntu1.1\0", "clang14.0.0"),
		C("clang version 17.0.0 (https://github.com/llvm/x 1a2b)\0"
		  "Linker: LLD 17.0.0\0", "clang17.0.0"),
		C("Linker: LLD 14.0.6\0", "unknown"),
		C("GCC: (GNU)\0", "unknown"),
		C("", "unknown"),
		C("GCC: (unterminated 9.1", "unknown"),
		C("GCC: 9.1.0", "gcc9.1.0"),
#undef C
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[64];

		tm__identity_toolchain(cases[i].comment, cases[i].len, out,
				       sizeof out);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, out,
				 cases[i].want);
	}
}

static void sanitize_keeps_only_file_name_safe_bytes(void **state)
{
	char s[] = "a/b-c@d\x01\xc3\xa9+~._Z9 x";

	tm__identity_sanitize(s);
	assert_string_equal(s, "a_b_c_d___+~._Z9_x");
}

static void program_names_keep_dashes(void **state)
{
	char s[] = "clang-tidy/x@y";

	tm__identity_sanitize_program(s);
	assert_string_equal(s, "clang-tidy_x_y");
}

static void goarch_uses_go_spelling(void **state)
{
	assert_string_equal(tm__identity_goarch(EM_X86_64, ELFCLASS64,
						ELFDATA2LSB), "amd64");
	assert_string_equal(tm__identity_goarch(EM_386, ELFCLASS32,
						ELFDATA2LSB), "386");
	assert_string_equal(tm__identity_goarch(EM_AARCH64, ELFCLASS64,
						ELFDATA2LSB), "arm64");
	assert_string_equal(tm__identity_goarch(EM_ARM, ELFCLASS32,
						ELFDATA2LSB), "arm");
	assert_string_equal(tm__identity_goarch(EM_RISCV, ELFCLASS64,
						ELFDATA2LSB), "riscv64");
	assert_string_equal(tm__identity_goarch(EM_PPC64, ELFCLASS64,
						ELFDATA2LSB), "ppc64le");
	assert_string_equal(tm__identity_goarch(EM_PPC64, ELFCLASS64,
						ELFDATA2MSB), "ppc64");
	assert_string_equal(tm__identity_goarch(EM_S390, ELFCLASS64,
						ELFDATA2MSB), "s390x");
	assert_string_equal(tm__identity_goarch(EM_MIPS, ELFCLASS32,
						ELFDATA2LSB), "mipsle");
	assert_string_equal(tm__identity_goarch(258, ELFCLASS64,
						ELFDATA2LSB), "loong64");
	assert_string_equal(tm__identity_goarch(EM_X86_64, ELFCLASS32,
						ELFDATA2LSB), "unknown");
	assert_string_equal(tm__identity_goarch(0xbeef, ELFCLASS64,
						ELFDATA2LSB), "unknown");
	assert_string_equal(tm__identity_host_goarch(), "amd64");
}

/* The store's own path (no libelf) must agree with the libelf reading. */
static void self_identity_matches_the_elf_reading(void **state)
{
	struct tm__identity self, elf;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	assert_true(n > 0);
	exe[n] = 0;
	assert_int_equal(tm__identity_self(NULL, &self), 0);
	assert_int_equal(tm__identity_from_elf(exe, -1, NULL, &elf), 0);
	assert_string_equal(self.program, elf.program);
	assert_string_equal(self.version, elf.version);
	assert_string_equal(self.toolchain, elf.toolchain);
	assert_string_equal(self.goarch, elf.goarch);
	assert_int_equal(self.build_id_len, elf.build_id_len);
	assert_memory_equal(self.build_id, elf.build_id, elf.build_id_len);
	/* A build-id never beats an explicit version. */
	assert_int_equal(tm__identity_self("9.9", &self), 0);
	assert_string_equal(self.version, "9.9");
}

/* versioned_tool counts one event: its counter file must carry the
 * version of its package note, read by the self path. */
static void running_program_counts_under_its_package_version(void **state)
{
	const char *dir = getenv("TMWATCH_EXAMPLES");
	char *tool, *store = *state, *local, *out = NULL;
	char *argv[] = { NULL, NULL };
	char *env[3];
	struct dirent *e;
	DIR *d;
	int found = 0;

	if (!dir)
		fail_msg("TMWATCH_EXAMPLES is not set (run through ctest)");
	tool = tu_path(dir, "versioned_tool");
	argv[0] = tool;
	assert_true(asprintf(&env[0], "TMWATCH_DIR=%s", store) > 0);
	env[1] = "TMWATCH_TELEMETRY";
	env[2] = NULL;
	assert_int_equal(tu_run(argv, env, &out, NULL, 30000), 0);
	local = tu_path(store, "local");
	d = opendir(local);
	assert_non_null(d);
	while ((e = readdir(d)))
		found += strncmp(e->d_name, "versioned_tool@2.4.1-gcc",
				 24) == 0;
	closedir(d);
	assert_int_equal(found, 1);
	free(local);
	free(env[0]);
	free(out);
	free(tool);
}

/* Runs ARGV (env: TMWATCH_DIR=STORE) and says whether the store's local/
 * then holds a counter file starting with PREFIX; empties local/ after. */
static int counts_under(char *const argv[], const char *store,
			const char *prefix)
{
	char *env[3], *local = tu_path(store, "local"), *out = NULL, *p;
	struct dirent *e;
	DIR *d;
	int found = 0;

	assert_true(asprintf(&env[0], "TMWATCH_DIR=%s", store) > 0);
	env[1] = "TMWATCH_TELEMETRY";
	env[2] = NULL;
	assert_int_equal(tu_run(argv, env, &out, NULL, 30000), 0);
	d = opendir(local);
	assert_non_null(d);
	while ((e = readdir(d))) {
		if (!strstr(e->d_name, ".count"))
			continue;
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			found++;
		else
			print_error("counted under %s\n", e->d_name);
		p = tu_path(local, e->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
	free(local);
	free(env[0]);
	free(out);
	return found == 1;
}

/* A program's first count finds its own file through the path it was
 * started by (no /proc) when it can prove it is the same build, else
 * through /proc/self/exe: either way the name is the one /proc/PID/exe
 * gives the watchdog. Started by absolute path, relative path, a symlink
 * (the target's name), under another name (a copy: its own name), as a
 * script's interpreter and through ld.so. */
static void self_identity_is_the_same_however_the_program_is_started(
	void **state)
{
	const char *dir = getenv("TMWATCH_EXAMPLES");
	char *store = *state, *tool, *bin, *link, *copy, *cmd;
	char *abs_argv[] = { NULL, NULL };
	char *sh_argv[] = { "/bin/sh", "-c", NULL, NULL };

	if (!dir)
		fail_msg("TMWATCH_EXAMPLES is not set (run through ctest)");
	tool = tu_path(dir, "versioned_tool");
	bin = tu_path(store, "bin");
	assert_int_equal(mkdir(bin, 0755), 0);
	link = tu_path(bin, "vt_link");
	copy = tu_path(bin, "vt_copy");
	assert_int_equal(symlink(tool, link), 0);
	assert_true(asprintf(&cmd, "cp '%s' '%s'", tool, copy) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);

	abs_argv[0] = tool;
	assert_true(counts_under(abs_argv, store, "versioned_tool@2.4.1-gcc"));
	abs_argv[0] = link;
	assert_true(counts_under(abs_argv, store, "versioned_tool@2.4.1-gcc"));
	abs_argv[0] = copy;
	assert_true(counts_under(abs_argv, store, "vt_copy@2.4.1-gcc"));
	/* Relative: the path proves nothing once the program could have
	 * changed directory; /proc/self/exe answers. */
	assert_true(asprintf(&sh_argv[2], "cd '%s' && exec ./vt_copy", bin) >
		    0);
	assert_true(counts_under(sh_argv, store, "vt_copy@2.4.1-gcc"));
	free(sh_argv[2]);
	assert_true(asprintf(&sh_argv[2], "cd '%s' && exec ./vt_link", bin) >
		    0);
	assert_true(counts_under(sh_argv, store, "versioned_tool@2.4.1-gcc"));
	free(sh_argv[2]);
	/* As a script's interpreter: the started path is the script's,
	 * which carries no build-id; /proc/self/exe (the interpreter)
	 * answers. */
	{
		char *script = tu_path(bin, "script"), *text;

		assert_true(asprintf(&text, "#!%s\n", copy) > 0);
		assert_int_equal(tu_write_file(script, text, strlen(text)), 0);
		assert_int_equal(chmod(script, 0755), 0);
		abs_argv[0] = script;
		assert_true(counts_under(abs_argv, store,
					 "vt_copy@2.4.1-gcc"));
		unlink(script);
		free(script);
		free(text);
	}
	/* Through the loader: the started path is ld.so's, whose build-id
	 * is not the program's; /proc/self/exe (ld.so) answers, as it does
	 * for the watchdog. */
	assert_true(asprintf(&sh_argv[2], "exec /lib64/ld-linux-x86-64.so.2 "
			     "'%s'", copy) > 0);
	assert_true(counts_under(sh_argv, store,
				 "ld-linux-x86-64.so.2@2.4.1-"));
	free(sh_argv[2]);
	unlink(link);
	unlink(copy);
	rmdir(bin);
	free(link);
	free(copy);
	free(bin);
	free(tool);
}

/* Over-long inputs are cut to the field, as they always were (the
 * watchdog and a counting program share these rules, so both cut alike):
 * never emptied, never overflowed. */
static void long_names_and_versions_are_cut_to_the_field(void **state)
{
	struct tm__identity id;
	char version[300], path[400];

	(void)state;
	memset(version, '7', sizeof version - 1);
	version[sizeof version - 1] = '\0';
	memset(path, 'p', sizeof path - 1);
	path[0] = '/';
	path[sizeof path - 1] = '\0';
	tm__identity_defaults(path, version, &id);
	assert_int_equal(strlen(id.version), sizeof id.version - 1);
	assert_memory_equal(id.version, version, sizeof id.version - 1);
	assert_int_equal(strlen(id.program), sizeof id.program - 1);
	assert_string_equal(id.toolchain, "unknown");
	tm__identity_toolchain("GCC: (Debian) 12.2.0", 21, id.toolchain,
			       sizeof id.toolchain);
	assert_string_equal(id.toolchain, "gcc12.2.0");
	tm__identity_toolchain("GCC: (x) 1.2.3", 15, id.toolchain, 6);
	assert_string_equal(id.toolchain, "gcc1.");
}

/* The package note's JSON without a JSON library: the first top-level
 * "version" string, decoded; a broken document gives none. */
static void package_note_json_is_read_without_a_library(void **state)
{
	static const struct {
		const char *json;
		long ret;
		const char *version;
	} cases[] = {
		{ "{\"type\":\"deb\",\"version\":\"1.2.3-1\"}", 7, "1.2.3-1" },
		{ " { \"version\" : \"2.0\" } ", 3, "2.0" },
		{ "{\"vers\\u0069on\":\"\\u00e9\\ud83d\\ude00\"}", 6,
		  "\xc3\xa9\xf0\x9f\x98\x80" },
		{ "{\"meta\":{\"version\":\"in\"},\"version\":\"top\"}", 3,
		  "top" },
		{ "{\"a\":[1,-2.5e3,true,null,{}],\"version\":\"x\"}", 1, "x" },
		{ "{\"version\":\"first\",\"version\":\"second\"}", 5,
		  "first" },
		{ "{\"version\":5,\"version\":\"late\"}", 0, "" },
		{ "{\"version\":\"\"}", 0, "" },
		{ "{}", 0, "" },
		{ "{\"version\":\"1.0\"", -1, "" },
		{ "{\"version\":\"1.0\",}", -1, "" },
		{ "{\"version\":\"a\\qb\"}", -1, "" },
		{ "[{\"version\":\"1\"}]", -1, "" },
		{ "{\"version\":\"1\",\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		  "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", -1, "" },
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		long r = tm__identity_note_version(cases[i].json,
						   strlen(cases[i].json), out,
						   sizeof out);

		if (r != cases[i].ret || strcmp(out, cases[i].version) != 0)
			fail_msg("%s: got %ld '%s', want %ld '%s'",
				 cases[i].json, r, out, cases[i].ret,
				 cases[i].version);
	}
	/* Cut to the buffer, still terminated. */
	assert_int_equal(tm__identity_note_version(
		"{\"version\":\"123456789\"}", 23, out, 4), 3);
	assert_string_equal(out, "123");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fresh_dir, remove_dir)
		T(package_note_gives_the_version),
		T(long_names_and_versions_are_cut_to_the_field),
		T(self_identity_is_the_same_however_the_program_is_started),
		T(open_fd_is_read_and_left_open),
		T(build_id_gives_the_version_without_a_note),
		T(env_version_beats_the_build_id),
		T(no_note_and_no_build_id_is_devel),
		T(bin_true_is_identified_by_its_build_id),
		T(clang_program_reports_clang_not_crt_gcc),
		T(notes_are_found_through_segments_without_sections),
		T(non_elf_file_fails_but_fills_defaults),
		T(missing_file_fails_but_fills_defaults),
		T(toolchain_prefers_rustc_then_clang_then_gcc),
		T(sanitize_keeps_only_file_name_safe_bytes),
		T(program_names_keep_dashes),
		T(goarch_uses_go_spelling),
		T(self_identity_matches_the_elf_reading),
		T(running_program_counts_under_its_package_version),
		T(package_note_json_is_read_without_a_library),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
