// SPDX-License-Identifier: GPL-2.0
/*
 * Opt-in exact park times of goroutines: uprobes on runtime.park_m (every
 * park goes through it, via mcall, so it is never inlined) and
 * runtime.goexit0. Both take gp in RAX (Go register ABI). A hit costs
 * about 0.5 us when placed past the stack-bound check, so this is off by
 * default: channel-heavy code parks millions of times a second.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "blockwatch.h"

const volatile __u32 g_goid_off = 152;
const volatile __u32 g_waitreason_off = 176;

/* Goroutines whose last park is kept: a million-goroutine process fits. */
#define GOPARKS_ENTRIES (1 << 20)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GOPARKS_ENTRIES);
	__type(key, __u64); /* g address */
	__type(value, struct bw_gopark);
} goparks SEC(".maps");

SEC("uprobe")
int park_m(struct pt_regs *ctx)
{
	__u64 gp = PT_REGS_RC(ctx); /* RAX: the first argument in ABIInternal */
	struct bw_gopark park = { .park_ns = bpf_ktime_get_ns() };

	bpf_probe_read_user(&park.goid, sizeof(park.goid), (void *)(gp + g_goid_off));
	bpf_probe_read_user(&park.wait_reason, 1, (void *)(gp + g_waitreason_off));
	bpf_map_update_elem(&goparks, &gp, &park, BPF_ANY);
	return 0;
}

SEC("uprobe")
int goexit0(struct pt_regs *ctx)
{
	__u64 gp = PT_REGS_RC(ctx);

	bpf_map_delete_elem(&goparks, &gp);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
