/* SPDX-License-Identifier: MIT */
/* stacks_symbols.c -- own frames of uploaded stacks to file:line, for
 * `tmwatch stacks --symbols DIR` (docs/maintainers.md "Source lines").
 *
 * Every ELF file under DIR is indexed by build-id and by the package name
 * and version of its .note.package (https://systemd.io/ELF_PACKAGE_METADATA/).
 * A group's release is the binary whose note says the group's program
 * (or whose file name is the program) at one of the group's versions,
 * newest first; its DWARF comes from the binary itself, from any file
 * under DIR with the same build-id and DWARF, from
 * DIR/.build-id/xx/rest.debug, or (with --debuginfod only) from
 * DEBUGINFOD_URLS. A frame FUNC:+N,+0xOFF is looked up at the exact
 * address symbol(FUNC) + OFF (an inlined frame: its enclosing physical
 * frame's symbol, the next frame with the same OFF); the line comes from
 * the line table (or the call line for an outer level of an inline
 * chain), and N is checked against line - DW_AT_decl_line. Symbols
 * are matched under their frame names (lib/demangle.c: C++ demangled and
 * reduced, clone suffixes stripped). Frames that
 * cannot be mapped say why. Tool side only (libdw); never prints.
 */
#define _GNU_SOURCE
#include "stacks.h"
#include "demangle.h"

#include <cjson/cJSON.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A directory of releases is small; this bounds a mistaken --symbols /. */
#define MAX_FILES 200000
#define NT_FDO_PACKAGING_METADATA 0xcafe1a7e

struct elf_entry {
	char *path;
	char build_id[81];	/* hex, "" when none */
	char *pkg_name, *pkg_version;
	int has_dwarf;
};

/* A function symbol under its frame name (demangled and reduced, clone
 * suffixes stripped: lib/demangle.c, as the crash path names frames). */
struct sym_name {
	char *name;
	GElf_Addr addr;
};

struct dw_cache {
	char *path;
	Dwfl *dwfl;
	Dwfl_Module *mod;
	size_t nsyms;
	struct sym_name *syms;	/* sorted by name */
};

struct stacks_symbols {
	char *dir;
	int debuginfod;
	size_t n, cap;
	struct elf_entry *v;
	size_t ndw;
	struct dw_cache dw[16];
	size_t nfiles;
};

static struct stacks_symbols *walking;

static void read_notes(Elf *e, struct elf_entry *en)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(e, &shstrndx))
		return;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *d;
		size_t off = 0, noff, doff;
		GElf_Nhdr nh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		if (name && (!strcmp(name, ".debug_info") ||
			     !strcmp(name, ".zdebug_info")) &&
		    sh.sh_type != SHT_NOBITS && sh.sh_size)
			en->has_dwarf = 1;
		if (sh.sh_type != SHT_NOTE || !(d = elf_getdata(scn, NULL)))
			continue;
		while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			const char *owner = (const char *)d->d_buf + noff;
			const unsigned char *desc =
				(const unsigned char *)d->d_buf + doff;

			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp(owner, "GNU", 4) && nh.n_descsz <= 40) {
				for (size_t i = 0; i < nh.n_descsz; i++)
					sprintf(en->build_id + 2 * i, "%02x",
						desc[i]);
			} else if (nh.n_type == NT_FDO_PACKAGING_METADATA &&
				   nh.n_namesz == 4 &&
				   !memcmp(owner, "FDO", 4)) {
				cJSON *j = cJSON_ParseWithLength(
					(const char *)desc, strnlen(
					(const char *)desc, nh.n_descsz));
				const char *nm = cJSON_GetStringValue(
					cJSON_GetObjectItem(j, "name"));
				const char *ver = cJSON_GetStringValue(
					cJSON_GetObjectItem(j, "version"));

				if (nm && !en->pkg_name)
					en->pkg_name = strdup(nm);
				if (ver && !en->pkg_version)
					en->pkg_version = strdup(ver);
				cJSON_Delete(j);
			}
		}
	}
}

static int on_file(const char *path, const struct stat *st, int type,
		   struct FTW *ftw)
{
	struct stacks_symbols *sy = walking;
	struct elf_entry en = { 0 };
	unsigned char magic[4];
	Elf *e;
	int fd;

	(void)ftw;
	if (type != FTW_F || !S_ISREG(st->st_mode) || st->st_size < 64)
		return 0;
	if (++sy->nfiles > MAX_FILES)
		return 1;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pread(fd, magic, 4, 0) != 4 || memcmp(magic, ELFMAG, 4) ||
	    !(e = elf_begin(fd, ELF_C_READ, NULL))) {
		close(fd);
		return 0;
	}
	{
		GElf_Ehdr eh;

		/* Objects (ET_REL) carry the note too but no addresses. */
		if (!gelf_getehdr(e, &eh) || (eh.e_type != ET_EXEC &&
					      eh.e_type != ET_DYN)) {
			elf_end(e);
			close(fd);
			return 0;
		}
	}
	read_notes(e, &en);
	elf_end(e);
	close(fd);
	if (sy->n == sy->cap) {
		size_t nc = sy->cap ? sy->cap * 2 : 16;
		struct elf_entry *nv = realloc(sy->v, nc * sizeof *nv);

		if (!nv)
			goto oom;
		sy->v = nv;
		sy->cap = nc;
	}
	if (!(en.path = strdup(path)))
		goto oom;
	sy->v[sy->n++] = en;
	return 0;
oom:
	free(en.pkg_name);
	free(en.pkg_version);
	return -1;
}

struct stacks_symbols *stacks_symbols_open(const char *dir, int debuginfod,
					   char *why, size_t whycap)
{
	struct stacks_symbols *sy = calloc(1, sizeof *sy);
	int rc;

	if (!sy || !(sy->dir = strdup(dir))) {
		free(sy);
		snprintf(why, whycap, "out of memory");
		return NULL;
	}
	sy->debuginfod = debuginfod;
	elf_version(EV_CURRENT);
	walking = sy;
	rc = nftw(dir, on_file, 32, FTW_PHYS);
	walking = NULL;
	if (rc < 0 || rc == -1) {
		snprintf(why, whycap, "%s", rc == -1 && errno ?
			 strerror(errno) : "out of memory");
		stacks_symbols_close(sy);
		return NULL;
	}
	if (rc == 1) {
		snprintf(why, whycap, "more than %d files under it",
			 MAX_FILES);
		stacks_symbols_close(sy);
		return NULL;
	}
	return sy;
}

static void drop_dw(struct dw_cache *c)
{
	for (size_t i = 0; i < c->nsyms; i++)
		free(c->syms[i].name);
	free(c->syms);
	free(c->path);
	dwfl_end(c->dwfl);
	memset(c, 0, sizeof *c);
}

void stacks_symbols_close(struct stacks_symbols *sy)
{
	if (!sy)
		return;
	for (size_t i = 0; i < sy->n; i++) {
		free(sy->v[i].path);
		free(sy->v[i].pkg_name);
		free(sy->v[i].pkg_version);
	}
	for (size_t i = 0; i < sy->ndw; i++)
		drop_dw(&sy->dw[i]);
	free(sy->v);
	free(sy->dir);
	free(sy);
}

static int no_debuginfo(Dwfl_Module *m, void **u, const char *mn,
			Dwarf_Addr a, const char *f, const char *dl,
			GElf_Word crc, char **dfn)
{
	(void)m; (void)u; (void)mn; (void)a; (void)f; (void)dl; (void)crc;
	*dfn = NULL;
	return -1;
}

static const Dwfl_Callbacks offline_cb = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = no_debuginfo,
	.section_address = dwfl_offline_section_address,
};
static char *debuginfo_path;
static const Dwfl_Callbacks debuginfod_cb = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

static int by_sym_name(const void *a, const void *b)
{
	const struct sym_name *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* index_syms lists C's function symbols under their frame names. */
static void index_syms(struct dw_cache *c)
{
	int n = dwfl_module_getsymtab(c->mod);

	if (n <= 0 || !(c->syms = calloc((size_t)n, sizeof *c->syms)))
		return;
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		const char *s = dwfl_module_getsym_info(c->mod, i, &sym, &addr,
							NULL, NULL, NULL);
		char name[512];

		if (!s || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF)
			continue;
		tm__demangle_name(s, name, sizeof name);
		if (!(c->syms[c->nsyms].name = strdup(name)))
			break;
		c->syms[c->nsyms++].addr = addr;
	}
	if (c->nsyms)
		qsort(c->syms, c->nsyms, sizeof *c->syms, by_sym_name);
}

/* open_dw returns the (cached) libdwfl module of PATH. */
static struct dw_cache *open_dw(struct stacks_symbols *sy, const char *path,
			    int use_debuginfod)
{
	struct dw_cache *c;
	Dwfl *d;
	Dwfl_Module *m;

	for (size_t i = 0; i < sy->ndw; i++)
		if (!strcmp(sy->dw[i].path, path))
			return &sy->dw[i];
	d = dwfl_begin(use_debuginfod ? &debuginfod_cb : &offline_cb);
	if (!d)
		return NULL;
	m = dwfl_report_offline(d, "release", path, -1);
	dwfl_report_end(d, NULL, NULL);
	if (!m) {
		dwfl_end(d);
		return NULL;
	}
	if (sy->ndw == sizeof sy->dw / sizeof sy->dw[0])
		drop_dw(&sy->dw[--sy->ndw]);
	c = &sy->dw[sy->ndw++];
	c->path = strdup(path);
	c->dwfl = d;
	c->mod = m;
	if (!c->path) {
		sy->ndw--;
		dwfl_end(d);
		return NULL;
	}
	index_syms(c);
	return c;
}

/* Frame text FUNC:+N,+0xOFF or FUNC:+0xOFF. Returns 1 when parsed. */
static int parse_frame(const char *f, char **func, int *has_n, long *n,
		       uint64_t *off)
{
	const char *c = strstr(f, ":+"), *x;
	char *end;

	if (!c)
		return 0;
	*has_n = 0;
	x = strstr(c, "+0x");
	if (!x || strchr(x + 3, ':'))
		return 0;
	if (x != c + 1) {
		errno = 0;
		*n = strtol(c + 2, &end, 10);
		if (errno || end != x - 1 || *end != ',')
			return 0;
		*has_n = 1;
	}
	errno = 0;
	*off = strtoull(x + 3, &end, 16);
	if (errno || *end || end == x + 3)
		return 0;
	*func = strndup(f, (size_t)(c - f));
	return *func != NULL;
}

/* find_sym returns the address of the function whose frame name is
 * NAME in C, or 0. Two functions of one name (static functions in two
 * files) give the first; the +N check then tells a wrong pick. */
static GElf_Addr find_sym(const struct dw_cache *c, const char *name)
{
	size_t lo = 0, hi = c->nsyms;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(c->syms[mid].name, name);

		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nsyms && !strcmp(c->syms[lo].name, name) ?
	       c->syms[lo].addr : 0;
}

/* same_function: FRAME (qualified C++ or C name) names DWARF's DW (the
 * unqualified DW_AT_name of a C++ member or namespace function). */
static int same_function(const char *frame, const char *dw)
{
	size_t f = strlen(frame), d = strlen(dw);

	if (!strcmp(frame, dw))
		return 1;
	return f > d + 2 && !strcmp(frame + f - d, dw) &&
	       !memcmp(frame + f - d - 2, "::", 2);
}

static const char *die_name(Dwarf_Die *d)
{
	Dwarf_Attribute a;

	if (!dwarf_attr_integrate(d, DW_AT_name, &a))
		return NULL;
	return dwarf_formstring(&a);
}

/* line_at finds the level named FUNC of the inline chain at ADDR: its
 * line (the line table's for the innermost level, the call line of the
 * level inside it otherwise), its decl line and the file. 0 when found. */
static int line_at(Dwfl_Module *m, GElf_Addr addr, const char *func,
		   int *line, int *decl, const char **file)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu = dwfl_module_addrdie(m, addr, &bias), *scopes = NULL;
	Dwfl_Line *l = dwfl_module_getsrc(m, addr);
	int n, cur, found = -1;

	if (!cu || !l)
		return -1;
	*file = dwfl_lineinfo(l, NULL, &cur, NULL, NULL, NULL);
	n = dwarf_getscopes(cu, addr - bias, &scopes);
	for (int i = 0; i < n && found < 0; i++) {
		int tag = dwarf_tag(&scopes[i]);
		const char *nm;

		if (tag != DW_TAG_subprogram &&
		    tag != DW_TAG_inlined_subroutine)
			continue;
		nm = die_name(&scopes[i]);
		if (nm && same_function(func, nm)) {
			found = i;
			break;
		}
		if (tag == DW_TAG_inlined_subroutine) {
			Dwarf_Attribute a;
			Dwarf_Word w;

			if (dwarf_attr(&scopes[i], DW_AT_call_line, &a) &&
			    !dwarf_formudata(&a, &w))
				cur = (int)w;
		}
	}
	if (found < 0) {
		free(scopes);
		return -1;
	}
	*line = cur;
	if (dwarf_decl_line(&scopes[found], decl))
		*decl = -1;
	free(scopes);
	return 0;
}

static const struct elf_entry *find_release(struct stacks_symbols *sy,
					    const struct stacks_group *g,
					    const char **version)
{
	/* Every version of the group, newest first. */
	const char **order = malloc(g->nversions * sizeof *order);
	const struct elf_entry *hit = NULL;

	if (!order)
		return NULL;
	for (size_t j = 0; j < g->nversions; j++)
		order[j] = g->versions[j].key;
	for (size_t a = 0; a < g->nversions; a++)
		for (size_t b = a + 1; b < g->nversions; b++)
			if (stacks_version_cmp(order[b], order[a]) > 0) {
				const char *t = order[a];

				order[a] = order[b];
				order[b] = t;
			}
	for (size_t j = 0; j < g->nversions && !hit; j++)
		for (size_t i = 0; i < sy->n && !hit; i++) {
			const struct elf_entry *en = &sy->v[i];
			const char *base = strrchr(en->path, '/');

			base = base ? base + 1 : en->path;
			/* A binary without .note.package is versioned
			 * "b" + the first 12 hex digits of its build-id
			 * (DESIGN §6.2). */
			int by_id = !en->pkg_version && order[j][0] == 'b' &&
				    strlen(order[j]) == 13 &&
				    !strncmp(en->build_id, order[j] + 1, 12);

			if (!by_id && (!en->pkg_version ||
				       strcmp(en->pkg_version, order[j])))
				continue;
			if ((en->pkg_name && !strcmp(en->pkg_name,
						     g->program)) ||
			    !strcmp(base, g->program)) {
				hit = en;
				*version = order[j];
			}
		}
	free(order);
	return hit;
}

/* find_dwarf: the file with DWARF for BUILD_ID: the release itself, a
 * file under DIR with that build-id, or DIR/.build-id/xx/rest.debug. */
static const char *find_dwarf(struct stacks_symbols *sy,
			      const struct elf_entry *rel)
{
	if (rel->has_dwarf)
		return rel->path;
	if (!rel->build_id[0])
		return NULL;
	for (size_t i = 0; i < sy->n; i++)
		if (sy->v[i].has_dwarf &&
		    !strcmp(sy->v[i].build_id, rel->build_id))
			return sy->v[i].path;
	return NULL;
}

static int set_why(struct stacks_src *s, const char *fmt, const char *a,
		   const char *b)
{
	if (asprintf(&s->why, fmt, a, b) < 0) {
		s->why = NULL;
		return -ENOMEM;
	}
	return 0;
}

int stacks_symbols_map(struct stacks_symbols *sy, struct stacks_group *g)
{
	const struct elf_entry *rel;
	const char *version = NULL, *dw;
	struct dw_cache *c = NULL;
	Dwfl_Module *m = NULL;
	int use_dbgd = 0;

	g->src = calloc(g->nframes ? g->nframes : 1, sizeof *g->src);
	if (!g->src)
		return -ENOMEM;
	rel = find_release(sy, g, &version);
	if (!rel) {
		for (size_t j = 0; j < g->nframes; j++)
			if (set_why(&g->src[j], "no binary of %s at the "
				    "versions seen under --symbols (by "
				    ".note.package)%s", g->program, ""))
				return -ENOMEM;
		return 0;
	}
	if (!(g->symbols_version = strdup(version)))
		return -ENOMEM;
	dw = find_dwarf(sy, rel);
	if (!dw && sy->debuginfod && getenv("DEBUGINFOD_URLS")) {
		dw = rel->path;
		use_dbgd = 1;
	}
	if (dw && (c = open_dw(sy, dw, use_dbgd)))
		m = c->mod;
	for (size_t j = 0; j < g->nframes; j++) {
		struct stacks_src *s = &g->src[j];
		char *func = NULL, *pfunc = NULL;
		int has_n, line, decl;
		long n = 0;
		uint64_t off;
		GElf_Addr sym;
		const char *file;

		if (!stacks_frame_is_valid(g->frames[j])) {
			if (set_why(s, "%s%s", "not stack-counter text", ""))
				return -ENOMEM;
			continue;
		}
		if (!parse_frame(g->frames[j], &func, &has_n, &n, &off)) {
			if (set_why(s, "%s%s", "no offset in the frame (a "
				    "module or system library frame)", ""))
				return -ENOMEM;
			continue;
		}
		if (!m) {
			free(func);
			if (set_why(s, "no debug info for build-id %s of "
				    "'%s': add its .debug file as "
				    "DIR/.build-id/xx/rest.debug",
				    rel->build_id, rel->path))
				return -ENOMEM;
			continue;
		}
		sym = find_sym(c, func);
		/* An inlined frame: the next frame with the same offset is
		 * its enclosing physical function. */
		for (size_t k = j + 1; !sym && k < g->nframes; k++) {
			int hn;
			long nn;
			uint64_t o2;

			if (parse_frame(g->frames[k], &pfunc, &hn, &nn, &o2) &&
			    o2 == off && (sym = find_sym(c, pfunc)))
				break;
			free(pfunc);
			pfunc = NULL;
		}
		free(pfunc);
		if (!sym) {
			if (set_why(s, "'%s' is not a function of %s", func,
				    g->program)) {
				free(func);
				return -ENOMEM;
			}
			free(func);
			continue;
		}
		if (line_at(m, sym + off, func, &line, &decl, &file) ||
		    !file) {
			if (set_why(s, "no line for '%s' in the debug info of "
				    "'%s'", func, dw)) {
				free(func);
				return -ENOMEM;
			}
			free(func);
			continue;
		}
		if (!(s->file = strdup(file)) || !(s->binary = strdup(dw))) {
			free(func);
			return -ENOMEM;
		}
		s->line = line;
		s->line_offset_ok = !has_n || (decl >= 0 &&
					       line - decl == n);
		if (g->own_frame < 0)
			g->own_frame = (int)j;
		free(func);
	}
	return 0;
}
