/* SPDX-License-Identifier: MIT */
/* unwind.c -- unwinds a crashed thread from its record (DESIGN §5.1).
 *
 * libunwind's remote API with accessors of our own: registers from the
 * record (already the faulting context: the handler copied it from the
 * ucontext, so there is no signal trampoline of ours above the first
 * frame; the program's own handler may still be there, see
 * "Signal frames" below),
 * memory from the waiting child with process_vm_readv (the record's stack
 * copy when refused), unwind tables from the child's memory too (each
 * module's .eh_frame_hdr, searched by libunwind), libunwind-ptrace (the
 * pid and the module files, not ptrace) only for a module without one.
 * libdw's unwinder is the fallback when libunwind gives fewer than two
 * frames. Names never come from here (symbolize does that). Never
 * prints; single-threaded: the accessors find their state through one
 * static pointer, because _UPT_find_proc_info hands libunwind its own
 * argument, not ours.
 */
#define _GNU_SOURCE
#include "unwind.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <signal.h>
#include <libunwind-ptrace.h>
#include <libunwind.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "symbolize.h"
#include "tmwatch/common.h"

#define PAGE 4096u
#define CACHE_SLOTS 64
#define EXEC_MAX 4096

/* DWARF register numbers of the stack and program counter, and the
 * return address register where the ABI has one (record.h). */
#if defined(__x86_64__)
#define ARCH_OURS TM_RECORD_ARCH_X86_64
#define REG_SPN 7
#define REG_PCN 16
#define REG_LRN (-1)
#define NREGS_DWFL 17
#elif defined(__aarch64__)
#define ARCH_OURS TM_RECORD_ARCH_AARCH64
#define REG_SPN 31
#define REG_PCN 32
#define REG_LRN 30
#define NREGS_DWFL 32
#else
#error "unwind.c: add this architecture's register numbers"
#endif

struct page {
	uint64_t addr;		/* page address + 1; 0 = empty slot */
	unsigned char bytes[PAGE];
};

struct range {
	uint64_t start, end;
	uint64_t base;	/* where its file's offset 0 is mapped, or 0 */
	int is_unsafe;	/* its path is not the regular file mapped there */
};

struct ctx {
	const struct record *rec;
	pid_t pid;
	uint64_t regs[TM_RECORD_NREGS];
	void *upt;
	struct page *cache;	/* CACHE_SLOTS pages */
	struct range *exec;	/* executable mappings of the child */
	size_t nexec;
	int has_deleted;	/* a module file is gone from disk */
	int used_copy;
	uint64_t sigpanic_lo;	/* Go's runtime.sigpanic, or 0 */
	uint64_t sigpanic_hi;
	int has_injected;	/* injected[] holds a frame to restart at */
	uint64_t injected[TM_RECORD_NREGS];
};

static struct ctx *cur;

/* libunwind-ptrace's _UPT_find_proc_info opens a module by the path
 * /proc/PID/maps shows (directly or under /proc/PID/root, depending on
 * the libunwind version), blocking. The process may have deleted its
 * file and put a FIFO there (the path then ends in " (deleted)", which is
 * a name too), which would hang us, or a device. So a module is handed to
 * libunwind only while both spellings name a regular file with the
 * mapping's inode (LINE is a maps line); devices are not compared, as
 * btrfs and overlayfs report other ones in maps. Only modules whose
 * unwind table is not in memory get that far (acc_find_proc_info); for
 * them a race with a process renaming files between this check and
 * libunwind's open is left (docs/security.md §10). */
static int is_mapped_file(const char *path, unsigned long long ino,
			  int may_deny)
{
	struct stat st;

	if (stat(path, &st) != 0)
		/* /proc/PID/root of a non-dumpable process is closed to an
		 * unprivileged watchdog; libunwind then cannot use it either. */
		return may_deny && (errno == EACCES || errno == EPERM);
	return S_ISREG(st.st_mode) && (unsigned long long)st.st_ino == ino;
}

static int path_is_mapped_file(pid_t pid, const char *line)
{
	unsigned long long ino;
	const char *path = strchr(line, '/');
	char buf[4096], root[4200];
	size_t n;

	if (!path || sscanf(line, "%*s %*s %*s %*s %llu", &ino) != 1)
		return 0;
	n = strcspn(path, "\n");
	if (n >= sizeof buf)
		return 0;
	memcpy(buf, path, n);
	buf[n] = 0;
	snprintf(root, sizeof root, "/proc/%d/root%s", (int)pid, buf);
	return is_mapped_file(buf, ino, 0) && is_mapped_file(root, ino, 1);
}

/* Reads the executable mappings of PID: a PC outside all of them is a
 * wild jump, not code. Each one's base is where its load of the file
 * starts: a mapping at file offset 0 that does not continue the one
 * before it. (lld packs small segments into one file page, so every
 * mapping of a small program can be at offset 0; they follow each other
 * without a gap, which a second load of the same file does not.) An
 * anonymous ELF such as the vDSO is its own base. */
static void read_exec_ranges(struct ctx *c)
{
	char path[64], line[512];
	unsigned long long base = 0, base_dev = 0, base_ino = 0;
	unsigned long long prev_dev = 0, prev_ino = 0, prev_end = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/maps", (int)c->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof line, f) && c->nexec < EXEC_MAX) {
		unsigned long long s, e, off, ino, dev;
		unsigned maj, min;
		char perms[5];
		struct range *r;
		int goes_on;

		if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu", &s, &e,
			   perms, &off, &maj, &min, &ino) != 7)
			continue;
		dev = ((unsigned long long)maj << 32) | min;
		goes_on = ino != 0 && dev == prev_dev && ino == prev_ino &&
			  s == prev_end;
		if (ino != 0 && off == 0 && !goes_on) {
			base = s;
			base_dev = dev;
			base_ino = ino;
		}
		prev_dev = dev;
		prev_ino = ino;
		prev_end = e;
		if (perms[2] != 'x')
			continue;
		if (strstr(line, " (deleted)\n"))
			c->has_deleted = 1;
		r = realloc(c->exec, (c->nexec + 1) * sizeof *r);
		if (!r)
			break;
		c->exec = r;
		r = &c->exec[c->nexec];
		r->start = s;
		r->end = e;
		if (ino == 0)
			r->base = off == 0 ? s : 0;
		else
			r->base = dev == base_dev && ino == base_ino ? base : 0;
		r->is_unsafe = !path_is_mapped_file(c->pid, line);
		c->nexec++;
	}
	fclose(f);
}

static int is_code(const struct ctx *c, uint64_t pc)
{
	/* Without a table (maps unreadable) every PC may be code. */
	if (c->nexec == 0)
		return 1;
	for (size_t i = 0; i < c->nexec; i++)
		if (pc >= c->exec[i].start && pc < c->exec[i].end)
			return 1;
	return 0;
}

/* Reads one 8-byte word: the child's memory (one cached page per
 * process_vm_readv), else the record's stack copy. 0 or -1. */
static int read_word(struct ctx *c, uint64_t addr, uint64_t *val)
{
	uint64_t pg = addr & ~(uint64_t)(PAGE - 1);
	size_t off = addr - pg;
	const struct record *rec = c->rec;

	if (off <= PAGE - 8) {
		struct page *p = &c->cache[(pg / PAGE) % CACHE_SLOTS];

		if (p->addr != pg + 1) {
			struct iovec l = { p->bytes, PAGE };
			struct iovec r = { (void *)(uintptr_t)pg, PAGE };

			p->addr = process_vm_readv(c->pid, &l, 1, &r, 1, 0) ==
				(ssize_t)PAGE ? pg + 1 : 0;
		}
		if (p->addr == pg + 1) {
			memcpy(val, p->bytes + off, 8);
			return 0;
		}
	} else {
		struct iovec l = { val, 8 };
		struct iovec r = { (void *)(uintptr_t)addr, 8 };

		if (process_vm_readv(c->pid, &l, 1, &r, 1, 0) == 8)
			return 0;
	}
	if (rec->stack && addr >= rec->hdr.stack_addr &&
	    addr - rec->hdr.stack_addr <= rec->stack_len &&
	    rec->stack_len - (addr - rec->hdr.stack_addr) >= 8) {
		memcpy(val, rec->stack + (addr - rec->hdr.stack_addr), 8);
		c->used_copy = 1;
		return 0;
	}
	return -1;
}

/* libunwind's search over a binary-search table it reads through our
 * accessors (exported by libunwind, declared in no public header). */
extern int UNW_OBJ(dwarf_search_unwind_table)(unw_addr_space_t as,
					      unw_word_t ip,
					      unw_dyn_info_t *di,
					      unw_proc_info_t *pi,
					      int need_unwind_info, void *arg);

/* Reads LEN bytes at ADDR of the child. 0 or -1. */
static int read_child(const struct ctx *c, uint64_t addr, void *buf,
		      size_t len)
{
	struct iovec l = { buf, len };
	struct iovec r = { (void *)(uintptr_t)addr, len };

	return process_vm_readv(c->pid, &l, 1, &r, 1, 0) == (ssize_t)len ?
		0 : -1;
}

/* Fills *DI with the .eh_frame_hdr search table of the module mapped at
 * R, read from the child's memory: its ELF header and program headers at
 * R->base, then PT_GNU_EH_FRAME. Only the table layout every Linux
 * toolchain writes (udata4 count, datarel sdata4 pairs) is taken; the
 * caller falls back otherwise. 0 or -1. */
static int remote_table(const struct ctx *c, const struct range *r,
			unw_dyn_info_t *di)
{
	ElfW(Ehdr) eh;
	ElfW(Phdr) ph[64];
	unsigned char hdr[12];
	uint64_t bias, ehf = 0, vaddr0 = UINT64_MAX;
	uint32_t count;

	if (!r->base || read_child(c, r->base, &eh, sizeof eh) != 0 ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof ph[0] || eh.e_phnum == 0 ||
	    eh.e_phnum > 64 ||
	    read_child(c, r->base + eh.e_phoff, ph,
		       eh.e_phnum * sizeof ph[0]) != 0)
		return -1;
	for (int i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0)
			vaddr0 = ph[i].p_vaddr & ~(uint64_t)(PAGE - 1);
	if (vaddr0 == UINT64_MAX)
		return -1;
	bias = r->base - vaddr0;
	for (int i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_GNU_EH_FRAME)
			ehf = bias + ph[i].p_vaddr;
	/* version 1; eh_frame_ptr any 4-byte form; count udata4; table
	 * datarel|sdata4. */
	if (!ehf || read_child(c, ehf, hdr, sizeof hdr) != 0 || hdr[0] != 1 ||
	    (hdr[1] & 0x0f) != 0x0b || hdr[2] != 0x03 || hdr[3] != 0x3b)
		return -1;
	memcpy(&count, hdr + 8, 4);
	if (count == 0 || count > (1u << 24))
		return -1;
	memset(di, 0, sizeof *di);
	di->format = UNW_INFO_FORMAT_REMOTE_TABLE;
	di->start_ip = r->start;
	di->end_ip = r->end;
	di->u.rti.segbase = ehf;
	di->u.rti.table_data = ehf + sizeof hdr;
	di->u.rti.table_len = (uint64_t)count * 8 / sizeof(unw_word_t);
	return 0;
}

/* Unwind tables come from the child's memory, never from a file opened
 * by name: a process renaming its files between a check and an open
 * could otherwise hand us a FIFO (a blocking open, a hung watchdog) or a
 * device. libunwind-ptrace, which opens the module path /proc/PID/maps
 * shows, is asked only for a module whose table is not in memory in the
 * usual layout, and only while that path is the file mapped there. */
static int acc_find_proc_info(unw_addr_space_t as, unw_word_t ip,
			      unw_proc_info_t *pi, int need, void *arg)
{
	for (size_t i = 0; i < cur->nexec; i++) {
		const struct range *r = &cur->exec[i];
		unw_dyn_info_t di;

		if (ip < r->start || ip >= r->end)
			continue;
		if (remote_table(cur, r, &di) == 0)
			return UNW_OBJ(dwarf_search_unwind_table)(as, ip, &di,
								  pi, need,
								  arg);
		if (r->is_unsafe)
			return -UNW_ENOINFO; /* never let libunwind open it */
		break;
	}
	return _UPT_find_proc_info(as, ip, pi, need, cur->upt);
}

static void acc_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi,
				void *arg)
{
	_UPT_put_unwind_info(as, pi, cur->upt);
}

static int acc_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr,
				      void *arg)
{
	return _UPT_get_dyn_info_list_addr(as, addr, cur->upt);
}

static int acc_access_mem(unw_addr_space_t as, unw_word_t addr,
			  unw_word_t *val, int write, void *arg)
{
	uint64_t v;

	if (write)
		return -UNW_EREADONLYREG;
	if (read_word(cur, addr, &v) != 0)
		return -UNW_EINVAL;
	*val = v;
	return 0;
}

static int acc_access_reg(unw_addr_space_t as, unw_regnum_t reg,
			  unw_word_t *val, int write, void *arg)
{
	/* libunwind's register numbers are the DWARF ones on x86-64 and
	 * AArch64, as are the record's. */
	if (write || reg < 0 || reg >= cur->rec->hdr.nregs ||
	    reg >= TM_RECORD_NREGS)
		return -UNW_EBADREG;
	*val = cur->regs[reg];
	return 0;
}

static int acc_access_fpreg(unw_addr_space_t as, unw_regnum_t reg,
			    unw_fpreg_t *val, int write, void *arg)
{
	return -UNW_EBADREG;
}

static int acc_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	return -UNW_EINVAL;
}

static int acc_get_proc_name(unw_addr_space_t as, unw_word_t addr,
			     char *buf, size_t len, unw_word_t *off,
			     void *arg)
{
	return -UNW_ENOINFO; /* names are symbolize.c's job */
}

static unw_accessors_t accessors = {
	.find_proc_info = acc_find_proc_info,
	.put_unwind_info = acc_put_unwind_info,
	.get_dyn_info_list_addr = acc_get_dyn_info_list_addr,
	.access_mem = acc_access_mem,
	.access_reg = acc_access_reg,
	.access_fpreg = acc_access_fpreg,
	.resume = acc_resume,
	.get_proc_name = acc_get_proc_name,
};

static void push(struct unwind_stack *out, uint64_t pc, uint64_t sp,
		 int exact)
{
	if (out->n == UNWIND_MAX_FRAMES) {
		out->is_truncated = 1;
		return;
	}
	out->pc[out->n] = pc;
	out->sp[out->n] = sp;
	out->is_exact[out->n] = (unsigned char)exact;
	out->n++;
}

/* Go.
 *
 * Go's runtime turns a fault into a call: its handler makes the faulting
 * thread "call" runtime.sigpanic, pushing the faulting PC as the return
 * address (runtime/signal_amd64.go, pushCall). The frame below sigpanic
 * is thus interrupted code, not a call: its PC is exact. When the record
 * is a signal the program sent itself (GOTRACEBACK=crash: the runtime's
 * SIGABRT after its traceback), everything from sigpanic up is the
 * runtime's crash plumbing, and the stack is unwound again from the
 * faulting frame, the way a signal frame is (see "Signal frames"). Only
 * the main executable is searched: Go links its runtime statically.
 */
#define GO_SYMTAB_MAX (1u << 22)

static int has_section(Elf *elf, size_t shstrndx, const char *name)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh)) {
			const char *n = elf_strptr(elf, shstrndx, sh.sh_name);

			if (n && strcmp(n, name) == 0)
				return 1;
		}
	return 0;
}

/* Load bias of the main executable: its offset-0 mapping minus the
 * page of its first PT_LOAD. 0 when unknown. */
static uint64_t exe_bias(struct ctx *c, Elf *elf)
{
	char path[64], exe[4096], line[4600];
	uint64_t vaddr = UINT64_MAX, bias = 0;
	size_t i, n;
	ssize_t len;
	FILE *f;

	if (elf_getphdrnum(elf, &n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    ph.p_vaddr < vaddr)
			vaddr = ph.p_vaddr & ~(uint64_t)(PAGE - 1);
	}
	snprintf(path, sizeof path, "/proc/%d/exe", (int)c->pid);
	len = readlink(path, exe, sizeof exe - 1);
	if (vaddr == UINT64_MAX || len <= 0)
		return 0;
	exe[len] = 0;
	snprintf(path, sizeof path, "/proc/%d/maps", (int)c->pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof line, f)) {
		unsigned long long s, e, off;
		char *p = strchr(line, '/');

		if (!p || sscanf(line, "%llx-%llx %*s %llx", &s, &e, &off) != 3
		    || off != 0)
			continue;
		p[strcspn(p, "\n")] = 0;
		if (strcmp(p, exe) == 0) {
			bias = s - vaddr;
			break;
		}
	}
	if (f)
		fclose(f);
	return bias;
}

/* Finds runtime.sigpanic in the main executable when it is a Go
 * program (.gopclntab or .go.buildinfo), through /proc/PID/exe. */
static void find_go_sigpanic(struct ctx *c)
{
	char path[64];
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Ehdr eh;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/exe", (int)c->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
	    elf_getshdrstrndx(elf, &shstrndx) != 0 ||
	    (!has_section(elf, shstrndx, ".gopclntab") &&
	     !has_section(elf, shstrndx, ".go.buildinfo")))
		goto out;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		n = sh.sh_size / sh.sh_entsize;
		for (i = 0; i < n && i < GO_SYMTAB_MAX; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(d, (int)i, &sym) || !sym.st_size)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name && strcmp(name, "runtime.sigpanic") == 0) {
				uint64_t bias = eh.e_type == ET_DYN ?
					exe_bias(c, elf) : 0;

				if (eh.e_type == ET_DYN && !bias)
					goto out;
				c->sigpanic_lo = sym.st_value + bias;
				c->sigpanic_hi = c->sigpanic_lo + sym.st_size;
				goto out;
			}
		}
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
}

static int is_go_sigpanic(const struct ctx *c, uint64_t ip)
{
	return c->rec->is_sent && ip >= c->sigpanic_lo && ip < c->sigpanic_hi;
}

/* Saves, for a restart, the registers of the frame sigpanic was
 * injected above; CURSOR stands on sigpanic. Go keeps frame pointers
 * (amd64): sigpanic's saved frame pointer and return address (the
 * faulting PC) sit at its RBP, and the faulting frame's SP right above
 * them. (libunwind's SP for Go frames, which have no .eh_frame, is not
 * to be trusted.) Other registers are libunwind's. 0, or -1 when the
 * frame cannot be read. */
static int save_injected(struct ctx *c, unw_cursor_t *cursor)
{
#if defined(__x86_64__)
	unw_word_t v, bp;
	uint64_t pc, caller_bp;

	if (unw_get_reg(cursor, UNW_X86_64_RBP, &bp) != 0 || !bp ||
	    read_word(c, bp + 8, &pc) != 0 || !is_code(c, pc) ||
	    read_word(c, bp, &caller_bp) != 0)
		return -1;
	memset(c->injected, 0, sizeof c->injected);
	for (int r = 0; r < REG_PCN; r++)
		if (unw_get_reg(cursor, r, &v) == 0)
			c->injected[r] = v;
	c->injected[6] = caller_bp;
	c->injected[REG_SPN] = bp + 16;
	c->injected[REG_PCN] = pc;
	c->has_injected = 1;
	return 0;
#else
	(void)c;
	(void)cursor;
	return -1;
#endif
}

/* Returns 1 when libunwind stopped on an error (not at the outermost
 * frame, not at the cap): the stack may go on. */
static int with_libunwind(struct ctx *c, struct unwind_stack *out)
{
	unw_addr_space_t as = unw_create_addr_space(&accessors, 0);
	unw_cursor_t cursor;
	uint64_t last_ip = 0, last_sp = 0;
	int exact = 1, step = -1;

	if (!as)
		return 1;
	if (c->upt && unw_init_remote(&cursor, as, c) == 0) {
		do {
			unw_word_t ip = 0, sp = 0;

			if (unw_get_reg(&cursor, UNW_REG_IP, &ip) != 0 ||
			    unw_get_reg(&cursor, UNW_REG_SP, &sp) != 0)
				break;
			/* A frame that repeats is a loop in bad unwind data;
			 * a PC in no module is garbage past the stack's end. */
			if ((out->n > 0 && ip == last_ip && sp == last_sp) ||
			    ip == 0 || (out->n > 0 && !is_code(c, ip)))
				break;
			push(out, ip, sp, exact);
			last_ip = ip;
			last_sp = sp;
			/* Frames below are return addresses, except below a
			 * signal trampoline: cut_trampolines() sees to those
			 * (unw_is_signal_frame answers for the frame
			 * libunwind last looked up, one late in 1.6). */
			exact = 0;
			if (is_go_sigpanic(c, ip) &&
			    save_injected(c, &cursor) == 0)
				break;
			step = unw_step(&cursor);
		} while (step > 0 && out->n < UNWIND_MAX_FRAMES);
		if (step > 0 && out->n == UNWIND_MAX_FRAMES)
			out->is_truncated = 1;
	}
	unw_destroy_addr_space(as);
	return step < 0;
}

/* libdw's unwinder, over the same registers and memory. */
static pid_t dw_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	if (*thread_argp)
		return 0;
	*thread_argp = arg;
	return cur->pid;
}

static bool dw_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result,
			   void *arg)
{
	uint64_t v;

	if (read_word(cur, addr, &v) != 0)
		return false;
	*result = v;
	return true;
}

static bool dw_set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	Dwarf_Word regs[NREGS_DWFL];

	for (int i = 0; i < NREGS_DWFL; i++)
		regs[i] = cur->regs[i];
	dwfl_thread_state_register_pc(thread, cur->regs[REG_PCN]);
	return dwfl_thread_state_registers(thread, 0, NREGS_DWFL, regs);
}

static const Dwfl_Thread_Callbacks dw_thread_cb = {
	.next_thread = dw_next_thread,
	.memory_read = dw_memory_read,
	.set_initial_registers = dw_set_initial_registers,
};

static int dw_frame(Dwfl_Frame *state, void *arg)
{
	struct unwind_stack *out = arg;
	Dwarf_Addr pc;
	Dwarf_Word sp = 0;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation) || pc == 0 ||
	    (out->n > 0 && !is_code(cur, pc)))
		return DWARF_CB_ABORT;
	(void)dwfl_frame_reg(state, REG_SPN, &sp);
	push(out, pc, sp, activation);
	return out->n < UNWIND_MAX_FRAMES ? DWARF_CB_OK : DWARF_CB_ABORT;
}

static void with_libdw(struct ctx *c, struct unwind_stack *out)
{
	static const Dwfl_Callbacks cb = {
		.find_elf = dwfl_linux_proc_find_elf,
		.find_debuginfo = tm__symbolize_find_debuginfo,
	};
	Dwfl *dwfl = dwfl_begin(&cb);

	if (!dwfl)
		return;
	dwfl_report_begin(dwfl);
	if (dwfl_linux_proc_report(dwfl, c->pid) == 0 &&
	    dwfl_report_end(dwfl, NULL, NULL) == 0 &&
	    dwfl_attach_state(dwfl, NULL, c->pid, &dw_thread_cb, c))
		(void)dwfl_getthread_frames(dwfl, c->pid, dw_frame, out);
	dwfl_end(dwfl);
}

/* Unwinds from C->regs into *OUT (emptied first): the wild-PC restart,
 * libunwind, libdw when libunwind falls short. 0 or -ENOMEM. */
static int unwind_from_regs(struct ctx *c, struct unwind_stack *out)
{
	const char *env;
	size_t base;
	int stopped;

	memset(out, 0, sizeof *out);
	/* A call through a NULL or wild pointer faults with the PC outside
	 * every module: the caller is where the call returns to, in the
	 * link register or on top of the stack (DESIGN §5.1). */
	if (!is_code(c, c->regs[REG_PCN])) {
		uint64_t ra = 0;
		int ok;

		push(out, c->regs[REG_PCN], c->regs[REG_SPN], 1);
		out->is_wild_pc = 1;
		if (REG_LRN >= 0) {
			ra = c->regs[REG_LRN >= 0 ? REG_LRN : 0];
			ok = ra != 0;
		} else {
			ok = read_word(c, c->regs[REG_SPN], &ra) == 0;
			c->regs[REG_SPN] += 8;
		}
		if (!ok || !is_code(c, ra))
			return 0;
		c->regs[REG_PCN] = ra;
	}
	base = out->n;
	/* TMWATCH_UNWINDER=libdw skips libunwind: for tests and for bug
	 * reports where libunwind goes wrong. */
	env = getenv("TMWATCH_UNWINDER");
	stopped = env && strcmp(env, "libdw") == 0 ? 1 :
		with_libunwind(c, out);
	/* libunwind opens modules by path: a deleted one (upgraded while
	 * the program ran) has no unwind tables for it, and it falls back
	 * to frame pointers that end early. */
	stopped |= c->has_deleted;
	if (out->n - base >= 2 && !stopped) {
		out->method = UNWIND_LIBUNWIND;
	} else {
		/* Too short, or stopped on an error (say a module libunwind
		 * cannot open: deleted, replaced): libdw reads such modules
		 * from memory. The longer stack wins. */
		struct unwind_stack *alt = malloc(sizeof *alt);

		if (!alt)
			return -ENOMEM;
		memcpy(alt, out, sizeof *alt);
		alt->n = base;
		alt->is_truncated = 0;
		with_libdw(c, alt);
		if (alt->n - base >= 1 && alt->n > out->n) {
			memcpy(out, alt, sizeof *out);
			out->method = UNWIND_LIBDW;
		} else {
			out->method = out->n - base >= 1 ? UNWIND_LIBUNWIND :
				UNWIND_NONE;
		}
		free(alt);
	}
	if (out->n == base) {
		/* Nothing unwound: still name the faulting PC. */
		push(out, c->regs[REG_PCN], c->regs[REG_SPN], base == 0);
	}
	/* After a wild PC, the restarted frame is a return address. */
	if (out->is_wild_pc && out->n > 1)
		out->is_exact[1] = 0;
	return 0;
}

/* Signal frames.
 *
 * Under the shim this is the fallback: while a program's handler runs,
 * the shim keeps the delivery it handles and records that one when the
 * handler raises or aborts (preload/capture_handler.c, "the crash a
 * handler handles"), so the record is already the fault (or, for Go,
 * the first SIGABRT, whose registers lead through runtime.sigpanic).
 * What follows covers handlers the shim did not run: installed behind
 * its interposers, library mode's after tm_crash_monitor_start, more
 * nested than it keeps.
 *
 * A program may catch a fault itself and die from its handler: Python's
 * faulthandler (which pytest enables) and many runtimes restore the
 * previous action and raise() the signal again, which lands in our
 * handler with the registers of raise(), not of the fault; others
 * abort() from the handler, and Go (GOTRACEBACK=crash) does so after
 * printing its traceback. Above the fault the stack then holds the
 * program's handler and the return trampoline (glibc's and musl's
 * __restore_rt, Go's runtime.sigreturn), whose frame is the kernel's
 * rt_sigframe: the interrupted registers and the siginfo of the signal
 * it delivered. The frame is "the record's" when it delivered the
 * record's own signal (the handler raised it again), or when the
 * program sent the record's signal itself and the frame delivered a
 * fault the kernel raised (the handler turned it into an abort). Then
 * the crash is the interrupted code: we unwind again from the frame's
 * registers, as our own handler's record would have been
 * (docs/stack-counters.md "Unwinding"). Other trampolines (a SIGALRM
 * handler that crashed) are cut out of the stack, and the frame they
 * interrupted keeps its exact PC.
 *
 * The trampoline is found among the unwound frames, or, when the program
 * sent the signal itself and the unwinder could not get through the
 * handler (Go's runtime.sigtramp has no CFI libunwind reads), by looking
 * for its address on the stack between the handler's SP and a little
 * past the outermost frame unwound (64 KiB at most): the word the
 * kernel pushed as the handler's return address, checked by the code it
 * points to and by the siginfo after it.
 *
 * x86-64 rt_sigframe after that return address (the address of uc is
 * the trampoline frame's SP; Linux arch/x86/include/asm/sigframe.h, uapi
 * asm-generic/ucontext.h, asm/sigcontext.h):
 *
 *   offset  size  meaning
 *   0       8     uc_flags
 *   8       8     uc_link
 *   16      24    uc_stack
 *   40      256   uc_mcontext (struct sigcontext): r8..r15, rdi, rsi,
 *                 rbp, rbx, rdx, rax, rcx, rsp, rip, ...
 *   296     8     uc_sigmask
 *   304     128   siginfo: si_signo (int) at 0, si_code (int) at 8
 *
 * On other architectures the trampoline is recognised and cut, but its
 * frame is not read: the frames above it are dropped instead when the
 * program sent the record's signal itself.
 */
#define SIGNAL_HOPS_MAX 4
#define SIGNAL_SCAN_SLACK 4096
#define SIGNAL_SCAN_MAX (64u * 1024)
#if defined(__x86_64__)
#define SIGFRAME_MCONTEXT 40
#define SIGFRAME_SIGINFO 304
/* The sigcontext's slot of each DWARF register 0..16 (rax, rdx, rcx,
 * rbx, rsi, rdi, rbp, rsp, r8..r15, rip). */
static const unsigned char sigcontext_slot[17] = {
	13, 12, 14, 11, 9, 8, 10, 15, 0, 1, 2, 3, 4, 5, 6, 7, 16,
};
#endif

/* Is PC the first instruction of a sigreturn trampoline? Reads the code
 * itself: mov $15,%rax; syscall (x86-64), mov x8,#139; svc #0
 * (AArch64), the sequences the kernel's ABI makes every libc use. */
static int is_sigreturn(struct ctx *c, uint64_t pc)
{
	uint64_t w = 0;

	if (pc == 0 || read_word(c, pc, &w) != 0)
		return 0;
#if defined(__x86_64__)
	{
		uint64_t w2 = 0;

		return w == 0x0f0000000fc0c748ull &&
			read_word(c, pc + 1, &w2) == 0 &&
			(w2 >> 56) == 0x05;
	}
#elif defined(__aarch64__)
	return w == 0xd4000001d2801168ull;
#else
	return 0;
#endif
}

static int is_fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE ||
		sig == SIGILL || sig == SIGTRAP;
}

/* Is the signal frame whose ucontext is at UC the record's (see above)?
 * Loads its interrupted registers into C->regs when it is and they can
 * be read (returns 1); returns 0 when it is not the record's, -1 when it
 * may be but cannot be read. */
static int load_signal_frame(struct ctx *c, uint64_t uc)
{
#if defined(__x86_64__)
	uint64_t w, regs[17];
	int signo, code;
	size_t i;

	if (read_word(c, uc + SIGFRAME_SIGINFO, &w) != 0)
		return c->rec->is_sent ? -1 : 0;
	signo = (int)(uint32_t)w;
	if (read_word(c, uc + SIGFRAME_SIGINFO + 8, &w) != 0)
		return 0;
	code = (int)(uint32_t)w;
	if (signo != c->rec->hdr.signo &&
	    !(c->rec->is_sent && is_fault_signal(signo) && code > 0))
		return 0;
	for (i = 0; i < 17; i++)
		if (read_word(c, uc + SIGFRAME_MCONTEXT +
			      8 * sigcontext_slot[i], &regs[i]) != 0)
			return -1;
	if (regs[16] == 0 || regs[7] == 0)
		return 0;
	memset(c->regs, 0, sizeof c->regs);
	memcpy(c->regs, regs, sizeof regs);
	return 1;
#else
	(void)uc;
	return c->rec->is_sent ? -1 : 0;
#endif
}

/* Looks on the stack, from the innermost frame's SP to a little past the
 * outermost's, for a handler's return address into a trampoline whose
 * frame is the record's; loads it as load_signal_frame does. */
static int scan_signal_frame(struct ctx *c, const struct unwind_stack *st)
{
#if defined(__x86_64__)
	uint64_t at, end, w;

	if (st->n == 0 || !st->sp[0] || st->sp[st->n - 1] < st->sp[0])
		return 0;
	end = st->sp[st->n - 1] + SIGNAL_SCAN_SLACK;
	/* The stack pointers are the child's word: a bound of our own. */
	if (end - st->sp[0] > SIGNAL_SCAN_MAX)
		end = st->sp[0] + SIGNAL_SCAN_MAX;
	for (at = st->sp[0] & ~(uint64_t)7; at < end; at += 8) {
		if (read_word(c, at, &w) != 0)
			return 0;
		if (is_code(c, w) && c->nexec > 0 && is_sigreturn(c, w) &&
		    load_signal_frame(c, at + 8) == 1)
			return 1;
	}
#else
	(void)c;
	(void)st;
#endif
	return 0;
}

/* Removes frames [AT, AT + COUNT) of OUT. */
static void drop_frames(struct unwind_stack *out, size_t at, size_t count)
{
	size_t rest = out->n - at - count;

	memmove(out->pc + at, out->pc + at + count, rest * sizeof *out->pc);
	memmove(out->sp + at, out->sp + at + count, rest * sizeof *out->sp);
	memmove(out->is_exact + at, out->is_exact + at + count, rest);
	out->n -= count;
}

/* Cuts every trampoline frame out of OUT; the frame each interrupted
 * is exact. Frames above the innermost one are dropped too when it may
 * be the record's but its registers could not be read (CUT_ABOVE). */
static void cut_trampolines(struct ctx *c, struct unwind_stack *out,
			    int cut_above)
{
	size_t i = 0;

	while (i < out->n) {
		if (!is_sigreturn(c, out->pc[i])) {
			i++;
			continue;
		}
		if (i + 1 < out->n)
			out->is_exact[i + 1] = 1;
		if (cut_above) {
			drop_frames(out, 0, i + 1);
			out->is_wild_pc = 0;
			out->is_from_signal_frame = 1;
			cut_above = 0;
			i = 0;
		} else {
			drop_frames(out, i, 1);
		}
	}
}

int unwind_stack(const struct record *rec, pid_t pid,
		 struct unwind_stack *out)
{
	struct ctx c;
	int r = 0, hops, cut_above = 0;

	memset(out, 0, sizeof *out);
	if (rec->hdr.arch != ARCH_OURS || rec->hdr.nregs <= REG_PCN ||
	    rec->hdr.nregs > TM_RECORD_NREGS)
		return TM_EMALFORMED;
	memset(&c, 0, sizeof c);
	c.rec = rec;
	c.pid = pid;
	memcpy(c.regs, rec->hdr.regs, sizeof c.regs);
	c.cache = calloc(CACHE_SLOTS, sizeof *c.cache);
	if (!c.cache)
		return -ENOMEM;
	cur = &c;
	read_exec_ranges(&c);
	if (rec->is_sent)
		find_go_sigpanic(&c);
	c.upt = _UPT_create(pid);
	for (hops = 0;; hops++) {
		size_t i;
		int got = 0;

		r = unwind_from_regs(&c, out);
		if (r != 0 || hops == SIGNAL_HOPS_MAX)
			break;
		if (c.has_injected) {
			/* Go's sigpanic: restart at the faulting frame. */
			memcpy(c.regs, c.injected, sizeof c.regs);
			c.has_injected = 0;
			continue;
		}
		/* The innermost trampoline decides; the frames of the
		 * program's handler lie above it. */
		for (i = 0; i < out->n && !is_sigreturn(&c, out->pc[i]); i++)
			;
		if (i < out->n)
			got = load_signal_frame(&c, out->sp[i]);
		else if (hops == 0 && rec->is_sent)
			got = scan_signal_frame(&c, out);
		if (got <= 0) {
			cut_above = got < 0;
			break;
		}
	}
	if (r == 0) {
		cut_trampolines(&c, out, cut_above);
		if (hops > 0)
			out->is_from_signal_frame = 1;
		if (out->n == 0)
			push(out, rec->hdr.regs[REG_PCN], rec->hdr.regs[REG_SPN],
			     1);
	}
	if (c.upt)
		_UPT_destroy(c.upt);
	out->used_stack_copy = c.used_copy;
	cur = NULL;
	free(c.exec);
	free(c.cache);
	return r;
}

const char *unwind_method_name(enum unwind_method m)
{
	switch (m) {
	case UNWIND_LIBUNWIND:
		return "libunwind";
	case UNWIND_LIBDW:
		return "libdw";
	default:
		return "none";
	}
}
