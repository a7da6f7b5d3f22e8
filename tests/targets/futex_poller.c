// SPDX-License-Identifier: GPL-2.0
/*
 * "poller" waits on a futex word nobody changes, 50 ms at a time, forever:
 * idle (a timed wait), and each of its blocks is a futex wait.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include "announce.h"

static unsigned int word;

static void *poller_thread(void *arg)
{
	struct timespec ts = { .tv_nsec = 50 * 1000000L };

	announce("poller", "idle", "futex", SYS_futex);
	for (;;)
		syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
	return NULL;
}

int main(void)
{
	pthread_t poller;

	if (pthread_create(&poller, NULL, poller_thread, NULL))
		announce_die("futex_poller: failed to create a thread\n");
	pthread_setname_np(poller, "poller");
	announce_main_and_pause(1);
}
