// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <criterion/criterion.h>
#include "platform/memread.h"

static const char pattern[] = "blockwatch memread pattern";

/* Makes process_vm_readv fail with err in this (test) process only. */
static void refuse_process_vm_readv(int err)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_process_vm_readv, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };

	cr_assert_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	cr_assert_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0, "seccomp: %s",
		     strerror(errno));
}

/* Two pages, the second unmapped: a read across them must fail whole. */
static char *page_before_hole(size_t *page)
{
	char *p;

	*page = sysconf(_SC_PAGESIZE);
	p = mmap(NULL, 2 * *page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(p, MAP_FAILED);
	cr_assert_eq(munmap(p + *page, *page), 0);
	memset(p, 0x5a, *page);
	return p;
}

static void check_self(void)
{
	struct bw_mem *mem = NULL;
	char buf[sizeof(pattern)] = { 0 };
	__u64 v64 = 0, want64 = 0x1122334455667788ull;
	__u32 v32 = 0, want32 = 0xdeadbeef;
	size_t page;
	char *p;

	cr_assert_eq(bw_mem__open(getpid(), &mem), 0);
	cr_assert_eq(bw_mem__pid(mem), getpid());
	cr_assert_eq(bw_mem__read(mem, (unsigned long)pattern, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, pattern);
	cr_assert_eq(bw_mem__read_u64(mem, (unsigned long)&want64, &v64), 0);
	cr_assert_eq(v64, want64);
	cr_assert_eq(bw_mem__read_u32(mem, (unsigned long)&want32, &v32), 0);
	cr_assert_eq(v32, want32);
	cr_assert_eq(bw_mem__read(mem, (unsigned long)pattern, buf, 0), 0);

	p = page_before_hole(&page);
	cr_assert_eq(bw_mem__read_u64(mem, (unsigned long)(p + page - 8), &v64), 0);
	cr_assert_eq(v64, 0x5a5a5a5a5a5a5a5aull);
	cr_assert_eq(bw_mem__read_u64(mem, (unsigned long)(p + page - 4), &v64), -EFAULT);
	cr_assert_eq(bw_mem__read_u64(mem, (unsigned long)(p + page), &v64), -EFAULT);
	cr_assert_eq(bw_mem__read_u64(mem, 8, &v64), -EFAULT);
	cr_assert_eq(bw_mem__read_u64(mem, ~0ull - 3, &v64), -EFAULT);
	munmap(p, page);
	bw_mem__free(mem);
}

Test(memread, self)
{
	check_self();
}

Test(memread, proc_mem_when_vm_readv_is_eperm)
{
	refuse_process_vm_readv(EPERM);
	check_self();
}

Test(memread, proc_mem_when_vm_readv_is_enosys)
{
	refuse_process_vm_readv(ENOSYS);
	check_self();
}

Test(memread, child)
{
	static char secret[64];
	struct bw_mem *mem = NULL;
	char buf[sizeof(secret)];
	int go[2], done[2];
	pid_t pid;
	char c;

	cr_assert_eq(pipe(go), 0);
	cr_assert_eq(pipe(done), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* Written after fork: the parent's copy stays zero. */
		strcpy(secret, "only in the child");
		(void)!write(go[1], "x", 1);
		(void)!read(done[0], &c, 1);
		_exit(0);
	}
	cr_assert_eq(read(go[0], &c, 1), 1);
	cr_assert_eq(bw_mem__open(pid, &mem), 0);
	cr_assert_eq(bw_mem__read(mem, (unsigned long)secret, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "only in the child");
	cr_assert_str_empty(secret);
	bw_mem__free(mem);

	(void)!write(done[1], "x", 1);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	/* Reaped: the pid is gone (reuse within this test is out of reach). */
	cr_assert_eq(bw_mem__open(pid, &mem), -ESRCH);
	cr_assert_null(mem);
}

Test(memread, bad_pid)
{
	struct bw_mem *mem = (struct bw_mem *)1;

	cr_assert_eq(bw_mem__open(0, &mem), -EINVAL);
	cr_assert_null(mem);
	bw_mem__free(NULL);
}
