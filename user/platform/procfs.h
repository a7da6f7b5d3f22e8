/* SPDX-License-Identifier: GPL-2.0 */
/* Small facts from /proc, with the parsing kept pure for the tests. */
#ifndef BW_PROCFS_H
#define BW_PROCFS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "core/model.h"

/* Kind of fd from its /proc/PID/fd link text ("socket:[123]", "pipe:[4]"...). Pure. */
enum bw_fd_kind bw_fd_kind_of_link(const char *link);
/* Kind of fd of a live process: BW_FD_UNKNOWN when unreadable. */
enum bw_fd_kind bw_proc_fd_kind(pid_t pid, int fd);
/* The /proc state letter for kernel task state bits. Pure. */
char bw_state_char(__u32 state);
/* 0 when pid is a live process (not a thread id of another), else a negative errno. */
int bw_proc_check(pid_t pid);
/* True when pid is a kernel thread. */
bool bw_proc_is_kthread(pid_t pid);
/* True when every thread of pid has exited (a zombie its parent has not reaped). */
bool bw_proc_is_zombie(pid_t pid);
/* True while a thread of this id exists in any process (/proc/TID). */
bool bw_proc_tid_exists(__u32 tid);
/*
 * True when the program of pid (or of a thread id) is a 32-bit ELF: its
 * syscalls have the ia32 numbers and registers, not the native ones.
 */
bool bw_proc_is_compat(pid_t pid);

/*
 * A /proc/PID/task/TID/syscall line ("202 0x1 ... sp pc"): the syscall
 * number (-1: blocked outside one), its six arguments (zero without one),
 * the user sp and pc. 0, -EAGAIN for "running", else -EINVAL. Pure.
 */
int bw_parse_syscall(const char *line, __s64 *nr, __u64 args[6], __u64 *sp, __u64 *pc);
/* The same, read from a live thread (needs ptrace access): 0 or a negative errno. */
int bw_proc_syscall(pid_t pid, pid_t tid, __s64 *nr, __u64 args[6], __u64 *sp, __u64 *pc);
/* The cgroup v2 path of pid into buf; 0 or a negative errno. */
int bw_proc_cgroup(pid_t pid, char *buf, size_t len);
/* Effective capabilities from a /proc/PID/status text; 0 or -EINVAL. Pure. */
int bw_parse_cap_eff(FILE *status, __u64 *caps);
/*
 * True when this process may load and attach the programs and read other
 * processes: CAP_SYS_ADMIN, or CAP_BPF + CAP_PERFMON; plus CAP_SYS_PTRACE.
 */
bool bw_proc_may_trace(void);

#endif
