// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <criterion/criterion.h>
#include "platform/kfeatures.h"

static char *render(void (*fn)(FILE *, __u32), __u32 fallbacks)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	fn(f, fallbacks);
	fclose(f);
	return buf;
}

Test(features, json_says_false_where_a_fallback_ran)
{
	char *s = render(bw_features_json, 0);

	cr_expect_str_eq(s, "{\"task_storage\":true,\"task_pt_regs\":true,\"task_iter_pid\":true}");
	free(s);
	s = render(bw_features_json, BW_FALLBACK_TASK_STORAGE | BW_FALLBACK_TASK_ITER_PID);
	cr_expect_str_eq(s,
			 "{\"task_storage\":false,\"task_pt_regs\":true,\"task_iter_pid\":false}");
	free(s);
}

Test(features, text_names_each_fallback)
{
	char *s = render(bw_features_text, 0);

	cr_expect_str_eq(s, "none");
	free(s);
	s = render(bw_features_text, BW_FALLBACK_TASK_PT_REGS);
	cr_expect_str_eq(s, "registers from the kernel stack (no bpf_task_pt_regs)");
	free(s);
	s = render(bw_features_text, BW_FALLBACK_ALL);
	cr_expect_not_null(strstr(s, "tid-keyed hash maps"));
	cr_expect_not_null(strstr(s, ", registers from"));
	free(s);
}

Test(features, parse)
{
	__u32 fb = 99;

	cr_expect_eq(bw_features_parse("all", &fb), 0);
	cr_expect_eq(fb, BW_FALLBACK_ALL);
	cr_expect_eq(bw_features_parse("task_pt_regs", &fb), 0);
	cr_expect_eq(fb, BW_FALLBACK_TASK_PT_REGS);
	cr_expect_eq(bw_features_parse("task_storage,task_iter_pid", &fb), 0);
	cr_expect_eq(fb, BW_FALLBACK_TASK_STORAGE | BW_FALLBACK_TASK_ITER_PID);
	cr_expect_eq(bw_features_parse("", &fb), 0);
	cr_expect_eq(fb, 0);
	fb = 99;
	cr_expect_eq(bw_features_parse("task", &fb), -EINVAL);
	cr_expect_eq(bw_features_parse("task_storage,", &fb), -EINVAL);
	cr_expect_eq(bw_features_parse("task_storagex", &fb), -EINVAL);
	cr_expect_eq(fb, 99);
}
