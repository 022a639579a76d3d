/* SPDX-License-Identifier: MIT */
/* store.c -- choose the store a --store (or --data) argument names.
 *
 * "file:DIR" or a bare DIR is the file store (store_file.c), a libpq URI
 * "postgresql://..." or "postgres://..." the PostgreSQL store
 * (store_pg.c). Never prints. docs/collector.md.
 */
#include "store.h"

#include <string.h>

int store_is_pg(const char *spec)
{
	return !strncmp(spec, "postgresql://", 13) ||
	       !strncmp(spec, "postgres://", 11);
}

int store_open(const char *spec, struct store **out, char *why,
	       size_t whycap)
{
	if (store_is_pg(spec))
		return store_pg_open(spec, out, why, whycap);
	if (!strncmp(spec, "file:", 5))
		spec += 5;
	return store_file_open(spec, out, why, whycap);
}
