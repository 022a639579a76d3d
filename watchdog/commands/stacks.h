/* SPDX-License-Identifier: MIT */
/* stacks.h -- the parts of `tmwatch stacks` (docs/maintainers.md), a
 * maintainer's command in the commands module, one job per file:
 *
 *   stacks_data.c     merged files (a directory or the collector over
 *                     HTTP) for a range of days -> stack counters;
 *   stacks_group.c    stack IDs, signatures, groups, ranking, escaping;
 *   stacks_pred.c     the issue predicate language;
 *   stacks_symbols.c  release binaries and debug files -> file:line;
 *   stacks_issues.c   issue files: claims, regressions, drafts;
 *   cmd_stacks.c      argv and the text/JSON output.
 *
 * Everything read here is untrusted (merged files are other people's
 * uploads): names are never interpreted, only hashed, compared and shown
 * escaped. Memory is plain heap owned by the struct stacks_set. Single
 * thread; never for a signal handler. Nothing here but cmd_stacks.c
 * prints.
 */
#ifndef TMWATCH_WATCHDOG_STACKS_H
#define TMWATCH_WATCHDOG_STACKS_H

#include <stddef.h>
#include <stdint.h>

/* A count under a key (a version, an arch, a day). */
struct stacks_kv {
	char *key;
	uint64_t n;
};

/* Where a frame's source line came from (--symbols). */
struct stacks_src {
	char *file;		/* source file as DWARF names it, or NULL */
	int line;
	char *why;		/* NULL when mapped; else why not */
	char *binary;		/* the file whose debug info was used */
	int line_offset_ok;	/* line - decl_line equals the frame's +N */
};

struct stacks_group {
	char id[9];		/* stacks_id of the name */
	char sig_id[9];		/* stacks_id of the signature */
	char *name;		/* the counter name as uploaded */
	char *signature;	/* first line, then function names only */
	char *program;
	uint64_t total;
	size_t nversions, narches, ndays;
	struct stacks_kv *versions, *arches, *days;	/* sorted by key */
	char first_day[11], last_day[11];
	size_t nframes;
	char **frames;		/* lines after the first, into frames_buf */
	char *frames_buf;	/* private */
	struct stacks_src *src;	/* per frame, NULL without --symbols */
	char *symbols_version;	/* the release mapped, when found */
	size_t nclaims;
	size_t *claims;		/* indexes into stacks_issues */
	int own_frame;		/* index of the innermost own frame, or -1 */
	uint64_t hash;		/* FNV-1a-64 of name */
	struct stacks_group *next;	/* hash chain, private */
};

struct stacks_set {
	const char *program;	/* only this program */
	const char *prefix;	/* only stacks whose first line is this */
	size_t n;
	struct stacks_group **groups;	/* ranked after stacks_rank */
	size_t gcap, nbuckets;	/* private */
	struct stacks_group **buckets;	/* private */
	size_t nreports, nbad_lines, ndays_read;
	char **days_read;
	size_t ndays_alloc;	/* private */
};

/* stacks_group.c */
uint64_t stacks_fnv64(const char *s, size_t len);
/* stacks_id writes the first 8 characters of base64url of the 8 bytes
 * of FNV-1a-64(S[0..LEN)), most significant byte first, and a NUL. */
void stacks_id(const char *s, size_t len, char out[9]);
/* stacks_signature returns a malloc'd copy of NAME with every frame cut
 * at its first ":+" (function or module names only), or NULL. */
char *stacks_signature(const char *name);
/* stacks_add counts N of stack NAME for one program entry of a report of
 * day DAY. Returns 0 or -ENOMEM. */
int stacks_add(struct stacks_set *s, const char *name, const char *version,
	       const char *arch, const char *day, uint64_t n);
/* stacks_rank sorts groups by total (descending), then by ID. */
void stacks_rank(struct stacks_set *s);
void stacks_free(struct stacks_set *s);
/* stacks_frame_is_valid tells whether a frame line is stack-counter
 * text: printable ASCII (and the "…" collapse mark) only. */
int stacks_frame_is_valid(const char *f);
/* stacks_escape returns a malloc'd copy of S safe for a terminal or
 * Markdown (inside a code span): bytes outside printable ASCII, '`', '\\'
 * and '|' (a table cell's end) become \xNN. */
char *stacks_escape(const char *s);
/* stacks_frame_func returns a malloc'd copy of frame F up to ":+". */
char *stacks_frame_func(const char *f);

/* stacks_data.c */
/* stacks_read_merged adds every report line of one merged file (LEN
 * bytes, day DAY) to S. Lines that are not valid reports are counted in
 * S->nbad_lines and skipped. Returns 0 or -ENOMEM. */
int stacks_read_merged(struct stacks_set *s, const char *day,
		       const char *buf, size_t len);
/* stacks_note_day records that DAY was read. 0 or -ENOMEM. */
int stacks_note_day(struct stacks_set *s, const char *day);
/* stacks_load reads the days FROM..TO (inclusive, YYYY-MM-DD) of SOURCE,
 * a directory (SOURCE/merged/DAY.json), an http(s):// URL of a
 * collector (GET /merged/index.json, /merged/DAY.json); a PostgreSQL
 * store (postgresql://...) is stacks_load_pg's. Missing days are
 * skipped. Returns 0, or an error with a one-line reason in WHY. */
/* stacks_pg.c: stacks_load for a postgresql:// URI. */
int stacks_load_pg(struct stacks_set *s, const char *uri, const char *from,
		   const char *to, char *why, size_t whycap);
int stacks_load(struct stacks_set *s, const char *source, const char *from,
		const char *to, char *why, size_t whycap);

/* stacks_pred.c */
struct stacks_pred;
/* stacks_pred_parse compiles TEXT: string literals ("..." with \" and \\
 * escapes), &&, ||, !, parentheses. Returns NULL with a reason in WHY. */
struct stacks_pred *stacks_pred_parse(const char *text, char *why,
				      size_t whycap);
/* stacks_pred_match: 1 when the predicate holds for stack text STACK (a
 * literal holds when it occurs with no identifier character right
 * before or after it: a whole frame-name word). */
int stacks_pred_match(const struct stacks_pred *p, const char *stack);
void stacks_pred_free(struct stacks_pred *p);

/* stacks_symbols.c */
struct stacks_symbols;
/* stacks_symbols_open indexes every ELF file under DIR (recursively) by
 * build-id and by (program, version) from .note.package. Returns NULL
 * with WHY when DIR cannot be read. */
struct stacks_symbols *stacks_symbols_open(const char *dir, int debuginfod,
					   char *why, size_t whycap);
/* stacks_symbols_map fills G->src for every frame of G (own frames get
 * file:line; others say why not). Returns 0 or -ENOMEM. */
int stacks_symbols_map(struct stacks_symbols *sy, struct stacks_group *g);
void stacks_symbols_close(struct stacks_symbols *sy);

/* stacks_issues.c */
struct stacks_issue {
	char *path;		/* the file */
	char *base;		/* its name without .md */
	char *title;
	char *fixed_in;		/* front matter "fixed-in:", or NULL */
	size_t ndups;
	char (*dups)[9];	/* IDs on Dups: lines */
	struct stacks_pred *pred;	/* the #!stacks block, or NULL */
	char *pred_text;
	char *error;		/* why the file was not understood, or NULL */
};

struct stacks_issues {
	size_t n;
	struct stacks_issue *v;
};

/* stacks_issues_load reads every DIR/ *.md. Returns 0, or -errno with
 * WHY. A file that cannot be understood is kept with ->error set. */
int stacks_issues_load(const char *dir, struct stacks_issues *is,
		       char *why, size_t whycap);
/* stacks_issues_match sets each group's claims. */
int stacks_issues_match(struct stacks_issues *is, struct stacks_set *s);
/* stacks_version_cmp compares dotted versions numerically ("1.10" >
 * "1.9"; a leading 'v' ignored; non-numeric parts compared as text). */
int stacks_version_cmp(const char *a, const char *b);
/* stacks_issue_regressed: the first version of G >= the issue's
 * fixed-in, or NULL. */
const char *stacks_issue_regressed(const struct stacks_issue *is,
				   const struct stacks_group *g);
/* stacks_draft_write writes DIR/ID.md for an unclaimed group. SOURCE_URL
 * may be NULL. Returns 0 or -errno. */
int stacks_draft_write(const char *dir, const struct stacks_group *g,
		       const char *source_url, const char *strip_prefix);
/* stacks_source_link renders TEMPLATE ({version}, {file}, {line}) into a
 * malloc'd string, or NULL. */
char *stacks_source_link(const char *tmpl, const char *version,
			 const char *file, int line,
			 const char *strip_prefix);
void stacks_issues_free(struct stacks_issues *is);

#endif
