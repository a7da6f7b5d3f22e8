// SPDX-License-Identifier: GPL-2.0
/* The Go ignore-pattern file: bw_gopatterns__new on a stream, then matches. */
#include <errno.h>
#include "fuzz_util.h"
#include "go/goverdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const funcs[] = { "main.main", "net/http.(*conn).serve",
					     "runtime.gopark", "", "main.(*worker).run" };
	struct bw_gopatterns *p = NULL;
	char *buf, *s;
	FILE *f = fuzz_stream(data, size, &buf);
	size_t i;
	int err;

	if (!f)
		abort();
	err = bw_gopatterns__new(f, &p);
	fclose(f);
	if (err && err != -EINVAL && err != -ENOMEM)
		abort();
	if (!err) {
		for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
			bw_gopatterns__match(p, funcs[i]);
		/* The input as a function name, against its own patterns. */
		s = fuzz_strdup(data, size);
		bw_gopatterns__match(p, s);
		free(s);
	}
	bw_gopatterns__free(p);
	bw_gowait_class((const char *)NULL);
	s = fuzz_strdup(data, size);
	bw_gowait_class(s);
	free(s);
	free(buf);
	return 0;
}
