// SPDX-License-Identifier: GPL-2.0
/*
 * A program that embeds Python: it loads LIBPYTHON (libpython3.X.so) and
 * runs SCRIPT in it as __main__ with ARGS, so the executable holds no
 * interpreter and _PyRuntime sits in the library. The library is opened at
 * run time, not linked, so one build serves every version without headers.
 *
 * usage: embed LIBPYTHON SCRIPT [ARGS...]
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	void (*init)(int);
	int (*run)(const char *);
	char code[4096];
	size_t len;
	void *lib;
	int i, n;

	if (argc < 3) {
		fprintf(stderr, "usage: embed LIBPYTHON SCRIPT [ARGS...]\n");
		return 1;
	}
	lib = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
	if (!lib) {
		fprintf(stderr, "embed: failed to load %s: %s\n", argv[1], dlerror());
		return 1;
	}
	*(void **)&init = dlsym(lib, "Py_InitializeEx");
	*(void **)&run = dlsym(lib, "PyRun_SimpleString");
	if (!init || !run) {
		fprintf(stderr, "embed: %s has no Py_InitializeEx\n", argv[1]);
		return 1;
	}
	/* sys.argv from ours, as a list of repr()-free bytes literals. */
	n = snprintf(code, sizeof(code), "import runpy, sys\nsys.argv = [");
	for (i = 2; i < argc && n > 0 && (size_t)n < sizeof(code); i++) {
		if (strpbrk(argv[i], "'\\\n")) {
			fprintf(stderr, "embed: argument %d has a quote or backslash\n", i);
			return 1;
		}
		n += snprintf(code + n, sizeof(code) - (size_t)n, "'%s', ", argv[i]);
	}
	len = n > 0 ? (size_t)n : sizeof(code);
	if (len >= sizeof(code) ||
	    snprintf(code + len, sizeof(code) - len,
		     "]\nrunpy.run_path(sys.argv[0], run_name='__main__')\n") >=
		    (int)(sizeof(code) - len)) {
		fprintf(stderr, "embed: arguments too long\n");
		return 1;
	}
	init(0);
	return run(code) == 0 ? 0 : 1;
}
