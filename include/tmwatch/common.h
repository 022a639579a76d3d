/* SPDX-License-Identifier: MIT */
/* common.h -- export macro, error codes and tm_strerror for libtmwatch.
 *
 * Every libtmwatch function that can fail returns int: 0 on success, -errno
 * for a system failure, or one of the TM_E* codes below (all below -1000, so
 * they never collide with -errno). docs/errors.md explains each code.
 */
#ifndef TMWATCH_COMMON_H
#define TMWATCH_COMMON_H

#ifdef __cplusplus
extern "C" {
#endif

#define TM_API __attribute__((visibility("default")))

enum tm_error {
	TM_ECORRUPT = -1001,   /* a counter file is corrupt or truncated */
	TM_EOFF = -1002,       /* telemetry is off: nothing is written */
	TM_ENAMETOOLONG = -1003, /* counter name over 4096 bytes */
	TM_EFULL = -1004,      /* counter file reached its size cap */
	TM_EBADMODE = -1005,   /* mode file or override has a bad value */
	TM_EMALFORMED = -1006, /* crash record malformed */
	TM_EBADCONFIG = -1007, /* upload config invalid */
	TM_EBADREPORT = -1008, /* report JSON invalid */
	TM_EHTTP = -1009,      /* upload refused by the server */
	TM_ELOCKED = -1010,    /* another process holds the lock */
	TM_EMISMATCH = -1011,  /* counter file header differs from ours */
	TM_ENOTELF = -1012,    /* not an ELF file we can read */
	TM_ESTATIC = -1013,    /* static binary: LD_PRELOAD cannot work */
	TM_ENOWATCHDOG = -1014, /* no tmwatch binary to act as watchdog */
	TM_EDISABLED = -1015,  /* TMWATCH_DISABLE=1 is set, or a setuid or
				* setgid program (it never counts) */
	TM_EINVAL = -1016,     /* bad argument from the caller */
	TM_EUNSAFE = -1017,    /* store or file owned by another user or
				* writable by others (docs/security.md) */
};

/* tm_strerror returns a static, lower-case description of any code this
 * library returns (TM_E* or -errno). Thread-safe; never returns NULL. */
TM_API const char *tm_strerror(int code);

#ifdef __cplusplus
}
#endif
#endif
