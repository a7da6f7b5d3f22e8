/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Target-controlled strings (comm, symbols, paths) leave here escaped: no
 * terminal escape sequence reaches a terminal, no byte breaks JSON.
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
/* Printable ASCII as is, anything else as \xNN; at most max bytes of s (0: all). */
void bw_text_str(FILE *f, const char *s, size_t max);

#endif
