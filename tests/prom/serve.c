// SPDX-License-Identifier: GPL-2.0
/*
 * Serves a fixed scan on /metrics the way blockwatch --prometheus does: the
 * exposition of a capture built by bw_prom_write, published through bw_httpd
 * once a second (scans counting up). For tests/prom/scrape-test.sh.
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
#include "../unit/fixture.h"

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
}

static void thread(struct bw_thread *t, __u32 pid, __u32 tid, const char *comm, enum bw_wait w,
		   enum bw_verdict v)
{
	fx_thread(t, pid, tid, comm, w, v, 0);
}

/* The scan as a capture, with the tool's health and knobs beside it. */
struct fixture {
	struct bw_thread threads[6];
	struct bw_gorec recs[3];
	struct bw_gogroup groups[2];
	struct bw_capture_go go;
	struct bw_capture c;
	struct bw_prom_opts opts;
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
	fx_group(&fx->groups[0], "chan receive", "main.handler.func1", "main.handler", 2, 4,
		 BW_VERDICT_LEAK);
	fx_group(&fx->groups[1], "IO wait", "net/http.(*conn).serve", "net/http.(*Server).Serve", 1,
		 0, BW_VERDICT_IDLE);
	fx->go.pid = 4343;
	fx->go.go_version = "go1.19.8";
	fx->go.recs = fx->recs;
	fx->go.nrecs = 3;
	fx->go.groups = fx->groups;
	fx->go.ngroups = 2;

	fx->c.threads = fx->threads;
	fx->c.nthreads = 6;
	fx->c.gos = &fx->go;
	fx->c.ngos = 1;
	fx->opts.health.scan_duration_ns = 3500000;
	fx->opts.health.watched_processes = 3;
}

static int publish(struct bw_httpd *h, const struct fixture *fx)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f)
		return -errno;
	err = bw_prom_write(f, &fx->c, &fx->opts);
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
		return bw_prom_write(stdout, &fx.c, &fx.opts) ? 1 : 0;

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
		fx.opts.health.scans++;
		err = publish(h, &fx);
		if (err) {
			fprintf(stderr, "prom-serve: failed to publish: %s\n", strerror(-err));
			break;
		}
		nanosleep(&second, NULL);
	}
	bw_httpd__stop(h);
	return err ? 1 : 0;
}
