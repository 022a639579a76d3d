/* SPDX-License-Identifier: MIT */
/* upload_driver.c -- run one upload step of libtmwatch as its own process,
 * for the fault tests: the same calls `tmwatch telemetry upload` and the
 * watchdog make, with the log on stderr and a summary on stdout.
 *
 *   upload_driver            tm__upload_run now
 *   upload_driver --daily    tm__upload_run with TM__UPLOAD_DAILY
 *   upload_driver --spawn    tm__upload_daily_spawn, then exit at once
 *   upload_driver --status   tm__upload_status
 *
 * Exit status 0 when the call returned 0 (or TM_EOFF, printed as "off"),
 * 1 otherwise.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "paths.h"
#include "tmwatch/common.h"
#include "upload.h"

static void log_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "upload: %s\n", line);
}

static int status(const char *store)
{
	struct tm__upload_status st;
	int rc = tm__upload_status(store, &st);

	if (rc)
		return rc;
	printf("pending=%zu rejected=%zu too_old=%zu uploaded=%zu last=%s\n",
	       st.npending, st.nrejected, st.ntoo_old, st.nuploaded,
	       st.last_week);
	for (size_t i = 0; i < st.nrejected; i++)
		printf("rejected %s %s: %s\n", st.rejected[i].week,
		       st.rejected[i].endpoint ? st.rejected[i].endpoint : "-",
		       st.rejected[i].reason ? st.rejected[i].reason : "-");
	for (size_t i = 0; i < st.npending; i++)
		printf("pending %s attempts=%d reason=%s\n",
		       st.pending[i].week, st.pending[i].attempts,
		       st.pending[i].reason ? st.pending[i].reason : "-");
	tm__upload_status_free(&st);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	struct tm__upload_result res;
	char store[4096];
	int rc;

	if (tm__paths_store_dir(store, sizeof store))
		return 1;
	if (!strcmp(mode, "--status"))
		rc = status(store);
	else if (!strcmp(mode, "--spawn"))
		rc = tm__upload_daily_spawn();
	else {
		rc = tm__upload_run(store, strcmp(mode, "--daily") ? 0 :
				    TM__UPLOAD_DAILY, log_line, NULL, &res);
		if (rc == 0)
			printf("built=%d candidates=%d sent=%d rejected=%d "
			       "failed=%d deferred=%d locked=%d too_old=%d\n",
			       res.reports.nbuilt, res.reports.ncandidates,
			       res.nsent, res.nrejected, res.nfailed,
			       res.ndeferred, res.nlocked, res.ntoo_old);
		tm__upload_result_free(&res);
	}
	if (rc == TM_EOFF) {
		printf("off\n");
		return 0;
	}
	if (rc)
		fprintf(stderr, "upload_driver: %s\n", tm_strerror(rc));
	return rc ? 1 : 0;
}
