/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel features blockwatch uses, and the fallback the loader takes where
 * the running kernel lacks one: a mask of BW_FALLBACK_* bits, reported by
 * -v and in the JSON summary ("features"), kept in snapshots. The bits are
 * part of the snapshot format: never renumbered.
 */
#ifndef BW_KFEATURES_H
#define BW_KFEATURES_H

#include <stdio.h>
#include <linux/types.h>

/* No task storage maps or bpf_get_current_task_btf (before 5.11): tid-keyed hashes. */
#define BW_FALLBACK_TASK_STORAGE 0x1u
/* No bpf_task_pt_regs (before 5.15): registers from the top of the kernel stack. */
#define BW_FALLBACK_TASK_PT_REGS 0x2u
/* No per-process task iterator (before 6.1): every task, filtered in the program. */
#define BW_FALLBACK_TASK_ITER_PID 0x4u
#define BW_FALLBACK_ALL 0x7u

/* {"task_storage":true,...}: true where the kernel has it, false where a fallback ran. */
void bw_features_json(FILE *f, __u32 fallbacks);
/* "none", or the fallbacks taken, comma-separated, for -v. */
void bw_features_text(FILE *f, __u32 fallbacks);
/*
 * A comma-separated list of feature names (task_storage, task_pt_regs,
 * task_iter_pid) or "all": the fallbacks to force. 0 or -EINVAL.
 */
int bw_features_parse(const char *s, __u32 *fallbacks);

#endif
