/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Numbers as printf writes them, without printf: the JSON of a million
 * goroutines formats several million of them, and vfprintf's parsing of
 * its format string costs more than the digits. Each gives exactly the
 * bytes of the printf conversion it names.
 */
#ifndef BW_NUMFMT_H
#define BW_NUMFMT_H

#include <stddef.h>
#include <linux/types.h>

/* Bytes a u64 in decimal, hex or bw_fmt_fixed3 needs at most, the NUL included. */
#define BW_NUMFMT_MAX_BYTES 32

/* "%llu" into buf (at least BW_NUMFMT_MAX_BYTES): the length, NUL written after. */
size_t bw_fmt_u64(char *buf, __u64 v);
/* "%llx" likewise. */
size_t bw_fmt_hex(char *buf, __u64 v);
/*
 * "%.3f" of x with printf's rounding (the exact binary value to nearest,
 * ties to even) into buf (at least BW_NUMFMT_MAX_BYTES) for +0 <= x < 1e15;
 * other values through snprintf, cut to fit. The length, NUL written after.
 */
size_t bw_fmt_fixed3(char *buf, double x);

#endif
