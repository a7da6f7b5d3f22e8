// SPDX-License-Identifier: GPL-2.0
/*
 * A 32-bit (i386) program without libc: int $0x80 syscalls only. Built with
 * clang -m32 -nostdlib -static by mk/quality.mk (not the generic rule).
 *
 * It forks a child that pauses (and dies with its parent), then blocks in
 * waitpid(2), i386 syscall 7. On x86_64, 7 is poll(2): a tool that read the
 * compat syscall number as a native one would call this thread idle in
 * poll. Announces "tid T role waiter expect blocked wait other", then
 * "child C", then "ready" right before the call: the test waits for
 * /proc/PID/syscall to say 7 itself.
 */
#define NR_EXIT 1
#define NR_FORK 2
#define NR_WRITE 4
#define NR_WAITPID 7
#define NR_PAUSE 29
#define NR_PRCTL 172
#define NR_GETTID 224
#define PR_SET_PDEATHSIG 1
#define SIGKILL 9

static long sys3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return ret;
}

static unsigned long str_len(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static void put(const char *s)
{
	sys3(NR_WRITE, 1, (long)s, (long)str_len(s));
}

static void put_num(long v)
{
	char buf[16];
	int i = sizeof(buf) - 1;

	buf[i] = '\0';
	do {
		buf[--i] = '0' + v % 10;
		v /= 10;
	} while (v && i > 0);
	put(buf + i);
}

void _start(void)
{
	long child = sys3(NR_FORK, 0, 0, 0);

	if (child == 0) {
		sys3(NR_PRCTL, PR_SET_PDEATHSIG, SIGKILL, 0);
		for (;;)
			sys3(NR_PAUSE, 0, 0, 0);
	}
	if (child < 0)
		sys3(NR_EXIT, 1, 0, 0);
	put("tid ");
	put_num(sys3(NR_GETTID, 0, 0, 0));
	put(" role waiter expect blocked wait other\n");
	put("ready\n");
	for (;;)
		sys3(NR_WAITPID, child, 0, 0);
}
