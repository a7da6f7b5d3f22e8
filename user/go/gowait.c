// SPDX-License-Identifier: GPL-2.0
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "core/numfmt.h"
#include "go/gowait.h"

/*
 * Parks that are normal for as long as they last, where memory cannot
 * decide: reachability decides every channel and sync wait, so only the
 * waits woken from outside the heap are here. os/signal's loop sleeps in
 * the runtime until the kernel delivers a signal.
 */
static const char *const builtin_benign[] = {
	"os/signal.signal_recv",
	"os/signal.loop",
};

int bw_gobenign_add(struct bw_patterns *p)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < sizeof(builtin_benign) / sizeof(builtin_benign[0]); i++)
		err = bw_patterns__add(p, builtin_benign[i]);
	return err;
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
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
bool bw_gowait_machinery(const char *f)
{
	return starts(f, "runtime.") || starts(f, "internal/") || starts(f, "sync.") ||
	       starts(f, "sync/atomic.") || !strcmp(f, "time.Sleep");
}

/* Packages whose goroutines are the runtime's own housekeeping. */
bool bw_goruntime_package(const char *f)
{
	return starts(f, "runtime.") || starts(f, "unique.") || starts(f, "weak.") ||
	       starts(f, "internal/");
}

/* A frame of taking a sync.Mutex or RWMutex. */
bool bw_golock_frame(const char *name)
{
	return !strncmp(name, "sync.(*Mutex).", 14) || !strncmp(name, "sync.(*RWMutex).", 16);
}

static const char *sync_kind(const char *reason)
{
	if (!strcmp(reason, "sync.Cond.Wait"))
		return "cond";
	if (!strcmp(reason, "sync.WaitGroup.Wait"))
		return "waitgroup";
	if (!strncmp(reason, "sync.RWMutex", 12))
		return "rwmutex";
	if (!strcmp(reason, "sync.Mutex.Lock"))
		return "mutex";
	return "semaphore";
}

/* snprintf's contract, built piece by piece: text cut to fit, n what it would take. */
struct text {
	char *buf;
	size_t len, n;
};

static void add(struct text *t, const char *s, size_t n)
{
	if (t->n < t->len)
		memcpy(t->buf + t->n, s, t->n + n < t->len ? n : t->len - t->n);
	t->n += n;
}

static void add_str(struct text *t, const char *s)
{
	add(t, s, strlen(s));
}

static void add_num(struct text *t, __u64 v, bool hex)
{
	char num[BW_NUMFMT_MAX_BYTES];

	add(t, num, hex ? bw_fmt_hex(num, v) : bw_fmt_u64(num, v));
}

/* Without snprintf: a report of a million leaked goroutines writes a million of these. */
int bw_gowhy_text(const struct bw_goroutine *g, char *buf, size_t len)
{
	struct text t = { buf, len, 0 };

	switch (g->why) {
	case BW_WHY_NILCHAN:
		add_str(&t, "nil channel");
		break;
	case BW_WHY_NOCASES:
		add_str(&t, "select with no cases");
		break;
	case BW_WHY_CHAN:
	case BW_WHY_SYNC:
		add_str(&t, g->why == BW_WHY_CHAN ? "chan" : sync_kind(g->wait_reason));
		add_str(&t, " 0x");
		add_num(&t, g->wait_obj, true);
		add_str(&t, " reachable from no live goroutine or global");
		if (g->why_goid) {
			add_str(&t, "; also waited on by leaked goroutine ");
			add_num(&t, g->why_goid, false);
		}
		break;
	case BW_WHY_CYCLE:
		add_str(&t, sync_kind(g->wait_reason));
		add_str(&t, " 0x");
		add_num(&t, g->wait_obj, true);
		add_str(&t, " reachable from the stack of goroutine ");
		add_num(&t, g->why_goid, false);
		add_str(&t, ", itself leaked waiting on a lock of the same cycle");
		break;
	case BW_WHY_RUNTIME:
		add_str(&t, "marked leaked by the Go runtime's leak detector");
		break;
	default:
		break;
	}
	if (len)
		buf[t.n < len ? t.n : len - 1] = '\0';
	return t.n > INT_MAX ? INT_MAX : (int)t.n;
}
