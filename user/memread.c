// SPDX-License-Identifier: GPL-2.0
/*
 * Reads another process's memory: process_vm_readv(2) first, pread(2) on
 * /proc/PID/mem when the syscall is refused (seccomp profiles of container
 * runtimes return EPERM or ENOSYS for it, while /proc/PID/mem stays open to
 * the same ptrace access check).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/uio.h>
#include "memread.h"

struct bw_mem {
	pid_t pid;
	int mem_fd;	   /* /proc/PID/mem, opened on the first fallback read */
	bool use_proc_mem; /* process_vm_readv was refused once: do not retry it */
};

int bw_mem__open(pid_t pid, struct bw_mem **out)
{
	struct bw_mem *mem;

	*out = NULL;
	if (pid <= 0)
		return -EINVAL;
	/* EPERM means it exists but is not ours to signal; the reads will tell. */
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return -ESRCH;
	mem = calloc(1, sizeof(*mem));
	if (!mem)
		return -ENOMEM;
	mem->pid = pid;
	mem->mem_fd = -1;
	*out = mem;
	return 0;
}

static int read_vm(struct bw_mem *mem, __u64 addr, char *buf, size_t len)
{
	while (len > 0) {
		struct iovec local = { .iov_base = buf, .iov_len = len };
		struct iovec remote = { .iov_base = (void *)(unsigned long)addr, .iov_len = len };
		ssize_t n = process_vm_readv(mem->pid, &local, 1, &remote, 1, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		/* A short read stops at an unmapped page; the retry then fails with EFAULT. */
		if (n == 0)
			return -EFAULT;
		buf += n;
		addr += n;
		len -= n;
	}
	return 0;
}

static int read_proc_mem(struct bw_mem *mem, __u64 addr, char *buf, size_t len)
{
	if (mem->mem_fd < 0) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/mem", mem->pid);
		mem->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (mem->mem_fd < 0)
			return errno == ENOENT ? -ESRCH : -errno;
	}
	/* pread takes a signed offset; user addresses never reach bit 63. */
	if (addr > LLONG_MAX || len > LLONG_MAX - addr)
		return -EFAULT;
	while (len > 0) {
		ssize_t n = pread(mem->mem_fd, buf, len, (off_t)addr);

		if (n < 0 && errno == EINTR)
			continue;
		/* The kernel reports an unmapped address in /proc/PID/mem as EIO. */
		if (n < 0)
			return errno == EIO ? -EFAULT : -errno;
		if (n == 0)
			return -EFAULT;
		buf += n;
		addr += n;
		len -= n;
	}
	return 0;
}

int bw_mem__read(struct bw_mem *mem, __u64 addr, void *buf, size_t len)
{
	int err;

	if (len == 0)
		return 0;
	if (addr + len < addr)
		return -EFAULT;
	if (!mem->use_proc_mem) {
		err = read_vm(mem, addr, buf, len);
		if (err != -EPERM && err != -ENOSYS)
			return err;
		mem->use_proc_mem = true;
	}
	return read_proc_mem(mem, addr, buf, len);
}

int bw_mem__read_u64(struct bw_mem *mem, __u64 addr, __u64 *val)
{
	return bw_mem__read(mem, addr, val, sizeof(*val));
}

int bw_mem__read_u32(struct bw_mem *mem, __u64 addr, __u32 *val)
{
	return bw_mem__read(mem, addr, val, sizeof(*val));
}

pid_t bw_mem__pid(const struct bw_mem *mem)
{
	return mem->pid;
}

void bw_mem__free(struct bw_mem *mem)
{
	if (!mem)
		return;
	if (mem->mem_fd >= 0)
		close(mem->mem_fd);
	free(mem);
}
