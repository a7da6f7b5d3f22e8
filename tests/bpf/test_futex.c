// SPDX-License-Identifier: GPL-2.0
/*
 * futex.bpf.c in the kernel: the calling thread makes futex calls that
 * return at once (the word does not match), and the record of each way in
 * (syscall tracepoints, raw sys_enter) is read back through a pidfd.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "blockwatch.h"
#include "futex.skel.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

enum way { SYSCALL_TP, RAW_SYS_ENTER };

static struct futex_bpf *load(enum way way, __u32 targ_tgid)
{
	struct futex_bpf *skel;

	if (way == SYSCALL_TP && access("/sys/kernel/tracing/events", F_OK))
		mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
	skel = futex_bpf__open();
	cr_assert_not_null(skel, "open");
	skel->rodata->targ_tgid = targ_tgid;
	bpf_program__set_autoload(skel->progs.futex_enter, false);
	bpf_program__set_autoload(skel->progs.futex_waitv_enter, false);
	bpf_program__set_autoload(skel->progs.futex_tp_enter, way == SYSCALL_TP);
	bpf_program__set_autoload(skel->progs.futex_tp_waitv, way == SYSCALL_TP);
	bpf_program__set_autoload(skel->progs.futex_sys_enter, way == RAW_SYS_ENTER);
	cr_assert_eq(futex_bpf__load(skel), 0, "load (needs root)");
	cr_assert_eq(futex_bpf__attach(skel), 0, "attach: %s", strerror(errno));
	return skel;
}

/* The record of thread tid: 0, or -1 with errno (ENOENT: none). */
static int record_of(struct futex_bpf *skel, pid_t tid, struct bw_futex_wait *w)
{
	int fd = syscall(SYS_pidfd_open, tid, PIDFD_THREAD), err, saved;

	cr_assert_geq(fd, 0, "pidfd_open: %s", strerror(errno));
	err = bpf_map__lookup_elem(skel->maps.futex_waits, &fd, sizeof(fd), w, sizeof(*w), 0);
	saved = errno;
	close(fd);
	errno = saved;
	return err;
}

/* A wait that returns EAGAIN at once: *word is not val. */
static void futex_wait_mismatch(__u32 *word, int op)
{
	/* val3 is the bitset of FUTEX_WAIT_BITSET (0 is refused). */
	long rc = syscall(SYS_futex, word, op, *word + 1, NULL, NULL, FUTEX_BITSET_MATCH_ANY);

	cr_assert_eq(rc, -1);
	cr_assert_eq(errno, EAGAIN, "futex: %s", strerror(errno));
}

static void counts_waits(enum way way)
{
	struct futex_bpf *skel = load(way, getpid());
	__u32 word = 7, other = 9;
	struct bw_futex_wait w;
	int i;

	for (i = 0; i < 5; i++)
		futex_wait_mismatch(&other, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG);
	for (i = 0; i < 3; i++)
		futex_wait_mismatch(&word, FUTEX_WAIT_PRIVATE);
	/* Wakes are not waits. */
	syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	cr_assert_eq(record_of(skel, syscall(SYS_gettid), &w), 0, "no record: %s", strerror(errno));
	cr_assert_eq(w.waits, 8);
	cr_assert_eq(w.uaddr, (__u64)(unsigned long)&word, "the last wait's word");
	cr_assert_eq(w.op, FUTEX_WAIT_PRIVATE);
	cr_assert_eq(w.tgid, (__u32)getpid());
	cr_assert_neq(w.enter_jiffies, 0);
	futex_bpf__destroy(skel);
}

Test(bpf_futex, syscall_tracepoints_count_waits)
{
	counts_waits(SYSCALL_TP);
}

Test(bpf_futex, raw_sys_enter_counts_waits)
{
	counts_waits(RAW_SYS_ENTER);
}

Test(bpf_futex, other_processes_are_filtered)
{
	struct futex_bpf *skel = load(SYSCALL_TP, getpid());
	int go[2], done[2], status;
	struct bw_futex_wait w;
	__u32 word = 1;
	pid_t child;
	char c = 0;

	cr_assert_eq(pipe(go), 0);
	cr_assert_eq(pipe(done), 0);
	child = fork();
	cr_assert_geq(child, 0);
	if (!child) {
		/* Waits of another process, then stays alive to be looked up. */
		close(go[1]);
		close(done[0]);
		syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
		(void)!write(done[1], &c, 1);
		(void)!read(go[0], &c, 1);
		_exit(0);
	}
	cr_assert_eq(read(done[0], &c, 1), 1);
	if (!record_of(skel, child, &w))
		cr_assert_fail(
			"a record for another process: tgid %u, %llu waits (child %d, us %d)",
			w.tgid, (unsigned long long)w.waits, child, getpid());
	cr_assert_eq(errno, ENOENT, "lookup: %s", strerror(errno));
	cr_assert_eq(write(go[1], &c, 1), 1);
	cr_assert_eq(waitpid(child, &status, 0), child);
	futex_bpf__destroy(skel);
}
