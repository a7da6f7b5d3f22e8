// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "core/escape.h"
#include "core/hash.h"
#include "core/hashmap.h"
#include "platform/ksyms.h"
#include "export/pprof.h"
#include "go/gowait.h"
#include "proto/profile.pb-c.h"

#define LABELS_MAX_ENTRIES 8
#define MAPPING_ID 1
#define GZIP_CHUNK_BYTES 16384

/* Location keys: which kind of frame, so equal numbers of two kinds never merge. */
enum loc_kind {
	LOC_KERNEL = 1,
	LOC_USER,
	LOC_GO,
	LOC_ROOT,
};

struct loc_key {
	__u32 kind;
	__u32 pid; /* user frames only: addresses are per address space */
	__u64 addr;
	uint64_t func_id;
	int64_t line;
};

struct func_key {
	int64_t name;
	int64_t file;
};

/* Byte strings to ids; keys are copied and NUL-terminated. */
struct idmap_ent {
	char *key;
	size_t len;
	__u64 id;
};

struct idmap {
	struct bw_hashmap *map; /* hash of the key -> struct idmap_ent; NULL until the first key */
};

struct loc {
	Perftools__Profiles__Location pb;
	Perftools__Profiles__Line line;
	Perftools__Profiles__Line *linep;
};

struct sample {
	Perftools__Profiles__Sample pb;
	uint64_t *locids;
	int64_t values[2];
	Perftools__Profiles__Label labels[LABELS_MAX_ENTRIES];
	Perftools__Profiles__Label *labelp[LABELS_MAX_ENTRIES];
};

struct builder {
	const struct bw_capture *c;
	struct idmap strmap, funcmap, locmap;
	char **strs; /* point into strmap's keys */
	size_t nstrs, capstrs;
	Perftools__Profiles__Function *funcs;
	size_t nfuncs, capfuncs;
	struct loc *locs;
	size_t nlocs, caplocs;
	struct sample *samples;
	size_t nsamples, capsamples;
};

struct bytes {
	const void *p;
	size_t len;
};

static bool same_key(const void *val, const void *probe)
{
	const struct idmap_ent *e = val;
	const struct bytes *k = probe;

	return e->len == k->len && !memcmp(e->key, k->p, k->len);
}

/* The id of key, adding it with id next when absent (*added says which). */
static int idmap_get(struct idmap *m, const void *key, size_t len, __u64 next,
		     struct idmap_ent **out, bool *added)
{
	__u64 h = bw_fnv1a(BW_FNV_OFFSET, key, len);
	const struct bytes probe = { key, len };
	struct idmap_ent *e;
	char *copy;

	if (!m->map && bw_hashmap__new(sizeof(struct idmap_ent), &m->map))
		return -ENOMEM;
	e = bw_hashmap__find_hashed(m->map, h, same_key, &probe);
	*added = !e;
	if (!e) {
		copy = malloc(len + 1);
		if (!copy)
			return -ENOMEM;
		if (bw_hashmap__add_hashed(m->map, h, (void **)&e)) {
			free(copy);
			return -ENOMEM;
		}
		memcpy(copy, key, len);
		copy[len] = '\0';
		*e = (struct idmap_ent){ .key = copy, .len = len, .id = next };
	}
	*out = e;
	return 0;
}

static void idmap_free(struct idmap *m)
{
	struct idmap_ent *e;
	size_t it = 0;
	__u64 h;

	while (m->map && bw_hashmap__next(m->map, &it, &h, (void **)&e))
		free(e->key);
	bw_hashmap__free(m->map);
}

/* Makes room for one more element of an array that grows by doubling. */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	void *p;

	if (n < *cap)
		return 0;
	p = reallocarray(*arr, ncap, size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* The string table index of s, escaped. */
static int intern(struct builder *b, const char *s, int64_t *idx)
{
	struct idmap_ent *e;
	char *esc = bw_text_dup(s);
	bool added;
	int err;

	if (!esc)
		return -ENOMEM;
	err = grow((void **)&b->strs, &b->capstrs, b->nstrs, sizeof(*b->strs));
	if (!err)
		err = idmap_get(&b->strmap, esc, strlen(esc), b->nstrs, &e, &added);
	free(esc);
	if (err)
		return err;
	if (added)
		b->strs[b->nstrs++] = e->key;
	*idx = e->id;
	return 0;
}

__attribute__((format(printf, 3, 4))) static int intern_fmt(struct builder *b, int64_t *idx,
							    const char *fmt, ...)
{
	char *s;
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (err < 0)
		return -ENOMEM;
	err = intern(b, s, idx);
	free(s);
	return err;
}

static int func_id(struct builder *b, int64_t name, const char *file, uint64_t *id)
{
	struct func_key key = { .name = name };
	struct idmap_ent *e;
	Perftools__Profiles__Function *fn;
	bool added;
	int err;

	err = intern(b, file, &key.file);
	if (!err)
		err = grow((void **)&b->funcs, &b->capfuncs, b->nfuncs, sizeof(*b->funcs));
	if (!err)
		err = idmap_get(&b->funcmap, &key, sizeof(key), b->nfuncs + 1, &e, &added);
	if (err)
		return err;
	if (added) {
		fn = &b->funcs[b->nfuncs++];
		perftools__profiles__function__init(fn);
		fn->id = e->id;
		fn->name = key.name;
		fn->system_name = key.name;
		fn->filename = key.file;
	}
	*id = e->id;
	return 0;
}

/* A location of one line; name is a string index. */
static int loc_id(struct builder *b, enum loc_kind kind, __u32 pid, __u64 addr, int64_t name,
		  const char *file, int line, uint64_t *id)
{
	struct loc_key key;
	struct idmap_ent *e;
	struct loc *l;
	bool added;
	int err;

	memset(&key, 0, sizeof(key)); /* the padding is hashed too */
	key.kind = kind;
	key.pid = kind == LOC_USER ? pid : 0;
	key.addr = addr;
	key.line = line > 0 ? line : 0;
	err = func_id(b, name, file, &key.func_id);
	if (!err)
		err = grow((void **)&b->locs, &b->caplocs, b->nlocs, sizeof(*b->locs));
	if (!err)
		err = idmap_get(&b->locmap, &key, sizeof(key), b->nlocs + 1, &e, &added);
	if (err)
		return err;
	if (added) {
		l = &b->locs[b->nlocs++];
		perftools__profiles__location__init(&l->pb);
		perftools__profiles__line__init(&l->line);
		l->pb.id = e->id;
		l->pb.mapping_id = MAPPING_ID;
		l->pb.address = addr;
		l->line.function_id = key.func_id;
		l->line.line = key.line;
	}
	*id = e->id;
	return 0;
}

static int kernel_loc(struct builder *b, __u64 addr, uint64_t *id)
{
	const char *sym = NULL;
	__u64 off;
	int64_t name;
	int err;

	if (b->c->ksyms)
		sym = bw_ksyms__find(b->c->ksyms, addr, &off);
	if (sym)
		err = intern_fmt(b, &name, "[k] %s", sym);
	else
		err = intern_fmt(b, &name, "[k] 0x%llx", (unsigned long long)addr);
	if (err)
		return err;
	return loc_id(b, LOC_KERNEL, 0, addr, name, "", 0, id);
}

static int user_loc(struct builder *b, __u32 pid, const struct bw_frame *fr, uint64_t *id)
{
	int64_t name;
	int err;

	if (fr->func[0])
		err = intern(b, fr->func, &name);
	else if (fr->module[0])
		err = intern_fmt(b, &name, "[%.*s]", (int)sizeof(fr->module), fr->module);
	else
		err = intern(b, "[unknown]", &name);
	if (err)
		return err;
	return loc_id(b, LOC_USER, pid, fr->pc, name, fr->file, fr->line, id);
}

static int go_loc(struct builder *b, const struct bw_gofunc *fn, uint64_t *id)
{
	int64_t name;
	int err;

	err = intern(b, fn->name && fn->name[0] ? fn->name : "[unknown]", &name);
	if (err)
		return err;
	return loc_id(b, LOC_GO, 0, 0, name, fn->file, fn->line, id);
}

static int root_loc(struct builder *b, const char *comm, __u32 pid, uint64_t *id)
{
	int64_t name;
	int err;

	err = intern_fmt(b, &name, "%s (%u)", comm ? comm : "", pid);
	if (err)
		return err;
	return loc_id(b, LOC_ROOT, 0, 0, name, "", 0, id);
}

static int new_sample(struct builder *b, size_t nlocs, __u64 blocked_ns, struct sample **out)
{
	struct sample *s;
	int err;

	err = grow((void **)&b->samples, &b->capsamples, b->nsamples, sizeof(*b->samples));
	if (err)
		return err;
	s = &b->samples[b->nsamples];
	memset(s, 0, sizeof(*s));
	perftools__profiles__sample__init(&s->pb);
	s->locids = calloc(nlocs, sizeof(*s->locids));
	if (!s->locids)
		return -ENOMEM;
	b->nsamples++;
	s->values[0] = 1;
	s->values[1] = blocked_ns > INT64_MAX ? INT64_MAX : (int64_t)blocked_ns;
	*out = s;
	return 0;
}

static Perftools__Profiles__Label *new_label(struct builder *b, struct sample *s, const char *key,
					     int *err)
{
	Perftools__Profiles__Label *l = &s->labels[s->pb.n_label];

	if (*err)
		return NULL;
	if (s->pb.n_label == LABELS_MAX_ENTRIES) {
		*err = -EOVERFLOW; /* a bug: LABELS_MAX_ENTRIES too small */
		return NULL;
	}
	perftools__profiles__label__init(l);
	*err = intern(b, key, &l->key);
	if (*err)
		return NULL;
	s->pb.n_label++;
	return l;
}

/* Appends a string label unless err is set already; returns err or the new error. */
static int label_str(struct builder *b, struct sample *s, const char *key, const char *val, int err)
{
	Perftools__Profiles__Label *l = new_label(b, s, key, &err);

	return l ? intern(b, val, &l->str) : err;
}

static int label_num(struct builder *b, struct sample *s, const char *key, __u64 val, int err)
{
	Perftools__Profiles__Label *l = new_label(b, s, key, &err);

	if (l)
		l->num = (int64_t)val;
	return err;
}

static int add_thread(struct builder *b, const struct bw_thread *t)
{
	int i, nk = t->kstack_entries, nu = t->ustack ? t->ustack_entries : 0, err;
	char comm[BW_COMM_BYTES + 1];
	struct sample *s;
	size_t n = 0;

	memcpy(comm, t->comm, BW_COMM_BYTES);
	comm[BW_COMM_BYTES] = '\0';
	nk = nk < 0 ? 0 : nk > BW_KSTACK_ENTRIES ? BW_KSTACK_ENTRIES : nk;
	nu = nu < 0 ? 0 : nu;
	err = new_sample(b, nk + nu + 1, t->blocked_ns, &s);
	for (i = 0; !err && i < nk; i++)
		err = kernel_loc(b, t->kstack[i], &s->locids[n++]);
	for (i = 0; !err && i < nu; i++)
		err = user_loc(b, t->pid, &t->ustack[i], &s->locids[n++]);
	if (!err)
		err = root_loc(b, comm, t->pid, &s->locids[n++]);
	if (err)
		return err;
	s->pb.n_location_id = n;
	err = label_str(b, s, "kind", "thread", err);
	err = label_str(b, s, "verdict", bw_verdict_name(t->verdict), err);
	err = label_str(b, s, "wait", bw_wait_name(t->wait), err);
	err = label_str(b, s, "comm", comm, err);
	err = label_num(b, s, "pid", t->pid, err);
	err = label_num(b, s, "tid", t->tid, err);
	if (t->goid)
		err = label_num(b, s, "goid", t->goid, err);
	return err;
}

static int add_goroutine(struct builder *b, const struct bw_capture_go *gp, const char *comm,
			 const struct bw_gorec *r)
{
	int i, nst = r->stack && r->nstack > 0 ? r->nstack : 0, err;
	const char *reason = r->g.wait_reason;
	struct sample *s;
	size_t n = 0;

	err = new_sample(b, nst + 2, r->blocked_ns, &s);
	for (i = 0; !err && i < nst; i++)
		err = go_loc(b, &r->stack[i], &s->locids[n++]);
	/* Stack not filled: at least where it blocks. */
	if (!err && !nst && r->blocked_at.name && r->blocked_at.name[0])
		err = go_loc(b, &r->blocked_at, &s->locids[n++]);
	if (!err)
		err = root_loc(b, comm, gp->pid, &s->locids[n++]);
	if (err)
		return err;
	s->pb.n_location_id = n;
	if ((!reason || !reason[0]) && r->g.status == BW_GSTATUS_SYSCALL)
		reason = "syscall";
	err = label_str(b, s, "kind", "goroutine", err);
	err = label_str(b, s, "verdict", bw_verdict_name(r->verdict), err);
	if (reason && reason[0])
		err = label_str(b, s, "wait", reason, err);
	err = label_str(b, s, "comm", comm, err);
	err = label_num(b, s, "pid", gp->pid, err);
	err = label_num(b, s, "goid", r->g.goid, err);
	if (r->created_by.name && r->created_by.name[0])
		err = label_str(b, s, "created_by", r->created_by.name, err);
	if (r->g.why && r->verdict >= BW_VERDICT_LEAK) {
		char why[256];

		bw_gowhy_text(&r->g, why, sizeof(why));
		err = label_str(b, s, "why", why, err);
	}
	return err;
}

static int gzip_write(FILE *f, const uint8_t *buf, size_t len)
{
	unsigned char out[GZIP_CHUNK_BYTES];
	z_stream zs = { 0 };
	int ret, err = 0;
	size_t have;

	if (len > UINT_MAX)
		return -EOVERFLOW;
	/* 15 + 16: a gzip header and trailer around the deflate stream. */
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)buf;
	zs.avail_in = len;
	do {
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		ret = deflate(&zs, Z_FINISH);
		if (ret == Z_STREAM_ERROR) {
			err = -EINVAL;
			break;
		}
		have = sizeof(out) - zs.avail_out;
		if (fwrite(out, 1, have, f) != have) {
			err = errno ? -errno : -EIO;
			break;
		}
	} while (ret != Z_STREAM_END);
	deflateEnd(&zs);
	return err;
}

static int encode(FILE *f, struct builder *b)
{
	Perftools__Profiles__Profile prof = PERFTOOLS__PROFILES__PROFILE__INIT;
	Perftools__Profiles__ValueType types[2] = { PERFTOOLS__PROFILES__VALUE_TYPE__INIT,
						    PERFTOOLS__PROFILES__VALUE_TYPE__INIT };
	Perftools__Profiles__ValueType *typep[2] = { &types[0], &types[1] };
	Perftools__Profiles__Mapping map = PERFTOOLS__PROFILES__MAPPING__INIT, *mapp = &map;
	Perftools__Profiles__Function **funcp = NULL;
	Perftools__Profiles__Location **locp = NULL;
	Perftools__Profiles__Sample **samplep = NULL;
	int64_t comment;
	uint8_t *buf = NULL;
	size_t i, len;
	int err;

	err = intern(b, "count", &types[0].type);
	if (!err)
		err = intern(b, "blocked", &types[1].type);
	if (!err)
		err = intern(b, "nanoseconds", &types[1].unit);
	if (!err)
		err = intern_fmt(b, &comment, "blockwatch %s: threads and goroutines blocked",
				 BW_VERSION);
	/*
	 * One mapping for every location, marked symbolized and named "[...]" as
	 * pprof's pseudo-files are: readers then never look for a binary to
	 * symbolize with (pprof would warn "Main binary filename not available").
	 */
	if (!err)
		err = intern(b, "[blockwatch]", &map.filename);
	if (err)
		return err;
	types[0].unit = types[0].type;
	map.id = MAPPING_ID;
	map.memory_limit = UINT64_MAX;
	map.has_functions = true;
	map.has_filenames = true;
	map.has_line_numbers = true;
	funcp = calloc(b->nfuncs + 1, sizeof(*funcp));
	locp = calloc(b->nlocs + 1, sizeof(*locp));
	samplep = calloc(b->nsamples + 1, sizeof(*samplep));
	if (!funcp || !locp || !samplep) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* The arrays have stopped moving: wire the pointers into them now. */
	for (i = 0; i < b->nfuncs; i++)
		funcp[i] = &b->funcs[i];
	for (i = 0; i < b->nlocs; i++) {
		struct loc *l = &b->locs[i];

		l->linep = &l->line;
		l->pb.line = &l->linep;
		l->pb.n_line = 1;
		locp[i] = &l->pb;
	}
	for (i = 0; i < b->nsamples; i++) {
		struct sample *s = &b->samples[i];
		size_t j;

		for (j = 0; j < s->pb.n_label; j++)
			s->labelp[j] = &s->labels[j];
		s->pb.label = s->labelp;
		s->pb.location_id = s->locids;
		s->pb.value = s->values;
		s->pb.n_value = 2;
		samplep[i] = &s->pb;
	}
	prof.n_sample_type = 2;
	prof.sample_type = typep;
	prof.n_sample = b->nsamples;
	prof.sample = samplep;
	prof.n_mapping = 1;
	prof.mapping = &mapp;
	prof.n_location = b->nlocs;
	prof.location = locp;
	prof.n_function = b->nfuncs;
	prof.function = funcp;
	prof.n_string_table = b->nstrs;
	prof.string_table = b->strs;
	prof.time_nanos = b->c->created_unix_s > INT64_MAX / 1000000000
				  ? INT64_MAX
				  : (int64_t)(b->c->created_unix_s * 1000000000);
	prof.duration_nanos = b->c->watched_ns > INT64_MAX ? INT64_MAX : (int64_t)b->c->watched_ns;
	prof.n_comment = 1;
	prof.comment = &comment;
	prof.default_sample_type = types[1].type;

	len = perftools__profiles__profile__get_packed_size(&prof);
	buf = malloc(len ? len : 1);
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	perftools__profiles__profile__pack(&prof, buf);
	errno = 0;
	err = gzip_write(f, buf, len);
	if (!err && fflush(f))
		err = errno ? -errno : -EIO;
	if (!err && ferror(f))
		err = -EIO;
cleanup:
	free(buf);
	free(samplep);
	free(locp);
	free(funcp);
	return err;
}

int bw_pprof_write(FILE *f, const struct bw_capture *c)
{
	struct builder b = { .c = c };
	int64_t empty;
	size_t i, j;
	int err;

	err = intern(&b, "", &empty); /* string_table[0] */
	for (i = 0; !err && i < c->nthreads; i++)
		if (c->threads[i].verdict != BW_VERDICT_NONE)
			err = add_thread(&b, &c->threads[i]);
	for (i = 0; !err && i < c->ngos; i++) {
		const struct bw_capture_go *gp = &c->gos[i];
		const char *comm = bw_capture_comm(c, gp->pid);

		for (j = 0; !err && j < gp->nrecs; j++)
			if (gp->recs[j].verdict != BW_VERDICT_NONE)
				err = add_goroutine(&b, gp, comm, &gp->recs[j]);
	}
	if (!err)
		err = encode(f, &b);

	for (i = 0; i < b.nsamples; i++)
		free(b.samples[i].locids);
	free(b.samples);
	free(b.locs);
	free(b.funcs);
	free(b.strs);
	idmap_free(&b.locmap);
	idmap_free(&b.funcmap);
	idmap_free(&b.strmap);
	return err;
}
