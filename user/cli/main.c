// SPDX-License-Identifier: GPL-2.0
/* blockwatch: which threads of a running process are stuck, on what, and why. */
#include <argp.h>
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include "core/atomicfile.h"
#include "core/capture.h"
#include "threads/classify.h"
#include "export/diff.h"
#include "platform/kfeatures.h"
#include "platform/filter.h"
#include "export/folded.h"
#include "export/httpd.h"
#include "export/prom.h"
#include "export/pprof.h"
#include "export/snapshot.h"
#include "go/gowatch.h"
#include "threads/inspect.h"
#include "platform/ksyms.h"
#include "core/parse.h"
#include "threads/pile.h"
#include "platform/procfs.h"
#include "export/report.h"
#include "platform/tracer.h"

#define NSEC_PER_SEC 1000000000ULL
#define MAX_DURATION_NS (365ULL * 24 * 3600 * NSEC_PER_SEC)
/* Rest after a scan, in scan durations: scanning is at most 1 / (1 + SCAN_REST) of the time. */
#define SCAN_REST 9
/* Reading every goroutine of every Go process of a host each second costs more than the rest. */
#define DEFAULT_GO_INTERVAL_ALL_NS (10 * NSEC_PER_SEC)

enum exit_code {
	EXIT_CLEAN = 0, /* ran, found no leak or deadlock */
	EXIT_USAGE = 1,
	EXIT_NO_TRACE = 2, /* could not trace */
	EXIT_FOUND = 3,	   /* found a leak or a deadlock */
};

#define MAX_PIDS 1024

struct config {
	__u32 pid; /* the first -p */
	__u32 pids[MAX_PIDS];
	size_t npids;
	bool all;
	const char *comm_re;
	const char *exclude_re;
	const char *cgroup;
	__u64 threshold_ns;
	__u64 interval_ns;
	__u64 go_interval_ns; /* 0: every scan with -p, DEFAULT_GO_INTERVAL_ALL_NS with -a */
	__u64 duration_ns;    /* 0: until SIGINT/SIGTERM */
	__u32 max_threads;
	bool json;
	bool verbose;
	bool no_go;
	bool go_probes;		/* exact park times through uprobes: costs the target */
	bool futex_calls;	/* futex syscall tracepoints: cost every syscall of the host */
	const char *btf;	/* kernel BTF for CO-RE, instead of /sys/kernel/btf/vmlinux */
	const char *go_ignore;	/* file of function patterns of benign parks */
	const char *ignore;	/* file of function patterns of idle thread waits */
	bool fail_on_stuck;	/* exit 3 on stuck threads too */
	const char *output;	/* snapshot file to write at the end */
	const char *pprof;	/* gzipped pprof profile of the stuck threads and goroutines */
	const char *folded;	/* folded stacks for flame graphs */
	const char *prometheus; /* ADDR:PORT to serve /metrics on */
	__u32 max_sites;	/* goroutine site series per process in /metrics */
	bool no_histograms;
	bool snapshot; /* the snapshot command: no report on stdout */
};

/* What one run works with; passed around instead of globals. */
struct watch {
	const struct config *cfg;
	struct bw_tracer *tr;
	struct bw_inspector *in;
	struct bw_goset *goset; /* NULL with --no-go */
	struct bw_gopatterns *benign;
	struct bw_gopatterns *ignore; /* --ignore: idle thread waits; NULL without */
	struct bw_piles *piles;
	struct bw_filter *filter;     /* -a: --comm, --exclude-comm, --cgroup */
	struct bw_httpd *httpd;	      /* --prometheus */
	struct bw_prom_health health; /* totals since start, for /metrics */
	bool probes_tried;
};

static __u64 park_of(void *ctx, __u64 gaddr, __u64 goid)
{
	struct bw_gopark park;

	if (bw_tracer__go_park(ctx, gaddr, &park) || park.goid != goid)
		return 0;
	return park.park_ns;
}

/* Attaches the opt-in probes once the target is known to be Go. */
static void attach_go_probes(struct watch *w)
{
	struct bw_goprobe_points pts;
	struct bw_gowatch *gw = bw_goset__find(w->goset, w->cfg->pid);
	int err;

	if (!gw || w->probes_tried)
		return;
	w->probes_tried = true;
	err = bw_gowatch__probe_points(gw, &pts);
	if (!err)
		err = bw_tracer__attach_go(w->tr, w->cfg->pid, pts.path, pts.park_off, pts.exit_off,
					   pts.goid_off, pts.waitreason_off);
	if (err)
		fprintf(stderr,
			"blockwatch: failed to attach Go probes to %u: %s; reading memory only\n",
			w->cfg->pid, strerror(-err));
}

static volatile sig_atomic_t exiting;

const char *argp_program_version = "blockwatch " BW_VERSION;
const char argp_program_doc[] =
	"Find the threads of a running process that are stuck: for how long, on what,\n"
	"and whether it is a deadlock, a leak, or just slow or idle.\n"
	"\n"
	"Verdicts: deadlock (a cycle of lock owners or joins), leak (proven never to\n"
	"end: waits for a thread that exited, deadlocked or leaked; or threads piling\n"
	"up at one site), stuck (an untimed wait with no known waker, no proof either\n"
	"way), blocked (waits on something that moves), idle (a normal long wait:\n"
	"sockets, sleep, poll, signals, runtimes' idle threads, pools).\n"
	"Exit status: 0 no leak or deadlock, 3 a leak or deadlock found (or stuck,\n"
	"with --fail-on stuck), 1 usage error, 2 could not trace.\n"
	"\n"
	"EXAMPLES:\n"
	"    blockwatch -p 1234                 # watch until Ctrl-C, then report\n"
	"    blockwatch -p 1234 -d 5s -t 2s     # 5 seconds, flag blocks of 2s or more\n"
	"    blockwatch -p 1234 -d 1s --json    # one JSON object per line\n"
	"    blockwatch -a -d 10s               # every process of the host\n"
	"    blockwatch snapshot -p 1234 -o incident.bw   # capture for later\n"
	"    blockwatch report incident.bw      # render it anywhere, no root\n"
	"    blockwatch diff before.bw after.bw # what got stuck in between\n";

enum {
	OPT_MAX_THREADS = 0x100,
	OPT_GO_IGNORE,
	OPT_NO_GO,
	OPT_GO_PROBES,
	OPT_COMM,
	OPT_EXCLUDE_COMM,
	OPT_CGROUP,
	OPT_PPROF,
	OPT_FOLDED,
	OPT_PROMETHEUS,
	OPT_MAX_SITES,
	OPT_NO_HISTOGRAMS,
	OPT_GO_INTERVAL,
	OPT_FUTEX_CALLS,
	OPT_BTF,
	OPT_IGNORE,
	OPT_FAIL_ON,
};

static const struct argp_option options[] = {
	{ "pid", 'p', "PID", 0, "Process to watch (repeat for several)", 0 },
	{ "all", 'a', NULL, 0, "Watch every process", 0 },
	{ "comm", OPT_COMM, "REGEX", 0, "With -a: only processes whose name matches", 0 },
	{ "exclude-comm", OPT_EXCLUDE_COMM, "REGEX", 0, "With -a: not those whose name matches",
	  0 },
	{ "cgroup", OPT_CGROUP, "PATH", 0,
	  "With -a: only processes in this cgroup (v2) or below, e.g. /system.slice/x.service", 0 },
	{ "threshold", 't', "DUR", 0, "Report threads blocked this long (default 10s)", 0 },
	{ "interval", 'i', "DUR", 0, "Time between scans (default 1s)", 0 },
	{ "go-interval", OPT_GO_INTERVAL, "DUR", 0,
	  "Time between goroutine scans (default: every scan with -p, 10s with -a); "
	  "the first and the last scan always read goroutines",
	  0 },
	{ "duration", 'd', "DUR", 0, "Stop after DUR (default: at SIGINT/SIGTERM)", 0 },
	{ "json", 'j', NULL, 0, "One JSON object per line on stdout", 0 },
	{ "output", 'o', "FILE", 0, "Also write a snapshot to FILE (see blockwatch report)", 0 },
	{ "pprof", OPT_PPROF, "FILE", 0,
	  "Write a gzipped pprof profile of what is stuck (go tool pprof, Pyroscope, Parca)", 0 },
	{ "folded", OPT_FOLDED, "FILE", 0,
	  "Write folded stacks weighted by blocked ms (flame graphs)", 0 },
	{ "prometheus", OPT_PROMETHEUS, "ADDR:PORT", 0,
	  "Serve /metrics for Prometheus after every scan (e.g. :9464, 127.0.0.1:9464)", 0 },
	{ "max-sites", OPT_MAX_SITES, "N", 0, "Goroutine site series per process in /metrics (20)",
	  0 },
	{ "no-histograms", OPT_NO_HISTOGRAMS, NULL, 0, "No block-duration histograms in /metrics",
	  0 },
	{ "max-threads", OPT_MAX_THREADS, "N", 0, "Threads the BPF maps hold (default 16384)", 0 },
	{ "go-ignore", OPT_GO_IGNORE, "FILE", 0,
	  "Go functions whose parked goroutines are normal, one fnmatch pattern a line", 0 },
	{ "ignore", OPT_IGNORE, "FILE", 0,
	  "Functions whose untimed thread waits are idle, one fnmatch pattern a line "
	  "(the format of --go-ignore); adds to the built-in runtime table",
	  0 },
	{ "fail-on", OPT_FAIL_ON, "stuck", 0,
	  "Exit 3 on stuck threads too, not only on deadlocks and leaks", 0 },
	{ "no-go", OPT_NO_GO, NULL, 0, "Threads only: do not read Go goroutines", 0 },
	{ "go-probes", OPT_GO_PROBES, NULL, 0,
	  "Exact goroutine park times from uprobes on runtime.park_m/goexit0 (with -p). "
	  "Costs the target about 0.5 us per park: channel-heavy code slows down, "
	  "up to several times. Default: read memory only, at no cost to the target",
	  0 },
	{ "futex-calls", OPT_FUTEX_CALLS, NULL, 0,
	  "Also count futex wait calls that did not block (futex_waits in JSON). "
	  "Uses the futex syscall tracepoints, which put every syscall of the host "
	  "on the traced path (about 35 ns each here). Default: futex blocks from sched_switch",
	  0 },
	{ "btf", OPT_BTF, "FILE", 0,
	  "Kernel BTF to relocate against, for kernels without /sys/kernel/btf/vmlinux", 0 },
	{ "verbose", 'v', NULL, 0, "Show libbpf debug output", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	struct config *cfg = state->input;
	__u64 v;

	switch (key) {
	case 'p':
		if (bw_parse_uint(arg, 1, 0x3fffffff, &v))
			argp_error(state, "invalid PID: %s", arg);
		if (cfg->npids == MAX_PIDS)
			argp_error(state, "at most %d -p", MAX_PIDS);
		if (!cfg->npids)
			cfg->pid = v;
		cfg->pids[cfg->npids++] = v;
		break;
	case OPT_COMM:
		cfg->comm_re = arg;
		break;
	case OPT_EXCLUDE_COMM:
		cfg->exclude_re = arg;
		break;
	case OPT_CGROUP:
		cfg->cgroup = arg;
		break;
	case 'a':
		cfg->all = true;
		break;
	case 't':
		if (bw_parse_duration(arg, MAX_DURATION_NS, &cfg->threshold_ns))
			argp_error(state, "invalid threshold: %s (e.g. 500ms, 10s, 2m)", arg);
		break;
	case 'i':
		if (bw_parse_duration(arg, MAX_DURATION_NS, &cfg->interval_ns))
			argp_error(state, "invalid interval: %s (e.g. 500ms, 1s)", arg);
		break;
	case OPT_GO_INTERVAL:
		if (bw_parse_duration(arg, MAX_DURATION_NS, &cfg->go_interval_ns) ||
		    !cfg->go_interval_ns)
			argp_error(state, "invalid --go-interval: %s (e.g. 1s, 30s)", arg);
		break;
	case 'd':
		if (bw_parse_duration(arg, MAX_DURATION_NS, &cfg->duration_ns))
			argp_error(state, "invalid duration: %s (e.g. 3s, 2m)", arg);
		break;
	case OPT_MAX_THREADS:
		if (bw_parse_uint(arg, 64, 1 << 22, &v))
			argp_error(state, "invalid --max-threads: %s (64 to 4194304)", arg);
		cfg->max_threads = v;
		break;
	case 'j':
		cfg->json = true;
		break;
	case 'o':
		cfg->output = arg;
		break;
	case OPT_PPROF:
		cfg->pprof = arg;
		break;
	case OPT_FOLDED:
		cfg->folded = arg;
		break;
	case OPT_PROMETHEUS:
		cfg->prometheus = arg;
		break;
	case OPT_MAX_SITES:
		if (bw_parse_uint(arg, 1, 10000, &v))
			argp_error(state, "invalid --max-sites: %s (1 to 10000)", arg);
		cfg->max_sites = v;
		break;
	case OPT_NO_HISTOGRAMS:
		cfg->no_histograms = true;
		break;
	case OPT_GO_IGNORE:
		cfg->go_ignore = arg;
		break;
	case OPT_IGNORE:
		cfg->ignore = arg;
		break;
	case OPT_FAIL_ON:
		if (strcmp(arg, "stuck"))
			argp_error(state, "invalid --fail-on: %s (stuck)", arg);
		cfg->fail_on_stuck = true;
		break;
	case OPT_NO_GO:
		cfg->no_go = true;
		break;
	case OPT_GO_PROBES:
		cfg->go_probes = true;
		break;
	case OPT_FUTEX_CALLS:
		cfg->futex_calls = true;
		break;
	case OPT_BTF:
		cfg->btf = arg;
		break;
	case 'v':
		cfg->verbose = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument: %s", arg);
		break;
	case ARGP_KEY_END:
		if (!cfg->pid && !cfg->all)
			argp_error(state, "give a process with -p PID, or -a for all");
		if (cfg->pid && cfg->all)
			argp_error(state, "-p and -a do not go together");
		if (cfg->snapshot && !cfg->output)
			argp_error(state, "snapshot needs -o FILE");
		if ((cfg->comm_re || cfg->exclude_re || cfg->cgroup) && !cfg->all)
			argp_error(state, "--comm, --exclude-comm and --cgroup go with -a");
		if (cfg->go_probes && (cfg->npids != 1 || cfg->no_go))
			argp_error(state, "--go-probes needs -p and goroutines");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void on_signal(int sig)
{
	exiting = 1;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* Sleeps until deadline or a signal. */
static void sleep_until(__u64 deadline)
{
	struct timespec ts = { .tv_sec = deadline / NSEC_PER_SEC,
			       .tv_nsec = deadline % NSEC_PER_SEC };

	while (!exiting && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
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

static int check_environment(const struct config *cfg)
{
	size_t i;
	int err;

	if (!bw_proc_may_trace()) {
		fprintf(stderr, "blockwatch: failed to get privileges: run as root, or with "
				"CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE\n");
		return -EPERM;
	}
	if (cfg->btf) {
		err = bw_tracer__check_btf(cfg->btf);
		if (err) {
			fprintf(stderr, "blockwatch: failed to read BTF %s: %s\n", cfg->btf,
				err == -EPROTO ? "not BTF, nor an ELF file with a .BTF section"
					       : strerror(-err));
			return err;
		}
	} else if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "blockwatch: failed to find kernel BTF /sys/kernel/btf/vmlinux: "
				"the kernel needs CONFIG_DEBUG_INFO_BTF=y, or give one with --btf "
				"FILE\n");
		return -ENOENT;
	}
	for (i = 0; i < cfg->npids; i++) {
		__u32 pid = cfg->pids[i];
		const char *why = NULL;

		err = bw_proc_check(pid);
		if (err) {
			fprintf(stderr, "blockwatch: failed to find process %u: %s\n", pid,
				err == -ESRCH ? "it is a thread, not a process (give its Tgid)"
					      : "no such process");
			return err;
		}
		if (bw_proc_is_kthread(pid))
			why = "it is a kernel thread";
		else if (pid == (__u32)getpid())
			why = "it is blockwatch";
		else if (bw_proc_is_zombie(pid))
			why = "it is a zombie (it exited; its parent has not reaped it)";
		if (why) {
			fprintf(stderr, "blockwatch: failed to watch process %u: %s\n", pid, why);
			return -EINVAL;
		}
	}
	return 0;
}

/* Distinct pids of the threads in order of first appearance, for the Go scan. */
static __u32 *thread_pids(const struct bw_thread *threads, size_t n, size_t *npids)
{
	size_t i, j, np = 0, cap = 16;
	__u32 *pids, *seen;
	bool zero = false;

	while (cap < 2 * n)
		cap *= 2;
	pids = malloc((n ? n : 1) * sizeof(*pids));
	/* Open addressing on pid; 0 marks a free slot, so pid 0 has a flag of its own. */
	seen = calloc(cap, sizeof(*seen));
	if (!pids || !seen) {
		free(pids);
		free(seen);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		__u32 pid = threads[i].pid;

		if (!pid) {
			if (!zero)
				pids[np++] = 0;
			zero = true;
			continue;
		}
		for (j = (pid * 2654435761u) & (cap - 1); seen[j] && seen[j] != pid;
		     j = (j + 1) & (cap - 1))
			;
		if (seen[j])
			continue;
		seen[j] = pid;
		pids[np++] = pid;
	}
	free(seen);
	*npids = np;
	return pids;
}

/*
 * Ties threads to goroutines. A bare futex wait on a Go thread is the
 * runtime's own (notes, runtime locks: idle Ms, signal and timer waits),
 * whether or not symbols said so: Go code has no futex of its own, and C
 * code called through cgo shows its pthread frames instead.
 */
static void link_goroutines(struct watch *w, struct bw_thread *threads, size_t n)
{
	struct bw_gowatch *gw;
	size_t i;

	for (i = 0; i < n; i++) {
		struct bw_thread *t = &threads[i];

		gw = bw_goset__find(w->goset, t->pid);
		if (!gw)
			continue;
		t->goid = bw_gowatch__goid_of_tid(gw, t->tid);
		if (t->wait == BW_WAIT_FUTEX)
			t->wait = BW_WAIT_RUNTIME;
	}
}

struct proc_pick {
	__u32 pid;
	bool keep;
	char comm[BW_COMM_LEN + 1];
};

static int cmp_pick(const void *a, const void *b)
{
	const struct proc_pick *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/*
 * Drops the threads of processes the filters exclude, and blockwatch's own.
 * Decides once per process, by its main thread's name (threads of many
 * processes come interleaved, in tid order).
 */
static int filter_recs(struct watch *w, struct bw_task_rec *recs, size_t *n)
{
	struct proc_pick *picks = calloc(*n ? *n : 1, sizeof(*picks)), key = { 0 }, *p;
	size_t i, np = 0, kept = 0;
	__u32 self = getpid();
	char cgroup[512];

	if (!picks)
		return -ENOMEM;
	for (i = 0; i < *n; i++) {
		key.pid = recs[i].tgid;
		p = np ? bsearch(&key, picks, np, sizeof(*picks), cmp_pick) : NULL;
		if (!p) {
			p = &picks[np++];
			p->pid = recs[i].tgid;
			snprintf(p->comm, sizeof(p->comm), "%.*s", BW_COMM_LEN, recs[i].comm);
			qsort(picks, np, sizeof(*picks), cmp_pick);
			p = bsearch(&key, picks, np, sizeof(*picks), cmp_pick);
		}
		if (recs[i].tid == recs[i].tgid)
			snprintf(p->comm, sizeof(p->comm), "%.*s", BW_COMM_LEN, recs[i].comm);
	}
	for (i = 0; i < np; i++) {
		p = &picks[i];
		p->keep = p->pid != self;
		if (p->keep && w->filter)
			p->keep = bw_filter__match(
				w->filter, p->comm,
				bw_filter__wants_cgroup(w->filter) &&
						!bw_proc_cgroup(p->pid, cgroup, sizeof(cgroup))
					? cgroup
					: NULL);
	}
	for (i = 0; i < *n; i++) {
		key.pid = recs[i].tgid;
		p = bsearch(&key, picks, np, sizeof(*picks), cmp_pick);
		if (p && p->keep)
			recs[kept++] = recs[i];
	}
	*n = kept;
	free(picks);
	return 0;
}

static __u64 count_processes(const struct bw_thread *threads, size_t n)
{
	size_t npids = 0;
	__u32 *pids = thread_pids(threads, n, &npids);

	free(pids);
	return npids;
}

static size_t live_recs(const struct bw_task_rec *recs, size_t n)
{
	size_t i, live = 0;

	for (i = 0; i < n; i++)
		live += bw_state_char(recs[i].state) != 'Z';
	return live;
}

/* go_due: read goroutines in this scan, else keep those of the last Go scan. */
static int scan(struct watch *w, bool go_due, size_t *nthreads)
{
	const struct config *cfg = w->cfg;
	struct bw_classify_opts copts = { .threshold_ns = cfg->threshold_ns, .ignore = w->ignore };
	struct bw_task_rec *recs = NULL;
	struct bw_thread_obs *obs;
	struct bw_thread *threads;
	__u32 *pids;
	size_t i, n = 0, npids = 0;
	__u64 now;
	int err;

	err = bw_tracer__scan(w->tr, &recs, &n);
	if (err)
		return err;
	if (cfg->all && filter_recs(w, recs, &n)) {
		free(recs);
		return -ENOMEM;
	}
	/* A zombie leader stays listed until reaped: with no live thread, it exited. */
	if (!cfg->all && !live_recs(recs, n))
		n = 0;
	*nthreads = n;
	/* The target exited: keep what the last scan saw. */
	if (!n && !cfg->all) {
		free(recs);
		return 0;
	}
	obs = calloc(n ? n : 1, sizeof(*obs));
	if (!obs) {
		free(recs);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		obs[i].has_history = !bw_tracer__history(w->tr, recs[i].tid, &obs[i].history);
		obs[i].has_futex = !bw_tracer__futex(w->tr, recs[i].tid, &obs[i].futex);
	}
	now = now_ns();
	err = bw_inspector__update(w->in, recs, obs, n, now, cfg->threshold_ns);
	free(obs);
	free(recs);
	if (err)
		return err;
	threads = bw_inspector__threads(w->in, &n);
	if (w->goset && go_due) {
		pids = thread_pids(threads, n, &npids);
		if (!pids)
			return -ENOMEM;
		err = bw_goset__scan(w->goset, pids, npids, cfg->threshold_ns, w->benign,
				     cfg->go_probes ? park_of : NULL, w->tr);
		free(pids);
		if (err)
			return err;
		if (cfg->go_probes)
			attach_go_probes(w);
	}
	if (w->goset)
		link_goroutines(w, threads, n);
	err = bw_classify_opts(threads, n, &copts);
	if (!err)
		err = bw_piles__update(w->piles, threads, n, now, cfg->threshold_ns);
	return err;
}

/* The capture of a live run: points into the watch's state. */
static struct bw_capture_go *live_capture(struct watch *w, struct bw_capture *c,
					  const struct bw_ksyms *ksyms, __u64 watched_ns)
{
	size_t i, n = w->goset ? bw_goset__count(w->goset) : 0;
	struct bw_capture_go *gos = calloc(n ? n : 1, sizeof(*gos));

	memset(c, 0, sizeof(*c));
	bw_capture_stamp(c);
	c->threshold_ns = w->cfg->threshold_ns;
	c->watched_ns = watched_ns;
	c->dropped = bw_tracer__dropped(w->tr);
	c->fallbacks = bw_tracer__fallbacks(w->tr);
	c->all = w->cfg->all;
	c->threads = bw_inspector__threads(w->in, &c->nthreads);
	c->ksyms = ksyms;
	for (i = 0; gos && i < n; i++) {
		struct bw_gowatch *gw = bw_goset__get(w->goset, i);
		struct bw_capture_go *g = &gos[c->ngos];

		if (!gw)
			continue;
		g->pid = bw_gowatch__pid(gw);
		g->go_version = bw_gowatch__version(gw);
		bw_gowatch__scan_kinds(gw, &g->scan_stacks, &g->scan_heap, &g->scan_globals);
		g->recs = bw_gowatch__records(gw, &g->nrecs);
		g->groups = bw_gowatch__groups(gw, &g->ngroups);
		c->ngos++;
	}
	c->gos = gos;
	return gos;
}

static int write_snapshot(const char *path, const struct bw_capture *c)
{
	struct bw_atomic a;
	int err;

	err = bw_atomic_open(&a, path);
	if (err)
		goto fail;
	err = bw_snapshot_write(a.f, c);
	if (err) {
		bw_atomic_abort(&a);
		goto fail;
	}
	err = bw_atomic_commit(&a);
	if (err)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "blockwatch: failed to write snapshot %s: %s\n", path, strerror(-err));
	return err;
}

/* The exposition of the last scan's capture, handed to the /metrics server. */
static void publish_metrics(struct watch *w, const struct bw_capture *c)
{
	struct bw_prom_opts o = { .max_sites = w->cfg->max_sites,
				  .no_histograms = w->cfg->no_histograms };
	size_t i, n = w->goset ? bw_goset__count(w->goset) : 0, len = 0;
	__u64 skipped = 0;
	char *text = NULL;
	FILE *f;
	int err;

	for (i = 0; i < n; i++) {
		struct bw_gowatch *gw = bw_goset__get(w->goset, i);

		if (gw)
			skipped += bw_gowatch__skipped(gw);
	}
	/* A counter never goes down, even when a process takes its tally away. */
	if (skipped > w->health.skipped_goroutine_reads)
		w->health.skipped_goroutine_reads = skipped;
	o.health = w->health;
	f = open_memstream(&text, &len);
	if (f) {
		err = bw_prom_write(f, c, &o);
		/* Closed once whatever the write gave; fclose sets text and len. */
		if (!fclose(f) && !err)
			bw_httpd__publish(w->httpd, text, len);
	}
	free(text);
}

/* Writes path whole or not at all with writer(f, c). */
static int write_atomic(const char *path, const char *what,
			int (*writer)(FILE *f, const struct bw_capture *c),
			const struct bw_capture *c)
{
	struct bw_atomic a;
	int err;

	err = bw_atomic_open(&a, path);
	if (!err) {
		err = writer(a.f, c);
		if (err)
			bw_atomic_abort(&a);
		else
			err = bw_atomic_commit(&a);
	}
	if (err)
		fprintf(stderr, "blockwatch: failed to write %s %s: %s\n", what, path,
			strerror(-err));
	return err;
}

/* The profiles of a capture: pprof and folded stacks, where asked for. */
static int write_profiles(const struct bw_capture *c, const char *pprof, const char *folded)
{
	int err = 0;

	if (pprof)
		err = write_atomic(pprof, "pprof profile", bw_pprof_write, c);
	if (!err && folded)
		err = write_atomic(folded, "folded stacks", bw_folded_write, c);
	return err;
}

static int run_watch(int argc, char **argv, bool snapshot)
{
	static const struct argp argp = { .options = options,
					  .parser = parse_arg,
					  .doc = argp_program_doc };
	struct config cfg = { .threshold_ns = 10 * NSEC_PER_SEC,
			      .interval_ns = NSEC_PER_SEC,
			      .snapshot = snapshot,
			      /* a snapshot ages what it sees over a couple of scans */
			      .duration_ns = snapshot ? 2 * NSEC_PER_SEC : 0 };
	struct bw_capture_go *gos = NULL;
	struct bw_capture cap = {};
	struct bw_tracer_opts topts = {};
	struct watch w = { .cfg = &cfg };
	struct bw_ksyms *ksyms = NULL;
	FILE *ignore = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	__u64 start, deadline, next_scan, next_go_scan, go_interval;
	size_t nseen = 0;
	bool progress;
	int err, code = EXIT_NO_TRACE;

	err = argp_parse(&argp, argc, argv, 0, NULL, &cfg);
	if (err)
		return EXIT_USAGE;
	if (check_environment(&cfg))
		return EXIT_NO_TRACE;
	raise_fd_limit();

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	topts.tgids = cfg.pids;
	topts.ntgids = cfg.npids;
	err = bw_filter__new(cfg.comm_re, cfg.exclude_re, cfg.cgroup, &w.filter);
	if (err) {
		fprintf(stderr,
			"blockwatch: failed to compile --comm/--exclude-comm: invalid regex\n");
		code = EXIT_USAGE;
		goto cleanup;
	}
	topts.max_threads = cfg.max_threads;
	topts.verbose = cfg.verbose;
	topts.futex_calls = cfg.futex_calls;
	topts.btf_path = cfg.btf;
	/* A test knob: the fallbacks of old kernels, forced on this one. */
	if (getenv("BLOCKWATCH_FALLBACKS") &&
	    bw_features_parse(getenv("BLOCKWATCH_FALLBACKS"), &topts.force_fallbacks)) {
		fprintf(stderr, "blockwatch: failed to parse BLOCKWATCH_FALLBACKS: want all or "
				"task_storage,task_pt_regs,task_iter_pid\n");
		code = EXIT_USAGE;
		goto cleanup;
	}
	if (cfg.go_ignore) {
		ignore = fopen(cfg.go_ignore, "re");
		if (!ignore) {
			fprintf(stderr, "blockwatch: failed to open %s: %s\n", cfg.go_ignore,
				strerror(errno));
			goto cleanup;
		}
	}
	err = bw_gopatterns__new(ignore, &w.benign);
	if (err) {
		fprintf(stderr, "blockwatch: failed to read %s: %s\n",
			cfg.go_ignore ? cfg.go_ignore : "built-in patterns",
			err == -EINVAL ? "line too long" : strerror(-err));
		goto cleanup;
	}
	if (cfg.ignore) {
		FILE *f = fopen(cfg.ignore, "re");

		if (!f) {
			fprintf(stderr, "blockwatch: failed to open %s: %s\n", cfg.ignore,
				strerror(errno));
			goto cleanup;
		}
		err = bw_gopatterns__new(f, &w.ignore);
		fclose(f);
		if (err) {
			fprintf(stderr, "blockwatch: failed to read %s: %s\n", cfg.ignore,
				err == -EINVAL ? "line too long" : strerror(-err));
			goto cleanup;
		}
	}
	if (bw_piles__new(&w.piles)) {
		fprintf(stderr, "blockwatch: failed to allocate: %s\n", strerror(ENOMEM));
		goto cleanup;
	}
	if (!cfg.no_go && bw_goset__new(&w.goset)) {
		fprintf(stderr, "blockwatch: failed to allocate: %s\n", strerror(ENOMEM));
		goto cleanup;
	}
	err = bw_tracer__new(&topts, &w.tr);
	if (err) {
		fprintf(stderr, "blockwatch: failed to load BPF programs: %s%s\n", strerror(-err),
			cfg.verbose ? "" : " (-v shows why)");
		goto cleanup;
	}
	if (cfg.verbose) {
		fputs("blockwatch: kernel fallbacks: ", stderr);
		bw_features_text(stderr, bw_tracer__fallbacks(w.tr));
		fputc('\n', stderr);
	}
	if (cfg.prometheus) {
		err = bw_httpd__start(cfg.prometheus, &w.httpd);
		if (err) {
			fprintf(stderr, "blockwatch: failed to serve /metrics on %s: %s\n",
				cfg.prometheus, strerror(-err));
			goto cleanup;
		}
	}
	/* Kernel stacks stay raw addresses when kallsyms hides them. */
	if (bw_ksyms__new(&ksyms))
		ksyms = NULL;
	err = bw_inspector__new(&w.in);
	if (err) {
		fprintf(stderr, "blockwatch: failed to allocate: %s\n", strerror(-err));
		goto cleanup;
	}

	progress = !cfg.json && !cfg.snapshot && isatty(STDERR_FILENO);
	start = now_ns();
	deadline = cfg.duration_ns ? start + cfg.duration_ns : 0;
	if (!cfg.json && !progress)
		; /* quiet when not on a terminal: the report is the output */
	else if (progress)
		fprintf(stderr, "watching %s%u, threshold %llums; Ctrl-C to stop and report\n",
			cfg.all ? "all processes" : "pid ", cfg.all ? 0 : cfg.pid,
			(unsigned long long)cfg.threshold_ns / 1000000);

	go_interval = cfg.go_interval_ns ? cfg.go_interval_ns
		      : cfg.all		 ? DEFAULT_GO_INTERVAL_ALL_NS
					 : cfg.interval_ns;
	for (next_scan = next_go_scan = start;;) {
		__u64 scan_start = now_ns();
		/* The report always shows goroutines as the last scan saw them. */
		bool last = exiting || (deadline && scan_start >= deadline);
		bool go_due = last || next_scan >= next_go_scan;

		if (go_due)
			while (next_go_scan <= next_scan)
				next_go_scan += go_interval;
		err = scan(&w, go_due, &nseen);
		if (err) {
			fprintf(stderr, "blockwatch: failed to scan threads: %s\n", strerror(-err));
			goto cleanup;
		}
		if (!nseen && !cfg.all && next_scan == start) {
			/* Not even one thread: nothing to report, and no reason to wait. */
			fprintf(stderr,
				"blockwatch: failed to see the threads of %s%u: exited, or hidden "
				"from tracing\n",
				cfg.npids > 1 ? "processes " : "process ", cfg.pid);
			goto cleanup;
		}
		/* What a scan freed (libdw sessions, goroutine tables) goes back to the system. */
		malloc_trim(0);
		/* One capture a scan: progress, /metrics, the report, snapshot and profiles. */
		free(gos);
		gos = live_capture(&w, &cap, ksyms, now_ns() - start);
		if (!gos) {
			fprintf(stderr, "blockwatch: failed to allocate: %s\n", strerror(ENOMEM));
			goto cleanup;
		}
		if (!nseen && !cfg.all) {
			fprintf(stderr, "%sblockwatch: %s exited; reporting what was seen\n",
				progress ? "\n" : "",
				cfg.npids > 1 ? "the watched processes" : "the process");
			break;
		}
		w.health.scans++;
		w.health.scan_duration_ns = now_ns() - scan_start;
		w.health.dropped_threads = cap.dropped;
		w.health.watched_processes = count_processes(cap.threads, cap.nthreads);
		if (w.httpd)
			publish_metrics(&w, &cap);
		if (progress)
			bw_report_progress(stderr, &cap);
		if (exiting || (deadline && now_ns() >= deadline))
			break;
		next_scan += cfg.interval_ns;
		/* A long scan (a million goroutines): rest nine times as long as it took,
		 * so that scanning takes about a tenth of the time. */
		if (next_scan < now_ns() + SCAN_REST * w.health.scan_duration_ns)
			next_scan = now_ns() + SCAN_REST * w.health.scan_duration_ns;
		if (deadline && next_scan > deadline)
			next_scan = deadline;
		sleep_until(next_scan);
		if (exiting)
			continue; /* one last scan, then report */
	}
	if (progress)
		fputc('\n', stderr);

	if (cfg.output && write_snapshot(cfg.output, &cap))
		goto cleanup;
	if ((cfg.pprof || cfg.folded) && write_profiles(&cap, cfg.pprof, cfg.folded))
		goto cleanup;
	if (cfg.snapshot)
		fprintf(stderr, "blockwatch: wrote %s: %zu threads, %zu Go processes\n", cfg.output,
			cap.nthreads, cap.ngos);
	else if (cfg.json)
		bw_report_json(stdout, &cap);
	else
		bw_report_text(stdout, &cap);
	fflush(stdout);
	code = bw_report_found(&cap) ? EXIT_FOUND : EXIT_CLEAN;
	if (cfg.fail_on_stuck && bw_report_stuck(&cap))
		code = EXIT_FOUND;

cleanup:
	bw_httpd__stop(w.httpd);
	bw_piles__free(w.piles);
	bw_gopatterns__free(w.ignore);
	free(gos);
	bw_inspector__free(w.in);
	bw_goset__free(w.goset);
	bw_gopatterns__free(w.benign);
	bw_filter__free(w.filter);
	if (ignore)
		fclose(ignore);
	bw_ksyms__free(ksyms);
	bw_tracer__free(w.tr);
	return code;
}

static int read_capture(const char *path, struct bw_capture *c)
{
	char why[256] = "";
	FILE *f = fopen(path, "re");
	int err;

	memset(c, 0, sizeof(*c)); /* defined whatever happens */
	if (!f) {
		err = -errno; /* before fprintf, which may change errno */
		fprintf(stderr, "blockwatch: failed to open %s: %s\n", path, strerror(-err));
		return err;
	}
	err = bw_snapshot_read(f, c, why, sizeof(why));
	fclose(f);
	if (err)
		fprintf(stderr, "blockwatch: failed to read snapshot %s: %s\n", path,
			err == -EINVAL ? why : strerror(-err));
	return err;
}

struct file_args {
	const char *files[2];
	int nfiles;
	int want;
	bool json;
	const char *pprof;
	const char *folded;
};

static const struct argp_option file_options[] = {
	{ "json", 'j', NULL, 0, "One JSON object per line on stdout", 0 },
	{ "pprof", OPT_PPROF, "FILE", 0, "report: also write a gzipped pprof profile", 0 },
	{ "folded", OPT_FOLDED, "FILE", 0, "report: also write folded stacks", 0 },
	{},
};

static error_t parse_file_arg(int key, char *arg, struct argp_state *state)
{
	struct file_args *fa = state->input;

	switch (key) {
	case 'j':
		fa->json = true;
		break;
	case OPT_PPROF:
		fa->pprof = arg;
		break;
	case OPT_FOLDED:
		fa->folded = arg;
		break;
	case ARGP_KEY_ARG:
		if (fa->nfiles == fa->want)
			argp_error(state, "too many files");
		fa->files[fa->nfiles++] = arg;
		break;
	case ARGP_KEY_END:
		if (fa->nfiles != fa->want)
			argp_error(state, "give %s",
				   fa->want == 1 ? "a snapshot FILE" : "OLD and NEW");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* blockwatch report FILE: a snapshot rendered as the live report was. */
static int run_report(int argc, char **argv)
{
	static const struct argp argp = {
		.options = file_options,
		.parser = parse_file_arg,
		.args_doc = "FILE",
		.doc = "Render a snapshot written by 'blockwatch snapshot' (or -o) as the live "
		       "report, on any machine: no root, no BPF.",
	};
	struct file_args fa = { .want = 1 };
	struct bw_capture c;
	int code;

	if (argp_parse(&argp, argc, argv, 0, NULL, &fa))
		return EXIT_USAGE;
	if (read_capture(fa.files[0], &c))
		return EXIT_NO_TRACE;
	if ((fa.pprof || fa.folded) && write_profiles(&c, fa.pprof, fa.folded)) {
		bw_capture_free(&c);
		return EXIT_NO_TRACE;
	}
	if (fa.json)
		bw_report_json(stdout, &c);
	else
		bw_report_text(stdout, &c);
	fflush(stdout);
	code = bw_report_found(&c) ? EXIT_FOUND : EXIT_CLEAN;
	bw_capture_free(&c);
	return code;
}

/* blockwatch diff OLD NEW: what got stuck in between. */
static int run_diff(int argc, char **argv)
{
	static const struct argp argp = {
		.options = file_options,
		.parser = parse_file_arg,
		.args_doc = "OLD NEW",
		.doc = "What got stuck between two snapshots: goroutine sites that grew, threads "
		       "newly stuck or no longer stuck. Exit 3 when NEW has more leaks than OLD.",
	};
	struct file_args fa = { .want = 2 };
	struct bw_capture old, new;
	int code = EXIT_NO_TRACE;

	if (argp_parse(&argp, argc, argv, 0, NULL, &fa))
		return EXIT_USAGE;
	if (read_capture(fa.files[0], &old))
		return EXIT_NO_TRACE;
	if (!read_capture(fa.files[1], &new)) {
		code = bw_diff(stdout, &old, &new, fa.json) ? EXIT_FOUND : EXIT_CLEAN;
		bw_capture_free(&new);
	}
	bw_capture_free(&old);
	fflush(stdout);
	return code;
}

int main(int argc, char **argv)
{
	argp_err_exit_status = EXIT_USAGE;
	/* libdwfl would download missing debug files from these servers, in the middle of a scan. */
	unsetenv("DEBUGINFOD_URLS");
	/* A report of a million goroutines is ~1 GB of JSON: write it in big pieces.
	 * Every report is flushed whole, so readers still get each one at once. */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	if (argc > 1 && !strcmp(argv[1], "snapshot"))
		return run_watch(argc - 1, argv + 1, true);
	if (argc > 1 && !strcmp(argv[1], "report"))
		return run_report(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "diff"))
		return run_diff(argc - 1, argv + 1);
	return run_watch(argc, argv, false);
}
