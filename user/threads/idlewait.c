// SPDX-License-Identifier: GPL-2.0
#include <fnmatch.h>
#include <string.h>
#include "core/patterns.h"
#include "threads/idlewait.h"

/*
 * Seen on Debian 12 (see the README for the programs): HotSpot's libjvm.so
 * keeps its .symtab, so JVM entries match frames; CPython and redis export
 * the functions named here in .dynsym; jemalloc's background thread has no
 * symbol left and goes by its name.
 */
static const struct bw_idle_rule table[] = {
	/* CPython */
	{ "CPython", "queue get with no timeout (SimpleQueue: ThreadPoolExecutor worker)",
	  .func = "PyThread_acquire_lock_timed", .under = "_queue*" },
	{ "CPython", "threading lock acquire with no timeout (Condition/Event wait, Queue.get)",
	  .func = "PyThread_acquire_lock_timed", .under = "_PyEval_EvalFrameDefault" },
	/* JVM (HotSpot): service threads, by frame, then by name for stripped builds */
	{ "JVM", "GC worker gang waits for work", .func = "_ZN10GangWorker4loopEv" },
	{ "JVM", "G1 concurrent refinement waits for dirty cards",
	  .func = "_ZN24G1ConcurrentRefineThread*" },
	{ "JVM", "G1 concurrent marker waits for a cycle", .func = "_ZN22G1ConcurrentMarkThread*" },
	{ "JVM", "concurrent GC thread waits for work", .func = "_ZN18ConcurrentGCThread3runEv" },
	{ "JVM", "Reference Handler waits for pending references",
	  .func = "JVM_WaitForReferencePendingList" },
	{ "JVM", "Signal Dispatcher waits for a signal", .func = "_ZN2os11signal_waitEv" },
	{ "JVM", "Service Thread waits for events", .func = "_ZN13ServiceThread*" },
	{ "JVM", "Notification Thread waits for events", .func = "_ZN18NotificationThread*" },
	{ "JVM", "compiler thread waits for methods to compile",
	  .func = "_ZN12CompileQueue3getEv" },
	{ "JVM", "VM Thread waits for operations", .func = "_ZN8VMThread4loopEv" },
	{ "JVM", "periodic task thread", .func = "_ZN13WatcherThread*" },
	{ "JVM", "a parked Java thread (LockSupport.park: pool worker, java.util.concurrent wait)",
	  .func = "_ZN6Parker4park*", .under = "Unsafe_Park" },
	{ "JVM", "Object.wait of a Java service thread (Finalizer, Common-Cleaner)",
	  .func = "JVM_MonitorWait", .comm = "Finalizer" },
	{ "JVM", "Object.wait of a Java service thread (Finalizer, Common-Cleaner)",
	  .func = "JVM_MonitorWait", .comm = "Common-Cleaner" },
	{ "JVM", "GC worker thread", .comm = "GC Thread#*", .proc = "java" },
	{ "JVM", "G1 refinement thread", .comm = "G1 Refine#*", .proc = "java" },
	{ "JVM", "G1 concurrent thread", .comm = "G1 Conc#*", .proc = "java" },
	{ "JVM", "G1 marker thread", .comm = "G1 Main Marker", .proc = "java" },
	{ "JVM", "G1 service thread", .comm = "G1 Service", .proc = "java" },
	{ "JVM", "Reference Handler", .comm = "Reference Handl", .proc = "java" },
	{ "JVM", "Finalizer", .comm = "Finalizer", .proc = "java" },
	{ "JVM", "Signal Dispatcher", .comm = "Signal Dispatch", .proc = "java" },
	{ "JVM", "Service Thread", .comm = "Service Thread", .proc = "java" },
	{ "JVM", "Notification Thread", .comm = "Notification Th", .proc = "java" },
	{ "JVM", "Common-Cleaner", .comm = "Common-Cleaner", .proc = "java" },
	{ "JVM", "compiler thread", .comm = "C[12] CompilerThre", .proc = "java" },
	{ "JVM", "VM Thread", .comm = "VM Thread", .proc = "java" },
	{ "JVM", "VM Periodic Task Thread", .comm = "VM Periodic Tas", .proc = "java" },
	{ "JVM", "thread pool worker (Executors default thread names)", .comm = "pool-*-thread-*",
	  .proc = "java" },
	/* libuv / Node.js */
	{ "libuv", "threadpool worker waits for work", .func = "uv_cond_wait", .under = "worker" },
	{ "libuv", "threadpool worker", .comm = "libuv-worker" },
	{ "Node.js", "inspector I/O thread", .func = "*inspector*" },
	{ "Node.js", "V8 platform worker waits for tasks", .func = "*WorkerThreadsTaskRunner*" },
	/* glib */
	{ "glib", "thread pool worker waits for work", .func = "g_thread_pool_thread_proxy" },
	{ "glib", "async queue pop (pool worker)", .func = "g_async_queue_pop*" },
	{ "glib", "GDBus worker", .comm = "gdbus" },
	{ "glib", "GMain context thread", .comm = "gmain" },
	/* allocators */
	{ "jemalloc", "background purging thread", .func = "background_thread_entry" },
	{ "jemalloc", "background purging thread", .comm = "jemalloc_bg_thd" },
	{ "tcmalloc", "background release thread", .func = "*tcmalloc*Background*" },
	/* OpenMP / OpenBLAS */
	{ "OpenMP", "libgomp team thread waits for a parallel region",
	  .func = "gomp_team_barrier_wait*" },
	{ "OpenMP", "libgomp idle thread", .func = "gomp_thread_start" },
	{ "OpenMP", "LLVM/Intel OpenMP worker", .func = "__kmp_suspend*" },
	{ "OpenBLAS", "BLAS server thread waits for work", .func = "blas_thread_server" },
	/* Go runtime threads waiting in C (cgo) */
	{ "Go", "runtime thread parked", .func = "runtime.futex*" },
	{ "Go", "runtime thread parked", .func = "runtime.notesleep" },
	/* .NET */
	{ ".NET", "runtime thread (finalizer, tiered compilation, GC)", .func = "*CLREvent*Wait*" },
	{ ".NET", "finalizer thread", .comm = ".NET Finalizer" },
	{ ".NET", "thread pool worker", .comm = ".NET TP Worker" },
	{ ".NET", "GC server thread", .comm = ".NET Server GC" },
	{ ".NET", "background GC thread", .comm = ".NET BGC" },
	/* daemons */
	{ "redis", "background I/O job thread (bio)", .func = "bioProcessBackgroundJobs" },
	{ "redis", "background I/O job thread (bio)", .comm = "bio_*", .proc = "redis-server" },
	{ "redis", "I/O thread", .comm = "io_thd_*", .proc = "redis-server" },
};

const struct bw_idle_rule *bw_idle_table(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

static bool match(const char *pat, const char *s)
{
	return s && *s && !fnmatch(pat, s, 0);
}

static const char *base(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/*
 * The function a frame stands for under another: a Python frame shown in
 * place of the eval loop that ran it (a stack read back from a snapshot)
 * is, to the table, that loop.
 */
static const char *under_name(const struct bw_frame *fr)
{
	return fr->source == BW_SYM_PYTHON ? "_PyEval_EvalFrameDefault" : fr->func;
}

static bool rule_matches(const struct bw_idle_rule *r, const struct bw_idle_input *in)
{
	int i, j;

	if (r->comm && !match(r->comm, in->comm))
		return false;
	if (r->proc && !(in->proc_comm && match(r->proc, in->proc_comm)))
		return false;
	if (!r->func)
		return true;
	for (i = 0; i < in->nframes; i++) {
		if (!match(r->func, in->frames[i].func))
			continue;
		if (r->module && !match(r->module, base(in->frames[i].module)))
			continue;
		if (!r->under)
			return true;
		for (j = i + 1; j < in->nframes; j++)
			if (match(r->under, under_name(&in->frames[j])) ||
			    match(r->under, base(in->frames[j].module)))
				break;
		if (j < in->nframes)
			return true;
	}
	return false;
}

const struct bw_idle_rule *bw_idle_match(const struct bw_idle_input *in)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (rule_matches(&table[i], in))
			return &table[i];
	return NULL;
}

const char *bw_idle_user_match(const struct bw_patterns *user, const struct bw_idle_input *in)
{
	int i;

	for (i = 0; user && i < in->nframes; i++)
		if (in->frames[i].func[0] && bw_patterns__match(user, in->frames[i].func))
			return in->frames[i].func;
	return NULL;
}
