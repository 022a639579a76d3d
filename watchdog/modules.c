/* SPDX-License-Identifier: MIT */
/* modules.c -- the module table of a waiting child, from /proc/PID/maps.
 *
 * Owns parsing maps lines and reading each module's ELF facts (load bias,
 * build-id) from the mapped file. Files are untrusted: sizes are capped
 * and every program header and note is bound-checked before use. Never
 * prints. Used by crash.c for --debug-records (recorddump.c) and to find
 * valgrind's client executable.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "modules.h"

static int parse_map_line(char *line, struct modules_mapping *m)
{
	unsigned long long start, end, off, ino;
	char perms[5], dev[32];
	int pos = 0;
	char *path, *nl;

	if (sscanf(line, "%llx-%llx %4s %llx %31s %llu %n", &start, &end,
		   perms, &off, dev, &ino, &pos) < 6 || pos <= 0)
		return -1;
	path = line + pos;
	nl = strchr(path, '\n');
	if (nl)
		*nl = '\0';
	if (path[0] != '/')
		return -1; /* anonymous, [stack], [vdso]: not a module */
	memset(m, 0, sizeof(*m));
	m->start = start;
	m->end = end;
	m->offset = off;
	memcpy(m->perms, perms, sizeof(m->perms));
	m->path = strdup(path);
	return m->path ? 0 : -1;
}

/* Caps on what one module file may make us read. */
#define ELF_MAX_PHDRS 256
#define ELF_MAX_NOTE (64 * 1024)

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	return n == (ssize_t)len ? 0 : -1;
}

/* Finds NT_GNU_BUILD_ID in one PT_NOTE segment. */
static void find_build_id(int fd, const Elf64_Phdr *ph,
			  struct modules_mapping *m)
{
	static unsigned char note[ELF_MAX_NOTE];
	size_t len = ph->p_filesz, at = 0;

	if (len > sizeof(note) || read_at(fd, note, len, ph->p_offset))
		return;
	while (at + sizeof(Elf64_Nhdr) <= len) {
		Elf64_Nhdr nh;
		size_t name, desc;

		memcpy(&nh, note + at, sizeof(nh));
		name = ((size_t)nh.n_namesz + 3) & ~(size_t)3;
		desc = ((size_t)nh.n_descsz + 3) & ~(size_t)3;
		at += sizeof(nh);
		if (name > len - at || desc > len - at - name)
			return;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    memcmp(note + at, "GNU", 4) == 0 &&
		    nh.n_descsz > 0 && nh.n_descsz <= sizeof(m->build_id)) {
			memcpy(m->build_id, note + at + name, nh.n_descsz);
			m->build_id_len = nh.n_descsz;
			return;
		}
		at += name + desc;
	}
}

/* Reads the ELF facts of the file mapped at M (its offset-0 mapping). */
static void read_elf(pid_t pid, struct modules_mapping *m)
{
	static Elf64_Phdr ph[ELF_MAX_PHDRS];
	char path[96];
	Elf64_Ehdr eh;
	int fd, i, have_load = 0;
	uint64_t vaddr = 0;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx",
		 (int)pid, (unsigned long long)m->start,
		 (unsigned long long)m->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) /* never a FIFO or device planted at the path */
		fd = tm__fs_open_file(m->path);
	if (fd < 0)
		return;
	if (read_at(fd, &eh, sizeof(eh), 0) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    eh.e_phnum == 0 || eh.e_phnum > ELF_MAX_PHDRS ||
	    read_at(fd, ph, eh.e_phnum * sizeof(Elf64_Phdr), eh.e_phoff))
		goto out;
	for (i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_load) {
			/* The mapping at file offset 0 holds the first
			 * PT_LOAD, its vaddr rounded down to the page. */
			vaddr = ph[i].p_vaddr - ph[i].p_offset;
			have_load = 1;
		}
		if (ph[i].p_type == PT_NOTE && m->build_id_len == 0)
			find_build_id(fd, &ph[i], m);
	}
	if (have_load) {
		m->bias = m->start - vaddr;
		m->is_elf = 1;
	}
out:
	close(fd);
}

/* Does mapping J continue the load mapping J-1 belongs to? Later
 * segments are at a file offset past 0, or, when lld packed a small
 * program's segments into one file page, at offset 0 right where the
 * mapping before ends (a second load of the file starts elsewhere). */
static int continues_load(const struct modules_table *mods, size_t j)
{
	const struct modules_mapping *p = &mods->map[j - 1], *m = &mods->map[j];

	return strcmp(p->path, m->path) == 0 &&
	       (m->offset != 0 || m->start == p->end);
}

/* Every mapping of one load gets what its first mapping found. */
static void add_elf_facts(pid_t pid, struct modules_table *mods)
{
	size_t i, j;

	for (i = 0; i < mods->n; i++) {
		struct modules_mapping *m = &mods->map[i];

		if (m->offset != 0 || (i > 0 && continues_load(mods, i)))
			continue;
		read_elf(pid, m);
		for (j = i + 1; j < mods->n && continues_load(mods, j); j++) {
			mods->map[j].is_elf = m->is_elf;
			mods->map[j].bias = m->bias;
			memcpy(mods->map[j].build_id, m->build_id,
			       sizeof(m->build_id));
			mods->map[j].build_id_len = m->build_id_len;
		}
	}
}

/* modules_read: see modules.h. */
int modules_read(pid_t pid, struct modules_table *out)
{
	char path[64], *line = NULL;
	size_t cap = 0, room = 0;
	FILE *f;

	out->map = NULL;
	out->n = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		struct modules_mapping m;

		if (parse_map_line(line, &m) != 0)
			continue;
		if (out->n == room) {
			size_t nr = room ? room * 2 : 64;
			void *p = realloc(out->map, nr * sizeof(*out->map));

			if (!p) {
				free(m.path);
				break;
			}
			out->map = p;
			room = nr;
		}
		out->map[out->n++] = m;
	}
	free(line);
	fclose(f);
	add_elf_facts(pid, out);
	return 0;
}

/* modules_at: see modules.h. */
const struct modules_mapping *modules_at(const struct modules_table *m,
					      uint64_t addr)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (addr >= m->map[i].start && addr < m->map[i].end)
			return &m->map[i];
	}
	return NULL;
}

/* modules_free: see modules.h. */
void modules_free(struct modules_table *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->map[i].path);
	free(m->map);
	m->map = NULL;
	m->n = 0;
}

/* modules_find_loaded: see modules.h. The mappings of one load are
 * consecutive in /proc/PID/maps (ascending addresses); the first is at
 * file offset 0 (continues_load). */
const struct modules_mapping *modules_find_loaded(const struct modules_table *m,
						  const char *path)
{
	size_t i, j;

	for (i = 0; i < m->n; i++) {
		if (m->map[i].offset != 0 || strcmp(m->map[i].path, path) != 0 ||
		    (i > 0 && continues_load(m, i)))
			continue;
		for (j = i; j < m->n && (j == i || continues_load(m, j)); j++)
			if (m->map[j].perms[2] == 'x')
				return &m->map[i];
	}
	return NULL;
}
