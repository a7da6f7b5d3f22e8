// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "core/capture.h"

void bw_capture_stamp(struct bw_capture *c)
{
	struct utsname u;

	snprintf(c->tool, sizeof(c->tool), "blockwatch %s", BW_VERSION);
	if (!uname(&u))
		snprintf(c->kernel, sizeof(c->kernel), "%s", u.release);
	if (gethostname(c->host, sizeof(c->host)))
		c->host[0] = '\0';
	c->host[sizeof(c->host) - 1] = '\0';
	c->created_unix_s = time(NULL);
}
