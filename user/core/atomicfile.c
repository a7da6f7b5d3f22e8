// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/atomicfile.h"

int bw_atomic_open(struct bw_atomic *a, const char *path)
{
	int fd;

	memset(a, 0, sizeof(*a));
	if (!path || !*path || strlen(path) + 8 >= sizeof(a->tmp))
		return -ENAMETOOLONG;
	snprintf(a->path, sizeof(a->path), "%s", path);
	snprintf(a->tmp, sizeof(a->tmp), "%s.XXXXXX", path);
	fd = mkostemp(a->tmp, O_CLOEXEC); /* O_EXCL and mode 0600 */
	if (fd < 0)
		return -errno;
	a->f = fdopen(fd, "w");
	if (!a->f) {
		int err = -errno;

		close(fd);
		unlink(a->tmp);
		return err;
	}
	return 0;
}

int bw_atomic_commit(struct bw_atomic *a)
{
	int err = 0;

	if (fflush(a->f) || fsync(fileno(a->f)))
		err = -errno;
	if (fclose(a->f) && !err)
		err = -errno;
	a->f = NULL;
	if (!err && rename(a->tmp, a->path))
		err = -errno;
	if (err)
		unlink(a->tmp);
	return err;
}

void bw_atomic_abort(struct bw_atomic *a)
{
	if (a->f)
		fclose(a->f);
	a->f = NULL;
	unlink(a->tmp);
}
