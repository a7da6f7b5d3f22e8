// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "harness.h"

#define E2E_LINE_MAX 512

const char *e2e_bw_bin(void)
{
	const char *bin = getenv("BW_BIN");

	return bin && *bin ? bin : "./blockwatch";
}

const char *e2e_targets_dir(void)
{
	const char *dir = getenv("BW_TARGETS");

	return dir && *dir ? dir : "./.output/targets";
}

double e2e_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_err(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

/* Read a one-line /proc file into BUF without its newline. */
static int read_proc_line(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Milliseconds left until DEADLINE_S, for poll(); 0 once it passed. */
static int ms_left(double deadline_s)
{
	double left = deadline_s - e2e_now_s();

	return left > 0 ? (int)(left * 1000) + 1 : 0;
}

/*
 * Fork and exec ARGV with stdout (and stderr if ERR_FD) on the given pipe
 * write ends and stdin on /dev/null. The child dies with the test process.
 */
static pid_t spawn(const char *const *argv, int out_fd, int err_fd, int death_sig)
{
	pid_t parent = getpid();
	pid_t pid;
	int null_fd;

	pid = fork();
	if (pid != 0)
		return pid < 0 ? -errno : pid;
	if (prctl(PR_SET_PDEATHSIG, death_sig) || getppid() != parent)
		_exit(126);
	null_fd = open("/dev/null", O_RDONLY);
	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    (err_fd >= 0 && dup2(err_fd, STDERR_FILENO) < 0))
		_exit(126);
	execv(argv[0], (char *const *)argv);
	fprintf(stderr, "e2e: failed to exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Copies the text between key and the next key (or the end) into dst. */
static bool field(const char *line, const char *key, const char *next, char *dst, size_t len)
{
	const char *p = strstr(line, key), *e;

	if (!p)
		return false;
	p += strlen(key);
	e = next ? strstr(p, next) : p + strlen(p);
	if (!e || (size_t)(e - p) >= len || e == p)
		return false;
	memcpy(dst, p, e - p);
	dst[e - p] = '\0';
	return true;
}

static int parse_goroutine(struct e2e_target *t, const char *line)
{
	struct e2e_goroutine *g;

	if (t->ngoroutines >= E2E_MAX_GOROUTINES) {
		set_err(t->err, sizeof(t->err), "%s: more than %d goroutines", t->name,
			E2E_MAX_GOROUTINES);
		return -E2BIG;
	}
	g = &t->goroutines[t->ngoroutines];
	memset(g, 0, sizeof(*g));
	if (sscanf(line, "goid %lld ", &g->goid) != 1 || g->goid <= 0 ||
	    !field(line, " role ", " expect ", g->role, sizeof(g->role)) ||
	    !field(line, " expect ", " wait ", g->expect, sizeof(g->expect)) ||
	    !field(line, " wait ", " func ", g->wait, sizeof(g->wait)) ||
	    !field(line, " func ", " created ", g->func, sizeof(g->func)) ||
	    !field(line, " created ", NULL, g->created, sizeof(g->created))) {
		set_err(t->err, sizeof(t->err), "%s: bad announcement \"%s\"", t->name, line);
		return -EINVAL;
	}
	t->ngoroutines++;
	return 0;
}

static int parse_announcement(struct e2e_target *t, const char *line)
{
	struct e2e_thread *th;

	if (!strncmp(line, "goid ", 5))
		return parse_goroutine(t, line);
	if (!strncmp(line, "leaked ", 7)) {
		if (sscanf(line, "leaked %lld", &t->leaked) != 1 || t->leaked < 0) {
			set_err(t->err, sizeof(t->err), "%s: bad count \"%s\"", t->name, line);
			return -EINVAL;
		}
		return 0;
	}
	if (t->nthreads >= E2E_MAX_THREADS) {
		set_err(t->err, sizeof(t->err), "%s: more than %d announcements", t->name,
			E2E_MAX_THREADS);
		return -E2BIG;
	}
	th = &t->threads[t->nthreads];
	memset(th, 0, sizeof(*th));
	if (sscanf(line, "tid %d role %31s expect %15s wait %23s", &th->tid, th->role, th->expect,
		   th->wait) != 4 ||
	    th->tid <= 0) {
		set_err(t->err, sizeof(t->err), "%s: bad announcement \"%s\"", t->name, line);
		return -EINVAL;
	}
	t->nthreads++;
	return 0;
}

/* Read announcement lines until "ready", EOF or the deadline. */
static int read_announcements(struct e2e_target *t)
{
	double deadline = e2e_now_s() + E2E_READY_TIMEOUT_S;
	char buf[E2E_LINE_MAX * 4];
	size_t len = 0;

	for (;;) {
		struct pollfd pfd = { .fd = t->out_fd, .events = POLLIN };
		char *nl;
		ssize_t n;
		int ret;

		while ((nl = memchr(buf, '\n', len))) {
			*nl = '\0';
			if (!strcmp(buf, "ready"))
				return 0;
			if (!strncmp(buf, "ready ", 6)) {
				snprintf(t->ready, sizeof(t->ready), "%.*s",
					 (int)sizeof(t->ready) - 1, buf + 6);
				return 0;
			}
			ret = parse_announcement(t, buf);
			if (ret)
				return ret;
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
		}
		if (len == sizeof(buf)) {
			set_err(t->err, sizeof(t->err), "%s: announcement line too long", t->name);
			return -E2BIG;
		}
		ret = poll(&pfd, 1, ms_left(deadline));
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			ret = -errno;
			set_err(t->err, sizeof(t->err), "failed to poll %s stdout: %s", t->name,
				strerror(-ret));
			return ret;
		}
		if (ret == 0) {
			set_err(t->err, sizeof(t->err), "%s: no \"ready\" within %.0f s", t->name,
				E2E_READY_TIMEOUT_S);
			return -ETIMEDOUT;
		}
		n = read(t->out_fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			set_err(t->err, sizeof(t->err), "%s exited before \"ready\"", t->name);
			return -EPIPE;
		}
		len += (size_t)n;
	}
}

int e2e_target_start(struct e2e_target *t, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", e2e_targets_dir(), name);
	return e2e_target_start_path(t, path, name);
}

int e2e_target_start_path(struct e2e_target *t, const char *target, const char *name)
{
	char path[512];
	const char *argv[2] = { path, NULL };
	int ret;

	snprintf(path, sizeof(path), "%s", target);
	if (access(path, X_OK)) {
		ret = -errno;
		memset(t, 0, sizeof(*t));
		t->out_fd = -1;
		set_err(t->err, sizeof(t->err), "failed to find target %s: %s", path,
			strerror(-ret));
		return ret;
	}
	return e2e_target_start_argv(t, argv, name);
}

void e2e_target_stop(struct e2e_target *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		while (waitpid(t->pid, NULL, 0) < 0 && errno == EINTR)
			;
		t->pid = 0;
	}
	if (t->out_fd >= 0) {
		close(t->out_fd);
		t->out_fd = -1;
	}
}

const struct e2e_thread *e2e_target_role(const struct e2e_target *t, const char *role)
{
	size_t i;

	for (i = 0; i < t->nthreads; i++)
		if (!strcmp(t->threads[i].role, role))
			return &t->threads[i];
	return NULL;
}

const struct e2e_thread *e2e_target_tid(const struct e2e_target *t, int tid)
{
	size_t i;

	for (i = 0; i < t->nthreads; i++)
		if (t->threads[i].tid == tid)
			return &t->threads[i];
	return NULL;
}

struct sink {
	int fd;
	char *buf;
	size_t len, cap;
};

/* Read what is there into S; returns 0 at EOF, 1 to go on, negative errno. */
static int sink_read(struct sink *s)
{
	ssize_t n;

	if (s->cap - s->len < 4096) {
		size_t cap = s->cap ? s->cap * 2 : 16384;
		char *buf = realloc(s->buf, cap);

		if (!buf)
			return -ENOMEM;
		s->buf = buf;
		s->cap = cap;
	}
	n = read(s->fd, s->buf + s->len, s->cap - s->len - 1);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -errno;
	s->len += (size_t)n;
	s->buf[s->len] = '\0';
	return n > 0;
}

static json_object *parse_object_line(const char *line, size_t len)
{
	json_tokener *tok = json_tokener_new();
	json_object *obj;

	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, line, (int)len);
	if (obj && (json_tokener_get_error(tok) != json_tokener_success ||
		    json_tokener_get_parse_end(tok) != len ||
		    !json_object_is_type(obj, json_type_object))) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

/* Split stdout into lines; each must be one JSON object ending in '\n'. */
static int parse_lines(struct e2e_run *r)
{
	const char *p = r->out, *end = r->out + strlen(r->out);
	size_t cap = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_object *obj = NULL;

		if (r->nlines == cap) {
			json_object **objs;

			cap = cap ? cap * 2 : 64;
			objs = realloc(r->objs, cap * sizeof(*objs));
			if (!objs)
				return -ENOMEM;
			r->objs = objs;
		}
		if (nl && len > 0)
			obj = parse_object_line(p, len);
		r->objs[r->nlines++] = obj;
		if (!obj && !r->nbad++)
			snprintf(r->bad_line, sizeof(r->bad_line), "line %zu%s: \"%.*s\"",
				 r->nlines, nl ? "" : " (no final newline)",
				 (int)(len < 120 ? len : 120), p);
		p += len + (nl ? 1 : 0);
	}
	return 0;
}

int e2e_run_cmd(struct e2e_run *r, const char *const *argv, double timeout_s)
{
	double start = e2e_now_s(), deadline = start + timeout_s;
	struct sink out = { .fd = -1 }, err = { .fd = -1 };
	int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
	int status = 0, ret;
	pid_t pid = -1;

	memset(r, 0, sizeof(*r));
	r->exit_code = -1;
	if (access(argv[0], X_OK)) {
		ret = -errno;
		set_err(r->errmsg, sizeof(r->errmsg), "failed to find %s: %s (set BW_BIN)", argv[0],
			strerror(-ret));
		return ret;
	}
	if (pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) {
		ret = -errno;
		set_err(r->errmsg, sizeof(r->errmsg), "failed to create pipes: %s", strerror(-ret));
		goto cleanup;
	}
	pid = spawn(argv, out_pipe[1], err_pipe[1], SIGKILL);
	close(out_pipe[1]);
	close(err_pipe[1]);
	out_pipe[1] = err_pipe[1] = -1;
	if (pid < 0) {
		ret = pid;
		set_err(r->errmsg, sizeof(r->errmsg), "failed to fork %s: %s", argv[0],
			strerror(-ret));
		goto cleanup;
	}
	out.fd = out_pipe[0];
	err.fd = err_pipe[0];

	while (out.fd >= 0 || err.fd >= 0) {
		struct pollfd pfd[2] = { { .fd = out.fd, .events = POLLIN },
					 { .fd = err.fd, .events = POLLIN } };
		struct sink *sinks[2] = { &out, &err };
		int i;

		ret = poll(pfd, 2, ms_left(deadline));
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			set_err(r->errmsg, sizeof(r->errmsg), "failed to poll: %s", strerror(-ret));
			goto cleanup;
		}
		if (ret == 0) {
			r->timed_out = true;
			break;
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			ret = sink_read(sinks[i]);
			if (ret < 0) {
				set_err(r->errmsg, sizeof(r->errmsg), "failed to read output: %s",
					strerror(-ret));
				goto cleanup;
			}
			if (ret == 0)
				sinks[i]->fd = -1; /* closed below through the pipe array */
		}
	}
	/* Both pipes closed (or time is up): reap, still within the deadline. */
	for (;;) {
		pid_t done = waitpid(pid, &status, WNOHANG);

		if (done == pid)
			break;
		if (done < 0 && errno != EINTR) {
			ret = -errno;
			set_err(r->errmsg, sizeof(r->errmsg), "failed to wait: %s", strerror(-ret));
			goto cleanup;
		}
		if (r->timed_out || e2e_now_s() > deadline) {
			r->timed_out = true;
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		poll(NULL, 0, 10);
	}
	pid = -1;
	r->elapsed_s = e2e_now_s() - start;
	if (WIFEXITED(status))
		r->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		r->exit_code = 128 + WTERMSIG(status);
	r->out = out.buf ? out.buf : strdup("");
	r->err = err.buf ? err.buf : strdup("");
	out.buf = err.buf = NULL;
	if (!r->out || !r->err) {
		ret = -ENOMEM;
		set_err(r->errmsg, sizeof(r->errmsg), "out of memory");
		goto cleanup;
	}
	ret = parse_lines(r);
	if (ret)
		set_err(r->errmsg, sizeof(r->errmsg), "failed to split output: %s", strerror(-ret));
cleanup:
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	for (int i = 0; i < 2; i++) {
		if (out_pipe[i] >= 0)
			close(out_pipe[i]);
		if (err_pipe[i] >= 0)
			close(err_pipe[i]);
	}
	free(out.buf);
	free(err.buf);
	return ret;
}

int e2e_run_bw(struct e2e_run *r, const char *const *argv, double timeout_s)
{
	const char *full[32];
	size_t n = 0;

	full[n++] = e2e_bw_bin();
	while (*argv && n < sizeof(full) / sizeof(full[0]) - 1)
		full[n++] = *argv++;
	full[n] = NULL;
	return e2e_run_cmd(r, full, timeout_s);
}

void e2e_run_free(struct e2e_run *r)
{
	size_t i;

	for (i = 0; i < r->nlines; i++)
		json_object_put(r->objs[i]);
	free(r->objs);
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

int e2e_run_thread_recs(const struct e2e_run *r, int tid, json_object **rec)
{
	int count = 0;
	size_t i;

	if (rec)
		*rec = NULL;
	for (i = 0; i < r->nlines; i++) {
		const char *type = e2e_get_string(r->objs[i], "type");
		long long val;

		if (!type || strcmp(type, "thread") || !e2e_get_int(r->objs[i], "tid", &val) ||
		    val != tid)
			continue;
		if (rec && !count)
			*rec = r->objs[i];
		count++;
	}
	return count;
}

size_t e2e_count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (*s == '\n' || !s[1])
			n++;
	return n;
}

bool e2e_get_int(json_object *obj, const char *key, long long *val)
{
	json_object *field;

	if (!obj || !json_object_object_get_ex(obj, key, &field) ||
	    !json_object_is_type(field, json_type_int))
		return false;
	*val = json_object_get_int64(field);
	return true;
}

bool e2e_get_double(json_object *obj, const char *key, double *val)
{
	json_object *field;

	if (!obj || !json_object_object_get_ex(obj, key, &field) ||
	    (!json_object_is_type(field, json_type_double) &&
	     !json_object_is_type(field, json_type_int)))
		return false;
	*val = json_object_get_double(field);
	return true;
}

const char *e2e_get_string(json_object *obj, const char *key)
{
	json_object *field;

	if (!obj || !json_object_object_get_ex(obj, key, &field) ||
	    !json_object_is_type(field, json_type_string))
		return NULL;
	return json_object_get_string(field);
}

bool e2e_int_array_has(json_object *obj, const char *key, long long val)
{
	json_object *arr;
	size_t i;

	if (!obj || !json_object_object_get_ex(obj, key, &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return false;
	for (i = 0; i < json_object_array_length(arr); i++) {
		json_object *el = json_object_array_get_idx(arr, i);

		if (json_object_is_type(el, json_type_int) && json_object_get_int64(el) == val)
			return true;
	}
	return false;
}

int e2e_target_start_argv(struct e2e_target *t, const char *const *argv, const char *name)
{
	char file[128];
	int pfd[2], ret;
	size_t i;

	memset(t, 0, sizeof(*t));
	t->out_fd = -1;
	t->leaked = -1;
	snprintf(t->name, sizeof(t->name), "%s", name);
	if (pipe2(pfd, O_CLOEXEC)) {
		ret = -errno;
		set_err(t->err, sizeof(t->err), "failed to create pipe: %s", strerror(-ret));
		return ret;
	}
	t->started_s = e2e_now_s();
	ret = spawn(argv, pfd[1], -1, SIGKILL);
	close(pfd[1]);
	if (ret < 0) {
		close(pfd[0]);
		set_err(t->err, sizeof(t->err), "failed to fork %s: %s", name, strerror(-ret));
		return ret;
	}
	t->pid = ret;
	t->out_fd = pfd[0];
	ret = read_announcements(t);
	if (ret)
		goto fail;
	snprintf(file, sizeof(file), "/proc/%d/comm", (int)t->pid);
	ret = read_proc_line(file, t->comm, sizeof(t->comm));
	for (i = 0; !ret && i < t->nthreads; i++) {
		snprintf(file, sizeof(file), "/proc/%d/task/%d/comm", (int)t->pid,
			 t->threads[i].tid);
		ret = read_proc_line(file, t->threads[i].comm, sizeof(t->threads[i].comm));
	}
	if (ret) {
		set_err(t->err, sizeof(t->err), "failed to read %s: %s", file, strerror(-ret));
		goto fail;
	}
	return 0;
fail:
	e2e_target_stop(t);
	return ret;
}
