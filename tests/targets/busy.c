// SPDX-License-Identifier: GPL-2.0
/*
 * Two threads spin on the CPU and never block: no record for either.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include "announce.h"

#define NSPINNERS 2

static const char *const role[NSPINNERS] = { "spinner-0", "spinner-1" };
static volatile unsigned long spins[NSPINNERS];

static void *spinner_thread(void *arg)
{
	int idx = (int)(long)arg;

	announce(role[idx], "none", "none", SYS_NONE);
	for (;;)
		spins[idx]++;
	return NULL;
}

int main(void)
{
	pthread_t thread[NSPINNERS];
	long i;

	for (i = 0; i < NSPINNERS; i++) {
		if (pthread_create(&thread[i], NULL, spinner_thread, (void *)i))
			announce_die("busy: failed to create threads\n");
		pthread_setname_np(thread[i], role[i]);
	}
	announce_main_and_pause(NSPINNERS);
}
