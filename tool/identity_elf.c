/* SPDX-License-Identifier: MIT */
/* identity_elf.c -- another program's identity from its ELF file, with
 * libelf (DESIGN §6.2): the watchdog's side of lib/identity.c.
 *
 * The rules (notes, version, toolchain, GOARCH) are lib/identity.c's, so
 * a program counting in-process (tm__identity_self) and the watchdog
 * reading its file give the same counter file name. Everything in the
 * file is untrusted: libelf and gelf_getnote bound-check the notes, and
 * the .comment walk never reads past its section. It touches only
 * section headers, notes and .comment (ELF_C_READ_MMAP: no copy of the
 * file). A mapped file that shrinks under us would raise SIGBUS; the
 * kernel refuses writes to a running executable (ETXTBSY), so callers
 * read a file whose process is alive (/proc/PID/exe). Never prints.
 */
#define _GNU_SOURCE
#include "identity_elf.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "identity.h"
#include "tmwatch/common.h"

/* Bounds for walks over untrusted counts. */
#define NOTES_MAX 1024
#define SECTIONS_MAX 65536

static void walk_notes(Elf_Data *data, struct tm__identity_notes *f)
{
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nh;
	int count = 0;

	if (!data || !data->d_buf)
		return;
	while (count++ < NOTES_MAX &&
	       (next = gelf_getnote(data, off, &nh, &name_off,
				    &desc_off)) > off) {
		const char *name = (const char *)data->d_buf + name_off;
		const char *desc = (const char *)data->d_buf + desc_off;

		off = next;
		tm__identity_take_note(nh.n_type, name, nh.n_namesz, desc,
				       nh.n_descsz, f);
	}
}

/* Walks the sections: notes and .comment. Returns the number of SHT_NOTE
 * sections seen, so a file without section headers (sstrip) falls back to
 * PT_NOTE segments. */
static int walk_sections(Elf *elf, struct tm__identity_notes *f,
			 char *toolchain, size_t cap)
{
	size_t shstrndx = 0, n = 0;
	int notes = 0, has_names;
	Elf_Scn *scn = NULL;

	has_names = elf_getshdrstrndx(elf, &shstrndx) == 0;
	while (n++ < SECTIONS_MAX && (scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_NOTE) {
			notes++;
			walk_notes(elf_getdata(scn, NULL), f);
		} else if (sh.sh_type == SHT_PROGBITS && has_names) {
			const char *name = elf_strptr(elf, shstrndx,
						      sh.sh_name);
			Elf_Data *d;

			if (!name || strcmp(name, ".comment") != 0)
				continue;
			d = elf_getdata(scn, NULL);
			if (d && d->d_buf)
				tm__identity_toolchain(d->d_buf, d->d_size,
						       toolchain, cap);
		}
	}
	return notes;
}

static void walk_segments(Elf *elf, struct tm__identity_notes *f)
{
	size_t phnum = 0;

	if (elf_getphdrnum(elf, &phnum) != 0)
		return;
	for (size_t i = 0; i < phnum && i < SECTIONS_MAX; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		/* 8-aligned note segments use the GNU 8-byte layout. */
		walk_notes(elf_getdata_rawchunk(elf, (int64_t)ph.p_offset,
						ph.p_filesz,
						ph.p_align == 8 ? ELF_T_NHDR8 :
						ELF_T_NHDR), f);
	}
}

static int elf_ready;

static void elf_init(void)
{
	elf_ready = elf_version(EV_CURRENT) != EV_NONE;
}

int tm__identity_from_elf(const char *path, int fd, const char *env_version,
			  struct tm__identity *out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct tm__identity_notes f;
	int own_fd = -1, r = 0;
	Elf *elf = NULL;
	GElf_Ehdr eh;

	memset(&f, 0, sizeof f);
	tm__identity_defaults(path, env_version, out);
	if (fd < 0) {
		if (!path)
			return TM_EINVAL;
		own_fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (own_fd < 0)
			return -errno;
		fd = own_fd;
	}
	pthread_once(&once, elf_init);
	if (!elf_ready) {
		r = TM_ENOTELF;
		goto out;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		r = TM_ENOTELF;
		goto out;
	}
	snprintf(out->goarch, sizeof out->goarch, "%s",
		 tm__identity_goarch(eh.e_machine, eh.e_ident[EI_CLASS],
				     eh.e_ident[EI_DATA]));
	if (walk_sections(elf, &f, out->toolchain, sizeof out->toolchain) == 0)
		walk_segments(elf, &f);
	tm__identity_finish(&f, env_version, out);
out:
	if (elf)
		elf_end(elf);
	if (own_fd >= 0)
		close(own_fd);
	return r;
}

