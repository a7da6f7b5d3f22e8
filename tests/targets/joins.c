// SPDX-License-Identifier: GPL-2.0
/*
 * Joins take the verdict of the thread they join:
 *   joins-stuck       joins cv-waiter (stuck on a condvar nobody signals): stuck
 *   joins-sleeper     joins sleeper (a timed sleep: idle): idle
 *   joins-deadlocked  joins dl-first, deadlocked with dl-second: leak
 */
#define _GNU_SOURCE
#include <pthread.h>
#include "announce.h"

static pthread_mutex_t cv_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both;
static pthread_t cv_waiter, sleeper, dl_first, dl_second;

static void *cv_waiter_thread(void *arg)
{
	pthread_mutex_lock(&cv_lock);
	announce("cv-waiter", "stuck", "condvar", SYS_futex);
	for (;;)
		pthread_cond_wait(&cv, &cv_lock);
	return NULL;
}

static void *sleeper_thread(void *arg)
{
	announce("sleeper", "idle", "sleep", SYS_clock_nanosleep);
	for (;;)
		announce_pause_ms(3600 * 1000);
	return NULL;
}

static void *dl_first_thread(void *arg)
{
	pthread_mutex_lock(&a);
	pthread_barrier_wait(&both);
	announce("dl-first", "deadlock", "mutex", SYS_futex);
	pthread_mutex_lock(&b);
	return NULL;
}

static void *dl_second_thread(void *arg)
{
	pthread_mutex_lock(&b);
	pthread_barrier_wait(&both);
	announce("dl-second", "deadlock", "mutex", SYS_futex);
	pthread_mutex_lock(&a);
	return NULL;
}

static void *joiner_thread(void *arg)
{
	pthread_t *target = arg;
	const char *role = target == &cv_waiter ? "joins-stuck"
			   : target == &sleeper ? "joins-sleeper"
						: "joins-deadlocked";
	const char *expect = target == &cv_waiter ? "stuck" : target == &sleeper ? "idle" : "leak";

	announce(role, expect, "join", SYS_futex);
	pthread_join(*target, NULL);
	return NULL;
}

static void start(pthread_t *t, void *(*fn)(void *), void *arg, const char *name)
{
	if (pthread_create(t, NULL, fn, arg))
		announce_die("joins: failed to create threads\n");
	pthread_setname_np(*t, name);
}

int main(void)
{
	pthread_t j1, j2, j3;

	pthread_barrier_init(&both, NULL, 2);
	start(&cv_waiter, cv_waiter_thread, NULL, "cv-waiter");
	start(&sleeper, sleeper_thread, NULL, "sleeper");
	start(&dl_first, dl_first_thread, NULL, "dl-first");
	start(&dl_second, dl_second_thread, NULL, "dl-second");
	start(&j1, joiner_thread, &cv_waiter, "joins-stuck");
	start(&j2, joiner_thread, &sleeper, "joins-sleeper");
	start(&j3, joiner_thread, &dl_first, "joins-dl");
	announce_main_and_pause(7);
}
