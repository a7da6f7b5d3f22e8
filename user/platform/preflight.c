// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "platform/procfs.h"
#include "platform/tracer.h"
#include "platform/preflight.h"

int bw_preflight_privileges(char *why, size_t len)
{
	if (bw_proc_may_trace())
		return 0;
	snprintf(why, len,
		 "failed to get privileges: run as root, or with CAP_BPF, CAP_PERFMON "
		 "and CAP_SYS_PTRACE");
	return -EPERM;
}

int bw_preflight_btf(const char *btf, char *why, size_t len)
{
	int err;

	if (btf) {
		err = bw_tracer__check_btf(btf);
		if (err)
			snprintf(why, len, "failed to read BTF %s: %s", btf,
				 err == -EPROTO ? "not BTF, nor an ELF file with a .BTF section"
						: strerror(-err));
		return err;
	}
	if (access(BW_KERNEL_BTF, R_OK)) {
		snprintf(why, len,
			 "failed to find kernel BTF " BW_KERNEL_BTF ": the kernel needs "
			 "CONFIG_DEBUG_INFO_BTF=y, or give one with --btf FILE");
		return -ENOENT;
	}
	return 0;
}

int bw_preflight_pid(__u32 pid, __u32 self, char *why, size_t len)
{
	const char *what = NULL;
	int err;

	err = bw_proc_check(pid);
	if (err) {
		snprintf(why, len, "failed to find process %u: %s", pid,
			 err == -ESRCH ? "it is a thread, not a process (give its Tgid)"
				       : "no such process");
		return err;
	}
	if (bw_proc_is_kthread(pid))
		what = "it is a kernel thread";
	else if (pid == self)
		what = "it is blockwatch";
	else if (bw_proc_is_zombie(pid))
		what = "it is a zombie (it exited; its parent has not reaped it)";
	if (!what)
		return 0;
	snprintf(why, len, "failed to watch process %u: %s", pid, what);
	return -EINVAL;
}

int bw_preflight_check(const char *btf, const __u32 *pids, size_t npids, __u32 self, char *why,
		       size_t len)
{
	size_t i;
	int err;

	err = bw_preflight_privileges(why, len);
	if (!err)
		err = bw_preflight_btf(btf, why, len);
	for (i = 0; !err && i < npids; i++)
		err = bw_preflight_pid(pids[i], self, why, len);
	return err;
}
