// SPDX-License-Identifier: GPL-2.0

// finroots: goroutines kept alive only by the runtime's finalizers and
// cleanups, next to a real leak. A finalizer's closure (runtime.SetFinalizer)
// and a cleanup's function and argument (runtime.AddCleanup, Go 1.24+) are
// held by a special record of the object's span, off the heap: nothing else
// references the channels they close. The objects stay reachable from a
// global, so the finalizers and cleanups never run and the waiters stay
// parked; the Go GC still marks what a special holds, so they are live.
//
//	role             expect  wait          func                 created
//	fin-waiter       idle    chan receive  main.finWaiter       main.startFinalizer
//	cleanup-arg      idle    chan receive  main.cleanupWaiter   main.startCleanups (1.24+)
//	cleanup-capture  idle    chan receive  main.cleanupWaiter   main.startCleanups (1.24+)
//	leaked           leak    chan receive  main.leakWaiter      main.startLeak
//	main             idle    chan receive  main.main            -
package main

import (
	"runtime"

	"blockwatch/gotargets/internal/announce"
)

// resource is what a finalizer or cleanup is attached to: a pointer field
// keeps it out of the tiny allocator, whose shared blocks hold others alive.
type resource struct {
	name *string
	pad  [4]uintptr
}

var resources []*resource

//go:noinline
func finWaiter(done <-chan struct{}) {
	announce.Self("fin-waiter", "idle", "chan receive", "main.finWaiter",
		"main.startFinalizer")
	<-done
}

//go:noinline
func startFinalizer() {
	done := make(chan struct{})
	r := new(resource)
	runtime.SetFinalizer(r, func(*resource) { close(done) })
	resources = append(resources, r)
	go finWaiter(done)
}

//go:noinline
func cleanupWaiter(role string, done <-chan struct{}) {
	announce.Self(role, "idle", "chan receive", "main.cleanupWaiter", "main.startCleanups")
	<-done
}

//go:noinline
func leakWaiter(never <-chan struct{}) {
	announce.Self("leaked", "leak", "chan receive", "main.leakWaiter", "main.startLeak")
	<-never
}

//go:noinline
func startLeak() {
	go leakWaiter(make(chan struct{}))
}

func main() {
	sig := announce.Signals()
	startFinalizer()
	n := startCleanups()
	startLeak()
	announce.Self("main", "idle", "chan receive", "main.main", "-")
	announce.Ready(3 + n)
	<-sig
}
