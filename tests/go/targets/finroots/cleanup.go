// SPDX-License-Identifier: GPL-2.0

//go:build go1.24

package main

import (
	"runtime"
)

// startCleanups parks two waiters: one on the channel given to
// runtime.AddCleanup as its argument, one on a channel the cleanup function
// captures. It returns how many it started.
//
//go:noinline
func startCleanups() int {
	viaArg, viaCapture := make(chan struct{}), make(chan struct{})
	a, c := new(resource), new(resource)
	runtime.AddCleanup(a, func(done chan struct{}) { close(done) }, viaArg)
	runtime.AddCleanup(c, func(int) { close(viaCapture) }, 0)
	resources = append(resources, a, c)
	go cleanupWaiter("cleanup-arg", viaArg)
	go cleanupWaiter("cleanup-capture", viaCapture)
	return 2
}
