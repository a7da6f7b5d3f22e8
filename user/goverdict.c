// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "goverdict.h"

#define GOID_MAIN 1
#define NSEC_PER_MIN 60e9
#define GROWTH_MIN_NS 1000000000ULL

/* Parks that are normal for as long as they last. */
static const char *const builtin_benign[] = {
	"net/http.(*persistConn).readLoop",
	"net/http.(*persistConn).writeLoop",
	"net/http.(*conn).serve",
	"net/http.(*connReader).backgroundRead",
	"net/http.(*Server).Serve",
	"net/http.(*http2*",
	"net/http.http2*",
	"net/http.(*Transport).dialConnFor",
	"os/signal.*",
	"database/sql.(*DB).connectionOpener",
	"database/sql.(*DB).connectionCleaner",
	"database/sql.(*DB).connectionResetter",
	"google.golang.org/grpc.*",
	"go.opencensus.io/stats/view.(*worker).start",
	"testing.tRunner",
	"testing.(*T).Run",
	"testing.(*M).*",
};

struct bw_gopatterns {
	char **pats;
	size_t n;
};

static int add_pattern(struct bw_gopatterns *p, const char *s, size_t len)
{
	char **np = realloc(p->pats, (p->n + 1) * sizeof(*np));

	if (!np)
		return -ENOMEM;
	p->pats = np;
	p->pats[p->n] = strndup(s, len);
	if (!p->pats[p->n])
		return -ENOMEM;
	p->n++;
	return 0;
}

int bw_gopatterns__new(FILE *f, struct bw_gopatterns **out)
{
	struct bw_gopatterns *p = calloc(1, sizeof(*p));
	char line[1024];
	size_t i;
	int err = 0;

	if (!p)
		return -ENOMEM;
	for (i = 0; !err && i < sizeof(builtin_benign) / sizeof(builtin_benign[0]); i++)
		err = add_pattern(p, builtin_benign[i], strlen(builtin_benign[i]));
	while (!err && f && fgets(line, sizeof(line), f)) {
		char *s = line, *e;

		if (!strchr(line, '\n') && !feof(f)) {
			err = -EINVAL; /* a line longer than any function name */
			break;
		}
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strcspn(s, "#\r\n");
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > s)
			err = add_pattern(p, s, e - s);
	}
	if (err) {
		bw_gopatterns__free(p);
		return err;
	}
	*out = p;
	return 0;
}

bool bw_gopatterns__match(const struct bw_gopatterns *p, const char *func)
{
	size_t i;

	for (i = 0; p && func && i < p->n; i++)
		if (!fnmatch(p->pats[i], func, 0))
			return true;
	return false;
}

void bw_gopatterns__free(struct bw_gopatterns *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		free(p->pats[i]);
	free(p->pats);
	free(p);
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

const char *bw_age_source_name(enum bw_age_source s)
{
	switch (s) {
	case BW_AGE_WAITSINCE:
		return "gc";
	case BW_AGE_PROBE:
		return "probe";
	default:
		return "watched";
	}
}

enum bw_gowait_class bw_gowait_class(const char *r)
{
	if (!r)
		return BW_GOWAIT_OTHER;
	if (strstr(r, "(nil chan)") || !strcmp(r, "select (no cases)"))
		return BW_GOWAIT_NILCHAN;
	if (starts(r, "chan ") || !strcmp(r, "select"))
		return BW_GOWAIT_CHAN;
	if (starts(r, "sync.") || !strcmp(r, "semacquire"))
		return BW_GOWAIT_SYNC;
	if (!strcmp(r, "IO wait"))
		return BW_GOWAIT_IO;
	if (!strcmp(r, "sleep"))
		return BW_GOWAIT_SLEEP;
	if (!strcmp(r, "syscall"))
		return BW_GOWAIT_SYSCALL;
	if (starts(r, "GC") || strstr(r, "(idle)") || starts(r, "finalizer") ||
	    starts(r, "trace") || starts(r, "debug call") || starts(r, "wait for GC") ||
	    !strcmp(r, "preempted") || starts(r, "stopping the world") || starts(r, "sweep") ||
	    starts(r, "timer") || starts(r, "force gc") || starts(r, "panicwait") ||
	    starts(r, "synctest") || starts(r, "cleanup wait"))
		return BW_GOWAIT_RUNTIME;
	return BW_GOWAIT_OTHER;
}

/* Frames that are the machinery of a wait rather than the code that waits. */
static bool is_wait_machinery(const char *f)
{
	return starts(f, "runtime.") || starts(f, "internal/") || starts(f, "sync.") ||
	       starts(f, "sync/atomic.") || !strcmp(f, "time.Sleep");
}

/* Packages whose goroutines are the runtime's own housekeeping. */
static bool runtime_package(const char *f)
{
	return starts(f, "runtime.") || starts(f, "unique.") || starts(f, "weak.") ||
	       starts(f, "internal/");
}

static const struct bw_gofunc unknown_func = { .name = "", .file = "" };

void bw_gorec_fill(struct bw_gorec *r, const struct bw_gobin *gb, const struct bw_goroutine *g)
{
	struct bw_gofunc fr[8];
	__u32 i;
	int n, j;

	memset(r, 0, sizeof(*r));
	r->g = *g;
	r->blocked_at = unknown_func;
	r->created_by = unknown_func;
	r->runtime_only = true;
	/* Every pc is a return address: the call is at pc - 1. */
	for (i = 0; i < g->npcs; i++) {
		n = bw_gobin__frames(gb, g->pcs[i] - 1, fr, 8);
		for (j = 0; j < n; j++) {
			if (!r->blocked_at.name[0])
				r->blocked_at = fr[j]; /* innermost until a better one */
			if (!is_wait_machinery(fr[j].name)) {
				r->blocked_at = fr[j];
				r->runtime_only = false;
				goto found;
			}
		}
	}
found:
	if (g->gopc && bw_gobin__frames(gb, g->gopc - 1, fr, 1) == 1)
		r->created_by = fr[0];
	if (r->created_by.name[0] && !runtime_package(r->created_by.name))
		r->runtime_only = false;
}

int bw_gorec_fill_stack(struct bw_gorec *r, const struct bw_gobin *gb)
{
	struct bw_gofunc fr[8];
	__u32 i;
	int n, j;

	if (r->stack)
		return 0;
	r->stack = calloc(BW_GO_FRAMES_MAX, sizeof(*r->stack));
	if (!r->stack)
		return -ENOMEM;
	for (i = 0; i < r->g.npcs && r->nstack < BW_GO_FRAMES_MAX; i++) {
		n = bw_gobin__frames(gb, r->g.pcs[i] - 1, fr, 8);
		for (j = 0; j < n && r->nstack < BW_GO_FRAMES_MAX; j++)
			r->stack[r->nstack++] = fr[j];
	}
	return 0;
}

void bw_gorecs_free(struct bw_gorec *recs, size_t n)
{
	size_t i;

	for (i = 0; recs && i < n; i++)
		free(recs[i].stack);
	free(recs);
}

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
};

int bw_gotracker__new(struct bw_gotracker **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void bw_gotracker__free(struct bw_gotracker *t)
{
	if (!t)
		return;
	free(t->tracks);
	free(t->sites);
	free(t);
}

static __u64 mix(__u64 h, __u64 v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h;
}

static __u64 hash_str(__u64 h, const char *s)
{
	while (s && *s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return mix(h, 0xff);
}

/*
 * Anything that changes when a goroutine runs: where it parked, its stack
 * bytes, what it waits on, its run-out counter. waitsince is left out: a
 * GC setting it is not the goroutine running.
 */
static __u64 fingerprint(const struct bw_goroutine *g)
{
	__u64 h = 0xcbf29ce484222325ULL;

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
	__u64 h = 0xcbf29ce484222325ULL;

	h = hash_str(h, r->g.wait_reason);
	h = hash_str(h, r->blocked_at.name);
	h = mix(h, r->blocked_at.line);
	h = hash_str(h, r->created_by.name);
	h = mix(h, r->created_by.line);
	return h;
}

static enum bw_verdict verdict_of(const struct bw_gorec *r, __u64 threshold_ns,
				  const struct bw_gopatterns *benign)
{
	enum bw_gowait_class cls = bw_gowait_class(r->g.wait_reason);
	int i;

	if (r->blocked_ns < threshold_ns)
		return BW_VERDICT_NONE;
	if (r->g.status == BW_GSTATUS_LEAKED)
		return BW_VERDICT_LEAK;
	/*
	 * main parked in main.main on a channel (select {}, <-signals, <-done)
	 * is how a program waits for its end, not a leak.
	 */
	if ((cls == BW_GOWAIT_NILCHAN || cls == BW_GOWAIT_CHAN) && r->g.goid == GOID_MAIN &&
	    !strcmp(r->blocked_at.name, "main.main"))
		return BW_VERDICT_IDLE;
	if (cls == BW_GOWAIT_NILCHAN)
		return BW_VERDICT_LEAK; /* can never wake: no pattern excuses it */
	if (cls == BW_GOWAIT_IO || cls == BW_GOWAIT_SLEEP || cls == BW_GOWAIT_RUNTIME ||
	    r->runtime_only)
		return BW_VERDICT_IDLE;
	if (bw_gopatterns__match(benign, r->blocked_at.name) ||
	    bw_gopatterns__match(benign, r->created_by.name))
		return BW_VERDICT_IDLE;
	for (i = 0; i < r->nstack; i++)
		if (bw_gopatterns__match(benign, r->stack[i].name))
			return BW_VERDICT_IDLE;
	/* A channel others can still reach may yet be sent to or closed. */
	if (cls == BW_GOWAIT_CHAN && r->g.chan_reachable)
		return BW_VERDICT_IDLE;
	if (cls == BW_GOWAIT_CHAN || cls == BW_GOWAIT_SYNC)
		return BW_VERDICT_LEAK;
	return BW_VERDICT_BLOCKED;
}

static struct track *find_track(struct bw_gotracker *t, __u64 goid)
{
	size_t lo = 0, hi = t->ntracks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->tracks[mid].goid == goid)
			return &t->tracks[mid];
		if (t->tracks[mid].goid < goid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
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

int bw_gotracker__update(struct bw_gotracker *t, struct bw_gorec *recs, size_t n, __u64 now_ns,
			 __u64 threshold_ns, const struct bw_gopatterns *benign,
			 struct bw_gogroup **groups_out, size_t *ngroups)
{
	struct track *tracks = calloc(n ? n : 1, sizeof(*tracks));
	struct bw_gogroup *groups = calloc(n ? n : 1, sizeof(*groups));
	size_t i, j, ng = 0;
	int err;

	if (!tracks || !groups) {
		free(tracks);
		free(groups);
		return -ENOMEM;
	}
	qsort(recs, n, sizeof(*recs), cmp_goid);
	for (i = 0; i < n; i++) {
		struct bw_gorec *r = &recs[i];
		struct track *old = find_track(t, r->g.goid);
		__u64 fp = fingerprint(&r->g), age = 0;

		tracks[i].goid = r->g.goid;
		tracks[i].gaddr = r->g.gaddr;
		tracks[i].fingerprint = fp;
		tracks[i].first_ns = now_ns;
		if (old && old->gaddr == r->g.gaddr && old->fingerprint == fp)
			tracks[i].first_ns = old->first_ns;
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
		r->verdict = verdict_of(r, threshold_ns, benign);

		__u64 key = site_key(r);

		for (j = 0; j < ng && groups[j].key != key; j++)
			;
		if (j == ng) {
			groups[ng].key = key;
			groups[ng].wait_reason = r->g.wait_reason;
			groups[ng].blocked_at = r->blocked_at;
			groups[ng].created_by = r->created_by;
			ng++;
		}
		r->group = j;
		groups[j].count++;
		if (r->verdict != BW_VERDICT_NONE) {
			groups[j].reported++;
			if (r->verdict > groups[j].verdict)
				groups[j].verdict = r->verdict;
			if (r->blocked_ns > groups[j].oldest_ns)
				groups[j].oldest_ns = r->blocked_ns;
		}
	}
	free(t->tracks);
	t->tracks = tracks;
	t->ntracks = n;
	err = update_sites(t, groups, ng, now_ns);
	if (err) {
		free(groups);
		return err;
	}
	*groups_out = groups;
	*ngroups = ng;
	return 0;
}
