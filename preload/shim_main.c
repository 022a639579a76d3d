/* SPDX-License-Identifier: MIT */
/* shim_main.c -- LOAD-TIME: the constructor of libtmwatch-preload.so. */
#include "capture.h"

__attribute__((constructor)) static void shim_load(void)
{
	(void)tm__capture_init();
}
