// SPDX-License-Identifier: GPL-2.0
/*
 * The built-in demo for "make demo": a small "service" with real bugs and
 * healthy threads, each named so the report reads well.
 *
 *	transfer-a, transfer-b	lock two accounts in opposite orders: deadlock
 *	queue-consumer		waits on a condvar nobody signals: stuck
 *	http-accept		accept on a loopback listener: idle
 *	event-loop		epoll_wait with nothing ready: idle
 *	ticker			sleeps a minute between ticks: idle
 *	cruncher		computes forever: never reported
 *	main			pause: idle
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "announce.h"

#define TICK_MS (60 * 1000L)

struct account {
	pthread_mutex_t lock;
	long balance;
};

static struct account alice = { PTHREAD_MUTEX_INITIALIZER, 100 };
static struct account bob = { PTHREAD_MUTEX_INITIALIZER, 100 };
static pthread_barrier_t both_locked;

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_nonempty = PTHREAD_COND_INITIALIZER;
static int queue_len;

static volatile unsigned long crunched;

static void transfer(const char *name, struct account *from, struct account *to, long amount)
{
	pthread_mutex_lock(&from->lock);
	pthread_barrier_wait(&both_locked);
	announce(name, "deadlock", "mutex", SYS_futex);
	pthread_mutex_lock(&to->lock);
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&to->lock);
	pthread_mutex_unlock(&from->lock);
}

static void *transfer_a_thread(void *arg)
{
	pthread_setname_np(pthread_self(), "transfer-a");
	transfer("transfer-a", &alice, &bob, 10);
	return NULL;
}

static void *transfer_b_thread(void *arg)
{
	pthread_setname_np(pthread_self(), "transfer-b");
	transfer("transfer-b", &bob, &alice, 20);
	return NULL;
}

static void *queue_consumer_thread(void *arg)
{
	pthread_setname_np(pthread_self(), "queue-consumer");
	pthread_mutex_lock(&queue_lock);
	announce("queue-consumer", "stuck", "condvar", SYS_futex);
	while (queue_len == 0)
		pthread_cond_wait(&queue_nonempty, &queue_lock);
	queue_len--;
	pthread_mutex_unlock(&queue_lock);
	return NULL;
}

static void *http_accept_thread(void *arg)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	pthread_setname_np(pthread_self(), "http-accept");
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 8))
		announce_die("demo: failed to listen on loopback: %s\n", strerror(errno));
	announce("http-accept", "idle", "accept", SYS_ANY);
	for (;;) {
		int conn = accept(fd, NULL, NULL);

		if (conn >= 0)
			close(conn);
	}
	return NULL;
}

static void *event_loop_thread(void *arg)
{
	struct epoll_event ev[8];
	int epfd = epoll_create1(EPOLL_CLOEXEC);

	pthread_setname_np(pthread_self(), "event-loop");
	if (epfd < 0)
		announce_die("demo: failed to create epoll set: %s\n", strerror(errno));
	announce("event-loop", "idle", "epoll", SYS_ANY);
	for (;;)
		epoll_wait(epfd, ev, 8, -1);
	return NULL;
}

static void *ticker_thread(void *arg)
{
	pthread_setname_np(pthread_self(), "ticker");
	announce("ticker", "idle", "sleep", SYS_ANY);
	for (;;)
		announce_pause_ms(TICK_MS);
	return NULL;
}

static void *cruncher_thread(void *arg)
{
	pthread_setname_np(pthread_self(), "cruncher");
	announce("cruncher", "none", "none", SYS_NONE);
	for (;;)
		crunched = crunched * 6364136223846793005UL + 1442695040888963407UL;
	return NULL;
}

int main(void)
{
	static void *(*const thread_fn[])(void *) = {
		transfer_a_thread, transfer_b_thread, queue_consumer_thread, http_accept_thread,
		event_loop_thread, ticker_thread,     cruncher_thread,
	};
	const int nthreads = sizeof(thread_fn) / sizeof(thread_fn[0]);
	pthread_t thread;
	int i;

	pthread_barrier_init(&both_locked, NULL, 2);
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&thread, NULL, thread_fn[i], NULL))
			announce_die("demo: failed to create threads\n");
	announce_main_and_pause(nthreads);
}
