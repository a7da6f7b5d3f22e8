// SPDX-License-Identifier: GPL-2.0
/*
 * Threads in the normal long waits of a healthy server, all idle:
 * epoll_wait on an epoll set with nothing ready, accept on a listening
 * loopback socket nobody connects to, a one-hour nanosleep, read on an empty
 * pipe and on an empty socket whose other ends stay open, poll and select
 * with no descriptors and an hour-long timeout. Main pauses.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include "announce.h"

#define HOUR_S 3600

struct idle_fds {
	int epoll;
	int listener;
	int pipe[2];
	int sock[2];
};

static void *epoll_thread(void *arg)
{
	const struct idle_fds *fds = arg;
	struct epoll_event ev[4];

	pthread_setname_np(pthread_self(), "epoll-wait");
	announce("epoll-wait", "idle", "epoll", SYS_ANY);
	for (;;)
		epoll_wait(fds->epoll, ev, 4, -1);
	return NULL;
}

static void *accept_thread(void *arg)
{
	const struct idle_fds *fds = arg;

	pthread_setname_np(pthread_self(), "acceptor");
	announce("acceptor", "idle", "accept", SYS_ANY);
	for (;;) {
		int conn = accept(fds->listener, NULL, NULL);

		if (conn >= 0)
			close(conn);
	}
	return NULL;
}

static void *sleep_thread(void *arg)
{
	pthread_setname_np(pthread_self(), "sleeper");
	announce("sleeper", "idle", "sleep", SYS_ANY);
	for (;;)
		announce_pause_ms(HOUR_S * 1000L);
	return NULL;
}

static void *pipe_read_thread(void *arg)
{
	const struct idle_fds *fds = arg;
	char buf[64];

	pthread_setname_np(pthread_self(), "pipe-reader");
	announce("pipe-reader", "idle", "pipe_read", SYS_read);
	for (;;)
		(void)!read(fds->pipe[0], buf, sizeof(buf));
	return NULL;
}

static void *socket_read_thread(void *arg)
{
	const struct idle_fds *fds = arg;
	char buf[64];

	pthread_setname_np(pthread_self(), "sock-reader");
	announce("sock-reader", "idle", "socket_read", SYS_read);
	for (;;)
		(void)!read(fds->sock[0], buf, sizeof(buf));
	return NULL;
}

static void *poll_thread(void *arg)
{
	pthread_setname_np(pthread_self(), "poller");
	announce("poller", "idle", "poll", SYS_ANY);
	for (;;)
		poll(NULL, 0, HOUR_S * 1000);
	return NULL;
}

static void *select_thread(void *arg)
{
	pthread_setname_np(pthread_self(), "selector");
	announce("selector", "idle", "select", SYS_ANY);
	for (;;) {
		struct timeval tv = { .tv_sec = HOUR_S };

		select(0, NULL, NULL, NULL, &tv);
	}
	return NULL;
}

static int listen_loopback(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 8))
		return -1;
	return fd;
}

int main(void)
{
	static void *(*const thread_fn[])(void *) = {
		epoll_thread,	    accept_thread, sleep_thread,  pipe_read_thread,
		socket_read_thread, poll_thread,   select_thread,
	};
	const int nthreads = sizeof(thread_fn) / sizeof(thread_fn[0]);
	static struct idle_fds fds;
	struct epoll_event ev = { .events = EPOLLIN };
	pthread_t thread;
	int i;

	fds.epoll = epoll_create1(EPOLL_CLOEXEC);
	fds.listener = listen_loopback();
	if (fds.epoll < 0 || fds.listener < 0 || pipe2(fds.pipe, O_CLOEXEC) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.sock))
		announce_die("idle: failed to set up descriptors: %s\n", strerror(errno));
	/* something to watch that never becomes ready: the empty pipe */
	ev.data.fd = fds.pipe[0];
	if (epoll_ctl(fds.epoll, EPOLL_CTL_ADD, fds.pipe[0], &ev))
		announce_die("idle: failed to add to epoll set: %s\n", strerror(errno));
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&thread, NULL, thread_fn[i], &fds))
			announce_die("idle: failed to create threads\n");
	announce_main_and_pause(nthreads);
}
