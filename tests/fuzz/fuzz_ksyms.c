// SPDX-License-Identifier: GPL-2.0
/* /proc/kallsyms text: bw_ksyms__load on a stream, then lookups. */
#include <errno.h>
#include "fuzz_util.h"
#include "platform/ksyms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const __u64 probes[] = {
		0, 1, 0xffffffff81000000ULL, 0xffffffff81000010ULL, 0xffffffffc0000000ULL, ~0ULL
	};
	struct bw_ksyms *ks = NULL;
	char *buf;
	FILE *f = fuzz_stream(data, size, &buf);
	size_t i;
	int err;

	if (!f)
		abort();
	err = bw_ksyms__load(f, &ks);
	fclose(f);
	if (err && ks)
		abort(); /* failure must leave *out NULL */
	for (i = 0; ks && i < sizeof(probes) / sizeof(probes[0]); i++) {
		__u64 off = 0;
		const char *name = bw_ksyms__find(ks, probes[i], &off);

		if (name && (off > probes[i] || !*name))
			abort();
	}
	/* Addresses from the input itself: every 8 bytes read as one. */
	for (i = 0; ks && i + 8 <= size && i < 256; i += 8) {
		__u64 addr, off;

		memcpy(&addr, data + i, 8);
		bw_ksyms__find(ks, addr, &off);
	}
	bw_ksyms__free(ks);
	free(buf);
	return 0;
}
