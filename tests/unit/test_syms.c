// SPDX-License-Identifier: GPL-2.0
/*
 * The symbolizer on the symfix fixture: offline on its ELF file, and live,
 * unwinding a thread of it blocked in a known chain of calls. The tests take
 * the registers with ptrace (blockwatch itself gets them from BPF).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <criterion/criterion.h>
#include "go/gofuncs.h"
#include "platform/memread.h"
#include "platform/syms.h"

#define FRAMES_MAX_ENTRIES 64
#define WAIT_MS 10000

struct child {
	pid_t pid;
	pid_t tid;  /* the thread that announced itself */
	int line;   /* its blocking call */
	int out_fd; /* its stdout */
};

struct stack {
	int nr;
	__u64 pcs[FRAMES_MAX_ENTRIES];
	struct bw_frame frames[FRAMES_MAX_ENTRIES];
};

static const char *fixture_path(void)
{
	static char path[512];
	const char *dir = getenv("BW_FIXTURES");

	snprintf(path, sizeof(path), "%s/symfix", dir && *dir ? dir : ".output/fixtures");
	return path;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* One line of the child's stdout, waiting at most WAIT_MS for it. */
static void read_line(int fd, char *buf, size_t size)
{
	long deadline = now_ms() + WAIT_MS;
	size_t len = 0;

	while (len + 1 < size) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long left = deadline - now_ms();
		ssize_t n;

		cr_assert_gt(left, 0, "symfix: no output line in time");
		cr_assert_eq(poll(&pfd, 1, left), 1, "symfix: no output line in time");
		n = read(fd, buf + len, 1);
		cr_assert_eq(n, 1, "symfix: stdout closed early");
		if (buf[len] == '\n')
			break;
		len++;
	}
	buf[len] = '\0';
}

static struct child spawn_path(const char *path, const char *mode)
{
	struct child c = { 0 };
	char line[128];
	int fds[2];

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	c.pid = fork();
	cr_assert_geq(c.pid, 0);
	if (c.pid == 0) {
		/* Dies with the test process, whatever way that ends. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], STDOUT_FILENO);
		execl(path, "symfix", mode, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	c.out_fd = fds[0];
	read_line(c.out_fd, line, sizeof(line));
	cr_assert_eq(sscanf(line, "ready %d %d", &c.tid, &c.line), 2, "symfix said: %s", line);
	return c;
}

static struct child spawn(const char *mode)
{
	return spawn_path(fixture_path(), mode);
}

static void stop(struct child *c)
{
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	close(c->out_fd);
}

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* Is the thread asleep (S) inside syscall nr? */
static int blocked_in(pid_t pid, pid_t tid, long nr)
{
	char path[96], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	if (read_file(path, buf, sizeof(buf)))
		return 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] != 'S')
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	if (read_file(path, buf, sizeof(buf)) || buf[0] < '0' || buf[0] > '9')
		return 0;
	return strtol(buf, NULL, 10) == nr;
}

static void wait_blocked(pid_t pid, pid_t tid, long nr)
{
	long deadline = now_ms() + WAIT_MS;

	while (!blocked_in(pid, tid, nr)) {
		cr_assert_lt(now_ms(), deadline, "thread %d never blocked in syscall %ld", tid, nr);
		pause_ms(2);
	}
}

/* What BPF reads at kernel entry, taken here with a ptrace stop instead. */
static void grab_regs(pid_t tid, __u64 regs[BW_NREGS])
{
	struct user_regs_struct r;
	int status;

	cr_assert_eq(ptrace(PTRACE_SEIZE, tid, 0, 0), 0, "seize: %s", strerror(errno));
	cr_assert_eq(ptrace(PTRACE_INTERRUPT, tid, 0, 0), 0);
	cr_assert_eq(waitpid(tid, &status, __WALL), tid);
	cr_assert(WIFSTOPPED(status));
	cr_assert_eq(ptrace(PTRACE_GETREGS, tid, 0, &r), 0);
	cr_assert_eq(ptrace(PTRACE_DETACH, tid, 0, 0), 0);
	regs[BW_REG_AX] = r.rax;
	regs[BW_REG_DX] = r.rdx;
	regs[BW_REG_CX] = r.rcx;
	regs[BW_REG_BX] = r.rbx;
	regs[BW_REG_SI] = r.rsi;
	regs[BW_REG_DI] = r.rdi;
	regs[BW_REG_BP] = r.rbp;
	regs[BW_REG_SP] = r.rsp;
	regs[BW_REG_R8] = r.r8;
	regs[BW_REG_R9] = r.r9;
	regs[BW_REG_R10] = r.r10;
	regs[BW_REG_R11] = r.r11;
	regs[BW_REG_R12] = r.r12;
	regs[BW_REG_R13] = r.r13;
	regs[BW_REG_R14] = r.r14;
	regs[BW_REG_R15] = r.r15;
	regs[BW_REG_IP] = r.rip;
}

/* Callers' pcs are return addresses: pc - 1 is inside the call. */
static void symbolize(struct bw_syms *syms, struct stack *st)
{
	int i;

	for (i = 0; i < st->nr; i++) {
		bw_syms__find(syms, st->pcs[i] - (i ? 1 : 0), &st->frames[i]);
		cr_log_info("#%d %#llx %s+%#llx (%s) %s:%d", i, (unsigned long long)st->pcs[i],
			    st->frames[i].func, (unsigned long long)st->frames[i].offset,
			    st->frames[i].module, base_name(st->frames[i].file),
			    st->frames[i].line);
		/* Symbol versions are cut: __libc_start_main, not ...@@GLIBC_2.34. */
		cr_assert_null(strchr(st->frames[i].func, '@'), "%s", st->frames[i].func);
	}
}

/* Index of the first frame at or after from whose function contains name, or -1. */
static int frame_of(const struct stack *st, int from, const char *name)
{
	int i;

	for (i = from; i < st->nr; i++)
		if (strstr(st->frames[i].func, name))
			return i;
	return -1;
}

static void unwind(struct bw_syms *syms, struct bw_mem *mem, pid_t tid, const __u64 *regs,
		   struct stack *st)
{
	st->nr = bw_syms__unwind(syms, mem, tid, regs, st->pcs, FRAMES_MAX_ENTRIES);
	cr_assert_geq(st->nr, 1, "unwind: %d", st->nr);
	cr_assert_eq(st->pcs[0], regs[BW_REG_IP]);
	symbolize(syms, st);
}

/* name0 at index at, then each next name further out. */
static void assert_chain(const struct stack *st, int at, const char *const *names, int n)
{
	int i, idx = at;

	cr_assert_str_eq(st->frames[at].func, names[0]);
	for (i = 1; i < n; i++) {
		int next = frame_of(st, idx + 1, names[i]);

		cr_assert_gt(next, idx, "%s not found after %s", names[i], names[i - 1]);
		idx = next;
	}
}

static int fixture_leaf_line(void)
{
	char cmd[600], line[64];
	int nr = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s lines", fixture_path());
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(line, sizeof(line), p));
	cr_assert_eq(pclose(p), 0);
	cr_assert_eq(sscanf(line, "leaf %d", &nr), 1);
	return nr;
}

Test(syms, elf_function_file_line)
{
	struct bw_syms *syms = NULL;
	struct bw_frame f;
	__u64 addr;

	cr_assert_eq(bw_syms__new_elf(fixture_path(), &syms), 0, "is %s built?", fixture_path());
	cr_assert_eq(bw_syms__addr_of(syms, "symfix_leaf", &addr), 0);
	cr_assert_eq(bw_syms__find(syms, addr, &f), 0);
	cr_assert_eq(f.pc, addr);
	cr_assert_str_eq(f.func, "symfix_leaf");
	cr_assert_eq(f.offset, 0);
	cr_assert_str_eq(f.module, "symfix");
	cr_assert_str_eq(base_name(f.file), "symfix.c");
	cr_assert_eq(f.line, fixture_leaf_line());

	cr_assert_eq(bw_syms__find(syms, addr + 4, &f), 0);
	cr_assert_str_eq(f.func, "symfix_leaf");
	cr_assert_eq(f.offset, 4);
	cr_assert_geq(f.line, fixture_leaf_line());

	cr_assert_eq(bw_syms__addr_of(syms, "main", &addr), 0);
	cr_assert_eq(bw_syms__find(syms, addr, &f), 0);
	cr_assert_str_eq(f.func, "main");
	bw_syms__free(syms);
}

/* Code no symbol covers is unknown, not the sized symbol that ends before it. */
Test(syms, past_the_end_of_a_sized_symbol_is_unknown)
{
	struct bw_syms *syms = NULL;
	struct bw_frame f;
	__u64 addr;

	cr_assert_eq(bw_syms__new_elf(fixture_path(), &syms), 0);
	cr_assert_eq(bw_syms__addr_of(syms, "symfix_sized", &addr), 0);
	cr_assert_eq(bw_syms__find(syms, addr, &f), 0);
	cr_assert_str_eq(f.func, "symfix_sized");
	cr_assert_eq(bw_syms__find(syms, addr + 2, &f), -ENOENT);
	cr_assert_str_eq(f.func, "");
	cr_assert_eq(f.offset, 0);
	cr_assert_str_eq(f.module, "symfix");
	bw_syms__free(syms);
}

Test(syms, errors)
{
	struct bw_syms *syms = (struct bw_syms *)1;
	char tmp[] = "/tmp/bw-syms-XXXXXX";
	struct bw_frame f;
	__u64 addr = 0;
	int fd;

	cr_assert_eq(bw_syms__new_elf("/nonexistent/elf", &syms), -ENOENT);
	cr_assert_null(syms);
	fd = mkstemp(tmp);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "not an ELF file\n", 16), 16);
	close(fd);
	cr_assert_lt(bw_syms__new_elf(tmp, &syms), 0);
	unlink(tmp);
	cr_assert_null(syms);
	cr_assert_eq(bw_syms__new(0, &syms), -EINVAL);

	cr_assert_eq(bw_syms__new_elf(fixture_path(), &syms), 0);
	cr_assert_eq(bw_syms__addr_of(syms, "no_such_symbol", &addr), -ENOENT);
	/* Offline, a PIE sits at its link-time addresses, from 0 up. */
	cr_assert_eq(bw_syms__find(syms, 0xffffffffff600000ull, &f), -ENOENT);
	cr_assert_str_eq(f.func, "");
	cr_assert_str_eq(f.module, "");
	bw_syms__free(syms);
	bw_syms__free(NULL);
}

Test(syms, gone_process_is_esrch)
{
	struct bw_syms *syms = (struct bw_syms *)1;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	cr_assert_eq(bw_syms__new(pid, &syms), -ESRCH);
	cr_assert_null(syms);
}

/* main -> outer -> inner -> libc read(): CFI through libc and the fixture. */
Test(syms, unwind_through_libc_read, .timeout = 30)
{
	static const char *const chain[] = { "symfix_inner", "symfix_outer", "main" };
	struct bw_syms *syms = NULL;
	struct bw_mem *mem = NULL;
	__u64 regs[BW_NREGS];
	struct child c;
	struct stack st;

	c = spawn("block");
	wait_blocked(c.pid, c.tid, SYS_read);
	grab_regs(c.tid, regs);
	cr_assert_eq(bw_mem__open(c.pid, &mem), 0);
	cr_assert_eq(bw_syms__new(c.pid, &syms), 0);

	unwind(syms, mem, c.tid, regs, &st);
	cr_assert_str_eq(st.frames[0].module, "libc.so.6");
	cr_assert(strstr(st.frames[0].func, "read"), "frame 0 is %s", st.frames[0].func);
	/* The wrapper keeps no frame: only CFI finds its caller. */
	assert_chain(&st, 1, chain, 3);
	cr_assert_str_eq(st.frames[1].module, "symfix");
	cr_assert_str_eq(base_name(st.frames[1].file), "symfix.c");
	cr_assert_eq(st.frames[1].line, c.line);

	bw_syms__free(syms);
	bw_mem__free(mem);
	stop(&c);
}

/* The syscall is in symfix_inner itself: CFI and the rbp chain must agree. */
Test(syms, unwind_fp_and_cfi_agree, .timeout = 30)
{
	static const char *const chain[] = { "symfix_inner", "symfix_outer", "main" };
	struct bw_syms *syms = NULL;
	struct bw_mem *mem = NULL;
	struct stack st, fp;
	__u64 regs[BW_NREGS];
	struct child c;
	int i;

	c = spawn("raw");
	wait_blocked(c.pid, c.tid, SYS_read);
	grab_regs(c.tid, regs);
	cr_assert_eq(bw_mem__open(c.pid, &mem), 0);
	cr_assert_eq(bw_syms__new(c.pid, &syms), 0);

	unwind(syms, mem, c.tid, regs, &st);
	assert_chain(&st, 0, chain, 3);
	cr_assert_str_eq(st.frames[1].func, "symfix_outer");
	cr_assert_str_eq(st.frames[2].func, "main");
	cr_assert_eq(st.frames[0].line, c.line);

	fp.nr = bw_syms__unwind_fp(syms, mem, regs, fp.pcs, FRAMES_MAX_ENTRIES);
	cr_assert_geq(fp.nr, 3);
	symbolize(syms, &fp);
	for (i = 0; i < 3; i++)
		cr_assert_eq(fp.pcs[i], st.pcs[i], "frame %d: fp %#llx cfi %#llx", i,
			     (unsigned long long)fp.pcs[i], (unsigned long long)st.pcs[i]);
	/* Capped at max. */
	cr_assert_eq(bw_syms__unwind_fp(syms, mem, regs, fp.pcs, 2), 2);
	cr_assert_eq(bw_syms__unwind(syms, mem, c.tid, regs, st.pcs, 2), 2);
	cr_assert_eq(bw_syms__unwind(syms, mem, c.tid, regs, st.pcs, 0), -EINVAL);

	bw_syms__free(syms);
	bw_mem__free(mem);
	stop(&c);
}

/*
 * pthread_mutex_lock -> __lll_lock_wait -> futex. Without glibc's debug
 * info __lll_lock_wait has no symbol: frame 0 must then be unknown, never
 * the exported function that happens to precede it.
 */
Test(syms, unwind_through_pthread_mutex_lock, .timeout = 30)
{
	static const char *const chain[] = { "symfix_take_lock", "symfix_worker" };
	struct bw_syms *syms = NULL;
	struct bw_mem *mem = NULL;
	__u64 regs[BW_NREGS];
	struct stack st, again;
	struct child c;
	int lock, i;

	c = spawn("mutex");
	cr_assert_neq(c.tid, c.pid);
	wait_blocked(c.pid, c.tid, SYS_futex);
	grab_regs(c.tid, regs);
	cr_assert_eq(bw_mem__open(c.pid, &mem), 0);
	cr_assert_eq(bw_syms__new(c.pid, &syms), 0);

	unwind(syms, mem, c.tid, regs, &st);
	cr_assert_str_eq(st.frames[0].module, "libc.so.6");
	cr_assert(!st.frames[0].func[0] || strstr(st.frames[0].func, "lll_lock_wait"),
		  "frame 0 is %s", st.frames[0].func);
	lock = frame_of(&st, 1, "pthread_mutex_lock");
	cr_assert_gt(lock, 0, "no pthread_mutex_lock frame");
	cr_assert_str_eq(st.frames[lock].module, "libc.so.6");
	assert_chain(&st, lock + 1, chain, 2);
	cr_assert_eq(st.frames[lock + 1].line, c.line);

	/* One Dwfl, many threads: the main thread, in pthread_join. */
	wait_blocked(c.pid, c.pid, SYS_futex);
	grab_regs(c.pid, regs);
	unwind(syms, mem, c.pid, regs, &again);
	cr_assert_geq(frame_of(&again, 1, "main"), 1);
	cr_assert_lt(frame_of(&again, 0, "symfix_worker"), 0);

	/* And the worker again, back in its restarted futex wait: the same stack. */
	wait_blocked(c.pid, c.tid, SYS_futex);
	grab_regs(c.tid, regs);
	again.nr = bw_syms__unwind(syms, mem, c.tid, regs, again.pcs, FRAMES_MAX_ENTRIES);
	cr_assert_eq(again.nr, st.nr);
	for (i = 0; i < st.nr; i++)
		cr_assert_eq(again.pcs[i], st.pcs[i]);

	bw_syms__free(syms);
	bw_mem__free(mem);
	stop(&c);
}

/*
 * The same wait with libc6-dbg's debug file (a dependency of the build):
 * frame 0 is __lll_lock_wait by name, with its file and line, both in the
 * process's symbolizer and through the shared one.
 */
Test(syms, libc_internal_frame_named_from_debug_file, .timeout = 30)
{
	struct bw_symcache *cache = NULL;
	struct bw_syms *syms = NULL;
	struct bw_mem *mem = NULL;
	__u64 regs[BW_NREGS];
	struct bw_frame shared;
	struct child c;
	struct stack st;

	c = spawn("mutex");
	wait_blocked(c.pid, c.tid, SYS_futex);
	grab_regs(c.tid, regs);
	cr_assert_eq(bw_mem__open(c.pid, &mem), 0);
	cr_assert_eq(bw_syms__new(c.pid, &syms), 0);
	cr_assert_eq(bw_symcache__new(&cache), 0);

	unwind(syms, mem, c.tid, regs, &st);
	cr_assert_str_eq(st.frames[0].module, "libc.so.6");
	cr_assert(strstr(st.frames[0].func, "lll_lock_wait"),
		  "frame 0 is '%s': is libc6-dbg installed (make deps)?", st.frames[0].func);
	cr_assert_eq(st.frames[0].source, BW_SYM_DEBUGFILE);
	/* The futex call is inlined from futex-internal.h: that is its line. */
	cr_assert_neq(st.frames[0].file[0], '\0');
	cr_assert_gt(st.frames[0].line, 0);
	cr_assert_eq(bw_syms__find_shared(syms, cache, st.pcs[0], &shared), 0);
	cr_assert_str_eq(shared.func, st.frames[0].func);
	cr_assert_str_eq(shared.file, st.frames[0].file);
	cr_assert_eq(shared.line, st.frames[0].line);
	cr_assert_eq(shared.source, BW_SYM_DEBUGFILE);

	bw_symcache__free(cache);
	bw_syms__free(syms);
	bw_mem__free(mem);
	stop(&c);
}

/* The first Go fixture of build (tests/go/build-fixtures.sh) found, or NULL. */
static const char *go_fixture(const char *build)
{
	static char path[PATH_MAX];
	const char *root = getenv("BW_GO_FIXTURES");
	struct dirent *de;
	DIR *d;

	root = root && *root ? root : ".output/go-fixtures";
	d = opendir(root);
	if (!d)
		return NULL;
	path[0] = '\0';
	while (!path[0] && (de = readdir(d))) {
		if (strncmp(de->d_name, "go1.", 4))
			continue;
		snprintf(path, sizeof(path), "%s/%.32s/%s", root, de->d_name, build);
		if (access(path, X_OK))
			path[0] = '\0';
	}
	closedir(d);
	return path[0] ? path : NULL;
}

/* The threads of pid asleep in a futex wait, at most max. */
static int futex_threads(pid_t pid, pid_t *tids, int max)
{
	struct dirent *de;
	char dir[64];
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	d = opendir(dir);
	cr_assert_not_null(d);
	while (n < max && (de = readdir(d)))
		if (de->d_name[0] != '.' && blocked_in(pid, atoi(de->d_name), SYS_futex))
			tids[n++] = atoi(de->d_name);
	closedir(d);
	return n;
}

/*
 * A thread of a stripped Go binary (-ldflags='-s -w', PIE too), parked in
 * the runtime's futex wait: its frames are named from the pclntab, file:line
 * included, through the process's symbolizer and the shared one.
 */
Test(syms, stripped_go_thread_named_from_pclntab, .timeout = 60)
{
	static const char *const builds[] = { "stripped", "pie-stripped" };
	const struct bw_syms_opts go_opts = { .funcs = &bw_gofuncs };
	size_t b;

	for (b = 0; b < sizeof(builds) / sizeof(builds[0]); b++) {
		const char *path = go_fixture(builds[b]);
		struct bw_symcache *cache = NULL;
		struct bw_syms *syms = NULL;
		struct bw_mem *mem = NULL;
		__u64 regs[BW_NREGS];
		struct bw_frame shared;
		struct child c = { 0 };
		struct stack st;
		char line[64];
		int fds[2], i, named = 0;
		long deadline;

		cr_assert_not_null(path, "no Go fixture %s: make go-fixtures", builds[b]);
		cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
		c.pid = fork();
		cr_assert_geq(c.pid, 0);
		if (c.pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			dup2(fds[1], STDOUT_FILENO);
			execl(path, path, "park", (char *)NULL);
			_exit(127);
		}
		close(fds[1]);
		c.out_fd = fds[0];
		read_line(c.out_fd, line, sizeof(line));
		cr_assert_str_eq(line, "ready");
		cr_assert_eq(bw_mem__open(c.pid, &mem), 0);
		cr_assert_eq(bw_syms__new_opts(c.pid, &go_opts, &syms), 0);
		cr_assert_eq(bw_symcache__new_opts(&go_opts, &cache), 0);
		/*
		 * Each futex waiter until one unwinds past runtime.futex: a thread
		 * caught while it starts (no frame chain yet) shows only that frame.
		 */
		for (deadline = now_ms() + WAIT_MS; named < 2 && now_ms() < deadline;) {
			pid_t tids[16];
			int k, n = futex_threads(c.pid, tids, 16);

			for (k = 0; k < n && named < 2; k++) {
				grab_regs(tids[k], regs);
				unwind(syms, mem, tids[k], regs, &st);
				cr_assert_str_eq(st.frames[0].func, "runtime.futex", "%s", path);
				for (named = 0, i = 0; i < st.nr && st.frames[i].func[0]; i++)
					named++;
			}
			if (named < 2)
				pause_ms(20);
		}
		for (i = 0; i < named; i++) {
			cr_assert_eq(st.frames[i].source, BW_SYM_GOPCLNTAB);
			cr_assert(strstr(st.frames[i].file, ".go") ||
					  strstr(st.frames[i].file, ".s"),
				  "%s: %s", st.frames[i].func, st.frames[i].file);
			cr_assert_gt(st.frames[i].line, 0);
			cr_assert_eq(
				bw_syms__find_shared(syms, cache, st.pcs[i] - (i ? 1 : 0), &shared),
				0);
			cr_assert_str_eq(shared.func, st.frames[i].func);
			cr_assert_eq(shared.line, st.frames[i].line);
		}
		cr_assert_geq(named, 2, "%s: no futex waiter unwound past runtime.futex", path);

		bw_symcache__free(cache);
		bw_syms__free(syms);
		bw_mem__free(mem);
		stop(&c);
	}
}

/*
 * A process of a stripped binary (symfix.stripped, tests/fixtures/stripped.sh)
 * whose debug file lies under the shared cache's debug root as
 * ROOT/.build-id/xx/yyyy.debug: its frames unnamed in the process's own
 * symbolizer (no debug file under its root), named with file:line through
 * the cache.
 */
Test(syms, shared_cache_debug_root, .timeout = 30)
{
	static const char *const chain[] = { "symfix_inner", "symfix_outer", "main" };
	char root[] = "/tmp/bw-syms-root-XXXXXX", bin[PATH_MAX], dbg[PATH_MAX], cmd[3 * PATH_MAX];
	struct bw_syms_opts opts = { .debug_root = root };
	struct bw_symcache *cache = NULL;
	struct bw_syms *syms = NULL;
	struct bw_mem *mem = NULL;
	__u64 regs[BW_NREGS];
	struct bw_frame f;
	struct child c;
	struct stack st;
	int i, at;

	snprintf(bin, sizeof(bin), "%s.stripped", fixture_path());
	snprintf(dbg, sizeof(dbg), "%s.stripped.dbg", fixture_path());
	cr_assert_not_null(mkdtemp(root));
	/* The build-id path from readelf, as a packager's script would find it. */
	snprintf(cmd, sizeof(cmd),
		 "id=$(readelf -n '%s' | awk '/Build ID/ { print $3 }') && [ -n \"$id\" ] && "
		 "d='%s'/.build-id/$(echo $id | cut -c1-2) && mkdir -p \"$d\" && "
		 "cp '%s' \"$d\"/$(echo $id | cut -c3-).debug",
		 bin, root, dbg);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	c = spawn_path(bin, "block");
	wait_blocked(c.pid, c.tid, SYS_read);
	grab_regs(c.tid, regs);
	cr_assert_eq(bw_mem__open(c.pid, &mem), 0);
	cr_assert_eq(bw_syms__new(c.pid, &syms), 0);
	cr_assert_eq(bw_symcache__new_opts(&opts, &cache), 0);

	unwind(syms, mem, c.tid, regs, &st);
	cr_assert_geq(st.nr, 4);
	cr_assert_str_eq(st.frames[1].module, "symfix.stripped");
	cr_assert_str_eq(st.frames[1].func, "");
	for (i = 1, at = 0; i < st.nr && at < 3; i++) {
		if (bw_syms__find_shared(syms, cache, st.pcs[i] - 1, &f) ||
		    strcmp(f.func, chain[at]))
			continue;
		cr_assert_eq(f.source, BW_SYM_DEBUGFILE, "%s", f.func);
		cr_assert_str_eq(base_name(f.file), "symfix.c");
		cr_assert_gt(f.line, 0);
		if (!at)
			cr_assert_eq(f.line, c.line);
		at++;
	}
	cr_assert_eq(at, 3, "only %d of symfix_inner, symfix_outer, main named", at);

	bw_symcache__free(cache);
	bw_syms__free(syms);
	bw_mem__free(mem);
	stop(&c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

/* Every frame as bw_syms__find says it, from two processes of one binary. */
static void assert_shared_same(struct bw_syms *syms, struct bw_symcache *cache,
			       const struct stack *st)
{
	struct bw_frame shared;
	int i;

	for (i = 0; i < st->nr; i++) {
		const struct bw_frame *own = &st->frames[i];
		__u64 pc = st->pcs[i] - (i ? 1 : 0);

		cr_assert_eq(bw_syms__find_shared(syms, cache, pc, &shared),
			     own->func[0] ? 0 : -ENOENT);
		cr_assert_eq(shared.pc, pc);
		cr_assert_str_eq(shared.func, own->func, "frame %d", i);
		cr_assert_eq(shared.offset, own->offset, "frame %d", i);
		cr_assert_str_eq(shared.module, own->module, "frame %d", i);
		cr_assert_str_eq(shared.file, own->file, "frame %d", i);
		cr_assert_eq(shared.line, own->line, "frame %d", i);
	}
}

/*
 * Two processes of one binary share its symbolizer: the second adds no
 * binary, answers match lookups in each process, and idle binaries go.
 */
Test(syms, shared_cache_matches_per_process, .timeout = 30)
{
	struct bw_syms *syms[2] = {};
	struct bw_mem *mem[2] = {};
	struct bw_symcache *cache = NULL;
	__u64 regs[BW_NREGS];
	struct child c[2];
	struct stack st;
	size_t nbins = 0;
	int k;

	cr_assert_eq(bw_symcache__new(&cache), 0);
	for (k = 0; k < 2; k++) {
		c[k] = spawn("block");
		wait_blocked(c[k].pid, c[k].tid, SYS_read);
		grab_regs(c[k].tid, regs);
		cr_assert_eq(bw_mem__open(c[k].pid, &mem[k]), 0);
		cr_assert_eq(bw_syms__new(c[k].pid, &syms[k]), 0);
		unwind(syms[k], mem[k], c[k].tid, regs, &st);
		cr_assert_geq(st.nr, 3);
		assert_shared_same(syms[k], cache, &st);
		/* Twice: the second time from the cache. */
		assert_shared_same(syms[k], cache, &st);
		if (!k) {
			nbins = bw_symcache__count(cache);
			/* symfix and libc at least. */
			cr_assert_geq(nbins, 2);
		}
	}
	cr_assert_eq(bw_symcache__count(cache), nbins);
	bw_symcache__sweep(cache, 1);
	cr_assert_eq(bw_symcache__count(cache), nbins);
	bw_symcache__sweep(cache, 1);
	cr_assert_eq(bw_symcache__count(cache), 0);
	/* Gone from the cache, found again. */
	assert_shared_same(syms[1], cache, &st);
	cr_assert_eq(bw_symcache__count(cache), nbins);
	/* Idle long enough to close the binaries' DWARF: new addresses reopen it. */
	for (k = 0; k < 8; k++)
		bw_symcache__sweep(cache, 100);
	cr_assert_eq(bw_symcache__count(cache), nbins);
	cr_assert_eq(bw_symcache__loaded(cache), 0);
	for (k = 0; k < st.nr; k++) {
		struct bw_frame own, shared;
		__u64 pc = st.pcs[k] - 2;

		cr_assert_eq(bw_syms__find_shared(syms[1], cache, pc, &shared),
			     bw_syms__find(syms[1], pc, &own));
		cr_assert_str_eq(shared.func, own.func, "frame %d", k);
		cr_assert_eq(shared.offset, own.offset, "frame %d", k);
		cr_assert_str_eq(shared.file, own.file, "frame %d", k);
		cr_assert_eq(shared.line, own.line, "frame %d", k);
	}
	cr_assert_geq(bw_symcache__loaded(cache), 2);

	for (k = 0; k < 2; k++) {
		bw_syms__free(syms[k]);
		bw_mem__free(mem[k]);
		stop(&c[k]);
	}
	bw_symcache__free(cache);
}

Test(syms, shared_cache_null_is_per_process)
{
	struct bw_syms *syms = NULL;
	struct bw_frame own, shared;
	__u64 addr = 0;

	cr_assert_eq(bw_syms__new_elf(fixture_path(), &syms), 0);
	cr_assert_eq(bw_syms__addr_of(syms, "symfix_inner", &addr), 0);
	cr_assert_eq(bw_syms__find(syms, addr + 1, &own), 0);
	cr_assert_eq(bw_syms__find_shared(syms, NULL, addr + 1, &shared), 0);
	cr_assert_str_eq(shared.func, own.func);
	cr_assert_eq(shared.offset, 1);
	cr_assert_eq(bw_symcache__count(NULL), 0);
	bw_syms__free(syms);
}
