/* SPDX-License-Identifier: MIT */
/* elfneeds.c -- reads the DT_NEEDED names of a program's dynamic section
 * with plain preads and <elf.h>, so the light watchdog needs no libelf.
 *
 * Used in the forked child before exec (supervise.c): an ASan program
 * refuses to start when the shim is preloaded before its runtime unless
 * told not to check. The file is untrusted: counts and offsets are
 * bounded and checked, 32- and 64-bit little- or big-endian alike are
 * read through one set of accessors. Never prints.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "elfneeds.h"

#define MAX_PHDRS 512
#define MAX_DYNS 4096

struct elf_file {
	int fd;
	int is64, is_be;
};

static int get(const struct elf_file *f, uint64_t off, void *buf, size_t n)
{
	return pread(f->fd, buf, n, (off_t)off) == (ssize_t)n ? 0 : -1;
}

static uint64_t num(const struct elf_file *f, const unsigned char *p,
		    size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[f->is_be ? n - 1 - i : i] << (8 * i);
	return v;
}

/* Field sizes and offsets of Elf32/Elf64 program headers and dyns. */
struct phdr {
	uint64_t type, offset, vaddr, filesz;
};

static int read_phdr(const struct elf_file *f, uint64_t off, struct phdr *p)
{
	unsigned char b[sizeof(Elf64_Phdr)];

	if (get(f, off, b, f->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)))
		return -1;
	p->type = num(f, b, 4);
	if (f->is64) {
		p->offset = num(f, b + 8, 8);
		p->vaddr = num(f, b + 16, 8);
		p->filesz = num(f, b + 32, 8);
	} else {
		p->offset = num(f, b + 4, 4);
		p->vaddr = num(f, b + 8, 4);
		p->filesz = num(f, b + 16, 4);
	}
	return 0;
}

/* The file offset of virtual address VA, through the PT_LOAD holding it;
 * UINT64_MAX when none does. */
static uint64_t va_to_off(const struct elf_file *f, uint64_t phoff,
			  unsigned nph, uint64_t phsz, uint64_t va)
{
	struct phdr p;
	unsigned i;

	for (i = 0; i < nph; i++) {
		if (read_phdr(f, phoff + i * phsz, &p))
			break;
		if (p.type == PT_LOAD && va >= p.vaddr &&
		    va - p.vaddr < p.filesz)
			return p.offset + (va - p.vaddr);
	}
	return UINT64_MAX;
}

static int is_asan_name(const char *s)
{
	return strncmp(s, "libasan.so", 10) == 0 ||
	       strstr(s, "clang_rt.asan") != NULL;
}

static int scan(const struct elf_file *f)
{
	unsigned char eh[sizeof(Elf64_Ehdr)];
	uint64_t phoff, phsz, dsz, strtab = 0, strsz = 0, stroff;
	uint64_t needed[64];
	unsigned nph, i, nneed = 0;
	struct phdr p, dyn = { 0 };
	char name[64];

	if (get(f, 0, eh, f->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return 0;
	phoff = f->is64 ? num(f, eh + 32, 8) : num(f, eh + 28, 4);
	phsz = num(f, eh + (f->is64 ? 54 : 42), 2);
	nph = (unsigned)num(f, eh + (f->is64 ? 56 : 44), 2);
	if (phsz < (f->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) ||
	    nph > MAX_PHDRS)
		return 0;
	for (i = 0; i < nph && !dyn.type; i++) {
		if (read_phdr(f, phoff + i * phsz, &p))
			return 0;
		if (p.type == PT_DYNAMIC)
			dyn = p;
	}
	if (!dyn.type)
		return 0; /* static: nothing is loaded before it */
	dsz = f->is64 ? 16 : 8;
	for (i = 0; i < MAX_DYNS && (i + 1) * dsz <= dyn.filesz; i++) {
		unsigned char b[16];
		uint64_t tag, val;

		if (get(f, dyn.offset + i * dsz, b, dsz))
			return 0;
		tag = num(f, b, dsz / 2);
		val = num(f, b + dsz / 2, dsz / 2);
		if (tag == DT_NULL)
			break;
		if (tag == DT_NEEDED && nneed < 64)
			needed[nneed++] = val;
		else if (tag == DT_STRTAB)
			strtab = val;
		else if (tag == DT_STRSZ)
			strsz = val;
	}
	stroff = va_to_off(f, phoff, nph, phsz, strtab);
	if (stroff == UINT64_MAX)
		return 0;
	for (i = 0; i < nneed; i++) {
		ssize_t n;

		if (needed[i] >= strsz)
			continue;
		n = pread(f->fd, name, sizeof name - 1,
			  (off_t)(stroff + needed[i]));
		if (n <= 0)
			continue;
		name[n] = '\0';
		if (is_asan_name(name))
			return 1;
	}
	return 0;
}

/* elfneeds_asan: see elfneeds.h. */
int elfneeds_asan(const char *path)
{
	unsigned char id[EI_NIDENT];
	struct elf_file f;
	int found = 0;

	if (!path)
		return 0;
	f.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f.fd < 0)
		return 0;
	if (get(&f, 0, id, sizeof id) == 0 &&
	    memcmp(id, ELFMAG, SELFMAG) == 0 &&
	    (id[EI_CLASS] == ELFCLASS64 || id[EI_CLASS] == ELFCLASS32) &&
	    (id[EI_DATA] == ELFDATA2LSB || id[EI_DATA] == ELFDATA2MSB)) {
		f.is64 = id[EI_CLASS] == ELFCLASS64;
		f.is_be = id[EI_DATA] == ELFDATA2MSB;
		found = scan(&f);
	}
	close(f.fd);
	return found;
}
