// SPDX-License-Identifier: GPL-2.0
/*
 * The main thread exits (pthread_exit) while two threads live on in an AB-BA
 * deadlock: the process is a zombie leader with live threads. Both threads:
 * deadlock, wait mutex. The main thread is gone: no record of it is expected
 * with a verdict (it has no user stack, no syscall), and it is announced
 * with expect none so the harness knows its tid (= the pid).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include "announce.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static void *first_thread(void *arg)
{
	pthread_mutex_lock(&lock_a);
	pthread_barrier_wait(&both_hold);
	announce("zm-first", "deadlock", "mutex", SYS_futex);
	pthread_mutex_lock(&lock_b);
	return NULL;
}

static void *second_thread(void *arg)
{
	pthread_mutex_lock(&lock_b);
	pthread_barrier_wait(&both_hold);
	announce("zm-second", "deadlock", "mutex", SYS_futex);
	pthread_mutex_lock(&lock_a);
	return NULL;
}

int main(void)
{
	pthread_t first, second;

	pthread_barrier_init(&both_hold, NULL, 2);
	if (pthread_create(&first, NULL, first_thread, NULL) ||
	    pthread_create(&second, NULL, second_thread, NULL))
		announce_die("zombie_main: failed to create threads\n");
	pthread_setname_np(first, "zm-first");
	pthread_setname_np(second, "zm-second");
	announce("main", "none", "none", SYS_NONE);
	announce_ready(3);
	/* The test waits for /proc/PID/stat to say Z before it runs blockwatch. */
	pthread_exit(NULL);
}
