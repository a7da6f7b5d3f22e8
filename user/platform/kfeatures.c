// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include "platform/kfeatures.h"

static const struct {
	__u32 bit;
	const char *name;     /* the feature, in JSON and in BLOCKWATCH_FALLBACKS */
	const char *fallback; /* what runs without it, for -v */
} features[] = {
	{ BW_FALLBACK_TASK_STORAGE, "task_storage", "tid-keyed hash maps (no task storage)" },
	{ BW_FALLBACK_TASK_PT_REGS, "task_pt_regs",
	  "registers from the kernel stack (no bpf_task_pt_regs)" },
	{ BW_FALLBACK_TASK_ITER_PID, "task_iter_pid",
	  "every task iterated, filtered in BPF (no per-process task iterator)" },
};

#define NFEATURES (sizeof(features) / sizeof(features[0]))

void bw_features_json(FILE *f, __u32 fallbacks)
{
	size_t i;

	for (i = 0; i < NFEATURES; i++)
		fprintf(f, "%s\"%s\":%s", i ? "," : "{", features[i].name,
			fallbacks & features[i].bit ? "false" : "true");
	fputc('}', f);
}

void bw_features_text(FILE *f, __u32 fallbacks)
{
	const char *sep = "";
	size_t i;

	for (i = 0; i < NFEATURES; i++) {
		if (!(fallbacks & features[i].bit))
			continue;
		fprintf(f, "%s%s", sep, features[i].fallback);
		sep = ", ";
	}
	if (!*sep)
		fputs("none", f);
}

int bw_features_parse(const char *s, __u32 *fallbacks)
{
	__u32 out = 0;
	size_t i;

	if (!strcmp(s, "all")) {
		*fallbacks = BW_FALLBACK_ALL;
		return 0;
	}
	while (*s) {
		size_t len = strcspn(s, ",");

		for (i = 0; i < NFEATURES; i++)
			if (strlen(features[i].name) == len && !strncmp(s, features[i].name, len))
				break;
		if (i == NFEATURES)
			return -EINVAL;
		out |= features[i].bit;
		s += len;
		if (*s == ',' && *++s == '\0')
			return -EINVAL;
	}
	*fallbacks = out;
	return 0;
}
