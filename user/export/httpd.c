// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <microhttpd.h>
#include "export/httpd.h"
#include "core/parse.h"
#include "export/prom.h"
#include "export/webhook.h"

/* The access handler returns enum MHD_Result from 0.9.71 on, int before. */
#if MHD_VERSION >= 0x00097002
typedef enum MHD_Result mhd_result;
#else
typedef int mhd_result;
#endif

#define HOST_MAX_BYTES 64  /* longer than any numeric address */
#define STOP_DRAIN_MS 2000 /* at stop, for the answered POSTs to go out */

struct bw_httpd {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;
	char *text; /* NULL until the first publish */
	size_t len;
	__u16 port;
	bool loopback;		   /* listens on 127.0.0.0/8 or ::1 only */
	bool writes;		   /* the POST endpoints are served */
	char *token;		   /* the bearer token they need; NULL: none */
	int wake_fd;		   /* eventfd: counts requests queued for the main loop */
	struct bw_httpd_req *head; /* queued, oldest first (under lock) */
	struct bw_httpd_req *tail;
	size_t suspended; /* queued connections not yet done: answer not sent (under lock) */
	bool stopping;	  /* under lock */
};

/* The state of one POST's connection, from its headers to its answer. */
struct conn {
	char *body;
	size_t len;
	bool too_big;
	bool queued;
	struct bw_httpd_req req;
};

/* Any non-NULL *req of a GET or HEAD: "headers seen". */
static char get_seen;

union addr {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

static mhd_result send_typed(struct MHD_Connection *conn, unsigned int status,
			     struct MHD_Response *resp, const char *type, const char *allow)
{
	mhd_result ret;

	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static mhd_result send_response(struct MHD_Connection *conn, unsigned int status,
				struct MHD_Response *resp)
{
	return send_typed(conn, status, resp,
			  status == MHD_HTTP_OK ? BW_PROM_CONTENT_TYPE : BW_HTTPD_TEXT_TYPE,
			  "GET, HEAD");
}

static mhd_result send_text(struct MHD_Connection *conn, unsigned int status, const char *text)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	return resp ? send_response(conn, status, resp) : MHD_NO;
}

/* The client's address, numeric, for a log line. */
static void client_of(struct MHD_Connection *conn, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(buf, len, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, len);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, len);
}

/*
 * A refused request: its 4xx, and one line on stderr naming the client, the
 * method and path (cut, anything unprintable as '?': they are the client's)
 * and why.
 */
static mhd_result refuse(struct MHD_Connection *conn, const char *method, const char *url,
			 unsigned int status, const char *why, const char *allow)
{
	char client[INET6_ADDRSTRLEN + 1], path[65], text[160];
	struct MHD_Response *resp;
	size_t i;

	client_of(conn, client, sizeof(client));
	for (i = 0; i < sizeof(path) - 1 && url[i]; i++)
		path[i] = url[i] > ' ' && url[i] < 127 ? url[i] : '?';
	path[i] = '\0';
	fprintf(stderr, "blockwatch: refused %s %s from %s: %u %s\n",
		strlen(method) < 16 ? method : "?", path, client, status, why);
	snprintf(text, sizeof(text), "%s\n", why);
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_COPY);
	return resp ? send_typed(conn, status, resp, BW_HTTPD_TEXT_TYPE, allow) : MHD_NO;
}

/* Equal in a time that does not depend on where they differ. */
static bool token_equal(const char *given, const char *want)
{
	size_t glen = strlen(given), wlen = strlen(want), i;
	unsigned char diff = glen != wlen;

	for (i = 0; i < wlen; i++)
		diff |= (unsigned char)want[i] ^ (unsigned char)(i < glen ? given[i] : 0);
	return !diff;
}

/* 0 when a POST may go on; else the status to refuse it with, and why. */
static unsigned int check_post(const struct bw_httpd *h, struct MHD_Connection *conn,
			       const char **why)
{
	const char *auth, *p;

	if (!h->writes) {
		*why = "not found (blockwatch runs without --snapshot-dir)";
		return MHD_HTTP_NOT_FOUND;
	}
	if (!h->token) {
		if (h->loopback)
			return 0;
		*why = "forbidden: writes on a non-loopback address need --http-token";
		return MHD_HTTP_FORBIDDEN;
	}
	auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!auth || strncasecmp(auth, "Bearer ", 7)) {
		*why = "unauthorized: no bearer token";
		return MHD_HTTP_UNAUTHORIZED;
	}
	for (p = auth + 7; *p == ' '; p++)
		;
	if (!token_equal(p, h->token)) {
		*why = "unauthorized: wrong bearer token";
		return MHD_HTTP_UNAUTHORIZED;
	}
	return 0;
}

/* Hands a parsed request to the main loop and parks its connection until answered. */
static mhd_result queue_req(struct bw_httpd *h, struct MHD_Connection *conn, struct conn *c)
{
	__u64 one = 1;
	ssize_t wrote;

	pthread_mutex_lock(&h->lock);
	if (h->stopping) {
		pthread_mutex_unlock(&h->lock);
		return send_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "stopping\n");
	}
	c->queued = true;
	c->req.conn = conn;
	c->req.next = NULL;
	if (h->tail)
		h->tail->next = &c->req;
	else
		h->head = &c->req;
	h->tail = &c->req;
	h->suspended++;
	MHD_suspend_connection(conn);
	pthread_mutex_unlock(&h->lock);
	/* Fails only with the counter full: the main loop is woken anyway. */
	wrote = write(h->wake_fd, &one, sizeof(one));
	(void)wrote;
	return MHD_YES;
}

/* The last call of a POST: its answer when there is one, else parse and queue it. */
static mhd_result finish_post(struct bw_httpd *h, struct MHD_Connection *conn, const char *url,
			      struct conn *c)
{
	struct MHD_Response *resp;
	char why[128];

	if (c->queued) {
		const char *text = c->req.answer ? c->req.answer : "";

		resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
						       MHD_RESPMEM_MUST_COPY);
		return resp ? send_typed(conn, c->req.status, resp, c->req.type, "POST") : MHD_NO;
	}
	if (c->too_big)
		return refuse(conn, "POST", url, MHD_HTTP_CONTENT_TOO_LARGE,
			      "request body over 1 MiB", "POST");
	if (!strcmp(url, "/snapshot")) {
		c->req.kind = BW_HTTPD_SNAPSHOT;
		if (bw_parse_pid(MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "pid"),
				 &c->req.pid))
			return refuse(conn, "POST", url, MHD_HTTP_BAD_REQUEST,
				      "bad request: want ?pid=N", "POST");
		return queue_req(h, conn, c);
	}
	c->req.kind = BW_HTTPD_ALERTS;
	switch (bw_webhook_parse(c->body ? c->body : "", c->len, &c->req.targets, &c->req.ntargets,
				 why, sizeof(why))) {
	case 0:
		return queue_req(h, conn, c);
	case -ENOMEM:
		return send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	default:
		return refuse(conn, "POST", url, MHD_HTTP_BAD_REQUEST, why, "POST");
	}
}

/* POST /snapshot and /alertmanager: checked on the headers, the body gathered, then queued. */
static mhd_result handle_post(struct bw_httpd *h, struct MHD_Connection *conn, const char *url,
			      const char *upload, size_t *upload_len, void **req)
{
	struct conn *c = *req;
	const char *why, *clen;
	unsigned int status;
	__u64 n;

	if (!c) {
		status = check_post(h, conn, &why);
		if (status)
			return refuse(conn, "POST", url, status, why, "POST");
		c = calloc(1, sizeof(*c));
		if (!c)
			return MHD_NO;
		*req = c;
		clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						   MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (clen && !bw_parse_uint(clen, 0, ~0ULL, &n) && n > BW_HTTPD_BODY_MAX_BYTES)
			c->too_big = true;
		return MHD_YES;
	}
	if (*upload_len) {
		if (!c->too_big && c->len + *upload_len > BW_HTTPD_BODY_MAX_BYTES) {
			c->too_big = true;
		} else if (!c->too_big) {
			char *nb = realloc(c->body, c->len + *upload_len + 1);

			if (!nb)
				return MHD_NO;
			memcpy(nb + c->len, upload, *upload_len);
			c->body = nb;
			c->len += *upload_len;
			c->body[c->len] = '\0';
		}
		*upload_len = 0;
		return MHD_YES;
	}
	return finish_post(h, conn, url, c);
}

static mhd_result handle(void *cls, struct MHD_Connection *conn, const char *url,
			 const char *method, const char *version, const char *upload,
			 size_t *upload_len, void **req)
{
	struct bw_httpd *h = cls;
	struct MHD_Response *resp = NULL;
	bool post_path = !strcmp(url, "/snapshot") || !strcmp(url, "/alertmanager");
	bool published;

	if (post_path && !strcmp(method, MHD_HTTP_METHOD_POST))
		return handle_post(h, conn, url, upload, upload_len, req);
	if (post_path)
		return refuse(conn, method, url, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
			      "POST");
	/*
	 * The first call has the headers only; answering there makes libmicrohttpd
	 * close the connection. Answer on the next one: keep-alive for scrapers.
	 */
	if (!*req) {
		*req = &get_seen;
		return MHD_YES;
	}
	if (*upload_len) {
		*upload_len = 0; /* a body we ignore */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return refuse(conn, method, url, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
			      "GET, HEAD");
	if (strcmp(url, "/metrics"))
		return refuse(conn, method, url, MHD_HTTP_NOT_FOUND, "not found", "GET, HEAD");
	pthread_mutex_lock(&h->lock);
	published = h->text != NULL;
	if (published)
		resp = MHD_create_response_from_buffer(h->len, h->text, MHD_RESPMEM_MUST_COPY);
	pthread_mutex_unlock(&h->lock);
	if (!published)
		return send_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "no scan yet\n");
	if (!resp)
		return MHD_NO;
	return send_response(conn, MHD_HTTP_OK, resp);
}

/* "ADDR:PORT", "[V6]:PORT" or ":PORT" into addr; *any: the empty ADDR. */
static int parse_addr(const char *s, union addr *addr, bool *any)
{
	char host[HOST_MAX_BYTES];
	const char *colon, *end;
	__u64 port;
	size_t len;
	int err;

	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		colon = end + 1;
		s++;
		if (end == s)
			return -EINVAL;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		end = colon;
	}
	len = end - s;
	if (len >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, len);
	host[len] = '\0';
	err = bw_parse_uint(colon + 1, 0, 65535, &port);
	if (err)
		return -EINVAL;

	memset(addr, 0, sizeof(*addr));
	*any = !len;
	if (*any) {
		addr->in6.sin6_family = AF_INET6;
		addr->in6.sin6_addr = in6addr_any;
		addr->in6.sin6_port = htons(port);
	} else if (inet_pton(AF_INET, host, &addr->in4.sin_addr) == 1 && end[0] == ':') {
		addr->in4.sin_family = AF_INET;
		addr->in4.sin_port = htons(port);
	} else if (inet_pton(AF_INET6, host, &addr->in6.sin6_addr) == 1 && end[0] == ']') {
		addr->in6.sin6_family = AF_INET6;
		addr->in6.sin6_port = htons(port);
	} else {
		return -EINVAL;
	}
	return 0;
}

/* A connection's end: what its POST held goes. */
static void completed(void *cls, struct MHD_Connection *conn, void **req,
		      enum MHD_RequestTerminationCode code)
{
	struct bw_httpd *h = cls;
	struct conn *c = *req;

	if (!c || *req == (void *)&get_seen)
		return;
	if (c->queued) {
		/* Counted down once the answer is out, not when it is queued: stop drains on this. */
		pthread_mutex_lock(&h->lock);
		h->suspended--;
		pthread_mutex_unlock(&h->lock);
	}
	free(c->body);
	free(c->req.targets);
	free(c->req.answer);
	free(c);
	*req = NULL;
}

static struct MHD_Daemon *start(struct bw_httpd *h, union addr *addr, unsigned int flags)
{
	return MHD_start_daemon(flags | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, handle, h,
				MHD_OPTION_SOCK_ADDR, &addr->sa, MHD_OPTION_NOTIFY_COMPLETED,
				completed, h, MHD_OPTION_CONNECTION_LIMIT, 64u,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, 8u,
				MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
}

static bool is_loopback(const union addr *a)
{
	if (a->sa.sa_family == AF_INET)
		return (ntohl(a->in4.sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&a->in6.sin6_addr) ||
	       (IN6_IS_ADDR_V4MAPPED(&a->in6.sin6_addr) && a->in6.sin6_addr.s6_addr[12] == 127);
}

int bw_httpd__start(const char *addr_port, struct bw_httpd **out)
{
	return bw_httpd__start_opts(addr_port, NULL, out);
}

int bw_httpd__start_opts(const char *addr_port, const struct bw_httpd_opts *opts,
			 struct bw_httpd **out)
{
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD;
	const union MHD_DaemonInfo *info;
	struct bw_httpd *h = NULL;
	union addr addr;
	bool any;
	int err;

	if (!addr_port || !out)
		return -EINVAL;
	err = parse_addr(addr_port, &addr, &any);
	if (err)
		return err;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->wake_fd = -1;
	err = -pthread_mutex_init(&h->lock, NULL);
	if (err) {
		free(h);
		return err;
	}
	h->loopback = !any && is_loopback(&addr);
	if (opts && opts->writes) {
		h->writes = true;
		h->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (h->wake_fd < 0) {
			err = -errno;
			goto cleanup;
		}
		if (opts->token && !(h->token = strdup(opts->token))) {
			err = -ENOMEM;
			goto cleanup;
		}
	}

	if (addr.sa.sa_family == AF_INET6)
		flags |= any ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
	errno = 0;
	h->daemon = start(h, &addr, flags);
	if (!h->daemon && any && errno == EAFNOSUPPORT) {
		/* A kernel without IPv6 (ipv6.disable=1): every IPv4 address. */
		__u16 port = addr.in6.sin6_port;

		memset(&addr, 0, sizeof(addr));
		addr.in4.sin_family = AF_INET;
		addr.in4.sin_addr.s_addr = htonl(INADDR_ANY);
		addr.in4.sin_port = port;
		errno = 0;
		h->daemon = start(h, &addr, MHD_USE_AUTO_INTERNAL_THREAD);
	}
	if (!h->daemon) {
		err = errno ? -errno : -EIO;
		goto cleanup;
	}
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (!info) {
		err = -EIO;
		goto cleanup;
	}
	h->port = info->port;
	*out = h;
	return 0;

cleanup:
	bw_httpd__stop(h);
	return err;
}

__u16 bw_httpd__port(const struct bw_httpd *h)
{
	return h->port;
}

int bw_httpd__publish(struct bw_httpd *h, const char *text, size_t len)
{
	char *copy, *old;

	if (!h || (!text && len))
		return -EINVAL;
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, text, len);
	pthread_mutex_lock(&h->lock);
	old = h->text;
	h->text = copy;
	h->len = len;
	pthread_mutex_unlock(&h->lock);
	free(old);
	return 0;
}

int bw_httpd__wake_fd(const struct bw_httpd *h)
{
	return h ? h->wake_fd : -1;
}

struct bw_httpd_req *bw_httpd__take(struct bw_httpd *h)
{
	struct bw_httpd_req *r;
	__u64 count;
	ssize_t got;

	if (!h || h->wake_fd < 0)
		return NULL;
	/* Resets the counter (EAGAIN when nothing was counted): the queue says. */
	got = read(h->wake_fd, &count, sizeof(count));
	(void)got;
	pthread_mutex_lock(&h->lock);
	r = h->head;
	if (r) {
		h->head = r->next;
		if (!h->head)
			h->tail = NULL;
		r->next = NULL;
	}
	pthread_mutex_unlock(&h->lock);
	return r;
}

void bw_httpd__answer(struct bw_httpd *h, struct bw_httpd_req *r, unsigned int status,
		      const char *type, const char *text)
{
	r->status = status;
	r->type = type;
	r->answer = strdup(text ? text : "");
	if (!r->answer)
		r->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	MHD_resume_connection(r->conn);
}

void bw_httpd__stop(struct bw_httpd *h)
{
	struct bw_httpd_req *r;
	int i;

	if (!h)
		return;
	if (h->daemon) {
		/* libmicrohttpd stops only with no connection suspended: answer what waits. */
		pthread_mutex_lock(&h->lock);
		h->stopping = true;
		r = h->head;
		h->head = h->tail = NULL;
		pthread_mutex_unlock(&h->lock);
		while (r) {
			struct bw_httpd_req *next = r->next;

			bw_httpd__answer(h, r, MHD_HTTP_SERVICE_UNAVAILABLE, BW_HTTPD_TEXT_TYPE,
					 "stopping\n");
			r = next;
		}
		for (i = 0; i < STOP_DRAIN_MS; i += 10) {
			size_t left;

			pthread_mutex_lock(&h->lock);
			left = h->suspended;
			pthread_mutex_unlock(&h->lock);
			if (!left)
				break;
			nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
		}
		MHD_stop_daemon(h->daemon);
	}
	if (h->wake_fd >= 0)
		close(h->wake_fd);
	pthread_mutex_destroy(&h->lock);
	free(h->token);
	free(h->text);
	free(h);
}
