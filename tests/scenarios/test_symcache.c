/* SPDX-License-Identifier: MIT */
/* test_symcache.c -- the watchdog's persistent symbolization cache
 * ($XDG_STATE_HOME/tmwatch/symcache, docs/stack-counters.md) through the
 * real tmwatch: a fresh watchdog names a PC from an earlier watchdog's
 * entries even after the debug info is gone; hostile cache files (garbage,
 * huge lengths, torn or edited records, a FIFO, a symlink) are ignored and
 * the crash named from DWARF; mode off creates nothing; another build of
 * the program (another build-id, same path and inode) never uses the
 * first one's entries. Every run is bounded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "stackutil.h"
#include "symcache.h"
#include "testutil.h"

#define RUN_TIMEOUT_MS 30000

struct fixture {
	char *store;
	char *state;	/* XDG_STATE_HOME */
	char *xdg;	/* "XDG_STATE_HOME=..." */
	char *cache;	/* STATE/tmwatch/symcache */
	char *tmp;
};

static const char *const null_write[] = {
	SU_F("write_null", 2), SU_F("main", 2), NULL
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->store = tu_fresh_store("symcache-store");
	f->state = tu_tmpdir("symcache-state");
	f->tmp = tu_tmpdir("symcache-tmp");
	if (asprintf(&f->xdg, "XDG_STATE_HOME=%s", f->state) < 0 ||
	    asprintf(&f->cache, "%s/tmwatch/symcache", f->state) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tu_rmrf(f->store);
	tu_rmrf(f->state);
	tu_rmrf(f->tmp);
	free(f->store);
	free(f->state);
	free(f->tmp);
	free(f->xdg);
	free(f->cache);
	free(f);
	return 0;
}

static void run_ok(char *const argv[])
{
	char *err = NULL;
	int st = tu_run(argv, NULL, NULL, &err, RUN_TIMEOUT_MS);

	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("'%s' failed (%s): %s", argv[0],
			 tu_describe_status(st), err ? err : "");
	free(err);
}

/* A new empty store, so that the next crash is counted alone. */
static void fresh_store(struct fixture *f)
{
	tu_rmrf(f->store);
	free(f->store);
	f->store = tu_fresh_store("symcache-store");
}

/* Runs PROG under a new tmwatch (libc named from its symbols only, so
 * that the cache is what makes the program's own frames differ); it must
 * die of SIGSEGV. */
static void crash_wrapped(const struct fixture *f, const char *prog,
			  const char *extra_env)
{
	char *argv[] = { (char *)su_env_or_die("TMWATCH_BIN"), "-q",
			 (char *)prog, NULL };
	char *env[] = { f->xdg, "TMWATCH_QUIET", (char *)extra_env, NULL };
	char *err = NULL;
	int st = tu_run(argv, env, NULL, &err, RUN_TIMEOUT_MS);

	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSEGV)
		fail_msg("'%s' under tmwatch: %s, expected signal 11: %s",
			 prog, tu_describe_status(st), err ? err : "");
	free(err);
}

/* The one crash/crash counter of the store must match EXPECTED and have
 * been counted COUNT times. */
static void expect_stack(const struct fixture *f, const char *const *exp,
			 uint64_t count)
{
	char **names, **progs;
	uint64_t *values;
	size_t n = su_counters(f->store, "crash/crash", &names, &values,
			       &progs);

	if (n != 1)
		fail_msg("expected one crash/crash counter, got %zu", n);
	if (!su_match(names[0], exp)) {
		char *want = su_lines(exp);

		fail_msg("recorded name\n%s\n--- does not match the expected "
			 "lines\ncrash/crash\n%s", names[0], want);
	}
	if (values[0] != count)
		fail_msg("counted %llu, expected %llu",
			 (unsigned long long)values[0],
			 (unsigned long long)count);
	su_free_list(names, n);
	su_free_list(progs, n);
	free(values);
}

static char *build_id_of(const char *file)
{
	char *argv[] = { "readelf", "-n", (char *)file, NULL };
	char *out = NULL, *at, *id;
	int st = tu_run(argv, NULL, &out, NULL, RUN_TIMEOUT_MS);

	assert_int_equal(st, 0);
	at = strstr(out, "Build ID: ");
	if (!at)
		fail_msg("no build-id in '%s'", file);
	id = strndup(at + 10, strcspn(at + 10, " \n"));
	free(out);
	return id;
}

/* A copy of example NAME at TMP/AS. */
static char *copy_example(const struct fixture *f, const char *name,
			  const char *as)
{
	char *src = su_example(name), *bin = tu_path(f->tmp, as);
	char *cp[] = { "cp", src, bin, NULL };

	run_ok(cp);
	free(src);
	return bin;
}

/* The cache file of BIN's build-id. */
static char *cache_file_of(const struct fixture *f, const char *bin)
{
	char *id = build_id_of(bin), *name, *path;

	if (asprintf(&name, "%s%s", id, TM__SYMCACHE_GENERATION) < 0)
		fail_msg("out of memory");
	path = tu_path(f->cache, name);
	free(name);
	free(id);
	return path;
}

/* The records' FNV-1a 32 checksum (lib/symcache.c), to forge records
 * that only the module identity keeps out. */
static uint32_t fnv32(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Replaces every OLD in the records of DATA (LEN bytes) with NEW (same
 * length) and, when FIX, recomputes each record's checksum. Returns the
 * number of replacements. */
static int edit_records(unsigned char *data, size_t len, const char *old,
			const char *new, int fix)
{
	size_t ol = strlen(old), off = 0;
	int n = 0;

	for (size_t i = 0; i + ol <= len; i++) {
		if (memcmp(data + i, old, ol) == 0) {
			memcpy(data + i, new, ol);
			n++;
		}
	}
	while (fix && len - off >= 32) {
		uint32_t rl = (uint32_t)data[off + 4] |
			(uint32_t)data[off + 5] << 8 |
			(uint32_t)data[off + 6] << 16 |
			(uint32_t)data[off + 7] << 24;
		uint32_t h;

		assert_true(rl >= 32 && rl <= len - off);
		h = fnv32(data + off, rl - 4);
		for (int b = 0; b < 4; b++)
			data[off + rl - 4 + b] = (unsigned char)(h >> (8 * b));
		off += rl;
	}
	return n;
}

/* A crash named with DWARF from TMWATCH_DEBUG_DIRS under one watchdog;
 * the debug directory removed; the same crash under a new watchdog keeps
 * its +N line offsets (only the cache has them now) and counts 2 on one
 * name. Without the cache the program's frames are module-only. */
static void names_survive_losing_the_debug_info_wrapper(void **state)
{
	struct fixture *f = *state;
	char *bin = copy_example(f, "crash_null_write", "sep_debug");
	char *dbg = tu_path(f->tmp, "sep_debug.debug");
	char *keep[] = { "objcopy", "--only-keep-debug", bin, dbg, NULL };
	char *strip[] = { "strip", "--strip-all", bin, NULL };
	char *mk[] = { "mkdir", "-p", NULL, NULL };
	char *mv[] = { "mv", dbg, NULL, NULL };
	char *id, *dir, *top, *target, *env;
	static const char *const without[] = {
		"sep_debug:" SU_HEX, "sep_debug:" SU_HEX, NULL
	};

	run_ok(keep);
	run_ok(strip);
	id = build_id_of(bin);
	if (asprintf(&top, "%s/dbg", f->tmp) < 0 ||
	    asprintf(&dir, "%s/.build-id/%.2s", top, id) < 0 ||
	    asprintf(&target, "%s/%s.debug", dir, id + 2) < 0 ||
	    asprintf(&env, "TMWATCH_DEBUG_DIRS=%s", top) < 0)
		fail();
	mk[2] = dir;
	mv[2] = target;
	run_ok(mk);
	run_ok(mv);

	crash_wrapped(f, bin, env);
	expect_stack(f, null_write, 1);
	tu_rmrf(top);
	crash_wrapped(f, bin, "TMWATCH_DEBUG_DIRS");
	expect_stack(f, null_write, 2);

	/* The control: the debug info is really gone. */
	tu_rmrf(f->cache);
	fresh_store(f);
	crash_wrapped(f, bin, "TMWATCH_DEBUG_DIRS");
	expect_stack(f, without, 1);
	free(id);
	free(dir);
	free(top);
	free(target);
	free(env);
	free(bin);
	free(dbg);
}

/* Writes LEN bytes of DATA as the cache file PATH (a fresh file). */
static void put_cache(const struct fixture *f, const char *path,
		      const void *data, size_t len)
{
	char *mk[] = { "mkdir", "-p", f->cache, NULL };

	run_ok(mk);
	unlink(path);
	if (tu_write_file(path, data, len) != 0)
		fail_msg("cannot write '%s'", path);
}

/* Hostile cache files never change the name, hang or crash the
 * watchdog: each variant in turn, then the crash named from DWARF. */
static void hostile_cache_files_are_ignored_wrapper(void **state)
{
	struct fixture *f = *state;
	char *bin = copy_example(f, "crash_null_write", "hostile");
	char *path = cache_file_of(f, bin), *good, *fifo;
	unsigned char junk[65536], big[64];
	size_t glen;
	int v;

	/* A real cache file to tear and edit. */
	crash_wrapped(f, bin, NULL);
	expect_stack(f, null_write, 1);
	good = tu_read_file(path, &glen);
	assert_non_null(good);
	assert_true(glen > 64);
	srand(7);
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (unsigned char)rand();
	fifo = tu_path(f->tmp, "fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);

	for (v = 0; v < 8; v++) {
		char *edited = malloc(glen);

		memcpy(edited, good, glen);
		memset(big, 0, sizeof big);
		memcpy(big, "TSC1", 4);
		switch (v) {
		case 0:		/* garbage */
			put_cache(f, path, junk, sizeof junk);
			break;
		case 1:		/* a record of 4 GiB */
			memset(big + 4, 0xff, 4);
			put_cache(f, path, big, sizeof big);
			break;
		case 2:		/* ~10^9 bytes, 65535 frames */
			big[5] = 0xca;
			big[6] = 0x9a;
			big[7] = 0x3b;
			big[24] = 0xff;
			big[25] = 0xff;
			put_cache(f, path, big, sizeof big);
			break;
		case 3:		/* torn: the last record cut short */
			put_cache(f, path, good, glen - 7);
			break;
		case 4:		/* edited names, checksums left stale */
			assert_true(edit_records((unsigned char *)edited,
						 glen, "write_null",
						 "write_evil", 0) > 0);
			put_cache(f, path, edited, glen);
			break;
		case 5:		/* a FIFO nobody writes to */
			put_cache(f, path, "", 0);
			unlink(path);
			assert_int_equal(mknod(path, S_IFIFO | 0600, 0), 0);
			break;
		case 6:		/* a symlink (to a FIFO) */
			put_cache(f, path, "", 0);
			unlink(path);
			assert_int_equal(symlink(fifo, path), 0);
			break;
		case 7:		/* a directory */
			put_cache(f, path, "", 0);
			unlink(path);
			assert_int_equal(mkdir(path, 0700), 0);
			break;
		}
		free(edited);
		fresh_store(f);
		crash_wrapped(f, bin, NULL);
		expect_stack(f, null_write, 1);
		tu_rmrf(path);
	}
	free(good);
	free(fifo);
	free(path);
	free(bin);
}

/* Mode off writes nothing (DESIGN §7), by the environment or by the
 * mode file; local mode does create the cache, 0700, files 0600. */
static void mode_off_creates_no_symcache_wrapper(void **state)
{
	struct fixture *f = *state;
	char *prog = su_example("crash_null_write");
	char *mode = tu_path(f->store, "mode"), *file;
	static const char off[] = "off 2026-11-23\n";
	struct stat st;

	crash_wrapped(f, prog, "TMWATCH_TELEMETRY=off");
	assert_int_equal(stat(f->cache, &st), -1);
	assert_int_equal(tu_write_file(mode, off, sizeof off - 1), 0);
	crash_wrapped(f, prog, NULL);
	assert_int_equal(stat(f->cache, &st), -1);

	unlink(mode);
	crash_wrapped(f, prog, NULL);
	expect_stack(f, null_write, 1);
	assert_int_equal(stat(f->cache, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	file = cache_file_of(f, prog);
	assert_int_equal(lstat(file, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	free(file);
	free(mode);
	free(prog);
}

/* Writes a build-id note with every byte of its 20-byte id BYTE. */
static char *note_file(const struct fixture *f, unsigned char byte)
{
	unsigned char note[36] = { 4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0,
				   'G', 'N', 'U', 0 };
	char *path = tu_path(f->tmp, byte == 0xaa ? "note_a" : "note_b");

	memset(note + 16, byte, 20);
	assert_int_equal(tu_write_file(path, note, sizeof note), 0);
	return path;
}

/* Two builds of one program, identical but for the build-id, run in turn
 * from the same path and inode: the first one's entries (forged here to
 * show when they are used) never name the second one's crash. */
static void another_build_never_uses_the_others_entries_wrapper(void **state)
{
	struct fixture *f = *state;
	char *src = su_example("crash_null_write");
	char *na = note_file(f, 0xaa), *nb = note_file(f, 0xbb);
	char *a = tu_path(f->tmp, "build_a"), *b = tu_path(f->tmp, "build_b");
	char *bin = tu_path(f->tmp, "prog"), *path, *data, *pb;
	char sa[300], sb[300];
	char *oa[] = { "objcopy", NULL, src, a, NULL };
	char *ob[] = { "objcopy", NULL, src, b, NULL };
	char *cpa[] = { "cp", a, bin, NULL }, *cpb[] = { "cp", b, bin, NULL };
	static const char *const forged[] = {
		SU_F("write_evil", 2), SU_F("main", 2), NULL
	};
	struct stat st;
	ino_t ino;
	size_t len;

	snprintf(sa, sizeof sa, "--update-section=.note.gnu.build-id=%s", na);
	snprintf(sb, sizeof sb, "--update-section=.note.gnu.build-id=%s", nb);
	oa[1] = sa;
	ob[1] = sb;
	run_ok(oa);
	run_ok(ob);
	run_ok(cpa);
	assert_int_equal(stat(bin, &st), 0);
	ino = st.st_ino;

	crash_wrapped(f, bin, NULL);
	expect_stack(f, null_write, 1);
	path = cache_file_of(f, bin);
	data = tu_read_file(path, &len);
	assert_non_null(data);
	assert_true(edit_records((unsigned char *)data, len, "write_null",
				 "write_evil", 1) > 0);
	assert_int_equal(tu_write_file(path, data, len), 0);
	/* The forged entries are what build A is named from now. */
	fresh_store(f);
	crash_wrapped(f, bin, NULL);
	expect_stack(f, forged, 1);

	run_ok(cpb);
	assert_int_equal(stat(bin, &st), 0);
	assert_true(st.st_ino == ino);
	pb = cache_file_of(f, bin);
	assert_string_not_equal(pb, path);
	fresh_store(f);
	crash_wrapped(f, bin, NULL);
	expect_stack(f, null_write, 1);
	assert_int_equal(stat(pb, &st), 0);
	free(pb);
	free(path);
	free(data);
	free(src);
	free(na);
	free(nb);
	free(a);
	free(b);
	free(bin);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(names_survive_losing_the_debug_info_wrapper),
		T(hostile_cache_files_are_ignored_wrapper),
		T(mode_off_creates_no_symcache_wrapper),
		T(another_build_never_uses_the_others_entries_wrapper),
#undef T
	};
	struct rlimit nocore = { 0, 0 };

	setrlimit(RLIMIT_CORE, &nocore);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
