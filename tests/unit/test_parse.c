// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <criterion/criterion.h>
#include "core/parse.h"

#define MAX (365ULL * 24 * 3600 * 1000000000ULL)

Test(parse, durations)
{
	__u64 ns;

	cr_assert_eq(bw_parse_duration("500ms", MAX, &ns), 0);
	cr_assert_eq(ns, 500000000ULL);
	cr_assert_eq(bw_parse_duration("3s", MAX, &ns), 0);
	cr_assert_eq(ns, 3000000000ULL);
	cr_assert_eq(bw_parse_duration("2m", MAX, &ns), 0);
	cr_assert_eq(ns, 120000000000ULL);
	cr_assert_eq(bw_parse_duration("1h", MAX, &ns), 0);
	cr_assert_eq(ns, 3600000000000ULL);
	cr_assert_eq(bw_parse_duration("250us", MAX, &ns), 0);
	cr_assert_eq(ns, 250000ULL);
	cr_assert_eq(bw_parse_duration("7", MAX, &ns), 0);
	cr_assert_eq(ns, 7000000000ULL);
	cr_assert_eq(bw_parse_duration("1.5s", MAX, &ns), 0);
	cr_assert_eq(ns, 1500000000ULL);
	cr_assert_eq(bw_parse_duration("0.25m", MAX, &ns), 0);
	cr_assert_eq(ns, 15000000000ULL);
}

Test(parse, bad_durations)
{
	__u64 ns = 42;
	const char *bad[] = { "",  "s",	  "10abc", "10 s", "-1s", "+1s", "1.s",	  ".5s", "0s",
			      "0", "1ss", "1sm",   "ms",   " 1s", "1s ", "0x10s", "1e3s" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(bw_parse_duration(bad[i], MAX, &ns), -EINVAL, "accepted '%s'", bad[i]);
	cr_assert_eq(bw_parse_duration(NULL, MAX, &ns), -EINVAL);
	cr_assert_eq(ns, 42, "failed parse must not write the result");
}

Test(parse, duration_range)
{
	__u64 ns;

	cr_assert_eq(bw_parse_duration("366d", MAX, &ns), -EINVAL);
	cr_assert_eq(bw_parse_duration("9000h", MAX, &ns), -ERANGE);
	cr_assert_eq(bw_parse_duration("99999999999999999999999s", MAX, &ns), -ERANGE);
	cr_assert_eq(bw_parse_duration("18446744073709551615h", MAX, &ns), -ERANGE);
	cr_assert_eq(bw_parse_duration("2s", 1000000000ULL, &ns), -ERANGE);
	cr_assert_eq(bw_parse_duration("1s", 1000000000ULL, &ns), 0);
}

Test(parse, uints)
{
	__u64 v;

	cr_assert_eq(bw_parse_uint("1234", 1, 100000, &v), 0);
	cr_assert_eq(v, 1234);
	cr_assert_eq(bw_parse_uint("0", 1, 10, &v), -ERANGE);
	cr_assert_eq(bw_parse_uint("11", 1, 10, &v), -ERANGE);
	cr_assert_eq(bw_parse_uint("10abc", 1, 100, &v), -EINVAL);
	cr_assert_eq(bw_parse_uint("-1", 0, 100, &v), -EINVAL);
	cr_assert_eq(bw_parse_uint(" 1", 0, 100, &v), -EINVAL);
	cr_assert_eq(bw_parse_uint("", 0, 100, &v), -EINVAL);
	cr_assert_eq(bw_parse_uint("99999999999999999999999", 0, ~0ULL, &v), -ERANGE);
}

Test(parse, format_duration)
{
	char buf[32];

	bw_format_duration(850000000ULL, buf, sizeof(buf));
	cr_assert_str_eq(buf, "850ms");
	bw_format_duration(12345000000ULL, buf, sizeof(buf));
	cr_assert_str_eq(buf, "12.3s");
	bw_format_duration(245000000000ULL, buf, sizeof(buf));
	cr_assert_str_eq(buf, "4m05s");
	bw_format_duration(7980000000000ULL, buf, sizeof(buf));
	cr_assert_str_eq(buf, "2h13m");
}

#include <stdio.h>
#include "platform/procfs.h"

Test(procfs, cap_eff)
{
	char text[] = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n";
	char none[] = "Name:\tx\n";
	__u64 caps = 0;
	FILE *f = fmemopen(text, sizeof(text) - 1, "r");

	cr_assert_eq(bw_parse_cap_eff(f, &caps), 0);
	cr_assert_eq(caps, 0x1ffffffffffULL);
	fclose(f);
	f = fmemopen(none, sizeof(none) - 1, "r");
	cr_assert_eq(bw_parse_cap_eff(f, &caps), -EINVAL);
	fclose(f);
}

Test(procfs, fd_kinds_and_states)
{
	cr_assert_eq(bw_fd_kind_of_link("socket:[1234]"), BW_FD_SOCKET);
	cr_assert_eq(bw_fd_kind_of_link("pipe:[99]"), BW_FD_PIPE);
	cr_assert_eq(bw_fd_kind_of_link("anon_inode:[eventpoll]"), BW_FD_ANON);
	cr_assert_eq(bw_fd_kind_of_link("/dev/pts/3"), BW_FD_TTY);
	cr_assert_eq(bw_fd_kind_of_link("/var/log/x"), BW_FD_FILE);
	cr_assert_eq(bw_fd_kind_of_link("weird"), BW_FD_UNKNOWN);
	cr_assert_eq(bw_state_char(0), 'R');
	cr_assert_eq(bw_state_char(BW_TASK_INTERRUPTIBLE), 'S');
	cr_assert_eq(bw_state_char(BW_TASK_UNINTERRUPTIBLE), 'D');
	cr_assert_eq(bw_state_char(BW_TASK_UNINTERRUPTIBLE | BW_TASK_NOLOAD), 'I');
	cr_assert_eq(bw_state_char(0x100 | BW_TASK_UNINTERRUPTIBLE), 'D'); /* TASK_KILLABLE */
	cr_assert_eq(bw_state_char(BW_TASK_STOPPED), 'T');
	cr_assert_eq(bw_state_char(0x20), 'Z');
}

#include "platform/filter.h"

Test(filter, comm_and_cgroup)
{
	struct bw_filter *f;
	char buf[64];

	cr_assert_eq(bw_filter__new("^(nginx|envoy)$", "debug", "/sys/fs/cgroup/system.slice/", &f),
		     0);
	cr_assert(bw_filter__wants_cgroup(f));
	cr_assert(bw_filter__match(f, "nginx", "/system.slice"));
	cr_assert(bw_filter__match(f, "envoy", "/system.slice/envoy.service"));
	cr_assert_not(bw_filter__match(f, "nginx", "/system.slicex/a"), "a sibling, not below");
	cr_assert_not(bw_filter__match(f, "nginx", "/user.slice"));
	cr_assert_not(bw_filter__match(f, "nginx", NULL));
	cr_assert_not(bw_filter__match(f, "nginx-debug", "/system.slice"));
	cr_assert_not(bw_filter__match(f, "bash", "/system.slice"));
	bw_filter__free(f);
	cr_assert_eq(bw_filter__new("(", NULL, NULL, &f), -EINVAL);
	cr_assert(bw_filter__match(NULL, "anything", NULL));
	cr_assert_eq(bw_parse_cgroup("0::/a/b\n", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/a/b");
	cr_assert_eq(bw_parse_cgroup("12:cpu:/x\n0::/\n", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/");
	cr_assert_eq(bw_parse_cgroup("12:cpu:/x\n", buf, sizeof(buf)), -ENOENT);
}

Test(parse, sizes)
{
	__u64 b;

	cr_assert_eq(bw_parse_size("4096", 0, ~0ULL, &b), 0);
	cr_assert_eq(b, 4096);
	cr_assert_eq(bw_parse_size("64k", 0, ~0ULL, &b), 0);
	cr_assert_eq(b, 65536);
	cr_assert_eq(bw_parse_size("256M", 0, ~0ULL, &b), 0);
	cr_assert_eq(b, 256ULL << 20);
	cr_assert_eq(bw_parse_size("2g", 0, ~0ULL, &b), 0);
	cr_assert_eq(b, 2ULL << 30);
	cr_assert_eq(bw_parse_size("1T", 0, ~0ULL, &b), 0);
	cr_assert_eq(b, 1ULL << 40);
	cr_assert_eq(bw_parse_size("", 0, ~0ULL, &b), -EINVAL);
	cr_assert_eq(bw_parse_size("-1", 0, ~0ULL, &b), -EINVAL);
	cr_assert_eq(bw_parse_size("10MB", 0, ~0ULL, &b), -EINVAL);
	cr_assert_eq(bw_parse_size("1x", 0, ~0ULL, &b), -EINVAL);
	cr_assert_eq(bw_parse_size("20000000T", 0, ~0ULL, &b), -ERANGE);
	cr_assert_eq(bw_parse_size("1k", 4096, ~0ULL, &b), -ERANGE);
	cr_assert_eq(bw_parse_size("99999999999999999999", 0, ~0ULL, &b), -ERANGE);
}

Test(parse, pids)
{
	__u32 pid = 0;

	cr_assert_eq(bw_parse_pid("1234", &pid), 0);
	cr_assert_eq(pid, 1234);
	cr_assert_eq(bw_parse_pid("1073741823", &pid), 0);
	cr_assert_eq(bw_parse_pid("1073741824", &pid), -EINVAL);
	cr_assert_eq(bw_parse_pid("0", &pid), -EINVAL);
	cr_assert_eq(bw_parse_pid("-1", &pid), -EINVAL);
	cr_assert_eq(bw_parse_pid("12ab", &pid), -EINVAL);
	cr_assert_eq(bw_parse_pid(" 12", &pid), -EINVAL);
	cr_assert_eq(bw_parse_pid("", &pid), -EINVAL);
	cr_assert_eq(bw_parse_pid(NULL, &pid), -EINVAL);
	cr_assert_eq(bw_parse_pid("99999999999999999999999", &pid), -EINVAL);
}
