// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include "export/httpd.h"
#include "core/parse.h"
#include "export/prom.h"

/* The access handler returns enum MHD_Result from 0.9.71 on, int before. */
#if MHD_VERSION >= 0x00097002
typedef enum MHD_Result mhd_result;
#else
typedef int mhd_result;
#endif

#define HOST_MAX_BYTES 64 /* longer than any numeric address */

struct bw_httpd {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;
	char *text; /* NULL until the first publish */
	size_t len;
	__u16 port;
};

union addr {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

static mhd_result send_response(struct MHD_Connection *conn, unsigned int status,
				struct MHD_Response *resp)
{
	mhd_result ret;

	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				status == MHD_HTTP_OK ? BW_PROM_CONTENT_TYPE
						      : "text/plain; charset=utf-8");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static mhd_result send_text(struct MHD_Connection *conn, unsigned int status, const char *text)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	return resp ? send_response(conn, status, resp) : MHD_NO;
}

static mhd_result handle(void *cls, struct MHD_Connection *conn, const char *url,
			 const char *method, const char *version, const char *upload,
			 size_t *upload_len, void **req)
{
	struct bw_httpd *h = cls;
	struct MHD_Response *resp = NULL;
	bool published;

	/*
	 * The first call has the headers only; answering there makes libmicrohttpd
	 * close the connection. Answer on the next one: keep-alive for scrapers.
	 */
	if (!*req) {
		*req = h; /* any non-NULL: "headers seen" */
		return MHD_YES;
	}
	if (*upload_len) {
		*upload_len = 0; /* a body we ignore */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (strcmp(url, "/metrics"))
		return send_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
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

static struct MHD_Daemon *start(struct bw_httpd *h, union addr *addr, unsigned int flags)
{
	return MHD_start_daemon(flags, 0, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, &addr->sa,
				MHD_OPTION_CONNECTION_LIMIT, 64u,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, 8u,
				MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
}

int bw_httpd__start(const char *addr_port, struct bw_httpd **out)
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
	err = -pthread_mutex_init(&h->lock, NULL);
	if (err) {
		free(h);
		return err;
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

void bw_httpd__stop(struct bw_httpd *h)
{
	if (!h)
		return;
	if (h->daemon)
		MHD_stop_daemon(h->daemon);
	pthread_mutex_destroy(&h->lock);
	free(h->text);
	free(h);
}
