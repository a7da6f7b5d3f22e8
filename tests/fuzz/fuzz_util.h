/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the libFuzzer targets: inputs as C strings, FILE * streams and
 * files, without touching the disk (memfd) so runs leave nothing behind.
 */
#ifndef BW_FUZZ_UTIL_H
#define BW_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

/* A NUL-terminated copy of data (embedded NULs end the string early). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A read stream over a copy of data; fmemopen refuses a zero-length buffer. */
static inline FILE *fuzz_stream(const uint8_t *data, size_t size, char **buf)
{
	*buf = malloc(size ? size : 1);
	if (!*buf)
		abort();
	memcpy(*buf, data, size);
	if (!size)
		return fopen("/dev/null", "re");
	return fmemopen(*buf, size, "r");
}

/*
 * data as a file: a memfd, reachable by path as /proc/self/fd/N, for APIs
 * that open a path. Returns the fd (close it) and fills path; -1 on failure.
 */
static inline int fuzz_memfd(const uint8_t *data, size_t size, char *path, size_t len)
{
	size_t done = 0;
	int fd = memfd_create("fuzz-input", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += n;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

#endif
