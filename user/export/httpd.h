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
 */
#ifndef BW_HTTPD_H
#define BW_HTTPD_H

#include <stddef.h>
#include <linux/types.h>

struct bw_httpd;

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
/* The port bound, in host order. */
__u16 bw_httpd__port(const struct bw_httpd *h);
/* Serves a copy of text[0..len) from now on. 0, -EINVAL or -ENOMEM (the previous text stays). */
int bw_httpd__publish(struct bw_httpd *h, const char *text, size_t len);
/* Stops the thread, closes every connection and frees h; h may be NULL. */
void bw_httpd__stop(struct bw_httpd *h);

#endif
