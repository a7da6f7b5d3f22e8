// SPDX-License-Identifier: GPL-2.0

//go:build cgo

package main

// static int answer(void) { return 42; }
import "C"

func cgoAnswer() int {
	return int(C.answer())
}
