// SPDX-License-Identifier: GPL-2.0
/*
 * The block accounting of offcpu.bpf.c, run in the kernel through its raw_tp
 * test entry with synthetic switch-outs of the calling thread:
 * ctx = {tgid, state, now, arrival}. A block is closed at the thread's next
 * switch-out, from its last arrival on a CPU (this kernel keeps it).
 * Histories are task storage, read back through a pidfd of the thread; the
 * bpf_offcpu_hash suite runs the same tests on the fallback of kernels
 * before 5.11/5.15 (tid-keyed hash, registers read from the kernel stack).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/futex.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "blockwatch.h"
#include "offcpu.skel.h"

#define MS 1000000ULL
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

/* The fallbacks of old kernels (compat.bpf.h), set by the bpf_offcpu_hash suite. */
static bool hashed;

static void use_hash(void)
{
	hashed = true;
}

/* A task storage map made a tid-keyed hash, as the loader does (tracer.c). */
static void hash_by_tid(struct bpf_map *map, __u32 entries)
{
	cr_assert_eq(bpf_map__set_type(map, BPF_MAP_TYPE_HASH), 0);
	cr_assert_eq(bpf_map__set_map_flags(map, 0), 0);
	cr_assert_eq(bpf_map__set_max_entries(map, entries), 0);
}

static struct offcpu_bpf *load(__u32 targ_tgid, __u64 max_threads)
{
	struct offcpu_bpf *skel = offcpu_bpf__open();

	cr_assert_not_null(skel, "open");
	skel->rodata->targ_tgid = targ_tgid;
	skel->rodata->max_threads = max_threads;
	if (hashed) {
		skel->rodata->has_task_storage = false;
		skel->rodata->has_task_pt_regs = false;
		hash_by_tid(skel->maps.histories, max_threads);
		/* Of maps.bpf.h too, unused here. */
		hash_by_tid(skel->maps.futex_waits, 1);
	}
	bpf_program__set_autoload(skel->progs.test_switch, true);
	cr_assert_eq(offcpu_bpf__load(skel), 0, "load (needs root)");
	return skel;
}

static void run(struct offcpu_bpf *skel, __u64 tgid, __u64 state, __u64 now, __u64 arrival)
{
	__u64 args[4] = { tgid, state, now, arrival };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));

	cr_assert_eq(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.test_switch), &opts), 0,
		     "test run: %s", strerror(errno));
}

/* The history of thread tid: 0, or -1 with errno (ENOENT: none). */
static int history(struct offcpu_bpf *skel, pid_t tid, struct bw_history *h)
{
	int fd, err, saved;

	if (hashed)
		return bpf_map__lookup_elem(skel->maps.histories, &tid, sizeof(tid), h, sizeof(*h),
					    0);
	fd = syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
	cr_assert_geq(fd, 0, "pidfd_open: %s", strerror(errno));
	err = bpf_map__lookup_elem(skel->maps.histories, &fd, sizeof(fd), h, sizeof(*h), 0);
	saved = errno;
	close(fd);
	errno = saved;
	return err;
}

static __u64 counter(struct offcpu_bpf *skel, __u32 key)
{
	__u64 val = 0;

	cr_assert_eq(
		bpf_map__lookup_elem(skel->maps.counters, &key, sizeof(key), &val, sizeof(val), 0),
		0);
	return val;
}

/*
 * The runqueue clock is read where __schedule last updated it: on this
 * path (a test run, not a switch) it can be up to a tick old.
 */
#define TICK_NS (10 * MS)

static __u64 mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static pid_t self(void)
{
	return syscall(SYS_gettid);
}

static void block_is_accounted(void)
{
	struct offcpu_bpf *skel = load(0, 64);
	struct bw_history h;

	run(skel, 10, BW_TASK_INTERRUPTIBLE, 1000 * MS, 1);
	cr_assert_eq(history(skel, self(), &h), 0);
	cr_assert_eq(h.block_start_ns, 1000 * MS);
	cr_assert_eq(h.block_state, BW_TASK_INTERRUPTIBLE);
	cr_assert_eq(h.tgid, 10);
	/* Back on a CPU at 1005 ms, preempted at 1010 ms. */
	run(skel, 10, BW_TASK_RUNNING, 1010 * MS, 1005 * MS);
	cr_assert_eq(history(skel, self(), &h), 0);
	cr_assert_eq(h.blocks, 1);
	cr_assert_eq(h.total_ns, 5 * MS);
	cr_assert_eq(h.max_ns, 5 * MS);
	cr_assert_eq(h.block_start_ns, 0);
	cr_assert_eq(h.slots[bw_hist_slot(5 * MS)], 1);
	cr_assert_eq(bw_hist_slot(5 * MS), 12); /* 5000us in [4096, 8192) */

	/* A block straight after another closes it and opens a new one. */
	run(skel, 10, BW_TASK_UNINTERRUPTIBLE, 2000 * MS, 1005 * MS);
	run(skel, 10, BW_TASK_INTERRUPTIBLE, 2003 * MS, 2001 * MS);
	cr_assert_eq(history(skel, self(), &h), 0);
	cr_assert_eq(h.blocks, 2);
	cr_assert_eq(h.total_ns, 6 * MS);
	cr_assert_eq(h.max_ns, 5 * MS);
	cr_assert_eq(h.block_start_ns, 2003 * MS);
	cr_assert_eq(counter(skel, BW_CNT_TRACKED), 1);
	offcpu_bpf__destroy(skel);
}

Test(bpf_offcpu, arrival_before_the_start_drops_the_block)
{
	struct offcpu_bpf *skel = load(0, 64);
	struct bw_history h;

	run(skel, 10, BW_TASK_INTERRUPTIBLE, 1000 * MS, 1);
	run(skel, 10, BW_TASK_RUNNING, 1010 * MS, 900 * MS);
	cr_assert_eq(history(skel, self(), &h), 0);
	cr_assert_eq(h.blocks, 0, "a block with no end seen is not counted");
	cr_assert_eq(h.block_start_ns, 0);
	offcpu_bpf__destroy(skel);
}

Test(bpf_offcpu, kernel_clock_and_arrival)
{
	struct offcpu_bpf *skel = load(0, 64);
	struct timespec ts = { 0, 2 * MS };
	struct bw_history h;
	__u64 before, after;

	/* now = 0, arrival = 0 is what sched_switch passes: the program reads both. */
	before = mono_now();
	run(skel, 10, BW_TASK_INTERRUPTIBLE, 0, 0);
	after = mono_now();
	cr_assert_eq(history(skel, self(), &h), 0);
	cr_assert_neq(h.block_start_rq_ns, 0);
	/* The start in CLOCK_MONOTONIC: the runqueue clock plus a calibrated offset. */
	cr_assert_geq(h.block_start_ns + TICK_NS, before, "start %llu before %llu",
		      (unsigned long long)h.block_start_ns, (unsigned long long)before);
	cr_assert_leq(h.block_start_ns, after + TICK_NS);
	/* A real 2 ms sleep: the kernel records this thread's arrival after it. */
	cr_assert_eq(nanosleep(&ts, NULL), 0);
	run(skel, 10, BW_TASK_RUNNING, 0, 0);
	cr_assert_eq(history(skel, self(), &h), 0);
	cr_assert_eq(h.blocks, 1);
	cr_assert_geq(h.total_ns, 2 * MS, "%llu ns", (unsigned long long)h.total_ns);
	cr_assert_lt(h.total_ns, 10000 * MS);
	cr_assert_eq(h.block_start_ns, 0);
	offcpu_bpf__destroy(skel);
}

Test(bpf_offcpu, runnable_switch_is_no_block)
{
	struct offcpu_bpf *skel = load(0, 64);
	struct bw_history h;

	run(skel, 7, BW_TASK_RUNNING, 1000 * MS, 1);
	cr_assert_neq(history(skel, self(), &h), 0, "a preempted thread is not blocked");
	cr_assert_eq(errno, ENOENT);
	offcpu_bpf__destroy(skel);
}

Test(bpf_offcpu, other_processes_are_filtered)
{
	struct offcpu_bpf *skel = load(42, 64);
	struct bw_history h;

	run(skel, 43, BW_TASK_INTERRUPTIBLE, 1000 * MS, 1);
	cr_assert_neq(history(skel, self(), &h), 0);
	run(skel, 42, BW_TASK_INTERRUPTIBLE, 1000 * MS, 1);
	cr_assert_eq(history(skel, self(), &h), 0);
	offcpu_bpf__destroy(skel);
}

struct other {
	struct offcpu_bpf *skel;
	pid_t tid;
	int go[2], done[2];
	bool exit_at_once;
};

/* A second thread: one switch-out of its own, then waits to be let go. */
static void *other_thread(void *arg)
{
	struct other *o = arg;
	char c = 0;

	o->tid = self();
	run(o->skel, 1, BW_TASK_INTERRUPTIBLE, 10, 1);
	if (write(o->done[1], &c, 1) != 1 || o->exit_at_once)
		return NULL;
	if (read(o->go[0], &c, 1) != 1)
		return NULL;
	return NULL;
}

static void other_start(struct other *o, pthread_t *th)
{
	char c;

	cr_assert_eq(pipe(o->go), 0);
	cr_assert_eq(pipe(o->done), 0);
	cr_assert_eq(pthread_create(th, NULL, other_thread, o), 0);
	cr_assert_eq(read(o->done[0], &c, 1), 1);
}

static void other_stop(struct other *o, pthread_t th)
{
	char c = 0;

	cr_assert_eq(write(o->go[1], &c, 1), 1);
	pthread_join(th, NULL);
	close(o->go[0]);
	close(o->go[1]);
	close(o->done[0]);
	close(o->done[1]);
}

static void full_is_counted(void)
{
	struct offcpu_bpf *skel = load(0, 1);
	struct other o = { .skel = skel };
	struct bw_history h;
	pthread_t th;

	run(skel, 1, BW_TASK_INTERRUPTIBLE, 10, 1);
	cr_assert_eq(counter(skel, BW_CNT_TRACKED), 1);
	other_start(&o, &th);
	cr_assert_eq(counter(skel, BW_CNT_HIST_FULL), 1);
	cr_assert_neq(history(skel, o.tid, &h), 0, "no room for a second thread");
	other_stop(&o, th);
	/* Existing entries keep working. */
	run(skel, 1, BW_TASK_RUNNING, 30, 20);
	cr_assert_eq(history(skel, self(), &h), 0);
	cr_assert_eq(h.blocks, 1);
	offcpu_bpf__destroy(skel);
}

static void histories_are_per_thread(void)
{
	struct offcpu_bpf *skel = load(0, 64);
	struct other o = { .skel = skel };
	struct bw_history h;
	pthread_t th;

	run(skel, 1, BW_TASK_UNINTERRUPTIBLE, 5, 1);
	other_start(&o, &th);
	cr_assert_eq(history(skel, o.tid, &h), 0);
	cr_assert_eq(h.block_start_ns, 10);
	cr_assert_eq(h.block_state, BW_TASK_INTERRUPTIBLE);
	cr_assert_eq(history(skel, self(), &h), 0);
	cr_assert_eq(h.block_start_ns, 5);
	cr_assert_eq(h.block_state, BW_TASK_UNINTERRUPTIBLE);
	cr_assert_eq(counter(skel, BW_CNT_TRACKED), 2);
	other_stop(&o, th);
	offcpu_bpf__destroy(skel);
}

static void exit_frees_the_slot(void)
{
	struct offcpu_bpf *skel = load(0, 64);
	struct other o = { .skel = skel, .exit_at_once = true };
	struct bpf_link *link;
	pthread_t th;
	int i;

	link = bpf_program__attach(skel->progs.sched_process_exit);
	cr_assert_not_null(link, "attach sched_process_exit: %s", strerror(errno));
	other_start(&o, &th);
	pthread_join(th, NULL);
	/* The exit tracepoint may run after join returns: wait for it, bounded. */
	for (i = 0; i < 200 && counter(skel, BW_CNT_TRACKED); i++)
		usleep(10 * 1000);
	cr_assert_eq(counter(skel, BW_CNT_TRACKED), 0);
	bpf_link__destroy(link);
	close(o.go[0]);
	close(o.go[1]);
	close(o.done[0]);
	close(o.done[1]);
	offcpu_bpf__destroy(skel);
}

struct blocker {
	bool futex; /* block in futex waits, else in nanosleep */
	pid_t tid;
	int go[2], done[2];
};

/* Three real blocks of 5 ms, then waits on a pipe (a block too, not a futex). */
static void *blocker_thread(void *arg)
{
	struct timespec ts = { 0, 5 * MS };
	struct blocker *b = arg;
	__u32 word = 0;
	char c = 0;
	int i;

	b->tid = self();
	for (i = 0; i < 3; i++) {
		if (b->futex)
			syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
		else
			nanosleep(&ts, NULL);
	}
	if (write(b->done[1], &c, 1) != 1)
		return NULL;
	(void)!read(b->go[0], &c, 1);
	return NULL;
}

/* The history of a thread blocking for real, read while it waits on the pipe. */
static void real_blocks(bool futex, struct bw_history *h)
{
	struct offcpu_bpf *skel = load(getpid(), 64);
	struct blocker b = { .futex = futex };
	struct bpf_link *link;
	pthread_t th;
	char c = 0;
	int i;

	link = bpf_program__attach(skel->progs.sched_switch);
	cr_assert_not_null(link, "attach sched_switch: %s", strerror(errno));
	cr_assert_eq(pipe(b.go), 0);
	cr_assert_eq(pipe(b.done), 0);
	cr_assert_eq(pthread_create(&th, NULL, blocker_thread, &b), 0);
	cr_assert_eq(read(b.done[0], &c, 1), 1);
	/*
	 * Until it is off the CPU in its pipe read (bounded): that switch-out
	 * closes the last of its three blocks.
	 */
	for (i = 0; i < 200; i++) {
		cr_assert_eq(history(skel, b.tid, h), 0, "no history: %s", strerror(errno));
		if (h->blocks >= 3 && h->block_start_ns)
			break;
		usleep(10 * 1000);
	}
	cr_assert_eq(write(b.go[1], &c, 1), 1);
	pthread_join(th, NULL);
	bpf_link__destroy(link);
	offcpu_bpf__destroy(skel);
	close(b.go[0]);
	close(b.go[1]);
	close(b.done[0]);
	close(b.done[1]);
}

static void futex_blocks_are_counted(void)
{
	struct bw_history h;

	real_blocks(true, &h);
	cr_assert_geq(h.blocks, 3);
	cr_assert_geq(h.futex_blocks, 3, "%u futex blocks", h.futex_blocks);
}

static void other_blocks_are_not_futex_blocks(void)
{
	struct bw_history h;

	real_blocks(false, &h);
	cr_assert_geq(h.blocks, 3);
	cr_assert_eq(h.futex_blocks, 0, "%u futex blocks", h.futex_blocks);
}

Test(bpf_offcpu, block_is_accounted)
{
	block_is_accounted();
}

Test(bpf_offcpu_hash, block_is_accounted, .init = use_hash)
{
	block_is_accounted();
}

Test(bpf_offcpu, full_is_counted)
{
	full_is_counted();
}

Test(bpf_offcpu_hash, full_is_counted, .init = use_hash)
{
	full_is_counted();
}

Test(bpf_offcpu, histories_are_per_thread)
{
	histories_are_per_thread();
}

Test(bpf_offcpu_hash, histories_are_per_thread, .init = use_hash)
{
	histories_are_per_thread();
}

Test(bpf_offcpu, exit_frees_the_slot)
{
	exit_frees_the_slot();
}

Test(bpf_offcpu_hash, exit_frees_the_slot, .init = use_hash)
{
	exit_frees_the_slot();
}

Test(bpf_offcpu, futex_blocks_are_counted)
{
	futex_blocks_are_counted();
}

Test(bpf_offcpu_hash, futex_blocks_are_counted, .init = use_hash)
{
	futex_blocks_are_counted();
}

Test(bpf_offcpu, other_blocks_are_not_futex_blocks)
{
	other_blocks_are_not_futex_blocks();
}

Test(bpf_offcpu_hash, other_blocks_are_not_futex_blocks, .init = use_hash)
{
	other_blocks_are_not_futex_blocks();
}
