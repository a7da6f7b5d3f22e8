// SPDX-License-Identifier: GPL-2.0

// bugshapes: blocking bugs in the shapes that recur in open-source Go
// projects (the blocking bugs of Docker, Kubernetes, etcd, gRPC, CockroachDB
// and BoltDB studied by Tu et al., "Understanding Real-World Concurrency
// Bugs in Go", ASPLOS 2019), each run -n (100) times in one process, next
// to healthy workers built the right way. Nothing is announced one by one:
// "ready" names each shape with its verdict, a function on its goroutines'
// stacks and their count (see announce.ReadyShapes).
//
//	shape              expect  wait                         func
//	early-return       leak    chan send                    main.sendResult
//	no-sender          leak    chan receive                 main.awaitReply
//	select-dead        leak    select                       main.forwardOrStop
//	wg-never-done      leak    sync.WaitGroup.Wait (< 1.24  main.waitBatch
//	                           semacquire)
//	locked-send        leak    chan send                    main.publishLocked
//	locked-waiter (x2) leak    sync.Mutex.Lock (< 1.20      main.readLocked
//	                           semacquire)
//	never-quit         leak    select                       main.jobWorker
//	cond-never-signalled leak  sync.Cond.Wait               main.waitNotice
//	rlock-reader       deadlock sync.RWMutex.RLock (< 1.20  main.lookupTwice
//	                           semacquire)
//	rlock-writer       deadlock sync.RWMutex.Lock (< 1.20   main.register
//	                           semacquire)
//	abba-transfer (x2) deadlock sync.Mutex.Lock (< 1.20     main.transfer
//	                           semacquire)
//	ctx-worker         idle    select                       main.ctxWorker
//	quit-worker        idle    select                       main.quitWorker
//	wg-worker          idle    chan receive                 main.releasedWorker
//	wg-waiter          idle    sync.WaitGroup.Wait          main.waitReleased
//
// early-return: a caller starts a worker to compute a result, then returns
// on an error path before receiving it; the result channel is unbuffered,
// so the worker blocks in its send forever (a buffer of one is the fix).
// no-sender: a goroutine waits for a reply to a request that was never
// sent. select-dead: a forwarder selects between sending its value and a
// stop channel; the caller drops both. wg-never-done: a batch adds two to
// its WaitGroup, one item returns on an error without Done (no defer), the
// batch's waiter never wakes. locked-send: a publisher sends an update on
// an unbuffered channel while holding its cache's mutex, the subscriber
// has gone; two readers then block on the mutex. never-quit: a job worker
// loops on its jobs and a quit channel; its owner sends the jobs and
// returns without closing quit. cond-never-signalled: a waiter for a
// notice whose Broadcast an error path skips. rlock: a reader takes the
// read lock again under itself while a writer queued in between (the
// writer waits for the first read lock, the second waits for the writer).
// abba-transfer: two transfers between the same two accounts in opposite
// directions, each locking its source first.
//
// Healthy: workers stopped by a context, by a quit channel, and a
// WaitGroup whose worker waits to be released; their context, channels and
// release channel are package variables, alive for as long as the program
// runs. Before "ready", workers of each kind stopped the right way run and
// exit.
//
// On SIGUSR1 the program writes the runtime's own "goroutineleak" profile
// (debug=2: every goroutine, the leaked ones marked "(leaked)") to the file
// named by -profile or $BW_LEAK_PROFILE, through a temporary file renamed
// into place once complete. Go 1.26 has the profile when built with
// GOEXPERIMENT=goroutineleakprofile (tests/go/build-targets.sh reads this
// folder's goexperiment file), 1.27 has it always; where there is none,
// the file and stderr say so in one line starting with "no goroutineleak
// profile". The profile's GC marks leaked goroutines as such: blockwatch
// must look before it is written.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"

	"blockwatch/gotargets/internal/announce"
)

var (
	errRejected = errors.New("request rejected")
	sink        int64

	// What keeps the healthy workers alive, and a way to stop them.
	healthyCtx     context.Context
	stopHealthy    context.CancelFunc
	healthyQuit    = make(chan struct{})
	healthyJobs    = make(chan int)
	healthyRelease = make(chan struct{})
)

//go:noinline
func consume(j int) {
	atomic.AddInt64(&sink, int64(j))
}

//go:noinline
func validate(n int) error {
	if n >= 0 {
		return errRejected
	}
	return nil
}

//go:noinline
func sendResult(out chan<- int, n int) {
	out <- n * n
}

//go:noinline
func fetchEarlyReturn(n int) error {
	out := make(chan int)
	go sendResult(out, n)
	if err := validate(n); err != nil {
		return err
	}
	consume(<-out)
	return nil
}

//go:noinline
func awaitReply(reply <-chan string) {
	consume(len(<-reply))
}

//go:noinline
func requestNoReply() {
	reply := make(chan string)
	go awaitReply(reply)
}

//go:noinline
func forwardOrStop(out chan<- int, stop <-chan struct{}, n int) {
	select {
	case out <- n:
	case <-stop:
	}
}

//go:noinline
func forwardAbandoned(n int) {
	out, stop := make(chan int), make(chan struct{})
	go forwardOrStop(out, stop, n)
}

// batch keeps its WaitGroup in a struct with a pointer: never in a tiny
// block shared with live objects, which would keep it alive.
type batch struct {
	wg   sync.WaitGroup
	name *string
}

//go:noinline
func batchItem(b *batch, n int, done chan<- struct{}) {
	defer func() { done <- struct{}{} }()
	if n > 0 && validate(n) != nil {
		return
	}
	consume(n)
	b.wg.Done()
}

//go:noinline
func waitBatch(b *batch) {
	b.wg.Wait()
}

//go:noinline
func batchNeverDone() {
	b := new(batch)
	done := make(chan struct{})
	b.wg.Add(2)
	go batchItem(b, 0, done)
	go batchItem(b, 1, done)
	<-done
	<-done
	go waitBatch(b)
}

type cache struct {
	mu      sync.Mutex
	updates chan int
	name    *string
}

//go:noinline
func publishLocked(c *cache, n int, held chan<- struct{}) {
	c.mu.Lock()
	close(held)
	c.updates <- n
	c.mu.Unlock()
}

//go:noinline
func readLocked(c *cache) {
	c.mu.Lock()
	consume(cap(c.updates))
	c.mu.Unlock()
}

//go:noinline
func lockedSend(n int) {
	c := &cache{updates: make(chan int)}
	held := make(chan struct{})
	go publishLocked(c, n, held)
	<-held
	go readLocked(c)
	go readLocked(c)
}

//go:noinline
func jobWorker(jobs <-chan int, quit <-chan struct{}) {
	for {
		select {
		case j := <-jobs:
			consume(j)
		case <-quit:
			return
		}
	}
}

//go:noinline
func runJobsNoQuit() {
	jobs, quit := make(chan int), make(chan struct{})
	go jobWorker(jobs, quit)
	for j := 0; j < 3; j++ {
		jobs <- j
	}
}

type notice struct {
	mu   sync.Mutex
	cond *sync.Cond
	done bool
}

//go:noinline
func waitNotice(n *notice) {
	n.mu.Lock()
	for !n.done {
		n.cond.Wait()
	}
	n.mu.Unlock()
}

//go:noinline
func noticeNeverSignalled(i int) {
	n := new(notice)
	n.cond = sync.NewCond(&n.mu)
	go waitNotice(n)
	if validate(i) != nil {
		return // the Broadcast below is skipped
	}
	n.mu.Lock()
	n.done = true
	n.cond.Broadcast()
	n.mu.Unlock()
}

type registry struct {
	mu   sync.RWMutex
	name *string
}

// lookupTwice takes the read lock again under itself (a helper that locks
// too): with a writer queued in between, the second RLock waits for the
// writer, the writer for the first RLock.
//
//go:noinline
func lookupTwice(r *registry, held chan<- struct{}, writerQueued <-chan struct{}) {
	r.mu.RLock()
	close(held)
	<-writerQueued
	r.mu.RLock()
	r.mu.RUnlock()
	r.mu.RUnlock()
}

//go:noinline
func register(r *registry) {
	r.mu.Lock()
	r.mu.Unlock()
}

//go:noinline
func recursiveRLock() {
	r := new(registry)
	held, queued := make(chan struct{}), make(chan struct{})
	go lookupTwice(r, held, queued)
	<-held
	go register(r)
	// The writer is queued once readerCount went negative: poll for it.
	for !writerWaiting(r) {
		runtime.Gosched()
	}
	close(queued)
}

// writerWaiting tells whether a writer is queued on r: TryRLock fails then
// (and only then, while r is read-locked).
//
//go:noinline
func writerWaiting(r *registry) bool {
	if r.mu.TryRLock() {
		r.mu.RUnlock()
		return false
	}
	return true
}

type account struct {
	mu   sync.Mutex
	name *string
}

//go:noinline
func transfer(from, to *account, held chan<- struct{}, otherHeld <-chan struct{}) {
	from.mu.Lock()
	close(held)
	<-otherHeld
	to.mu.Lock()
	to.mu.Unlock()
	from.mu.Unlock()
}

// transfersABBA runs two transfers between the same accounts in opposite
// directions, each locking its source first.
//
//go:noinline
func transfersABBA() {
	a, b := new(account), new(account)
	aHeld, bHeld := make(chan struct{}), make(chan struct{})
	go transfer(a, b, aHeld, bHeld)
	go transfer(b, a, bHeld, aHeld)
}

//go:noinline
func ctxWorker(ctx context.Context, jobs <-chan int, done chan<- struct{}) {
	defer func() {
		if done != nil {
			done <- struct{}{}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-jobs:
			consume(j)
		}
	}
}

//go:noinline
func quitWorker(quit <-chan struct{}, jobs <-chan int, done chan<- struct{}) {
	defer func() {
		if done != nil {
			done <- struct{}{}
		}
	}()
	for {
		select {
		case <-quit:
			return
		case j := <-jobs:
			consume(j)
		}
	}
}

//go:noinline
func releasedWorker(b *batch, release <-chan struct{}) {
	<-release
	b.wg.Done()
}

//go:noinline
func waitReleased(b *batch) {
	b.wg.Wait()
}

//go:noinline
func startReleased(release <-chan struct{}) *batch {
	b := new(batch)
	b.wg.Add(1)
	go releasedWorker(b, release)
	go waitReleased(b)
	return b
}

// stopRightWay runs each healthy kind of worker and stops it as it should be.
//
//go:noinline
func stopRightWay() {
	ctx, cancel := context.WithCancel(context.Background())
	quit, jobs, release := make(chan struct{}), make(chan int), make(chan struct{})
	done := make(chan struct{})
	go ctxWorker(ctx, jobs, done)
	go quitWorker(quit, jobs, done)
	for j := 0; j < 4; j++ {
		jobs <- j
	}
	cancel()
	close(quit)
	<-done
	<-done
	b := startReleased(release)
	close(release)
	b.wg.Wait()
}

//go:noinline
func startHealthy(n int) {
	healthyCtx, stopHealthy = context.WithCancel(context.Background())
	for i := 0; i < n; i++ {
		go ctxWorker(healthyCtx, healthyJobs, nil)
		go quitWorker(healthyQuit, healthyJobs, nil)
		startReleased(healthyRelease)
	}
}

// writeLeakProfile writes the goroutineleak profile to path, or one line
// saying there is none.
func writeLeakProfile(path string) {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bugshapes: failed to create %s: %v\n", tmp, err)
		return
	}
	if p := pprof.Lookup("goroutineleak"); p != nil {
		err = p.WriteTo(f, 2)
	} else {
		msg := fmt.Sprintf("no goroutineleak profile in %s (Go 1.26 with "+
			"GOEXPERIMENT=goroutineleakprofile, 1.27 on)\n", runtime.Version())
		fmt.Fprint(os.Stderr, "bugshapes: "+msg)
		_, err = f.WriteString(msg)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bugshapes: failed to write %s: %v\n", path, err)
	}
}

//go:noinline
func profileOnSignal(path string, usr1 <-chan os.Signal) {
	for range usr1 {
		writeLeakProfile(path)
	}
}

func main() {
	n := flag.Int("n", 100, "times each shape runs")
	profile := flag.String("profile", os.Getenv("BW_LEAK_PROFILE"),
		"where SIGUSR1 writes the goroutineleak profile")
	flag.Parse()
	if *n <= 0 {
		announce.Fail("bad flags: need -n > 0")
	}
	sig := announce.Signals()
	if *profile != "" {
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		go profileOnSignal(*profile, usr1)
	}
	stopRightWay()
	for i := 0; i < *n; i++ {
		if fetchEarlyReturn(i) == nil {
			announce.Fail("fetchEarlyReturn(%d) did not fail", i)
		}
		requestNoReply()
		forwardAbandoned(i)
		batchNeverDone()
		lockedSend(i)
		runJobsNoQuit()
		noticeNeverSignalled(i)
		recursiveRLock()
		transfersABBA()
	}
	startHealthy(*n)
	announce.ReadyShapes([]announce.Shape{
		{Name: "early-return", Expect: "leak", Wait: "chan send", Func: "main.sendResult", Count: *n},
		{Name: "no-sender", Expect: "leak", Wait: "chan receive", Func: "main.awaitReply", Count: *n},
		{Name: "select-dead", Expect: "leak", Wait: "select", Func: "main.forwardOrStop", Count: *n},
		{Name: "wg-never-done", Expect: "leak", Wait: announce.WaitGroupWait(),
			Func: "main.waitBatch", Count: *n},
		{Name: "locked-send", Expect: "leak", Wait: "chan send", Func: "main.publishLocked",
			Count: *n},
		{Name: "locked-waiter", Expect: "leak", Wait: announce.MutexLock(),
			Func: "main.readLocked", Count: 2 * *n},
		{Name: "never-quit", Expect: "leak", Wait: "select", Func: "main.jobWorker", Count: *n},
		{Name: "cond-never-signalled", Expect: "leak", Wait: "sync.Cond.Wait",
			Func: "main.waitNotice", Count: *n},
		{Name: "rlock-reader", Expect: "deadlock", Wait: announce.RWMutexWait("RLock"),
			Func: "main.lookupTwice", Count: *n},
		{Name: "rlock-writer", Expect: "deadlock", Wait: announce.RWMutexWait("Lock"),
			Func: "main.register", Count: *n},
		{Name: "abba-transfer", Expect: "deadlock", Wait: announce.MutexLock(),
			Func: "main.transfer", Count: 2 * *n},
		{Name: "ctx-worker", Expect: "idle", Wait: "select", Func: "main.ctxWorker", Count: *n},
		{Name: "quit-worker", Expect: "idle", Wait: "select", Func: "main.quitWorker", Count: *n},
		{Name: "wg-worker", Expect: "idle", Wait: "chan receive", Func: "main.releasedWorker",
			Count: *n},
		{Name: "wg-waiter", Expect: "idle", Wait: announce.WaitGroupWait(),
			Func: "main.waitReleased", Count: *n},
	})
	<-sig
	stopHealthy()
	close(healthyQuit)
	close(healthyRelease)
}
