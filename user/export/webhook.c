// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "core/parse.h"
#include "export/webhook.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define CONTAINER_MIN_CHARS 12

static const char *label(json_object *labels, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(labels, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool is_container_id(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i >= CONTAINER_MIN_CHARS && i < BW_WEBHOOK_LABEL_BYTES;
}

/* The target of one alert's labels; false when they name no process. */
static bool target_of(json_object *labels, struct bw_alert_target *t)
{
	const char *pid = label(labels, "pid"), *cg = label(labels, "cgroup");
	const char *ct = label(labels, "container_id");

	memset(t, 0, sizeof(*t));
	if (pid && !bw_parse_pid(pid, &t->pid))
		return true;
	if (cg && !strncmp(cg, CGROUP_ROOT "/", strlen(CGROUP_ROOT) + 1))
		cg += strlen(CGROUP_ROOT);
	if (cg && cg[0] && strlen(cg) + 1 < sizeof(t->cgroup)) {
		t->cgroup[0] = '/';
		memcpy(t->cgroup + (cg[0] != '/'), cg, strlen(cg) + 1);
		return true;
	}
	/* "docker://ID", "containerd://ID" as Kubernetes reports them. */
	if (ct && strstr(ct, "://"))
		ct = strstr(ct, "://") + 3;
	if (ct && is_container_id(ct)) {
		snprintf(t->container, sizeof(t->container), "%s", ct);
		return true;
	}
	return false;
}

int bw_webhook_parse(const char *body, size_t len, struct bw_alert_target **out, size_t *n,
		     char *why, size_t whylen)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *root = NULL, *alerts, *version;
	struct bw_alert_target *v = NULL;
	size_t i, na, nv = 0;
	int err = -EINVAL;

	*out = NULL;
	*n = 0;
	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, body, len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    tok->char_offset < (int)len) {
		snprintf(why, whylen, "not JSON");
		goto cleanup;
	}
	if (!json_object_is_type(root, json_type_object)) {
		snprintf(why, whylen, "not a JSON object");
		goto cleanup;
	}
	if (json_object_object_get_ex(root, "version", &version) &&
	    (!json_object_is_type(version, json_type_string) ||
	     strcmp(json_object_get_string(version), "4"))) {
		snprintf(why, whylen, "not version \"4\" of Alertmanager's webhook");
		goto cleanup;
	}
	if (!json_object_object_get_ex(root, "alerts", &alerts) ||
	    !json_object_is_type(alerts, json_type_array)) {
		snprintf(why, whylen, "no alerts array");
		goto cleanup;
	}
	na = json_object_array_length(alerts);
	if (na > BW_WEBHOOK_MAX_ALERTS)
		na = BW_WEBHOOK_MAX_ALERTS;
	if (na) {
		v = calloc(na, sizeof(*v));
		if (!v) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	for (i = 0; i < na; i++) {
		json_object *a = json_object_array_get_idx(alerts, i), *status, *labels;

		if (!json_object_is_type(a, json_type_object) ||
		    !json_object_object_get_ex(a, "status", &status) ||
		    !json_object_is_type(status, json_type_string) ||
		    strcmp(json_object_get_string(status), "firing") ||
		    !json_object_object_get_ex(a, "labels", &labels) ||
		    !json_object_is_type(labels, json_type_object))
			continue;
		if (target_of(labels, &v[nv]))
			nv++;
	}
	if (!nv) {
		free(v);
		v = NULL;
	}
	*out = v;
	*n = nv;
	v = NULL;
	err = 0;

cleanup:
	free(v);
	json_object_put(root);
	json_tokener_free(tok);
	return err;
}

bool bw_alert_target_has(const struct bw_alert_target *t, const char *cgroup)
{
	size_t len;

	if (!cgroup)
		return false;
	if (t->cgroup[0]) {
		len = strlen(t->cgroup);
		while (len > 1 && t->cgroup[len - 1] == '/')
			len--;
		if (len == 1) /* "/": every process */
			return cgroup[0] == '/';
		return !strncmp(cgroup, t->cgroup, len) && (!cgroup[len] || cgroup[len] == '/');
	}
	/* Hex only: never spans a '/'. */
	return t->container[0] && strstr(cgroup, t->container);
}
