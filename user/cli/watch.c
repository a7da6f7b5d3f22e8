// SPDX-License-Identifier: GPL-2.0
/* The watch and snapshot commands: open, scan on schedule, report, close. */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include "core/autosnap.h"
#include "export/httpd.h"
#include "export/report.h"
#include "core/patterns.h"
#include "go/gofuncs.h"
#include "go/gowait.h"
#include "go/gowatch.h"
#include "platform/filter.h"
#include "platform/kfeatures.h"
#include "platform/ksyms.h"
#include "platform/preflight.h"
#include "platform/tracer.h"
#include "python/pyset.h"
#include "threads/inspect.h"
#include "threads/pile.h"
#include "threads/threadpids.h"
#include "cli/output.h"
#include "cli/scan.h"
#include "cli/schedule.h"
#include "cli/snapdir.h"
#include "cli/watch.h"

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
}

/*
 * Sleeps until deadline or a signal; the write requests of the /metrics
 * server that come meanwhile are done at once, from the last scan's capture
 * (this thread's: the server's never touches it).
 */
static void sleep_until(struct watch *w, __u64 deadline)
{
	struct timespec ts = { .tv_sec = deadline / NSEC_PER_SEC,
			       .tv_nsec = deadline % NSEC_PER_SEC };
	struct pollfd pfd = { .fd = bw_httpd__wake_fd(w->httpd), .events = POLLIN };

	if (pfd.fd < 0) {
		while (!exiting &&
		       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		return;
	}
	while (!exiting) {
		__u64 now = bw_now_ns();

		if (now >= deadline)
			return;
		ts.tv_sec = (deadline - now) / NSEC_PER_SEC;
		ts.tv_nsec = (deadline - now) % NSEC_PER_SEC;
		if (ppoll(&pfd, 1, &ts, NULL) > 0)
			snapdir_serve(w);
	}
}

/*
 * Each process with a stuck thread holds a few fds while watched (its ELF
 * files; libdw's debuginfod client, two sockets): with -a, a few hundred of
 * them pass the usual soft limit of 1024 and the next scan fails. Nothing
 * here uses select(2), so the hard limit is safe.
 */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static __u64 count_processes(const struct bw_thread *threads, size_t n)
{
	size_t npids = 0;
	__u32 *pids = bw_thread_pids(threads, n, &npids);

	free(pids);
	return npids;
}

/* The built-in patterns plus the lines of path (NULL: none); says why it failed. */
static int read_patterns(const char *path, struct bw_patterns **out)
{
	FILE *f = NULL;
	int err;

	if (path) {
		f = fopen(path, "re");
		if (!f) {
			err = -errno;
			fprintf(stderr, "blockwatch: failed to open %s: %s\n", path,
				strerror(-err));
			return err;
		}
	}
	err = bw_patterns__new(out);
	if (!err)
		err = bw_gobenign_add(*out);
	if (!err && f)
		err = bw_patterns__read(*out, f);
	if (f)
		fclose(f);
	if (err) {
		bw_patterns__free(*out);
		*out = NULL;
		fprintf(stderr, "blockwatch: failed to read %s: %s\n",
			path ? path : "built-in patterns",
			err == -EINVAL ? "line too long" : strerror(-err));
	}
	return err;
}

/*
 * Opens the tracer and the modules of a watch, each failure said as before
 * and in the same order (the e2e errors suite relies on it): 0 or an exit code.
 */
static int watch_open(struct watch *w)
{
	const struct config *cfg = w->cfg;
	struct bw_tracer_opts topts = { .tgids = cfg->pids,
					.ntgids = cfg->npids,
					.max_threads = cfg->max_threads,
					.verbose = cfg->verbose,
					.futex_calls = cfg->futex_calls,
					.btf_path = cfg->btf };
	const char *fallbacks = getenv("BLOCKWATCH_FALLBACKS");
	int err;

	if (bw_filter__new(cfg->comm_re, cfg->exclude_re, cfg->cgroup, &w->filter)) {
		fprintf(stderr,
			"blockwatch: failed to compile --comm/--exclude-comm: invalid regex\n");
		return EXIT_USAGE;
	}
	/* A test knob: the fallbacks of old kernels, forced on this one. */
	if (fallbacks && bw_features_parse(fallbacks, &topts.force_fallbacks)) {
		fprintf(stderr, "blockwatch: failed to parse BLOCKWATCH_FALLBACKS: want all or "
				"task_storage,task_pt_regs,task_iter_pid\n");
		return EXIT_USAGE;
	}
	if (read_patterns(cfg->go_ignore, &w->benign) ||
	    (cfg->ignore && read_patterns(cfg->ignore, &w->ignore)))
		return EXIT_NO_TRACE;
	if (bw_piles__new(&w->piles) || (!cfg->no_go && bw_goset__new(&w->goset)) ||
	    (!cfg->no_python && bw_pyset__new(stderr, &w->pyset))) {
		fprintf(stderr, "blockwatch: failed to allocate: %s\n", strerror(ENOMEM));
		return EXIT_NO_TRACE;
	}
	err = bw_tracer__new(&topts, &w->tr);
	if (err) {
		fprintf(stderr, "blockwatch: failed to load BPF programs: %s%s\n", strerror(-err),
			cfg->verbose ? "" : " (-v shows why)");
		return EXIT_NO_TRACE;
	}
	if (cfg->verbose) {
		fputs("blockwatch: kernel fallbacks: ", stderr);
		bw_features_text(stderr, bw_tracer__fallbacks(w->tr));
		fputc('\n', stderr);
	}
	if (cfg->snapshot_dir) {
		err = snapdir_prepare(cfg->snapshot_dir);
		if (err) {
			fprintf(stderr, "blockwatch: failed to open snapshot dir %s: %s\n",
				cfg->snapshot_dir, strerror(-err));
			return EXIT_NO_TRACE;
		}
		if (bw_autosnap__new(&w->autosnap)) {
			fprintf(stderr, "blockwatch: failed to allocate: %s\n", strerror(ENOMEM));
			return EXIT_NO_TRACE;
		}
	}
	if (cfg->prometheus) {
		struct bw_httpd_opts hopts = { .writes = cfg->snapshot_dir != NULL };
		char *token = NULL;

		if (cfg->http_token) {
			err = snapdir_read_token(cfg->http_token, &token);
			if (err) {
				fprintf(stderr, "blockwatch: failed to read --http-token %s: %s\n",
					cfg->http_token,
					err == -EINVAL ? "empty, or holds a NUL" : strerror(-err));
				return EXIT_NO_TRACE;
			}
		}
		hopts.token = token;
		err = bw_httpd__start_opts(cfg->prometheus, &hopts, &w->httpd);
		free(token);
		if (err) {
			fprintf(stderr, "blockwatch: failed to serve /metrics on %s: %s\n",
				cfg->prometheus, strerror(-err));
			return EXIT_NO_TRACE;
		}
	}
	/* Kernel stacks stay raw addresses when kallsyms hides them. */
	if (bw_ksyms__new(&w->ksyms))
		w->ksyms = NULL;
	/* Threads of stripped Go binaries are named from their pclntab. */
	err = bw_inspector__new(&(struct bw_syms_opts){ .funcs = &bw_gofuncs }, &w->in);
	if (err) {
		fprintf(stderr, "blockwatch: failed to allocate: %s\n", strerror(-err));
		return EXIT_NO_TRACE;
	}
	return 0;
}

static void watch_close(struct watch *w)
{
	bw_httpd__stop(w->httpd);
	bw_autosnap__free(w->autosnap);
	bw_piles__free(w->piles);
	bw_patterns__free(w->ignore);
	bw_inspector__free(w->in);
	bw_pyset__free(w->pyset);
	bw_goset__free(w->goset);
	bw_patterns__free(w->benign);
	bw_filter__free(w->filter);
	bw_ksyms__free(w->ksyms);
	bw_tracer__free(w->tr);
	free(w->cap_gos);
}

/*
 * Free heap past which a scan's leftovers go back to the system. Below it
 * the pages stay: trimming after every scan gave a small scan's working set
 * back (madvise, a TLB flush) only to fault it in again the next second.
 */
#define TRIM_MIN_FREE_BYTES (8u << 20)

/* The capture of the scan just made, once per scan. 0 or -ENOMEM (said). */
static int capture_scan(struct watch *w, __u64 start_ns)
{
	/* What a large scan freed (libdw sessions, goroutine tables) goes back to the system. */
	if (mallinfo2().fordblks > TRIM_MIN_FREE_BYTES)
		malloc_trim(0);
	free(w->cap_gos);
	w->cap_gos = live_capture(w, &w->cap, w->ksyms, bw_now_ns() - start_ns);
	if (!w->cap_gos) {
		fprintf(stderr, "blockwatch: failed to allocate: %s\n", strerror(ENOMEM));
		return -ENOMEM;
	}
	return 0;
}

/* After each scan: the health /metrics shows, and the progress line on a terminal. */
static void after_scan(struct watch *w, bool progress, __u64 scan_start_ns)
{
	const struct bw_capture *c = &w->cap;

	w->health.scans++;
	w->health.scan_duration_ns = bw_now_ns() - scan_start_ns;
	w->health.dropped_threads = c->dropped;
	w->health.watched_processes = count_processes(c->threads, c->nthreads);
	if (w->httpd)
		publish_metrics(w, c);
	if (w->autosnap)
		snapdir_after_scan(w);
	if (progress)
		bw_report_progress(stderr, c);
}

/* Scans until the deadline or a signal: 0 to report what was seen, else a negative errno. */
static int watch_loop(struct watch *w, struct bw_schedule *s, bool progress)
{
	const struct config *cfg = w->cfg;
	size_t nseen = 0;
	int err;

	for (;;) {
		__u64 scan_start_ns = bw_now_ns();
		bool last = bw_schedule_last(s, exiting, scan_start_ns);

		err = bw_scan(w, bw_schedule_go_due(s, last), &nseen);
		if (err) {
			fprintf(stderr, "blockwatch: failed to scan threads: %s\n", strerror(-err));
			return err;
		}
		if (!nseen && !cfg->all && bw_schedule_first(s)) {
			/* Not even one thread: nothing to report, and no reason to wait. */
			fprintf(stderr,
				"blockwatch: failed to see the threads of %s%u: exited, or hidden "
				"from tracing\n",
				cfg->npids > 1 ? "processes " : "process ", cfg->pid);
			return -ESRCH;
		}
		err = capture_scan(w, s->start_ns);
		if (err)
			return err;
		if (!nseen && !cfg->all) {
			fprintf(stderr, "%sblockwatch: %s exited; reporting what was seen\n",
				progress ? "\n" : "",
				cfg->npids > 1 ? "the watched processes" : "the process");
			return 0;
		}
		after_scan(w, progress, scan_start_ns);
		if (bw_schedule_last(s, exiting, bw_now_ns()))
			return 0;
		/* A signal ends the sleep: the scan after it is the last. */
		sleep_until(w, bw_schedule_next(s, bw_now_ns(), w->health.scan_duration_ns));
	}
}

/* What the watch saw (the last scan's capture): snapshot and profiles asked for, the report. */
static int watch_report(const struct watch *w)
{
	const struct config *cfg = w->cfg;
	const struct bw_capture *c = &w->cap;
	int code;

	if (cfg->output && write_snapshot(cfg->output, c))
		return EXIT_NO_TRACE;
	if ((cfg->pprof || cfg->folded) && write_profiles(c, cfg->pprof, cfg->folded))
		return EXIT_NO_TRACE;
	if (cfg->snapshot)
		fprintf(stderr, "blockwatch: wrote %s: %zu threads, %zu Go processes\n",
			cfg->output, c->nthreads, c->ngos);
	else if (cfg->json)
		bw_report_json(stdout, c);
	else
		bw_report_text(stdout, c);
	fflush(stdout);
	code = bw_report_found(c) ? EXIT_FOUND : EXIT_CLEAN;
	if (cfg->fail_on_stuck && bw_report_stuck(c))
		code = EXIT_FOUND;
	return code;
}

static int run_watch(int argc, char **argv, bool snapshot)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct bw_schedule sched;
	struct config cfg;
	struct watch w = { .cfg = &cfg };
	char why[256];
	bool progress;
	int code;

	if (bw_options_parse(argc, argv, snapshot, &cfg))
		return EXIT_USAGE;
	if (bw_preflight_check(cfg.btf, cfg.pids, cfg.npids, getpid(), why, sizeof(why))) {
		fprintf(stderr, "blockwatch: %s\n", why);
		return EXIT_NO_TRACE;
	}
	raise_fd_limit();
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	code = watch_open(&w);
	if (code)
		goto cleanup;
	progress = !cfg.json && !cfg.snapshot && isatty(STDERR_FILENO);
	bw_schedule_init(&sched, &cfg, bw_now_ns());
	/* Quiet when not on a terminal: the report is the output. */
	if (progress)
		fprintf(stderr, "watching %s%u, threshold %llums; Ctrl-C to stop and report\n",
			cfg.all ? "all processes" : "pid ", cfg.all ? 0 : cfg.pid,
			(unsigned long long)cfg.threshold_ns / 1000000);
	code = EXIT_NO_TRACE;
	if (watch_loop(&w, &sched, progress))
		goto cleanup;
	if (progress)
		fputc('\n', stderr);
	code = watch_report(&w);

cleanup:
	watch_close(&w);
	return code;
}

int bw_cmd_watch(int argc, char **argv)
{
	return run_watch(argc, argv, false);
}

int bw_cmd_snapshot(int argc, char **argv)
{
	return run_watch(argc, argv, true);
}
