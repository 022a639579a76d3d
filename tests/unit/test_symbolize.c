/* SPDX-License-Identifier: MIT */
/* test_symbolize.c -- tool/symbolize.c and tool/demangle.c on this very
 * process: DWARF names with +N line offsets (expected lines from
 * __LINE__), inline chains, PCs in no module, and the name reduction
 * rules for C++ and clone suffixes.
 *
 * Crashing processes, stripped binaries, separate debug info and
 * replaced files are covered in tests/pipeline/.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "demangle.h"
#include "modclass.h"
#include "symbolize.h"
#include "tmwatch/common.h"

uint64_t return_address(void);
uint64_t probe_direct(int *line);
uint64_t probe_inline_outer(int *inner_line, int *outer_line);

__attribute__((noinline)) uint64_t return_address(void)
{
	uint64_t ra = (uint64_t)(uintptr_t)__builtin_return_address(0);

	__asm__ volatile("" ::: "memory");
	return ra;
}

static const int probe_direct_decl = __LINE__ + 1;
__attribute__((noinline)) uint64_t probe_direct(int *line)
{
	uint64_t pc = return_address(); *line = __LINE__;

	__asm__ volatile("" ::: "memory");
	return pc;
}

static const int probe_inner_decl = __LINE__ + 1;
static inline __attribute__((always_inline)) uint64_t probe_inner(int *l)
{
	uint64_t pc = return_address(); *l = __LINE__;

	__asm__ volatile("" ::: "memory");
	return pc;
}

static const int probe_outer_decl = __LINE__ + 1;
__attribute__((noinline)) uint64_t probe_inline_outer(int *il, int *ol)
{
	uint64_t pc = probe_inner(il); *ol = __LINE__;

	__asm__ volatile("" ::: "memory");
	return pc;
}

static void names_own_function_with_line_offset(void **state)
{
	struct tm__symbolizer *s;
	struct tm__symframes f;
	int line = 0;
	uint64_t pc = probe_direct(&line);
	unsigned char exact = 0;

	assert_int_equal(tm__symbolize_open(0, &s), 0);
	assert_int_equal(tm__symbolize_pcs(s, &pc, &exact, 1, &f), 0);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.frames[0].function, "probe_direct");
	assert_string_equal(f.frames[0].module, "test_symbolize");
	assert_true(f.frames[0].has_line);
	assert_int_equal(f.frames[0].line_offset, line - probe_direct_decl);
	assert_int_equal(f.info[0].source, TM__SYM_DWARF);
	assert_int_equal(f.info[0].line, line);
	assert_non_null(strstr(f.info[0].file, "test_symbolize.c"));
	assert_int_equal(f.info[0].pc, pc - 1);
	assert_false(f.info[0].module_changed);
	assert_true(f.frames[0].offset > 0 && f.frames[0].offset < 0x100);
	tm__symframes_free(&f);
	tm__symbolize_close(s);
}

static void inline_chain_is_innermost_first(void **state)
{
	struct tm__symbolizer *s;
	struct tm__symframes f;
	int il = 0, ol = 0;
	uint64_t pc = probe_inline_outer(&il, &ol);

	assert_int_equal(tm__symbolize_open(getpid(), &s), 0);
	/* NULL: the first PC is exact; say it is a return address. */
	{
		unsigned char exact = 0;

		assert_int_equal(tm__symbolize_pcs(s, &pc, &exact, 1, &f), 0);
	}
	assert_int_equal(f.n, 2);
	assert_string_equal(f.frames[0].function, "probe_inner");
	assert_int_equal(f.frames[0].line_offset, il - probe_inner_decl);
	assert_true(f.info[0].is_inlined);
	assert_string_equal(f.frames[1].function, "probe_inline_outer");
	assert_int_equal(f.frames[1].line_offset, ol - probe_outer_decl);
	assert_false(f.info[1].is_inlined);
	/* Both offsets are from the physical function's entry. */
	assert_int_equal(f.frames[0].offset, f.frames[1].offset);
	assert_int_equal(f.info[0].pc_index, 0);
	assert_int_equal(f.info[1].pc_index, 0);
	tm__symframes_free(&f);
	tm__symbolize_close(s);
}

static void pc_in_no_module_has_no_name_and_no_offset(void **state)
{
	struct tm__symbolizer *s;
	struct tm__symframes f;
	uint64_t pcs[2] = { 0, 0x10 };

	assert_int_equal(tm__symbolize_open(0, &s), 0);
	assert_int_equal(tm__symbolize_pcs(s, pcs, NULL, 2, &f), 0);
	assert_int_equal(f.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_null(f.frames[i].function);
		assert_null(f.frames[i].module);
		assert_int_equal(f.frames[i].offset, 0);
		assert_int_equal(f.info[i].source, TM__SYM_NONE);
	}
	tm__symframes_free(&f);
	tm__symbolize_close(s);
}

static void libc_function_is_named(void **state)
{
	struct tm__symbolizer *s;
	struct tm__symframes f;
	uint64_t pc = (uint64_t)(uintptr_t)&getpid + 1;
	unsigned char exact = 1;

	assert_int_equal(tm__symbolize_open(0, &s), 0);
	assert_int_equal(tm__symbolize_pcs(s, &pc, &exact, 1, &f), 0);
	assert_true(f.n >= 1);
	assert_non_null(f.frames[f.n - 1].function);
	assert_non_null(strstr(f.frames[f.n - 1].function, "getpid"));
	assert_non_null(strstr(f.frames[f.n - 1].module, "libc"));
	assert_null(strchr(f.frames[f.n - 1].function, '@'));
	tm__symframes_free(&f);
	tm__symbolize_close(s);
}

static void missing_process_is_an_error(void **state)
{
	struct tm__symbolizer *s = (void *)1;

	assert_int_equal(tm__symbolize_open(999999999, &s), -ENOENT);
	assert_null(s);
	tm__symbolize_close(NULL);
}

static void reduce(const char *sig, const char *want)
{
	char buf[256];

	assert_true(tm__demangle_reduce(sig, buf, sizeof buf) >= 0);
	assert_string_equal(buf, want);
}

static void cxx_names_lose_parameters_and_return_types(void **state)
{
	reduce("clang::Parser::ParseTopLevelDecl(clang::OpaquePtr<"
	       "clang::DeclGroupRef>&, bool)",
	       "clang::Parser::ParseTopLevelDecl");
	reduce("int ns::K::get<int>(int) const", "ns::K::get<int>");
	reduce("std::map<int, int, std::less<int>, std::allocator<std::pair"
	       "<int const, int> > >::key_comp() const",
	       "std::map<...>::key_comp");
	reduce("(anonymous namespace)::helper(int)",
	       "(anonymous namespace)::helper");
	reduce("main::{lambda(int)#1}::operator()(int) const",
	       "main::{lambda(int)#1}::operator()");
	reduce("ns::K::operator<<(int)", "ns::K::operator<<");
	reduce("bool operator< <int>(A<int> const&, A<int> const&)",
	       "operator<<int>");
	reduce("ns::K::operator int() const", "ns::K::operator int");
	reduce("operator delete[](void*)", "operator delete[]");
	reduce("outer()::Local::run(int)", "outer::Local::run");
	reduce("foo[abi:cxx11](int)", "foo");
	reduce("f(int) [clone .isra.0]", "f");
	reduce("plain_c_name", "plain_c_name");
}

static void strip(const char *in, const char *want)
{
	char buf[128];

	snprintf(buf, sizeof buf, "%s", in);
	tm__demangle_strip_suffixes(buf);
	assert_string_equal(buf, want);
}

static void clone_suffixes_and_versions_are_removed(void **state)
{
	strip("parse.isra.0", "parse");
	strip("parse.constprop.12", "parse");
	strip("parse.part.3", "parse");
	strip("parse.cold", "parse");
	strip("parse.cold.7", "parse");
	strip("parse.lto_priv.0", "parse");
	strip("parse.constprop.0.isra.0", "parse");
	strip("parse.isra.0.cold", "parse");
	strip("memcpy@@GLIBC_2.14", "memcpy");
	strip("__libc_start_main@GLIBC_2.2.5", "__libc_start_main");
	strip("file.c.name", "file.c.name");
	strip("v1.2", "v1.2");
	strip(".cold", ".cold");
}

static void mangled_names_are_demangled_and_reduced(void **state)
{
	char buf[256];

	/* libstdc++ is loaded on demand in this C program. */
	assert_true(tm__demangle_name("_ZN2ns1K1sEPKc", buf, sizeof buf) > 0);
	assert_string_equal(buf, "ns::K::s");
	assert_true(tm__demangle_name("_ZN2ns1KclEi.isra.0", buf,
				      sizeof buf) > 0);
	assert_string_equal(buf, "ns::K::operator()");
	assert_true(tm__demangle_name("_Znot_valid", buf, sizeof buf) > 0);
	assert_string_equal(buf, "_Znot_valid");
	assert_int_equal(tm__demangle_name("a_long_name", buf, 4),
			 -ENAMETOOLONG);
	assert_string_equal(buf, "a_l");
}

static void demangled(const char *raw, const char *want)
{
	char buf[512];

	assert_true(tm__demangle_name(raw, buf, sizeof buf) > 0);
	assert_string_equal(buf, want);
}

/* Symbols from rustc 1.95 (legacy, the default, and
 * -C symbol-mangling-version=v0) and Go 1.21 generics. */
static void rust_and_go_names_read_like_their_language(void **state)
{
	/* Legacy: the ::h<hash> goes, $-escapes and ".." decoded. */
	demangled("_ZN6crashy4main17h9ad3e1f36d55231bE", "crashy::main");
	demangled("_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$"
		  "17ha92acc2dab8bd2a9E", "std::rt::lang_start::{{closure}}");
	demangled("_ZN4core3ops8function6FnOnce40call_once$u7b$$u7b$"
		  "vtable.shim$u7d$$u7d$17h3e9d30cc19c31f27E",
		  "core::ops::function::FnOnce::call_once{{vtable.shim}}");
	demangled("_ZN58_$LT$alloc..vec..Vec$LT$u8$GT$$u20$as$u20$crashy.."
		  "Poke$GT$4poke17h0123456789abcdefE.llvm.1234",
		  "<alloc::vec::Vec<u8> as crashy::Poke>::poke");
	/* v0: crate hashes go, generic arguments are <...>. */
	demangled("_RNvCs9JgJgmQ6C8y_6crashy4main", "crashy::main");
	demangled("_RINvCs9JgJgmQ6C8y_6crashy7genericINtNtCslNYArtu3iFV_5"
		  "alloc3vec3VechEEB2_", "crashy::generic<...>");
	demangled("_RNCNCNCNvNtCsjrHSEGnQ3l9_3std2rt19lang_start_internal"
		  "00s_0B9_", "std::rt::lang_start_internal::{closure#0}::"
		  "{closure#0}::{closure#1}");
	demangled("_RINvMNtNtCsgEmfK2I1SDS_4core3fmt2rtNtB3_8Argument11new_"
		  "displayjECs9JgJgmQ6C8y_6crashy",
		  "<core::fmt::rt::Argument>::new_display<...>");
	/* Not Rust after all: C++ as before; a truncated v0 stays. */
	demangled("_ZN2ns1K1sEPKc", "ns::K::s");
	demangled("_RNvCs9Jg", "_RNvCs9Jg");
	/* Go prints a generic function's shape as [...]. */
	demangled("main.Map[go.shape.int,go.shape.string]", "main.Map[...]");
	demangled("main.(*T).Run", "main.(*T).Run");
}

/* strlen(NULL) is named strlen whatever IFUNC variant this CPU runs,
 * with no offset; the local log's detail names the variant. */
static void system_library_frames_are_named_by_exported_name(void **state)
{
	struct tm__symbolizer *s;
	struct tm__symframes f;
	/* What libc's strlen resolves to in this process: the IFUNC
	 * variant (asked of libc itself: ASan interposes strlen). */
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *fn = libc ? dlsym(libc, "strlen") : NULL;
	void *pid = libc ? dlsym(libc, "getpid") : NULL;
	uint64_t pcs[2] = { (uint64_t)(uintptr_t)fn + 4,
			    (uint64_t)(uintptr_t)pid + 1 };
	unsigned char exact[2] = { 1, 1 };
	size_t detail = 0;

	assert_non_null(fn);
	assert_non_null(pid);
	assert_int_equal(tm__symbolize_open(0, &s), 0);
	assert_int_equal(tm__symbolize_pcs(s, pcs, exact, 2, &f), 0);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.frames[0].function, "strlen");
	assert_string_equal(f.frames[0].module, "libc.so.6");
	assert_true(f.frames[0].is_system);
	assert_string_equal(f.frames[1].function, "getpid");
	assert_int_equal(tm__symbolize_detail(s, &f), 0);
	for (size_t i = 0; i < f.n; i++)
		detail += f.frames[i].detail_only;
	assert_int_equal(f.n, 2 + detail);
	assert_true(detail >= 2);
	assert_string_equal(f.frames[0].function, "strlen");
	assert_true(f.frames[1].detail_only);
	tm__symframes_free(&f);
	tm__symbolize_close(s);
	dlclose(libc);
}

static void modules_are_classified_by_the_executable(void **state)
{
	struct tm__modclass_ctx c;

	assert_int_equal(tm__modclass_init(&c, "/opt/app/bin/app", NULL), 0);
	assert_int_equal(tm__modclass_of(&c, "/opt/app/bin/app"),
			 TM__MOD_PROGRAM);
	assert_int_equal(tm__modclass_of(&c, "/opt/app/bin/libx.so"),
			 TM__MOD_SHIPPED);
	assert_int_equal(tm__modclass_of(&c, "/opt/app/lib/libclang.so.17"),
			 TM__MOD_SHIPPED);
	assert_int_equal(tm__modclass_of(&c, "/opt/application/lib/l.so"),
			 TM__MOD_SYSTEM);
	assert_int_equal(tm__modclass_of(&c, "/opt/app/share/x/l.so"),
			 TM__MOD_SYSTEM);
	assert_int_equal(tm__modclass_of(&c,
					 "/usr/lib/x86_64-linux-gnu/libc.so.6"),
			 TM__MOD_SYSTEM);
	tm__modclass_free(&c);
	/* /usr is everyone's prefix: only the program's directory. */
	assert_int_equal(tm__modclass_init(&c, "/usr/bin/tool", NULL), 0);
	assert_int_equal(tm__modclass_of(&c, "/usr/lib/libz.so.1"),
			 TM__MOD_SYSTEM);
	assert_int_equal(tm__modclass_of(&c, "/usr/bin/tool"),
			 TM__MOD_PROGRAM);
	/* A library the program names as its own, wherever it lives. */
	assert_int_equal(tm__modclass_add_own(&c, "libclang-cpp.so.*"), 0);
	assert_int_equal(tm__modclass_add_own(&c, "/usr/lib/x.so"),
			 TM_EINVAL);
	assert_int_equal(tm__modclass_of(&c,
		"/usr/lib/llvm-17/lib/libclang-cpp.so.17"), TM__MOD_SHIPPED);
	assert_int_equal(tm__modclass_of(&c, "/usr/lib/libclang.so.17"),
			 TM__MOD_SYSTEM);
	tm__modclass_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_own_function_with_line_offset),
		cmocka_unit_test(inline_chain_is_innermost_first),
		cmocka_unit_test(pc_in_no_module_has_no_name_and_no_offset),
		cmocka_unit_test(libc_function_is_named),
		cmocka_unit_test(missing_process_is_an_error),
		cmocka_unit_test(cxx_names_lose_parameters_and_return_types),
		cmocka_unit_test(clone_suffixes_and_versions_are_removed),
		cmocka_unit_test(mangled_names_are_demangled_and_reduced),
		cmocka_unit_test(rust_and_go_names_read_like_their_language),
		cmocka_unit_test(
			system_library_frames_are_named_by_exported_name),
		cmocka_unit_test(modules_are_classified_by_the_executable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
