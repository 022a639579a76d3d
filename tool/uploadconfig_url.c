/* SPDX-License-Identifier: MIT */
/* uploadconfig_url.c -- upload configs' endpoint URLs, checked with
 * libcurl's URL parser (uploadconfig.h), and the entry points that
 * validate whole configs with it.
 *
 * Apart from the rest of the validator so that code that reads configs
 * without ever connecting (the crash module and libtmwatch-sym.so, for
 * OwnModules) does not link libcurl: a crash must not wait for it to
 * load, nor a program's first stack counter.
 */
#define _GNU_SOURCE
#include "uploadconfig.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tmwatch/common.h"

/* "config: REASON" in WHY, as the validator's messages start. */
static int fail(char *why, size_t cap, const char *label, const char *fmt,
		...)
{
	va_list ap;
	int n;

	if (why && cap) {
		n = snprintf(why, cap, "%s: ", label ? label : "config");
		if (n < 0 || (size_t)n >= cap)
			n = 0;
		va_start(ap, fmt);
		vsnprintf(why + n, cap - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return TM_EBADCONFIG;
}

int tm__uploadconfig_is_loopback_url(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	int yes = 0;

	if (!u)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		if (!strcasecmp(host, "localhost") || !strcmp(host, "[::1]"))
			yes = 1;
		else if (!strncmp(host, "127.", 4)) {
			unsigned a, b, c;
			char extra;

			yes = sscanf(host + 4, "%u.%u.%u%c", &a, &b, &c,
				     &extra) == 3 && a < 256 && b < 256 &&
			      c < 256;
		}
	}
	curl_free(host);
	curl_url_cleanup(u);
	return yes;
}

int tm__uploadconfig_check_endpoint(const char *url, char *why,
				    size_t whycap)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *part = NULL;
	int rc = 0;

	if (!u)
		return -ENOMEM;
	if (strlen(url) > 2048 || curl_url_set(u, CURLUPART_URL, url, 0)) {
		rc = fail(why, whycap, NULL, "not a valid URL");
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	/* libcurl also accepts "https:/host" and friends; insist on the
	 * plain form, so what the config says is what we connect to. */
	if (!scheme || (strcmp(scheme, "https") && strcmp(scheme, "http")) ||
	    (strncmp(url, "https://", 8) && strncmp(url, "http://", 7))) {
		rc = fail(why, whycap, NULL, "must be an https URL");
		goto out;
	}
	if (!strcmp(scheme, "http") && !tm__uploadconfig_is_loopback_url(url)) {
		rc = fail(why, whycap, NULL,
			  "plain http is allowed only to loopback; use https");
		goto out;
	}
	if (!curl_url_get(u, CURLUPART_USER, &part, 0) ||
	    !curl_url_get(u, CURLUPART_QUERY, &part, 0) ||
	    !curl_url_get(u, CURLUPART_FRAGMENT, &part, 0))
		rc = fail(why, whycap, NULL,
			  "must not carry credentials, a query or a fragment");
out:
	curl_free(part);
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

int tm__uploadconfig_parse(const char *json, size_t len, const char *label,
			   struct tm__upload_config *out, char *why,
			   size_t whycap)
{
	return tm__uploadconfig_parse_with(json, len, label,
					   tm__uploadconfig_check_endpoint,
					   out, why, whycap);
}

int tm__uploadconfig_load_dirs(const char *dirs,
			       struct tm__upload_configs *out)
{
	return tm__uploadconfig_load_dirs_with(dirs,
					       tm__uploadconfig_check_endpoint,
					       out);
}

int tm__uploadconfig_load_all(const char *store_dir,
			      struct tm__upload_configs *out)
{
	return tm__uploadconfig_load_all_with(store_dir,
					      tm__uploadconfig_check_endpoint,
					      out);
}
