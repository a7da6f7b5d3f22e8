// SPDX-License-Identifier: GPL-2.0
/* /proc/PID/task/TID/syscall: the registers of kernels without bpf_task_pt_regs. */
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <criterion/criterion.h>
#include "platform/procfs.h"

Test(procfs_syscall, in_a_syscall)
{
	__u64 args[6], sp = 0, pc = 0;
	__s64 nr = 0;

	cr_assert_eq(
		bw_parse_syscall("202 0x55d0c0a0 0x80 0x2 0x0 0x0 0xca 0x7ffc1000 0x7f0012ab\n",
				 &nr, args, &sp, &pc),
		0);
	cr_expect_eq(nr, 202);
	cr_expect_eq(args[0], 0x55d0c0a0);
	cr_expect_eq(args[1], 0x80);
	cr_expect_eq(args[2], 2);
	cr_expect_eq(args[5], 0xca);
	cr_expect_eq(sp, 0x7ffc1000);
	cr_expect_eq(pc, 0x7f0012ab);
}

Test(procfs_syscall, outside_a_syscall_and_running)
{
	__u64 args[6] = { 1, 1, 1, 1, 1, 1 }, sp = 0, pc = 0;
	__s64 nr = 0;

	cr_assert_eq(bw_parse_syscall("-1 0x7ffc2000 0x401000\n", &nr, args, &sp, &pc), 0);
	cr_expect_eq(nr, -1);
	cr_expect_eq(args[0], 0);
	cr_expect_eq(sp, 0x7ffc2000);
	cr_expect_eq(pc, 0x401000);
	cr_expect_eq(bw_parse_syscall("running\n", &nr, args, &sp, &pc), -EAGAIN);
}

Test(procfs_syscall, malformed)
{
	__u64 args[6], sp, pc;
	__s64 nr;

	cr_expect_eq(bw_parse_syscall("", &nr, args, &sp, &pc), -EINVAL);
	cr_expect_eq(bw_parse_syscall("202 0x1 0x2\n", &nr, args, &sp, &pc), -EINVAL);
	cr_expect_eq(
		bw_parse_syscall("202 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8 junk\n", &nr, args, &sp, &pc),
		-EINVAL);
	cr_expect_eq(bw_parse_syscall("-1 0x1 0x2 0x3\n", &nr, args, &sp, &pc), -EINVAL);
	cr_expect_eq(bw_parse_syscall("-2 0x1 0x2\n", &nr, args, &sp, &pc), -EINVAL);
}

/* Our own thread, seen from inside the read(2) of its own file. */
Test(procfs_syscall, live_thread)
{
	__u64 args[6], sp = 0, pc = 0;
	__s64 nr = -2;

	cr_assert_eq(bw_proc_syscall(getpid(), gettid(), &nr, args, &sp, &pc), 0);
	cr_expect_eq(nr, SYS_read);
	cr_expect_neq(sp, 0);
	cr_expect_neq(pc, 0);
}
