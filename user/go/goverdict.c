// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/hash.h"
#include "core/hashmap.h"
#include "go/goverdict.h"
#include "go/gowait.h"

#define GOID_MAIN 1
#define NSEC_PER_MIN 60e9
#define GROWTH_MIN_NS 1000000000ULL

struct track {
	__u64 goid;
	__u64 gaddr;
	__u64 fingerprint;
	__u64 first_ns; /* first seen parked with this fingerprint */
};

struct site {
	__u64 key;
	__u64 first_ns;
	size_t first_count;
};

struct bw_gotracker {
	struct track *tracks;
	size_t ntracks;
	struct site *sites;
	size_t nsites;
	struct bw_hashmap *group_of_key; /* site key -> __u32 group index, per update */
};

int bw_gotracker__new(struct bw_gotracker **out)
{
	struct bw_gotracker *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t || bw_hashmap__new(sizeof(__u32), &t->group_of_key)) {
		free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

void bw_gotracker__free(struct bw_gotracker *t)
{
	if (!t)
		return;
	free(t->tracks);
	free(t->sites);
	bw_hashmap__free(t->group_of_key);
	free(t);
}

static __u64 mix(__u64 h, __u64 v)
{
	h ^= v + BW_HASH_GOLDEN + (h << 6) + (h >> 2);
	return h;
}

static __u64 hash_str(__u64 h, const char *s)
{
	return mix(bw_fnv1a_str(h, s), 0xff);
}

/*
 * Anything that changes when a goroutine runs: where it parked, its stack
 * bytes, what it waits on, its run-out counter. waitsince is left out: a
 * GC setting it is not the goroutine running.
 */
static __u64 fingerprint(const struct bw_goroutine *g)
{
	__u64 h = BW_FNV_OFFSET;

	h = mix(h, g->status);
	h = mix(h, g->wait_idx);
	h = mix(h, g->sched_pc);
	h = mix(h, g->sched_sp);
	h = mix(h, g->sched_bp);
	h = mix(h, g->waiting);
	h = mix(h, g->stack_hash);
	h = mix(h, g->tracking_seq);
	return h;
}

static __u64 site_key(const struct bw_gorec *r)
{
	__u64 h = BW_FNV_OFFSET;

	h = hash_str(h, r->g.wait_reason);
	h = hash_str(h, r->blocked_at.name);
	h = mix(h, r->blocked_at.line);
	h = hash_str(h, r->created_by.name);
	h = mix(h, r->created_by.line);
	return h;
}

bool bw_gotracker__in_place(const struct bw_gotracker *t, const struct bw_goroutine *g)
{
	size_t lo = 0, hi = t->ntracks, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->tracks[mid].goid < g->goid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->ntracks && t->tracks[lo].goid == g->goid &&
	       t->tracks[lo].gaddr == g->gaddr && t->tracks[lo].fingerprint == fingerprint(g);
}

static bool proven(enum bw_verdict v)
{
	return v == BW_VERDICT_LEAK || v == BW_VERDICT_DEADLOCK;
}

/* Pattern results by function name: the names of one update are few and stable. */
#define MATCH_MEMO_ENTRIES 64

struct match_memo {
	const char *name;
	bool hit;
	__u8 cls; /* class + 1, 0 = unknown */
};

static bool matches(struct match_memo *m, const struct bw_patterns *p, const char *name)
{
	struct match_memo *e = &m[((unsigned long)name >> 3) % MATCH_MEMO_ENTRIES];

	if (e->name != name) {
		e->name = name;
		e->hit = bw_patterns__match(p, name);
	}
	return e->hit;
}

/* Wait classes by reason string, memoized in the same table (keyed apart). */
static enum bw_gowait_class class_of(struct match_memo *m, const char *reason)
{
	struct match_memo *e =
		&m[MATCH_MEMO_ENTRIES + ((unsigned long)reason >> 3) % MATCH_MEMO_ENTRIES];

	if (e->name != reason || !e->cls) {
		e->name = reason;
		e->cls = bw_gowait_class(reason) + 1;
	}
	return e->cls - 1;
}

/* Waiting to take a sync.Mutex or RWMutex (before Go 1.20 every sync wait was "semacquire"). */
static bool lock_wait(const struct bw_gorec *r)
{
	const char *reason = r->g.wait_reason;

	return !strcmp(reason, "sync.Mutex.Lock") || !strncmp(reason, "sync.RWMutex.", 13) ||
	       (!strcmp(reason, "semacquire") && r->lock_wait);
}

/*
 * The verdict of one goroutine parked at least the threshold (or proven
 * and seen parked in place, at any age). leak needs a proof: the
 * liveness search found nothing live that reaches what it waits on, or it
 * can never be woken (nil channel, select {}), or the runtime itself
 * marked it leaked. A channel or sync wait nothing proved either way is
 * stuck; one whose object is reachable is idle (it may yet be woken),
 * or blocked when it waits for a lock.
 */
static enum bw_verdict verdict_of(struct bw_gorec *r, __u64 threshold_ns,
				  const struct bw_patterns *benign, struct match_memo *memo,
				  bool others_live)
{
	enum bw_gowait_class cls = class_of(memo, r->g.wait_reason);
	int i;

	if (r->blocked_ns < threshold_ns)
		return BW_VERDICT_NONE;
	if (r->g.status == BW_GSTATUS_LEAKED) {
		if (!r->g.why)
			r->g.why = BW_WHY_RUNTIME;
		return BW_VERDICT_LEAK;
	}
	if (matches(memo, benign, r->blocked_at.name) || matches(memo, benign, r->created_by.name))
		return BW_VERDICT_IDLE;
	for (i = 0; i < r->nstack; i++)
		if (matches(memo, benign, r->stack[i].name))
			return BW_VERDICT_IDLE;
	/*
	 * The main goroutine parked for good in select {} while other goroutines
	 * live is how a program leaves the work to them, in whatever function
	 * it parks (caddy's cmd.cmdRun): idle, as the runtime's own leak
	 * profile has it. With nothing else alive it is a leak like any other.
	 */
	if (cls == BW_GOWAIT_NILCHAN && r->g.goid == GOID_MAIN && others_live &&
	    (!strcmp(r->g.wait_reason, "select (no cases)") ||
	     !strcmp(r->blocked_at.name, "main.main"))) {
		r->g.why = BW_WHY_NONE;
		return BW_VERDICT_IDLE;
	}
	if (cls == BW_GOWAIT_CHAN || cls == BW_GOWAIT_NILCHAN || cls == BW_GOWAIT_SYNC) {
		switch (r->g.reach) {
		case BW_REACH_LIVE:
			/* A lock someone live may release: waiting for it is contention, not rest. */
			return lock_wait(r) ? BW_VERDICT_BLOCKED : BW_VERDICT_IDLE;
		case BW_REACH_DEAD:
			return r->g.why == BW_WHY_CYCLE ? BW_VERDICT_DEADLOCK : BW_VERDICT_LEAK;
		default:
			r->g.why = BW_WHY_NONE;
			return BW_VERDICT_STUCK;
		}
	}
	if (cls == BW_GOWAIT_IO || cls == BW_GOWAIT_SLEEP || cls == BW_GOWAIT_RUNTIME ||
	    r->runtime_only)
		return BW_VERDICT_IDLE;
	return BW_VERDICT_BLOCKED;
}

static struct site *find_site(struct bw_gotracker *t, __u64 key)
{
	size_t i;

	for (i = 0; i < t->nsites; i++)
		if (t->sites[i].key == key)
			return &t->sites[i];
	return NULL;
}

static int cmp_goid(const void *a, const void *b)
{
	const struct bw_gorec *x = a, *y = b;

	return x->g.goid < y->g.goid ? -1 : x->g.goid > y->g.goid;
}

static int update_sites(struct bw_gotracker *t, struct bw_gogroup *groups, size_t ng, __u64 now_ns)
{
	size_t i;

	for (i = 0; i < ng; i++) {
		struct bw_gogroup *gr = &groups[i];
		struct site *s = find_site(t, gr->key);

		if (!s) {
			s = realloc(t->sites, (t->nsites + 1) * sizeof(*s));
			if (!s)
				return -ENOMEM;
			t->sites = s;
			s = &t->sites[t->nsites++];
			s->key = gr->key;
			s->first_ns = now_ns;
			s->first_count = gr->count;
		}
		if (now_ns - s->first_ns >= GROWTH_MIN_NS)
			gr->growth_per_min = ((double)gr->count - (double)s->first_count) *
					     NSEC_PER_MIN / (double)(now_ns - s->first_ns);
	}
	return 0;
}

/* Index of the group of key in groups, a new one when key is new (map: key -> index). */
static int group_of(struct bw_hashmap *map, struct bw_gogroup **groups, size_t *ng, size_t *cap,
		    __u64 key)
{
	const __u32 *found = bw_hashmap__find(map, key);
	__u32 *idx;

	if (found)
		return *found;
	if (*ng == *cap) {
		size_t ncap = *cap ? 2 * *cap : 16;
		struct bw_gogroup *g = realloc(*groups, ncap * sizeof(*g));

		if (!g)
			return -ENOMEM;
		*groups = g;
		*cap = ncap;
	}
	if (bw_hashmap__insert(map, key, (void **)&idx) < 0)
		return -ENOMEM;
	memset(&(*groups)[*ng], 0, sizeof(**groups));
	(*groups)[*ng].key = key;
	*idx = *ng;
	return (*ng)++;
}

/* recs come sorted by goid, as the old tracks are: walk both. */
static struct track *next_track(struct bw_gotracker *t, size_t *at, __u64 goid)
{
	while (*at < t->ntracks && t->tracks[*at].goid < goid)
		(*at)++;
	if (*at < t->ntracks && t->tracks[*at].goid == goid)
		return &t->tracks[*at];
	return NULL;
}

/* Site keys by the pointers they hash: goroutines of a site share them. */
#define SITE_MEMO_ENTRIES 64

struct site_memo {
	const void *k[3];
	__s32 l[2];
	__u64 key;
	bool set;
};

static __u64 site_key_memo(struct site_memo *m, const struct bw_gorec *r)
{
	const void *k[3] = { r->g.wait_reason, r->blocked_at.name, r->created_by.name };
	struct site_memo *e = &m[(((unsigned long)k[1] >> 4) ^ ((unsigned long)k[2] >> 3) ^
				  (unsigned long)r->blocked_at.line) %
				 SITE_MEMO_ENTRIES];

	if (!e->set || memcmp(e->k, k, sizeof(k)) || e->l[0] != r->blocked_at.line ||
	    e->l[1] != r->created_by.line) {
		memcpy(e->k, k, sizeof(k));
		e->l[0] = r->blocked_at.line;
		e->l[1] = r->created_by.line;
		e->key = site_key(r);
		e->set = true;
	}
	return e->key;
}

static bool sorted_by_goid(const struct bw_gorec *recs, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (recs[i - 1].g.goid > recs[i].g.goid)
			return false;
	return true;
}

static struct bw_gorec *find_goid(struct bw_gorec *recs, size_t n, __u64 goid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (recs[mid].g.goid == goid)
			return &recs[mid];
		if (recs[mid].g.goid < goid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * A deadlock is reported whole: once one member of a lock-wait cycle is,
 * each member its evidence names in turn is too, at any age (a member whose
 * stack the runtime moved was seen parked in place again only lately).
 * recs are sorted by goid.
 */
static void report_cycles_whole(struct bw_gorec *recs, size_t n, struct bw_gogroup *groups)
{
	size_t i, hops;

	for (i = 0; i < n; i++) {
		struct bw_gorec *r = &recs[i], *next;

		if (r->verdict != BW_VERDICT_DEADLOCK)
			continue;
		for (hops = 0; hops < n; hops++, r = next) {
			next = find_goid(recs, n, r->g.why_goid);
			if (!next || next->verdict != BW_VERDICT_NONE ||
			    next->verdict_any != BW_VERDICT_DEADLOCK)
				break;
			next->verdict = BW_VERDICT_DEADLOCK;
			next->g.why = next->why_any;
			bw_gogroup_add_reported(&groups[next->group], next);
		}
	}
}

int bw_gotracker__update(struct bw_gotracker *t, struct bw_gorec *recs, size_t n, __u64 now_ns,
			 __u64 threshold_ns, const struct bw_patterns *benign,
			 struct bw_gogroup **groups_out, size_t *ngroups)
{
	struct track *tracks = calloc(n ? n : 1, sizeof(*tracks));
	struct bw_gogroup *groups = NULL;
	struct match_memo memo[2 * MATCH_MEMO_ENTRIES] = {};
	struct site_memo sites[SITE_MEMO_ENTRIES] = {};
	size_t cursor = 0;
	size_t i, ng = 0, cap = 0;
	bool others_live = false;
	int err = 0, j;
	__u8 why;

	if (!tracks)
		return -ENOMEM;
	bw_hashmap__clear(t->group_of_key);
	if (!sorted_by_goid(recs, n))
		qsort(recs, n, sizeof(*recs), cmp_goid);
	for (i = 0; i < n && !others_live; i++)
		others_live = recs[i].g.goid != GOID_MAIN && !recs[i].runtime_only &&
			      recs[i].g.reach != BW_REACH_DEAD;
	for (i = 0; i < n; i++) {
		struct bw_gorec *r = &recs[i];
		struct track *old = next_track(t, &cursor, r->g.goid);
		__u64 fp = fingerprint(&r->g), age = 0;
		bool in_place = r->g.in_place;

		tracks[i].goid = r->g.goid;
		tracks[i].gaddr = r->g.gaddr;
		tracks[i].fingerprint = fp;
		tracks[i].first_ns = now_ns;
		if (old && old->gaddr == r->g.gaddr && old->fingerprint == fp) {
			tracks[i].first_ns = old->first_ns;
			in_place = true;
		}
		age = now_ns - tracks[i].first_ns;
		r->age_source = BW_AGE_WATCHED;
		/* waitsince: a GC saw it parked then, and running would have reset it. */
		if (r->g.waitsince_ns > 0 && (__u64)r->g.waitsince_ns < now_ns &&
		    now_ns - r->g.waitsince_ns > age) {
			age = now_ns - r->g.waitsince_ns;
			r->age_source = BW_AGE_WAITSINCE;
		}
		/* The opt-in probes saw the park itself. */
		if (r->g.park_ns && r->g.park_ns <= now_ns) {
			age = now_ns - r->g.park_ns;
			r->age_source = BW_AGE_PROBE;
		}
		r->blocked_ns = age;
		/*
		 * Judged at any age for the snapshots; under the threshold the
		 * live verdict is none and its evidence stays as it was, but
		 * for a proof seen twice in place: a proof needs no age.
		 */
		why = r->g.why;
		r->verdict_any = verdict_of(r, 0, benign, memo, others_live);
		r->why_any = r->g.why;
		r->verdict = r->verdict_any;
		if (r->blocked_ns < threshold_ns && !(in_place && proven(r->verdict_any))) {
			r->verdict = BW_VERDICT_NONE;
			r->g.why = why;
		}

		j = group_of(t->group_of_key, &groups, &ng, &cap, site_key_memo(sites, r));
		if (j < 0 || !groups) { /* groups is set once j >= 0: for the analyzer */
			err = j < 0 ? j : -EFAULT;
			goto cleanup;
		}
		if (!groups[j].count) {
			groups[j].wait_reason = r->g.wait_reason;
			groups[j].blocked_at = r->blocked_at;
			groups[j].created_by = r->created_by;
		}
		r->group = j;
		groups[j].count++;
		if (r->verdict != BW_VERDICT_NONE)
			bw_gogroup_add_reported(&groups[j], r);
	}
	free(t->tracks);
	t->tracks = tracks;
	t->ntracks = n;
	tracks = NULL;
	err = update_sites(t, groups, ng, now_ns);
	if (err)
		goto cleanup;
	report_cycles_whole(recs, n, groups);
	if (!groups)
		groups = calloc(1, sizeof(*groups)); /* never NULL on success, as before */
	if (!groups) {
		err = -ENOMEM;
		goto cleanup;
	}
	*groups_out = groups;
	*ngroups = ng;
	groups = NULL;
cleanup:
	free(tracks);
	free(groups);
	return err;
}
