// SPDX-License-Identifier: GPL-2.0
/*
 * empty_switch: attaches an empty sched_switch program (and, with
 * --syscalls, empty sys_enter/sys_exit programs; with --futex, an empty
 * syscalls:sys_enter_futex program; with --storage, a sched_switch program
 * doing one task storage lookup instead), prints "attached" on
 * stdout and holds them until SIGINT/SIGTERM. The benchmarks' baseline for
 * the cost of a tp_btf attach point itself.
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "empty_switch.skel.h"

struct config {
	bool syscalls;
	bool futex;
	bool storage;
	bool hash;
	bool array;
	bool verbose;
};

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return vfprintf(stderr, fmt, args);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return 0;
}

static const char doc[] =
	"Attach empty tp_btf programs until SIGINT/SIGTERM (benchmark baseline).\n"
	"\n"
	"EXAMPLES:\n"
	"    empty_switch              # sched_switch only\n"
	"    empty_switch --syscalls   # and sys_enter, sys_exit\n"
	"    empty_switch --futex      # and syscalls:sys_enter_futex\n"
	"    empty_switch --storage    # sched_switch with one task storage lookup\n"
	"    empty_switch --hash       # sched_switch with one tid-keyed hash lookup\n"
	"    empty_switch --array      # sched_switch with one array lookup by tid\n";

static const struct argp_option options[] = {
	{ "syscalls", 's', NULL, 0, "Also attach empty sys_enter and sys_exit programs", 0 },
	{ "futex", 'f', NULL, 0, "Also attach an empty syscalls:sys_enter_futex program", 0 },
	{ "storage", 't', NULL, 0,
	  "The sched_switch program looks up the leaving thread's task storage", 0 },
	{ "hash", 'H', NULL, 0,
	  "The sched_switch program looks up the leaving thread's tid in a hash", 0 },
	{ "array", 'a', NULL, 0, "The sched_switch program looks up an array slot by tid", 0 },
	{ "verbose", 'v', NULL, 0, "Show libbpf debug output", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	struct config *cfg = state->input;

	switch (key) {
	case 's':
		cfg->syscalls = true;
		break;
	case 'f':
		cfg->futex = true;
		break;
	case 't':
		cfg->storage = true;
		break;
	case 'H':
		cfg->hash = true;
		break;
	case 'a':
		cfg->array = true;
		break;
	case 'v':
		cfg->verbose = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument: %s", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = options, .parser = parse_arg, .doc = doc };
	struct sigaction sa = { .sa_handler = on_signal };
	struct empty_switch_bpf *skel = NULL;
	struct config cfg = {};
	sigset_t mask, old;
	int err;

	err = argp_parse(&argp, argc, argv, 0, NULL, &cfg);
	if (err)
		return 1;
	libbpf_set_print(cfg.verbose ? libbpf_print : libbpf_quiet);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	skel = empty_switch_bpf__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "empty_switch: failed to open BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	bpf_program__set_autoload(skel->progs.empty_sys_enter, cfg.syscalls);
	bpf_program__set_autoload(skel->progs.empty_sys_exit, cfg.syscalls);
	bpf_program__set_autoload(skel->progs.empty_futex, cfg.futex);
	bpf_program__set_autoload(skel->progs.empty_switch,
				  !cfg.storage && !cfg.hash && !cfg.array);
	bpf_program__set_autoload(skel->progs.array_switch, cfg.array && !cfg.storage && !cfg.hash);
	bpf_program__set_autoload(skel->progs.storage_switch, cfg.storage);
	bpf_program__set_autoload(skel->progs.hash_switch, cfg.hash && !cfg.storage);
	err = empty_switch_bpf__load(skel);
	if (err) {
		fprintf(stderr, "empty_switch: failed to load BPF programs: %s\n", strerror(-err));
		goto cleanup;
	}
	err = empty_switch_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "empty_switch: failed to attach BPF programs: %s\n",
			strerror(-err));
		goto cleanup;
	}
	printf("attached\n");
	fflush(stdout);
	while (!exiting)
		sigsuspend(&old);
cleanup:
	empty_switch_bpf__destroy(skel);
	return err ? 2 : 0;
}
