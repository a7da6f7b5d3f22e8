// SPDX-License-Identifier: GPL-2.0
/*
 * A pool of three "worker"s taking tasks from one semaphore; they ran 60 of
 * them and now wait for more that will not come: each worker idle, wait
 * semaphore (a pool: several threads on one object, woken from it before).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <semaphore.h>
#include "announce.h"

#define WORKERS 3
#define TASKS 60

static sem_t tasks, done;
static atomic_int finished, told_count;

static void *worker_thread(void *arg)
{
	bool told = false;

	for (;;) {
		if (atomic_load(&finished) == TASKS && !told) {
			announce("worker", "idle", "semaphore", SYS_futex);
			told = true;
			atomic_fetch_add(&told_count, 1);
		}
		while (sem_wait(&tasks) && errno == EINTR)
			;
		if (atomic_load(&finished) == TASKS)
			continue; /* the wake-up to announce, not a task */
		atomic_fetch_add(&finished, 1);
		sem_post(&done);
	}
	return NULL;
}

int main(void)
{
	pthread_t t;
	int i;

	if (sem_init(&tasks, 0, 0) || sem_init(&done, 0, 0))
		announce_die("idle_pool_sem: failed to init semaphores\n");
	for (i = 0; i < WORKERS; i++) {
		if (pthread_create(&t, NULL, worker_thread, NULL))
			announce_die("idle_pool_sem: failed to create threads\n");
		pthread_setname_np(t, "worker");
	}
	for (i = 0; i < TASKS; i++) {
		sem_post(&tasks);
		while (sem_wait(&done) && errno == EINTR)
			;
		announce_pause_ms(1);
	}
	/* Wake workers, one at a time, until each has announced before waiting again. */
	while (atomic_load(&told_count) < WORKERS) {
		sem_post(&tasks);
		announce_pause_ms(5);
	}
	announce_main_and_pause(WORKERS);
}
