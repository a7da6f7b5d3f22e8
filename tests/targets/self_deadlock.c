// SPDX-License-Identifier: GPL-2.0
/*
 * "relocker" locks a PTHREAD_MUTEX_NORMAL mutex it already holds: a cycle of
 * one. deadlock, wait mutex, owner_tid and waits_for its own tid.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include "announce.h"

static pthread_mutex_t lock;

static void *relocker_thread(void *arg)
{
	pthread_mutex_lock(&lock);
	announce("relocker", "deadlock", "mutex", SYS_futex);
	pthread_mutex_lock(&lock);
	return NULL;
}

int main(void)
{
	pthread_mutexattr_t attr;
	pthread_t relocker;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_NORMAL);
	pthread_mutex_init(&lock, &attr);
	if (pthread_create(&relocker, NULL, relocker_thread, NULL))
		announce_die("self_deadlock: failed to create a thread\n");
	pthread_setname_np(relocker, "relocker");
	announce_main_and_pause(1);
}
