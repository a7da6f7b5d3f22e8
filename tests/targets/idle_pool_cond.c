// SPDX-License-Identifier: GPL-2.0
/*
 * A pool of three "worker"s on one condition variable that ran 60 tasks, one
 * at a time, and now waits for more that will not come: each worker idle,
 * wait condvar (a pool: several threads on one object, woken from it before).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include "announce.h"

#define WORKERS 3
#define TASKS 60

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static int queued, finished;

static void *worker_thread(void *arg)
{
	bool told = false;

	pthread_mutex_lock(&lock);
	for (;;) {
		while (!queued) {
			if (finished == TASKS && !told) {
				announce("worker", "idle", "condvar", SYS_futex);
				told = true;
			}
			pthread_cond_wait(&work, &lock);
		}
		queued--;
		finished++;
		pthread_cond_signal(&done);
	}
	return NULL;
}

int main(void)
{
	pthread_t t;
	int i;

	for (i = 0; i < WORKERS; i++) {
		if (pthread_create(&t, NULL, worker_thread, NULL))
			announce_die("idle_pool_cond: failed to create threads\n");
		pthread_setname_np(t, "worker");
	}
	/* One task at a time, so that every worker gets to wake for some. */
	for (i = 0; i < TASKS; i++) {
		pthread_mutex_lock(&lock);
		queued++;
		pthread_cond_signal(&work);
		while (finished <= i)
			pthread_cond_wait(&done, &lock);
		pthread_mutex_unlock(&lock);
		announce_pause_ms(1);
	}
	/* The last worker to finish wakes the others, which then announce too. */
	pthread_mutex_lock(&lock);
	pthread_cond_broadcast(&work);
	pthread_mutex_unlock(&lock);
	announce_main_and_pause(WORKERS);
}
