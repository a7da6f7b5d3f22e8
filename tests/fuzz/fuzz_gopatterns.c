// SPDX-License-Identifier: GPL-2.0
/*
 * The ignore-pattern files: the built-in Go patterns and bw_patterns__read on
 * a stream, as the cli reads --go-ignore and --ignore, then matches.
 */
#include <errno.h>
#include "fuzz_util.h"
#include "core/patterns.h"
#include "go/gowait.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const funcs[] = { "main.main", "net/http.(*conn).serve",
					     "runtime.gopark", "", "main.(*worker).run" };
	struct bw_patterns *p = NULL;
	char *buf, *s;
	FILE *f = fuzz_stream(data, size, &buf);
	size_t i;
	int err;

	if (!f)
		abort();
	err = bw_patterns__new(&p);
	if (!err)
		err = bw_gobenign_add(p);
	if (!err)
		err = bw_patterns__read(p, f);
	fclose(f);
	if (err && err != -EINVAL && err != -ENOMEM)
		abort();
	if (!err) {
		for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
			bw_patterns__match(p, funcs[i]);
		/* The input as a function name, against its own patterns. */
		s = fuzz_strdup(data, size);
		bw_patterns__match(p, s);
		free(s);
	}
	bw_patterns__free(p);
	bw_gowait_class((const char *)NULL);
	s = fuzz_strdup(data, size);
	bw_gowait_class(s);
	free(s);
	free(buf);
	return 0;
}
