/* SPDX-License-Identifier: MIT */
/* capture.h -- entry points of the capture objects shared by the shim and
 * libtmwatch's library mode. */
#ifndef TMWATCH_PRELOAD_CAPTURE_H
#define TMWATCH_PRELOAD_CAPTURE_H
int tm__capture_init(void);
#endif
