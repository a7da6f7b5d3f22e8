// SPDX-License-Identifier: GPL-2.0
/*
 * What naming a binary's frames costs, per binary: open an offline
 * symbolizer for FILE, then look up one address (the first lookup reads the
 * symbols: .symtab, the debug file, MiniDebugInfo or a Go pclntab, and the
 * DWARF lines when there are any). Prints the median and range over N runs.
 *
 * usage: syms_open N FILE ADDR [DEBUG_ROOT]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "go/gofuncs.h"
#include "platform/syms.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct bw_syms_opts opts = { .funcs = &bw_gofuncs }; /* as blockwatch names frames */
	struct bw_syms *syms;
	struct bw_frame f = { 0 };
	double *open_ms, *find_ms;
	__u64 addr;
	int n, i;

	if (argc < 4 || (n = atoi(argv[1])) < 1) {
		fprintf(stderr, "usage: syms_open N FILE ADDR [DEBUG_ROOT]\n");
		return 2;
	}
	addr = strtoull(argv[3], NULL, 0);
	opts.debug_root = argc > 4 ? argv[4] : NULL;
	open_ms = calloc(n, sizeof(*open_ms));
	find_ms = calloc(n, sizeof(*find_ms));
	if (!open_ms || !find_ms)
		return 1;
	for (i = 0; i < n; i++) {
		double t0 = now_ms(), t1;

		if (bw_syms__new_elf_opts(argv[2], &opts, &syms)) {
			fprintf(stderr, "syms_open: failed to open %s\n", argv[2]);
			return 1;
		}
		t1 = now_ms();
		bw_syms__find(syms, addr, &f);
		find_ms[i] = now_ms() - t1;
		open_ms[i] = t1 - t0;
		bw_syms__free(syms);
	}
	qsort(open_ms, n, sizeof(*open_ms), cmp_double);
	qsort(find_ms, n, sizeof(*find_ms), cmp_double);
	printf("open %.3f ms (%.3f-%.3f)  first lookup %.3f ms (%.3f-%.3f)  n %d  -> %s src %d "
	       "%s:%d\n",
	       open_ms[n / 2], open_ms[0], open_ms[n - 1], find_ms[n / 2], find_ms[0],
	       find_ms[n - 1], n, f.func[0] ? f.func : "(unknown)", f.source, f.file, f.line);
	return 0;
}
