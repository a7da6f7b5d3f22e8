// SPDX-License-Identifier: GPL-2.0

// chanleak: goroutines leaked on channels, each pattern started by its own
// function so that each has its own creation site. All are leaks: nobody
// else holds the channel (or the context) they wait on.
//
//	role                 wait                     func                     created
//	send-no-receiver     chan send                main.sendResult          main.leakSendNoReceiver
//	recv-no-sender       chan receive             main.awaitResult         main.leakRecvNoSender
//	select-silent        select                   main.selectSilent        main.leakSelectSilent
//	select-no-cases      select (no cases)        main.selectNoCases       main.leakSelectNoCases
//	nil-send             chan send (nil chan)     main.sendNil             main.leakNilSend
//	nil-recv             chan receive (nil chan)  main.recvNil             main.leakNilRecv
//	ctx-never-cancelled  chan receive             main.awaitCancel         main.leakContextNeverCancelled
//	pool-worker (x3)     chan receive             main.poolWorker          main.leakWorkerPool
//	main (idle)          chan receive             main.main                -
//
// A one-case select compiles to a plain receive: ctx-never-cancelled waits
// in "chan receive", not "select".
package main

import (
	"context"
	"errors"
	"sync/atomic"

	"blockwatch/gotargets/internal/announce"
)

const poolWorkers = 3

var (
	errEarly = errors.New("request rejected")
	sink     int64
)

//go:noinline
func compute(n int) int {
	for i := 0; i < 1000; i++ {
		n = n*31 + i
	}
	return n
}

//go:noinline
func validate(n int) error {
	if n >= 0 {
		return errEarly
	}
	return nil
}

//go:noinline
func sendResult(out chan<- int, n int) {
	r := compute(n)
	announce.Self("send-no-receiver", "leak", "chan send", "main.sendResult",
		"main.leakSendNoReceiver")
	out <- r
}

// leakSendNoReceiver starts a worker for a result, then returns early on an
// error without receiving it: the worker blocks in its send forever.
//
//go:noinline
func leakSendNoReceiver(n int) (int, error) {
	out := make(chan int)
	go sendResult(out, n)
	if err := validate(n); err != nil {
		return 0, err
	}
	return <-out, nil
}

//go:noinline
func awaitResult(in <-chan int) {
	announce.Self("recv-no-sender", "leak", "chan receive", "main.awaitResult",
		"main.leakRecvNoSender")
	atomic.AddInt64(&sink, int64(<-in))
}

// leakRecvNoSender starts a consumer, then fails before producing anything
// and never closes the channel.
//
//go:noinline
func leakRecvNoSender(n int) error {
	in := make(chan int)
	go awaitResult(in)
	if err := validate(n); err != nil {
		return err
	}
	in <- compute(n)
	return nil
}

//go:noinline
func selectSilent(in <-chan int, out chan<- int) {
	announce.Self("select-silent", "leak", "select", "main.selectSilent", "main.leakSelectSilent")
	select {
	case v := <-in:
		atomic.AddInt64(&sink, int64(v))
	case out <- 1:
	}
}

// leakSelectSilent starts a goroutine selecting on two channels nobody else
// ever touches.
//
//go:noinline
func leakSelectSilent() {
	go selectSilent(make(chan int), make(chan int))
}

//go:noinline
func selectNoCases() {
	announce.Self("select-no-cases", "leak", "select (no cases)", "main.selectNoCases",
		"main.leakSelectNoCases")
	select {}
}

//go:noinline
func leakSelectNoCases() {
	go selectNoCases()
}

//go:noinline
func sendNil(out chan<- int) {
	announce.Self("nil-send", "leak", "chan send (nil chan)", "main.sendNil", "main.leakNilSend")
	out <- 1
}

// leakNilSend hands a worker a channel it forgot to make.
//
//go:noinline
func leakNilSend() {
	var out chan int
	go sendNil(out)
}

//go:noinline
func recvNil(in <-chan int) {
	announce.Self("nil-recv", "leak", "chan receive (nil chan)", "main.recvNil",
		"main.leakNilRecv")
	atomic.AddInt64(&sink, int64(<-in))
}

//go:noinline
func leakNilRecv() {
	var in chan int
	go recvNil(in)
}

//go:noinline
func awaitCancel(ctx context.Context) {
	announce.Self("ctx-never-cancelled", "leak", "chan receive", "main.awaitCancel",
		"main.leakContextNeverCancelled")
	select {
	case <-ctx.Done():
	}
}

// leakContextNeverCancelled drops the cancel function of the context its
// worker waits on.
//
//go:noinline
func leakContextNeverCancelled() {
	ctx, cancel := context.WithCancel(context.Background())
	_ = cancel // never called
	go awaitCancel(ctx)
}

//go:noinline
func poolWorker(jobs <-chan int) {
	announce.Self("pool-worker", "leak", "chan receive", "main.poolWorker", "main.leakWorkerPool")
	for j := range jobs {
		atomic.AddInt64(&sink, int64(compute(j)))
	}
}

// leakWorkerPool feeds a pool of workers a few jobs and returns without
// closing the jobs channel: the workers never learn to quit.
//
//go:noinline
func leakWorkerPool() {
	jobs := make(chan int)
	for i := 0; i < poolWorkers; i++ {
		go poolWorker(jobs)
	}
	for j := 0; j < 2*poolWorkers; j++ {
		jobs <- j
	}
}

func main() {
	sig := announce.Signals()
	_, _ = leakSendNoReceiver(1)
	_ = leakRecvNoSender(2)
	leakSelectSilent()
	leakSelectNoCases()
	leakNilSend()
	leakNilRecv()
	leakContextNeverCancelled()
	leakWorkerPool()
	announce.Self("main", "idle", "chan receive", "main.main", "-")
	announce.Ready(8 + poolWorkers)
	<-sig
}
