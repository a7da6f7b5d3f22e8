/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The idle waits of common runtimes and libraries: service threads and pool
 * workers that wait with no timeout by design (a JVM GC worker, CPython's
 * ThreadPoolExecutor workers, libuv's threadpool...). A thread that matches
 * is idle, not stuck: nothing is wrong with it waiting forever. Pure.
 *
 * An entry matches when every field it sets matches (fnmatch(3)):
 *   func    some frame of the user stack (symbolized function name);
 *   under   some frame further out than func's: its function or module;
 *   module  the module (file basename) of func's frame;
 *   comm    the thread's name (what frames cannot say: stripped binaries);
 *   proc    the process's name (keeps thread-name entries to their program).
 * Entries with frames work only where the binary has symbols (.symtab or
 * .dynsym); thread names work on any binary that keeps its runtime's names.
 * The table is in the README ("Runtime idle waits").
 */
#ifndef BW_IDLEWAIT_H
#define BW_IDLEWAIT_H

#include <stdbool.h>
#include <stddef.h>
#include "core/model.h"

struct bw_patterns;

struct bw_idle_rule {
	const char *runtime; /* "JVM", "CPython", ... */
	const char *what;    /* what the thread does, said in the verdict's why */
	const char *func;
	const char *under;
	const char *module;
	const char *comm;
	const char *proc;
};

struct bw_idle_input {
	const char *comm;	       /* the thread's name */
	const char *proc_comm;	       /* its process's (main thread's) name; NULL when unknown */
	const struct bw_frame *frames; /* user stack, innermost first */
	int nframes;
};

/* The built-in table; *n entries. */
const struct bw_idle_rule *bw_idle_table(size_t *n);
/* The first built-in entry matching the thread, or NULL. */
const struct bw_idle_rule *bw_idle_match(const struct bw_idle_input *in);
/*
 * The first frame whose function matches one of the user's patterns (the
 * --ignore file, parsed as --go-ignore's), or NULL.
 */
const char *bw_idle_user_match(const struct bw_patterns *user, const struct bw_idle_input *in);

#endif
