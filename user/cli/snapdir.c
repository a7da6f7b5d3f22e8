// SPDX-License-Identifier: GPL-2.0
/* The snapshot folder's I/O: one process's capture written whole, old files pruned. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include "core/atomicfile.h"
#include "core/autosnap.h"
#include "core/parse.h"
#include "export/httpd.h"
#include "export/snapshot.h"
#include "export/webhook.h"
#include "platform/procfs.h"
#include "cli/scan.h"
#include "cli/snapdir.h"

#define TOKEN_MAX_BYTES 4096
#define MARGIN_MAX_BYTES (64ULL << 20)
#define SNAPFILES_MAX_ENTRIES 100000 /* files of DIR looked at when pruning */
#define SEQ_MAX 100		     /* snapshots of one process in one second */
#define CGROUP_PATH_BYTES 4096
#define JSON_TYPE "application/json"

int snapdir_prepare(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (stat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return access(dir, W_OK | X_OK) ? -errno : 0;
}

int snapdir_read_token(const char *path, char **token)
{
	char buf[TOKEN_MAX_BYTES + 1];
	size_t n;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n > TOKEN_MAX_BYTES)
		return -EFBIG;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
		     buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	if (!n || strlen(buf) != n)
		return -EINVAL;
	*token = strdup(buf);
	return *token ? 0 : -ENOMEM;
}

static bool watched(const struct bw_capture *c, __u32 pid)
{
	size_t i;

	for (i = 0; i < c->nthreads; i++)
		if (c->threads[i].pid == pid)
			return true;
	return bw_capture_go_of(c, pid) != NULL;
}

/* The snapshot bytes of pid alone (its threads and its Go process) into *buf. */
static int encode(const struct bw_capture *c, __u32 pid, char **buf, size_t *len)
{
	struct bw_capture one = *c;
	struct bw_thread *threads;
	size_t i, n = 0;
	FILE *f;
	int err;

	threads = malloc((c->nthreads ? c->nthreads : 1) * sizeof(*threads));
	if (!threads)
		return -ENOMEM;
	for (i = 0; i < c->nthreads; i++)
		if (c->threads[i].pid == pid)
			threads[n++] = c->threads[i]; /* shallow: the stacks stay the scan's */
	one.threads = threads;
	one.nthreads = n;
	one.gos = bw_capture_go_of(c, pid);
	one.ngos = one.gos ? 1 : 0;
	one.all = false;
	one.owned = NULL;
	one.free_owned = NULL;
	*buf = NULL;
	f = open_memstream(buf, len);
	if (!f) {
		free(threads);
		return -ENOMEM;
	}
	err = bw_snapshot_write(f, &one);
	if (fclose(f) && !err)
		err = -ENOMEM;
	free(threads);
	if (err) {
		free(*buf);
		*buf = NULL;
	}
	return err;
}

/* -ENOSPC when the file would leave less than a margin free: 1/64 of the disk, 64 MiB at most. */
static int check_space(const char *dir, size_t bytes)
{
	struct statvfs sv;
	__u64 size, avail, margin;

	if (statvfs(dir, &sv))
		return -errno;
	size = (__u64)sv.f_blocks * sv.f_frsize;
	avail = (__u64)sv.f_bavail * sv.f_frsize;
	margin = size / 64 < MARGIN_MAX_BYTES ? size / 64 : MARGIN_MAX_BYTES;
	return avail < bytes + margin ? -ENOSPC : 0;
}

/* Removes the oldest of our files past --snapshot-keep and --snapshot-max-size. */
static void prune(const struct config *cfg)
{
	struct bw_snapfile *files = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d;

	d = opendir(cfg->snapshot_dir);
	if (!d)
		return;
	while ((de = readdir(d)) && n < SNAPFILES_MAX_ENTRIES) {
		struct stat st;

		if (!bw_snapname_parse(de->d_name, NULL, NULL, NULL) ||
		    strlen(de->d_name) >= sizeof(files->name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			struct bw_snapfile *nf = realloc(files, (cap = cap * 2 + 64) * sizeof(*nf));

			if (!nf)
				break;
			files = nf;
		}
		memset(&files[n], 0, sizeof(files[n]));
		snprintf(files[n].name, sizeof(files[n].name), "%s", de->d_name);
		bw_snapname_parse(de->d_name, NULL, &files[n].t, &files[n].seq);
		files[n].bytes = st.st_size;
		n++;
	}
	bw_snapfiles_prune(files, n, cfg->snapshot_keep, cfg->snapshot_max_bytes);
	for (i = 0; i < n; i++) {
		if (!files[i].remove)
			continue;
		if (unlinkat(dirfd(d), files[i].name, 0) && errno != ENOENT)
			fprintf(stderr, "blockwatch: failed to remove old snapshot %s/%s: %s\n",
				cfg->snapshot_dir, files[i].name, strerror(errno));
		else if (cfg->verbose)
			fprintf(stderr, "blockwatch: removed old snapshot %s/%s\n",
				cfg->snapshot_dir, files[i].name);
	}
	closedir(d);
	free(files);
}

/*
 * A snapshot of pid from the last scan into the folder, as name; why says what
 * asked for it in the log line. 0 or a negative errno (logged: a full disk is
 * a skip, the watch goes on).
 */
static int write_one(struct watch *w, __u32 pid, const char *why, char *name, size_t len)
{
	const struct config *cfg = w->cfg;
	const struct bw_capture *c = &w->cap;
	char path[4096];
	struct bw_atomic a;
	unsigned int seq;
	time_t now = time(NULL);
	size_t bytes = 0;
	char *buf = NULL;
	int err;

	for (seq = 0; seq < SEQ_MAX; seq++) {
		err = bw_snapname_make(name, len, pid, bw_capture_comm(c, pid), now, seq);
		if (!err && snprintf(path, sizeof(path), "%s/%s", cfg->snapshot_dir, name) >=
				    (int)sizeof(path))
			err = -ENAMETOOLONG;
		if (err || access(path, F_OK))
			break;
	}
	if (!err && seq == SEQ_MAX)
		err = -EEXIST;
	if (err) {
		fprintf(stderr, "blockwatch: skipped snapshot of %u in %s: %s\n", pid,
			cfg->snapshot_dir, strerror(-err));
		return err;
	}
	err = encode(c, pid, &buf, &bytes);
	if (!err)
		err = check_space(cfg->snapshot_dir, bytes);
	if (!err)
		err = bw_atomic_open(&a, path);
	if (!err) {
		if (fwrite(buf, 1, bytes, a.f) != bytes || fflush(a.f)) {
			err = errno ? -errno : -EIO;
			bw_atomic_abort(&a);
		} else {
			err = bw_atomic_commit(&a);
		}
	}
	free(buf);
	if (err) {
		fprintf(stderr, "blockwatch: skipped snapshot %s (%s): %s\n", path, why,
			strerror(-err));
		/* Tried again after --snapshot-every, not at each scan: one line, not a flood. */
		bw_autosnap__tried(w->autosnap, pid, bw_now_ns());
		return err;
	}
	fprintf(stderr, "blockwatch: wrote snapshot %s (%s): %zu bytes\n", path, why, bytes);
	if (bw_autosnap__taken(w->autosnap, c, pid, bw_now_ns()))
		fprintf(stderr, "blockwatch: failed to allocate: %s\n", strerror(ENOMEM));
	prune(cfg);
	return 0;
}

void snapdir_after_scan(struct watch *w)
{
	char name[BW_SNAPNAME_BYTES];
	__u32 *pids = NULL;
	size_t i, n = 0;

	if (bw_autosnap__due(w->autosnap, &w->cap, bw_now_ns(), w->cfg->snapshot_every_ns, &pids,
			     &n)) {
		fprintf(stderr, "blockwatch: failed to allocate: %s\n", strerror(ENOMEM));
		return;
	}
	for (i = 0; i < n; i++)
		write_one(w, pids[i], "new deadlock or leak", name, sizeof(name));
	free(pids);
}

static unsigned int status_of(int err)
{
	return err == -ENOSPC || err == -EDQUOT ? 507 : 500;
}

static void serve_snapshot(struct watch *w, struct bw_httpd_req *r)
{
	char name[BW_SNAPNAME_BYTES], text[BW_SNAPNAME_BYTES + 64];
	int err;

	if (!watched(&w->cap, r->pid)) {
		snprintf(text, sizeof(text), "pid %u is not watched\n", r->pid);
		fprintf(stderr, "blockwatch: refused POST /snapshot: 404 %s", text);
		bw_httpd__answer(w->httpd, r, 404, BW_HTTPD_TEXT_TYPE, text);
		return;
	}
	err = write_one(w, r->pid, "POST /snapshot", name, sizeof(name));
	if (err)
		snprintf(text, sizeof(text), "skipped snapshot: %s\n", strerror(-err));
	else
		snprintf(text, sizeof(text), "%s\n", name);
	bw_httpd__answer(w->httpd, r, err ? status_of(err) : 200, BW_HTTPD_TEXT_TYPE, text);
}

/* The watched pids the alerts name, sorted and unique, into *out (malloc'd). */
static int alert_pids(const struct bw_capture *c, const struct bw_httpd_req *r, __u32 **out,
		      size_t *nout)
{
	char cg[CGROUP_PATH_BYTES];
	size_t i, j, n = 0, w;
	bool by_cgroup = false;
	__u32 *all, *v;
	int err;

	err = bw_capture_pids(c, &all, &w);
	if (err)
		return err;
	v = malloc((w + 1) * sizeof(*v));
	if (!v) {
		free(all);
		return -ENOMEM;
	}
	for (i = 0; i < r->ntargets; i++)
		by_cgroup |= !r->targets[i].pid;
	for (j = 0; j < w; j++) {
		bool read = false, hit = false;

		for (i = 0; i < r->ntargets && !hit; i++) {
			if (r->targets[i].pid) {
				hit = r->targets[i].pid == all[j];
				continue;
			}
			/* Each process's cgroup read once, and only when an alert names one. */
			if (!read && (!by_cgroup || bw_proc_cgroup(all[j], cg, sizeof(cg))))
				break;
			read = true;
			hit = bw_alert_target_has(&r->targets[i], cg);
		}
		if (hit)
			v[n++] = all[j];
	}
	free(all);
	*out = v;
	*nout = n;
	return 0;
}

static void serve_alerts(struct watch *w, struct bw_httpd_req *r)
{
	const struct config *cfg = w->cfg;
	char name[BW_SNAPNAME_BYTES], every[32];
	size_t i, n = 0, len = 0, nwritten = 0, nskipped = 0;
	__u32 *pids = NULL;
	char *text = NULL;
	int *errs = NULL;
	FILE *f = NULL;

	if (alert_pids(&w->cap, r, &pids, &n) || !(errs = calloc(n + 1, sizeof(*errs))) ||
	    !(f = open_memstream(&text, &len))) {
		free(errs);
		free(pids);
		bw_httpd__answer(w->httpd, r, 500, BW_HTTPD_TEXT_TYPE, "out of memory\n");
		return;
	}
	bw_format_duration(cfg->snapshot_every_ns, every, sizeof(every));
	fputs("{\"snapshots\":[", f);
	for (i = 0; i < n; i++) {
		if (!bw_autosnap__allowed(w->autosnap, pids[i], bw_now_ns(),
					  cfg->snapshot_every_ns))
			errs[i] = -EAGAIN;
		else
			errs[i] = write_one(w, pids[i], "POST /alertmanager", name, sizeof(name));
		if (!errs[i])
			fprintf(f, "%s\"%s\"", nwritten++ ? "," : "", name); /* [A-Za-z0-9._-] */
	}
	fputs("],\"skipped\":[", f);
	for (i = 0; i < n; i++)
		if (errs[i])
			fprintf(f, "%s{\"pid\":%u,\"reason\":\"%s\"}", nskipped++ ? "," : "",
				pids[i],
				errs[i] == -EAGAIN ? "rate limit: one per --snapshot-every"
						   : strerror(-errs[i]));
	fprintf(f, "],\"snapshot_every\":\"%s\"}\n", every);
	free(errs);
	if (fclose(f)) {
		free(text);
		free(pids);
		bw_httpd__answer(w->httpd, r, 500, BW_HTTPD_TEXT_TYPE, "out of memory\n");
		return;
	}
	fprintf(stderr,
		"blockwatch: POST /alertmanager: %zu firing alerts name processes, %zu watched: "
		"%zu snapshots, %zu skipped\n",
		r->ntargets, n, nwritten, nskipped);
	bw_httpd__answer(w->httpd, r, 200, JSON_TYPE, text);
	free(text);
	free(pids);
}

void snapdir_serve(struct watch *w)
{
	struct bw_httpd_req *r;

	while ((r = bw_httpd__take(w->httpd))) {
		if (r->kind == BW_HTTPD_SNAPSHOT)
			serve_snapshot(w, r);
		else
			serve_alerts(w, r);
	}
}
