// SPDX-License-Identifier: GPL-2.0
/* Threads tied to goroutines: the futex waits of a Go process are the runtime's. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <criterion/criterion.h>
#include "core/patterns.h"
#include "go/gowait.h"
#include "go/gowatch.h"

#define SEC 1000000000ULL

static struct bw_thread thread(__u32 pid, __u32 tid, enum bw_wait wait)
{
	struct bw_thread t;

	memset(&t, 0, sizeof(t));
	t.pid = pid;
	t.tid = tid;
	t.state = 'S';
	t.wait = wait;
	t.wait_fd = -1;
	return t;
}

/* Runs the gobin fixture parked (`normal park`) until it says ready. */
static pid_t start_parked(void)
{
	const char *root = getenv("BW_GO_FIXTURES");
	char path[PATH_MAX], line[64] = "";
	int fds[2];
	FILE *out;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/go1.19/normal",
		 root && *root ? root : ".output/go-fixtures");
	cr_assert_eq(access(path, X_OK), 0, "%s: run tests/go/build-fixtures.sh", path);
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed assertion ends the test, and it */
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(path, path, "park", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	out = fdopen(fds[0], "r");
	cr_assert(out);
	cr_assert(fgets(line, sizeof(line), out), "the fixture did not start");
	cr_assert_str_eq(line, "ready\n");
	fclose(out);
	return pid;
}

Test(golink, no_go_process)
{
	struct bw_thread t[] = { thread(10, 10, BW_WAIT_FUTEX), thread(10, 11, BW_WAIT_CONDVAR) };
	struct bw_goset *set;

	cr_assert_eq(bw_goset__new(&set), 0);
	bw_goset__link_threads(set, t, 2);
	cr_assert_eq(t[0].wait, BW_WAIT_FUTEX);
	cr_assert_eq(t[1].wait, BW_WAIT_CONDVAR);
	cr_assert_eq(t[0].goid, 0);
	bw_goset__free(set);
}

/* The bare futex wait of a Go thread is the runtime's; a C process's stays a futex wait. */
Test(golink, go_threads_futex_is_runtime, .timeout = 60)
{
	pid_t go = start_parked();
	__u32 pids[] = { go, getpid() };
	struct bw_thread t[] = {
		thread(go, go, BW_WAIT_FUTEX),
		thread(go, go, BW_WAIT_EPOLL),
		thread(getpid(), getpid(), BW_WAIT_FUTEX),
	};
	struct bw_patterns *benign;
	struct bw_goset *set;

	cr_assert_eq(bw_patterns__new(&benign), 0);
	cr_assert_eq(bw_gobenign_add(benign), 0);
	cr_assert_eq(bw_goset__new(&set), 0);
	cr_assert_eq(bw_goset__scan(set, pids, 2, 10 * SEC, benign, NULL, NULL), 0);
	cr_assert(bw_goset__find(set, go), "the fixture is a Go process");
	cr_assert_null(bw_goset__find(set, getpid()), "the test is not");
	bw_goset__link_threads(set, t, 3);
	cr_expect_eq(t[0].wait, BW_WAIT_RUNTIME);
	cr_expect_eq(t[1].wait, BW_WAIT_EPOLL, "only a bare futex wait is the runtime's");
	cr_expect_eq(t[2].wait, BW_WAIT_FUTEX);
	cr_expect_eq(t[2].goid, 0);
	bw_goset__free(set);
	bw_patterns__free(benign);
	kill(go, SIGKILL);
	waitpid(go, NULL, 0);
}
