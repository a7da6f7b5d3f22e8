/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Function names of Go binaries for the symbolizers (platform/syms.h), from
 * the pclntab (gobin.h): stripped Go binaries (-ldflags='-s -w', strip(1))
 * keep it, so their frames are named all the same, with file:line, as
 * BW_SYM_GOPCLNTAB. Whoever makes the symbolizers passes it in struct
 * bw_syms_opts.funcs.
 */
#ifndef BW_GOFUNCS_H
#define BW_GOFUNCS_H

#include "platform/syms.h"

extern const struct bw_syms_funcs bw_gofuncs;

#endif
