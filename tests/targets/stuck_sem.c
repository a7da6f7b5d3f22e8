// SPDX-License-Identifier: GPL-2.0
/*
 * "sem-waiter" waits on a semaphore that starts at 0 and that nobody posts:
 * stuck, wait semaphore.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include "announce.h"

static sem_t items;

static void *sem_waiter_thread(void *arg)
{
	announce("sem-waiter", "stuck", "semaphore", SYS_futex);
	while (sem_wait(&items) < 0 && errno == EINTR)
		;
	return NULL;
}

int main(void)
{
	pthread_t waiter;

	sem_init(&items, 0, 0);
	if (pthread_create(&waiter, NULL, sem_waiter_thread, NULL))
		announce_die("stuck_sem: failed to create a thread\n");
	pthread_setname_np(waiter, "sem-waiter");
	announce_main_and_pause(1);
}
