// SPDX-License-Identifier: GPL-2.0

// deadlock: two goroutines take two mutexes in opposite orders (AB-BA).
// "ab-first" holds lockA and waits for lockB, "ab-second" holds lockB and
// waits for lockA. The mutexes are the pair's own (on the heap, known only
// to their two stacks): nothing else can ever unlock them. Each sits in a
// struct with a pointer, never in a tiny block shared with other objects
// (which would keep it alive, for the Go GC as for blockwatch).
//
//	role        expect    wait                                 func           created
//	ab-first    deadlock  sync.Mutex.Lock (semacquire < 1.20)  main.abFirst   main.deadlockABBA
//	ab-second   deadlock  sync.Mutex.Lock (semacquire < 1.20)  main.abSecond  main.deadlockABBA
//	main        idle      chan receive                         main.main      -
//
// main's signal.Notify keeps the runtime's "all goroutines are asleep"
// detector quiet: os/signal's loop goroutine sits in a system call.
package main

import (
	"sync"

	"blockwatch/gotargets/internal/announce"
)

type lock struct {
	sync.Mutex
	name *string
}

//go:noinline
func abFirst(lockA, lockB *lock, held chan<- struct{}, otherHeld <-chan struct{}) {
	lockA.Lock()
	close(held)
	<-otherHeld
	announce.Self("ab-first", "deadlock", announce.MutexLock(), "main.abFirst",
		"main.deadlockABBA")
	lockB.Lock()
	lockB.Unlock()
	lockA.Unlock()
}

//go:noinline
func abSecond(lockA, lockB *lock, held chan<- struct{}, otherHeld <-chan struct{}) {
	lockB.Lock()
	close(held)
	<-otherHeld
	announce.Self("ab-second", "deadlock", announce.MutexLock(), "main.abSecond",
		"main.deadlockABBA")
	lockA.Lock()
	lockA.Unlock()
	lockB.Unlock()
}

//go:noinline
func deadlockABBA() {
	lockA, lockB := new(lock), new(lock)
	aHeld, bHeld := make(chan struct{}), make(chan struct{})
	go abFirst(lockA, lockB, aHeld, bHeld)
	go abSecond(lockA, lockB, bHeld, aHeld)
}

func main() {
	sig := announce.Signals()
	deadlockABBA()
	announce.Self("main", "idle", "chan receive", "main.main", "-")
	announce.Ready(3)
	<-sig
}
