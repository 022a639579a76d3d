/* SPDX-License-Identifier: MIT */
/* asan_options.c -- LOAD-TIME: lets an AddressSanitizer program start
 * with the shim preloaded before its runtime (docs/modes.md).
 *
 * Zone: LOAD-TIME. ASan's runtime refuses to run when another library
 * comes first in the initial library list ("ASan runtime does not come
 * first"), and it decides before any constructor of ours runs, so the
 * shim cannot re-exec or fix ASAN_OPTIONS in time. It does ask
 * __asan_default_options(), a weak hook looked up like any symbol:
 * the program's own definition wins, else the first preloaded one. Ours
 * turns the order check off; ASAN_OPTIONS still overrides it (it is
 * parsed after the defaults). Only the shim has it, not libtmwatch: a
 * program that links libtmwatch is not preloading anything.
 */

const char *__asan_default_options(void);

/* LOAD-TIME. Called by the ASan runtime during its initialisation;
 * returns a static string. */
__attribute__((visibility("default")))
const char *__asan_default_options(void)
{
	return "verify_asan_link_order=0";
}
