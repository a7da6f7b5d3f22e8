/* SPDX-License-Identifier: GPL-2.0 */
/* Reads another process's memory. The only module that does. */
#ifndef BW_MEMREAD_H
#define BW_MEMREAD_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

struct bw_mem;

/* 0 or a negative errno. */
int bw_mem__open(pid_t pid, struct bw_mem **out);
/* Reads exactly len bytes at addr: 0, or a negative errno (-EFAULT when unmapped). */
int bw_mem__read(struct bw_mem *mem, __u64 addr, void *buf, size_t len);
/* Reads a native-endian u64 / u32; 0 or a negative errno. */
int bw_mem__read_u64(struct bw_mem *mem, __u64 addr, __u64 *val);
int bw_mem__read_u32(struct bw_mem *mem, __u64 addr, __u32 *val);

/* One piece of a batched read. */
struct bw_memvec {
	__u64 addr;
	void *buf;
	size_t len;
	int err; /* out: 0, or a negative errno for this piece alone */
};

/*
 * Reads n pieces with as few syscalls as possible (process_vm_readv takes
 * up to IOV_MAX of them at once): one unmapped piece fails alone. Returns 0
 * when the pieces were tried (see each err), or a negative errno when the
 * process cannot be read at all (then every err is set to it).
 */
int bw_mem__readv(struct bw_mem *mem, struct bw_memvec *v, size_t n);
pid_t bw_mem__pid(const struct bw_mem *mem);
void bw_mem__free(struct bw_mem *mem);

#endif
