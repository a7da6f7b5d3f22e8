// SPDX-License-Identifier: GPL-2.0
/*
 * The cost of bw_gcmap_stack: reads the stacks of every waiting goroutine of
 * a Go process once, then times the stack map walk over them (no memory
 * reads in the timed part) and prints ns per frame and per goroutine, and
 * how many walks were precise.
 *
 * usage: gcmap-bench BINARY [PID] [ROUNDS]
 *   without PID (or PID 0) it runs `BINARY gcmap` (the gobin test fixture)
 *   and measures that process; ROUNDS (default 200) repeats the walks.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "go/gcmap.h"
#include "go/gobin.h"
#include "platform/memread.h"

struct gstack {
	__u64 pc, sp;
	__u8 *buf;
	size_t len;
	int frames;
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Frames of the walk, counted as bw_gcmap_stack walks them (pcsp, return address). */
static int count_frames(const struct bw_gobin *gb, const struct gstack *s)
{
	__u64 pc = s->pc, sp = s->sp, end = s->sp + s->len;
	int n = 0;

	while (n < 100000) {
		struct bw_gofuncinfo f;
		__s32 d;
		__u64 fp;

		if (bw_gobin__funcinfo(gb, pc, &f))
			break;
		n++;
		d = bw_gobin__pcvalue(gb, &f, BW_GOPC_SP, pc);
		if (d < 0 || (__u64)d + 8 > end - sp || (f.flag & BW_GOFLAG_TOPFRAME) ||
		    f.special == BW_GOSPECIAL_GOEXIT)
			break;
		fp = sp + d + 8;
		memcpy(&pc, s->buf + (fp - 8 - s->sp), 8);
		sp = fp;
	}
	return n;
}

int main(int argc, char **argv)
{
	struct bw_gobin *gb = NULL;
	struct bw_golayout l;
	struct bw_mem *mem = NULL;
	struct gstack *gs = NULL;
	__u64 allgs, size, arr, n, i, t0, t1, frames = 0, maxlen = 0;
	size_t ng = 0;
	int rounds = argc > 3 ? atoi(argv[3]) : 200, r, precise = 0, err = 1;
	pid_t pid = argc > 2 ? atoi(argv[2]) : 0, child = 0;
	__u8 *bits;

	if (argc < 2) {
		fprintf(stderr, "usage: gcmap-bench BINARY [PID] [ROUNDS]\n");
		return 2;
	}
	if (bw_gobin__open(argv[1], &gb) || bw_gobin__layout(gb, &l) ||
	    bw_gobin__lookup(gb, "runtime.allgs", &allgs, &size)) {
		fprintf(stderr, "gcmap-bench: failed to read %s\n", argv[1]);
		goto cleanup;
	}
	if (bw_gobin__info(gb)->flags & BW_GOBIN_PIE) {
		fprintf(stderr, "gcmap-bench: PIE binaries are not handled here\n");
		goto cleanup;
	}
	if (!pid) {
		int fds[2];
		char line[256];
		FILE *out;

		if (pipe(fds))
			goto cleanup;
		child = pid = fork();
		if (pid == 0) {
			dup2(fds[1], 1);
			execl(argv[1], argv[1], "gcmap", (char *)NULL);
			_exit(127);
		}
		close(fds[1]);
		out = fdopen(fds[0], "r");
		while (out && fgets(line, sizeof(line), out) && strncmp(line, "gcstack", 7))
			;
		usleep(200000); /* it parks right after printing */
	}
	if (bw_mem__open(pid, &mem) || bw_mem__read_u64(mem, allgs, &arr) ||
	    bw_mem__read_u64(mem, allgs + 8, &n)) {
		fprintf(stderr, "gcmap-bench: failed to read process %d\n", pid);
		goto cleanup;
	}
	gs = calloc(n, sizeof(*gs));
	for (i = 0; gs && i < n; i++) {
		__u64 g, hi, sp, pc;
		__u32 st;
		struct gstack *s = &gs[ng];

		if (bw_mem__read_u64(mem, arr + 8 * i, &g) ||
		    bw_mem__read_u32(mem, g + l.g_atomicstatus, &st) || (st & ~0x1000u) != 4 ||
		    bw_mem__read_u64(mem, g + l.g_stack_hi, &hi) ||
		    bw_mem__read_u64(mem, g + l.g_sched + l.gobuf_sp, &sp) ||
		    bw_mem__read_u64(mem, g + l.g_sched + l.gobuf_pc, &pc) || sp >= hi ||
		    hi - sp > (1u << 26))
			continue;
		s->pc = pc;
		s->sp = sp;
		s->len = hi - sp;
		s->buf = malloc(s->len);
		if (!s->buf || bw_mem__read(mem, sp, s->buf, s->len)) {
			free(s->buf);
			continue;
		}
		s->frames = count_frames(gb, s);
		frames += s->frames;
		if (s->len > maxlen)
			maxlen = s->len;
		ng++;
	}
	bits = calloc(maxlen / 64 + 1, 1);
	if (!ng || !bits) {
		fprintf(stderr, "gcmap-bench: no waiting goroutine read\n");
		goto cleanup;
	}
	for (i = 0; i < ng; i++)
		precise +=
			bw_gcmap_stack(gb, 0, gs[i].pc, gs[i].sp, gs[i].buf, gs[i].len, bits) == 0;
	t0 = now_ns();
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < ng; i++) {
			memset(bits, 0, gs[i].len / 64 + 1);
			bw_gcmap_stack(gb, 0, gs[i].pc, gs[i].sp, gs[i].buf, gs[i].len, bits);
		}
	}
	t1 = now_ns();
	printf("%zu waiting goroutines, %llu frames, %d precise walks; %d rounds: "
	       "%.0f ns/frame, %.0f ns/goroutine\n",
	       ng, (unsigned long long)frames, precise, rounds,
	       (double)(t1 - t0) / ((double)frames * rounds),
	       (double)(t1 - t0) / ((double)ng * rounds));
	free(bits);
	err = 0;
cleanup:
	for (i = 0; gs && i < ng; i++)
		free(gs[i].buf);
	free(gs);
	bw_mem__free(mem);
	bw_gobin__free(gb);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	return err;
}
