/* SPDX-License-Identifier: MIT */
/* startup_empty.c -- an empty shared library: what the dynamic loader
 * costs for any one library (bench_startup.c's floor). */
__attribute__((visibility("default"))) int startup_empty(void);

int startup_empty(void)
{
	return 0;
}
