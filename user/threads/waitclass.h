/* SPDX-License-Identifier: GPL-2.0 */
/* What a blocked thread waits on, from its syscall, fd and stack. Pure. */
#ifndef BW_WAITCLASS_H
#define BW_WAITCLASS_H

#include "core/model.h"

struct bw_wait_input {
	char state; /* 'S', 'D', ... */
	__s64 syscall_nr;
	__u64 args[6];
	enum bw_fd_kind fd_kind;  /* of args[0] for fd-taking syscalls */
	const char *const *funcs; /* user stack function names, innermost first */
	int nfuncs;
};

struct bw_wait_result {
	enum bw_wait wait;
	bool timed;
	int fd;	    /* -1 when the wait is not on an fd */
	__u64 addr; /* futex word, 0 when none */
};

void bw_wait_classify(const struct bw_wait_input *in, struct bw_wait_result *out);
/* True for syscalls whose first argument is the fd they wait on. */
bool bw_wait_syscall_takes_fd(__s64 nr);
/* Futex ops (from the syscall args) that lock a PI futex: the word holds the owner. */
bool bw_wait_is_pi_lock(const __u64 args[6]);

#endif
