/* SPDX-License-Identifier: GPL-2.0 */
/* Every number from the command line goes through here. */
#ifndef BW_PARSE_H
#define BW_PARSE_H

#include <linux/types.h>

/*
 * Parses a duration such as "500ms", "3s", "2m", "1h", "250us" or a bare
 * number of seconds into nanoseconds. 0 or -EINVAL (garbage, trailing text,
 * zero) or -ERANGE (more than max_ns).
 */
int bw_parse_duration(const char *s, __u64 max_ns, __u64 *ns);
/* Parses a decimal integer in [min, max]: 0, -EINVAL or -ERANGE. */
int bw_parse_uint(const char *s, __u64 min, __u64 max, __u64 *out);
/* The largest pid Linux hands out (PID_MAX_LIMIT is 2^22; futex words keep 30 bits). */
#define BW_PID_MAX 0x3fffffff
/* A pid: a decimal in [1, BW_PID_MAX]. 0 or -EINVAL. */
int bw_parse_pid(const char *s, __u32 *pid);
/*
 * Parses a size in bytes: a decimal number with an optional binary suffix
 * k, M, G or T (KiB... TiB, either case). 0, -EINVAL (garbage, trailing
 * text) or -ERANGE (outside [min, max]).
 */
int bw_parse_size(const char *s, __u64 min, __u64 max, __u64 *bytes);
/* Formats a duration for people: "850ms", "12.3s", "4m05s", "2h13m". */
void bw_format_duration(__u64 ns, char *buf, int len);

#endif
