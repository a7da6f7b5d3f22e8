// SPDX-License-Identifier: GPL-2.0

// syncleak: goroutines leaked on sync primitives nobody will ever release.
//
//	role          wait                                  func              created
//	mutex-waiter  sync.Mutex.Lock (semacquire < 1.20)   main.lockWaiter   main.leakMutexNeverUnlocked
//	wg-waiter     sync.WaitGroup.Wait (semacquire < 1.24) main.wgWaiter   main.leakWaitGroupMiscount
//	cond-waiter   sync.Cond.Wait                        main.condWaiter   main.leakCondNeverSignalled
//	cond-three    sync.Cond.Wait (3 on one Cond)        main.condThree    main.leakCondThreeWaiters
//	main (idle)   chan receive                          main.main         -
//
// The mutex is locked by a goroutine (main.lockAndForget) that returned
// without unlocking it, the WaitGroup counts two workers but only one
// (main.wgWorker) was started; both have exited before "ready". The mutex
// sits in a struct with a pointer: never in a tiny block shared with live
// objects, which would keep it alive (for the Go GC as for blockwatch).
package main

import (
	"errors"
	"sync"

	"blockwatch/gotargets/internal/announce"
)

var errEarly = errors.New("request rejected")

type guarded struct {
	sync.Mutex
	owner *string
}

//go:noinline
func validate(n int) error {
	if n >= 0 {
		return errEarly
	}
	return nil
}

// lockAndForget returns on an error path without unlocking mu.
//
//go:noinline
func lockAndForget(mu *guarded, done chan<- error) {
	mu.Lock()
	if err := validate(1); err != nil {
		done <- err
		return
	}
	mu.Unlock()
	done <- nil
}

//go:noinline
func lockWaiter(mu *guarded) {
	announce.Self("mutex-waiter", "leak", announce.MutexLock(), "main.lockWaiter",
		"main.leakMutexNeverUnlocked")
	mu.Lock()
	mu.Unlock()
}

//go:noinline
func leakMutexNeverUnlocked() {
	mu := new(guarded)
	done := make(chan error)
	go lockAndForget(mu, done)
	<-done
	go lockWaiter(mu)
}

//go:noinline
func wgWorker(wg *sync.WaitGroup) {
	wg.Done()
}

//go:noinline
func wgWaiter(wg *sync.WaitGroup) {
	announce.Self("wg-waiter", "leak", announce.WaitGroupWait(), "main.wgWaiter",
		"main.leakWaitGroupMiscount")
	wg.Wait()
}

// leakWaitGroupMiscount adds two to the count but starts one worker.
//
//go:noinline
func leakWaitGroupMiscount() {
	wg := new(sync.WaitGroup)
	wg.Add(2)
	go wgWorker(wg)
	go wgWaiter(wg)
}

//go:noinline
func condWaiter(c *sync.Cond, ready *bool) {
	announce.Self("cond-waiter", "leak", "sync.Cond.Wait", "main.condWaiter",
		"main.leakCondNeverSignalled")
	c.L.Lock()
	for !*ready {
		c.Wait()
	}
	c.L.Unlock()
}

// leakCondNeverSignalled starts a waiter on a condition nobody will set
// and a Cond nobody will signal.
//
//go:noinline
func leakCondNeverSignalled() {
	go condWaiter(sync.NewCond(new(sync.Mutex)), new(bool))
}

//go:noinline
func condThree(c *sync.Cond) {
	announce.Self("cond-three", "leak", "sync.Cond.Wait", "main.condThree",
		"main.leakCondThreeWaiters")
	c.L.Lock()
	c.Wait()
	c.L.Unlock()
}

// leakCondThreeWaiters parks three goroutines on one Cond nobody keeps: the
// middle one's sudog is neither the head nor the tail of its notify list.
//
//go:noinline
func leakCondThreeWaiters() {
	c := sync.NewCond(new(sync.Mutex))
	for i := 0; i < 3; i++ {
		go condThree(c)
	}
}

func main() {
	sig := announce.Signals()
	leakMutexNeverUnlocked()
	leakWaitGroupMiscount()
	leakCondNeverSignalled()
	leakCondThreeWaiters()
	announce.Self("main", "idle", "chan receive", "main.main", "-")
	announce.Ready(7)
	<-sig
}
