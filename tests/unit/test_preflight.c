// SPDX-License-Identifier: GPL-2.0
/* The checks before tracing that need no privileges: BTF files and the -p pids. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <criterion/criterion.h>
#include "platform/procfs.h"
#include "platform/preflight.h"

/* Above PID_MAX_LIMIT (4M): never a process. */
#define NO_PID 0x3ffffff0u

static char why[256];

static void expect_why(const char *want)
{
	cr_expect_str_eq(why, want);
}

Test(preflight, no_such_process)
{
	char want[128];

	cr_assert_lt(bw_preflight_pid(NO_PID, getpid(), why, sizeof(why)), 0);
	snprintf(want, sizeof(want), "failed to find process %u: no such process", NO_PID);
	expect_why(want);
}

static void *park(void *arg)
{
	__u32 *tid = arg;

	__atomic_store_n(tid, (__u32)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	pause();
	return NULL;
}

Test(preflight, a_thread_is_not_a_process)
{
	__u32 tid = 0;
	char want[128];
	pthread_t t;

	cr_assert_eq(pthread_create(&t, NULL, park, &tid), 0);
	while (!__atomic_load_n(&tid, __ATOMIC_SEQ_CST))
		sched_yield();
	cr_assert_eq(bw_preflight_pid(tid, getpid(), why, sizeof(why)), -ESRCH);
	snprintf(want, sizeof(want),
		 "failed to find process %u: it is a thread, not a process (give its Tgid)", tid);
	expect_why(want);
	/* The test process ends with its thread still parked. */
}

Test(preflight, blockwatch_itself)
{
	char want[128];

	cr_assert_eq(bw_preflight_pid(getpid(), getpid(), why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want), "failed to watch process %u: it is blockwatch", getpid());
	expect_why(want);
}

/* kthreadd is pid 2 where the kernel's pids are visible (not in a pid namespace). */
Test(preflight, kernel_thread)
{
	char name[64] = "";
	FILE *f = fopen("/proc/2/comm", "re");

	if (f && !fgets(name, sizeof(name), f))
		name[0] = '\0';
	if (f)
		fclose(f);
	if (strcmp(name, "kthreadd\n"))
		cr_skip_test("no kthreadd at pid 2 here");
	cr_assert_eq(bw_preflight_pid(2, getpid(), why, sizeof(why)), -EINVAL);
	expect_why("failed to watch process 2: it is a kernel thread");
}

Test(preflight, zombie, .timeout = 10)
{
	struct timespec pause_ts = { .tv_nsec = 1000000 };
	char want[128];
	pid_t pid = fork();
	int i;

	cr_assert_geq(pid, 0);
	if (!pid)
		_exit(0);
	/* Not reaped: it stays a zombie; wait, with a bound, for it to have exited. */
	for (i = 0; i < 5000 && !bw_proc_is_zombie(pid); i++)
		nanosleep(&pause_ts, NULL);
	cr_assert(bw_proc_is_zombie(pid));
	cr_assert_eq(bw_preflight_pid(pid, getpid(), why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want),
		 "failed to watch process %u: it is a zombie (it exited; its parent has not "
		 "reaped it)",
		 pid);
	expect_why(want);
	waitpid(pid, NULL, 0);
}

Test(preflight, a_live_process)
{
	pid_t pid = fork();
	int err;

	cr_assert_geq(pid, 0);
	if (!pid) {
		pause();
		_exit(0);
	}
	strcpy(why, "untouched");
	err = bw_preflight_pid(pid, getpid(), why, sizeof(why));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert_eq(err, 0);
	expect_why("untouched");
}

Test(preflight, btf_file_missing)
{
	cr_assert_eq(bw_preflight_btf("/nonexistent/vmlinux", why, sizeof(why)), -ENOENT);
	expect_why("failed to read BTF /nonexistent/vmlinux: No such file or directory");
}

Test(preflight, btf_file_not_btf)
{
	char path[] = "/tmp/bw-preflight-XXXXXX";
	char want[128];
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "not btf\n", 8), 8);
	close(fd);
	cr_expect_eq(bw_preflight_btf(path, why, sizeof(why)), -EPROTO);
	snprintf(want, sizeof(want),
		 "failed to read BTF %s: not BTF, nor an ELF file with a .BTF section", path);
	expect_why(want);
	unlink(path);
}

Test(preflight, btf_of_the_kernel)
{
	if (access(BW_KERNEL_BTF, R_OK))
		cr_skip_test("no " BW_KERNEL_BTF " here");
	cr_expect_eq(bw_preflight_btf(NULL, why, sizeof(why)), 0);
	cr_expect_eq(bw_preflight_btf(BW_KERNEL_BTF, why, sizeof(why)), 0);
}
