/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel symbols from /proc/kallsyms (or any file in that format). */
#ifndef BW_KSYMS_H
#define BW_KSYMS_H

#include <stdio.h>
#include <linux/types.h>

struct bw_ksyms;

/* Parses kallsyms-format text; 0 or a negative errno (-EINVAL on garbage). */
int bw_ksyms__load(FILE *f, struct bw_ksyms **out);
/* /proc/kallsyms. Needs root for real addresses: -EPERM when all are zero. */
int bw_ksyms__new(struct bw_ksyms **out);
/* The symbol containing addr and the offset into it, or NULL. */
const char *bw_ksyms__find(const struct bw_ksyms *ks, __u64 addr, __u64 *offset);
void bw_ksyms__free(struct bw_ksyms *ks);

#endif
