/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Target-controlled strings (comm, symbols, paths) leave here escaped: no
 * terminal escape sequence reaches a terminal, no byte breaks JSON.
 */
#ifndef BW_ESCAPE_H
#define BW_ESCAPE_H

#include <stdio.h>

/* A JSON string with its quotes; bytes that are not valid UTF-8 become \u00XX. */
void bw_json_str(FILE *f, const char *s);
/* Printable ASCII as is, anything else as \xNN; at most max bytes of s (0: all). */
void bw_text_str(FILE *f, const char *s, size_t max);

#endif
