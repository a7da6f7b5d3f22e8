/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Target-controlled strings (comm, symbols, paths, wait reasons) leave here
 * escaped, in the form each output needs: no terminal escape sequence
 * reaches a terminal, no byte breaks JSON, a Prometheus label or a folded
 * line. Every writer of such strings calls one of these; none has its own.
 */
#ifndef BW_ESCAPE_H
#define BW_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Length of the valid UTF-8 sequence at s within avail bytes, or 0: no overlongs,
 * no surrogates, and with no_c1 no C1 controls (U+0080..U+009F, terminal escapes
 * to some). A NUL-terminated s may pass SIZE_MAX: the NUL ends any sequence.
 */
size_t bw_utf8_len(const unsigned char *s, size_t avail, bool no_c1);
/* A JSON string with its quotes; bytes that are not valid UTF-8 become \u00XX. */
void bw_json_str(FILE *f, const char *s);
/*
 * The text form (the text report, pprof strings): printable ASCII as is,
 * '\' doubled, any other byte as \xNN; at most max bytes of s (0: all).
 */
void bw_text_str(FILE *f, const char *s, size_t max);
/* The text form of all of s (NULL: ""), malloc'd; NULL when out of memory. */
char *bw_text_dup(const char *s);
/*
 * A frame of a folded stack: the text form with ';' (the frame separator)
 * as \x3b too, so a line is always one stack; at most max bytes (0: all).
 */
void bw_folded_str(FILE *f, const char *s, size_t max);
/*
 * The inside of a Prometheus label value (no quotes), at most max bytes of s
 * (0: all; NULL is ""): '\', '"' and newline as the format says (\\, \", \n);
 * bytes that are not valid UTF-8, other C0 controls, DEL and C1 controls as
 * the four characters \xNN (the backslash written \\), as the text report
 * shows them; valid printable UTF-8 as is.
 */
void bw_prom_label_str(FILE *f, const char *s, size_t max);

#endif
