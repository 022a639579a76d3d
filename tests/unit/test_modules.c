/* SPDX-License-Identifier: MIT */
/* test_modules.c -- watchdog/modules.c, the module table of a waiting
 * child: each module has its bias and build-id.
 *
 * modules.c belongs to the tmwatch crash module, not libtmwatch, so it is
 * compiled in here (watchdog/ is on the include path). The "child" is
 * this process reading its own /proc/self/maps.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "modules.c"

static void module_table_has_bias_and_build_id(void **state)
{
	struct modules_table m;
	const struct modules_mapping *me;
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	(void)state;
	assert_true(n > 0);
	self[n] = '\0';
	assert_int_equal(modules_read(getpid(), &m), 0);
	me = modules_at(&m, (uint64_t)(uintptr_t)
			module_table_has_bias_and_build_id);
	assert_non_null(me);
	assert_string_equal(me->path, self);
	assert_true(me->is_elf);
	assert_true(me->build_id_len >= 16);
	assert_null(modules_at(&m, 0));
	modules_free(&m);
	assert_int_equal(m.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(module_table_has_bias_and_build_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
