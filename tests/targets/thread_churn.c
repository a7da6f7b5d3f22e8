// SPDX-License-Identifier: GPL-2.0
/*
 * Threads created and destroyed by the thousand while two others sit in an
 * AB-BA deadlock. "churn" threads (CHURN_SPAWNERS of them) each start short
 * threads in a loop; every short thread takes a mutex, touches a counter and
 * exits, so tids come and go between and during blockwatch's scans.
 *
 * Tids wrap (pid_max is 32768 on many hosts), so a process's lowest tid is
 * not always its leader. When it may, the target moves the next pid to the
 * bottom of the range once its long-lived threads exist: its short threads
 * then get tids below its own pid, as on a host that has wrapped.
 *
 * With an argument N, it stops creating after N threads per spawner (the e2e
 * test), else it churns until killed (bench/soak.sh). Every 10000 threads it
 * writes "churned N" on stderr when CHURN_VERBOSE is set.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include "announce.h"

#define CHURN_SPAWNERS 2

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;
static atomic_long churned;
static long per_spawner; /* 0: forever */
static int verbose;

/* Best effort: needs CAP_SYS_ADMIN; without it the tids stay above the pid. */
static void wrap_tids(void)
{
	FILE *f;

	if (getpid() < 1000)
		return;
	f = fopen("/proc/sys/kernel/ns_last_pid", "w");
	if (!f)
		return;
	fprintf(f, "%d\n", 300);
	fclose(f);
}

static void *ab_first_thread(void *arg)
{
	pthread_mutex_lock(&lock_a);
	pthread_barrier_wait(&both_hold);
	announce("ab-first", "deadlock", "mutex", SYS_futex);
	pthread_mutex_lock(&lock_b);
	return NULL;
}

static void *ab_second_thread(void *arg)
{
	pthread_mutex_lock(&lock_b);
	pthread_barrier_wait(&both_hold);
	announce("ab-second", "deadlock", "mutex", SYS_futex);
	pthread_mutex_lock(&lock_a);
	return NULL;
}

static void *short_thread(void *arg)
{
	static long counter;

	pthread_mutex_lock(&count_lock);
	counter++;
	pthread_mutex_unlock(&count_lock);
	return NULL;
}

static void *spawner_thread(void *arg)
{
	pthread_t batch[8];
	long made = 0, before;
	int i, n;

	for (;;) {
		if (per_spawner && made >= per_spawner) {
			for (;;)
				pause();
		}
		for (n = 0; n < 8; n++)
			if (pthread_create(&batch[n], NULL, short_thread, NULL))
				break;
		for (i = 0; i < n; i++)
			pthread_join(batch[i], NULL);
		made += n;
		before = atomic_fetch_add(&churned, n);
		if (verbose && (before + n) / 10000 != before / 10000)
			fprintf(stderr, "churned %ld\n", before + n);
		if (!n)
			announce_pause_ms(1); /* out of threads for a moment */
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t first, second, spawner;
	int i;

	if (argc > 1)
		per_spawner = atol(argv[1]);
	verbose = getenv("CHURN_VERBOSE") != NULL;
	pthread_barrier_init(&both_hold, NULL, 2);
	if (pthread_create(&first, NULL, ab_first_thread, NULL) ||
	    pthread_create(&second, NULL, ab_second_thread, NULL))
		announce_die("thread_churn: failed to create threads\n");
	pthread_setname_np(first, "ab-first");
	pthread_setname_np(second, "ab-second");
	for (i = 0; i < CHURN_SPAWNERS; i++) {
		if (pthread_create(&spawner, NULL, spawner_thread, NULL))
			announce_die("thread_churn: failed to create a spawner\n");
		pthread_setname_np(spawner, "churn");
	}
	/* After the long-lived threads: only short ones sit below the pid. */
	wrap_tids();
	announce_main_and_pause(2);
}
