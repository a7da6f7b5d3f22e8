// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <sys/syscall.h>
#include "threads/waitclass.h"

#define FUTEX_CMD_MASK 0x7f
#define FUTEX_WAIT 0
#define FUTEX_LOCK_PI 6
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAIT_REQUEUE_PI 11
#define FUTEX_LOCK_PI2 13

/* How deep into the stack a libc wrapper may sit below the syscall. */
#define FRAMES_TO_SCAN 8

static const char *const wait_names[BW_WAIT_MAX] = {
	[BW_WAIT_NONE] = "none",
	[BW_WAIT_MUTEX] = "mutex",
	[BW_WAIT_CONDVAR] = "condvar",
	[BW_WAIT_RWLOCK] = "rwlock",
	[BW_WAIT_SEMAPHORE] = "semaphore",
	[BW_WAIT_JOIN] = "join",
	[BW_WAIT_FUTEX] = "futex",
	[BW_WAIT_RUNTIME] = "runtime",
	[BW_WAIT_EPOLL] = "epoll",
	[BW_WAIT_POLL] = "poll",
	[BW_WAIT_SELECT] = "select",
	[BW_WAIT_ACCEPT] = "accept",
	[BW_WAIT_SLEEP] = "sleep",
	[BW_WAIT_PIPE_READ] = "pipe_read",
	[BW_WAIT_PIPE_WRITE] = "pipe_write",
	[BW_WAIT_SOCKET_READ] = "socket_read",
	[BW_WAIT_SOCKET_WRITE] = "socket_write",
	[BW_WAIT_CONNECT] = "connect",
	[BW_WAIT_READ] = "read",
	[BW_WAIT_WRITE] = "write",
	[BW_WAIT_SIGNAL] = "signal",
	[BW_WAIT_CHILD] = "wait_child",
	[BW_WAIT_FILE_LOCK] = "file_lock",
	[BW_WAIT_IPC] = "ipc",
	[BW_WAIT_IO] = "io",
	[BW_WAIT_STOPPED] = "stopped",
	[BW_WAIT_OTHER] = "other",
};

const char *bw_wait_name(enum bw_wait wait)
{
	if (wait < 0 || wait >= BW_WAIT_MAX)
		return "other";
	return wait_names[wait];
}

const char *bw_verdict_name(enum bw_verdict verdict)
{
	switch (verdict) {
	case BW_VERDICT_IDLE:
		return "idle";
	case BW_VERDICT_BLOCKED:
		return "blocked";
	case BW_VERDICT_STUCK:
		return "stuck";
	case BW_VERDICT_LEAK:
		return "leak";
	case BW_VERDICT_DEADLOCK:
		return "deadlock";
	default:
		return "none";
	}
}

const char *bw_reason_name(enum bw_reason reason)
{
	static const char *const names[BW_REASON_COUNT] = {
		[BW_REASON_NONE] = "none",
		[BW_REASON_CYCLE] = "cycle",
		[BW_REASON_OWNER_GONE] = "owner_gone",
		[BW_REASON_OWNER_DEADLOCK] = "owner_deadlocked",
		[BW_REASON_OWNER_LEAK] = "owner_leaked",
		[BW_REASON_PILE] = "pile",
		[BW_REASON_OWNER_STUCK] = "owner_stuck",
		[BW_REASON_NO_WAKER] = "no_waker",
		[BW_REASON_RUNTIME] = "runtime",
		[BW_REASON_IGNORED] = "ignored",
		[BW_REASON_POOL] = "pool",
		[BW_REASON_JOIN_LIVE] = "join_live",
	};

	if (reason < 0 || reason >= BW_REASON_COUNT)
		return "none";
	return names[reason];
}

/*
 * Library entry points that wait on a futex, by the kind of object. glibc's
 * internal names (___pthread_mutex_lock, __lll_lock_wait...) show up when
 * it has symbols; the public ones when only .dynsym is there.
 */
static const struct {
	const char *prefix;
	enum bw_wait wait;
} futex_users[] = {
	{ "__lll_lock_wait", BW_WAIT_MUTEX },
	{ "pthread_mutex_", BW_WAIT_MUTEX },
	{ "__pthread_mutex_", BW_WAIT_MUTEX },
	{ "___pthread_mutex_", BW_WAIT_MUTEX },
	{ "std::mutex::lock", BW_WAIT_MUTEX },
	{ "pthread_cond_", BW_WAIT_CONDVAR },
	{ "__pthread_cond_", BW_WAIT_CONDVAR },
	{ "___pthread_cond_", BW_WAIT_CONDVAR },
	{ "std::condition_variable::", BW_WAIT_CONDVAR },
	{ "pthread_rwlock_", BW_WAIT_RWLOCK },
	{ "__pthread_rwlock_", BW_WAIT_RWLOCK },
	{ "___pthread_rwlock_", BW_WAIT_RWLOCK },
	{ "pthread_join", BW_WAIT_JOIN },
	{ "pthread_timedjoin", BW_WAIT_JOIN },
	{ "pthread_clockjoin", BW_WAIT_JOIN },
	{ "__pthread_clockjoin", BW_WAIT_JOIN },
	{ "__pthread_join", BW_WAIT_JOIN },
	{ "sem_wait", BW_WAIT_SEMAPHORE },
	{ "sem_timedwait", BW_WAIT_SEMAPHORE },
	{ "sem_clockwait", BW_WAIT_SEMAPHORE },
	{ "__new_sem_wait", BW_WAIT_SEMAPHORE },
	{ "__sem_wait", BW_WAIT_SEMAPHORE },
	/* Go parks idle Ms in notesleep/futexsleep; goroutines are seen apart. */
	{ "runtime.", BW_WAIT_RUNTIME },
};

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static enum bw_wait futex_user(const struct bw_wait_input *in)
{
	int i, n = in->nfuncs < FRAMES_TO_SCAN ? in->nfuncs : FRAMES_TO_SCAN;
	size_t j;

	for (i = 0; i < n; i++) {
		const char *f = in->funcs[i];

		if (!f || !*f)
			continue;
		for (j = 0; j < sizeof(futex_users) / sizeof(futex_users[0]); j++)
			if (has_prefix(f, futex_users[j].prefix))
				return futex_users[j].wait;
	}
	return BW_WAIT_FUTEX;
}

bool bw_wait_is_pi_lock(const __u64 args[6])
{
	__u32 cmd = args[1] & FUTEX_CMD_MASK;

	return cmd == FUTEX_LOCK_PI || cmd == FUTEX_LOCK_PI2;
}

bool bw_wait_syscall_takes_fd(__s64 nr)
{
	switch (nr) {
	case SYS_read:
	case SYS_readv:
	case SYS_pread64:
	case SYS_write:
	case SYS_writev:
	case SYS_recvfrom:
	case SYS_recvmsg:
	case SYS_recvmmsg:
	case SYS_sendto:
	case SYS_sendmsg:
	case SYS_accept:
	case SYS_accept4:
	case SYS_connect:
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
#ifdef SYS_epoll_pwait2
	case SYS_epoll_pwait2:
#endif
	case SYS_flock:
	case SYS_fcntl:
		return true;
	}
	return false;
}

static enum bw_wait rw_class(enum bw_fd_kind kind, bool write)
{
	switch (kind) {
	case BW_FD_PIPE:
		return write ? BW_WAIT_PIPE_WRITE : BW_WAIT_PIPE_READ;
	case BW_FD_SOCKET:
		return write ? BW_WAIT_SOCKET_WRITE : BW_WAIT_SOCKET_READ;
	default:
		return write ? BW_WAIT_WRITE : BW_WAIT_READ;
	}
}

static void classify_futex(const struct bw_wait_input *in, struct bw_wait_result *out)
{
	__u32 cmd = in->args[1] & FUTEX_CMD_MASK;

	out->addr = in->args[0];
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
	case FUTEX_WAIT_REQUEUE_PI:
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
		/* LOCK_PI takes its timeout in args[3] too. */
		out->timed = in->args[3] != 0;
		break;
	default:
		/* Wake and requeue ops do not block for long. */
		out->wait = BW_WAIT_OTHER;
		return;
	}
	out->wait = futex_user(in);
	if (out->wait == BW_WAIT_FUTEX && (cmd == FUTEX_LOCK_PI || cmd == FUTEX_LOCK_PI2))
		out->wait = BW_WAIT_MUTEX;
}

void bw_wait_classify(const struct bw_wait_input *in, struct bw_wait_result *out)
{
	__s64 nr = in->syscall_nr;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (in->state == 'T' || in->state == 't') {
		out->wait = BW_WAIT_STOPPED;
		return;
	}
	if (in->state == 'D') {
		out->wait = BW_WAIT_IO;
		return;
	}
	if (bw_wait_syscall_takes_fd(nr))
		out->fd = (int)in->args[0];

	switch (nr) {
	case SYS_futex:
		classify_futex(in, out);
		return;
#ifdef SYS_futex_waitv
	case SYS_futex_waitv:
		out->wait = futex_user(in);
		out->timed = in->args[3] != 0;
		return;
#endif
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
		out->wait = BW_WAIT_EPOLL;
		out->timed = (int)in->args[3] >= 0;
		return;
#ifdef SYS_epoll_pwait2
	case SYS_epoll_pwait2:
		out->wait = BW_WAIT_EPOLL;
		out->timed = in->args[3] != 0;
		return;
#endif
	case SYS_poll:
		out->wait = BW_WAIT_POLL;
		out->timed = (int)in->args[2] >= 0;
		return;
	case SYS_ppoll:
		out->wait = BW_WAIT_POLL;
		out->timed = in->args[2] != 0;
		return;
	case SYS_select:
	case SYS_pselect6:
		out->wait = BW_WAIT_SELECT;
		out->timed = in->args[4] != 0;
		return;
	case SYS_accept:
	case SYS_accept4:
		out->wait = BW_WAIT_ACCEPT;
		return;
	case SYS_connect:
		out->wait = BW_WAIT_CONNECT;
		return;
	case SYS_nanosleep:
	case SYS_clock_nanosleep:
		out->wait = BW_WAIT_SLEEP;
		out->timed = true;
		return;
	case SYS_pause:
	case SYS_rt_sigsuspend:
		out->wait = BW_WAIT_SIGNAL;
		return;
	case SYS_rt_sigtimedwait:
		out->wait = BW_WAIT_SIGNAL;
		out->timed = in->args[2] != 0;
		return;
	case SYS_wait4:
	case SYS_waitid:
		out->wait = BW_WAIT_CHILD;
		return;
	case SYS_flock:
	case SYS_fcntl:
		out->wait = BW_WAIT_FILE_LOCK;
		return;
	case SYS_msgrcv:
	case SYS_msgsnd:
	case SYS_semop:
	case SYS_semtimedop:
	case SYS_mq_timedreceive:
	case SYS_mq_timedsend:
		out->wait = BW_WAIT_IPC;
		return;
	case SYS_read:
	case SYS_readv:
	case SYS_pread64:
		out->wait = rw_class(in->fd_kind, false);
		return;
	case SYS_recvfrom:
	case SYS_recvmsg:
	case SYS_recvmmsg:
		out->wait = BW_WAIT_SOCKET_READ;
		return;
	case SYS_write:
	case SYS_writev:
		out->wait = rw_class(in->fd_kind, true);
		return;
	case SYS_sendto:
	case SYS_sendmsg:
		out->wait = BW_WAIT_SOCKET_WRITE;
		return;
	}
	out->wait = BW_WAIT_OTHER;
}
