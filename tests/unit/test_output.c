// SPDX-License-Identifier: GPL-2.0
/* stdout's buffer: a big report reaches a pipe in big pieces, not 4 KiB ones. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "cli/output.h"

Test(output, stdout_buffer_holds_a_mebibyte)
{
	static char line[4096];
	char c;
	int fds[2];
	FILE *f;
	size_t i;

	cr_assert_eq(pipe2(fds, O_NONBLOCK), 0);
	/* A pipe holds 64 KiB: the writes below would block if they reached it. */
	f = fdopen(fds[1], "w");
	cr_assert_not_null(f);
	bw_buffer_stdout(f);
	cr_assert_eq(__fbufsize(f), STDOUT_BUFFER_BYTES);
	memset(line, 'x', sizeof(line));
	for (i = 0; i < STDOUT_BUFFER_BYTES / sizeof(line) - 1; i++)
		cr_assert_eq(fwrite(line, 1, sizeof(line), f), sizeof(line));
	cr_assert_eq(read(fds[0], &c, 1), -1, "nothing written before the buffer is full");
	cr_assert_eq(errno, EAGAIN);
	fclose(f); /* the flush meets the full pipe: nothing to check */
	close(fds[0]);
}
