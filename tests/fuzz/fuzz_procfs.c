// SPDX-License-Identifier: GPL-2.0
/*
 * /proc text: fd link targets (bw_fd_kind_of_link), status (bw_parse_cap_eff)
 * and cgroup (bw_parse_cgroup, in filter.h: procfs.c reads the file with it).
 */
#include <errno.h>
#include "fuzz_util.h"
#include "platform/filter.h"
#include "platform/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size), *buf, cg[64];
	enum bw_fd_kind kind = bw_fd_kind_of_link(s);
	__u64 caps = 0;
	__u32 state = 0;
	FILE *f;
	int err;

	if ((int)kind < BW_FD_UNKNOWN || (int)kind > BW_FD_ANON)
		abort();
	f = fuzz_stream(data, size, &buf);
	if (!f)
		abort();
	err = bw_parse_cap_eff(f, &caps);
	if (err && err != -EINVAL)
		abort();
	fclose(f);
	for (size_t len = 0; len <= sizeof(cg); len += 16) {
		memset(cg, 'x', sizeof(cg));
		err = bw_parse_cgroup(s, cg, len);
		if (err && err != -ENOENT)
			abort();
		if (!err && !memchr(cg, '\0', len))
			abort(); /* not terminated within len */
	}
	memcpy(&state, data, size < sizeof(state) ? size : sizeof(state));
	if (!bw_state_char(state))
		abort();
	free(buf);
	free(s);
	return 0;
}
