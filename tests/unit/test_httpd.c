// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <poll.h>
#include <criterion/criterion.h>
#include "export/httpd.h"
#include "export/prom.h"
#include "export/webhook.h"

struct reply {
	int status;
	char *head; /* status line and headers, NUL-terminated */
	char *body;
	size_t body_len;
};

static void reply_free(struct reply *r)
{
	free(r->head);
	free(r->body);
}

/*
 * One HTTP/1.1 request over a plain socket, read to EOF (Connection: close);
 * headers: more header lines ("K: V\r\n"...) or NULL; body: body_len bytes.
 */
static int fetch_with(__u16 port, const char *method, const char *path, const char *headers,
		      const char *body, size_t body_len, struct reply *r)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 5 };
	char req[512], *buf = NULL, *sep;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, err = 0;

	memset(r, 0, sizeof(*r));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		goto cleanup;
	}
	n = snprintf(req, sizeof(req),
		     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s%s\r\n", method,
		     path, headers ? headers : "",
		     body ? "Content-Type: application/json\r\n" : "");
	if (body)
		n += snprintf(req + n - 2, sizeof(req) - n + 2, "Content-Length: %zu\r\n\r\n",
			      body_len) -
		     2;
	if (write(fd, req, n) != n) {
		err = -EIO;
		goto cleanup;
	}
	/* A body refused on its headers may be cut short: the reply is what counts. */
	if (body && body_len && send(fd, body, body_len, MSG_NOSIGNAL) < 0 && errno != EPIPE &&
	    errno != ECONNRESET) {
		err = -errno;
		goto cleanup;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *p = realloc(buf, cap = cap * 2 + 8192);

			if (!p) {
				err = -ENOMEM;
				goto cleanup;
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			err = -errno;
			goto cleanup;
		}
		if (!n)
			break;
		len += n;
	}
	buf[len] = '\0';
	sep = strstr(buf, "\r\n\r\n");
	if (!sep || sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1) {
		err = -EPROTO;
		goto cleanup;
	}
	r->head = strndup(buf, sep + 2 - buf);
	r->body_len = len - (sep + 4 - buf);
	r->body = malloc(r->body_len + 1);
	if (!r->head || !r->body) {
		err = -ENOMEM;
		goto cleanup;
	}
	memcpy(r->body, sep + 4, r->body_len);
	r->body[r->body_len] = '\0';

cleanup:
	if (err)
		reply_free(r);
	free(buf);
	close(fd);
	return err;
}

static int fetch(__u16 port, const char *method, const char *path, struct reply *r)
{
	return fetch_with(port, method, path, NULL, NULL, 0, r);
}

/* The value of header name (case-insensitive), or NULL; static buffer. */
static const char *header(const struct reply *r, const char *name)
{
	static __thread char value[256];
	const char *p = r->head;
	size_t nlen = strlen(name);

	while ((p = strstr(p, "\r\n"))) {
		p += 2;
		if (!strncasecmp(p, name, nlen) && p[nlen] == ':') {
			const char *v = p + nlen + 1, *e = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			snprintf(value, sizeof(value), "%.*s", (int)(e - v), v);
			return value;
		}
	}
	return NULL;
}

static struct bw_httpd *start_local(void)
{
	struct bw_httpd *h = NULL;

	cr_assert_eq(bw_httpd__start("127.0.0.1:0", &h), 0);
	cr_assert_not_null(h);
	cr_assert_neq(bw_httpd__port(h), 0);
	return h;
}

Test(httpd, serves_metrics)
{
	static const char text[] = "# TYPE x gauge\nx 1\n";
	struct bw_httpd *h = start_local();
	struct reply r;
	char len[32];

	cr_assert_eq(fetch(bw_httpd__port(h), "GET", "/metrics", &r), 0);
	cr_assert_eq(r.status, 503, "before the first publish: %d", r.status);
	reply_free(&r);

	cr_assert_eq(bw_httpd__publish(h, text, strlen(text)), 0);
	cr_assert_eq(fetch(bw_httpd__port(h), "GET", "/metrics", &r), 0);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(header(&r, "Content-Type"), BW_PROM_CONTENT_TYPE);
	snprintf(len, sizeof(len), "%zu", strlen(text));
	cr_assert_str_eq(header(&r, "Content-Length"), len);
	cr_assert_str_eq(r.body, text);
	reply_free(&r);

	cr_assert_eq(fetch(bw_httpd__port(h), "GET", "/metrics?debug=1", &r), 0);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body, text);
	reply_free(&r);

	cr_assert_eq(fetch(bw_httpd__port(h), "HEAD", "/metrics", &r), 0);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(r.body_len, 0);
	reply_free(&r);

	cr_assert_eq(bw_httpd__publish(h, NULL, 0), 0);
	cr_assert_eq(fetch(bw_httpd__port(h), "GET", "/metrics", &r), 0);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(r.body_len, 0);
	reply_free(&r);
	bw_httpd__stop(h);
}

Test(httpd, other_paths_and_methods)
{
	static const char *const paths[] = { "/", "/metrics/", "/metricsx", "/foo", "/Metrics" };
	struct bw_httpd *h = start_local();
	struct reply r;
	size_t i;

	cr_assert_eq(bw_httpd__publish(h, "x 1\n", 4), 0);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		cr_assert_eq(fetch(bw_httpd__port(h), "GET", paths[i], &r), 0);
		cr_expect_eq(r.status, 404, "%s: %d", paths[i], r.status);
		cr_expect_null(strstr(r.body, "x 1"));
		reply_free(&r);
	}
	cr_assert_eq(fetch(bw_httpd__port(h), "POST", "/metrics", &r), 0);
	cr_assert_eq(r.status, 405);
	cr_assert_str_eq(header(&r, "Allow"), "GET, HEAD");
	reply_free(&r);
	bw_httpd__stop(h);
}

/* Two requests on one connection: scrapers keep theirs open between scrapes. */
Test(httpd, keep_alive)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
				  "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	struct bw_httpd *h = start_local();
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(bw_httpd__port(h)) };
	struct timeval tv = { .tv_sec = 5 };
	char buf[4096], *p;
	size_t len = 0;
	ssize_t n;
	int fd, replies = 0;

	cr_assert_eq(bw_httpd__publish(h, "x 1\n", 4), 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
	close(fd);
	for (p = buf; (p = strstr(p, "HTTP/1.1 200 OK\r\n")); p++)
		replies++;
	cr_assert_eq(replies, 2, "%s", buf);
	cr_assert_null(strstr(buf, "Connection: close\r\n\r\nx 1\nHTTP"), "%s", buf);
	bw_httpd__stop(h);
}

struct publisher {
	struct bw_httpd *h;
	const char *a, *b;
	size_t alen, blen;
	volatile bool stop;
	int err;
	unsigned long n;
};

static void *publish_loop(void *arg)
{
	struct publisher *p = arg;

	while (!p->stop && !p->err) {
		p->err = bw_httpd__publish(p->h, p->n & 1 ? p->b : p->a,
					   p->n & 1 ? p->blen : p->alen);
		p->n++;
	}
	return NULL;
}

static bool all(const char *s, size_t len, char c)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != c)
			return false;
	return true;
}

/* Every reply is one whole publication, never a mix of two. */
Test(httpd, concurrent_publish_while_fetching)
{
	struct publisher p = { .alen = 200000, .blen = 70001 };
	char *a = malloc(p.alen), *b = malloc(p.blen);
	pthread_t tid;
	struct reply r;
	int i, seen_a = 0, seen_b = 0;

	cr_assert(a && b);
	memset(a, 'a', p.alen);
	memset(b, 'b', p.blen);
	p.a = a;
	p.b = b;
	p.h = start_local();
	cr_assert_eq(bw_httpd__publish(p.h, a, p.alen), 0);
	cr_assert_eq(pthread_create(&tid, NULL, publish_loop, &p), 0);
	for (i = 0; i < 200; i++) {
		cr_assert_eq(fetch(bw_httpd__port(p.h), "GET", "/metrics", &r), 0);
		cr_assert_eq(r.status, 200);
		if (r.body_len == p.alen && all(r.body, r.body_len, 'a'))
			seen_a++;
		else if (r.body_len == p.blen && all(r.body, r.body_len, 'b'))
			seen_b++;
		else
			cr_assert_fail("torn reply: %zu bytes, starting %.8s", r.body_len, r.body);
		reply_free(&r);
	}
	p.stop = true;
	pthread_join(tid, NULL);
	cr_assert_eq(p.err, 0);
	cr_assert_gt(p.n, 1);
	cr_assert_eq(seen_a + seen_b, 200);
	bw_httpd__stop(p.h);
	free(a);
	free(b);
}

Test(httpd, addresses)
{
	static const char *const bad[] = {
		"",
		"9464",
		"127.0.0.1",
		"127.0.0.1:",
		"127.0.0.1:65536",
		"127.0.0.1:-1",
		"127.0.0.1:80x",
		"::1:9464",
		"[::1]9464",
		"[::1",
		"[]:9464",
		"[1.2.3.4]:80",
		"localhost:9464",
		"1.2.3.4.5:80",
		":",
	};
	struct bw_httpd *h = NULL, *h2 = NULL;
	char addr[64];
	size_t i;
	int err;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(bw_httpd__start(bad[i], &h), -EINVAL, "%s", bad[i]);
		cr_assert_null(h);
	}
	cr_assert_eq(bw_httpd__start(NULL, &h), -EINVAL);

	/* Every address, on whatever port is free. */
	cr_assert_eq(bw_httpd__start(":0", &h), 0);
	cr_assert_neq(bw_httpd__port(h), 0);
	bw_httpd__stop(h);

	err = bw_httpd__start("[::1]:0", &h);
	if (err == -EADDRNOTAVAIL || err == -EAFNOSUPPORT) {
		cr_log_warn("no IPv6 loopback here: [::1] not tried");
	} else {
		cr_assert_eq(err, 0);
		bw_httpd__stop(h);
	}

	h = start_local();
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", bw_httpd__port(h));
	cr_assert_eq(bw_httpd__start(addr, &h2), -EADDRINUSE);
	bw_httpd__stop(h);
	bw_httpd__stop(NULL);
	cr_assert_eq(bw_httpd__publish(NULL, "x", 1), -EINVAL);
}

/* The main loop's part: takes each write request and answers what it was. */
struct answerer {
	struct bw_httpd *h;
	volatile bool stop;
	int served;
};

static void *answer_loop(void *arg)
{
	struct answerer *a = arg;
	struct pollfd pfd = { .fd = bw_httpd__wake_fd(a->h), .events = POLLIN };
	struct bw_httpd_req *r;
	char text[64];

	while (!a->stop) {
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		while ((r = bw_httpd__take(a->h))) {
			if (r->kind == BW_HTTPD_SNAPSHOT)
				snprintf(text, sizeof(text), "snap %u\n", r->pid);
			else
				snprintf(text, sizeof(text), "alerts %zu pid %u\n", r->ntargets,
					 r->ntargets ? r->targets[0].pid : 0);
			bw_httpd__answer(a->h, r, 200, "text/plain", text);
			a->served++;
		}
	}
	return NULL;
}

static struct bw_httpd *start_writes(const char *addr, const char *token)
{
	struct bw_httpd_opts o = { .writes = true, .token = token };
	struct bw_httpd *h = NULL;

	cr_assert_eq(bw_httpd__start_opts(addr, &o, &h), 0);
	cr_assert_geq(bw_httpd__wake_fd(h), 0);
	return h;
}

Test(httpd, post_endpoints_answered_by_the_main_loop)
{
	static const char hook[] = "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\","
				   "\"labels\":{\"pid\":\"77\"}}]}";
	struct answerer a = { .h = start_writes("127.0.0.1:0", NULL) };
	__u16 port = bw_httpd__port(a.h);
	char *big = malloc(BW_HTTPD_BODY_MAX_BYTES + 2);
	pthread_t tid;
	struct reply r;

	cr_assert_not_null(big);
	memset(big, ' ', BW_HTTPD_BODY_MAX_BYTES + 1);
	cr_assert_eq(pthread_create(&tid, NULL, answer_loop, &a), 0);
	cr_assert_eq(fetch(port, "POST", "/snapshot?pid=42", &r), 0);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body, "snap 42\n");
	reply_free(&r);
	cr_assert_eq(fetch_with(port, "POST", "/alertmanager", NULL, hook, strlen(hook), &r), 0);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body, "alerts 1 pid 77\n");
	reply_free(&r);
	/* /metrics meanwhile: still 503 before a publish, not held up. */
	cr_assert_eq(fetch(port, "GET", "/metrics", &r), 0);
	cr_assert_eq(r.status, 503);
	reply_free(&r);

	cr_assert_eq(fetch(port, "POST", "/snapshot?pid=x", &r), 0);
	cr_expect_eq(r.status, 400);
	reply_free(&r);
	cr_assert_eq(fetch(port, "POST", "/snapshot", &r), 0);
	cr_expect_eq(r.status, 400);
	reply_free(&r);
	cr_assert_eq(fetch_with(port, "POST", "/alertmanager", NULL, "{x", 2, &r), 0);
	cr_expect_eq(r.status, 400);
	reply_free(&r);
	cr_assert_eq(fetch_with(port, "POST", "/alertmanager", NULL, big,
				BW_HTTPD_BODY_MAX_BYTES + 1, &r),
		     0);
	cr_expect_eq(r.status, 413);
	reply_free(&r);
	cr_assert_eq(fetch(port, "GET", "/alertmanager", &r), 0);
	cr_expect_eq(r.status, 405);
	cr_expect_str_eq(header(&r, "Allow"), "POST");
	reply_free(&r);
	cr_assert_eq(fetch(port, "PUT", "/snapshot?pid=1", &r), 0);
	cr_expect_eq(r.status, 405);
	reply_free(&r);
	a.stop = true;
	pthread_join(tid, NULL);
	cr_assert_eq(a.served, 2, "only the good requests reach the main loop");
	bw_httpd__stop(a.h);
	free(big);
}

Test(httpd, post_without_writes_is_404)
{
	struct bw_httpd *h = start_local();
	struct reply r;

	cr_assert_eq(bw_httpd__wake_fd(h), -1);
	cr_assert_eq(fetch(bw_httpd__port(h), "POST", "/snapshot?pid=1", &r), 0);
	cr_assert_eq(r.status, 404);
	reply_free(&r);
	bw_httpd__stop(h);
}

Test(httpd, post_needs_loopback_or_token)
{
	struct answerer a = { .h = start_writes(":0", NULL) };
	struct reply r;
	pthread_t tid;
	__u16 port;

	/* Every address and no token: refused before the main loop sees it. */
	cr_assert_eq(fetch(bw_httpd__port(a.h), "POST", "/snapshot?pid=1", &r), 0);
	cr_assert_eq(r.status, 403);
	reply_free(&r);
	bw_httpd__stop(a.h);

	a.h = start_writes(":0", "tok3n");
	port = bw_httpd__port(a.h);
	cr_assert_eq(pthread_create(&tid, NULL, answer_loop, &a), 0);
	cr_assert_eq(fetch(port, "POST", "/snapshot?pid=1", &r), 0);
	cr_expect_eq(r.status, 401);
	cr_expect_str_eq(header(&r, "WWW-Authenticate"), "Bearer");
	reply_free(&r);
	cr_assert_eq(fetch_with(port, "POST", "/snapshot?pid=1", "Authorization: Bearer tok3\r\n",
				NULL, 0, &r),
		     0);
	cr_expect_eq(r.status, 401, "a prefix of the token");
	reply_free(&r);
	cr_assert_eq(fetch_with(port, "POST", "/snapshot?pid=1", "Authorization: Bearer tok3n!\r\n",
				NULL, 0, &r),
		     0);
	cr_expect_eq(r.status, 401, "the token and more");
	reply_free(&r);
	cr_assert_eq(fetch_with(port, "POST", "/snapshot?pid=1", "Authorization: Basic tok3n\r\n",
				NULL, 0, &r),
		     0);
	cr_expect_eq(r.status, 401, "another scheme");
	reply_free(&r);
	cr_assert_eq(fetch_with(port, "POST", "/snapshot?pid=9", "Authorization: bearer tok3n\r\n",
				NULL, 0, &r),
		     0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "snap 9\n");
	reply_free(&r);
	a.stop = true;
	pthread_join(tid, NULL);
	bw_httpd__stop(a.h);

	/* A token on loopback is needed there too. */
	a.h = start_writes("127.0.0.1:0", "tok3n");
	cr_assert_eq(fetch(bw_httpd__port(a.h), "POST", "/snapshot?pid=1", &r), 0);
	cr_expect_eq(r.status, 401);
	reply_free(&r);
	bw_httpd__stop(a.h);
}

/* A request still queued at stop gets its 503, and stop returns. */
static void *post_once(void *arg)
{
	struct reply *r = arg;

	fetch(*(__u16 *)r->head, "POST", "/snapshot?pid=5", r);
	return NULL;
}

Test(httpd, stop_answers_what_waits)
{
	struct bw_httpd *h = start_writes("127.0.0.1:0", NULL);
	__u16 port = bw_httpd__port(h);
	struct pollfd pfd = { .fd = bw_httpd__wake_fd(h), .events = POLLIN };
	struct reply r = { .head = (char *)&port };
	pthread_t tid;

	cr_assert_eq(pthread_create(&tid, NULL, post_once, &r), 0);
	cr_assert_eq(poll(&pfd, 1, 5000), 1, "queued");
	bw_httpd__stop(h);
	pthread_join(tid, NULL);
	cr_assert_eq(r.status, 503);
	reply_free(&r);
}
