/* SPDX-License-Identifier: MIT */
/* symbolize.c -- names program counters of a live process (DESIGN §5.2).
 *
 * The module table comes from /proc/PID/maps, read here rather than by
 * dwfl_linux_proc_report so that each module's file can be checked
 * against the build-id the process has in memory: a library upgraded
 * while the program ran must not lend its names to the old code. A
 * changed or deleted file is read through /proc/PID/map_files (the inode
 * the process maps) while the process is alive; failing that the module
 * gives module-only frames. Names come from DWARF, else the symbol
 * tables, else the module file name (docs/stack-counters.md). Nothing
 * here prints; the process examined is only read, never stopped.
 *
 * Each module is reported at bias 0 in a libdwfl session of its own and
 * looked up with module-relative addresses, so that, for other processes
 * (the watchdog), sessions can be kept across symbolizers by build-id:
 * loading libc's compressed debug info costs ~40 ms, and a watchdog
 * seeing many crashes pays it once (bounded: CACHE_MAX sessions, least
 * recently used evicted). A process symbolizing itself
 * (tm_stack_counter_inc, any thread) never shares sessions.
 *
 * A watchdog may also opt in to the persistent cache (symcache.c,
 * tm__symbolize_set_cache_dir): the frames of each looked-up address of a
 * module with a build-id, kept on disk, so that a fresh watchdog names a
 * PC seen before without loading that module's DWARF at all. Modules
 * whose file changed on disk (named through /proc/PID/map_files) are
 * neither looked up nor added: rare, and their debug file path is the
 * dead process's.
 */
#define _GNU_SOURCE
#include "symbolize.h"

#include <dwarf.h>
#include <elf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "demangle.h"
#include "fsutil.h"
#include "modclass.h"
#include "symcache.h"
#include "tmwatch/common.h"

/* Bounds on what /proc/PID/maps may make us do. */
#define MAPS_LINES_MAX 65536
#define MODULES_MAX 4096
#define BUILD_ID_MAX 64
#define NOTES_MAX 4096
#define PHDRS_MAX 64
#define CACHE_MAX 32

/* One module's libdwfl session, reported at bias 0. Shared by build-id,
 * mapped inode and path: a stripped copy of a binary keeps its build-id
 * but must keep its own (lack of) names. */
struct session {
	unsigned char id[BUILD_ID_MAX];
	size_t id_len;		/* 0: not shareable */
	unsigned long inode;
	char *path;
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Dwfl_Callbacks cb;
	char *debuginfo_path;	/* the callbacks point at this */
	unsigned users;		/* open symbolizers using it */
	uint64_t last_use;
	int cached;
	int system;		/* a system library's session: debug info
				   also from /usr/lib/debug */
	int names_state;	/* 0: soname and names not read yet */
	char soname[256];	/* a system library's name in counters */
	struct tm__modclass_names *names;	/* its exported names */
	int cus_state;		/* 0: not looked at; 1: table; 2: none */
	struct cu_range *cus;	/* the CUs' address ranges, by start */
	size_t ncus;
};

/* One address range of a compilation unit (module-relative). */
struct cu_range {
	Dwarf_Addr lo, hi, bias;
	Dwarf_Die *cu;
};

/* Sessions kept across symbolizers of other processes. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct session *cache[CACHE_MAX];
static size_t ncache;
static uint64_t cache_clock;

static const char DELETED[] = " (deleted)";

/* An IFUNC implementation inside one of the program's own modules (a
 * static executable embeds libc's): its entry and the public name. */
struct impl {
	uint64_t entry;		/* module-relative */
	const char *name;	/* in the module's ELF string table */
};

struct module {
	uint64_t start, end;	/* lowest and highest mapped address */
	uint64_t first_start;	/* lowest mapping and its file offset */
	uint64_t first_offset;
	uint64_t zero_start;	/* mapping of file offset 0, or 0 */
	uint64_t zero_end;
	uint64_t bias;		/* ELF vaddr + bias = address */
	unsigned long inode;
	int has_exec;
	int changed;		/* file differs from the mapped one */
	int symtab;		/* -1 unknown, 0 .dynsym only, 1 .symtab */
	char *path;		/* without " (deleted)" */
	char *name;		/* last component of path */
	char *opened;		/* file the ELF was read from, or NULL */
	struct session *ses;	/* NULL: module-only frames */
	Dwfl_Module *mod;	/* ses->mod; addresses minus bias */
	unsigned char id[BUILD_ID_MAX];	/* build-id in memory */
	size_t id_len;		/* 0: unknown, never cached on disk */
	unsigned char *disk;	/* the module's symcache file, read once */
	size_t disk_len;
	int disk_state;		/* 0 unread, 1 read, -1 do not use */
	int has_debug;		/* -1 unknown, else debug info findable */
	enum tm__modclass cls;	/* program, shipped with it, or system */
	struct impl *impls;	/* IFUNC implementations it holds */
	size_t nimpls;
	int impls_state;	/* 0: not looked for yet */
};

struct tm__symbolizer {
	pid_t pid;
	int share;		/* sessions may come from the cache */
	char *cache_dir;	/* persistent cache (watchdog), or NULL */
	struct tm__modclass_ctx cls;	/* whose modules are whose */
	struct module *mods;
	size_t nmods;
};

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Reads LEN bytes at ADDR of the process into BUF. 0 or -errno. */
static int read_mem(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (got < 0)
		return -errno;
	return (size_t)got == len ? 0 : -EFAULT;
}

/* Finds an NT_GNU_BUILD_ID note in LEN bytes of notes. Returns its
 * length (copied to ID) or 0. Every length is checked: the bytes come
 * from a crashing process. */
static size_t find_build_id(const unsigned char *p, size_t len,
			    unsigned char *id)
{
	size_t off = 0;

	while (len - off >= 12) {
		uint32_t namesz, descsz, type;
		size_t name_al, desc_al;

		memcpy(&namesz, p + off, 4);
		memcpy(&descsz, p + off + 4, 4);
		memcpy(&type, p + off + 8, 4);
		name_al = ((size_t)namesz + 3) & ~(size_t)3;
		desc_al = ((size_t)descsz + 3) & ~(size_t)3;
		off += 12;
		if (name_al > len - off || desc_al > len - off - name_al)
			return 0;
		if (type == NT_GNU_BUILD_ID && namesz == 4 &&
		    memcmp(p + off, "GNU", 4) == 0 && descsz > 0 &&
		    descsz <= BUILD_ID_MAX) {
			memcpy(id, p + off + name_al, descsz);
			return descsz;
		}
		off += name_al + desc_al;
	}
	return 0;
}

/* Reads the build-id of the module mapped at M in process PID from its
 * program headers in memory (64-bit ELF only). Returns its length, or 0
 * when it cannot be read (the caller then trusts the file). */
static size_t mem_build_id(pid_t pid, const struct module *m,
			   unsigned char *id)
{
	Elf64_Phdr ph[PHDRS_MAX];
	unsigned char notes[NOTES_MAX];
	Elf64_Ehdr eh;
	uint64_t vbase = UINT64_MAX;
	size_t i, got;

	if (!m->zero_start || read_mem(pid, m->zero_start, &eh, sizeof eh))
		return 0;
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phnum == 0 ||
	    eh.e_phnum > PHDRS_MAX || eh.e_phentsize != sizeof ph[0] ||
	    eh.e_phoff > m->zero_end - m->zero_start ||
	    read_mem(pid, m->zero_start + eh.e_phoff, ph,
		     eh.e_phnum * sizeof ph[0]))
		return 0;
	for (i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0)
			vbase = ph[i].p_vaddr & ~(uint64_t)0xfff;
	if (vbase == UINT64_MAX)
		return 0;
	for (i = 0; i < eh.e_phnum; i++) {
		uint64_t len = ph[i].p_filesz;

		if (ph[i].p_type != PT_NOTE)
			continue;
		if (len > sizeof notes)
			len = sizeof notes;
		if (read_mem(pid, m->zero_start - vbase + ph[i].p_vaddr,
			     notes, len))
			continue;
		got = find_build_id(notes, len, id);
		if (got)
			return got;
	}
	return 0;
}

/* Load bias of M given its ELF file: the first mapping's address minus
 * the vaddr its file offset has in the PT_LOAD that holds it. */
static int elf_bias(Elf *elf, const struct module *m, uint64_t *bias)
{
	size_t i, n;

	if (elf_getphdrnum(elf, &n) != 0)
		return -1;
	for (i = 0; i < n && i < 4096; i++) {
		GElf_Phdr mem, *ph = gelf_getphdr(elf, (int)i, &mem);
		uint64_t lo;

		if (!ph || ph->p_type != PT_LOAD)
			continue;
		lo = ph->p_offset & ~(uint64_t)0xfff;
		if (m->first_offset < lo ||
		    m->first_offset >= ph->p_offset + ph->p_filesz)
			continue;
		*bias = m->first_start - (ph->p_vaddr - ph->p_offset +
					  m->first_offset);
		return 0;
	}
	return -1;
}

/* Opens the ELF for M: its path when it still holds the code the
 * process maps, else /proc/PID/map_files. Returns an fd (the ELF's
 * build-id checked) with *BIAS set, or -1 for module-only frames. */
static int open_module(pid_t pid, struct module *m, uint64_t *bias,
		       const unsigned char *want, size_t want_len)
{
	char alt[128];
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		const char *file = m->path;
		const void *have;
		Elf *elf;
		ssize_t have_len;
		int fd, ok;

		if (attempt == 1) {
			if (!m->changed || !m->zero_start)
				break;
			snprintf(alt, sizeof alt, "/proc/%d/map_files/%"
				 PRIx64 "-%" PRIx64, (int)pid, m->zero_start,
				 m->zero_end);
			file = alt;
		} else if (m->changed) {
			continue; /* deleted: the path names another file */
		}
		/* The path is what maps says; the process may have put a
		 * FIFO or a device there (docs/security.md). map_files
		 * links are the kernel's and always regular files. */
		fd = attempt == 1 ? open(file, O_RDONLY | O_CLOEXEC) :
			tm__fs_open_file(file);
		if (fd < 0)
			continue;
		elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
		ok = elf && elf_kind(elf) == ELF_K_ELF;
		if (ok && want_len) {
			have_len = dwelf_elf_gnu_build_id(elf, &have);
			ok = have_len == (ssize_t)want_len &&
				memcmp(have, want, want_len) == 0;
			if (!ok && attempt == 0)
				m->changed = 1;
		}
		if (ok)
			ok = elf_bias(elf, m, bias) == 0;
		elf_end(elf);
		if (ok) {
			m->opened = strdup(file);
			return fd;
		}
		close(fd);
	}
	return -1;
}

/* Parses one maps line into M's fields. Returns 0, or -1 to skip it
 * (anonymous, special, or unparsable). */
static int parse_maps_line(char *line, uint64_t *start, uint64_t *end,
			   char *perms, uint64_t *offset,
			   unsigned long *inode, char **path)
{
	int pos = 0;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64
		   " %*x:%*x %lu %n", start, end, perms, offset, inode,
		   &pos) != 5 || pos == 0)
		return -1;
	line[strcspn(line, "\n")] = 0;
	*path = line + pos;
	return **path == '/' && *inode != 0 ? 0 : -1;
}

/* A file mapped twice is two modules: each load starts at file offset 0
 * and its later segments lie within IMAGE_SLACK (segment alignment) of
 * that start minus their offset. A far copy (Ruby maps its executable
 * again as data) must not lend its address to the code's bias. A later
 * segment at offset 0 belongs to the load it directly follows: lld packs
 * a small program's segments into one file page, so all of them map
 * offset 0, one after another without a gap. */
#define IMAGE_SLACK (16u << 20)

static struct module *find_or_add(struct tm__symbolizer *s, const char *path,
				  unsigned long inode, uint64_t start,
				  uint64_t offset)
{
	struct module *m;
	size_t len = strlen(path), dl = sizeof DELETED - 1;
	int deleted = len > dl && strcmp(path + len - dl, DELETED) == 0;

	if (deleted)
		len -= dl;
	for (size_t i = s->nmods; i-- > 0;) {
		m = &s->mods[i];
		if (m->inode == inode && strlen(m->path) == len &&
		    memcmp(m->path, path, len) == 0 &&
		    ((offset != 0 &&
		      start - offset - (m->first_start - m->first_offset) <
		      IMAGE_SLACK) ||
		     (offset == 0 && start == m->end)))
			return m;
	}
	if (s->nmods == MODULES_MAX)
		return NULL;
	m = realloc(s->mods, (s->nmods + 1) * sizeof *m);
	if (!m)
		return NULL;
	s->mods = m;
	m = &s->mods[s->nmods];
	memset(m, 0, sizeof *m);
	m->path = strndup(path, len);
	if (!m->path)
		return NULL;
	s->nmods++;
	m->name = (char *)base_name(m->path);
	m->inode = inode;
	m->changed = deleted;
	m->symtab = -1;
	m->has_debug = -1;
	m->start = UINT64_MAX;
	return m;
}

static int read_maps(struct tm__symbolizer *s)
{
	char path[64], *line = NULL;
	size_t cap = 0, lines = 0;
	FILE *f;
	int r = 0;

	snprintf(path, sizeof path, "/proc/%d/maps", (int)s->pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0 && lines++ < MAPS_LINES_MAX) {
		uint64_t start, end, offset;
		unsigned long inode;
		char perms[5] = "", *file;
		struct module *m;

		if (parse_maps_line(line, &start, &end, perms, &offset,
				    &inode, &file) != 0)
			continue;
		m = find_or_add(s, file, inode, start, offset);
		if (!m) {
			r = -ENOMEM;
			break;
		}
		if (start < m->start) {
			m->start = start;
			m->first_start = start;
			m->first_offset = offset;
		}
		if (end > m->end)
			m->end = end;
		if (offset == 0 && !m->zero_start) {
			m->zero_start = start;
			m->zero_end = end;
		}
		if (perms[2] == 'x')
			m->has_exec = 1;
	}
	free(line);
	fclose(f);
	return r;
}

/* The debuginfo search path: TMWATCH_DEBUG_DIRS before the system's,
 * after libdwfl's defaults for debug links ("" and ".debug").
 * TMWATCH_NO_SYSTEM_DEBUG=1 leaves /usr/lib/debug out, so that a machine
 * with distribution debug packages can show what users without them get
 * (the tests and docs/stack-counters.md). */
static char *debug_path(int system)
{
	const char *dirs = getenv("TMWATCH_DEBUG_DIRS");
	const char *nosys = getenv("TMWATCH_NO_SYSTEM_DEBUG");
	/* The program's own modules get +N only from debug info that ships
	 * with the program (naming rule v2): /usr/lib/debug is a system
	 * package's, present on some machines only. */
	int sys = system && !(nosys && strcmp(nosys, "1") == 0);
	int have = dirs && *dirs;
	char *p;

	if (asprintf(&p, ":.debug%s%s%s", have ? ":" : "", have ? dirs : "",
		     sys ? ":/usr/lib/debug" : "") < 0)
		return NULL;
	return p;
}

/* Separate debug info is looked up by build-id in the local directories
 * only. dwfl_standard_find_debuginfo would go on to query debuginfod
 * servers when DEBUGINFOD_URLS is set (Debian sets it in login shells):
 * network traffic, and writes to ~/.cache, from inside a user's program
 * or a crash handler. */
int tm__symbolize_find_debuginfo(Dwfl_Module *mod, void **userdata,
				const char *modname, Dwarf_Addr base,
				const char *file_name,
				const char *debuglink_file,
				GElf_Word debuglink_crc,
				char **debuginfo_file_name)
{
	return dwfl_build_id_find_debuginfo(mod, userdata, modname, base,
					    file_name, debuglink_file,
					    debuglink_crc,
					    debuginfo_file_name);
}

static void session_free(struct session *ses)
{
	if (!ses)
		return;
	if (ses->dwfl)
		dwfl_end(ses->dwfl);
	tm__modclass_names_free(ses->names);
	free(ses->cus);
	free(ses->debuginfo_path);
	free(ses->path);
	free(ses);
}

/* A new session holding M's ELF (FD, owned from here) at bias 0. */
static struct session *session_new(const struct module *m, int fd)
{
	struct session *ses = calloc(1, sizeof *ses);

	if (!ses || !(ses->debuginfo_path =
		      debug_path(m->cls == TM__MOD_SYSTEM)))
		goto fail;
	ses->cb.find_elf = dwfl_linux_proc_find_elf;
	ses->cb.find_debuginfo = tm__symbolize_find_debuginfo;
	ses->cb.debuginfo_path = &ses->debuginfo_path;
	ses->dwfl = dwfl_begin(&ses->cb);
	if (!ses->dwfl)
		goto fail;
	dwfl_report_begin(ses->dwfl);
	/* dwfl_report_elf owns FD from here, even on failure. */
	ses->mod = dwfl_report_elf(ses->dwfl, m->name, m->opened, fd, 0,
				   true);
	fd = -1;
	dwfl_report_end(ses->dwfl, NULL, NULL);
	if (!ses->mod)
		goto fail;
	return ses;
fail:
	if (fd >= 0)
		close(fd);
	session_free(ses);
	return NULL;
}

/* A cached session for M with build-id ID, marked used; NULL if none.
 * Called with cache_lock held. */
static struct session *cache_find(const struct module *m,
				  const unsigned char *id, size_t len)
{
	for (size_t i = 0; i < ncache; i++) {
		if (cache[i]->id_len == len &&
		    memcmp(cache[i]->id, id, len) == 0 &&
		    cache[i]->inode == m->inode &&
		    cache[i]->system == (m->cls == TM__MOD_SYSTEM) &&
		    strcmp(cache[i]->path, m->path) == 0) {
			cache[i]->users++;
			cache[i]->last_use = ++cache_clock;
			return cache[i];
		}
	}
	return NULL;
}

/* Keeps SES (in use) in the cache, evicting the least recently used
 * unused session when full; when all are in use SES stays private.
 * Called with cache_lock held. */
static void cache_add(struct session *ses)
{
	size_t victim = CACHE_MAX;

	if (ncache == CACHE_MAX) {
		for (size_t i = 0; i < ncache; i++)
			if (!cache[i]->users &&
			    (victim == CACHE_MAX ||
			     cache[i]->last_use < cache[victim]->last_use))
				victim = i;
		if (victim == CACHE_MAX)
			return;
		session_free(cache[victim]);
		cache[victim] = cache[--ncache];
	}
	ses->cached = 1;
	ses->users = 1;
	ses->last_use = ++cache_clock;
	cache[ncache++] = ses;
}

/* Finds or makes the session of M and sets M's bias. */
static void attach_module(struct tm__symbolizer *s, struct module *m)
{
	unsigned char id[BUILD_ID_MAX];
	size_t id_len = mem_build_id(s->pid, m, id);
	uint64_t bias = m->first_start;
	struct session *ses = NULL;
	Dwarf_Addr b;
	Elf *elf;
	int fd;

	m->bias = bias;
	memcpy(m->id, id, id_len);
	m->id_len = id_len;
	m->cls = tm__modclass_of(&s->cls, m->path);
	if (s->share && id_len) {
		pthread_mutex_lock(&cache_lock);
		ses = cache_find(m, id, id_len);
		pthread_mutex_unlock(&cache_lock);
	}
	if (ses) {
		/* Same build-id, same file: only the bias is this
		 * process's own. */
		elf = dwfl_module_getelf(ses->mod, &b);
		if (elf && elf_bias(elf, m, &bias) == 0) {
			m->bias = bias;
			m->ses = ses;
			m->mod = ses->mod;
			return;
		}
		pthread_mutex_lock(&cache_lock);
		ses->users--;
		pthread_mutex_unlock(&cache_lock);
	}
	fd = open_module(s->pid, m, &bias, id, id_len);
	m->bias = bias;
	if (fd < 0)
		return;
	ses = session_new(m, fd);
	if (!ses)
		return;
	memcpy(ses->id, id, id_len);
	ses->id_len = id_len;
	ses->inode = m->inode;
	ses->system = m->cls == TM__MOD_SYSTEM;
	ses->path = strdup(m->path);
	if (!ses->path)
		ses->id_len = 0; /* private: never matched */
	m->ses = ses;
	m->mod = ses->mod;
	if (s->share && id_len) {
		pthread_mutex_lock(&cache_lock);
		cache_add(ses);
		pthread_mutex_unlock(&cache_lock);
	}
}

/* Reads the executable's path and run paths for module classification
 * (modclass.h): /proc/PID/exe's, or PROGRAM's read from PROGRAM_FD when
 * the caller knows better (a valgrind client), and the NOWN OwnModules
 * patterns OWN. A process whose executable cannot be read still gets
 * names: every module is then classified by path alone. */
static int classify_init(struct tm__symbolizer *s, const char *program,
			 int program_fd, const char *const *own, size_t nown)
{
	char link[64], exe[PATH_MAX];
	ssize_t len;
	size_t dl = sizeof DELETED - 1;
	Elf *elf = NULL;
	int fd = -1, r;

	snprintf(link, sizeof link, "/proc/%d/exe", (int)s->pid);
	if (program && program_fd >= 0) {
		snprintf(exe, sizeof exe, "%s", program);
		elf = elf_begin(program_fd, ELF_C_READ_MMAP, NULL);
	} else {
		len = readlink(link, exe, sizeof exe - 1);
		if (len <= 0)
			return tm__modclass_init(&s->cls, NULL, NULL);
		exe[len] = 0;
		if ((size_t)len > dl && strcmp(exe + len - dl, DELETED) == 0)
			exe[len - dl] = 0;
		/* The run paths of the file the process runs. */
		fd = open(link, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	}
	r = tm__modclass_init(&s->cls, exe, elf && elf_kind(elf) == ELF_K_ELF ?
			      elf : NULL);
	/* The upload configs' OwnModules: a pattern modclass refuses ('/',
	 * past its room) only leaves those libraries system ones. */
	for (size_t i = 0; r == 0 && i < nown; i++)
		if (tm__modclass_add_own(&s->cls, own[i]) == -ENOMEM)
			r = -ENOMEM;
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	return r;
}

int tm__symbolize_open(pid_t pid, struct tm__symbolizer **out)
{
	return tm__symbolize_open_program(pid, NULL, -1, NULL, 0, out);
}

int tm__symbolize_open_own(pid_t pid, const char *const *own, size_t nown,
			   struct tm__symbolizer **out)
{
	return tm__symbolize_open_program(pid, NULL, -1, own, nown, out);
}

int tm__symbolize_open_program(pid_t pid, const char *program,
			       int program_fd, const char *const *own,
			       size_t nown, struct tm__symbolizer **out)
{
	struct tm__symbolizer *s = calloc(1, sizeof *s);
	int r;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->pid = pid > 0 ? pid : getpid();
	s->share = s->pid != getpid();
	elf_version(EV_CURRENT);
	r = read_maps(s);
	if (r == 0)
		r = classify_init(s, program, program_fd, own, nown);
	if (r != 0) {
		tm__symbolize_close(s);
		return r;
	}
	for (size_t i = 0; i < s->nmods; i++)
		if (s->mods[i].has_exec)
			attach_module(s, &s->mods[i]);
	*out = s;
	return 0;
}

int tm__symbolize_set_cache_dir(struct tm__symbolizer *s, const char *dir)
{
	char *copy;

	if (!s || !dir || !*dir || !s->share)
		return TM_EINVAL;
	copy = strdup(dir);
	if (!copy)
		return -ENOMEM;
	free(s->cache_dir);
	s->cache_dir = copy;
	return 0;
}

void tm__symbolize_close(struct tm__symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nmods; i++) {
		struct session *ses = s->mods[i].ses;

		if (ses && ses->cached) {
			pthread_mutex_lock(&cache_lock);
			ses->users--;
			pthread_mutex_unlock(&cache_lock);
		} else {
			session_free(ses);
		}
		free(s->mods[i].path);
		free(s->mods[i].opened);
		free(s->mods[i].disk);
		free(s->mods[i].impls);
	}
	tm__modclass_free(&s->cls);
	free(s->mods);
	free(s->cache_dir);
	free(s);
}

static const struct module *module_at(const struct tm__symbolizer *s,
				      uint64_t pc)
{
	for (size_t i = 0; i < s->nmods; i++)
		if (s->mods[i].has_exec && pc >= s->mods[i].start &&
		    pc < s->mods[i].end)
			return &s->mods[i];
	return NULL;
}

/* Room for one more frame in F. Returns its index or -1. */
static long add_frame(struct tm__symframes *f)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		void *a, *b;

		if (f->n >= TM__SYMBOLIZE_FRAMES_MAX)
			return -1;
		if (cap > TM__SYMBOLIZE_FRAMES_MAX)
			cap = TM__SYMBOLIZE_FRAMES_MAX;
		a = realloc(f->frames, cap * sizeof *f->frames);
		if (a)
			f->frames = a;
		b = realloc(f->info, cap * sizeof *f->info);
		if (b)
			f->info = b;
		if (!a || !b)
			return -1;
		f->cap = cap;
	}
	memset(&f->frames[f->n], 0, sizeof f->frames[0]);
	memset(&f->info[f->n], 0, sizeof f->info[0]);
	return (long)f->n++;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The frame name of a DWARF function DIE: its linkage name demangled,
 * else its plain name (C). Follows abstract origins and specifications
 * (inlined and out-of-line member functions). */
static char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *raw = NULL;
	char buf[TM__SYMBOLIZE_NAME_MAX];

	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a))
		raw = dwarf_formstring(&a);
	if (!raw && dwarf_attr_integrate(die, DW_AT_name, &a))
		raw = dwarf_formstring(&a);
	if (!raw)
		return NULL;
	(void)tm__demangle_name(raw, buf, sizeof buf);
	return buf[0] ? strdup(buf) : NULL;
}

/* Entry of the physical function FN holding the module-relative address
 * ADDR: its entry pc; for a part outside the first range (a .cold
 * part), the start of the range holding ADDR (docs/stack-counters.md). */
static int die_entry(Dwarf_Die *fn, Dwarf_Addr addr, Dwarf_Addr *entry)
{
	Dwarf_Addr base, lo, hi, part = 0;
	ptrdiff_t off = 0;
	int got = dwarf_entrypc(fn, entry) == 0, in_part = 0, same = 0;
	int guard = 0;

	while ((off = dwarf_ranges(fn, off, &base, &lo, &hi)) > 0 &&
	       guard++ < 4096) {
		if (!got) {
			*entry = lo;
			got = 1;
		}
		if (addr >= lo && addr < hi) {
			part = lo;
			in_part = 1;
			same = *entry >= lo && *entry < hi;
		}
	}
	if (in_part && !same)
		*entry = part;
	return got ? 0 : -1;
}

static int is_function_tag(int tag)
{
	return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
		tag == DW_TAG_entry_point;
}

#define CU_RANGES_MAX 1000000

static int by_lo(const void *a, const void *b)
{
	const struct cu_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int by_off(const void *a, const void *b)
{
	Dwarf_Off x = *(const Dwarf_Off *)a, y = *(const Dwarf_Off *)b;

	return x < y ? -1 : x > y;
}

/* Builds SES's table of the address ranges of the CUs .debug_aranges
 * does not list, once: libdw before 0.189 finds a CU only through
 * .debug_aranges, which clang does not write, and which a Rust program
 * has only for the parts built elsewhere. Caller holds cache_lock. */
static void cu_table_build(struct session *ses)
{
	Dwarf_Aranges *ar = NULL;
	Dwarf_Off *listed = NULL;
	Dwarf_Die *cu = NULL;
	Dwarf_Addr b;
	size_t nar = 0, nlisted = 0, cap = 0;
	Dwarf *dw = dwfl_module_getdwarf(ses->mod, &b);

	if (!dw)
		goto done;
	if (dwarf_getaranges(dw, &ar, &nar) != 0)
		nar = 0;
	if (nar && (listed = malloc(nar * sizeof *listed)) != NULL) {
		for (size_t i = 0; i < nar; i++) {
			Dwarf_Arange *a = dwarf_onearange(ar, i);
			Dwarf_Off off;

			if (a && dwarf_getarangeinfo(a, NULL, NULL, &off) == 0)
				listed[nlisted++] = off;
		}
		qsort(listed, nlisted, sizeof *listed, by_off);
	}
	while ((cu = dwfl_module_nextcu(ses->mod, cu, &b)) &&
	       ses->ncus < CU_RANGES_MAX) {
		Dwarf_Off off = dwarf_dieoffset(cu);
		Dwarf_Addr base, lo, hi;
		ptrdiff_t at = 0;

		if (nlisted && bsearch(&off, listed, nlisted, sizeof *listed,
				       by_off))
			continue;
		while ((at = dwarf_ranges(cu, at, &base, &lo, &hi)) > 0 &&
		       ses->ncus < CU_RANGES_MAX) {
			if (lo >= hi)
				continue;
			if (ses->ncus == cap) {
				struct cu_range *r = realloc(ses->cus,
					(cap ? cap * 2 : 64) * sizeof *r);

				if (!r)
					goto done;
				ses->cus = r;
				cap = cap ? cap * 2 : 64;
			}
			ses->cus[ses->ncus++] = (struct cu_range){ lo, hi, b,
								   cu };
		}
	}
done:
	free(listed);
	if (ses->ncus)
		qsort(ses->cus, ses->ncus, sizeof *ses->cus, by_lo);
	__atomic_store_n(&ses->cus_state, ses->ncus ? 1 : 2,
			 __ATOMIC_RELEASE);
}

/* The CU holding REL in M, with its bias in *BIAS; NULL when DWARF does
 * not cover REL. libdw's own lookup first; then the ranges of the CUs
 * .debug_aranges leaves out (built on first use, kept with the
 * session). */
static Dwarf_Die *module_cu(struct module *m, Dwarf_Addr rel,
			    Dwarf_Addr *bias)
{
	Dwarf_Die *cu = dwfl_module_addrdie(m->mod, rel, bias);
	struct session *ses = m->ses;
	size_t lo = 0, hi;

	if (cu || !ses)
		return cu;
	if (__atomic_load_n(&ses->cus_state, __ATOMIC_ACQUIRE) == 0) {
		pthread_mutex_lock(&cache_lock);
		if (ses->cus_state == 0)
			cu_table_build(ses);
		pthread_mutex_unlock(&cache_lock);
	}
	if (__atomic_load_n(&ses->cus_state, __ATOMIC_ACQUIRE) != 1)
		return NULL;
	/* The last range starting at or before REL; ranges of different
	 * CUs do not overlap in a sane file, and a wrong one is checked. */
	hi = ses->ncus;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ses->cus[mid].lo + ses->cus[mid].bias <= rel)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	lo--;
	if (rel >= ses->cus[lo].hi + ses->cus[lo].bias)
		return NULL;
	*bias = ses->cus[lo].bias;
	return ses->cus[lo].cu;
}

#define WALK_DEPTH 64
#define WALK_VISITS 1000000

/* DIEs a function definition may be nested in without an address of
 * their own. */
static int holds_definitions(int tag)
{
	return tag == DW_TAG_namespace || tag == DW_TAG_module ||
	       tag == DW_TAG_structure_type || tag == DW_TAG_class_type ||
	       tag == DW_TAG_union_type || tag == DW_TAG_interface_type ||
	       tag == DW_TAG_enumeration_type;
}

/* dwarf_getscopes descends only into DIEs that hold the PC, so it never
 * finds a function defined inside a namespace: Rust puts every function
 * there (GCC and clang put C++ definitions at the unit's top level).
 * Walks CU through namespaces and types to the subprogram holding PC
 * (*PHYS), then down its blocks to the inlined instances holding PC:
 * LEVELS gets them innermost first, at most CAP. Returns how many, or
 * -1 when no function holds PC. Bounded in depth and visits. */
static int walk_function(Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die *phys,
			 Dwarf_Die *levels, int cap)
{
	Dwarf_Die stack[WALK_DEPTH], chain[WALK_DEPTH], ch;
	int depth = 1, visits = 0, n = 0;

	if (dwarf_child(cu, &stack[0]) != 0)
		return -1;
	while (depth > 0 && visits++ < WALK_VISITS) {
		Dwarf_Die *d = &stack[depth - 1];
		int tag = dwarf_tag(d);

		if (tag == DW_TAG_subprogram && dwarf_haspc(d, pc) > 0) {
			*phys = *d;
			break;
		}
		if (holds_definitions(tag) && depth < WALK_DEPTH &&
		    dwarf_child(d, &ch) == 0) {
			stack[depth++] = ch;
			continue;
		}
		while (depth > 0 &&
		       dwarf_siblingof(&stack[depth - 1], &stack[depth - 1]) != 0)
			depth--;
	}
	if (depth == 0 || visits > WALK_VISITS)
		return -1;
	/* Down from the function: each level the child holding PC. */
	for (Dwarf_Die at = *phys; n < WALK_DEPTH;) {
		int more = dwarf_child(&at, &ch) == 0, got = 0;

		while (more && visits++ < WALK_VISITS) {
			int tag = dwarf_tag(&ch);

			if ((tag == DW_TAG_lexical_block ||
			     tag == DW_TAG_inlined_subroutine) &&
			    dwarf_haspc(&ch, pc) > 0) {
				got = 1;
				break;
			}
			more = dwarf_siblingof(&ch, &ch) == 0;
		}
		if (!got)
			break;
		if (dwarf_tag(&ch) == DW_TAG_inlined_subroutine)
			chain[n++] = ch;
		at = ch;
	}
	/* Innermost first; past the cap, the innermost levels. */
	for (int i = 0; i < n && i < cap; i++)
		levels[i] = chain[n - 1 - i];
	return n < cap ? n : cap;
}

/* Adds the DWARF frames of PC (one per inline level). Returns the number
 * added, 0 when DWARF does not cover PC, or -1 when out of room. */
static int dwarf_frames(struct module *m, uint64_t pc, uint64_t rel,
			size_t idx, struct tm__symframes *f)
{
	Dwarf_Die *scopes = NULL, levels[TM__SYMBOLIZE_INLINE_MAX], phys;
	Dwarf_Addr dbias, entry;
	Dwarf_Files *files = NULL;
	const char *debugfile = NULL, *mainfile = NULL;
	Dwfl_Line *dl;
	Dwarf_Die *cu = module_cu(m, rel, &dbias);
	int nscopes, nlev = 0, i, line = 0, added = 0, found = 0, hops = 0;
	const char *file = NULL;

	if (!cu)
		return 0;
	nscopes = dwarf_getscopes(cu, rel - dbias, &scopes);
	i = 0;
	while (i < nscopes && !found && hops++ < 256) {
		Dwarf_Die die = scopes[i];
		int tag = dwarf_tag(&die);

		if (!is_function_tag(tag)) {
			i++;
			continue;
		}
		if (tag != DW_TAG_inlined_subroutine) {
			phys = die;
			found = 1;
			break;
		}
		/* Past the cap, keep the innermost levels. */
		if (nlev < TM__SYMBOLIZE_INLINE_MAX - 1)
			levels[nlev++] = die;
		/* dwarf_getscopes continues an inlined instance with its
		 * abstract definition's scopes; the caller is found from the
		 * concrete DIE instead. */
		free(scopes);
		scopes = NULL;
		nscopes = dwarf_getscopes_die(&die, &scopes);
		i = 1;
	}
	if (!found && nscopes <= 0) {
		nlev = walk_function(cu, rel - dbias, &phys, levels,
				     TM__SYMBOLIZE_INLINE_MAX - 1);
		found = nlev >= 0;
		if (!found)
			nlev = 0;
	}
	if (!found || die_entry(&phys, rel - dbias, &entry) != 0) {
		free(scopes);
		return 0;
	}
	levels[nlev++] = phys;
	(void)dwarf_getsrcfiles(cu, &files, NULL);
	dl = dwfl_module_getsrc(m->mod, rel);
	if (dl) {
		file = dwfl_lineinfo(dl, NULL, &line, NULL, NULL, NULL);
	} else {
		/* libdw's lookup needs .debug_aranges too: the CU's own
		 * line table. */
		Dwarf_Line *l = dwarf_getsrc_die(cu, rel - dbias);

		if (l && dwarf_lineno(l, &line) == 0)
			file = dwarf_linesrc(l, NULL, NULL);
	}
	dwfl_module_info(m->mod, NULL, NULL, NULL, NULL, NULL, &mainfile,
			 &debugfile);
	for (i = 0; i < nlev; i++) {
		long k = add_frame(f);
		struct tm__frame_info *inf;
		int decl = 0;

		if (k < 0) {
			free(scopes);
			return -1;
		}
		inf = &f->info[k];
		inf->pc = pc;
		inf->pc_index = idx;
		inf->source = TM__SYM_DWARF;
		inf->is_inlined = i < nlev - 1;
		inf->function = die_name(&levels[i]);
		inf->module = strdup(m->name);
		inf->module_path = strdup(m->path);
		inf->debug_file = dup_or_null(debugfile ? debugfile : mainfile);
		inf->module_changed = m->changed;
		inf->line = line;
		inf->file = dup_or_null(file);
		f->frames[k].offset = rel - dbias - entry;
		if (line > 0 && dwarf_decl_line(&levels[i], &decl) == 0) {
			f->frames[k].has_line = 1;
			f->frames[k].line_offset = (long)line - decl;
		}
		added++;
		/* The next outer level is at this level's call site. */
		if (i < nlev - 1) {
			Dwarf_Attribute a;
			Dwarf_Word w = 0;

			line = 0;
			file = NULL;
			if (dwarf_attr(&levels[i], DW_AT_call_line, &a) &&
			    dwarf_formudata(&a, &w) == 0 && w < INT_MAX)
				line = (int)w;
			if (files &&
			    dwarf_attr(&levels[i], DW_AT_call_file, &a) &&
			    dwarf_formudata(&a, &w) == 0)
				file = dwarf_filesrc(files, w, NULL, NULL);
		}
	}
	free(scopes);
	return added;
}

/* Whether M's names come from a .symtab (in the file or its debug file)
 * or only from .dynsym. */
static int has_symtab(struct module *m)
{
	Dwarf_Addr b;
	Elf *elfs[2] = { NULL, NULL };
	Dwarf *dw;

	if (m->symtab >= 0)
		return m->symtab;
	m->symtab = 0;
	elfs[0] = dwfl_module_getelf(m->mod, &b);
	dw = dwfl_module_getdwarf(m->mod, &b);
	elfs[1] = dw ? dwarf_getelf(dw) : NULL;
	for (int i = 0; i < 2 && !m->symtab; i++) {
		Elf_Scn *scn = NULL;

		while (elfs[i] && (scn = elf_nextscn(elfs[i], scn))) {
			GElf_Shdr sh;

			if (gelf_getshdr(scn, &sh) &&
			    sh.sh_type == SHT_SYMTAB) {
				m->symtab = 1;
				break;
			}
		}
	}
	return m->symtab;
}

/* Whether PCs of M go through the persistent cache; reads M's cache
 * file on first use. */
static int disk_usable(const struct tm__symbolizer *s, struct module *m)
{
	if (!s->cache_dir || !m || !m->mod || !m->id_len || m->changed ||
	    m->disk_state < 0)
		return 0;
	if (m->disk_state == 0) {
		int r = tm__symcache_load(s->cache_dir, m->id, m->id_len,
					  &m->disk, &m->disk_len);

		/* No file yet is an empty cache; anything else (a
		 * directory, a symlink, an unreadable file) is not used. */
		m->disk_state = r == 0 || r == -ENOENT ? 1 : -1;
	}
	return m->disk_state > 0;
}

static int file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Whether ELF has a section named NAME (headers only, bounded). Sets
 * *SCN to it when SCN is not NULL. */
static int has_section(Elf *elf, const char *name, Elf_Scn **found)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx, guard = 0;

	if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
		return 0;
	while ((scn = elf_nextscn(elf, scn)) && guard++ < 65536) {
		GElf_Shdr sh;
		const char *n;

		if (!gelf_getshdr(scn, &sh))
			continue;
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (n && strcmp(n, name) == 0) {
			if (found)
				*found = scn;
			return 1;
		}
	}
	return 0;
}

/* Whether any absolute directory DIR of the debuginfo path, joined with
 * MID and NAME, is a file. */
static int in_debug_dirs(const char *dirs, const char *mid,
			 const char *name)
{
	char path[PATH_MAX];
	const char *d = dirs;

	while (d && *d) {
		size_t len = strcspn(d, ":");

		if (*d == '/' && snprintf(path, sizeof path, "%.*s%s/%s",
					  (int)len, d, mid, name) <
		    (int)sizeof path && file_exists(path))
			return 1;
		d += len;
		d += *d == ':';
	}
	return 0;
}

/* Whether debug info for M could be found now, without loading it
 * (cheap: section headers and a few stats): DWARF in the module file, a
 * separate file by build-id in the debuginfo path, or by debug link.
 * Mirrors where libdwfl looks (tm__symbolize_find_debuginfo). */
static int module_has_debug(struct module *m)
{
	char hex[2 * BUILD_ID_MAX + 8], dir[PATH_MAX], link[256];
	Elf_Scn *scn = NULL;
	Elf_Data *data;
	char *dirs;
	Dwarf_Addr b;
	Elf *elf;
	int found = 0;

	if (m->has_debug >= 0)
		return m->has_debug;
	elf = dwfl_module_getelf(m->mod, &b);
	dirs = debug_path(m->cls == TM__MOD_SYSTEM);
	if (has_section(elf, ".debug_info", NULL) ||
	    has_section(elf, ".zdebug_info", NULL) || !dirs) {
		found = 1; /* or unknown: trust DWARF, not the cache */
		goto out;
	}
	for (size_t i = 0; i < m->id_len; i++)
		sprintf(hex + 2 * i + (i > 0), "%02x%s", m->id[i],
			i == 0 ? "/" : "");
	if (m->id_len > 1 && strlen(hex) + 6 < sizeof hex) {
		strcat(hex, ".debug");
		found = in_debug_dirs(dirs, "/.build-id", hex);
	}
	if (!found && has_section(elf, ".gnu_debuglink", &scn) &&
	    (data = elf_getdata(scn, NULL)) && data->d_buf &&
	    data->d_size > 0) {
		size_t n = strnlen(data->d_buf, data->d_size);
		const char *slash = strrchr(m->path, '/');

		if (n > 0 && n < sizeof link && slash &&
		    !memchr(data->d_buf, '/', n)) {
			memcpy(link, data->d_buf, n);
			link[n] = 0;
			snprintf(dir, sizeof dir, "%.*s",
				 (int)(slash - m->path), m->path);
			found = in_debug_dirs(dirs, dir, link);
			if (!found) {
				char p[PATH_MAX];

				found = (snprintf(p, sizeof p, "%s/%s", dir,
						  link) < (int)sizeof p &&
					 strcmp(p, m->path) != 0 &&
					 file_exists(p)) ||
					(snprintf(p, sizeof p, "%s/.debug/%s",
						  dir, link) < (int)sizeof p &&
					 file_exists(p));
			}
		}
	}
out:
	free(dirs);
	m->has_debug = found;
	return found;
}

static char *dup_n(const char *s, size_t n)
{
	return s ? strndup(s, n) : NULL;
}

/* Whether cached frame CF was named from a file of the system debug
 * directory (/usr/lib/debug). */
static int from_system_debug(const struct tm__symcache_frame *cf)
{
	static const char dir[] = "/usr/lib/debug/";

	return cf->debug_file && cf->debug_file_len >= sizeof dir - 1 &&
		memcmp(cf->debug_file, dir, sizeof dir - 1) == 0;
}

/* Adds the cached frames of module-relative address REL of M. Returns
 * the number added, 0 when not cached, -1 when out of room. */
static int disk_frames(struct module *m, uint64_t pc, uint64_t rel,
		       size_t idx, struct tm__symframes *f)
{
	struct tm__symcache_hit hit;
	struct tm__symcache_frame cf;
	int added = 0;

	if (tm__symcache_find(m->disk, m->disk_len,
			      tm__symcache_ident(m->path, m->inode), rel,
			      &hit) != 0)
		return 0;
	/* A name made while no debug info could be found for the module
	 * is not reused once some can: debug info installed since must
	 * win. Anything made with debug info at hand is kept even when the
	 * debug info is gone (that is the cache's point). */
	if (tm__symcache_next(&hit, &cf) != 0 ||
	    (cf.source != TM__SYM_DWARF && !hit.had_debug &&
	     module_has_debug(m)))
		return 0;
	/* The program's own modules take +N only from debug info shipped
	 * with the program (rule v2): a name an older tmwatch made from a
	 * system debug package is made again. */
	if (m->cls != TM__MOD_SYSTEM && from_system_debug(&cf))
		return 0;
	tm__symcache_rewind(&hit);
	while (tm__symcache_next(&hit, &cf) == 0) {
		long k = add_frame(f);
		struct tm__frame_info *inf;

		if (k < 0)
			return -1;
		inf = &f->info[k];
		inf->pc = pc;
		inf->pc_index = idx;
		inf->source = cf.source;
		inf->is_inlined = cf.is_inlined;
		inf->line = cf.line;
		inf->file = dup_n(cf.file, cf.file_len);
		inf->function = dup_n(cf.function, cf.function_len);
		inf->debug_file = dup_n(cf.debug_file, cf.debug_file_len);
		inf->module = strdup(m->name);
		inf->module_path = strdup(m->path);
		inf->module_changed = m->changed;
		f->frames[k].offset = cf.offset;
		f->frames[k].has_line = cf.has_line;
		f->frames[k].line_offset = cf.line_offset;
		added++;
	}
	return added;
}

/* Records frames FIRST..f->n of M's address REL in the persistent cache
 * and in M's copy of it (so that a recursion's repeated PC is looked up
 * once). Best effort: a full or unwritable cache stops appending for M. */
static void disk_add(const struct tm__symbolizer *s, struct module *m,
		     uint64_t rel, const struct tm__symframes *f,
		     size_t first)
{
	unsigned char *rec = malloc(TM__SYMCACHE_RECORD_MAX), *grown;
	long len = -ENOMEM;

	if (rec)
		len = tm__symcache_encode(tm__symcache_ident(m->path,
							     m->inode),
					  rel, f->frames + first,
					  f->info + first, f->n - first,
					  module_has_debug(m), rec,
					  TM__SYMCACHE_RECORD_MAX);
	if (len <= 0) {
		free(rec);
		return;
	}
	if (m->disk_len + (size_t)len <= TM__SYMCACHE_FILE_MAX) {
		grown = realloc(m->disk, m->disk_len + (size_t)len);
		if (grown) {
			memcpy(grown + m->disk_len, rec, (size_t)len);
			m->disk = grown;
			m->disk_len += (size_t)len;
		}
	}
	if (tm__symcache_append(s->cache_dir, m->id, m->id_len, rec,
				(size_t)len) != 0)
		m->disk_state = -1;
	free(rec);
}

/* Whether name A reads better than B among aliases: no leading '_',
 * then shorter, then smaller (as modclass.c chooses). */
static int better_alias(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if ((a[0] == '_') != (b[0] == '_'))
		return b[0] == '_';
	return la != lb ? la < lb : strcmp(a, b) < 0;
}

/* Finds, once per module, the IFUNC implementations the process chose
 * in an own module: each R_*_IRELATIVE relocation names a resolver (an
 * STT_GNU_IFUNC .symtab symbol: the public name) and a GOT slot, which
 * holds the implementation the resolver picked for this CPU. */
static void find_impls(struct tm__symbolizer *s, struct module *m)
{
#if defined(__x86_64__)
	const unsigned irelative = R_X86_64_IRELATIVE;
#elif defined(__aarch64__)
	const unsigned irelative = R_AARCH64_IRELATIVE;
#else
	const unsigned irelative = 0;
#endif
	Elf_Scn *scn = NULL, *symscn = NULL;
	Elf_Data *symdata = NULL;
	GElf_Shdr symsh = { 0 };
	size_t guard = 0, nsyms = 0, cap = 0;
	Dwarf_Addr b;
	Elf *elf;

	m->impls_state = 1;
	if (!irelative || !m->mod ||
	    !(elf = dwfl_module_getelf(m->mod, &b)))
		return;
	while ((scn = elf_nextscn(elf, scn)) && guard++ < 65536) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB &&
		    sh.sh_entsize) {
			symscn = scn;
			symsh = sh;
			symdata = elf_getdata(scn, NULL);
			nsyms = sh.sh_size / sh.sh_entsize;
		}
	}
	if (!symscn || !symdata)
		return;
	scn = NULL;
	guard = 0;
	while ((scn = elf_nextscn(elf, scn)) && guard++ < 65536) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA ||
		    !sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
			continue;
		n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < n && i < 65536; i++) {
			GElf_Rela r;
			uint64_t slot;
			const char *name = NULL;

			if (!gelf_getrela(data, (int)i, &r) ||
			    GELF_R_TYPE(r.r_info) != irelative ||
			    read_mem(s->pid, m->bias + r.r_offset, &slot,
				     sizeof slot) != 0 || slot < m->bias)
				continue;
			for (size_t k = 1; k < nsyms && k < 1000000; k++) {
				GElf_Sym sym;
				const char *nm;

				if (!gelf_getsym(symdata, (int)k, &sym) ||
				    GELF_ST_TYPE(sym.st_info) != STT_GNU_IFUNC ||
				    sym.st_value != (GElf_Addr)r.r_addend)
					continue;
				nm = elf_strptr(elf, symsh.sh_link,
						sym.st_name);
				if (nm && *nm && (!name ||
						  better_alias(nm, name)))
					name = nm;
			}
			if (!name)
				continue;
			if (m->nimpls == cap) {
				size_t c = cap ? cap * 2 : 64;
				struct impl *p = realloc(m->impls,
							 c * sizeof *p);

				if (!p)
					return;
				m->impls = p;
				cap = c;
			}
			m->impls[m->nimpls].entry = slot - m->bias;
			m->impls[m->nimpls].name = name;
			m->nimpls++;
		}
	}
}

/* The public name of the IFUNC implementation holding module-relative
 * REL of own module M (strlen for a static executable's __strlen_evex),
 * or NULL: which implementation runs is the CPU's choice, so the frame
 * is named like a system library's, without offset. */
static const char *own_impl(struct tm__symbolizer *s, struct module *m,
			    uint64_t rel)
{
	const char *best = NULL;
	GElf_Off off;
	GElf_Sym gs;

	if (!m->impls_state)
		find_impls(s, m);
	if (!m->nimpls ||
	    !dwfl_module_addrinfo(m->mod, rel, &off, &gs, NULL, NULL, NULL))
		return NULL;
	for (size_t i = 0; i < m->nimpls; i++)
		if (m->impls[i].entry == gs.st_value &&
		    (!best || better_alias(m->impls[i].name, best)))
			best = m->impls[i].name;
	return best;
}

/* Adds the precise frames of PC (DWARF with inline levels, else the
 * nearest symbol, else the module): the counter's frames for the
 * program's own modules, the local log's detail for system libraries. */
static int precise_pc(struct tm__symbolizer *s, struct module *m, uint64_t pc,
		      size_t idx, struct tm__symframes *f)
{
	struct tm__frame_info *inf;
	const char *sym = NULL, *mainfile = NULL;
	char buf[TM__SYMBOLIZE_NAME_MAX];
	GElf_Off off = 0;
	GElf_Sym gs;
	size_t first = f->n;
	int disk;
	long k;
	int r;

	if (m && m->mod && m->cls != TM__MOD_SYSTEM &&
	    (sym = own_impl(s, m, pc - m->bias))) {
		k = add_frame(f);
		if (k < 0)
			return -1;
		inf = &f->info[k];
		inf->pc = pc;
		inf->pc_index = idx;
		inf->source = TM__SYM_SYMTAB;
		inf->function = strdup(sym);
		inf->module = strdup(m->name);
		inf->module_path = strdup(m->path);
		inf->module_changed = m->changed;
		f->frames[k].is_system = 1; /* the line has no offset */
		return 0;
	}
	disk = disk_usable(s, m);
	if (disk) {
		r = disk_frames(m, pc, pc - m->bias, idx, f);
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
	if (m && m->mod) {
		uint64_t rel = pc - m->bias;

		r = dwarf_frames(m, pc, rel, idx, f);
		if (r > 0 && disk)
			disk_add(s, m, rel, f, first);
		if (r != 0)
			return r < 0 ? -1 : 0;
		sym = dwfl_module_addrinfo(m->mod, rel, &off, &gs, NULL,
					   NULL, NULL);
		dwfl_module_info(m->mod, NULL, NULL, NULL, NULL, NULL,
				 &mainfile, NULL);
	}
	k = add_frame(f);
	if (k < 0)
		return -1;
	inf = &f->info[k];
	inf->pc = pc;
	inf->pc_index = idx;
	if (!m)
		return 0; /* TM__SYM_NONE: no name, no offset (an address) */
	inf->module = strdup(m->name);
	inf->module_path = strdup(m->path);
	inf->module_changed = m->changed;
	if (sym && tm__demangle_name(sym, buf, sizeof buf) != 0 && buf[0]) {
		inf->source = has_symtab(m) ? TM__SYM_SYMTAB : TM__SYM_DYNSYM;
		inf->function = strdup(buf);
		inf->debug_file = dup_or_null(mainfile);
		f->frames[k].offset = off;
	} else {
		inf->source = TM__SYM_MODULE;
		f->frames[k].offset = pc - m->bias;
	}
	if (disk && m->mod)
		disk_add(s, m, pc - m->bias, f, first);
	return 0;
}

/* Reads, once per session (so once per watchdog for a kept one), the
 * soname and exported names of system library M's file. */
static void session_names(struct module *m)
{
	struct session *ses = m->ses;
	Dwarf_Addr b;
	Elf *elf;

	if (ses->cached)
		pthread_mutex_lock(&cache_lock);
	if (!ses->names_state) {
		ses->names_state = 1;
		elf = dwfl_module_getelf(ses->mod, &b);
		tm__modclass_soname(elf, m->name, ses->soname,
				    sizeof ses->soname);
		if (elf)
			ses->names = tm__modclass_names_load(elf, m->id,
							     m->id_len);
	}
	if (ses->cached)
		pthread_mutex_unlock(&cache_lock);
}

/* Adds the one counter frame of a PC in system library M: the public
 * name its own .dynsym gives (IFUNC implementations folded), else the
 * soname alone; no offset, no debug info (modclass.h). */
static int system_pc(struct module *m, uint64_t pc, size_t idx,
		     struct tm__symframes *f)
{
	struct tm__frame_info *inf;
	const char *name = NULL, *soname = m->name;
	char buf[TM__SYMBOLIZE_NAME_MAX];
	Dwarf_Addr b;
	long k;

	if (m->ses && m->mod) {
		session_names(m);
		if (m->ses->soname[0])
			soname = m->ses->soname;
		if (m->ses->names)
			name = tm__modclass_names_lookup(m->ses->names,
						   dwfl_module_getelf(m->mod,
								      &b),
						   pc - m->bias);
	}
	if (name && tm__demangle_name(name, buf, sizeof buf) != 0 && buf[0])
		name = buf;
	k = add_frame(f);
	if (k < 0)
		return -1;
	inf = &f->info[k];
	inf->pc = pc;
	inf->pc_index = idx;
	inf->source = name ? TM__SYM_DYNSYM : TM__SYM_MODULE;
	inf->function = name ? strdup(name) : NULL;
	inf->module = strdup(soname);
	inf->module_path = strdup(m->path);
	inf->module_changed = m->changed;
	f->frames[k].is_system = 1;
	return 0;
}

static int one_pc(struct tm__symbolizer *s, uint64_t pc, size_t idx,
		  struct tm__symframes *f)
{
	struct module *m = (struct module *)module_at(s, pc);

	if (m && m->cls == TM__MOD_SYSTEM)
		return system_pc(m, pc, idx, f);
	return precise_pc(s, m, pc, idx, f);
}

static void point_strings(struct tm__symframes *f);

int tm__symbolize_pcs(struct tm__symbolizer *s, const uint64_t *pcs,
		      const unsigned char *is_exact, size_t n,
		      struct tm__symframes *out)
{
	int r = 0;

	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < n; i++) {
		int exact = is_exact ? is_exact[i] : i == 0;
		uint64_t pc = exact || pcs[i] == 0 ? pcs[i] : pcs[i] - 1;

		if (one_pc(s, pc, i, out) != 0) {
			r = out->n >= TM__SYMBOLIZE_FRAMES_MAX ? -E2BIG :
				-ENOMEM;
			break;
		}
	}
	/* Point the frames at their strings only now: the arrays moved
	 * while growing, the strings did not. */
	point_strings(out);
	return r;
}

static void point_strings(struct tm__symframes *f)
{
	for (size_t i = 0; i < f->n; i++) {
		f->frames[i].function = f->info[i].function;
		f->frames[i].module = f->info[i].module;
	}
}

int tm__symbolize_detail(struct tm__symbolizer *s, struct tm__symframes *f)
{
	struct tm__symframes g = { 0 };
	int r = 0;

	for (size_t i = 0; i < f->n; i++) {
		struct module *m;
		size_t first;
		long k = add_frame(&g);

		if (k < 0) {
			r = -ENOMEM;
			break;
		}
		/* Moved: the strings now belong to G. */
		g.frames[k] = f->frames[i];
		g.info[k] = f->info[i];
		memset(&f->info[i], 0, sizeof f->info[i]);
		if (!g.frames[k].is_system || g.frames[k].detail_only)
			continue;
		m = (struct module *)module_at(s, g.info[k].pc);
		if (!m || m->cls != TM__MOD_SYSTEM)
			continue;
		first = g.n;
		if (precise_pc(s, m, g.info[k].pc, g.info[k].pc_index,
			       &g) != 0) {
			r = -ENOMEM;
			break;
		}
		for (size_t j = first; j < g.n; j++)
			g.frames[j].detail_only = 1;
	}
	tm__symframes_free(f);
	point_strings(&g);
	*f = g;
	return r;
}

void tm__symframes_free(struct tm__symframes *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->info[i].file);
		free(f->info[i].function);
		free(f->info[i].module);
		free(f->info[i].module_path);
		free(f->info[i].debug_file);
	}
	free(f->frames);
	free(f->info);
	memset(f, 0, sizeof *f);
}

const char *tm__symbolize_source_name(enum tm__sym_source src)
{
	switch (src) {
	case TM__SYM_DWARF:
		return "dwarf";
	case TM__SYM_SYMTAB:
		return "symtab";
	case TM__SYM_DYNSYM:
		return "dynsym";
	case TM__SYM_MODULE:
		return "module";
	default:
		return "none";
	}
}
