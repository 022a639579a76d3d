/* SPDX-License-Identifier: MIT */
/* demangle.h -- function names as stack frames show them (DESIGN §5.2).
 *
 * Raw names (ELF symbols, DWARF linkage names) become frame names: no ELF
 * symbol version, no GCC clone suffix, C++ demangled and reduced to the
 * qualified name without parameters or return type. The rules, with
 * examples, are in docs/stack-counters.md. Pure string work apart from
 * finding __cxa_demangle; any thread; not for signal handlers; never
 * prints.
 */
#ifndef TMWATCH_LIB_DEMANGLE_H
#define TMWATCH_LIB_DEMANGLE_H

#include <stddef.h>

/* Longest template argument list kept as written; longer or nested
 * lists become "<...>". */
#define TM__DEMANGLE_TEMPLATE_MAX 32

/* tm__demangle_strip_suffixes removes, in place, an ELF symbol version
 * ("@GLIBC_2.2.5", "@@GLIBC_2.34") and then every trailing GCC/clang
 * clone suffix (.isra.N .constprop.N .part.N .cold .cold.N .lto_priv.N
 * .localalias .llvm.N), however many are stacked. */
void tm__demangle_strip_suffixes(char *name);

/* tm__demangle_reduce writes the qualified name of the demangled C++
 * signature SIG into OUT: parameter lists, return types, cv/ref
 * qualifiers, "[abi:...]" tags and "[clone ...]" notes removed; template
 * argument lists kept when simple (no nested '<', at most
 * TM__DEMANGLE_TEMPLATE_MAX bytes), else written "<...>". Returns the
 * length, or -ENAMETOOLONG when OUT (CAP bytes) was too small (OUT then
 * holds a cut, NUL-terminated name). */
int tm__demangle_reduce(const char *sig, char *out, size_t cap);

/* tm__demangle_name turns RAW into a frame name in OUT: suffixes
 * stripped; a Rust symbol (legacy "_ZN...17h<hash>E" or v0 "_R...")
 * demangled here without its hash, generic arguments as "<...>"; a Go
 * generic function's shape as "[...]"; then, for a mangled C++ name
 * ("_Z..."), demangled with __cxa_demangle and reduced. When no demangler is available (a C
 * program without libstdc++, a static binary) or RAW does not demangle,
 * the stripped raw name is kept. Returns the length or -ENAMETOOLONG
 * (OUT cut). Thread-safe. */
int tm__demangle_name(const char *raw, char *out, size_t cap);

#endif
