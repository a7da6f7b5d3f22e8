// SPDX-License-Identifier: GPL-2.0

// deadlock: two goroutines take two mutexes in opposite orders (AB-BA),
// and three take three in a ring (each holds its own and wants the next's).
// "ab-first" holds lockA and waits for lockB, "ab-second" holds lockB and
// waits for lockA. The mutexes are the pair's own (on the heap, known only
// to their two stacks): nothing else can ever unlock them. Each sits in a
// struct with a pointer, never in a tiny block shared with other objects
// (which would keep it alive, for the Go GC as for blockwatch).
//
//	role        expect    wait                                 func           created
//	ab-first    deadlock  sync.Mutex.Lock (semacquire < 1.20)  main.abFirst   main.deadlockABBA
//	ab-second   deadlock  sync.Mutex.Lock (semacquire < 1.20)  main.abSecond  main.deadlockABBA
//	ring-a      deadlock  sync.Mutex.Lock (semacquire < 1.20)  main.ringMember  main.deadlockRing
//	ring-b      deadlock  sync.Mutex.Lock (semacquire < 1.20)  main.ringMember  main.deadlockRing
//	ring-c      deadlock  sync.Mutex.Lock (semacquire < 1.20)  main.ringMember  main.deadlockRing
//	main        idle      chan receive                         main.main      -
//
// Ring: a holds m1 and wants m2, b holds m2 and wants m3, c holds m3 and
// wants m1; no two of them wait on each other, the cycle has three members.
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

//go:noinline
func ringMember(role string, own, next *lock, held chan<- struct{}, nextHeld <-chan struct{}) {
	own.Lock()
	close(held)
	<-nextHeld
	announce.Self(role, "deadlock", announce.MutexLock(), "main.ringMember",
		"main.deadlockRing")
	next.Lock()
	next.Unlock()
	own.Unlock()
}

//go:noinline
func deadlockRing() {
	m1, m2, m3 := new(lock), new(lock), new(lock)
	h1, h2, h3 := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go ringMember("ring-a", m1, m2, h1, h2)
	go ringMember("ring-b", m2, m3, h2, h3)
	go ringMember("ring-c", m3, m1, h3, h1)
}

func main() {
	sig := announce.Signals()
	deadlockABBA()
	deadlockRing()
	announce.Self("main", "idle", "chan receive", "main.main", "-")
	announce.Ready(6)
	<-sig
}
