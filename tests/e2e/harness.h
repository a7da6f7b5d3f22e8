/* SPDX-License-Identifier: GPL-2.0 */
/*
 * End-to-end harness: start a target program from tests/targets, read what
 * it announces (see tests/targets/announce.h), run blockwatch against it and
 * parse the --json output.
 *
 * Environment: BW_BIN is the blockwatch binary (default ./blockwatch),
 * BW_TARGETS the folder of built targets (default ./.output/targets).
 *
 * Every wait is bounded: a target gets E2E_READY_TIMEOUT_S to print "ready",
 * blockwatch gets the timeout the caller passes and is killed after it.
 * Children get PR_SET_PDEATHSIG so a crashed test leaves nothing behind.
 */
#ifndef E2E_HARNESS_H
#define E2E_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <json-c/json.h>

#define E2E_MAX_THREADS 32
#define E2E_READY_TIMEOUT_S 10.0
#define E2E_RUN_TIMEOUT_S 60.0

/* One "tid T role R expect V wait W" line, plus the thread's comm at ready. */
struct e2e_thread {
	int tid;
	char role[32];
	char expect[16]; /* deadlock, leak, blocked, idle or none */
	char wait[24];	 /* wait class, "none" with expect none */
	char comm[32];	 /* /proc/PID/task/TID/comm */
};

#define E2E_MAX_GOROUTINES 64

/* One "goid N role R expect V wait W func F created C" line of a Go target. */
struct e2e_goroutine {
	long long goid;
	char role[48];
	char expect[16];
	char wait[48];	   /* the runtime's wait reason, "-" when it depends on timing */
	char func[160];	   /* a function on its stack where it blocks */
	char created[160]; /* its creator, "-" for main */
};

struct e2e_target {
	pid_t pid;  /* 0 when not running */
	int out_fd; /* read end of its stdout, kept open while it lives */
	char name[64];
	char comm[32];	  /* /proc/PID/comm */
	double started_s; /* CLOCK_MONOTONIC when spawned */
	size_t nthreads;
	struct e2e_thread threads[E2E_MAX_THREADS];
	size_t ngoroutines;
	struct e2e_goroutine goroutines[E2E_MAX_GOROUTINES];
	char ready[1024]; /* what the "ready" line says after "ready ", if anything */
	long long leaked; /* "leaked N" of a target that counts its leaks, -1 when none */
	char err[256];	  /* why e2e_target_start failed */
};

/* A finished blockwatch run. */
struct e2e_run {
	int exit_code;	/* exit status; 128 + signal if killed by one */
	bool timed_out; /* killed by the harness */
	double elapsed_s;
	char *out;	    /* stdout, NUL-terminated */
	char *err;	    /* stderr, NUL-terminated */
	size_t nlines;	    /* stdout lines */
	json_object **objs; /* one per line: parsed object, NULL if not a JSON object */
	char bad_line[160]; /* the first line that is not a JSON object, if any */
	size_t nbad;
	char errmsg[256]; /* why e2e_run_cmd failed */
};

const char *e2e_bw_bin(void);
const char *e2e_targets_dir(void);
double e2e_now_s(void);

/*
 * Start target NAME and read its announcements until "ready". Returns 0, or a
 * negative errno with t->err set (and nothing left running).
 */
int e2e_target_start(struct e2e_target *t, const char *name);
/* Same, for the program at PATH (a Go target, say); NAME is for messages. */
int e2e_target_start_path(struct e2e_target *t, const char *path, const char *name);
/*
 * Same, for ARGV run as given (argv[0] a path): a wrapper that ends by
 * exec'ing a target, such as unshare(1), keeps its pid.
 */
int e2e_target_start_argv(struct e2e_target *t, const char *const *argv, const char *name);
/* Kill and reap the target; safe to call twice and on a never-started one. */
void e2e_target_stop(struct e2e_target *t);
/* The announced thread with that role, or NULL. */
const struct e2e_thread *e2e_target_role(const struct e2e_target *t, const char *role);
const struct e2e_thread *e2e_target_tid(const struct e2e_target *t, int tid);

/*
 * Run blockwatch with ARGV (argv[0] excluded, NULL-terminated), capture its
 * stdout and stderr, kill it after TIMEOUT_S. Returns 0 once it ran (whatever
 * its status), or a negative errno with r->errmsg set.
 */
int e2e_run_bw(struct e2e_run *r, const char *const *argv, double timeout_s);
/* Same, for any program: argv[0] is the path. */
int e2e_run_cmd(struct e2e_run *r, const char *const *argv, double timeout_s);
void e2e_run_free(struct e2e_run *r);

/* Number of "type":"thread" records with that tid; *rec gets the first one. */
int e2e_run_thread_recs(const struct e2e_run *r, int tid, json_object **rec);
/* Number of stderr lines (a last line without '\n' counts). */
size_t e2e_count_lines(const char *s);

/* Field helpers: false if the field is missing or of another type. */
bool e2e_get_int(json_object *obj, const char *key, long long *val);
bool e2e_get_double(json_object *obj, const char *key, double *val);
const char *e2e_get_string(json_object *obj, const char *key);
bool e2e_int_array_has(json_object *obj, const char *key, long long val);

#endif /* E2E_HARNESS_H */
