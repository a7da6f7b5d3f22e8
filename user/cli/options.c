// SPDX-License-Identifier: GPL-2.0
#include <argp.h>
#include <stdio.h>
#include <string.h>
#include "core/model.h"
#include "core/parse.h"
#include "platform/tracer.h"
#include "cli/options.h"

/* --version names libbpf too: the shared library can differ from the headers built with. */
static void print_version(FILE *f, struct argp_state *state)
{
	struct bw_libbpf_version v;

	bw_tracer__libbpf_version(&v);
	fprintf(f, "blockwatch %s (libbpf %u.%u built, %u.%u running)\n", BW_VERSION, v.built_major,
		v.built_minor, v.running_major, v.running_minor);
}
void (*argp_program_version_hook)(FILE *, struct argp_state *) = print_version;
static const char argp_program_doc[] =
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
	"    blockwatch diff before.bw after.bw # what got stuck in between\n"
	"    blockwatch -a --snapshot-dir /var/lib/blockwatch/snapshots --prometheus "
	"127.0.0.1:9464\n"
	"                                       # a snapshot of each new deadlock or leak\n";

enum {
	OPT_MAX_THREADS = 0x100,
	OPT_GO_IGNORE,
	OPT_NO_GO,
	OPT_NO_PYTHON,
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
	OPT_SNAPSHOT_DIR,
	OPT_SNAPSHOT_EVERY,
	OPT_SNAPSHOT_KEEP,
	OPT_SNAPSHOT_MAX_SIZE,
	OPT_HTTP_TOKEN,
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
	{ "snapshot-dir", OPT_SNAPSHOT_DIR, "DIR", 0,
	  "Write a snapshot of a process to DIR when a deadlock or leak appears in it, or a "
	  "leak site doubles; and on POST /snapshot and /alertmanager (with --prometheus)",
	  0 },
	{ "snapshot-every", OPT_SNAPSHOT_EVERY, "DUR", 0,
	  "At most one automatic snapshot of a process per DUR (default 10m)", 0 },
	{ "snapshot-keep", OPT_SNAPSHOT_KEEP, "N", 0,
	  "Keep the newest N snapshot files in DIR (default 20)", 0 },
	{ "snapshot-max-size", OPT_SNAPSHOT_MAX_SIZE, "SIZE", 0,
	  "Keep the snapshot files in DIR under SIZE in all, e.g. 64M (default 256M)", 0 },
	{ "http-token", OPT_HTTP_TOKEN, "FILE", 0,
	  "The bearer token the POST endpoints need, read from FILE; without it they answer "
	  "on loopback listeners only",
	  0 },
	{ "max-sites", OPT_MAX_SITES, "N", 0, "Goroutine site series per process in /metrics (20)",
	  0 },
	{ "no-histograms", OPT_NO_HISTOGRAMS, NULL, 0, "No block-duration histograms in /metrics",
	  0 },
	{ "max-threads", OPT_MAX_THREADS, "N", 0,
	  "Threads the BPF maps hold (default " BW_STR(BW_THREAD_ENTRIES_DEFAULT) ")", 0 },
	{ "go-ignore", OPT_GO_IGNORE, "FILE", 0,
	  "Go functions whose parked goroutines are normal, one fnmatch pattern a line", 0 },
	{ "ignore", OPT_IGNORE, "FILE", 0,
	  "Functions whose untimed thread waits are idle, one fnmatch pattern a line "
	  "(the format of --go-ignore); adds to the built-in runtime table",
	  0 },
	{ "fail-on", OPT_FAIL_ON, "stuck", 0,
	  "Exit 3 on stuck threads too, not only on deadlocks and leaks", 0 },
	{ "no-go", OPT_NO_GO, NULL, 0, "Threads only: do not read Go goroutines", 0 },
	{ "no-python", OPT_NO_PYTHON, NULL, 0,
	  "C frames only: do not read CPython frames in place of the eval loop's", 0 },
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

/* The options that take a number: each through core/parse, each checked for its range. */
static void parse_number(int key, const char *arg, struct argp_state *state, struct config *cfg)
{
	__u32 pid;
	__u64 v;

	switch (key) {
	case 'p':
		if (bw_parse_pid(arg, &pid))
			argp_error(state, "invalid PID: %s", arg);
		if (cfg->npids == BW_TGIDS_ENTRIES)
			argp_error(state, "at most %d -p", BW_TGIDS_ENTRIES);
		if (!cfg->npids)
			cfg->pid = pid;
		cfg->pids[cfg->npids++] = pid;
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
	case OPT_MAX_SITES:
		if (bw_parse_uint(arg, 1, 10000, &v))
			argp_error(state, "invalid --max-sites: %s (1 to 10000)", arg);
		cfg->max_sites = v;
		break;
	case OPT_SNAPSHOT_EVERY:
		if (bw_parse_duration(arg, MAX_DURATION_NS, &cfg->snapshot_every_ns))
			argp_error(state, "invalid --snapshot-every: %s (e.g. 30s, 10m)", arg);
		break;
	case OPT_SNAPSHOT_KEEP:
		if (bw_parse_uint(arg, 1, 100000, &v))
			argp_error(state, "invalid --snapshot-keep: %s (1 to 100000)", arg);
		cfg->snapshot_keep = v;
		break;
	case OPT_SNAPSHOT_MAX_SIZE:
		if (bw_parse_size(arg, 4096, 1ULL << 50, &cfg->snapshot_max_bytes))
			argp_error(state,
				   "invalid --snapshot-max-size: %s (e.g. 64M, 1G; 4k at least)",
				   arg);
		break;
	}
}

/* The options that go together, once all are read. */
static void check_config(struct argp_state *state, const struct config *cfg)
{
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
	if (cfg->snapshot_dir && cfg->snapshot)
		argp_error(state, "--snapshot-dir goes with a watch, not the snapshot command");
	if (!cfg->snapshot_dir && cfg->snapshot_opts)
		argp_error(state, "--snapshot-every, --snapshot-keep and --snapshot-max-size go "
				  "with --snapshot-dir");
	if (cfg->http_token && !cfg->prometheus)
		argp_error(state, "--http-token goes with --prometheus");
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	struct config *cfg = state->input;

	switch (key) {
	case 'p':
	case 't':
	case 'i':
	case 'd':
	case OPT_GO_INTERVAL:
	case OPT_MAX_THREADS:
	case OPT_MAX_SITES:
		parse_number(key, arg, state, cfg);
		break;
	case OPT_SNAPSHOT_EVERY:
	case OPT_SNAPSHOT_KEEP:
	case OPT_SNAPSHOT_MAX_SIZE:
		parse_number(key, arg, state, cfg);
		cfg->snapshot_opts = true;
		break;
	case OPT_SNAPSHOT_DIR:
		if (!*arg)
			argp_error(state, "invalid --snapshot-dir: empty");
		cfg->snapshot_dir = arg;
		break;
	case OPT_HTTP_TOKEN:
		cfg->http_token = arg;
		break;
	case 'a':
		cfg->all = true;
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
	case OPT_NO_PYTHON:
		cfg->no_python = true;
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
		check_config(state, cfg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int bw_options_parse(int argc, char **argv, bool snapshot, struct config *cfg)
{
	static const struct argp argp = { .options = options,
					  .parser = parse_arg,
					  .doc = argp_program_doc };

	*cfg = (struct config){ .threshold_ns = DEFAULT_THRESHOLD_NS,
				.interval_ns = DEFAULT_INTERVAL_NS,
				.snapshot = snapshot,
				.snapshot_every_ns = DEFAULT_SNAPSHOT_EVERY_NS,
				.snapshot_keep = DEFAULT_SNAPSHOT_KEEP,
				.snapshot_max_bytes = DEFAULT_SNAPSHOT_MAX_BYTES,
				.duration_ns = snapshot ? DEFAULT_SNAPSHOT_DURATION_NS : 0 };
	return argp_parse(&argp, argc, argv, 0, NULL, cfg);
}
