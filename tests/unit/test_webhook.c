// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "export/webhook.h"

static int parse(const char *body, struct bw_alert_target **t, size_t *n, char *why)
{
	return bw_webhook_parse(body, strlen(body), t, n, why, 128);
}

/* What Alertmanager 0.25 sends, trimmed. */
static const char am_body[] =
	"{\"receiver\":\"blockwatch\",\"status\":\"firing\",\"alerts\":["
	"{\"status\":\"firing\",\"labels\":{\"alertname\":\"BlockwatchDeadlock\","
	"\"comm\":\"deadlock_pair\",\"instance\":\"127.0.0.1:9464\",\"pid\":\"4242\","
	"\"severity\":\"critical\"},\"annotations\":{},\"startsAt\":\"2026-12-07T15:06:17.582Z\","
	"\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"http://x/graph\","
	"\"fingerprint\":\"0123456789abcdef\"},"
	"{\"status\":\"resolved\",\"labels\":{\"pid\":\"1\"}},"
	"{\"status\":\"firing\",\"labels\":{\"alertname\":\"NoPid\"}},"
	"{\"status\":\"firing\",\"labels\":{\"pid\":\"../../x\"}},"
	"{\"status\":\"firing\",\"labels\":{\"cgroup\":\"/sys/fs/cgroup/system.slice/a.service\"}},"
	"{\"status\":\"firing\",\"labels\":{\"container_id\":"
	"\"containerd://4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99\"}},"
	"{\"status\":\"firing\",\"labels\":{\"container_id\":\"short\"}},"
	"{\"status\":\"firing\",\"labels\":{\"pid\":4243}},"
	"\"not an object\"],"
	"\"groupLabels\":{},\"commonLabels\":{},\"commonAnnotations\":{},"
	"\"externalURL\":\"http://am\",\"version\":\"4\",\"groupKey\":\"{}:{}\","
	"\"truncatedAlerts\":0}";

Test(webhook, alertmanager_v4)
{
	struct bw_alert_target *t = NULL;
	char why[128] = "";
	size_t n = 0;

	cr_assert_eq(parse(am_body, &t, &n, why), 0, "%s", why);
	cr_assert_eq(n, 3, "the firing ones that name a process: %zu", n);
	cr_assert_eq(t[0].pid, 4242);
	cr_assert_eq(t[1].pid, 0);
	cr_assert_str_eq(t[1].cgroup, "/system.slice/a.service", "under /sys/fs/cgroup: cut");
	cr_assert_str_eq(t[2].container, "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99", "the scheme cut");
	free(t);
}

Test(webhook, bad_bodies)
{
	static const char *const bad[] = {
		"",
		"{",
		"[]",
		"\"x\"",
		"{\"alerts\":{}}",
		"{\"version\":\"3\",\"alerts\":[]}",
		"{\"version\":4,\"alerts\":[]}",
		"{\"alerts\":[]} trailing",
		"{}",
	};
	struct bw_alert_target *t = NULL;
	char why[128];
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		cr_expect_eq(parse(bad[i], &t, &n, why), -EINVAL, "%s", bad[i]);
		cr_expect_neq(why[0], '\0', "a reason for %s", bad[i]);
		cr_expect_null(t);
	}
	cr_assert_eq(parse("{\"alerts\":[]}", &t, &n, why), 0, "no version: taken as 4");
	cr_assert_eq(n, 0);
	cr_assert_null(t);
}

Test(webhook, cgroup_and_container_match)
{
	struct bw_alert_target cg = { .cgroup = "/system.slice/a.service" };
	struct bw_alert_target root = { .cgroup = "/" };
	struct bw_alert_target ct = { .container = "4f3c2b1a0e9d" };

	cr_assert(bw_alert_target_has(&cg, "/system.slice/a.service"));
	cr_assert(bw_alert_target_has(&cg, "/system.slice/a.service/child"));
	cr_assert_not(bw_alert_target_has(&cg, "/system.slice/a.service2"));
	cr_assert_not(bw_alert_target_has(&cg, "/system.slice"));
	cr_assert_not(bw_alert_target_has(&cg, NULL));
	cr_assert(bw_alert_target_has(&root, "/user.slice"));
	cr_assert(bw_alert_target_has(&ct, "/system.slice/docker-4f3c2b1a0e9d77.scope"));
	cr_assert(bw_alert_target_has(&ct, "/kubepods/burstable/pod1/4f3c2b1a0e9d"));
	cr_assert_not(bw_alert_target_has(&ct, "/system.slice/docker-4f3c2b1a0e9.scope"));
}
