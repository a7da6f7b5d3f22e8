// SPDX-License-Identifier: GPL-2.0
/*
 * Goroutine leaks end to end, on every Go toolchain found: each target of
 * tests/go/targets, built normal, stripped and PIE, is started, announces
 * its goroutines (goid, expected verdict, wait reason, where it blocks, who
 * created it) and, once they are parked, blockwatch attaches. Every leaked
 * goroutine must be reported with its wait reason and creation site; no
 * healthy one may be called a leak.
 *
 * Environment: BW_GO_TARGETS (default .output/go-targets) holds go1.X/<name>.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "harness.h"

#define MAX_VERSIONS 16

static struct e2e_target tgt = { .out_fd = -1 };
static struct e2e_run run;

static void teardown(void)
{
	e2e_target_stop(&tgt);
	e2e_run_free(&run);
}

TestSuite(goleaks, .fini = teardown, .timeout = 900);

static const char *go_targets_dir(void)
{
	const char *d = getenv("BW_GO_TARGETS");

	return d && *d ? d : ".output/go-targets";
}

/*
 * How long a run watches: an age from watching must pass the 1 s threshold
 * between the first Go scan and the last. BW_GO_DURATION lengthens it where
 * scans are slow (the kernel matrix runs under software emulation).
 */
static const char *go_duration(void)
{
	const char *d = getenv("BW_GO_DURATION");

	return d && *d ? d : "2s";
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The go1.X folders, sorted. */
static size_t versions(char *out[MAX_VERSIONS])
{
	DIR *d = opendir(go_targets_dir());
	struct dirent *e;
	size_t n = 0;

	cr_assert_not_null(d, "no Go targets in %s: run make go-targets", go_targets_dir());
	while ((e = readdir(d)) && n < MAX_VERSIONS)
		if (!strncmp(e->d_name, "go1.", 4))
			out[n++] = strdup(e->d_name);
	closedir(d);
	qsort(out, n, sizeof(out[0]), cmp_str);
	cr_assert_gt(n, 0, "no go1.X folder in %s", go_targets_dir());
	return n;
}

static json_object *goroutine_rec(long long goid, size_t *count)
{
	json_object *found = NULL;
	long long id;
	size_t i;

	*count = 0;
	for (i = 0; i < run.nlines; i++) {
		json_object *o = run.objs[i];
		const char *type = o ? e2e_get_string(o, "type") : NULL;

		if (type && !strcmp(type, "goroutine") && e2e_get_int(o, "goid", &id) &&
		    id == goid) {
			(*count)++;
			found = o;
		}
	}
	return found;
}

static bool stack_has(json_object *rec, const char *func)
{
	json_object *stack;
	size_t i;

	if (!json_object_object_get_ex(rec, "stack", &stack))
		return false;
	for (i = 0; i < json_object_array_length(stack); i++) {
		const char *f = e2e_get_string(json_object_array_get_idx(stack, i), "func");

		if (f && !strcmp(f, func))
			return true;
	}
	return false;
}

static const char *created_by(json_object *rec)
{
	json_object *c;

	return json_object_object_get_ex(rec, "created_by", &c) ? e2e_get_string(c, "func") : NULL;
}

static bool is_bad(const char *verdict)
{
	return verdict && (!strcmp(verdict, "leak") || !strcmp(verdict, "deadlock"));
}

static const struct e2e_goroutine *announced(long long goid)
{
	size_t i;

	for (i = 0; i < tgt.ngoroutines; i++)
		if (tgt.goroutines[i].goid == goid)
			return &tgt.goroutines[i];
	return NULL;
}

static bool leaky_creator(const char *creator)
{
	size_t i;

	for (i = 0; creator && i < tgt.ngoroutines; i++)
		if (is_bad(tgt.goroutines[i].expect) && !strcmp(tgt.goroutines[i].created, creator))
			return true;
	return false;
}

/* How the liveness search read heap objects ("conservative", ...), from the go_process record. */
static const char *heap_scan(void)
{
	json_object *scan;
	size_t i;

	for (i = 0; i < run.nlines; i++) {
		json_object *o = run.objs[i];
		const char *type = o ? e2e_get_string(o, "type") : NULL;

		if (type && !strcmp(type, "go_process") &&
		    json_object_object_get_ex(o, "scan", &scan))
			return e2e_get_string(scan, "heap");
	}
	return NULL;
}

/* Whether an announced goroutine got the verdict deadlock in this run. */
static bool any_deadlock(void)
{
	size_t i, n;

	for (i = 0; i < tgt.ngoroutines; i++) {
		json_object *rec = goroutine_rec(tgt.goroutines[i].goid, &n);
		const char *verdict = rec ? e2e_get_string(rec, "verdict") : NULL;

		if (verdict && !strcmp(verdict, "deadlock"))
			return true;
	}
	return false;
}

/*
 * Checks one run of one build; returns whether a leak was expected (and
 * must make the exit status 3). Without object sizes heap objects are read
 * a fixed length, neighbours included: fewer leaks are proven, so there a
 * leaked goroutine may be reported as no leak, never the other way round.
 * Stripped builds get no such allowance. The count found is printed.
 */
static bool check_run(const char *what)
{
	const char *heap = heap_scan();
	bool unsized = heap && !strcmp(heap, "conservative-unsized");
	bool want_leak = false;
	size_t i, n, expected = 0, found = 0;
	long long goid;

	cr_assert_eq(run.nbad, 0, "%s: bad line: %s", what, run.bad_line);
	cr_expect_not_null(heap, "%s: no go_process record with its scan", what);
	for (i = 0; i < tgt.ngoroutines; i++) {
		const struct e2e_goroutine *g = &tgt.goroutines[i];
		json_object *rec = goroutine_rec(g->goid, &n);
		const char *verdict = rec ? e2e_get_string(rec, "verdict") : NULL;

		if (!strcmp(g->expect, "leak") || !strcmp(g->expect, "deadlock")) {
			expected++;
			found += is_bad(verdict);
			if (unsized && !is_bad(verdict))
				continue;
			want_leak = true;
			cr_expect_eq(n, 1, "%s: %s (goid %lld): %zu records", what, g->role,
				     g->goid, n);
			if (!rec)
				continue;
			cr_expect(is_bad(verdict), "%s: %s (goid %lld): verdict %s", what, g->role,
				  g->goid, verdict);
			if (is_bad(verdict))
				cr_expect(e2e_get_string(rec, "why") && *e2e_get_string(rec, "why"),
					  "%s: %s: no evidence for %s", what, g->role, verdict);
			if (strcmp(g->wait, "-"))
				cr_expect_str_eq(e2e_get_string(rec, "wait_reason"), g->wait,
						 "%s: %s wait reason", what, g->role);
			cr_expect(stack_has(rec, g->func), "%s: %s: %s not on the stack", what,
				  g->role, g->func);
			if (strcmp(g->created, "-"))
				cr_expect_str_eq(created_by(rec), g->created, "%s: %s creator",
						 what, g->role);
		} else if (!strcmp(g->expect, "blocked")) {
			cr_expect(rec && !strcmp(verdict, "blocked"), "%s: %s (goid %lld): %s",
				  what, g->role, g->goid, rec ? verdict : "no record");
		} else if (!strcmp(g->expect, "idle")) {
			cr_expect(!rec || !strcmp(verdict, "idle"), "%s: %s (goid %lld): %s", what,
				  g->role, g->goid, verdict);
		} else {
			cr_expect_eq(n, 0, "%s: %s (goid %lld): want no record, got %s", what,
				     g->role, g->goid, verdict);
		}
	}
	/* Nothing unannounced is a leak: runtime goroutines, net/http's... */
	for (i = 0; i < run.nlines; i++) {
		json_object *o = run.objs[i];
		const char *type = o ? e2e_get_string(o, "type") : NULL;
		const struct e2e_goroutine *g;

		if (!type || strcmp(type, "goroutine") || !e2e_get_int(o, "goid", &goid))
			continue;
		g = announced(goid);
		/* Leaks that grew after "ready" come from an announced leak's creator. */
		if (!g && !leaky_creator(created_by(o)))
			cr_expect(!is_bad(e2e_get_string(o, "verdict")),
				  "%s: unannounced goroutine %lld flagged %s (blocked at %s)", what,
				  goid, e2e_get_string(o, "verdict"),
				  json_object_to_json_string(o));
	}
	/*
	 * Where cycles are found at all, every announced member found is in one:
	 * a deadlock, never a leak (builds that prove fewer may miss some).
	 */
	for (i = 0; any_deadlock() && i < tgt.ngoroutines; i++) {
		const struct e2e_goroutine *g = &tgt.goroutines[i];
		json_object *rec = goroutine_rec(g->goid, &n);
		const char *verdict = rec ? e2e_get_string(rec, "verdict") : NULL;

		if (strcmp(g->expect, "deadlock") || (unsized && !is_bad(verdict)))
			continue;
		cr_expect_str_eq(verdict ? verdict : "none", "deadlock",
				 "%s: %s (goid %lld): not in the deadlock", what, g->role, g->goid);
	}
	if (expected)
		fprintf(stderr, "goleaks: %s: %zu of %zu leaked goroutines found (heap %s)\n", what,
			found, expected, heap ? heap : "?");
	return want_leak;
}

static void run_target(const char *name)
{
	char *vers[MAX_VERSIONS], path[512], what[128], pid[16];
	const char *variants[] = { "", "-stripped", "-pie" };
	const char *argv[] = { "-p",	     pid,	    "--threshold", "1s",
			       "--duration", go_duration(), "--json",	   NULL };
	size_t nv = versions(vers), i, j, runs = 0;
	bool want_leak;

	for (i = 0; i < nv; i++) {
		for (j = 0; j < sizeof(variants) / sizeof(variants[0]); j++) {
			snprintf(path, sizeof(path), "%s/%s/%s%s", go_targets_dir(), vers[i], name,
				 variants[j]);
			snprintf(what, sizeof(what), "%s %s%s", vers[i], name, variants[j]);
			if (access(path, X_OK))
				continue;
			cr_assert_eq(e2e_target_start_path(&tgt, path, what), 0, "%s", tgt.err);
			snprintf(pid, sizeof(pid), "%d", tgt.pid);
			cr_assert_eq(e2e_run_bw(&run, argv, E2E_RUN_TIMEOUT_S), 0, "%s",
				     run.errmsg);
			want_leak = check_run(what);
			cr_expect_eq(run.exit_code, want_leak ? 3 : 0, "%s: exit %d: %s", what,
				     run.exit_code, run.err);
			e2e_run_free(&run);
			e2e_target_stop(&tgt);
			runs++;
		}
		free(vers[i]);
	}
	cr_assert_gt(runs, 0, "no build of %s found", name);
}

Test(goleaks, chanleak)
{
	run_target("chanleak");
}

Test(goleaks, syncleak)
{
	run_target("syncleak");
}

Test(goleaks, deadlock)
{
	run_target("deadlock");
}

Test(goleaks, growleak)
{
	run_target("growleak");
}

/* Leak records of the last run whose stack has func; *bad counts goroutines with it not leak. */
static size_t count_leaks_at(const char *func, size_t *bad)
{
	size_t i, n = 0;

	*bad = 0;
	for (i = 0; i < run.nlines; i++) {
		json_object *o = run.objs[i];
		const char *type = o ? e2e_get_string(o, "type") : NULL;
		const char *verdict = o ? e2e_get_string(o, "verdict") : NULL;

		if (!type || strcmp(type, "goroutine") || !stack_has(o, func))
			continue;
		if (verdict && !strcmp(verdict, "leak"))
			n++;
		else
			(*bad)++;
	}
	return n;
}

/*
 * A proof needs no age: attached after the leaks exist, with the default
 * threshold (10 s) and a watch of one second, every goroutine growleak says
 * it leaked (all of them younger than the threshold, its pile no longer
 * growing) is reported as leak, each with its evidence; so is each in a
 * snapshot, which is one scan with no watch before it.
 */
Test(goleaks, every_leaked_goroutine_is_counted)
{
	char *vers[MAX_VERSIONS], path[512], what[128], pid[16], snap[] = "/tmp/bw-count-XXXXXX";
	const char *variants[] = { "", "-stripped", "-pie" };
	const char *watch[] = { "-p", pid, "--duration", "1s", "--json", NULL };
	const char *take[] = { "snapshot", "-p", pid, "-o", snap, NULL };
	const char *show[] = { "report", "--json", snap, NULL };
	size_t nv = versions(vers), i, j, runs = 0, n, bad;
	int fd = mkstemp(snap);

	cr_assert_geq(fd, 0);
	close(fd);
	for (i = 0; i < nv; i++) {
		for (j = 0; j < sizeof(variants) / sizeof(variants[0]); j++) {
			const char *argv[] = { path, "-every",	  "10ms", "-max",
					       "40", "-announce", "40",	  NULL };

			snprintf(path, sizeof(path), "%s/%s/growleak%s", go_targets_dir(), vers[i],
				 variants[j]);
			snprintf(what, sizeof(what), "%s growleak%s", vers[i], variants[j]);
			if (access(path, X_OK))
				continue;
			cr_assert_eq(e2e_target_start_argv(&tgt, argv, what), 0, "%s", tgt.err);
			cr_assert_eq(tgt.leaked, 40, "%s: says it leaked %lld", what, tgt.leaked);
			snprintf(pid, sizeof(pid), "%d", tgt.pid);
			cr_assert_eq(e2e_run_bw(&run, watch, E2E_RUN_TIMEOUT_S), 0, "%s",
				     run.errmsg);
			cr_assert_eq(run.nbad, 0, "%s: bad line: %s", what, run.bad_line);
			n = count_leaks_at("main.sendReport", &bad);
			fprintf(stderr, "goleaks: %s: watched 1 s: %zu of %lld leaked reported\n",
				what, n, tgt.leaked);
			cr_expect_eq(n, (size_t)tgt.leaked, "%s: %zu of %lld leaks reported", what,
				     n, tgt.leaked);
			cr_expect_eq(bad, 0, "%s: %zu leaked goroutines not called leak", what,
				     bad);
			cr_expect_eq(run.exit_code, 3, "%s: exit %d: %s", what, run.exit_code,
				     run.err);
			check_run(what);
			e2e_run_free(&run);

			cr_assert_eq(e2e_run_bw(&run, take, E2E_RUN_TIMEOUT_S), 0, "%s",
				     run.errmsg);
			cr_expect_eq(run.exit_code, 3, "%s: snapshot exit %d: %s", what,
				     run.exit_code, run.err);
			e2e_run_free(&run);
			cr_assert_eq(e2e_run_bw(&run, show, E2E_RUN_TIMEOUT_S), 0, "%s",
				     run.errmsg);
			n = count_leaks_at("main.sendReport", &bad);
			fprintf(stderr, "goleaks: %s: one snapshot: %zu of %lld leaked reported\n",
				what, n, tgt.leaked);
			cr_expect_eq(n, (size_t)tgt.leaked, "%s: snapshot: %zu of %lld leaks", what,
				     n, tgt.leaked);
			cr_expect_eq(bad, 0, "%s: snapshot: %zu not leak", what, bad);
			e2e_run_free(&run);
			e2e_target_stop(&tgt);
			runs++;
		}
		free(vers[i]);
	}
	unlink(snap);
	cr_assert_gt(runs, 0, "no build of growleak found");
}

Test(goleaks, healthy)
{
	run_target("healthy");
}

/* AB-BA on package-level mutexes: reachable, ownerless, so blocked, never a leak. */
Test(goleaks, global_locks)
{
	run_target("globallock");
}

/* Workers, subscribers, periodic loops, signal waiters, supervisors: alive through others. */
Test(goleaks, idioms)
{
	run_target("idioms");
}

/* Waiters whose channels only a finalizer's closure or a cleanup holds, next to a leak. */
Test(goleaks, finroots)
{
	run_target("finroots");
}

/* Leaks inside a package under google.golang.org/grpc, a healthy loop of it beside them. */
Test(goleaks, grpcleak)
{
	run_target("grpcleak");
}

/* Leaked receivers whose channel sits in a dead stack slot of a live goroutine. */
Test(goleaks, deadslot)
{
	run_target("deadslot");
}

/* pprof: go tool pprof reads the profile and names the leaking functions. */
Test(goleaks, pprof_names_the_leak)
{
	char *vers[MAX_VERSIONS], path[512], pid[16], prof[] = "/tmp/bw-pprof-XXXXXX";
	const char *argv[] = { "-p", pid,	"--threshold", "1s", "--duration",
			       "2s", "--pprof", prof,	       NULL };
	const char *pargv[] = { "/usr/bin/env", "HOME=/tmp", "GOCACHE=/tmp/bw-gocache",
				"go",		"tool",	     "pprof",
				"-top",		"-cum",	     "-tagfocus=verdict=leak",
				prof,		NULL };
	size_t nv = versions(vers), i;
	int fd = mkstemp(prof);

	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/%s/chanleak", go_targets_dir(), vers[nv - 1]);
	cr_assert_eq(e2e_target_start_path(&tgt, path, "chanleak"), 0, "%s", tgt.err);
	snprintf(pid, sizeof(pid), "%d", tgt.pid);
	cr_assert_eq(e2e_run_bw(&run, argv, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_assert_eq(run.exit_code, 3, "exit %d: %s", run.exit_code, run.err);
	e2e_run_free(&run);
	cr_assert_eq(e2e_run_cmd(&run, pargv, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	unlink(prof);
	cr_assert_eq(run.exit_code, 0, "go tool pprof: %s", run.err);
	cr_expect_not_null(strstr(run.out, "main.sendResult"), "%s", run.out);
	cr_expect_not_null(strstr(run.out, "main.poolWorker"), "%s", run.out);
	for (i = 0; i < nv; i++)
		free(vers[i]);
}

/*
 * The headline counts goroutines: the report's second line, the same counts
 * as the JSON summary and as the goroutine records; goroutine 1 is "main".
 */
Test(goleaks, headline_counts_goroutines)
{
	char *vers[MAX_VERSIONS], path[512], pid[16], line[256];
	const char *text[] = { "-p", pid, "--threshold", "1s", "--duration", go_duration(), NULL };
	const char *json[] = { "-p",	     pid,	    "--threshold", "1s",
			       "--duration", go_duration(), "--json",	   NULL };
	size_t nv = versions(vers), i, parked = 0, dl = 0, lk = 0, st = 0, bl = 0, id = 0;
	long long want[5] = { 0 }, v, got_parked = -1;
	json_object *sum = NULL, *g;
	bool main_seen = false;
	char *nl;

	/* The newest toolchain that built it. */
	for (i = nv; i > 0; i--) {
		snprintf(path, sizeof(path), "%s/%s/deadlock", go_targets_dir(), vers[i - 1]);
		if (!access(path, X_OK))
			break;
	}
	cr_assert_gt(i, 0, "no build of deadlock in %s", go_targets_dir());
	cr_assert_eq(e2e_target_start_path(&tgt, path, "deadlock"), 0, "%s", tgt.err);
	snprintf(pid, sizeof(pid), "%d", tgt.pid);

	cr_assert_eq(e2e_run_bw(&run, text, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_assert_eq(run.exit_code, 3, "exit %d: %s", run.exit_code, run.err);
	nl = strchr(run.out, '\n');
	cr_assert_not_null(nl, "%s", run.out);
	snprintf(line, sizeof(line), "%.*s", (int)(strcspn(nl + 1, "\n")), nl + 1);
	cr_assert_eq(sscanf(line,
			    "%zu goroutines parked: %zu deadlocked, %zu leaked, %zu stuck, "
			    "%zu blocked, %zu idle",
			    &parked, &dl, &lk, &st, &bl, &id),
		     6, "second line: %s", line);
	cr_expect_geq(dl, 2, "%s", line);
	cr_expect_geq(parked, dl + lk + st + bl + id, "%s", line);
	cr_expect_null(strstr(run.out, "runtime.newproc"), "%s", run.out);
	e2e_run_free(&run);

	cr_assert_eq(e2e_run_bw(&run, json, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	for (i = 0; i < run.nlines; i++) {
		json_object *o = run.objs[i], *m;
		const char *type = o ? e2e_get_string(o, "type") : NULL;
		const char *verdict = o ? e2e_get_string(o, "verdict") : NULL;
		static const char *const names[] = { "deadlock", "leak", "stuck", "blocked",
						     "idle" };
		size_t k;

		if (type && !strcmp(type, "summary"))
			sum = o;
		if (!type || strcmp(type, "goroutine") || !verdict)
			continue;
		for (k = 0; k < 5; k++)
			want[k] += !strcmp(verdict, names[k]);
		if (e2e_get_int(o, "goid", &v) && v == 1) {
			main_seen = json_object_object_get_ex(o, "main", &m) &&
				    json_object_get_boolean(m);
		} else {
			cr_expect(!json_object_object_get_ex(o, "main", &m), "%s",
				  json_object_to_json_string(o));
		}
	}
	cr_expect(main_seen, "goroutine 1 without \"main\":true");
	cr_assert_not_null(sum, "no summary: %s", run.out);
	cr_assert(json_object_object_get_ex(sum, "goroutines", &g), "%s",
		  json_object_to_json_string(sum));
	cr_expect(e2e_get_int(g, "parked", &got_parked) && got_parked >= want[0]);
	cr_expect(e2e_get_int(g, "deadlock", &v) && v == want[0], "deadlock %lld, %lld records", v,
		  want[0]);
	cr_expect(e2e_get_int(g, "leak", &v) && v == want[1]);
	cr_expect(e2e_get_int(g, "stuck", &v) && v == want[2]);
	cr_expect(e2e_get_int(g, "blocked", &v) && v == want[3]);
	cr_expect(e2e_get_int(g, "idle", &v) && v == want[4]);
	cr_expect(e2e_get_int(sum, "go_processes", &v) && v == 1);
	for (i = 0; i < nv; i++)
		free(vers[i]);
}

static size_t count_age_from(const char *source)
{
	size_t i, n = 0;

	for (i = 0; i < run.nlines; i++) {
		json_object *o = run.objs[i];
		const char *type = o ? e2e_get_string(o, "type") : NULL;
		const char *from = o ? e2e_get_string(o, "age_from") : NULL;

		n += type && !strcmp(type, "goroutine") && from && !strcmp(from, source);
	}
	return n;
}

/* --go-probes: goroutines that park after attach get their exact park time. */
Test(goleaks, probes_time_new_parks)
{
	char *vers[MAX_VERSIONS], path[512], pid[16];
	const char *probed[] = { "-p",	       pid,  "--go-probes", "--threshold", "200ms",
				 "--duration", "2s", "--json",	    NULL };
	const char *plain[] = { "-p",	      pid,  "--threshold", "200ms",
				"--duration", "2s", "--json",	   NULL };
	size_t nv = versions(vers), i;

	for (i = 0; i < nv; i++) {
		snprintf(path, sizeof(path), "%s/%s/growleak", go_targets_dir(), vers[i]);
		cr_assert_eq(e2e_target_start_path(&tgt, path, vers[i]), 0, "%s", tgt.err);
		snprintf(pid, sizeof(pid), "%d", tgt.pid);
		cr_assert_eq(e2e_run_bw(&run, probed, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
		cr_expect_eq(run.exit_code, 3, "%s: exit %d: %s", vers[i], run.exit_code, run.err);
		cr_expect_gt(count_age_from("probe"), 0, "%s: no park seen by the probes: %s",
			     vers[i], run.err);
		e2e_run_free(&run);
		cr_assert_eq(e2e_run_bw(&run, plain, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
		cr_expect_eq(count_age_from("probe"), 0, "%s: probe ages without probes", vers[i]);
		e2e_run_free(&run);
		e2e_target_stop(&tgt);
		free(vers[i]);
	}
}

/* -a finds the goroutines of a Go program started after blockwatch. */
Test(goleaks, fleet_finds_a_later_go_process)
{
	char *vers[MAX_VERSIONS], cmd[1024], dir[] = "/tmp/bw-later-XXXXXX", out[64], pidf[64];
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	size_t nv = versions(vers), i, leaks = 0;
	FILE *f;
	int gopid = 0;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(pidf, sizeof(pidf), "%s/pid", dir);
	/* The shell starts the target in the background, then becomes blockwatch. */
	snprintf(cmd, sizeof(cmd),
		 "%s/%s/chanleak > %s & echo $! > %s; exec %s -a --comm '^chanleak$' "
		 "--threshold 1s --duration 6s --json",
		 go_targets_dir(), vers[nv - 1], out, pidf, e2e_bw_bin());
	cr_assert_eq(e2e_run_cmd(&run, argv, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	f = fopen(pidf, "r");
	if (f) {
		if (fscanf(f, "%d", &gopid) != 1)
			gopid = 0;
		fclose(f);
	}
	if (gopid > 0)
		kill(gopid, SIGKILL);
	cr_assert_eq(run.exit_code, 3, "exit %d: %s", run.exit_code, run.err);
	for (i = 0; i < run.nlines; i++) {
		json_object *o = run.objs[i];
		const char *type = o ? e2e_get_string(o, "type") : NULL;
		long long p;

		if (type && !strcmp(type, "goroutine") && e2e_get_int(o, "pid", &p) && p == gopid &&
		    is_bad(e2e_get_string(o, "verdict")))
			leaks++;
	}
	cr_expect_geq(leaks, 8, "want the chanleak leaks of pid %d, got %zu", gopid, leaks);
	unlink(out);
	unlink(pidf);
	rmdir(dir);
	for (i = 0; i < nv; i++)
		free(vers[i]);
}

/*
 * A snapshot keeps the goroutines under its threshold, with the verdict
 * they get at any age: a report with a lower threshold finds what a run
 * with a threshold of an hour saw but did not report (globallock's pair,
 * blocked). Leaks need no age: the same run reports chanleak's at once.
 */
Test(goleaks, snapshot_keeps_the_young)
{
	char *vers[MAX_VERSIONS], path[512], pid[16], snap[] = "/tmp/bw-young-XXXXXX";
	const char *argv[] = { "snapshot", "-p", pid, "--threshold", "1h", "-o", snap, NULL };
	const char *plain[] = { "report", snap, NULL };
	const char *lower[] = { "report", "--threshold", "1ms", snap, NULL };
	const char *blocked[] = { "report",    "--json",  "-t", "1ms",
				  "--verdict", "blocked", snap, NULL };
	size_t nv = versions(vers), i, n = 0;
	int fd = mkstemp(snap);

	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/%s/globallock", go_targets_dir(), vers[nv - 1]);
	cr_assert_eq(e2e_target_start_path(&tgt, path, "globallock"), 0, "%s", tgt.err);
	snprintf(pid, sizeof(pid), "%d", tgt.pid);
	cr_assert_eq(e2e_run_bw(&run, argv, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_assert_eq(run.exit_code, 0, "nothing is an hour old: %s", run.err);
	e2e_run_free(&run);
	cr_assert_eq(e2e_run_bw(&run, plain, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_assert_eq(run.exit_code, 0, "%s", run.out);
	cr_assert_null(strstr(run.out, "main.globalFirst"), "%s", run.out);
	e2e_run_free(&run);
	cr_assert_eq(e2e_run_bw(&run, lower, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_assert_eq(run.exit_code, 0, "blocked is no finding: %s", run.out);
	cr_assert_not_null(strstr(run.out, "\nblocked "), "%s", run.out);
	cr_assert_not_null(strstr(run.out, "main.globalFirst"), "%s", run.out);
	e2e_run_free(&run);
	cr_assert_eq(e2e_run_bw(&run, blocked, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_assert_eq(run.nbad, 0, "bad line: %s", run.bad_line);
	for (i = 0; i < run.nlines; i++) {
		json_object *o = run.objs[i];
		const char *type = o ? e2e_get_string(o, "type") : NULL;

		if (!type || strcmp(type, "goroutine"))
			continue;
		cr_assert_str_eq(e2e_get_string(o, "verdict"), "blocked", "%s", run.out);
		n++;
	}
	cr_assert_geq(n, 2, "%s", run.out);
	e2e_run_free(&run);
	e2e_target_stop(&tgt);

	snprintf(path, sizeof(path), "%s/%s/chanleak", go_targets_dir(), vers[nv - 1]);
	cr_assert_eq(e2e_target_start_path(&tgt, path, "chanleak"), 0, "%s", tgt.err);
	snprintf(pid, sizeof(pid), "%d", tgt.pid);
	cr_assert_eq(e2e_run_bw(&run, argv, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_assert_eq(run.exit_code, 3, "a leak needs no age: %s", run.err);
	e2e_run_free(&run);
	cr_assert_eq(e2e_run_bw(&run, plain, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_assert_eq(run.exit_code, 3, "%s", run.out);
	cr_assert_not_null(strstr(run.out, "\nleak "), "%s", run.out);
	cr_assert_not_null(strstr(run.out, "main.sendResult"), "%s", run.out);
	unlink(snap);
	for (i = 0; i < nv; i++)
		free(vers[i]);
}

#define MAX_SHAPES 16
#define MAX_PROFILED 4096

/* One item of a "ready NAME=EXPECT,FUNC,COUNT ..." line. */
struct shape {
	char name[48], expect[16], func[160];
	size_t count, flagged, deadlocked;
	json_object *missed; /* a goroutine of a bug shape not flagged, for the message */
};

/* The shape whose function is on rec's stack, or NULL. */
static struct shape *shape_of(json_object *rec, struct shape *shapes, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (stack_has(rec, shapes[k].func))
			return &shapes[k];
	return NULL;
}

/* The go_process record, for messages. */
static const char *go_process(void)
{
	size_t i;

	for (i = 0; i < run.nlines; i++) {
		const char *type = run.objs[i] ? e2e_get_string(run.objs[i], "type") : NULL;

		if (type && !strcmp(type, "go_process"))
			return json_object_to_json_string(run.objs[i]);
	}
	return "no go_process record";
}

static size_t parse_shapes(const char *ready, struct shape *out, size_t max)
{
	char buf[sizeof(tgt.ready)], *save = NULL, *tok;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", ready);
	for (tok = strtok_r(buf, " ", &save); tok && n < max; tok = strtok_r(NULL, " ", &save)) {
		struct shape *s = &out[n];

		memset(s, 0, sizeof(*s));
		cr_assert_eq(sscanf(tok, "%47[^=]=%15[^,],%159[^,],%zu", s->name, s->expect,
				    s->func, &s->count),
			     4, "bad shape \"%s\" in the ready line", tok);
		n++;
	}
	cr_assert_gt(n, 0, "no shape in the ready line \"%s\"", ready);
	return n;
}

/*
 * The goids a goroutineleak profile written with debug=2 marks leaked
 * ("goroutine N [chan send (leaked)]:"). Returns 1, or 0 where the program
 * had no such profile (*why then holds its one line).
 */
static int read_leak_profile(const char *path, long long *goids, size_t max, size_t *n, char *why,
			     size_t why_len)
{
	char line[1024];
	long long goid;
	FILE *f = fopen(path, "r");

	cr_assert_not_null(f, "failed to open %s", path);
	*n = 0;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		cr_assert_fail("empty profile %s", path);
	}
	if (!strncmp(line, "no goroutineleak profile", 24)) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(why, why_len, "%.200s", line);
		fclose(f);
		return 0;
	}
	do {
		if (sscanf(line, "goroutine %lld ", &goid) == 1 && strstr(line, " (leaked)]") &&
		    *n < max)
			goids[(*n)++] = goid;
	} while (fgets(line, sizeof(line), f));
	fclose(f);
	return 1;
}

/* Asks the target for its goroutineleak profile and waits (bounded) until it is written. */
static void take_leak_profile(const char *path)
{
	double deadline = e2e_now_s() + E2E_RUN_TIMEOUT_S;
	struct timespec nap = { 0, 20 * 1000 * 1000 };

	cr_assert_eq(kill(tgt.pid, SIGUSR1), 0, "failed to signal %s", tgt.name);
	while (access(path, R_OK)) {
		cr_assert_lt(e2e_now_s(), deadline, "%s: no profile in %s after %.0f s", tgt.name,
			     path, E2E_RUN_TIMEOUT_S);
		nanosleep(&nap, NULL);
	}
}

static bool goid_in(long long goid, const long long *goids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (goids[i] == goid)
			return true;
	return false;
}

/*
 * One build of bugshapes against the runtime's own profile: every bug
 * shape's goroutine is leak or deadlock, no healthy one is; every
 * goroutine the profile flags is flagged, and each flagged beyond it
 * carries its evidence. Prints the counts.
 */
static void compare_with_profile(const char *what, const char *prof)
{
	static long long profiled[MAX_PROFILED];
	struct shape shapes[MAX_SHAPES];
	size_t ns = parse_shapes(tgt.ready, shapes, MAX_SHAPES), np = 0, i, k;
	size_t flagged = 0, both = 0, extra = 0;
	char why[256] = "";
	int have;
	long long goid;

	cr_assert_eq(run.nbad, 0, "%s: bad line: %s", what, run.bad_line);
	cr_expect_eq(run.exit_code, 3, "%s: exit %d: %s", what, run.exit_code, run.err);
	take_leak_profile(prof);
	have = read_leak_profile(prof, profiled, MAX_PROFILED, &np, why, sizeof(why));
	for (i = 0; i < run.nlines; i++) {
		json_object *o = run.objs[i];
		const char *type = o ? e2e_get_string(o, "type") : NULL;
		const char *verdict = o ? e2e_get_string(o, "verdict") : NULL;
		const char *evidence;
		struct shape *s = NULL;

		if (!type || strcmp(type, "goroutine") || !e2e_get_int(o, "goid", &goid))
			continue;
		s = shape_of(o, shapes, ns);
		if (!is_bad(verdict)) {
			if (s && is_bad(s->expect) && !s->missed)
				s->missed = o;
			continue;
		}
		flagged++;
		cr_expect(s && is_bad(s->expect), "%s: goroutine %lld flagged %s (%s): %s", what,
			  goid, verdict, s ? s->name : "no shape", json_object_to_json_string(o));
		if (s) {
			s->flagged++;
			s->deadlocked += !strcmp(verdict, "deadlock");
		}
		evidence = e2e_get_string(o, "why");
		if (have && goid_in(goid, profiled, np)) {
			both++;
		} else {
			extra += have != 0;
			cr_expect(evidence && *evidence,
				  "%s: goroutine %lld flagged %s beyond the profile with no "
				  "evidence: "
				  "%s",
				  what, goid, verdict, json_object_to_json_string(o));
		}
	}
	for (k = 0; k < ns; k++) {
		const struct shape *s = &shapes[k];

		if (!is_bad(s->expect))
			continue;
		cr_expect_eq(s->flagged, s->count, "%s: %s: %zu of %zu goroutines flagged (%s); %s",
			     what, s->name, s->flagged, s->count,
			     s->missed ? json_object_to_json_string(s->missed) : "no record",
			     go_process());
		/*
		 * Lock cycles are searched among a bounded number of lock waiters
		 * (gowatch.c): members beyond it are proven leaks, their cycle unnamed.
		 */
		if (!strcmp(s->expect, "deadlock"))
			fprintf(stderr, "goleaks: %s: %s: %zu of %zu named in a deadlock\n", what,
				s->name, s->deadlocked, s->count);
	}
	if (!have) {
		fprintf(stderr,
			"goleaks: NOTICE: %s: %s; comparison with the runtime skipped, "
			"blockwatch %zu\n",
			what, why, flagged);
		return;
	}
	cr_expect_eq(both, np,
		     "%s: %zu goroutines the runtime's profile flags, %zu of them by "
		     "blockwatch",
		     what, np, both);
	fprintf(stderr, "goleaks: %s: profile %zu, blockwatch %zu, both %zu, extra %zu\n", what, np,
		flagged, both, extra);
}

/*
 * Blocking-bug shapes of open-source Go projects, a hundred of each in one
 * process, healthy workers beside them, against the runtime's own
 * goroutineleak profile where the toolchain has it (1.26 with its
 * experiment, 1.27). Attached after the fact, a watch of one second, any
 * age: blockwatch looks first, as the profile's GC marks the goroutines it
 * finds leaked.
 */
Test(goleaks, runtime_leak_profile)
{
	char *vers[MAX_VERSIONS], path[512], what[128], pid[16], prof[64];
	char dir[] = "/tmp/bw-leakprof-XXXXXX";
	const char *variants[] = { "", "-stripped", "-pie" };
	const char *dur = getenv("BW_GO_DURATION");
	const char *argv[] = { "-p",	 pid,	       "--threshold",
			       "1ms",	 "--duration", dur && *dur ? dur : "1s",
			       "--json", NULL };
	const char *targv[] = { path, "-profile", prof, NULL };
	size_t nv = versions(vers), i, j, runs = 0;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(prof, sizeof(prof), "%s/profile", dir);
	for (i = 0; i < nv; i++) {
		for (j = 0; j < sizeof(variants) / sizeof(variants[0]); j++) {
			snprintf(path, sizeof(path), "%s/%s/bugshapes%s", go_targets_dir(), vers[i],
				 variants[j]);
			snprintf(what, sizeof(what), "%s bugshapes%s", vers[i], variants[j]);
			if (access(path, X_OK))
				continue;
			unlink(prof);
			cr_assert_eq(e2e_target_start_argv(&tgt, targv, what), 0, "%s", tgt.err);
			snprintf(pid, sizeof(pid), "%d", tgt.pid);
			cr_assert_eq(e2e_run_bw(&run, argv, E2E_RUN_TIMEOUT_S), 0, "%s",
				     run.errmsg);
			compare_with_profile(what, prof);
			e2e_run_free(&run);
			e2e_target_stop(&tgt);
			runs++;
		}
		free(vers[i]);
	}
	unlink(prof);
	rmdir(dir);
	cr_assert_gt(runs, 0, "no build of bugshapes found");
}
