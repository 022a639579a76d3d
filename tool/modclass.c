/* SPDX-License-Identifier: MIT */
/* modclass.c -- module classification and system library frame names
 * (modclass.h; the rule, with examples: docs/stack-counters.md).
 *
 * Classification is by path, decided from the executable: its own
 * directory (and below), its install prefix's lib, lib64 and libexec
 * when that is not a system prefix (/opt/app/lib for /opt/app/bin/app,
 * never /usr/lib), and the
 * directories its DT_RUNPATH/DT_RPATH name ($ORIGIN expanded, system
 * library directories excluded). A copied or relocated program keeps its
 * classes as long as its libraries move with it.
 *
 * System names come from the library's .dynsym only: a .symtab or a
 * MiniDebugInfo section is there on some distributions and not on
 * others, debug packages on some machines only. IFUNC implementations
 * (__strlen_evex, __strlen_avx2, __strlen_sse2: local symbols) are
 * found with glibc's own table of them, __libc_ifunc_impl_list, in this
 * process's libc, used only when the module is the same build (build-id)
 * as that libc; the implementation holding a PC is bounded by its
 * .eh_frame entry, so a PC in another local function never borrows a
 * name. Never prints.
 */
#define _GNU_SOURCE
#include "modclass.h"

#include <dlfcn.h>
#include <elf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fnmatch.h>
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmwatch/common.h"

#define SYMS_MAX 200000
#define IMPLS_PER_NAME 64

static int starts_dir(const char *path, const char *dir)
{
	size_t l = strlen(dir);

	return strncmp(path, dir, l) == 0 && path[l] == '/';
}

/* Prefixes and library directories that hold everyone's libraries. */
static int is_system_dir(const char *d)
{
	static const char *const sys[] = {
		"", "/usr", "/usr/local", "/lib", "/lib64", "/usr/lib",
		"/usr/lib64", "/usr/local/lib", "/usr/local/lib64",
		"/usr/libexec", "/usr/local/libexec", "/libexec",
		"/lib/x86_64-linux-gnu",
		"/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
		"/usr/lib/aarch64-linux-gnu", "/usr/lib32", "/lib32",
	};

	for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++)
		if (strcmp(d, sys[i]) == 0)
			return 1;
	return 0;
}

static void add_dir(struct tm__modclass_ctx *ctx, const char *d, size_t len)
{
	char *copy;

	while (len > 1 && d[len - 1] == '/')
		len--;
	if (ctx->ndirs == sizeof ctx->dirs / sizeof ctx->dirs[0] ||
	    len == 0 || d[0] != '/')
		return;
	copy = strndup(d, len);
	if (!copy)
		return;
	if (is_system_dir(copy)) {
		free(copy);
		return;
	}
	for (size_t i = 0; i < ctx->ndirs; i++) {
		if (strcmp(ctx->dirs[i], copy) == 0) {
			free(copy);
			return;
		}
	}
	ctx->dirs[ctx->ndirs++] = copy;
}

/* Adds the directories of a DT_RUNPATH/DT_RPATH string. */
static void add_runpath(struct tm__modclass_ctx *ctx, const char *rp,
			const char *origin, size_t olen)
{
	char buf[4096];

	while (*rp) {
		size_t len = strcspn(rp, ":"), o = 0;

		for (size_t i = 0; i < len && o + 1 < sizeof buf; i++) {
			if (strncmp(rp + i, "$ORIGIN", 7) == 0 ||
			    strncmp(rp + i, "${ORIGIN}", 9) == 0) {
				if (o + olen + 1 >= sizeof buf)
					break;
				memcpy(buf + o, origin, olen);
				o += olen;
				i += rp[i + 1] == '{' ? 8 : 6;
				continue;
			}
			buf[o++] = rp[i];
		}
		buf[o] = 0;
		/* A "lib/.." style entry is rare; kept as written. */
		add_dir(ctx, buf, o);
		rp += len;
		rp += *rp == ':';
	}
}

int tm__modclass_init(struct tm__modclass_ctx *ctx, const char *exe,
		      Elf *exe_elf)
{
	const char *slash;
	size_t dlen;

	memset(ctx, 0, sizeof *ctx);
	if (!exe)
		return 0;
	ctx->exe = strdup(exe);
	if (!ctx->exe)
		return -ENOMEM;
	slash = strrchr(exe, '/');
	if (!slash)
		return 0;
	dlen = (size_t)(slash - exe);
	add_dir(ctx, exe, dlen);
	/* The install prefix: PREFIX/bin/prog ships PREFIX/lib*. */
	{
		const char *up = memrchr(exe, '/', dlen);
		size_t blen = up ? dlen - (size_t)(up - exe) - 1 : 0;

		if (up && ((blen == 3 && strncmp(up + 1, "bin", 3) == 0) ||
			   (blen == 4 && strncmp(up + 1, "sbin", 4) == 0) ||
			   (blen == 7 && strncmp(up + 1, "libexec", 7) == 0))) {
			static const char *const libs[] = {
				"/lib", "/lib64", "/libexec",
			};
			char d[4096];

			for (size_t i = 0; i < 3; i++)
				if (snprintf(d, sizeof d, "%.*s%s",
					     (int)(up - exe), exe, libs[i]) <
				    (int)sizeof d)
					add_dir(ctx, d, strlen(d));
		}
	}
	if (exe_elf) {
		Elf_Scn *scn = NULL;
		size_t guard = 0;

		while ((scn = elf_nextscn(exe_elf, scn)) && guard++ < 65536) {
			GElf_Shdr sh;
			Elf_Data *data;

			if (!gelf_getshdr(scn, &sh) ||
			    sh.sh_type != SHT_DYNAMIC ||
			    !(data = elf_getdata(scn, NULL)))
				continue;
			for (size_t i = 0; i < 4096; i++) {
				GElf_Dyn dyn;
				const char *s;

				if (!gelf_getdyn(data, (int)i, &dyn) ||
				    dyn.d_tag == DT_NULL)
					break;
				if (dyn.d_tag != DT_RUNPATH &&
				    dyn.d_tag != DT_RPATH)
					continue;
				s = elf_strptr(exe_elf, sh.sh_link,
					       dyn.d_un.d_val);
				if (s)
					add_runpath(ctx, s, exe, dlen);
			}
			break;
		}
	}
	return 0;
}

int tm__modclass_add_own(struct tm__modclass_ctx *ctx, const char *pattern)
{
	if (!pattern || !*pattern || strchr(pattern, '/') ||
	    ctx->nown == sizeof ctx->own / sizeof ctx->own[0])
		return TM_EINVAL;
	ctx->own[ctx->nown] = strdup(pattern);
	if (!ctx->own[ctx->nown])
		return -ENOMEM;
	ctx->nown++;
	return 0;
}

void tm__modclass_free(struct tm__modclass_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nown; i++)
		free(ctx->own[i]);
	for (size_t i = 0; i < ctx->ndirs; i++)
		free(ctx->dirs[i]);
	free(ctx->exe);
	memset(ctx, 0, sizeof *ctx);
}

enum tm__modclass tm__modclass_of(const struct tm__modclass_ctx *ctx,
				  const char *path)
{
	if (ctx->exe && strcmp(ctx->exe, path) == 0)
		return TM__MOD_PROGRAM;
	const char *base = strrchr(path, '/');

	for (size_t i = 0; i < ctx->ndirs; i++)
		if (starts_dir(path, ctx->dirs[i]))
			return TM__MOD_SHIPPED;
	base = base ? base + 1 : path;
	for (size_t i = 0; i < ctx->nown; i++)
		if (fnmatch(ctx->own[i], base, 0) == 0)
			return TM__MOD_SHIPPED;
	return TM__MOD_SYSTEM;
}

void tm__modclass_soname(Elf *elf, const char *fallback, char *buf,
			 size_t cap)
{
	Elf_Scn *scn = NULL;
	size_t guard = 0;

	snprintf(buf, cap, "%s", fallback ? fallback : "?");
	while (elf && (scn = elf_nextscn(elf, scn)) && guard++ < 65536) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < 4096; i++) {
			GElf_Dyn dyn;
			const char *s;

			if (!gelf_getdyn(data, (int)i, &dyn) ||
			    dyn.d_tag == DT_NULL)
				break;
			if (dyn.d_tag == DT_SONAME &&
			    (s = elf_strptr(elf, sh.sh_link, dyn.d_un.d_val)) &&
			    *s && !strchr(s, '/')) {
				snprintf(buf, cap, "%s", s);
				return;
			}
		}
		return;
	}
}

struct sym {
	uint64_t start, end;
	const char *name;	/* version removed, owned by the table */
	int impl;		/* an IFUNC implementation entry */
};

struct tm__modclass_names {
	struct sym *syms;
	size_t n;
	char *strings;		/* every name, NUL-separated */
	size_t slen, scap;
};

/* Whether name A is preferred to B among aliases of one address. */
static int better(const char *a, const char *b)
{
	int ua = a[0] == '_', ub = b[0] == '_';
	size_t la = strlen(a), lb = strlen(b);

	if (ua != ub)
		return ub;
	if (la != lb)
		return la < lb;
	return strcmp(a, b) < 0;
}

static int by_start(const void *x, const void *y)
{
	const struct sym *a = x, *b = y;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return better(a->name, b->name) ? -1 : better(b->name, a->name);
}

/* Keeps NAME (cut at '@') in SN's string pool; returns its offset+1, or
 * 0 when out of memory. */
static size_t keep_name(struct tm__modclass_names *sn, const char *name)
{
	size_t len = strcspn(name, "@"), off = sn->slen;

	if (sn->slen + len + 1 > sn->scap) {
		size_t cap = sn->scap ? sn->scap * 2 : 65536;
		char *p;

		while (cap < sn->slen + len + 1)
			cap *= 2;
		p = realloc(sn->strings, cap);
		if (!p)
			return 0;
		sn->strings = p;
		sn->scap = cap;
	}
	memcpy(sn->strings + off, name, len);
	sn->strings[off + len] = 0;
	sn->slen += len + 1;
	return off + 1;
}

static int add_sym(struct tm__modclass_names *sn, size_t *cap, uint64_t start,
		   uint64_t end, const char *name, int impl)
{
	size_t off;

	if (sn->n == *cap) {
		size_t c = *cap ? *cap * 2 : 1024;
		struct sym *p;

		if (c > SYMS_MAX)
			return -1;
		p = realloc(sn->syms, c * sizeof *p);
		if (!p)
			return -1;
		sn->syms = p;
		*cap = c;
	}
	off = keep_name(sn, name);
	if (!off)
		return -1;
	/* Offsets for now: the pool may still move. */
	sn->syms[sn->n].name = (const char *)(uintptr_t)off;
	sn->syms[sn->n].start = start;
	sn->syms[sn->n].end = end;
	sn->syms[sn->n].impl = impl;
	sn->n++;
	return 0;
}

/* glibc's table of IFUNC implementations (GLIBC_PRIVATE; the layout of
 * struct libc_ifunc_impl in glibc's include/ifunc-impl-list.h). */
struct libc_ifunc_impl {
	const char *name;
	void (*fn)(void);
	bool usable;
};
typedef size_t (*impl_list_fn)(const char *, struct libc_ifunc_impl *,
			       size_t);

struct own_libc {
	uintptr_t lo, hi, bias;
	unsigned char id[64];
	size_t id_len;
};

static int find_own_libc(struct dl_phdr_info *info, size_t size,
			 void *data)
{
	struct own_libc *o = data;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD || o->lo < lo ||
		    o->lo >= lo + ph->p_memsz)
			continue;
		o->bias = info->dlpi_addr;
		for (int j = 0; j < info->dlpi_phnum; j++) {
			const ElfW(Phdr) *np = &info->dlpi_phdr[j];
			const unsigned char *p, *end;

			if (np->p_type != PT_NOTE)
				continue;
			p = (const unsigned char *)(info->dlpi_addr +
						    np->p_vaddr);
			end = p + np->p_filesz;
			while (end - p >= 12) {
				uint32_t nsz, dsz, type;
				size_t na, da;

				memcpy(&nsz, p, 4);
				memcpy(&dsz, p + 4, 4);
				memcpy(&type, p + 8, 4);
				na = (nsz + 3) & ~3u;
				da = (dsz + 3) & ~3u;
				if ((size_t)(end - p - 12) < na + da)
					break;
				if (type == NT_GNU_BUILD_ID && nsz == 4 &&
				    memcmp(p + 12, "GNU", 4) == 0 &&
				    dsz <= sizeof o->id) {
					memcpy(o->id, p + 12 + na, dsz);
					o->id_len = dsz;
					return 1;
				}
				p += 12 + na + da;
			}
		}
		return 1;
	}
	return 0;
}

/* Adds the IFUNC implementations of every STT_GNU_IFUNC symbol in NAMES
 * when the module (build-id ID) is this process's libc. */
static void add_impls(struct tm__modclass_names *sn, size_t *cap,
		      const unsigned char *id, size_t id_len,
		      const char *const *names, size_t nnames)
{
	impl_list_fn list = (impl_list_fn)dlvsym(RTLD_DEFAULT,
						 "__libc_ifunc_impl_list",
						 "GLIBC_PRIVATE");
	struct libc_ifunc_impl impls[IMPLS_PER_NAME];
	struct own_libc o = { 0 };

	if (!list || !id_len)
		return;
	o.lo = (uintptr_t)list;
	if (!dl_iterate_phdr(find_own_libc, &o) || o.id_len != id_len ||
	    memcmp(o.id, id, id_len) != 0)
		return;
	for (size_t i = 0; i < nnames; i++) {
		size_t got = list(names[i], impls, IMPLS_PER_NAME);

		if (got > IMPLS_PER_NAME)
			got = IMPLS_PER_NAME;
		for (size_t k = 0; k < got; k++) {
			uintptr_t fn = (uintptr_t)impls[k].fn;

			if (fn <= o.bias ||
			    add_sym(sn, cap, fn - o.bias, fn - o.bias,
				    names[i], 1) != 0)
				return;
		}
	}
}

struct tm__modclass_names *tm__modclass_names_load(Elf *elf,
						   const unsigned char *id,
						   size_t id_len)
{
	struct tm__modclass_names *sn = calloc(1, sizeof *sn);
	const char **ifuncs = NULL;
	size_t cap = 0, nif = 0, guard = 0;
	Elf_Scn *scn = NULL;

	if (!sn)
		return NULL;
	while (elf && (scn = elf_nextscn(elf, scn)) && guard++ < 65536) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t count;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM ||
		    !sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
			continue;
		count = sh.sh_size / sh.sh_entsize;
		if (count > SYMS_MAX)
			count = SYMS_MAX;
		ifuncs = calloc(count ? count : 1, sizeof *ifuncs);
		for (size_t i = 1; i < count; i++) {
			GElf_Sym s;
			const char *name;
			int type;

			if (!gelf_getsym(data, (int)i, &s))
				continue;
			type = GELF_ST_TYPE(s.st_info);
			name = elf_strptr(elf, sh.sh_link, s.st_name);
			if (!name || !*name || s.st_shndx == SHN_UNDEF)
				continue;
			if (type == STT_GNU_IFUNC && ifuncs)
				ifuncs[nif++] = name;
			if (type != STT_FUNC || s.st_size == 0)
				continue;
			if (add_sym(sn, &cap, s.st_value,
				    s.st_value + s.st_size, name, 0) != 0)
				goto out;
		}
		break;
	}
	if (ifuncs && nif) {
		/* Version-less copies for glibc's lookup by name. */
		char buf[256];
		for (size_t i = 0; i < nif; i++) {
			snprintf(buf, sizeof buf, "%.*s",
				 (int)strcspn(ifuncs[i], "@"), ifuncs[i]);
			ifuncs[i] = strdup(buf);
		}
		add_impls(sn, &cap, id, id_len, ifuncs, nif);
		for (size_t i = 0; i < nif; i++)
			free((char *)ifuncs[i]);
	}
out:
	free(ifuncs);
	for (size_t i = 0; i < sn->n; i++)
		sn->syms[i].name = sn->strings +
			((uintptr_t)sn->syms[i].name - 1);
	if (sn->n)
		qsort(sn->syms, sn->n, sizeof *sn->syms, by_start);
	return sn;
}

void tm__modclass_names_free(struct tm__modclass_names *sn)
{
	if (!sn)
		return;
	free(sn->syms);
	free(sn->strings);
	free(sn);
}

/* The .eh_frame entry's start of the function holding ADDR, or -1. */
static int fde_start(Elf *elf, uint64_t addr, uint64_t *start)
{
	Dwarf_CFI *cfi = elf ? dwarf_getcfi_elf(elf) : NULL;
	Dwarf_Frame *frame = NULL;
	Dwarf_Addr lo, hi;
	int r = -1;

	if (!cfi)
		return -1;
	if (dwarf_cfi_addrframe(cfi, addr, &frame) == 0 &&
	    dwarf_frame_info(frame, &lo, &hi, NULL) >= 0 && addr >= lo &&
	    addr < hi) {
		*start = lo;
		r = 0;
	}
	free(frame);
	dwarf_cfi_end(cfi);
	return r;
}

const char *tm__modclass_names_lookup(struct tm__modclass_names *sn, Elf *elf,
				uint64_t addr)
{
	const char *best = NULL;
	uint64_t best_start = 0, entry;
	int have_entry = -1;

	if (!sn)
		return NULL;
	/* Exported functions: the innermost one holding ADDR. */
	for (size_t i = 0; i < sn->n && sn->syms[i].start <= addr; i++) {
		const struct sym *s = &sn->syms[i];

		if (s->impl || addr >= s->end)
			continue;
		if (!best || s->start > best_start ||
		    (s->start == best_start && better(s->name, best))) {
			best = s->name;
			best_start = s->start;
		}
	}
	if (best)
		return best;
	/* An IFUNC implementation: its entry is where ADDR's function
	 * starts. */
	for (size_t i = 0; i < sn->n && sn->syms[i].start <= addr; i++) {
		const struct sym *s = &sn->syms[i];

		if (!s->impl)
			continue;
		if (have_entry < 0)
			have_entry = fde_start(elf, addr, &entry) == 0;
		if (!have_entry)
			return NULL;
		if (s->start == entry && (!best || better(s->name, best)))
			best = s->name;
	}
	return best;
}
