// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/escape.h"
#include "export/folded.h"
#include "platform/ksyms.h"

struct line {
	char *stack;
	__u64 ms;
};

struct lines {
	struct line *v;
	size_t n, cap;
};

static void user_frame(FILE *f, const struct bw_frame *fr)
{
	fputc(';', f);
	if (fr->func[0]) {
		bw_folded_str(f, fr->func, sizeof(fr->func));
	} else if (fr->module[0]) {
		fputc('[', f);
		bw_folded_str(f, fr->module, sizeof(fr->module));
		fputc(']', f);
	} else {
		fputs("[unknown]", f);
	}
}

static void kernel_frame(FILE *f, const struct bw_ksyms *ksyms, __u64 addr)
{
	__u64 off;
	const char *sym = ksyms ? bw_ksyms__find(ksyms, addr, &off) : NULL;

	fputc(';', f);
	if (sym)
		bw_folded_str(f, sym, 0);
	else
		fprintf(f, "0x%llx", (unsigned long long)addr);
	fputs("_[k]", f);
}

static void go_frame(FILE *f, const struct bw_gofunc *fn)
{
	fputc(';', f);
	if (fn->name && fn->name[0])
		bw_folded_str(f, fn->name, 0);
	else
		fputs("[unknown]", f);
}

/* max: bytes of comm at most (0: all). */
static void root_frame(FILE *f, const char *comm, size_t max, __u32 pid)
{
	bw_folded_str(f, comm, max);
	fprintf(f, " (%u)", pid);
}

static int add_thread(struct line *l, const struct bw_thread *t, const struct bw_ksyms *ksyms)
{
	int i, nk = t->kstack_entries, nu = t->ustack ? t->ustack_entries : 0;
	size_t len;
	FILE *f;

	nk = nk > BW_KSTACK_ENTRIES ? BW_KSTACK_ENTRIES : nk;
	f = open_memstream(&l->stack, &len);
	if (!f)
		return -ENOMEM;
	root_frame(f, t->comm, sizeof(t->comm), t->pid);
	for (i = nu - 1; i >= 0; i--)
		user_frame(f, &t->ustack[i]);
	for (i = nk - 1; i >= 0; i--)
		kernel_frame(f, ksyms, t->kstack[i]);
	return fclose(f) ? -ENOMEM : 0;
}

static int add_goroutine(struct line *l, const struct bw_capture_go *gp, const char *comm,
			 const struct bw_gorec *r)
{
	int i, nst = r->stack ? r->nstack : 0;
	size_t len;
	FILE *f;

	f = open_memstream(&l->stack, &len);
	if (!f)
		return -ENOMEM;
	root_frame(f, comm, 0, gp->pid);
	for (i = nst - 1; i >= 0; i--)
		go_frame(f, &r->stack[i]);
	/* Stack not filled: at least where it blocks. */
	if (nst <= 0 && r->blocked_at.name && r->blocked_at.name[0])
		go_frame(f, &r->blocked_at);
	return fclose(f) ? -ENOMEM : 0;
}

static struct line *new_line(struct lines *ls, __u64 blocked_ns)
{
	struct line *v;
	size_t cap;

	if (ls->n == ls->cap) {
		cap = ls->cap ? ls->cap * 2 : 64;
		v = reallocarray(ls->v, cap, sizeof(*v));
		if (!v)
			return NULL;
		ls->v = v;
		ls->cap = cap;
	}
	v = &ls->v[ls->n++];
	v->stack = NULL;
	v->ms = blocked_ns / 1000000 ? blocked_ns / 1000000 : 1;
	return v;
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(((const struct line *)a)->stack, ((const struct line *)b)->stack);
}

int bw_folded_write(FILE *f, const struct bw_capture *c)
{
	struct lines ls = { 0 };
	struct line *l;
	size_t i, j;
	__u64 sum;
	int err = 0;

	for (i = 0; !err && i < c->nthreads; i++) {
		if (c->threads[i].verdict == BW_VERDICT_NONE)
			continue;
		l = new_line(&ls, c->threads[i].blocked_ns);
		err = l ? add_thread(l, &c->threads[i], c->ksyms) : -ENOMEM;
	}
	for (i = 0; !err && i < c->ngos; i++) {
		const struct bw_capture_go *gp = &c->gos[i];
		const char *comm = bw_capture_comm(c, gp->pid);

		for (j = 0; !err && j < gp->nrecs; j++) {
			if (gp->recs[j].verdict == BW_VERDICT_NONE)
				continue;
			l = new_line(&ls, gp->recs[j].blocked_ns);
			err = l ? add_goroutine(l, gp, comm, &gp->recs[j]) : -ENOMEM;
		}
	}
	if (err)
		goto cleanup;

	if (ls.n)
		qsort(ls.v, ls.n, sizeof(*ls.v), line_cmp);
	for (i = 0; i < ls.n; i = j) {
		for (sum = 0, j = i; j < ls.n && !strcmp(ls.v[j].stack, ls.v[i].stack); j++)
			sum += ls.v[j].ms;
		fprintf(f, "%s %llu\n", ls.v[i].stack, (unsigned long long)sum);
	}
	errno = 0;
	if (fflush(f) || ferror(f))
		err = errno ? -errno : -EIO;
cleanup:
	for (i = 0; i < ls.n; i++)
		free(ls.v[i].stack);
	free(ls.v);
	return err;
}
