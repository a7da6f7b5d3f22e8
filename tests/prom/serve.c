// SPDX-License-Identifier: GPL-2.0
/*
 * Serves a fixed scan on /metrics the way blockwatch --prometheus does: the
 * exposition built by bw_prom_write, published through bw_httpd once a
 * second (scans counting up). For tests/prom/scrape-test.sh.
 *
 *   prom-serve ADDR:PORT    serve until SIGINT or SIGTERM; prints "port N"
 *   prom-serve --print      write one exposition to stdout and exit
 *
 * The scan: pid 4242 "bank" with two deadlocked threads, a leaked one and
 * an idle one with block histories; pid 4343, a Go process with a leaking
 * site; pid 4444 whose comm is hostile.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "export/httpd.h"
#include "export/prom.h"

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
}

static void thread(struct bw_thread *t, __u32 pid, __u32 tid, const char *comm, enum bw_wait w,
		   enum bw_verdict v)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->tid = tid;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
	t->wait = w;
	t->verdict = v;
	t->wait_fd = -1;
}

struct fixture {
	struct bw_thread threads[6];
	struct bw_gorec recs[3];
	struct bw_gogroup groups[2];
	struct bw_prom_goproc goproc;
	struct bw_prom_input in;
};

static void fixture_init(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	thread(&fx->threads[0], 4242, 4242, "bank", BW_WAIT_EPOLL, BW_VERDICT_IDLE);
	thread(&fx->threads[1], 4242, 4243, "transfer-a", BW_WAIT_MUTEX, BW_VERDICT_DEADLOCK);
	thread(&fx->threads[2], 4242, 4244, "transfer-b", BW_WAIT_MUTEX, BW_VERDICT_DEADLOCK);
	thread(&fx->threads[3], 4242, 4245, "consumer", BW_WAIT_CONDVAR, BW_VERDICT_LEAK);
	thread(&fx->threads[4], 4343, 4343, "gosvc", BW_WAIT_RUNTIME, BW_VERDICT_IDLE);
	thread(&fx->threads[5], 4444, 4444, "x\"}\n\\", BW_WAIT_SLEEP, BW_VERDICT_IDLE);
	fx->threads[0].has_history = true;
	fx->threads[0].history.slots[10] = 7;
	fx->threads[0].history.slots[20] = 2;
	fx->threads[0].history.total_ns = 2100000000ULL;

	fx->recs[0].g.wait_reason = "chan receive";
	fx->recs[0].verdict = BW_VERDICT_LEAK;
	fx->recs[1] = fx->recs[0];
	fx->recs[2].g.wait_reason = "IO wait";
	fx->recs[2].verdict = BW_VERDICT_IDLE;
	fx->groups[0].wait_reason = "chan receive";
	fx->groups[0].blocked_at.name = "main.handler.func1";
	fx->groups[0].created_by.name = "main.handler";
	fx->groups[0].count = 2;
	fx->groups[0].reported = 2;
	fx->groups[0].growth_per_min = 4;
	fx->groups[0].verdict = BW_VERDICT_LEAK;
	fx->groups[1].wait_reason = "IO wait";
	fx->groups[1].blocked_at.name = "net/http.(*conn).serve";
	fx->groups[1].created_by.name = "net/http.(*Server).Serve";
	fx->groups[1].count = 1;
	fx->groups[1].reported = 1;
	fx->groups[1].verdict = BW_VERDICT_IDLE;
	fx->goproc.pid = 4343;
	fx->goproc.go_version = "go1.19.8";
	fx->goproc.recs = fx->recs;
	fx->goproc.nrecs = 3;
	fx->goproc.groups = fx->groups;
	fx->goproc.ngroups = 2;

	fx->in.threads = fx->threads;
	fx->in.nthreads = 6;
	fx->in.goprocs = &fx->goproc;
	fx->in.ngoprocs = 1;
	fx->in.health.scan_duration_ns = 3500000;
	fx->in.health.watched_processes = 3;
}

static int publish(struct bw_httpd *h, const struct bw_prom_input *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f)
		return -errno;
	err = bw_prom_write(f, in);
	if (fclose(f) && !err)
		err = -errno;
	if (!err)
		err = bw_httpd__publish(h, buf, len);
	free(buf);
	return err;
}

int main(int argc, char **argv)
{
	struct timespec second = { 1, 0 };
	struct bw_httpd *h = NULL;
	struct fixture fx;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s ADDR:PORT | --print\n", argv[0]);
		return 1;
	}
	fixture_init(&fx);
	if (!strcmp(argv[1], "--print"))
		return bw_prom_write(stdout, &fx.in) ? 1 : 0;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	err = bw_httpd__start(argv[1], &h);
	if (err) {
		fprintf(stderr, "prom-serve: failed to listen on %s: %s\n", argv[1],
			strerror(-err));
		return 2;
	}
	printf("port %u\n", bw_httpd__port(h));
	fflush(stdout);
	while (!exiting) {
		fx.in.health.scans++;
		err = publish(h, &fx.in);
		if (err) {
			fprintf(stderr, "prom-serve: failed to publish: %s\n", strerror(-err));
			break;
		}
		nanosleep(&second, NULL);
	}
	bw_httpd__stop(h);
	return err ? 1 : 0;
}
