/* SPDX-License-Identifier: GPL-2.0 */
/* The options of the watch and snapshot commands, and the exit codes of every command. */
#ifndef BW_CLI_OPTIONS_H
#define BW_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "blockwatch.h"

enum exit_code {
	EXIT_CLEAN = 0, /* ran, found no leak or deadlock */
	EXIT_USAGE = 1,
	EXIT_NO_TRACE = 2, /* could not trace */
	EXIT_FOUND = 3,	   /* found a leak or a deadlock */
};

#define NSEC_PER_SEC 1000000000ULL
#define MAX_DURATION_NS (365ULL * 24 * 3600 * NSEC_PER_SEC)
#define DEFAULT_THRESHOLD_NS (10 * NSEC_PER_SEC)
#define DEFAULT_INTERVAL_NS NSEC_PER_SEC
#define DEFAULT_SNAPSHOT_EVERY_NS (600 * NSEC_PER_SEC)
#define DEFAULT_SNAPSHOT_KEEP 20
#define DEFAULT_SNAPSHOT_MAX_BYTES (256ULL << 20)
/* A snapshot ages what it sees over a couple of scans. */
#define DEFAULT_SNAPSHOT_DURATION_NS (2 * NSEC_PER_SEC)

struct config {
	__u32 pid; /* the first -p */
	__u32 pids[BW_TGIDS_ENTRIES];
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
	bool no_python;
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
	bool snapshot;		  /* the snapshot command: no report on stdout */
	const char *snapshot_dir; /* automatic and on-demand snapshots go there */
	__u64 snapshot_every_ns;  /* at most one snapshot of a process this often */
	__u32 snapshot_keep;	  /* newest files kept in snapshot_dir */
	__u64 snapshot_max_bytes; /* their total size bound */
	bool snapshot_opts;	  /* one of --snapshot-every/-keep/-max-size was given */
	const char *http_token;	  /* file holding the bearer token of the POST endpoints */
};

/*
 * Parses the command line of watch (snapshot: of the snapshot command) into
 * cfg, over its defaults. 0, or argp's error; a usage error is printed and
 * exits with argp_err_exit_status (main sets EXIT_USAGE).
 */
int bw_options_parse(int argc, char **argv, bool snapshot, struct config *cfg);

#endif
