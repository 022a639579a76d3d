/* SPDX-License-Identifier: MIT */
/* telemetry_upload.h -- the report and upload side of `tmwatch telemetry`:
 * what `on` announces, what `status` shows, what `upload` runs. */
#ifndef TMWATCH_WATCHDOG_TELEMETRY_UPLOAD_H
#define TMWATCH_WATCHDOG_TELEMETRY_UPLOAD_H

#include <stdio.h>

/* Prints the endpoints of the installed upload configs (or that there are
 * none, so nothing will be sent). */
void telemetry_upload_describe_endpoints(FILE *out, const char *store_dir);

/* Prints the report and upload lines of `tmwatch telemetry status`. */
void telemetry_upload_status(FILE *out, const char *store_dir);

/* Prints one line per upload config found ("upload config: PATH: endpoint
 * E, programs P...") and one per file skipped with why ("upload config
 * skipped: FILE: FIELD: reason; fix or remove it"). Returns the number
 * skipped. */
size_t telemetry_upload_describe_configs(FILE *out, const char *store_dir);

struct cJSON;

/* The same as JSON: {"found": [{path, endpoint, programs}], "skipped":
 * [reason...]} (caller deletes). */
struct cJSON *telemetry_upload_configs_json(const char *store_dir);

/* The report lines of status as JSON (caller deletes), or NULL. */
struct cJSON *telemetry_upload_status_json(const char *store_dir);

/* Builds due reports and uploads them now, logging to stderr. Returns an
 * exit code of msg.h. */
int telemetry_upload_now(const char *store_dir);

#endif
