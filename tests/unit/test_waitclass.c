// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <sys/syscall.h>
#include "threads/waitclass.h"

static struct bw_wait_result classify(__s64 nr, __u64 a0, __u64 a1, __u64 a2, __u64 a3,
				      const char *const *funcs, int nfuncs, enum bw_fd_kind kind)
{
	struct bw_wait_input in = { .state = 'S',
				    .syscall_nr = nr,
				    .args = { a0, a1, a2, a3 },
				    .funcs = funcs,
				    .nfuncs = nfuncs,
				    .fd_kind = kind };
	struct bw_wait_result out;

	bw_wait_classify(&in, &out);
	return out;
}

#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAIT_BITSET_PRIVATE (9 | 128)

Test(waitclass, futex_kinds_from_stack)
{
	const char *mutex[] = { "", "pthread_mutex_lock", "transfer" };
	const char *mutex_glibc[] = { "__lll_lock_wait", "___pthread_mutex_lock" };
	const char *cond[] = { "", "__pthread_cond_wait_common", "pthread_cond_wait", "consumer" };
	const char *join[] = { "", "__pthread_clockjoin_ex", "main" };
	const char *sem[] = { "", "__new_sem_wait_slow64", "sem_wait" };
	const char *rw[] = { "", "pthread_rwlock_wrlock" };
	const char *go[] = { "runtime.futex", "runtime.futexsleep", "runtime.notesleep" };
	const char *raw[] = { "my_lock", "main" };
	struct bw_wait_result r;

	r = classify(SYS_futex, 0x1000, FUTEX_WAIT_PRIVATE, 2, 0, mutex, 3, 0);
	cr_assert_eq(r.wait, BW_WAIT_MUTEX);
	cr_assert_eq(r.addr, 0x1000);
	cr_assert_not(r.timed);
	cr_assert_eq(classify(SYS_futex, 1, FUTEX_WAIT_PRIVATE, 2, 0, mutex_glibc, 2, 0).wait,
		     BW_WAIT_MUTEX);
	cr_assert_eq(classify(SYS_futex, 1, FUTEX_WAIT_BITSET_PRIVATE, 0, 0, cond, 4, 0).wait,
		     BW_WAIT_CONDVAR);
	cr_assert_eq(classify(SYS_futex, 1, 9, 77, 0, join, 3, 0).wait, BW_WAIT_JOIN);
	cr_assert_eq(classify(SYS_futex, 1, 9, 0, 0, sem, 3, 0).wait, BW_WAIT_SEMAPHORE);
	cr_assert_eq(classify(SYS_futex, 1, 9, 0, 0, rw, 2, 0).wait, BW_WAIT_RWLOCK);
	cr_assert_eq(classify(SYS_futex, 1, 128, 0, 0, go, 3, 0).wait, BW_WAIT_RUNTIME);
	cr_assert_eq(classify(SYS_futex, 1, 128, 0, 0, raw, 2, 0).wait, BW_WAIT_FUTEX);
	cr_assert_eq(classify(SYS_futex, 1, 128, 0, 0, NULL, 0, 0).wait, BW_WAIT_FUTEX);
}

Test(waitclass, futex_timeouts_and_ops)
{
	const char *cond[] = { "pthread_cond_timedwait" };
	struct bw_wait_result r;

	r = classify(SYS_futex, 1, FUTEX_WAIT_BITSET_PRIVATE, 0, 0x7ffd0000, cond, 1, 0);
	cr_assert_eq(r.wait, BW_WAIT_CONDVAR);
	cr_assert(r.timed);
	/* FUTEX_LOCK_PI with no symbols is still a mutex: the word holds the owner. */
	r = classify(SYS_futex, 1, 6 | 128, 0, 0, NULL, 0, 0);
	cr_assert_eq(r.wait, BW_WAIT_MUTEX);
	/* FUTEX_WAKE does not wait. */
	cr_assert_eq(classify(SYS_futex, 1, 1, 1, 0, NULL, 0, 0).wait, BW_WAIT_OTHER);
}

Test(waitclass, stack_scan_is_bounded)
{
	const char *deep[12] = {
		"a", "b", "c", "d", "e", "f", "g", "h", "i", "pthread_mutex_lock"
	};

	cr_assert_eq(classify(SYS_futex, 1, 128, 0, 0, deep, 10, 0).wait, BW_WAIT_FUTEX);
}

Test(waitclass, idle_syscalls)
{
	cr_assert_eq(classify(SYS_epoll_wait, 3, 0, 1, -1, NULL, 0, 0).wait, BW_WAIT_EPOLL);
	cr_assert_not(classify(SYS_epoll_wait, 3, 0, 1, -1, NULL, 0, 0).timed);
	cr_assert(classify(SYS_epoll_wait, 3, 0, 1, 100, NULL, 0, 0).timed);
	cr_assert_eq(classify(SYS_epoll_wait, 3, 0, 1, -1, NULL, 0, 0).fd, 3);
	cr_assert_eq(classify(SYS_accept4, 4, 0, 0, 0, NULL, 0, BW_FD_SOCKET).wait, BW_WAIT_ACCEPT);
	cr_assert_eq(classify(SYS_clock_nanosleep, 0, 0, 0, 0, NULL, 0, 0).wait, BW_WAIT_SLEEP);
	cr_assert_eq(classify(SYS_nanosleep, 0, 0, 0, 0, NULL, 0, 0).wait, BW_WAIT_SLEEP);
	cr_assert_eq(classify(SYS_read, 5, 0, 0, 0, NULL, 0, BW_FD_PIPE).wait, BW_WAIT_PIPE_READ);
	cr_assert_eq(classify(SYS_read, 5, 0, 0, 0, NULL, 0, BW_FD_SOCKET).wait,
		     BW_WAIT_SOCKET_READ);
	cr_assert_eq(classify(SYS_read, 0, 0, 0, 0, NULL, 0, BW_FD_TTY).wait, BW_WAIT_READ);
	cr_assert_eq(classify(SYS_write, 5, 0, 0, 0, NULL, 0, BW_FD_PIPE).wait, BW_WAIT_PIPE_WRITE);
	cr_assert_eq(classify(SYS_poll, 0, 0, -1, 0, NULL, 0, 0).wait, BW_WAIT_POLL);
	cr_assert_eq(classify(SYS_pselect6, 0, 0, 0, 0, NULL, 0, 0).wait, BW_WAIT_SELECT);
	cr_assert_eq(classify(SYS_pause, 0, 0, 0, 0, NULL, 0, 0).wait, BW_WAIT_SIGNAL);
	cr_assert_eq(classify(SYS_wait4, 0, 0, 0, 0, NULL, 0, 0).wait, BW_WAIT_CHILD);
	cr_assert_eq(classify(SYS_getpid, 0, 0, 0, 0, NULL, 0, 0).wait, BW_WAIT_OTHER);
	cr_assert_eq(classify(-1, 0, 0, 0, 0, NULL, 0, 0).wait, BW_WAIT_OTHER);
}

Test(waitclass, states)
{
	struct bw_wait_input in = { .state = 'D', .syscall_nr = SYS_read };
	struct bw_wait_result out;

	bw_wait_classify(&in, &out);
	cr_assert_eq(out.wait, BW_WAIT_IO);
	in.state = 'T';
	bw_wait_classify(&in, &out);
	cr_assert_eq(out.wait, BW_WAIT_STOPPED);
}

Test(waitclass, names)
{
	cr_assert_str_eq(bw_wait_name(BW_WAIT_PIPE_READ), "pipe_read");
	cr_assert_str_eq(bw_wait_name(BW_WAIT_MUTEX), "mutex");
	cr_assert_str_eq(bw_wait_name(BW_WAIT_MAX), "other");
	cr_assert_str_eq(bw_verdict_name(BW_VERDICT_DEADLOCK), "deadlock");
	cr_assert_str_eq(bw_verdict_name(BW_VERDICT_IDLE), "idle");
}
