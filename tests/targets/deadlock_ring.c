// SPDX-License-Identifier: GPL-2.0
/*
 * A three-thread lock cycle: "ring-N" holds lock[N] and waits for
 * lock[(N + 1) % 3], so ring-0 -> ring-1 -> ring-2 -> ring-0. All three:
 * deadlock, wait mutex, owner_tid the next thread in the ring.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include "announce.h"

#define RING_LEN 3

static pthread_mutex_t lock[RING_LEN] = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
					  PTHREAD_MUTEX_INITIALIZER };
static pthread_barrier_t all_hold;
static const char *const role[RING_LEN] = { "ring-0", "ring-1", "ring-2" };

static void *ring_thread(void *arg)
{
	int idx = (int)(long)arg;

	pthread_mutex_lock(&lock[idx]);
	pthread_barrier_wait(&all_hold);
	announce(role[idx], "deadlock", "mutex", SYS_futex);
	pthread_mutex_lock(&lock[(idx + 1) % RING_LEN]);
	return NULL;
}

int main(void)
{
	pthread_t thread[RING_LEN];
	long i;

	pthread_barrier_init(&all_hold, NULL, RING_LEN);
	for (i = 0; i < RING_LEN; i++) {
		if (pthread_create(&thread[i], NULL, ring_thread, (void *)i))
			announce_die("deadlock_ring: failed to create threads\n");
		pthread_setname_np(thread[i], role[i]);
	}
	announce_main_and_pause(RING_LEN);
}
