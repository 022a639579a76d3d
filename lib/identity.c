/* SPDX-License-Identifier: MIT */
/* identity.c -- program name, version, toolchain and GOARCH from an ELF.
 *
 * DESIGN §6.2. The version comes from the FDO package metadata note
 * (https://systemd.io/ELF_PACKAGE_METADATA/: owner "FDO", type 0xcafe1a7e,
 * NUL-padded JSON with a "version" key), else the caller's
 * TMWATCH_PROGRAM_VERSION, else the GNU build-id ("b" + 12 hex digits),
 * else "devel". The toolchain comes from .comment.
 *
 * This file is libtmwatch's part (libc only): the rules, the note and
 * .comment readers, and the calling process's own identity
 * (tm__identity_self: its loaded PT_NOTE segments and a few preads). The
 * identity of another program's file, read with libelf, is the tool
 * side's (tool/identity_elf.c), built on the same rules so both give one
 * name. Notes are untrusted: the package note's JSON is read by a small
 * bounded scanner of our own (tm__identity_note_version, fuzzed by
 * tests/fuzz/fuzz_identity_note.c). Never prints.
 */
#define _GNU_SOURCE
#include "identity.h"

#include <errno.h>
#include <fcntl.h>
#include <elf.h>
#include <limits.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strbuild.h"
#include "tmwatch/common.h"

#define FDO_NOTE_TYPE TM__IDENTITY_FDO_NOTE_TYPE
/* A package note is a few hundred bytes of JSON; anything larger is not
 * worth parsing on every store open. */
#define FDO_NOTE_MAX 8192
/* Bounds for walks over untrusted counts. */
#define NOTES_MAX 1024
#define SECTIONS_MAX 65536

#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif

static void sanitize(char *s, int keep_dash)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '+' || c == '~' || (keep_dash && c == '-')))
			*s = '_';
	}
}

void tm__identity_sanitize(char *s)
{
	sanitize(s, 0);
}

void tm__identity_sanitize_program(char *s)
{
	sanitize(s, 1);
}

const char *tm__identity_goarch(unsigned machine, int elfclass, int data)
{
	int is64 = elfclass == ELFCLASS64, le = data == ELFDATA2LSB;

	switch (machine) {
	case EM_X86_64:
		return is64 ? "amd64" : "unknown"; /* x32: no GOARCH */
	case EM_386:
		return "386";
	case EM_AARCH64:
		return le ? "arm64" : "arm64be";
	case EM_ARM:
		return le ? "arm" : "armbe";
	case EM_RISCV:
		return is64 ? "riscv64" : "riscv";
	case EM_PPC64:
		return le ? "ppc64le" : "ppc64";
	case EM_PPC:
		return "ppc";
	case EM_S390:
		return is64 ? "s390x" : "s390";
	case EM_MIPS:
		if (is64)
			return le ? "mips64le" : "mips64";
		return le ? "mipsle" : "mips";
	case EM_LOONGARCH:
		return is64 ? "loong64" : "unknown";
	case EM_SPARCV9:
		return "sparc64";
	}
	return "unknown";
}

const char *tm__identity_host_goarch(void)
{
#if defined(__x86_64__) && !defined(__ILP32__)
	return "amd64";
#elif defined(__i386__)
	return "386";
#elif defined(__aarch64__) && defined(__AARCH64EB__)
	return "arm64be";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__arm__)
	return "arm";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return "ppc64le";
#elif defined(__powerpc64__)
	return "ppc64";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__loongarch64)
	return "loong64";
#elif defined(__mips64) && defined(__MIPSEL__)
	return "mips64le";
#elif defined(__mips64)
	return "mips64";
#elif defined(__mips__) && defined(__MIPSEL__)
	return "mipsle";
#elif defined(__mips__)
	return "mips";
#else
	return "unknown";
#endif
}

/* Copies the version number starting at the first digit at or after P
 * (within END) into OUT as "PREFIX1.2.3": digits and dots only, so
 * "14.0.6-1ubuntu1" gives "14.0.6". Returns 0, or -1 when none. */
static int take_version(const char *p, const char *end, const char *prefix,
			char *out, size_t cap)
{
	struct tm__sb b;
	size_t n = 0;

	while (p < end && (*p < '0' || *p > '9'))
		p++;
	while (p + n < end && ((p[n] >= '0' && p[n] <= '9') || p[n] == '.'))
		n++;
	while (n > 0 && p[n - 1] == '.')
		n--;
	if (n == 0)
		return -1;
	tm__sb_init(&b, out, cap);
	tm__sb_str(&b, prefix);
	tm__sb_mem(&b, p, n);
	return tm__sb_end(&b) < 0 ? -1 : 0;
}

/* Finds NEEDLE in [S, END). */
static const char *find(const char *s, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	return memmem(s, (size_t)(end - s), needle, n);
}

void tm__identity_toolchain(const char *comment, size_t len, char *out,
			    size_t cap)
{
	char gcc[64] = "", clang[64] = "", rustc[64] = "";
	const char *p = comment, *stop = comment + len;
	struct tm__sb b;

	while (p < stop) {
		const char *nul = memchr(p, '\0', (size_t)(stop - p));
		const char *end = nul ? nul : stop;
		const char *at;

		if ((at = find(p, end, "rustc version ")) != NULL) {
			take_version(at + 14, end, "rustc", rustc,
				     sizeof rustc);
		} else if ((at = find(p, end, "clang version ")) != NULL) {
			take_version(at + 14, end, "clang", clang,
				     sizeof clang);
		} else if (end - p > 5 && memcmp(p, "GCC: ", 5) == 0) {
			/* "GCC: (Debian 12.2.0-14) 12.2.0": the release
			 * follows the vendor's parenthesis; skip it, as
			 * it may carry a different, patched version. */
			const char *q = p + 5;

			if (q < end && *q == '(') {
				const char *close = memchr(q, ')',
							   (size_t)(end - q));
				q = close ? close + 1 : end;
			}
			take_version(q, end, "gcc", gcc, sizeof gcc);
		}
		p = end + 1;
	}
	tm__sb_init(&b, out, cap);
	tm__sb_str(&b, rustc[0] ? rustc : clang[0] ? clang : gcc[0] ? gcc :
		   "unknown");
	tm__identity_sanitize(out);
}


/* The package note's JSON, scanned without a JSON library: the first
 * top-level "version" member's string value, decoded; the rest of the
 * document is checked for shape (strings, nesting, literals) so a broken
 * note gives no version, as a full parser would. Bounded by LEN and by a
 * nesting depth of 32. */
struct scan {
	const char *p, *end;
};

static void scan_ws(struct scan *sc)
{
	while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t' ||
				   *sc->p == '\n' || *sc->p == '\r'))
		sc->p++;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Appends byte C to OUT (CAP) at *N, keeping room for the NUL; bytes past
 * the room are dropped (the string is still scanned). */
static void put(char *out, size_t cap, size_t *n, char c)
{
	if (out && *n + 1 < cap)
		out[*n] = c;
	(*n)++;
}

/* Scans a string at sc->p ('"'), decoding into OUT (may be NULL).
 * Returns the decoded length, or -1 when malformed. */
static long scan_string(struct scan *sc, char *out, size_t cap)
{
	size_t n = 0;

	if (sc->p >= sc->end || *sc->p != '"')
		return -1;
	sc->p++;
	while (sc->p < sc->end && *sc->p != '"') {
		unsigned char c = (unsigned char)*sc->p++;
		unsigned u, lo;

		if (c < 0x20)
			return -1;
		if (c != '\\') {
			put(out, cap, &n, (char)c);
			continue;
		}
		if (sc->p >= sc->end)
			return -1;
		c = (unsigned char)*sc->p++;
		switch (c) {
		case '"': case '\\': case '/':
			put(out, cap, &n, (char)c);
			continue;
		case 'b': put(out, cap, &n, '\b'); continue;
		case 'f': put(out, cap, &n, '\f'); continue;
		case 'n': put(out, cap, &n, '\n'); continue;
		case 'r': put(out, cap, &n, '\r'); continue;
		case 't': put(out, cap, &n, '\t'); continue;
		case 'u': break;
		default: return -1;
		}
		if (sc->end - sc->p < 4 || hex4(sc->p, &u) != 0)
			return -1;
		sc->p += 4;
		if (u >= 0xdc00 && u <= 0xdfff)
			return -1;
		if (u >= 0xd800 && u <= 0xdbff) {
			if (sc->end - sc->p < 6 || sc->p[0] != '\\' ||
			    sc->p[1] != 'u' || hex4(sc->p + 2, &lo) != 0 ||
			    lo < 0xdc00 || lo > 0xdfff)
				return -1;
			sc->p += 6;
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (u < 0x80) {
			put(out, cap, &n, (char)u);
		} else if (u < 0x800) {
			put(out, cap, &n, (char)(0xc0 | (u >> 6)));
			put(out, cap, &n, (char)(0x80 | (u & 0x3f)));
		} else if (u < 0x10000) {
			put(out, cap, &n, (char)(0xe0 | (u >> 12)));
			put(out, cap, &n, (char)(0x80 | ((u >> 6) & 0x3f)));
			put(out, cap, &n, (char)(0x80 | (u & 0x3f)));
		} else {
			put(out, cap, &n, (char)(0xf0 | (u >> 18)));
			put(out, cap, &n, (char)(0x80 | ((u >> 12) & 0x3f)));
			put(out, cap, &n, (char)(0x80 | ((u >> 6) & 0x3f)));
			put(out, cap, &n, (char)(0x80 | (u & 0x3f)));
		}
	}
	if (sc->p >= sc->end)
		return -1;
	sc->p++;
	if (out && cap)
		out[n < cap ? n : cap - 1] = '\0';
	return (long)n;
}

/* Skips one value of any kind. 0, or -1 when malformed or too deep. */
static int scan_value(struct scan *sc, int depth)
{
	scan_ws(sc);
	if (sc->p >= sc->end || depth > 32)
		return -1;
	if (*sc->p == '"')
		return scan_string(sc, NULL, 0) < 0 ? -1 : 0;
	if (*sc->p == '{' || *sc->p == '[') {
		char close = *sc->p == '{' ? '}' : ']';

		sc->p++;
		scan_ws(sc);
		if (sc->p < sc->end && *sc->p == close) {
			sc->p++;
			return 0;
		}
		for (;;) {
			if (close == '}') {
				scan_ws(sc);
				if (scan_string(sc, NULL, 0) < 0)
					return -1;
				scan_ws(sc);
				if (sc->p >= sc->end || *sc->p++ != ':')
					return -1;
			}
			if (scan_value(sc, depth + 1) != 0)
				return -1;
			scan_ws(sc);
			if (sc->p >= sc->end)
				return -1;
			if (*sc->p == close) {
				sc->p++;
				return 0;
			}
			if (*sc->p++ != ',')
				return -1;
		}
	}
	/* Numbers and true/false/null: a run of their characters. */
	{
		const char *start = sc->p;

		while (sc->p < sc->end &&
		       (strchr("+-.eE", *sc->p) ||
			(*sc->p >= '0' && *sc->p <= '9') ||
			(*sc->p >= 'a' && *sc->p <= 'z')))
			sc->p++;
		return sc->p > start ? 0 : -1;
	}
}

static long scan_note(const char *json, size_t len, char *out, size_t cap)
{
	struct scan sc = { json, json + len };
	long found = 0;
	char key[16];

	if (!out || cap == 0)
		return -1;
	out[0] = '\0';
	scan_ws(&sc);
	if (sc.p >= sc.end || *sc.p++ != '{')
		return -1;
	scan_ws(&sc);
	if (sc.p < sc.end && *sc.p == '}')
		return 0;
	for (;;) {
		long kn;

		scan_ws(&sc);
		kn = scan_string(&sc, key, sizeof key);
		if (kn < 0)
			return -1;
		scan_ws(&sc);
		if (sc.p >= sc.end || *sc.p++ != ':')
			return -1;
		scan_ws(&sc);
		if (!found && kn == 7 && memcmp(key, "version", 8) == 0 &&
		    sc.p < sc.end && *sc.p == '"') {
			long vn = scan_string(&sc, out, cap);

			if (vn < 0)
				return -1;
			/* An embedded NUL ends the value, as in C. */
			found = (long)strlen(out);
			if (found == 0)
				found = -2; /* first match was "" */
		} else if (scan_value(&sc, 1) != 0) {
			return -1;
		} else if (!found && kn == 7 && memcmp(key, "version", 8) == 0) {
			found = -2; /* first "version" is not a string */
		}
		scan_ws(&sc);
		if (sc.p >= sc.end)
			return -1;
		if (*sc.p == '}')
			break;
		if (*sc.p++ != ',')
			return -1;
	}
	if (found <= 0)
		out[0] = '\0';
	return found > 0 ? found : 0;
}

long tm__identity_note_version(const char *json, size_t len, char *out,
			       size_t cap)
{
	long r;

	if (!out || cap == 0)
		return -1;
	r = scan_note(json, len, out, cap);
	if (r < 0)
		out[0] = '\0';
	return r;
}

/* Reads the FDO package note's "version" into F->version. */
static void read_package_note(const char *desc, size_t size,
			      struct tm__identity_notes *f)
{
	if (size == 0 || size > FDO_NOTE_MAX || f->version[0])
		return;
	if (tm__identity_note_version(desc, strnlen(desc, size), f->version,
				      sizeof f->version) > 0)
		tm__identity_sanitize(f->version);
	else
		f->version[0] = '\0';
}

void tm__identity_take_note(uint32_t type, const char *name, size_t namesz,
			    const char *desc, size_t descsz,
			    struct tm__identity_notes *f)
{
	if (namesz != 4)
		return;
	if (type == FDO_NOTE_TYPE && memcmp(name, "FDO", 4) == 0) {
		read_package_note(desc, descsz, f);
	} else if (type == NT_GNU_BUILD_ID && memcmp(name, "GNU", 4) == 0 &&
		   !f->has_build_id && descsz > 0) {
		size_t n = descsz < sizeof f->build_id ? descsz :
			sizeof f->build_id;

		memcpy(f->build_id, desc, n);
		f->build_id_len = n;
		f->has_build_id = 1;
	}
}

/* Fills OUT->program from PATH's last component. */
static void set_program(const char *path, struct tm__identity *out)
{
	static const char deleted[] = " (deleted)";
	const char *base = path ? strrchr(path, '/') : NULL;
	size_t n, dn = sizeof deleted - 1;

	base = base ? base + 1 : path ? path : "";
	n = strlen(base);
	/* readlink("/proc/PID/exe") of a replaced binary ends so. */
	if (n > dn && strcmp(base + n - dn, deleted) == 0)
		n -= dn;
	if (n >= sizeof out->program)
		n = sizeof out->program - 1;
	memcpy(out->program, base, n);
	out->program[n] = '\0';
	if (n == 0)
		memcpy(out->program, "unknown", sizeof "unknown");
	tm__identity_sanitize_program(out->program);
}

void tm__identity_defaults(const char *path, const char *env_version,
			   struct tm__identity *out)
{
	struct tm__sb b;

	memset(out, 0, sizeof *out);
	set_program(path, out);
	tm__sb_init(&b, out->version, sizeof out->version);
	tm__sb_str(&b, env_version && *env_version ? env_version : "devel");
	tm__identity_sanitize(out->version);
	tm__sb_init(&b, out->toolchain, sizeof out->toolchain);
	tm__sb_str(&b, "unknown");
	tm__sb_init(&b, out->goarch, sizeof out->goarch);
	tm__sb_str(&b, tm__identity_host_goarch());
}

void tm__identity_finish(const struct tm__identity_notes *f,
			 const char *env_version, struct tm__identity *out)
{
	memcpy(out->build_id, f->build_id, f->build_id_len);
	out->build_id_len = f->build_id_len;
	if (f->version[0]) {
		memcpy(out->version, f->version, sizeof out->version);
	} else if ((!env_version || !*env_version) && f->build_id_len > 0) {
		static const char hex[] = "0123456789abcdef";
		size_t n = f->build_id_len < 6 ? f->build_id_len : 6;
		char *p = out->version;

		*p++ = 'b';
		for (size_t i = 0; i < n; i++) {
			*p++ = hex[f->build_id[i] >> 4];
			*p++ = hex[f->build_id[i] & 15];
		}
		*p = '\0';
	}
}

/* The self path: notes come from the main program's loaded PT_NOTE
 * segments (no I/O), .comment from a few preads of the executable into
 * stack buffers. It runs on a program's first count, so it avoids what a
 * small program would not have used yet: libelf (about 50 us on first
 * use), malloc (the heap's first pages) and snprintf (bench_startup). */

/* What the scan of the loaded notes found, and where the build-id note
 * lies in memory and in the file (to recognise the file on disk). */
struct self_scan {
	struct tm__identity_notes notes;
	const char *bid_mem;
	off_t bid_off;
	size_t bid_len;
};

static int self_notes(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct self_scan *sc = arg;
	struct tm__identity_notes *f = &sc->notes;

	(void)size;
	/* The first object is the main program. */
	for (int i = 0; i < info->dlpi_phnum && i < SECTIONS_MAX; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p, *end;
		size_t align;

		if (ph->p_type != PT_NOTE)
			continue;
		align = ph->p_align == 8 ? 8 : 4;
		const char *seg = (const char *)(info->dlpi_addr + ph->p_vaddr);

		p = seg;
		end = p + ph->p_memsz;
		for (int n = 0; n < NOTES_MAX &&
		     (size_t)(end - p) >= sizeof(ElfW(Nhdr)); n++) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
			size_t name_off = sizeof *nh;
			size_t desc_off = name_off +
				((nh->n_namesz + align - 1) & ~(align - 1));
			size_t next = desc_off +
				((nh->n_descsz + align - 1) & ~(align - 1));

			if (nh->n_namesz > (size_t)(end - p) ||
			    nh->n_descsz > (size_t)(end - p) ||
			    next > (size_t)(end - p))
				break;
			if (!f->has_build_id && nh->n_type == NT_GNU_BUILD_ID) {
				sc->bid_mem = p;
				sc->bid_off = (off_t)(ph->p_offset +
						      (size_t)(p - seg));
				sc->bid_len = next;
			}
			tm__identity_take_note(nh->n_type, p + name_off,
					       nh->n_namesz, p + desc_off,
					       nh->n_descsz, f);
			p += next;
		}
	}
	return 1;
}

/* Reads exactly LEN bytes at OFF; 0 or -1. */
static int read_at(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

/* Section headers read per chunk; .comment and the section name table
 * up to these sizes stay on the stack (a C or Rust program's are a few
 * hundred bytes). */
#define SHDR_CHUNK 16
#define NAMES_INLINE 512
#define COMMENT_INLINE 512

/* Is section header SH named ".comment"? NAMES holds the name table's
 * first NNAMES bytes; names past it are read from the file. */
static int is_comment(int fd, const ElfW(Shdr) *sh, const ElfW(Shdr) *strsh,
		      const char *names, size_t nnames)
{
	static const char want[] = ".comment";
	char got[sizeof want];
	size_t k;

	if (sh->sh_type != SHT_PROGBITS || sh->sh_name >= strsh->sh_size ||
	    sh->sh_size == 0 || sh->sh_size > 16384)
		return 0;
	/* The name and its NUL; a table that ends right after the name
	 * ends it too. */
	k = strsh->sh_size - sh->sh_name;
	k = k < sizeof want ? k : sizeof want;
	if (k < sizeof want - 1)
		return 0;
	if (sh->sh_name + k <= nnames)
		return memcmp(names + sh->sh_name, want, k) == 0;
	return read_at(fd, got, k, (off_t)(strsh->sh_offset + sh->sh_name)) ==
	       0 && memcmp(got, want, k) == 0;
}

/* Picks the toolchain from section SH (.comment) of FD. */
static void read_comment(int fd, const ElfW(Shdr) *sh, char *out, size_t cap)
{
	char inline_buf[COMMENT_INLINE];
	char *c = sh->sh_size <= sizeof inline_buf ? inline_buf :
		  malloc(sh->sh_size);

	if (c && !read_at(fd, c, sh->sh_size, (off_t)sh->sh_offset))
		tm__identity_toolchain(c, sh->sh_size, out, cap);
	if (c != inline_buf)
		free(c);
}

/* Finds .comment in FD (an ELF of our own class) and picks the toolchain
 * from it. Bounded: at most 4096 section headers, a 64 KiB name table and
 * a 16 KiB .comment. */
static __attribute__((noinline)) void self_toolchain(int fd, char *out,
						     size_t cap)
{
	ElfW(Ehdr) eh;
	ElfW(Shdr) sh[SHDR_CHUNK], strsh;
	char names[NAMES_INLINE];
	size_t nnames;

	if (read_at(fd, &eh, sizeof eh, 0) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_shentsize != sizeof(ElfW(Shdr)) || eh.e_shnum == 0 ||
	    eh.e_shnum > 4096 || eh.e_shstrndx >= eh.e_shnum ||
	    read_at(fd, &strsh, sizeof strsh,
		    (off_t)(eh.e_shoff + eh.e_shstrndx * sizeof strsh)) ||
	    strsh.sh_size == 0 || strsh.sh_size > 65536)
		return;
	nnames = strsh.sh_size < sizeof names ? strsh.sh_size : sizeof names;
	if (read_at(fd, names, nnames, (off_t)strsh.sh_offset))
		return;
	for (size_t at = 0; at < eh.e_shnum; at += SHDR_CHUNK) {
		size_t n = eh.e_shnum - at < SHDR_CHUNK ? eh.e_shnum - at :
			   SHDR_CHUNK;

		if (read_at(fd, sh, n * sizeof *sh,
			    (off_t)(eh.e_shoff + at * sizeof *sh)))
			return;
		for (size_t i = 0; i < n; i++) {
			if (is_comment(fd, &sh[i], &strsh, names, nnames)) {
				read_comment(fd, &sh[i], out, cap);
				return;
			}
		}
	}
}

/* The program name, from /proc/self/exe's target: into a small buffer
 * first, a whole PATH_MAX (from the heap) only for a longer path; stack
 * is page faults on a first count. Its own frame, so what runs next
 * reuses the stack. */
static __attribute__((noinline)) int self_program(const char *env_version,
						  struct tm__identity *out)
{
	char exe[512], *p = exe;
	size_t cap = sizeof exe;
	ssize_t n = readlink("/proc/self/exe", p, cap);

	if (n == (ssize_t)cap && (p = malloc(PATH_MAX)) != NULL) {
		cap = PATH_MAX;
		n = readlink("/proc/self/exe", p, cap);
	}
	if (!p || n >= (ssize_t)cap)
		n = -1;
	if (p)
		p[n > 0 ? n : 0] = 0;
	tm__identity_defaults(n > 0 ? p : "unknown", env_version, out);
	if (p != exe)
		free(p);
	return n > 0 ? 0 : -1;
}

/* Opens the running executable through the path it was started by
 * (AT_EXECFN), when that path is absolute and the file there carries the
 * loaded build-id note, byte for byte: then PATH holds the file's path
 * with a final symlink resolved, as /proc/self/exe would name it. Else
 * -1, and the caller asks /proc (also for a relative path, which a
 * program that changed directory would resolve elsewhere, and for a
 * static program or one started as "ld.so PROGRAM"). Why not /proc
 * first: a process's first /proc/self access builds its /proc directory,
 * 15-35 us, a third of a small program's first count (bench_startup).
 * Only regular files are opened (lstat before, fstat after); a FIFO or
 * device planted at the path is never opened. */
static int open_by_execfn(const struct self_scan *sc, char *path, size_t cap)
{
	const char *fn = (const char *)getauxval(AT_EXECFN);
	char link[256], note[256];
	struct stat before, st;
	size_t n = fn ? strlen(fn) : 0;
	int fd;

	/* AT_BASE 0: no interpreter was loaded by the kernel, so either a
	 * static program or "ld.so PROGRAM", where the loader rewrote
	 * AT_EXECFN to the program but /proc/self/exe is ld.so: ask /proc,
	 * as the watchdog does. */
	if (!fn || fn[0] != '/' || n >= cap || !sc->bid_mem ||
	    sc->bid_len > sizeof note || getauxval(AT_BASE) == 0)
		return -1;
	memcpy(path, fn, n + 1);
	for (int hop = 0;; hop++) {
		ssize_t k;
		char *slash;

		if (lstat(path, &before) != 0)
			return -1;
		if (S_ISREG(before.st_mode))
			break;		/* the file, not a link to it */
		if (!S_ISLNK(before.st_mode) || hop == 8)
			return -1;
		k = readlink(path, link, sizeof link);
		if (k <= 0 || k == (ssize_t)sizeof link)
			return -1;
		if (link[0] == '/') {
			if ((size_t)k >= cap)
				return -1;
			memcpy(path, link, (size_t)k);
			path[k] = '\0';
			continue;
		}
		slash = strrchr(path, '/');
		n = (size_t)(slash - path) + 1;
		if (n + (size_t)k >= cap)
			return -1;
		memcpy(path + n, link, (size_t)k);
		path[n + (size_t)k] = '\0';
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
		  O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || st.st_dev != before.st_dev ||
	    st.st_ino != before.st_ino ||
	    read_at(fd, note, sc->bid_len, sc->bid_off) ||
	    memcmp(note, sc->bid_mem, sc->bid_len) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int tm__identity_self(const char *env_version, struct tm__identity *out)
{
	struct self_scan sc;
	char path[512];
	int fd;

	memset(&sc, 0, sizeof sc);
	dl_iterate_phdr(self_notes, &sc);
	fd = open_by_execfn(&sc, path, sizeof path);
	if (fd >= 0) {
		tm__identity_defaults(path, env_version, out);
	} else {
		self_program(env_version, out);
		fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	}
	tm__identity_finish(&sc.notes, env_version, out);
	if (fd < 0)
		return -errno;
	self_toolchain(fd, out->toolchain, sizeof out->toolchain);
	close(fd);
	return 0;
}
