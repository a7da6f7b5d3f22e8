// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <criterion/criterion.h>
#include "export/prom.h"
#include "fixture.h"

/* The prom scan and its tool health. */
static void scan_init(struct fx_scan *s, struct bw_prom_opts *o)
{
	fx_prom_scan(s);
	memset(o, 0, sizeof(*o));
	o->health.scans = 42;
	o->health.scan_duration_ns = 12500000;
	o->health.dropped_threads = 3;
	o->health.skipped_goroutine_reads = 5;
	o->health.watched_processes = 4;
}

/* The exposition as a malloc'd string; asserts bw_prom_write returns 0. */
static char *expose(const struct bw_capture *c, const struct bw_prom_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cr_assert_eq(bw_prom_write(f, c, o), 0);
	fclose(f);
	return buf;
}

static size_t count_lines(const char *text, const char *prefix)
{
	size_t n = 0, plen = strlen(prefix);
	const char *p = text;

	while (*p) {
		n += !strncmp(p, prefix, plen);
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return n;
}

static const char expected[] =
	"# HELP blockwatch_threads Threads blocked at least the threshold, by wait and verdict.\n"
	"# TYPE blockwatch_threads gauge\n"
	"blockwatch_threads{pid=\"100\",comm=\"leakd\",wait=\"condvar\",verdict=\"leak\"} 2\n"
	"blockwatch_threads{pid=\"100\",comm=\"leakd\",wait=\"epoll\",verdict=\"idle\"} 1\n"
	"blockwatch_threads{pid=\"200\",comm=\"dl-b\",wait=\"mutex\",verdict=\"deadlock\"} 2\n"
	"# HELP blockwatch_thread_reasons Deadlocked, leaked and stuck threads by the evidence of "
	"their verdict (cycle, owner_gone, owner_deadlocked, owner_leaked, pile; stuck: "
	"owner_stuck, no_waker).\n"
	"# TYPE blockwatch_thread_reasons gauge\n"
	"blockwatch_thread_reasons{pid=\"100\",comm=\"leakd\",verdict=\"leak\",reason=\"pile\"} "
	"2\n"
	"blockwatch_thread_reasons{pid=\"200\",comm=\"dl-b\",verdict=\"deadlock\",reason="
	"\"cycle\"} 2\n"
	"# HELP blockwatch_goroutines Parked goroutines by wait reason and verdict (none: parked "
	"less than the threshold).\n"
	"# TYPE blockwatch_goroutines gauge\n"
	"blockwatch_goroutines{pid=\"300\",comm=\"gosvc\",wait_reason=\"chan "
	"receive\",verdict=\"leak\"} 2\n"
	"blockwatch_goroutines{pid=\"300\",comm=\"gosvc\",wait_reason=\"unknown\",verdict="
	"\"idle\"} 1\n"
	"blockwatch_goroutines{pid=\"300\",comm=\"gosvc\",wait_reason=\"select\",verdict=\"none\"} "
	"1\n"
	"# HELP blockwatch_goroutine_site_goroutines Goroutines parked at a site (blocked_at <- "
	"created_by).\n"
	"# TYPE blockwatch_goroutine_site_goroutines gauge\n"
	"blockwatch_goroutine_site_goroutines{pid=\"300\",comm=\"gosvc\",site=\"main.worker <- "
	"main.main\",wait_reason=\"chan receive\",verdict=\"leak\"} 2\n"
	"blockwatch_goroutine_site_goroutines{pid=\"300\",comm=\"gosvc\",site=\"[unknown] <- "
	"main.main\",wait_reason=\"unknown\",verdict=\"idle\"} 1\n"
	"blockwatch_goroutine_site_goroutines{pid=\"300\",comm=\"gosvc\",site=\"main.loop <- "
	"main.start\",wait_reason=\"select\",verdict=\"none\"} 1\n"
	"# HELP blockwatch_goroutine_site_growth_per_minute Growth of the goroutines of a site "
	"per minute, over the watch.\n"
	"# TYPE blockwatch_goroutine_site_growth_per_minute gauge\n"
	"blockwatch_goroutine_site_growth_per_minute{pid=\"300\",comm=\"gosvc\",site=\"main.worker "
	"<- main.main\",wait_reason=\"chan receive\",verdict=\"leak\"} 1.5\n"
	"blockwatch_goroutine_site_growth_per_minute{pid=\"300\",comm=\"gosvc\",site=\"[unknown] "
	"<- main.main\",wait_reason=\"unknown\",verdict=\"idle\"} 0\n"
	"blockwatch_goroutine_site_growth_per_minute{pid=\"300\",comm=\"gosvc\",site=\"main.loop "
	"<- main.start\",wait_reason=\"select\",verdict=\"none\"} 0\n"
	"# HELP blockwatch_deadlocks Threads and goroutines in a deadlock.\n"
	"# TYPE blockwatch_deadlocks gauge\n"
	"blockwatch_deadlocks{pid=\"100\",comm=\"leakd\"} 0\n"
	"blockwatch_deadlocks{pid=\"200\",comm=\"dl-b\"} 2\n"
	"blockwatch_deadlocks{pid=\"300\",comm=\"gosvc\"} 0\n"
	"# HELP blockwatch_leaks Leaked threads and goroutines.\n"
	"# TYPE blockwatch_leaks gauge\n"
	"blockwatch_leaks{pid=\"100\",comm=\"leakd\"} 2\n"
	"blockwatch_leaks{pid=\"200\",comm=\"dl-b\"} 0\n"
	"blockwatch_leaks{pid=\"300\",comm=\"gosvc\"} 2\n"
	"# HELP blockwatch_go_info Always 1; the Go version of a Go process.\n"
	"# TYPE blockwatch_go_info gauge\n"
	"blockwatch_go_info{pid=\"300\",comm=\"gosvc\",go_version=\"go1.22.1\"} 1\n"
	"# HELP blockwatch_scans_total Scans made since blockwatch started.\n"
	"# TYPE blockwatch_scans_total counter\n"
	"blockwatch_scans_total 42\n"
	"# HELP blockwatch_scan_duration_seconds How long the last scan took.\n"
	"# TYPE blockwatch_scan_duration_seconds gauge\n"
	"blockwatch_scan_duration_seconds 0.0125\n"
	"# HELP blockwatch_dropped_threads_total Threads left out because a BPF map was full "
	"(raise --max-threads).\n"
	"# TYPE blockwatch_dropped_threads_total counter\n"
	"blockwatch_dropped_threads_total 3\n"
	"# HELP blockwatch_skipped_goroutine_reads_total Goroutines skipped because they changed "
	"while read.\n"
	"# TYPE blockwatch_skipped_goroutine_reads_total counter\n"
	"blockwatch_skipped_goroutine_reads_total 5\n"
	"# HELP blockwatch_watched_processes Processes watched now.\n"
	"# TYPE blockwatch_watched_processes gauge\n"
	"blockwatch_watched_processes 4\n"
	"# HELP blockwatch_build_info Always 1; the version of blockwatch.\n"
	"# TYPE blockwatch_build_info gauge\n"
	"blockwatch_build_info{version=\"" BW_VERSION "\"} 1\n";

Test(prom, exact_text)
{
	struct fx_scan s;
	struct bw_prom_opts o;
	char *text;

	scan_init(&s, &o);
	o.no_histograms = true;
	text = expose(&s.c, &o);
	cr_assert_str_eq(text, expected);
	free(text);
}

Test(prom, empty_scan_has_every_family)
{
	struct bw_capture c = { 0 };
	char *text = expose(&c, NULL);

	cr_assert_eq(count_lines(text, "# TYPE "), 15);
	cr_assert_eq(count_lines(text, "blockwatch_threads"), 0);
	cr_assert_not_null(strstr(text, "\nblockwatch_scans_total 0\n"));
	cr_assert_not_null(strstr(text, "\nblockwatch_scan_duration_seconds 0\n"));
	free(text);
}

Test(prom, go_comm_wins_and_main_thread_before_lowest_tid)
{
	struct fx_scan s;
	struct bw_prom_opts o;
	char *text;

	scan_init(&s, &o);
	s.go.comm = "gosvc-real";
	text = expose(&s.c, &o);
	cr_assert_not_null(strstr(text, "blockwatch_leaks{pid=\"300\",comm=\"gosvc-real\"} 2\n"));
	/* pid 100: its main thread's comm although 101 and 102 come first. */
	cr_assert_not_null(strstr(text, "blockwatch_leaks{pid=\"100\",comm=\"leakd\"} 2\n"));
	/* pid 400: nothing reported, no Go: no series at all. */
	cr_assert_null(strstr(text, "pid=\"400\""));
	free(text);
}

Test(prom, hostile_comm_keeps_one_sample_per_line)
{
	struct fx_scan s;
	struct bw_prom_opts o;
	char *text, *line, *save = NULL;

	scan_init(&s, &o);
	memcpy(s.threads[1].comm, "a\"b\\c\nd\x01\xff}\" 9\n#", 16);
	s.threads[1].comm[15] = '\0';
	s.go.comm = "x\ny\"} 1\n";
	s.groups[1].blocked_at.name = "main.\"evil\"\n}";
	s.recs[0].g.wait_reason = "chan\nreceive";
	text = expose(&s.c, &o);
	cr_assert_not_null(
		strstr(text, "blockwatch_threads{pid=\"100\",comm=\"a\\\"b\\\\c\\nd"
			     "\\\\x01\\\\xff}\\\" 9\\n#\",wait=\"condvar\",verdict=\"leak\"} 2\n"),
		"%s", text);
	cr_assert_not_null(strstr(text, "comm=\"x\\ny\\\"} 1\\n\""));
	cr_assert_not_null(strstr(text, "site=\"main.\\\"evil\\\"\\n} <- main.main\""));
	cr_assert_not_null(strstr(text, "wait_reason=\"chan\\nreceive\""));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		cr_assert(line[0] == '#' || !strncmp(line, "blockwatch_", 11), "line: %s", line);
	free(text);
}

Test(prom, comm_cut_at_15_bytes)
{
	struct fx_scan s;
	struct bw_prom_opts o;
	struct bw_capture c = { 0 };
	char *text;

	scan_init(&s, &o);
	s.go.comm = "a-very-long-process-name";
	c.gos = &s.go;
	c.ngos = 1;
	text = expose(&c, &o);
	cr_assert_not_null(
		strstr(text, "blockwatch_leaks{pid=\"300\",comm=\"a-very-long-pro\"} 2\n"));
	free(text);
}

/* 25 sites: the worst and biggest 20 stay, 5 fold into "other". */
Test(prom, site_cap)
{
	static char names[25][32];
	struct bw_gogroup groups[26];
	struct bw_capture_go go = { .pid = 9, .comm = "svc" };
	struct bw_capture c = { .gos = &go, .ngos = 1 };
	struct bw_prom_opts o = { 0 };
	char *text;
	size_t i;

	for (i = 0; i < 25; i++) {
		snprintf(names[i], sizeof(names[i]), "main.site%02zu", i);
		/* site00 is small but leaks: it must not fold. */
		fx_group(&groups[i], "select", names[i], "main.main", i ? 100 - i : 1, 0.5,
			 i ? BW_VERDICT_IDLE : BW_VERDICT_LEAK);
	}
	/* Same functions as site01, another line: same labels, one series. */
	fx_group(&groups[25], "select", names[1], "main.main", 1000, 1, BW_VERDICT_IDLE);
	go.groups = groups;
	go.ngroups = 26;

	text = expose(&c, &o);
	cr_assert_eq(count_lines(text, "blockwatch_goroutine_site_goroutines{"), 21);
	cr_assert_eq(count_lines(text, "blockwatch_goroutine_site_growth_per_minute{"), 21);
	cr_assert_not_null(strstr(text, "site=\"main.site00 <- main.main\",wait_reason=\"select\","
					"verdict=\"leak\"} 1\n"));
	cr_assert_not_null(strstr(text, "site=\"main.site01 <- main.main\",wait_reason=\"select\","
					"verdict=\"idle\"} 1099\n"));
	cr_assert_not_null(strstr(text,
				  "growth_per_minute{pid=\"9\",comm=\"svc\",site=\"main.site01 "
				  "<- main.main\",wait_reason=\"select\",verdict=\"idle\"} 1.5\n"));
	cr_assert_not_null(strstr(text, "site=\"main.site19 <- main.main\""));
	cr_assert_null(strstr(text, "site=\"main.site20 "));
	/* 80 + 79 + 78 + 77 + 76 goroutines of site20..24. */
	cr_assert_not_null(strstr(text,
				  "blockwatch_goroutine_site_goroutines{pid=\"9\",comm=\"svc\","
				  "site=\"other\",wait_reason=\"other\",verdict=\"idle\"} 390\n"));
	cr_assert_not_null(
		strstr(text, "site=\"other\",wait_reason=\"other\",verdict=\"idle\"} 2.5\n"));
	free(text);

	o.max_sites = 3;
	text = expose(&c, &o);
	cr_assert_eq(count_lines(text, "blockwatch_goroutine_site_goroutines{"), 4);
	free(text);
}

Test(prom, histogram_cumulative)
{
	struct bw_thread t[3];
	struct bw_capture c;
	struct bw_prom_opts o = { 0 };
	char *text, line[256];
	__u64 cum = 0;
	int i;

	fx_thread(&t[0], 50, 50, "hist", BW_WAIT_NONE, BW_VERDICT_NONE, 0);
	fx_thread(&t[1], 50, 51, "hist", BW_WAIT_SLEEP, BW_VERDICT_IDLE, 20 * FX_SEC);
	fx_thread(&t[2], 50, 52, "hist", BW_WAIT_NONE, BW_VERDICT_NONE, 0); /* no history */
	fx_capture(&c, t, 3);
	t[0].has_history = t[1].has_history = true;
	t[0].history.slots[0] = 4; /* < 2us */
	t[0].history.slots[3] = 1; /* [8, 16) us */
	t[1].history.slots[3] = 2;
	t[1].history.slots[20] = 1;		   /* about 1 s */
	t[1].history.slots[BW_HIST_SLOTS - 1] = 5; /* >= 2^31 us: +Inf only */
	t[0].history.total_ns = 1500000000;
	t[1].history.total_ns = 3;
	text = expose(&c, &o);

	for (i = 0; i < BW_HIST_SLOTS - 1; i++) {
		cum += t[0].history.slots[i] + t[1].history.slots[i];
		snprintf(line, sizeof(line), "bucket{pid=\"50\",comm=\"hist\",le=\"%s\"} %llu\n",
			 i == 0	   ? "0.000002"
			 : i == 2  ? "0.000008"
			 : i == 3  ? "0.000016"
			 : i == 19 ? "1.048576"
			 : i == 30 ? "2147.483648"
				   : "",
			 (unsigned long long)cum);
		if (strstr(line, "le=\"\""))
			continue;
		cr_assert_not_null(strstr(text, line), "slot %d: %s", i, line);
	}
	cr_assert_eq(cum, 8);
	cr_assert_not_null(strstr(text, "le=\"1.048576\"} 7\n"));
	cr_assert_not_null(strstr(text, "le=\"2.097152\"} 8\n"));
	cr_assert_not_null(strstr(text, "le=\"+Inf\"} 13\n"));
	cr_assert_not_null(strstr(text, "_sum{pid=\"50\",comm=\"hist\"} 1.500000003\n"));
	cr_assert_not_null(strstr(text, "_count{pid=\"50\",comm=\"hist\"} 13\n"));
	cr_assert_eq(count_lines(text, "blockwatch_block_duration_seconds_bucket{"), BW_HIST_SLOTS);
	/* Buckets never decrease. */
	{
		const char *p = text;
		unsigned long long prev = 0, v;

		while ((p = strstr(p, "_bucket{"))) {
			p = strstr(p, "} ");
			v = strtoull(p + 2, NULL, 10);
			cr_assert_geq(v, prev);
			prev = v;
		}
	}
	free(text);

	o.no_histograms = true;
	text = expose(&c, &o);
	cr_assert_null(strstr(text, "blockwatch_block_duration_seconds"));
	free(text);
}

Test(prom, errors)
{
	struct fx_scan s;
	struct bw_prom_opts o;
	struct bw_capture_go two[2];
	FILE *f;

	scan_init(&s, &o);
	two[0] = two[1] = s.go;
	s.c.gos = two;
	s.c.ngos = 2;
	f = fopen("/dev/null", "w");
	cr_assert_not_null(f);
	cr_assert_eq(bw_prom_write(f, &s.c, &o), -EINVAL);
	fclose(f);

	scan_init(&s, &o);
	f = fopen("/dev/full", "w");
	if (!f)
		cr_skip_test("no /dev/full");
	cr_assert_eq(bw_prom_write(f, &s.c, &o), -ENOSPC);
	fclose(f);
}

static int find_promtool(char *path, size_t len)
{
	const char *env = getenv("PATH");
	char *dirs, *dir, *save = NULL;
	int found = 0;

	dirs = strdup(env ? env : "/usr/bin:/bin");
	cr_assert_not_null(dirs);
	for (dir = strtok_r(dirs, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		snprintf(path, len, "%s/promtool", dir);
		found = !access(path, X_OK);
	}
	free(dirs);
	return found;
}

/* Prometheus's own parser and linter on an exposition with every family and hostile strings. */
Test(prom, promtool_check_metrics)
{
	char promtool[4096], file[] = "/tmp/bw-prom-XXXXXX", outname[64], cmd[8300];
	char out[8192] = "";
	struct fx_scan s;
	struct bw_prom_opts opts;
	FILE *f, *o;
	int fd, status;

	if (!find_promtool(promtool, sizeof(promtool)))
		cr_skip_test("promtool not found (Debian package prometheus): skipping the check");
	scan_init(&s, &opts);
	s.threads[1].has_history = true;
	s.threads[1].history.slots[5] = 3;
	s.threads[1].history.total_ns = 123456789;
	s.threads[4].has_history = true;
	s.threads[4].history.slots[BW_HIST_SLOTS - 1] = 1;
	memcpy(s.threads[1].comm, "a\"b\\c\nd\x01\xff", 10);
	s.groups[1].blocked_at.name = "main.(*T[go.shape.int]).\"run\"\n";
	s.groups[1].growth_per_min = -0.25;

	fd = mkstemp(file);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	cr_assert_eq(bw_prom_write(f, &s.c, &opts), 0);
	fclose(f);
	snprintf(outname, sizeof(outname), "%s.out", file);
	snprintf(cmd, sizeof(cmd), "'%s' check metrics < %s > %s 2>&1", promtool, file, outname);
	status = system(cmd);
	o = fopen(outname, "r");
	if (o) {
		out[fread(out, 1, sizeof(out) - 1, o)] = '\0';
		fclose(o);
	}
	unlink(outname);
	unlink(file);
	cr_assert(WIFEXITED(status) && !WEXITSTATUS(status),
		  "promtool check metrics failed (status %d):\n%s", status, out);
}
