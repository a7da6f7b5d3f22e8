// SPDX-License-Identifier: GPL-2.0

// idioms: the long waits of healthy Go programs, none of them a leak. Each
// waiter is parked on a channel, select or sync object that something live
// (a goroutine that can run, a global, the runtime's timers, os/signal's
// registrations) can still reach, sometimes only through another parked
// goroutine's stack.
//
//	role            expect  wait                    func                 created
//	chan-consumer   idle    chan receive            main.consume         main.startQueue
//	chan-producer   idle    sleep                   main.produce         main.startQueue
//	cond-subscriber idle    sync.Cond.Wait          main.subscribe       main.startEvents
//	cond-publisher  idle    sleep                   main.publish         main.startEvents
//	ticker-loop     idle    select                  main.tickerLoop      main.startPeriodic
//	after-loop      idle    select                  main.afterLoop       main.startPeriodic
//	signal-waiter   idle    chan receive            main.awaitSignal     main.startSignalWaiter
//	supervisor      idle    sync.WaitGroup.Wait(*)  main.supervise       main.main
//	sup-worker (x2) idle    chan receive            main.supWorker       main.supervise
//	main            idle    chan receive            main.main            -
//
// (*) semacquire before Go 1.24. The producer and the publisher sleep an
// hour holding the channel and the Cond on their stacks; the ticker and the
// time.After channels are reachable only from the runtime's timers; the
// SIGUSR1 channel only from os/signal's registrations; the workers' channel
// only from the parked supervisor's stack, the supervisor's WaitGroup from
// a global.
package main

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"blockwatch/gotargets/internal/announce"
)

type group struct {
	wg sync.WaitGroup
}

var groups []*group

//go:noinline
func consume(in <-chan int) {
	announce.Self("chan-consumer", "idle", "chan receive", "main.consume", "main.startQueue")
	for range in {
	}
}

//go:noinline
func produce(out chan<- int) {
	announce.Self("chan-producer", "idle", "sleep", "main.produce", "main.startQueue")
	for {
		time.Sleep(time.Hour)
		out <- 1
	}
}

//go:noinline
func startQueue() {
	q := make(chan int)
	go consume(q)
	go produce(q)
}

//go:noinline
func subscribe(c *sync.Cond, n *int) {
	announce.Self("cond-subscriber", "idle", "sync.Cond.Wait", "main.subscribe",
		"main.startEvents")
	c.L.Lock()
	for *n == 0 {
		c.Wait()
	}
	c.L.Unlock()
}

//go:noinline
func publish(c *sync.Cond, n *int) {
	announce.Self("cond-publisher", "idle", "sleep", "main.publish", "main.startEvents")
	time.Sleep(time.Hour)
	c.L.Lock()
	*n = 1
	c.L.Unlock()
	c.Broadcast()
}

//go:noinline
func startEvents() {
	c := sync.NewCond(new(sync.Mutex))
	n := new(int)
	go subscribe(c, n)
	go publish(c, n)
}

//go:noinline
func tickerLoop(stop <-chan struct{}) {
	announce.Self("ticker-loop", "idle", "select", "main.tickerLoop", "main.startPeriodic")
	t := time.NewTicker(time.Hour)
	for {
		select {
		case <-t.C:
		case <-stop:
			return
		}
	}
}

//go:noinline
func afterLoop(stop <-chan struct{}) {
	announce.Self("after-loop", "idle", "select", "main.afterLoop", "main.startPeriodic")
	for {
		select {
		case <-time.After(time.Hour):
		case <-stop:
			return
		}
	}
}

//go:noinline
func startPeriodic() {
	go tickerLoop(make(chan struct{}))
	go afterLoop(make(chan struct{}))
}

//go:noinline
func awaitSignal(ch <-chan os.Signal) {
	announce.Self("signal-waiter", "idle", "chan receive", "main.awaitSignal",
		"main.startSignalWaiter")
	<-ch
}

//go:noinline
func startSignalWaiter() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	go awaitSignal(ch)
}

//go:noinline
func supWorker(jobs <-chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	announce.Self("sup-worker", "idle", "chan receive", "main.supWorker", "main.supervise")
	for range jobs {
	}
}

//go:noinline
func supervise(g *group) {
	jobs := make(chan int)
	for i := 0; i < 2; i++ {
		g.wg.Add(1)
		go supWorker(jobs, &g.wg)
	}
	announce.Self("supervisor", "idle", announce.WaitGroupWait(), "main.supervise", "main.main")
	g.wg.Wait()
	close(jobs)
}

func main() {
	sig := announce.Signals()
	startQueue()
	startEvents()
	startPeriodic()
	startSignalWaiter()
	g := new(group)
	groups = append(groups, g)
	go supervise(g)
	announce.Self("main", "idle", "chan receive", "main.main", "-")
	announce.Ready(11)
	<-sig
}
