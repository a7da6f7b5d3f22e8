/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny /metrics server: libmicrohttpd with its own polling thread (no HTTP
 * parsing of ours) serves the exposition the main loop last published.
 *
 *   GET or HEAD /metrics  200, Content-Type BW_PROM_CONTENT_TYPE, the text
 *                         (503 "no scan yet" before the first publish)
 *   any other path        404
 *   any other method      405 with Allow: GET, HEAD
 *
 * Each request copies the text under the mutex, so a publish never waits
 * for a slow client and a client never sees half of two scans. At most 64
 * connections at once, 8 from one address, idle ones closed after 10 s.
 *
 * With opts->writes, two write endpoints too, answered by the main loop:
 *
 *   POST /snapshot?pid=N  400 without a good pid
 *   POST /alertmanager    Alertmanager's webhook JSON (export/webhook.h); 400 when bad
 *   either, other method  405 with Allow: POST
 *
 * checked first on their headers: 403 on a listener not on loopback unless a
 * token is set, 401 without "Authorization: Bearer TOKEN" when it is (in
 * constant time), 413 past BW_HTTPD_BODY_MAX_BYTES of body. Each refusal is
 * one line on stderr. A good request is queued for the main loop (the wake
 * fd becomes readable) and its connection suspended, so /metrics is served
 * meanwhile; the main loop takes it, does it, and answers. Without writes
 * both paths answer 404.
 */
#ifndef BW_HTTPD_H
#define BW_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define BW_HTTPD_BODY_MAX_BYTES (1 << 20)
/* The Content-Type of every answer but the exposition's. */
#define BW_HTTPD_TEXT_TYPE "text/plain; charset=utf-8"

struct bw_httpd;
struct bw_alert_target;

struct bw_httpd_opts {
	bool writes;	   /* serve POST /snapshot and /alertmanager */
	const char *token; /* the bearer token they need; NULL: none, loopback only */
};

enum bw_httpd_req_kind {
	BW_HTTPD_SNAPSHOT, /* POST /snapshot?pid=N */
	BW_HTTPD_ALERTS,   /* POST /alertmanager */
};

/* A write request queued for the main loop: read its fields, then bw_httpd__answer it. */
struct bw_httpd_req {
	enum bw_httpd_req_kind kind;
	__u32 pid;			 /* BW_HTTPD_SNAPSHOT */
	struct bw_alert_target *targets; /* BW_HTTPD_ALERTS: what the firing alerts name */
	size_t ntargets;
	/* The server's own. */
	struct MHD_Connection *conn;
	struct bw_httpd_req *next;
	unsigned int status;
	const char *type;
	char *answer;
};

/*
 * Listens on addr_port and serves from a thread of its own:
 *   "127.0.0.1:9464", "[::1]:9464"  that address (numeric: no name lookup)
 *   ":9464"                         every address, IPv6 and IPv4 (IPv4 only
 *                                   on hosts without IPv6)
 * Port 0 binds a free port (see bw_httpd__port). 0, -EINVAL (bad address or
 * port), -ENOMEM, or the errno of the failed bind or start (-EADDRINUSE,
 * -EACCES, -EADDRNOTAVAIL...; -EIO when libmicrohttpd gives none).
 */
int bw_httpd__start(const char *addr_port, struct bw_httpd **out);
/* The same, with the write endpoints when opts asks (NULL: none). -errno of eventfd too. */
int bw_httpd__start_opts(const char *addr_port, const struct bw_httpd_opts *opts,
			 struct bw_httpd **out);
/* The port bound, in host order. */
__u16 bw_httpd__port(const struct bw_httpd *h);
/* Serves a copy of text[0..len) from now on. 0, -EINVAL or -ENOMEM (the previous text stays). */
int bw_httpd__publish(struct bw_httpd *h, const char *text, size_t len);
/* Readable while write requests wait (an eventfd); -1 without writes. */
int bw_httpd__wake_fd(const struct bw_httpd *h);
/* The oldest write request waiting, or NULL. Each one taken must be answered. */
struct bw_httpd_req *bw_httpd__take(struct bw_httpd *h);
/* Answers r with status, Content-Type type and text (copied); r is the server's again. */
void bw_httpd__answer(struct bw_httpd *h, struct bw_httpd_req *r, unsigned int status,
		      const char *type, const char *text);
/* Stops the thread (answering 503 to the write requests still queued), closes every connection and frees h; h may be NULL. */
void bw_httpd__stop(struct bw_httpd *h);

#endif
