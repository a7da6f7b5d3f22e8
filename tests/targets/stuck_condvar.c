// SPDX-License-Identifier: GPL-2.0
/*
 * "cv-waiter" waits on a condition variable nobody ever signals: stuck, wait
 * condvar.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include "announce.h"

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_nonempty = PTHREAD_COND_INITIALIZER;
static int queue_len;

static void *cv_waiter_thread(void *arg)
{
	pthread_mutex_lock(&queue_lock);
	announce("cv-waiter", "stuck", "condvar", SYS_futex);
	while (queue_len == 0)
		pthread_cond_wait(&queue_nonempty, &queue_lock);
	pthread_mutex_unlock(&queue_lock);
	return NULL;
}

int main(void)
{
	pthread_t waiter;

	if (pthread_create(&waiter, NULL, cv_waiter_thread, NULL))
		announce_die("stuck_condvar: failed to create a thread\n");
	pthread_setname_np(waiter, "cv-waiter");
	announce_main_and_pause(1);
}
