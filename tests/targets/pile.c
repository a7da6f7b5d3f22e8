// SPDX-License-Identifier: GPL-2.0
/*
 * Leaks a thread every 150 ms at one site, 40 in all: each "piled" thread
 * waits on a condition variable nobody signals, at the same place. The
 * first three announce themselves (leak, wait condvar); the rest come after
 * "ready", unannounced: the test counts them from /proc. Every member is a
 * leak, the young ones included, once the site is seen growing.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include "announce.h"

#define PILE 40
#define ANNOUNCED 3
#define EVERY_MS 150

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static atomic_int started;

static void __attribute__((noinline)) wait_for_nothing(void)
{
	pthread_mutex_lock(&lock);
	for (;;)
		pthread_cond_wait(&never, &lock);
}

static void *pile_thread(void *arg)
{
	if (atomic_fetch_add(&started, 1) < ANNOUNCED)
		announce("pile", "leak", "condvar", SYS_futex);
	wait_for_nothing();
	return NULL;
}

static void spawn(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, pile_thread, NULL))
		announce_die("pile: failed to create threads\n");
	pthread_setname_np(t, "piled");
	pthread_detach(t);
}

int main(void)
{
	int i;

	for (i = 0; i < ANNOUNCED; i++) {
		spawn();
		announce_pause_ms(EVERY_MS);
	}
	announce("main", "idle", "sleep", SYS_NONE);
	announce_ready(ANNOUNCED + 1);
	for (; i < PILE; i++) {
		announce_pause_ms(EVERY_MS);
		spawn();
	}
	for (;;)
		pause();
}
