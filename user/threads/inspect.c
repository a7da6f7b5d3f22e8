// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include "threads/inspect.h"
#include "core/hash.h"
#include "core/hashmap.h"
#include "platform/memread.h"
#include "threads/pile.h"
#include "platform/procfs.h"
#include "platform/syms.h"
#include "threads/waitclass.h"
#include "core/waitgraph.h"

#define USTACK_MAX_ENTRIES 64
#define FUTEX_TID_MASK 0x3fffffffu
/* glibc x86_64 pthread_mutex_t: int __lock; unsigned __count; int __owner. */
#define GLIBC_MUTEX_OWNER_OFF 8

/* Scans a shared binary stays cached without a lookup (a minute at the default interval). */
#define SYMBIN_MAX_IDLE_SCANS 60

struct proc_cache {
	__u32 pid;
	__u32 reader;	 /* a live thread: a zombie leader has no memory or maps of its own */
	int reader_rank; /* in this scan; 0 while the reader is not (yet) seen in it */
	__u32 cand;	 /* the best reader of this scan */
	int cand_rank;
	bool seen;
	bool syms_failed;
	bool compat; /* 32-bit: its syscall numbers and arguments are not the native ones */
	struct bw_mem *mem;
	/* Only while this scan unwinds the process's threads: libdw sessions are large. */
	struct bw_syms *syms;
};

/*
 * One symbolized user stack, shared by every thread of a process stopped at
 * the same pcs (thousands of workers parked at one place): threads point
 * at frames[], and the last one to let go frees it.
 */
struct stack {
	size_t refs;
	__u64 hash;
	__u32 pid;
	int n;
	struct bw_frame frames[];
};

struct bw_inspector {
	struct bw_thread *threads;
	size_t n;
	struct proc_cache *procs;
	size_t nprocs;
	struct bw_symcache *symcache;
	struct bw_syms_opts syms_opts;
	struct bw_hashmap *stacks; /* stack_hash -> struct stack * */
};

static struct stack *stack_of(const struct bw_frame *frames)
{
	return (struct stack *)((char *)frames - offsetof(struct stack, frames));
}

static bool is_stack(const void *val, const void *probe)
{
	return *(struct stack *const *)val == probe;
}

static void stack_put(struct bw_inspector *in, struct bw_frame *frames)
{
	struct stack *st;

	if (!frames)
		return;
	st = stack_of(frames);
	if (--st->refs)
		return;
	bw_hashmap__delete_hashed(in->stacks, st->hash, is_stack, st);
	free(st);
}

static __u64 stack_hash(__u32 pid, const __u64 *pcs, int n)
{
	__u64 h = BW_FNV_OFFSET ^ pid;
	int i;

	for (i = 0; i < n; i++)
		h = bw_fnv1a_u64(h, pcs[i]);
	return h;
}

/* What a stack is looked up by: the process and its pcs. */
struct stack_key {
	__u32 pid;
	int n;
	const __u64 *pcs;
};

static bool same_stack(const void *val, const void *probe)
{
	const struct stack *st = *(struct stack *const *)val;
	const struct stack_key *k = probe;
	int i;

	if (st->pid != k->pid || st->n != k->n)
		return false;
	for (i = 0; i < k->n && st->frames[i].pc == k->pcs[i]; i++)
		;
	return i == k->n;
}

static void free_threads(struct bw_inspector *in, struct bw_thread *threads, size_t n)
{
	size_t i;

	for (i = 0; threads && i < n; i++) {
		stack_put(in,
			  threads[i].native_ustack ? threads[i].native_ustack : threads[i].ustack);
		free(threads[i].ustack_sp);
	}
	free(threads);
}

int bw_inspector__new(const struct bw_syms_opts *opts, struct bw_inspector **out)
{
	struct bw_inspector *in = calloc(1, sizeof(*in));

	*out = NULL;
	if (!in)
		return -ENOMEM;
	if (opts)
		in->syms_opts = *opts;
	if (bw_symcache__new_opts(&in->syms_opts, &in->symcache) ||
	    bw_hashmap__new(sizeof(struct stack *), &in->stacks)) {
		bw_symcache__free(in->symcache);
		free(in);
		return -ENOMEM;
	}
	*out = in;
	return 0;
}

void bw_inspector__free(struct bw_inspector *in)
{
	size_t i;

	if (!in)
		return;
	free_threads(in, in->threads, in->n);
	for (i = 0; i < in->nprocs; i++) {
		bw_syms__free(in->procs[i].syms);
		bw_mem__free(in->procs[i].mem);
	}
	free(in->procs);
	bw_symcache__free(in->symcache);
	bw_hashmap__free(in->stacks); /* empty: the threads held the last references */
	free(in);
}

struct bw_thread *bw_inspector__threads(struct bw_inspector *in, size_t *n)
{
	*n = in->n;
	return in->threads;
}

static struct proc_cache *proc_get(struct bw_inspector *in, __u32 pid)
{
	struct proc_cache *p;
	size_t i;

	for (i = 0; i < in->nprocs; i++)
		if (in->procs[i].pid == pid)
			return &in->procs[i];
	p = realloc(in->procs, (in->nprocs + 1) * sizeof(*p));
	if (!p)
		return NULL;
	in->procs = p;
	p = &in->procs[in->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	return p;
}

static bool blocked_state(char state)
{
	return state == 'S' || state == 'D' || state == 'T' || state == 't';
}

int bw_inspect_reader_rank(__u32 pid, __u32 tid, char state, bool seen_before)
{
	if (state == 'Z' || state == 'X')
		return 0;
	if (tid == pid)
		return 4;
	if (blocked_state(state))
		return seen_before ? 3 : 2;
	return 1;
}

static void note_reader(struct proc_cache *p, const struct bw_thread *t, bool seen_before)
{
	int rank = bw_inspect_reader_rank(t->pid, t->tid, t->state, seen_before);

	p->seen = true;
	if (t->tid == p->reader)
		p->reader_rank = rank;
	if (rank > p->cand_rank) {
		p->cand = t->tid;
		p->cand_rank = rank;
	}
}

/*
 * Keeps the reader while it lives unless a better one turned up (the leader
 * back in view): a short-lived thread picked as reader has gone by the time
 * its maps are read, and every stack of the process would go unread.
 */
static void choose_reader(struct proc_cache *p)
{
	if (p->reader_rank && p->reader_rank >= p->cand_rank)
		return;
	bw_syms__free(p->syms);
	bw_mem__free(p->mem);
	p->syms = NULL;
	p->mem = NULL;
	p->syms_failed = false;
	p->reader = p->cand;
	p->reader_rank = p->cand_rank;
	if (!p->reader)
		return;
	p->compat = bw_proc_is_compat(p->reader);
	if (bw_mem__open(p->reader, &p->mem))
		p->mem = NULL;
}

/* Drops the caches of processes that were not in this scan (exited). */
static void proc_sweep(struct bw_inspector *in)
{
	size_t i = 0;

	while (i < in->nprocs) {
		struct proc_cache *p = &in->procs[i];

		if (p->seen) {
			p->seen = false;
			p->reader_rank = 0;
			p->cand = 0;
			p->cand_rank = 0;
			i++;
			continue;
		}
		bw_syms__free(p->syms);
		bw_mem__free(p->mem);
		*p = in->procs[--in->nprocs];
	}
}

static void fill_basics(struct bw_thread *t, const struct bw_task_rec *r)
{
	memset(t, 0, sizeof(*t));
	t->pid = r->tgid;
	t->tid = r->tid;
	memcpy(t->comm, r->comm, sizeof(t->comm));
	t->comm[sizeof(t->comm) - 1] = '\0';
	t->state = bw_state_char(r->state);
	t->blocked_ns = r->blocked_ns;
	t->switches = r->nvcsw + r->nivcsw;
	t->voluntary_switches = r->nvcsw;
	t->runtime_ns = r->runtime_ns;
	t->syscall_nr = r->syscall_nr;
	memcpy(t->args, r->args, sizeof(t->args));
	memcpy(t->regs, r->regs, sizeof(t->regs));
	t->wait_fd = -1;
	if (r->kstack_bytes > 0) {
		t->kstack_entries = r->kstack_bytes / sizeof(__u64);
		if (t->kstack_entries > BW_KSTACK_ENTRIES)
			t->kstack_entries = BW_KSTACK_ENTRIES;
		memcpy(t->kstack, r->kstack, t->kstack_entries * sizeof(__u64));
	}
}

static bool same_block(const struct bw_thread *a, const struct bw_thread *b)
{
	return a->pid == b->pid && a->syscall_nr == b->syscall_nr &&
	       a->regs[BW_REG_IP] == b->regs[BW_REG_IP] &&
	       a->regs[BW_REG_SP] == b->regs[BW_REG_SP] && a->args[0] == b->args[0];
}

static void unwind(struct bw_inspector *in, struct proc_cache *p, struct bw_thread *t)
{
	__u64 pcs[USTACK_MAX_ENTRIES], sps[USTACK_MAX_ENTRIES], hash;
	struct stack *st, **slot;
	struct stack_key key;
	int i, n;

	if (!p->syms && !p->syms_failed && p->reader &&
	    bw_syms__new_opts(p->reader, &in->syms_opts, &p->syms))
		p->syms_failed = true;
	if (!p->syms || !p->mem)
		return;
	n = bw_syms__unwind_sp(p->syms, p->mem, t->tid, t->regs, pcs, sps, USTACK_MAX_ENTRIES);
	if (n <= 0)
		return;
	/* The thread's own (stacks are shared by pcs): where each frame's locals are. */
	t->ustack_sp = malloc(n * sizeof(*t->ustack_sp));
	if (t->ustack_sp)
		memcpy(t->ustack_sp, sps, n * sizeof(*t->ustack_sp));
	hash = stack_hash(p->pid, pcs, n);
	key = (struct stack_key){ p->pid, n, pcs };
	slot = bw_hashmap__find_hashed(in->stacks, hash, same_stack, &key);
	st = slot ? *slot : NULL;
	if (!st) {
		st = calloc(1, sizeof(*st) + n * sizeof(st->frames[0]));
		if (!st || bw_hashmap__add_hashed(in->stacks, hash, (void **)&slot)) {
			free(st);
			return;
		}
		*slot = st;
		st->hash = hash;
		st->pid = p->pid;
		st->n = n;
		for (i = 0; i < n; i++) {
			struct bw_frame *f = &st->frames[i];

			/* A return address points past its call: look up the call itself. */
			bw_syms__find_shared(p->syms, in->symcache, i ? pcs[i] - 1 : pcs[i], f);
			if (i && f->func[0])
				f->offset++;
			f->pc = pcs[i];
		}
	}
	st->refs++;
	t->ustack = st->frames;
	t->ustack_entries = n;
}

static bool live_tid(const struct bw_thread *all, size_t n, __u32 pid, __u32 tid)
{
	long i = tid ? bw_waitgraph_find(all, n, tid) : -1;

	return i >= 0 && all[i].pid == pid;
}

/* Who holds what t waits on, read from the target's memory where needed. */
static void resolve_owner(struct bw_thread *t, const struct bw_thread *all, size_t n,
			  struct bw_mem *mem)
{
	__u32 word = 0, owner = 0, val = (__u32)t->args[2];

	if (t->syscall_nr != SYS_futex || !mem)
		return;
	/* Only these read the word: a condvar waiter costs no read each scan. */
	if (t->wait != BW_WAIT_MUTEX && t->wait != BW_WAIT_FUTEX && t->wait != BW_WAIT_JOIN)
		return;
	if (bw_mem__read_u32(mem, t->wait_addr, &word))
		return;
	if (t->wait == BW_WAIT_MUTEX && bw_wait_is_pi_lock(t->args)) {
		owner = word & FUTEX_TID_MASK;
	} else if (t->wait == BW_WAIT_MUTEX || t->wait == BW_WAIT_FUTEX) {
		if (bw_mem__read_u32(mem, t->wait_addr + GLIBC_MUTEX_OWNER_OFF, &owner))
			owner = 0;
		/* Without symbols: a locked word next to a live owner is a mutex. */
		if (t->wait == BW_WAIT_FUTEX && (word == 1 || word == 2) &&
		    live_tid(all, n, t->pid, owner))
			t->wait = BW_WAIT_MUTEX;
	}
	/* pthread_join sleeps on the joined thread's tid word until it exits. */
	if ((t->wait == BW_WAIT_JOIN || t->wait == BW_WAIT_FUTEX) && word == val && val != t->tid &&
	    live_tid(all, n, t->pid, val)) {
		t->wait = BW_WAIT_JOIN;
		owner = val;
	}
	if (t->wait != BW_WAIT_FUTEX && live_tid(all, n, t->pid, owner))
		t->owner_tid = owner;
	/*
	 * A locked mutex naming a thread that no longer exists anywhere: its
	 * owner exited holding it (glibc clears __owner before it unlocks).
	 * A process-shared mutex's owner may live in another process: /proc says.
	 */
	else if (t->wait == BW_WAIT_MUTEX && !bw_wait_is_pi_lock(t->args) && word && owner &&
		 owner <= FUTEX_TID_MASK && !live_tid(all, n, t->pid, owner) &&
		 !bw_proc_tid_exists(owner))
		t->gone_owner_tid = owner;
}

static void inspect_wait(struct bw_inspector *in, const struct bw_thread_obs *obs,
			 struct bw_thread *t, struct bw_thread *prev, const struct bw_thread *all,
			 size_t n)
{
	const char *funcs[USTACK_MAX_ENTRIES];
	struct bw_wait_input wi = {};
	struct bw_wait_result wr;
	struct proc_cache *p = proc_get(in, t->pid);
	int i;

	if (!p)
		return;
	if (prev && prev->native_ustack) {
		/* The unwinder's frames, not those another runtime showed in their place. */
		prev->ustack = prev->native_ustack;
		prev->ustack_entries = prev->native_ustack_entries;
		prev->native_ustack = NULL;
	}
	if (prev && prev->ustack && same_block(prev, t)) {
		t->ustack = prev->ustack;
		t->ustack_entries = prev->ustack_entries;
		t->ustack_sp = prev->ustack_sp;
		prev->ustack = NULL;
		prev->ustack_sp = NULL;
	} else {
		unwind(in, p, t);
	}
	/* Stacks and times stand; an ia32 syscall read as a native one would mislead. */
	if (p->compat) {
		t->wait = BW_WAIT_OTHER;
		t->has_futex = false;
		return;
	}
	for (i = 0; i < t->ustack_entries; i++)
		funcs[i] = t->ustack[i].func;
	wi.state = t->state;
	wi.syscall_nr = t->syscall_nr;
	memcpy(wi.args, t->args, sizeof(wi.args));
	if (bw_wait_syscall_takes_fd(t->syscall_nr))
		wi.fd_kind = bw_proc_fd_kind(t->pid, (int)t->args[0]);
	wi.funcs = funcs;
	wi.nfuncs = t->ustack_entries;
	bw_wait_classify(&wi, &wr);
	t->wait = wr.wait;
	t->timed = wr.timed;
	t->wait_fd = wr.fd;
	t->wait_addr = wr.addr;
	t->fd_kind = wi.fd_kind;
	resolve_owner(t, all, n, p->mem);
	if (obs && obs->has_futex) {
		t->has_futex = true;
		t->futex = obs->futex;
	}
}

/* A thread to inspect, in the order that unwinds one process at a time. */
struct pending {
	__u32 pid, tid;
	size_t i;
	struct bw_thread *prev;
	const struct bw_thread_obs *obs;
};

static int cmp_pending(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

int bw_inspector__update(struct bw_inspector *in, const struct bw_task_rec *recs,
			 const struct bw_thread_obs *obs, size_t n, __u64 now, __u64 threshold_ns)
{
	__u64 inspect_ns = threshold_ns < BW_PILE_MIN_AGE_NS ? threshold_ns : BW_PILE_MIN_AGE_NS;
	const struct bw_thread_obs **obs_of;
	struct bw_thread *next, *prev;
	struct pending *pend;
	size_t i, np = 0;
	long j;

	next = calloc(n ? n : 1, sizeof(*next));
	pend = malloc((n ? n : 1) * sizeof(*pend));
	obs_of = calloc(n ? n : 1, sizeof(*obs_of));
	if (!next || !pend || !obs_of) {
		free(next);
		free(pend);
		free(obs_of);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		fill_basics(&next[i], &recs[i]);
	/* Sorted by tid, as waitgraph lookups need (it sorts the same way). */
	bw_waitgraph_resolve(next, n);
	for (i = 0; obs && i < n; i++) {
		j = bw_waitgraph_find(next, n, recs[i].tid);
		if (j >= 0)
			obs_of[j] = &obs[i];
	}

	for (i = 0; i < n; i++) {
		struct bw_thread *t = &next[i];
		struct proc_cache *p = proc_get(in, t->pid);

		j = in->threads ? bw_waitgraph_find(in->threads, in->n, t->tid) : -1;
		prev = j >= 0 && in->threads[j].pid == t->pid ? &in->threads[j] : NULL;
		if (p)
			note_reader(p, t, prev != NULL);
		t->progressing =
			prev ? (prev->switches != t->switches || prev->runtime_ns != t->runtime_ns)
			     : t->state == 'R';
		if (!blocked_state(t->state)) {
			t->blocked_ns = 0;
			continue;
		}
		/* A block that began while we watch has an exact start. */
		if (obs_of[i] && obs_of[i]->has_history) {
			t->has_history = true;
			t->history = obs_of[i]->history;
		}
		if (t->has_history && t->history.block_start_ns && t->history.block_start_ns < now)
			t->blocked_ns = now - t->history.block_start_ns;
		if (t->blocked_ns >= inspect_ns)
			pend[np++] = (struct pending){ t->pid, t->tid, i, prev, obs_of[i] };
	}
	for (i = 0; i < in->nprocs; i++)
		if (in->procs[i].seen)
			choose_reader(&in->procs[i]);
	/*
	 * One process at a time, its libdw session closed once its threads are
	 * done: a session holds the DWARF of every library it touched, and the
	 * stacks of threads that stay blocked are reused, not unwound again.
	 */
	qsort(pend, np, sizeof(*pend), cmp_pending);
	for (i = 0; i < np; i++) {
		struct proc_cache *p;

		inspect_wait(in, pend[i].obs, &next[pend[i].i], pend[i].prev, next, n);
		if (i + 1 < np && pend[i + 1].pid == pend[i].pid)
			continue;
		p = proc_get(in, pend[i].pid);
		if (p) {
			bw_syms__free(p->syms);
			p->syms = NULL;
		}
	}
	free(pend);
	free(obs_of);
	free_threads(in, in->threads, in->n);
	in->threads = next;
	in->n = n;
	proc_sweep(in);
	bw_symcache__sweep(in->symcache, SYMBIN_MAX_IDLE_SCANS);
	return 0;
}
