// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "platform/ksyms.h"

static int load_text(const char *text, struct bw_ksyms **out)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int err;

	cr_assert_not_null(f);
	err = bw_ksyms__load(f, out);
	fclose(f);
	return err;
}

/* Out of order, as /proc/kallsyms is once modules are loaded. */
static const char kallsyms[] = "ffffffffc0a01000 t nft_do_chain\t[nf_tables]\n"
			       "ffffffff81000000 T _stext\n"
			       "ffffffff81000000 T startup_64\n"
			       "ffffffff81000100 t secondary_startup_64\n"
			       "ffffffff82000000 D init_task\n"
			       "this line is garbage\n"
			       "ffffffff81001000 T schedule\n"
			       "ffffffff810010f0 W arch_weak_fn\n"
			       "zzzzzzzzzzzzzzzz T not_hex\n"
			       "ffffffff81002000 T\n"
			       "ffffffffc0a02000 T nft_register_expr\t[nf_tables]\n"
			       "ffffffffc0a03000 t trailing junk\n"
			       "ffffffffc0b00000 t bad_module\t[unterminated\n"
			       "ffffffffc0c00000 t last_fn\t[mod]";

Test(ksyms, find)
{
	struct bw_ksyms *ks = NULL;
	__u64 off = 99;

	cr_assert_eq(load_text(kallsyms, &ks), 0);
	cr_assert_not_null(ks);

	cr_assert_null(bw_ksyms__find(ks, 0xffffffff80ffffffull, &off));
	cr_assert_null(bw_ksyms__find(ks, 0, &off));
	/* Aliases: the first listed wins. */
	cr_assert_str_eq(bw_ksyms__find(ks, 0xffffffff81000000ull, &off), "_stext");
	cr_assert_eq(off, 0);
	cr_assert_str_eq(bw_ksyms__find(ks, 0xffffffff810000ffull, &off), "_stext");
	cr_assert_eq(off, 0xff);
	cr_assert_str_eq(bw_ksyms__find(ks, 0xffffffff81000100ull, &off), "secondary_startup_64");
	cr_assert_eq(off, 0);
	cr_assert_str_eq(bw_ksyms__find(ks, 0xffffffff81001010ull, &off), "schedule");
	cr_assert_eq(off, 0x10);
	cr_assert_str_eq(bw_ksyms__find(ks, 0xffffffff810010f4ull, &off), "arch_weak_fn");
	cr_assert_eq(off, 4);
	/* Data symbols are dropped: this is still in the last text symbol before it. */
	cr_assert_str_eq(bw_ksyms__find(ks, 0xffffffff82000010ull, &off), "arch_weak_fn");
	/* Module symbols: the name without the module. */
	cr_assert_str_eq(bw_ksyms__find(ks, 0xffffffffc0a01234ull, &off), "nft_do_chain");
	cr_assert_eq(off, 0x234);
	cr_assert_str_eq(bw_ksyms__find(ks, 0xffffffffc0a02000ull, NULL), "nft_register_expr");
	cr_assert_str_eq(bw_ksyms__find(ks, 0xffffffffc0c00008ull, &off), "last_fn");
	cr_assert_eq(off, 8);
	/* Garbage lines were skipped, not half-parsed. */
	cr_assert_str_eq(bw_ksyms__find(ks, 0xffffffffc0a03000ull, NULL), "nft_register_expr");
	cr_assert_str_eq(bw_ksyms__find(ks, 0xffffffffc0b00000ull, NULL), "nft_register_expr");
	cr_assert_str_eq(bw_ksyms__find(ks, ~0ull, &off), "last_fn");
	bw_ksyms__free(ks);
}

Test(ksyms, garbage_only_is_einval)
{
	struct bw_ksyms *ks = (struct bw_ksyms *)1;

	cr_assert_eq(load_text("not kallsyms\n\n12345\nffffffff81000000 TT x\n", &ks), -EINVAL);
	cr_assert_null(ks);
	cr_assert_eq(load_text("", &ks), -EINVAL);
	cr_assert_null(ks);
}

Test(ksyms, zero_addresses_are_eperm)
{
	struct bw_ksyms *ks = (struct bw_ksyms *)1;

	cr_assert_eq(load_text("0000000000000000 T _stext\n"
			       "0000000000000000 t helper\t[mod]\n",
			       &ks),
		     -EPERM);
	cr_assert_null(ks);
}

Test(ksyms, only_data_symbols)
{
	struct bw_ksyms *ks = NULL;

	cr_assert_eq(load_text("ffffffff82000000 D init_task\n", &ks), 0);
	cr_assert_null(bw_ksyms__find(ks, 0xffffffff82000000ull, NULL));
	bw_ksyms__free(ks);
	bw_ksyms__free(NULL);
}

static int read_int_file(const char *path)
{
	FILE *f = fopen(path, "r");
	int val = -1;

	if (f) {
		if (fscanf(f, "%d", &val) != 1)
			val = -1;
		fclose(f);
	}
	return val;
}

Test(ksyms, proc_kallsyms)
{
	unsigned long long addr;
	struct bw_ksyms *ks = NULL;
	char type, name[256];
	FILE *f;
	int err;

	err = bw_ksyms__new(&ks);
	/* kptr_restrict 2 hides addresses from root too. */
	if (geteuid() != 0 || read_int_file("/proc/sys/kernel/kptr_restrict") >= 2) {
		cr_assert(err == 0 || err == -EPERM, "err %d", err);
		bw_ksyms__free(ks);
		return;
	}
	cr_assert_eq(err, 0, "err %d", err);
	f = fopen("/proc/kallsyms", "r");
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%llx %c %255s", &addr, &type, name), 3);
	fclose(f);
	if (strchr("tTwW", type))
		cr_assert_str_eq(bw_ksyms__find(ks, addr, NULL), name);
	bw_ksyms__free(ks);
}
