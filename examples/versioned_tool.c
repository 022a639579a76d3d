/* SPDX-License-Identifier: MIT */
/* versioned_tool.c -- a tiny program carrying an FDO package metadata note.
 *
 * The note (https://systemd.io/ELF_PACKAGE_METADATA/) says this is package
 * "versioned-tool" version 2.4.1, which tmwatch must use as the VERSION of
 * the counter file name (DESIGN §6.2) instead of the build-id. Packagers
 * usually add the note with a linker script; a const object in a section
 * named ".note.package" does the same without build flags: the assembler
 * gives every ".note*" section the type SHT_NOTE, and the linker puts
 * allocated notes into a PT_NOTE segment. Checked by
 * tests/unit/test_identity.c.
 */
#include <stdint.h>
#include <stdio.h>

#include <tmwatch/counter.h>

#define PACKAGE_JSON \
	"{\"type\":\"deb\",\"name\":\"versioned-tool\",\"version\":\"2.4.1\"}"
/* The ELF note layout: three 32-bit words, then the owner name and the
 * descriptor, each NUL-padded to a multiple of 4 bytes (elf(5)). */
#define ALIGN4(n) (((n) + 3) & ~(size_t)3)

struct package_note {
	uint32_t namesz;
	uint32_t descsz;
	uint32_t type;
	char name[4];
	char desc[ALIGN4(sizeof PACKAGE_JSON)];
};

__attribute__((used, section(".note.package"), aligned(4)))
static const struct package_note package_note = {
	.namesz = 4,
	.descsz = ALIGN4(sizeof PACKAGE_JSON),
	.type = 0xcafe1a7e,	/* FDO_PACKAGING_METADATA */
	.name = "FDO",
	.desc = PACKAGE_JSON,
};

int main(void)
{
	/* Counted under versioned_tool@2.4.1 (tests/unit/test_identity.c). */
	tm_counter_inc("versioned-tool/run");
	printf("versioned-tool 2.4.1\n");
	return 0;
}
