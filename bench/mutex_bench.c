// SPDX-License-Identifier: GPL-2.0
/*
 * mutex_bench: -t threads take one pthread mutex in turn, -n times in all,
 * with -k loop iterations of work inside the critical section and as many
 * outside. Every -y'th time the holder calls sched_yield() with the lock
 * held, as if preempted: whoever runs next blocks on the futex and is woken
 * by the unlock. So: a contended lock with many short blocks, on any number
 * of CPUs however busy they are. Prints
 *   mutex <ns> ns/op          wall time per lock/unlock, all threads together
 *   mutex_blocks <n> blocks/op  voluntary context switches per op
 * With -w it reads one line from stdin before starting (to attach first).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#define MAX_THREADS 256

struct shared {
	pthread_mutex_t lock;
	unsigned long counter;
	unsigned long ops_per_thread;
	unsigned int work; /* loop iterations inside the lock, and as many outside */
	unsigned long
		yield_every; /* sched_yield() holding the lock every this many ops, 0: never */
};

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *worker(void *arg)
{
	struct shared *s = arg;
	volatile unsigned int sink = 0;
	unsigned long i;
	unsigned int k;

	for (i = 0; i < s->ops_per_thread; i++) {
		pthread_mutex_lock(&s->lock);
		for (k = 0; k < s->work; k++)
			sink += k;
		if (s->yield_every && i % s->yield_every == 0)
			sched_yield(); /* the holder loses the CPU: the others block */
		s->counter++;
		pthread_mutex_unlock(&s->lock);
		for (k = 0; k < s->work; k++)
			sink += k;
	}
	return NULL;
}

static int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: mutex_bench [-t THREADS (4)] [-n OPS (500000)] [-k WORK (50)]\n"
			"                   [-y YIELD_EVERY (4)] [-w]\n");
	exit(1);
}

int main(int argc, char **argv)
{
	unsigned long nthreads = 4, ops = 500000, work = 50, yield_every = 4, i;
	pthread_t tids[MAX_THREADS];
	struct shared s = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct rusage ru0, ru1;
	unsigned long long t0, t1;
	char line[16];
	bool wait = false;
	int opt, err;

	while ((opt = getopt(argc, argv, "t:n:k:y:w")) != -1) {
		switch (opt) {
		case 't':
			if (parse_ulong(optarg, 1, MAX_THREADS, &nthreads))
				usage();
			break;
		case 'n':
			if (parse_ulong(optarg, 1, 1UL << 40, &ops))
				usage();
			break;
		case 'k':
			if (parse_ulong(optarg, 0, 1UL << 20, &work))
				usage();
			break;
		case 'y':
			if (parse_ulong(optarg, 0, 1UL << 40, &yield_every))
				usage();
			break;
		case 'w':
			wait = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	s.ops_per_thread = ops / nthreads;
	s.work = work;
	s.yield_every = yield_every;
	if (wait && !fgets(line, sizeof(line), stdin)) {
		fprintf(stderr, "mutex_bench: failed to read the start line from stdin\n");
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru0);
	t0 = now_ns();
	for (i = 0; i < nthreads; i++) {
		err = pthread_create(&tids[i], NULL, worker, &s);
		if (err) {
			fprintf(stderr, "mutex_bench: failed to create thread: %s\n",
				strerror(err));
			return 1;
		}
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	t1 = now_ns();
	getrusage(RUSAGE_SELF, &ru1);
	if (s.counter != s.ops_per_thread * nthreads) {
		fprintf(stderr, "mutex_bench: counter %lu, expected %lu\n", s.counter,
			s.ops_per_thread * nthreads);
		return 1;
	}
	printf("mutex %.1f ns/op\n", (double)(t1 - t0) / s.counter);
	printf("mutex_blocks %.3f blocks/op\n", (double)(ru1.ru_nvcsw - ru0.ru_nvcsw) / s.counter);
	return 0;
}
