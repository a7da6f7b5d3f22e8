// SPDX-License-Identifier: GPL-2.0

// globallock: the AB-BA pair of the deadlock target, on two package-level
// mutexes. A global is reachable from everywhere, so memory cannot prove
// that nobody will ever unlock them, and Go mutexes record no owner:
// blockwatch must not call the pair a leak or a deadlock, nor rest
// (idle). They wait for a lock: blocked.
//
//	role        expect   wait                                 func                 created
//	ga-first    blocked  sync.Mutex.Lock (semacquire < 1.20)  main.globalFirst     main.deadlockGlobals
//	ga-second   blocked  sync.Mutex.Lock (semacquire < 1.20)  main.globalSecond    main.deadlockGlobals
//	main        idle     chan receive                         main.main            -
package main

import (
	"sync"

	"blockwatch/gotargets/internal/announce"
)

var globalA, globalB sync.Mutex

//go:noinline
func globalFirst(held chan<- struct{}, otherHeld <-chan struct{}) {
	globalA.Lock()
	close(held)
	<-otherHeld
	announce.Self("ga-first", "blocked", announce.MutexLock(), "main.globalFirst",
		"main.deadlockGlobals")
	globalB.Lock()
	globalB.Unlock()
	globalA.Unlock()
}

//go:noinline
func globalSecond(held chan<- struct{}, otherHeld <-chan struct{}) {
	globalB.Lock()
	close(held)
	<-otherHeld
	announce.Self("ga-second", "blocked", announce.MutexLock(), "main.globalSecond",
		"main.deadlockGlobals")
	globalA.Lock()
	globalA.Unlock()
	globalB.Unlock()
}

//go:noinline
func deadlockGlobals() {
	aHeld, bHeld := make(chan struct{}), make(chan struct{})
	go globalFirst(aHeld, bHeld)
	go globalSecond(bHeld, aHeld)
}

func main() {
	sig := announce.Signals()
	deadlockGlobals()
	announce.Self("main", "idle", "chan receive", "main.main", "-")
	announce.Ready(3)
	<-sig
}
