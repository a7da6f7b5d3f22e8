// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <bpf/libbpf_version.h>
#include "platform/kfeatures.h"
#include "platform/procfs.h"
#include "platform/tracer.h"
#include "offcpu.skel.h"
#include "futex.skel.h"
#include "taskiter.skel.h"
#include "goprobe.skel.h"

/* History and futex wait of one thread, from the last scan. */
struct bw_scan_extra {
	__u32 tid;
	__u32 has; /* BW_SCAN_HAS_* */
	struct bw_history history;
	struct bw_futex_wait futex;
};

struct bw_tracer {
	struct bw_scan_extra *extra; /* sorted by tid */
	size_t nextra;
	struct offcpu_bpf *offcpu;
	struct futex_bpf *futex;
	struct taskiter_bpf *iter;
	struct bpf_link *iter_link;
	struct goprobe_bpf *go;
	struct bpf_link *go_links[2];
	__u32 fallbacks; /* BW_FALLBACK_* */
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return vfprintf(stderr, fmt, args);
}

/* Failures reach the user as one line from the caller; -v shows libbpf's story. */
static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return 0;
}

/*
 * sched_switch passes prev_state since 5.18 (commit fa2c3254d7cf): its
 * BTF prototype then has five parameters (the first is the context).
 */
static bool sched_switch_has_prev_state(const char *btf_path)
{
	const struct btf_type *t;
	struct btf *btf;
	bool has = false;
	int id;

	btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, "btf_trace_sched_switch", BTF_KIND_TYPEDEF);
	if (id > 0) {
		t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type); /* pointer */
		t = t ? btf__type_by_id(btf, t->type) : NULL;		  /* func proto */
		has = t && btf_is_func_proto(t) && btf_vlen(t) >= 5;
	}
	btf__free(btf);
	return has;
}

/*
 * What the kernel lacks, from libbpf's probes (a probe that cannot answer
 * counts as missing: the fallback is always safe). bpf_task_pt_regs
 * (5.15) is used only with task storage (5.11), whose paths hold the
 * trusted task pointers it takes.
 */
static __u32 probe_fallbacks(__u32 force)
{
	__u32 fb = force;

	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) != 1 ||
	    libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_current_task_btf, NULL) != 1)
		fb |= BW_FALLBACK_TASK_STORAGE;
	if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_task_pt_regs, NULL) != 1)
		fb |= BW_FALLBACK_TASK_PT_REGS;
	if (fb & BW_FALLBACK_TASK_STORAGE)
		fb |= BW_FALLBACK_TASK_PT_REGS;
	return fb;
}

/*
 * A task storage map made a tid-keyed hash: preallocated (the programs run
 * in the scheduler, where allocating is unsafe), one entry per thread.
 */
static int hash_by_tid(struct bpf_map *map, __u32 entries)
{
	int err = bpf_map__set_type(map, BPF_MAP_TYPE_HASH);

	if (!err)
		err = bpf_map__set_map_flags(map, 0);
	if (!err)
		err = bpf_map__set_max_entries(map, entries);
	return err;
}

static int attach_iter(struct bw_tracer *tr, __u32 tgid)
{
	union bpf_iter_link_info linfo = {};
	LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	int err;

	/* Per-process task iteration (6.1+) skips other processes in the kernel. */
	if (tgid && !(tr->fallbacks & BW_FALLBACK_TASK_ITER_PID)) {
		linfo.task.pid = tgid;
		opts.link_info = &linfo;
		opts.link_info_len = sizeof(linfo);
	}
	tr->iter_link = bpf_program__attach_iter(tr->iter->progs.dump_task, &opts);
	if (!tr->iter_link && opts.link_info) {
		tr->fallbacks |= BW_FALLBACK_TASK_ITER_PID;
		tr->iter_link = bpf_program__attach_iter(tr->iter->progs.dump_task, NULL);
	}
	err = tr->iter_link ? 0 : -errno;
	return err;
}

/*
 * The tgids map of maps.bpf.h, one for every object: filled once, before a
 * program is attached.
 */
static int fill_tgids(struct bpf_map *map, const struct bw_tracer_opts *opts)
{
	__u8 one = 1;
	size_t i;

	if (opts->ntgids < 2)
		return 0;
	for (i = 0; i < opts->ntgids; i++)
		if (bpf_map__update_elem(map, &opts->tgids[i], sizeof(opts->tgids[i]), &one,
					 sizeof(one), BPF_ANY))
			return -errno;
	return 0;
}

/*
 * Before obj is loaded, each of its maps named as one of owner's (the maps
 * of maps.bpf.h) is made that map: one map for every object.
 */
static int share_maps(const struct bpf_object *owner, struct bpf_object *obj)
{
	struct bpf_map *map, *own;
	int err;

	for (map = bpf_object__next_map(obj, NULL); map; map = bpf_object__next_map(obj, map)) {
		if (bpf_map__is_internal(map))
			continue;
		own = bpf_object__find_map_by_name(owner, bpf_map__name(map));
		if (!own)
			continue;
		err = bpf_map__reuse_fd(map, bpf_map__fd(own));
		if (err)
			return err;
	}
	return 0;
}

/* Ways to see futex entries, cheapest first (futex.bpf.c). */
enum futex_way { FUTEX_FENTRY, FUTEX_SYSCALL_TP, FUTEX_RAW_SYS_ENTER, FUTEX_WAYS };

static const char *const futex_way_names[] = { "fentry", "syscalls:sys_enter_futex",
					       "raw sys_enter" };

/* Syscall tracepoints are found through tracefs: mount it where it is missing. */
static void ensure_tracefs(void)
{
	if (!access("/sys/kernel/tracing/events", F_OK) ||
	    !access("/sys/kernel/debug/tracing/events", F_OK))
		return;
	mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
}

/*
 * fentry and the syscall tracepoints run for futex calls only; a kernel
 * without either (no BTF trampolines, no tracefs, no syscall events) gets
 * the raw sys_enter tracepoint, which runs for every syscall of the host.
 */
static int start_futex(struct bw_tracer *tr, const struct bw_tracer_opts *opts)
{
	struct bpf_object_open_opts oopts = { .sz = sizeof(oopts),
					      .btf_custom_path = opts->btf_path };
	enum futex_way way;
	int err = 0;

	for (way = 0; way < FUTEX_WAYS; way++) {
		if (way == FUTEX_SYSCALL_TP)
			ensure_tracefs();
		tr->futex = futex_bpf__open_opts(&oopts);
		if (!tr->futex)
			return -errno;
		tr->futex->rodata->targ_tgid = opts->ntgids == 1 ? opts->tgids[0] : 0;
		tr->futex->rodata->filter_tgids = opts->ntgids > 1;
		tr->futex->rodata->has_task_storage = !(tr->fallbacks & BW_FALLBACK_TASK_STORAGE);
		tr->futex->rodata->has_task_pt_regs = !(tr->fallbacks & BW_FALLBACK_TASK_PT_REGS);
		bpf_program__set_autoload(tr->futex->progs.futex_enter, way == FUTEX_FENTRY);
		bpf_program__set_autoload(tr->futex->progs.futex_waitv_enter, way == FUTEX_FENTRY);
		bpf_program__set_autoload(tr->futex->progs.futex_tp_enter, way == FUTEX_SYSCALL_TP);
		bpf_program__set_autoload(tr->futex->progs.futex_tp_waitv, way == FUTEX_SYSCALL_TP);
		bpf_program__set_autoload(tr->futex->progs.futex_sys_enter,
					  way == FUTEX_RAW_SYS_ENTER);
		err = share_maps(tr->offcpu->obj, tr->futex->obj);
		if (!err)
			err = futex_bpf__load(tr->futex);
		if (!err)
			err = futex_bpf__attach(tr->futex);
		if (!err) {
			if (opts->verbose)
				fprintf(stderr, "futex: attached with %s\n", futex_way_names[way]);
			return 0;
		}
		if (opts->verbose)
			fprintf(stderr, "futex: no %s (%s)\n", futex_way_names[way],
				strerror(-err));
		futex_bpf__destroy(tr->futex);
		tr->futex = NULL;
	}
	return err;
}

int bw_tracer__check_btf(const char *path)
{
	struct btf *btf;
	int err;

	if (access(path, R_OK))
		return -errno;
	libbpf_set_print(libbpf_quiet);
	/* Readable, so any failure (libbpf's codes, -ENOENT for no .BTF) says: not BTF. */
	btf = btf__parse(path, NULL);
	if (!btf)
		return -EPROTO;
	err = btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT) > 0 ? 0 : -EPROTO;
	btf__free(btf);
	return err;
}

int bw_tracer__new(const struct bw_tracer_opts *opts, struct bw_tracer **out)
{
	struct bpf_object_open_opts oopts = { .sz = sizeof(oopts),
					      .btf_custom_path = opts->btf_path };
	struct bw_tracer *tr;
	int err;

	libbpf_set_print(opts->verbose ? libbpf_print : libbpf_quiet);
	tr = calloc(1, sizeof(*tr));
	if (!tr)
		return -ENOMEM;

	tr->offcpu = offcpu_bpf__open_opts(&oopts);
	tr->iter = taskiter_bpf__open_opts(&oopts);
	if (!tr->offcpu || !tr->iter) {
		err = -errno;
		goto cleanup;
	}
	if (opts->ntgids == 1) {
		tr->offcpu->rodata->targ_tgid = opts->tgids[0];
		tr->iter->rodata->targ_tgid = opts->tgids[0];
	} else if (opts->ntgids > 1) {
		tr->offcpu->rodata->filter_tgids = true;
		tr->iter->rodata->filter_tgids = true;
	}
	tr->offcpu->rodata->has_prev_state_arg = sched_switch_has_prev_state(opts->btf_path);
	tr->offcpu->rodata->max_threads =
		opts->max_threads ? opts->max_threads : BW_THREAD_ENTRIES_DEFAULT;
	tr->fallbacks = probe_fallbacks(opts->force_fallbacks);
	tr->offcpu->rodata->has_task_storage = !(tr->fallbacks & BW_FALLBACK_TASK_STORAGE);
	tr->offcpu->rodata->has_task_pt_regs = !(tr->fallbacks & BW_FALLBACK_TASK_PT_REGS);
	tr->iter->rodata->has_task_storage = !(tr->fallbacks & BW_FALLBACK_TASK_STORAGE);
	tr->iter->rodata->has_task_pt_regs = !(tr->fallbacks & BW_FALLBACK_TASK_PT_REGS);
	/* The maps of maps.bpf.h are created here, with offcpu's; the others reuse them. */
	if (tr->fallbacks & BW_FALLBACK_TASK_STORAGE) {
		err = hash_by_tid(tr->offcpu->maps.histories, tr->offcpu->rodata->max_threads);
		/* Empty without --futex-calls: the iterator finds no futex wait. */
		if (!err)
			err = hash_by_tid(tr->offcpu->maps.futex_waits,
					  opts->futex_calls ? tr->offcpu->rodata->max_threads : 1);
		if (err)
			goto cleanup;
	}
	/* The test entry point is loaded only by the BPF tests. */
	bpf_program__set_autoload(tr->offcpu->progs.test_switch, false);

	err = offcpu_bpf__load(tr->offcpu);
	if (!err)
		err = fill_tgids(tr->offcpu->maps.tgids, opts);
	if (err)
		goto cleanup;
	/*
	 * Opt-in: a syscall tracepoint puts every syscall of the host on the
	 * traced entry path (sched_switch counts futex blocks without it).
	 */
	if (opts->futex_calls) {
		err = start_futex(tr, opts);
		if (err)
			goto cleanup;
	}
	err = share_maps(tr->offcpu->obj, tr->iter->obj);
	if (!err)
		err = taskiter_bpf__load(tr->iter);
	if (!err)
		err = offcpu_bpf__attach(tr->offcpu);
	if (!err)
		err = attach_iter(tr, opts->ntgids == 1 ? opts->tgids[0] : 0);
	if (err)
		goto cleanup;
	*out = tr;
	return 0;

cleanup:
	bw_tracer__free(tr);
	return err < 0 ? err : -EINVAL;
}

static int cmp_extra(const void *a, const void *b)
{
	const struct bw_scan_extra *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* Splits the iterator's records: tasks for the caller, the rest kept by tid. */
static int split_scan(struct bw_tracer *tr, const struct bw_scan_rec *raw, size_t n,
		      struct bw_task_rec **recs)
{
	struct bw_scan_extra *extra = NULL;
	struct bw_task_rec *tasks;
	size_t i, nextra = 0;

	tasks = malloc((n ? n : 1) * sizeof(*tasks));
	if (!tasks)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		nextra += raw[i].has != 0;
	if (nextra) {
		extra = malloc(nextra * sizeof(*extra));
		if (!extra) {
			free(tasks);
			return -ENOMEM;
		}
	}
	nextra = 0;
	for (i = 0; i < n; i++) {
		tasks[i] = raw[i].task;
		if (!raw[i].has)
			continue;
		extra[nextra].tid = raw[i].task.tid;
		extra[nextra].has = raw[i].has;
		extra[nextra].history = raw[i].history;
		extra[nextra].futex = raw[i].futex;
		nextra++;
	}
	if (nextra)
		qsort(extra, nextra, sizeof(*extra), cmp_extra);
	free(tr->extra);
	tr->extra = extra;
	tr->nextra = nextra;
	*recs = tasks;
	return 0;
}

/*
 * Where the iterator read no user frame at the top of a blocked thread's
 * kernel stack (a kernel without bpf_task_pt_regs, built with another
 * stack size), the kernel's own /proc/PID/task/TID/syscall: the syscall,
 * its arguments, sp and pc (no other register).
 */
static void regs_from_proc(struct bw_task_rec *recs, size_t n)
{
	__u64 args[6], sp, pc;
	struct bw_task_rec *r;
	__s64 nr;
	size_t i;

	for (i = 0; i < n; i++) {
		r = &recs[i];
		if (r->syscall_nr != -1 || !bw_is_block(r->state) || r->regs[BW_REG_IP])
			continue;
		if (bw_proc_syscall(r->tgid, r->tid, &nr, args, &sp, &pc))
			continue;
		r->syscall_nr = nr;
		memcpy(r->args, args, sizeof(r->args));
		r->regs[BW_REG_SP] = sp;
		r->regs[BW_REG_IP] = pc;
	}
}

int bw_tracer__scan(struct bw_tracer *tr, struct bw_task_rec **recs, size_t *n)
{
	size_t cap_recs = 64, nrecs = 0;
	struct bw_scan_rec *buf;
	ssize_t got_bytes;
	char *p;
	int fd, err = 0;

	fd = bpf_iter_create(bpf_link__fd(tr->iter_link));
	if (fd < 0)
		return -errno;
	buf = malloc(cap_recs * sizeof(*buf));
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (;;) {
		if (nrecs == cap_recs) {
			struct bw_scan_rec *nbuf = realloc(buf, 2 * cap_recs * sizeof(*buf));

			if (!nbuf) {
				err = -ENOMEM;
				goto cleanup;
			}
			buf = nbuf;
			cap_recs *= 2;
		}
		/* The kernel never splits a record: seq_write fits whole ones. */
		p = (char *)(buf + nrecs);
		got_bytes = read(fd, p, (cap_recs - nrecs) * sizeof(*buf));
		if (got_bytes < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err = -errno;
			goto cleanup;
		}
		if (!got_bytes)
			break;
		nrecs += got_bytes / sizeof(*buf);
	}
	err = split_scan(tr, buf, nrecs, recs);
	if (!err && (tr->fallbacks & BW_FALLBACK_TASK_PT_REGS))
		regs_from_proc(*recs, nrecs);
	if (!err)
		*n = nrecs;
cleanup:
	free(buf);
	close(fd);
	return err;
}

static const struct bw_scan_extra *find_extra(struct bw_tracer *tr, __u32 tid, __u32 has)
{
	struct bw_scan_extra key = { .tid = tid };
	const struct bw_scan_extra *e;

	if (!tr->nextra)
		return NULL;
	e = bsearch(&key, tr->extra, tr->nextra, sizeof(*tr->extra), cmp_extra);
	return e && (e->has & has) ? e : NULL;
}

int bw_tracer__history(struct bw_tracer *tr, __u32 tid, struct bw_history *out)
{
	const struct bw_scan_extra *e = find_extra(tr, tid, BW_SCAN_HAS_HISTORY);

	if (!e)
		return -ENOENT;
	*out = e->history;
	return 0;
}

int bw_tracer__futex(struct bw_tracer *tr, __u32 tid, struct bw_futex_wait *out)
{
	const struct bw_scan_extra *e = find_extra(tr, tid, BW_SCAN_HAS_FUTEX);

	if (!e)
		return -ENOENT;
	*out = e->futex;
	return 0;
}

__u32 bw_tracer__fallbacks(const struct bw_tracer *tr)
{
	return tr->fallbacks;
}

__u64 bw_tracer__dropped(struct bw_tracer *tr)
{
	__u32 key = BW_CNT_HIST_FULL;
	__u64 val = 0;

	bpf_map__lookup_elem(tr->offcpu->maps.counters, &key, sizeof(key), &val, sizeof(val), 0);
	return val;
}

int bw_tracer__attach_go(struct bw_tracer *tr, pid_t pid, const char *path, __u64 park_off,
			 __u64 exit_off, __u32 goid_off, __u32 waitreason_off)
{
	int err;

	if (tr->go)
		return -EBUSY;
	tr->go = goprobe_bpf__open();
	if (!tr->go)
		return -errno;
	tr->go->rodata->g_goid_off = goid_off;
	tr->go->rodata->g_waitreason_off = waitreason_off;
	err = goprobe_bpf__load(tr->go);
	if (err)
		goto fail;
	tr->go_links[0] =
		bpf_program__attach_uprobe(tr->go->progs.park_m, false, pid, path, park_off);
	if (!tr->go_links[0])
		goto fail_errno;
	tr->go_links[1] =
		bpf_program__attach_uprobe(tr->go->progs.goexit0, false, pid, path, exit_off);
	if (!tr->go_links[1])
		goto fail_errno;
	return 0;
fail_errno:
	err = -errno;
fail:
	bpf_link__destroy(tr->go_links[0]);
	tr->go_links[0] = NULL;
	goprobe_bpf__destroy(tr->go);
	tr->go = NULL;
	return err;
}

int bw_tracer__go_park(struct bw_tracer *tr, __u64 gaddr, struct bw_gopark *out)
{
	if (!tr->go)
		return -ENOENT;
	if (bpf_map__lookup_elem(tr->go->maps.goparks, &gaddr, sizeof(gaddr), out, sizeof(*out), 0))
		return -errno;
	return 0;
}

void bw_tracer__free(struct bw_tracer *tr)
{
	if (!tr)
		return;
	bpf_link__destroy(tr->go_links[1]);
	bpf_link__destroy(tr->go_links[0]);
	goprobe_bpf__destroy(tr->go);
	bpf_link__destroy(tr->iter_link);
	taskiter_bpf__destroy(tr->iter);
	futex_bpf__destroy(tr->futex);
	offcpu_bpf__destroy(tr->offcpu);
	free(tr->extra);
	free(tr);
}

void bw_tracer__libbpf_version(struct bw_libbpf_version *out)
{
	out->built_major = LIBBPF_MAJOR_VERSION;
	out->built_minor = LIBBPF_MINOR_VERSION;
	out->running_major = libbpf_major_version();
	out->running_minor = libbpf_minor_version();
}
