/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CPython 3.11+ location tables (co_linetable, Objects/locations.md): the
 * source line of a bytecode offset. Pure; the table is target-controlled and
 * read bounded by its length.
 */
#ifndef BW_PYLINETABLE_H
#define BW_PYLINETABLE_H

#include <stddef.h>
#include <linux/types.h>

/*
 * The line of the instruction at byte offset addr_bytes of the bytecode
 * (2 bytes per code unit), starting from firstlineno (co_firstlineno): the
 * line, or -1 when the table says the instruction has none, or covers no such
 * offset, or is malformed.
 */
int bw_pylinetable__line(const __u8 *table, size_t len, int firstlineno, __u64 addr_bytes);

#endif
