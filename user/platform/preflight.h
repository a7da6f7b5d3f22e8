/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What must hold before tracing starts: privileges, kernel BTF, and that each
 * process asked for is one that can be watched. Each check gives 0, or a
 * negative errno with the reason in why ("failed to find process 12: no such
 * process"), which the command line prints after "blockwatch: ".
 */
#ifndef BW_PREFLIGHT_H
#define BW_PREFLIGHT_H

#include <stddef.h>
#include <linux/types.h>

/* Where the kernel exports its own BTF (CONFIG_DEBUG_INFO_BTF=y). */
#define BW_KERNEL_BTF "/sys/kernel/btf/vmlinux"

/* CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE (or root): else -EPERM. */
int bw_preflight_privileges(char *why, size_t len);
/* btf (--btf) holds BTF libbpf can relocate against; without btf, the kernel has its own. */
int bw_preflight_btf(const char *btf, char *why, size_t len);
/*
 * pid is a live process that self (blockwatch) may watch: not a thread of
 * another (-ESRCH), not gone (-ENOENT), not a kernel thread, self or a
 * zombie (-EINVAL).
 */
int bw_preflight_pid(__u32 pid, __u32 self, char *why, size_t len);
/* All of them, in that order, each of pids in turn: the first that fails. */
int bw_preflight_check(const char *btf, const __u32 *pids, size_t npids, __u32 self, char *why,
		       size_t len);

#endif
