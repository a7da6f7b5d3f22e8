// SPDX-License-Identifier: GPL-2.0
/*
 * threads: a target with -n threads (default 10000) parked for good on one
 * condition variable nobody signals (64 KiB stacks). Prints "ready N" on
 * stdout once every thread is about to wait, then sleeps until killed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static pthread_cond_t started_cond = PTHREAD_COND_INITIALIZER;
static unsigned long started;

static void *parked(void *arg)
{
	pthread_mutex_lock(&lock);
	started++;
	pthread_cond_signal(&started_cond);
	for (;;)
		pthread_cond_wait(&never, &lock);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long n = 10000, i;
	pthread_attr_t attr;
	pthread_t tid;
	char *end;
	int opt, err;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n') {
			fprintf(stderr, "usage: threads [-n THREADS (10000)]\n");
			return 1;
		}
		errno = 0;
		n = strtoul(optarg, &end, 10);
		if (errno || end == optarg || *end || !n || n > 1000000) {
			fprintf(stderr, "threads: invalid -n: %s\n", optarg);
			return 1;
		}
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = 0; i < n; i++) {
		err = pthread_create(&tid, &attr, parked, NULL);
		if (err) {
			fprintf(stderr, "threads: failed to create thread %lu: %s\n", i,
				strerror(err));
			return 1;
		}
	}
	pthread_mutex_lock(&lock);
	while (started < n)
		pthread_cond_wait(&started_cond, &lock);
	pthread_mutex_unlock(&lock);
	printf("ready %lu\n", n);
	fflush(stdout);
	for (;;)
		pause();
}
