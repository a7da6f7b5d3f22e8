/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the write endpoints of the /metrics server are asked, parsed: the pid
 * of POST /snapshot?pid=N, and the processes an Alertmanager webhook names.
 * Pure: strings in, plain values out (the pid of a query: bw_parse_pid). Nothing parsed here ever becomes a
 * path: a cgroup or container id is only compared with /proc/PID/cgroup.
 */
#ifndef BW_WEBHOOK_H
#define BW_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define BW_WEBHOOK_MAX_ALERTS 1024 /* firing alerts of one webhook acted on */
#define BW_WEBHOOK_LABEL_BYTES 512

/* A process an alert names: by pid, or every watched one of a cgroup or container. */
struct bw_alert_target {
	__u32 pid;				/* 0: by cgroup or container */
	char cgroup[BW_WEBHOOK_LABEL_BYTES];	/* a cgroup v2 path, "" when none */
	char container[BW_WEBHOOK_LABEL_BYTES]; /* a container id, "" when none */
};

/*
 * The targets of Alertmanager's webhook JSON (version "4"): one for each
 * alert with status "firing" whose labels hold pid (a decimal), cgroup or
 * container_id; alerts naming none, or resolved, are skipped. *out is
 * malloc'd (NULL when none). 0, -EINVAL with the reason in why (not JSON,
 * not an object, no alerts array, another version), or -ENOMEM.
 */
int bw_webhook_parse(const char *body, size_t len, struct bw_alert_target **out, size_t *n,
		     char *why, size_t whylen);
/*
 * True when a process in cgroup (its cgroup v2 path, "/a/b.scope") is one the
 * target names: its cgroup or one below; a container id (at least 12
 * characters of [0-9a-f]) is contained in a component of the path, as
 * runtimes name their scopes ("docker-ID.scope", "cri-containerd-ID.scope", "ID").
 */
bool bw_alert_target_has(const struct bw_alert_target *t, const char *cgroup);

#endif
