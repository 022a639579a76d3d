/* SPDX-License-Identifier: MIT */
/* capture_init.c -- LOAD-TIME: prepares crash capture in the process.
 *
 * Zone: LOAD-TIME only. Filled by the crash-capture work (issue 3); for now
 * the shim loads and does nothing, so wrapped programs are unaffected.
 */
#include "capture.h"

/* LOAD-TIME. Returns 0; nothing is prepared yet. */
int tm__capture_init(void)
{
	return 0;
}
