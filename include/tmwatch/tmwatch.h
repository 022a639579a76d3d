/* SPDX-License-Identifier: MIT */
/* tmwatch.h -- the whole public API of libtmwatch. */
#ifndef TMWATCH_TMWATCH_H
#define TMWATCH_TMWATCH_H
#include "common.h"
#include "counter.h"
#include "crash.h"
#include "telemetry.h"
#endif
