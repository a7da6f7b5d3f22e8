/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The announcement protocol of the e2e target programs.
 *
 * Each interesting thread, right before its blocking call, writes one line
 *
 *	tid <TID> role <ROLE> expect <VERDICT> wait <CLASS>
 *
 * to stdout, where VERDICT is what blockwatch must say about it (deadlock,
 * leak, blocked, idle, or none for "no record at all") and CLASS the wait
 * class it must report ("none" when no record is expected). Once every
 * announced thread is verified to sit in its blocking syscall (state S or D
 * in /proc/self/task/TID/stat, a syscall number in .../syscall), the main
 * thread writes "ready" and the program stays as it is until killed.
 *
 * Lines go out with one write(2) each, not stdio: a pipe write under
 * PIPE_BUF is atomic, and the stdio lock would be a futex wait of its own.
 * The Makefile compiles each target from its .c alone and tracks no header
 * dependency: after editing this file, rebuild with "make -B targets".
 */
#ifndef ANNOUNCE_H
#define ANNOUNCE_H

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#define ANNOUNCE_MAX_THREADS 32
#define ANNOUNCE_TIMEOUT_S 10

/* What the thread must be doing before "ready": */
#define SYS_NONE (-1L) /* anything (running threads, main) */
#define SYS_ANY (-2L)  /* blocked, in some syscall */

struct announce_slot {
	atomic_int tid; /* 0 until the slot is filled */
	long sysnr;	/* a syscall number, SYS_ANY or SYS_NONE */
	const char *role;
};

static struct {
	atomic_int used;
	struct announce_slot slot[ANNOUNCE_MAX_THREADS];
} announce_board;

static inline int announce_gettid(void)
{
	return (int)syscall(SYS_gettid);
}

static inline void announce_die(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len > 0)
		(void)!write(STDERR_FILENO, buf,
			     (size_t)len < sizeof(buf) ? (size_t)len : sizeof(buf));
	_exit(1);
}

static inline void announce_write(const char *line, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, line, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			announce_die("target: failed to write stdout: %s\n", strerror(errno));
		line += n;
		len -= (size_t)n;
	}
}

/*
 * Announce the calling thread. SYSNR is the syscall it is about to block in
 * (SYS_futex for every pthread lock, condvar, semaphore and join), SYS_ANY
 * when the libc wrapper may pick among several, SYS_NONE when it will not
 * block at all.
 */
static inline void announce(const char *role, const char *expect, const char *wait, long sysnr)
{
	int tid = announce_gettid();
	char line[160];
	int idx, len;

	len = snprintf(line, sizeof(line), "tid %d role %s expect %s wait %s\n", tid, role, expect,
		       wait);
	if (len < 0 || (size_t)len >= sizeof(line))
		announce_die("target: announcement too long for %s\n", role);
	announce_write(line, (size_t)len);

	idx = atomic_fetch_add(&announce_board.used, 1);
	if (idx >= ANNOUNCE_MAX_THREADS)
		announce_die("target: too many announced threads\n");
	announce_board.slot[idx].sysnr = sysnr;
	announce_board.slot[idx].role = role;
	atomic_store(&announce_board.slot[idx].tid, tid);
}

static inline double announce_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void announce_pause_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static inline int announce_read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

/* Is TID blocked (S or D) in the syscall the slot names? */
static inline int announce_in_place(const struct announce_slot *s, int tid)
{
	char path[64], buf[512], *p;
	long nr;

	if (s->sysnr == SYS_NONE)
		return 1;
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	if (announce_read_file(path, buf, sizeof(buf)))
		return 0;
	/* comm may hold spaces and parentheses: the state follows the last ')' */
	p = strrchr(buf, ')');
	if (!p || (p[2] != 'S' && p[2] != 'D'))
		return 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	if (announce_read_file(path, buf, sizeof(buf)))
		return 0;
	/* "running", "-1 sp pc" outside a syscall, else "nr args... sp pc" */
	if (buf[0] < '0' || buf[0] > '9')
		return 0;
	nr = strtol(buf, NULL, 10);
	return s->sysnr == SYS_ANY || nr == s->sysnr;
}

/*
 * Wait, at most ANNOUNCE_TIMEOUT_S, until NTHREADS threads have announced
 * and every one of them sits where it said it would, then write "ready".
 * Exits with status 1 and a message on stderr on timeout.
 */
static inline void announce_ready(int nthreads)
{
	double deadline = announce_now_s() + ANNOUNCE_TIMEOUT_S;
	int i;

	while (atomic_load(&announce_board.used) < nthreads) {
		if (announce_now_s() > deadline)
			announce_die("target: only %d of %d threads announced\n",
				     atomic_load(&announce_board.used), nthreads);
		announce_pause_ms(2);
	}
	for (i = 0; i < nthreads; i++) {
		struct announce_slot *s = &announce_board.slot[i];
		int tid;

		while (!(tid = atomic_load(&s->tid)) || !announce_in_place(s, tid)) {
			if (announce_now_s() > deadline)
				announce_die("target: thread %d (%s) not blocked where expected\n",
					     tid, s->role ? s->role : "?");
			announce_pause_ms(2);
		}
	}
	announce_write("ready\n", 6);
}

/* The main thread's usual ending: announce itself, wait for the others, pause. */
static inline void __attribute__((noreturn)) announce_main_and_pause(int nthreads)
{
	announce("main", "idle", "signal", SYS_NONE);
	announce_ready(nthreads + 1);
	for (;;)
		pause();
}

#endif /* ANNOUNCE_H */
