// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "platform/filter.h"
#include "platform/procfs.h"

enum bw_fd_kind bw_fd_kind_of_link(const char *link)
{
	if (!strncmp(link, "socket:", 7))
		return BW_FD_SOCKET;
	if (!strncmp(link, "pipe:", 5))
		return BW_FD_PIPE;
	if (!strncmp(link, "anon_inode:", 11))
		return BW_FD_ANON;
	if (!strncmp(link, "/dev/pts/", 9) || !strncmp(link, "/dev/tty", 8) ||
	    !strcmp(link, "/dev/console"))
		return BW_FD_TTY;
	if (link[0] == '/')
		return BW_FD_FILE;
	return BW_FD_UNKNOWN;
}

enum bw_fd_kind bw_proc_fd_kind(pid_t pid, int fd)
{
	char path[64], link[256];
	ssize_t len;

	if (fd < 0)
		return BW_FD_UNKNOWN;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return BW_FD_UNKNOWN;
	link[len] = '\0';
	return bw_fd_kind_of_link(link);
}

char bw_state_char(__u32 state)
{
	if (state & (BW_TASK_DEAD | 0x30)) /* TASK_DEAD, EXIT_ZOMBIE, EXIT_DEAD */
		return 'Z';
	if (state & BW_TASK_UNINTERRUPTIBLE)
		return (state & BW_TASK_NOLOAD) ? 'I' : 'D';
	if (state & BW_TASK_INTERRUPTIBLE)
		return 'S';
	if (state & BW_TASK_STOPPED)
		return 'T';
	if (state & BW_TASK_TRACED)
		return 't';
	return 'R';
}

int bw_proc_check(pid_t pid)
{
	char path[64], buf[512];
	FILE *f;
	int tgid = -1;

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	if (tgid != pid)
		return -ESRCH; /* a thread id, not a process */
	return 0;
}

bool bw_proc_is_kthread(pid_t pid)
{
	char path[64], buf[512];
	unsigned long flags = 0;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n > 0 ? n : 0] = '\0';
	/* Field 9 is flags; comm (field 2) may hold spaces, so start after ')'. */
	if (!strrchr(buf, ')') ||
	    sscanf(strrchr(buf, ')') + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return false;
	return flags & 0x00200000; /* PF_KTHREAD */
}

bool bw_proc_is_zombie(pid_t pid)
{
	char path[64], buf[512], *p;
	struct dirent *d;
	bool live = false;
	DIR *dir;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return false;
	while (!live && (d = readdir(dir))) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/stat", pid, d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		p = strrchr(buf, ')');
		live = p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
	}
	closedir(dir);
	return !live;
}

bool bw_proc_is_compat(pid_t pid)
{
	unsigned char ident[EI_NIDENT];
	char path[64];
	bool compat = false;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (read(fd, ident, sizeof(ident)) == (ssize_t)sizeof(ident) &&
	    !memcmp(ident, ELFMAG, SELFMAG))
		compat = ident[EI_CLASS] == ELFCLASS32;
	close(fd);
	return compat;
}

int bw_parse_cap_eff(FILE *status, __u64 *caps)
{
	unsigned long long v;
	char line[256];

	while (fgets(line, sizeof(line), status))
		if (sscanf(line, "CapEff: %llx", &v) == 1) {
			*caps = v;
			return 0;
		}
	return -EINVAL;
}

#define CAP_BIT(n) (1ULL << (n))
#define CAP_SYS_PTRACE_BIT CAP_BIT(19)
#define CAP_SYS_ADMIN_BIT CAP_BIT(21)
#define CAP_PERFMON_BIT CAP_BIT(38)
#define CAP_BPF_BIT CAP_BIT(39)

bool bw_proc_may_trace(void)
{
	__u64 caps = 0;
	FILE *f = fopen("/proc/self/status", "re");
	int err;

	if (!f)
		return true; /* cannot tell: let the kernel decide */
	err = bw_parse_cap_eff(f, &caps);
	fclose(f);
	if (err)
		return true;
	if (!(caps & CAP_SYS_PTRACE_BIT))
		return false;
	return (caps & CAP_SYS_ADMIN_BIT) || ((caps & CAP_BPF_BIT) && (caps & CAP_PERFMON_BIT));
}

int bw_proc_cgroup(pid_t pid, char *buf, size_t len)
{
	char path[64], text[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return bw_parse_cgroup(text, buf, len);
}

int bw_parse_syscall(const char *line, __s64 *nr, __u64 args[6], __u64 *sp, __u64 *pc)
{
	unsigned long long a[8];
	long long n = 0;
	char tail;
	int got;

	if (!strncmp(line, "running", 7))
		return -EAGAIN;
	got = sscanf(line, "%lld 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx %c", &n,
		     &a[0], &a[1], &a[2], &a[3], &a[4], &a[5], &a[6], &a[7], &tail);
	if (got == 9 && n >= 0) {
		memcpy(args, a, 6 * sizeof(*args));
		*sp = a[6];
		*pc = a[7];
	} else if (n == -1 && sscanf(line, "%lld 0x%llx 0x%llx %c", &n, &a[0], &a[1], &tail) == 3) {
		memset(args, 0, 6 * sizeof(*args));
		*sp = a[0];
		*pc = a[1];
	} else {
		return -EINVAL;
	}
	*nr = n;
	return 0;
}

int bw_proc_syscall(pid_t pid, pid_t tid, __s64 *nr, __u64 args[6], __u64 *sp, __u64 *pc)
{
	char path[64], line[256];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	err = fgets(line, sizeof(line), f) ? bw_parse_syscall(line, nr, args, sp, pc) : -EIO;
	fclose(f);
	return err;
}

bool bw_proc_tid_exists(__u32 tid)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%u", tid);
	return !access(path, F_OK);
}
