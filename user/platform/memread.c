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
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include "platform/memread.h"

struct bw_mem {
	pid_t pid;
	int mem_fd;	   /* /proc/PID/mem, opened on the first fallback read */
	bool use_proc_mem; /* process_vm_readv was refused once: do not retry it */
	/* bw_mem__readv's working space, kept between calls */
	size_t *order, *order_tmp;
	struct run *runs;
	char *scratch;
	size_t cap_order, cap_order_tmp, cap_runs, cap_scratch;
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

/* Pieces per process_vm_readv: the kernel's UIO_MAXIOV. */
#define VEC_MAX_ENTRIES 1024
/*
 * Pieces closer than this are read as one run: the kernel pins each page of
 * each piece, so a thousand neighbouring g structs cost their few pages
 * once instead of a page each.
 */
#define RUN_GAP_BYTES 4096
#define RUN_MAX_BYTES (256 << 10)

struct run {
	__u64 addr, end;
	size_t off;	    /* in the scratch buffer */
	size_t first, last; /* in order[] */
};

/*
 * order[0, n) by the pieces' addresses: an LSD radix sort of the indices,
 * a pass per byte that differs (a batch spans a few GiB of one process at
 * most), through tmp (n entries).
 */
static void sort_order(const struct bw_memvec *v, size_t *order, size_t *tmp, size_t n)
{
	size_t count[256], i, pass, sum, *src = order, *dst = tmp, *t;
	__u64 lo = ~0ULL, hi = 0;

	for (i = 0; i < n; i++) {
		lo = v[order[i]].addr < lo ? v[order[i]].addr : lo;
		hi = v[order[i]].addr > hi ? v[order[i]].addr : hi;
	}
	/* Bytes above the highest that differs are the same everywhere: no pass. */
	for (pass = 0; pass < 8 && ((lo ^ hi) >> (8 * pass)); pass++) {
		unsigned int shift = pass * 8;

		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(v[src[i]].addr >> shift) & 0xff]++;
		for (i = sum = 0; i < 256; i++) {
			size_t c = count[i];

			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[count[(v[src[i]].addr >> shift) & 0xff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != order)
		memcpy(order, src, n * sizeof(*order));
}

static int grow(void **p, size_t *cap, size_t want, size_t size)
{
	void *np;

	if (want <= *cap)
		return 0;
	np = realloc(*p, want * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = want;
	return 0;
}

/* Copies the pieces of a run read whole out of the scratch buffer. */
static void spread(struct bw_mem *mem, struct bw_memvec *v, const struct run *r)
{
	size_t j;

	for (j = r->first; j <= r->last; j++) {
		struct bw_memvec *p = &v[mem->order[j]];

		memcpy(p->buf, mem->scratch + r->off + (p->addr - r->addr), p->len);
		p->err = 0;
	}
}

static void read_alone(struct bw_mem *mem, struct bw_memvec *v, const struct run *r)
{
	size_t j;

	for (j = r->first; j <= r->last; j++) {
		struct bw_memvec *p = &v[mem->order[j]];

		p->err = bw_mem__read(mem, p->addr, p->buf, p->len);
	}
}

int bw_mem__readv(struct bw_mem *mem, struct bw_memvec *v, size_t n)
{
	struct iovec local[VEC_MAX_ENTRIES], remote[VEC_MAX_ENTRIES];
	size_t i, k, m, nr = 0, nord = 0, off = 0;
	struct run *runs;
	ssize_t got;

	if (grow((void **)&mem->order, &mem->cap_order, n, sizeof(*mem->order)) ||
	    grow((void **)&mem->order_tmp, &mem->cap_order_tmp, n, sizeof(*mem->order_tmp)) ||
	    grow((void **)&mem->runs, &mem->cap_runs, n, sizeof(*mem->runs))) {
		for (i = 0; i < n; i++) /* no room to batch: one at a time */
			v[i].err = bw_mem__read(mem, v[i].addr, v[i].buf, v[i].len);
		return 0;
	}
	for (i = 0; i < n; i++) {
		v[i].err = -EFAULT;
		if (v[i].len && v[i].addr + v[i].len > v[i].addr)
			mem->order[nord++] = i;
		else if (!v[i].len)
			v[i].err = 0;
	}
	for (i = 1; i < nord && v[mem->order[i - 1]].addr <= v[mem->order[i]].addr; i++)
		;
	if (i < nord) /* callers mostly pass them in address order already */
		sort_order(v, mem->order, mem->order_tmp, nord);
	runs = mem->runs;
	for (i = 0; i < nord; i++) {
		const struct bw_memvec *p = &v[mem->order[i]];
		struct run *r = nr ? &runs[nr - 1] : NULL;

		if (r && p->addr <= r->end + RUN_GAP_BYTES &&
		    (p->addr + p->len > r->end ? p->addr + p->len : r->end) - r->addr <=
			    RUN_MAX_BYTES) {
			if (p->addr + p->len > r->end)
				r->end = p->addr + p->len;
			r->last = i;
			continue;
		}
		if (r)
			off += r->end - r->addr;
		runs[nr++] = (struct run){ p->addr, p->addr + p->len, 0, i, i };
		runs[nr - 1].off = off;
	}
	if (nr)
		off += runs[nr - 1].end - runs[nr - 1].addr;
	if (grow((void **)&mem->scratch, &mem->cap_scratch, off, 1)) {
		for (i = 0; i < nr; i++)
			read_alone(mem, v, &runs[i]);
		return 0;
	}
	i = 0;
	while (i < nr && !mem->use_proc_mem) {
		for (m = 0; m < VEC_MAX_ENTRIES && i + m < nr; m++) {
			const struct run *r = &runs[i + m];

			local[m] = (struct iovec){ .iov_base = mem->scratch + r->off,
						   .iov_len = r->end - r->addr };
			remote[m] = (struct iovec){ .iov_base = (void *)(unsigned long)r->addr,
						    .iov_len = r->end - r->addr };
		}
		got = process_vm_readv(mem->pid, local, m, remote, m, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EPERM || errno == ENOSYS))
			break; /* refused: per-piece fallback below */
		if (got < 0 && errno != EFAULT) {
			int err = -errno;

			for (k = 0; k < n; k++)
				v[k].err = err;
			return err;
		}
		if (got < 0)
			got = 0;
		/* Whole runs first; the one the read stopped in is read piece by piece. */
		for (k = 0; k < m && (size_t)got >= runs[i + k].end - runs[i + k].addr; k++) {
			got -= runs[i + k].end - runs[i + k].addr;
			spread(mem, v, &runs[i + k]);
		}
		i += k;
		if (k < m)
			read_alone(mem, v, &runs[i++]);
	}
	for (; i < nr; i++)
		read_alone(mem, v, &runs[i]);
	return 0;
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
	free(mem->order);
	free(mem->order_tmp);
	free(mem->runs);
	free(mem->scratch);
	free(mem);
}
