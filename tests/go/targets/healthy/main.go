// SPDX-License-Identifier: GPL-2.0

// healthy: nothing here may be flagged as a leak or a deadlock.
//
// Before "ready", workers stopped the right way run and exit: by a cancelled
// context (main.stopByContext), by a closed quit channel
// (main.stopByQuitChannel), and with a WaitGroup counted right
// (main.waitGroupDone). Their goroutines are dead then (their g structs stay
// in the runtime's list, to be recycled), so they are not announced.
//
// What stays, announced:
//
//	role              expect  wait          func                                created
//	ctx-worker (x2)   idle    select        main.contextWorker                  main.startContextWorkers
//	quit-worker       idle    select        main.quitWorker                     main.startQuitWorker
//	ticker            none    chan receive  main.tickerLoop                     main.main
//	sleeper           idle    sleep         main.longSleeper                    main.main
//	napper            none    sleep         main.shortSleeper                   main.main
//	busy              none    -             main.busyLoop                       main.main
//	ping              none    -             main.pinger                         main.startPingPong
//	pong              none    -             main.ponger                         main.startPingPong
//	http-serve        idle    IO wait       main.serveHTTP                      main.startHTTP
//	http-server-conn  idle    IO wait       net/http.(*conn).serve              net/http.(*Server).Serve
//	http-client-read  idle    IO wait       net/http.(*persistConn).readLoop    net/http.(*Transport).dialConn
//	http-client-write idle    select        net/http.(*persistConn).writeLoop   net/http.(*Transport).dialConn
//	main              idle    chan receive  main.main                           -
//
// The workers' context, quit and job channels are package variables: they
// stay reachable, and main stops the workers on SIGTERM. The ticker and the
// napper wake every 100 ms; ping and pong exchange a message every
// millisecond; busy computes forever. The HTTP client made one keep-alive
// request to the server on 127.0.0.1 and keeps the connection idle (no idle
// timeout on either side); net/http's goroutines are found in the runtime's
// dump and announced by main.
package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"blockwatch/gotargets/internal/announce"
)

const (
	ctxWorkers = 2
	tick       = 100 * time.Millisecond
)

var (
	sink        int64
	stopWorkers context.CancelFunc
	quit        = make(chan struct{})
	jobs        = make(chan int)
	httpClient  *http.Client
	httpServer  *http.Server
)

//go:noinline
func consume(j int) {
	atomic.AddInt64(&sink, int64(j))
}

//go:noinline
func ctxStoppedWorker(ctx context.Context, in <-chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-in:
			consume(j)
		}
	}
}

//go:noinline
func stopByContext() {
	ctx, cancel := context.WithCancel(context.Background())
	in := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go ctxStoppedWorker(ctx, in, &wg)
	}
	for j := 0; j < 10; j++ {
		in <- j
	}
	cancel()
	wg.Wait()
}

//go:noinline
func quitStoppedWorker(stop <-chan struct{}, in <-chan int, done chan<- struct{}) {
	defer func() { done <- struct{}{} }()
	for {
		select {
		case <-stop:
			return
		case j := <-in:
			consume(j)
		}
	}
}

//go:noinline
func stopByQuitChannel() {
	stop, in, done := make(chan struct{}), make(chan int), make(chan struct{})
	for i := 0; i < 3; i++ {
		go quitStoppedWorker(stop, in, done)
	}
	for j := 0; j < 10; j++ {
		in <- j
	}
	close(stop)
	for i := 0; i < 3; i++ {
		<-done
	}
}

//go:noinline
func wgWorker(j int, wg *sync.WaitGroup) {
	defer wg.Done()
	consume(j)
}

//go:noinline
func waitGroupDone() {
	var wg sync.WaitGroup
	wg.Add(3)
	for j := 0; j < 3; j++ {
		go wgWorker(j, &wg)
	}
	wg.Wait()
}

//go:noinline
func contextWorker(ctx context.Context, in <-chan int) {
	announce.Self("ctx-worker", "idle", "select", "main.contextWorker",
		"main.startContextWorkers")
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-in:
			consume(j)
		}
	}
}

//go:noinline
func startContextWorkers() {
	var ctx context.Context
	ctx, stopWorkers = context.WithCancel(context.Background())
	for i := 0; i < ctxWorkers; i++ {
		go contextWorker(ctx, jobs)
	}
}

//go:noinline
func quitWorker(stop <-chan struct{}, in <-chan int) {
	announce.Self("quit-worker", "idle", "select", "main.quitWorker", "main.startQuitWorker")
	for {
		select {
		case <-stop:
			return
		case j := <-in:
			consume(j)
		}
	}
}

//go:noinline
func startQuitWorker() {
	go quitWorker(quit, jobs)
}

//go:noinline
func tickerLoop() {
	announce.Self("ticker", "none", "chan receive", "main.tickerLoop", "main.main")
	t := time.NewTicker(tick)
	for range t.C {
		consume(1)
	}
}

//go:noinline
func longSleeper() {
	announce.Self("sleeper", "idle", "sleep", "main.longSleeper", "main.main")
	for {
		time.Sleep(time.Hour)
	}
}

//go:noinline
func shortSleeper() {
	announce.Self("napper", "none", "sleep", "main.shortSleeper", "main.main")
	for {
		time.Sleep(tick)
		consume(1)
	}
}

//go:noinline
func busyLoop() {
	announce.Self("busy", "none", "-", "main.busyLoop", "main.main")
	x := uint64(1)
	for {
		x = x*6364136223846793005 + 1442695040888963407
		if x == 0 {
			atomic.AddInt64(&sink, 1)
		}
	}
}

//go:noinline
func pinger(ping chan<- int, pong <-chan int) {
	announce.Self("ping", "none", "-", "main.pinger", "main.startPingPong")
	for i := 0; ; i++ {
		ping <- i
		consume(<-pong)
		time.Sleep(time.Millisecond)
	}
}

//go:noinline
func ponger(ping <-chan int, pong chan<- int) {
	announce.Self("pong", "none", "-", "main.ponger", "main.startPingPong")
	for v := range ping {
		pong <- v + 1
	}
}

//go:noinline
func startPingPong() {
	ping, pong := make(chan int), make(chan int)
	go pinger(ping, pong)
	go ponger(ping, pong)
}

//go:noinline
func serveHTTP(srv *http.Server, ln net.Listener) {
	announce.Self("http-serve", "idle", "IO wait", "main.serveHTTP", "main.startHTTP")
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		announce.Fail("failed to serve http: %v", err)
	}
}

func hello(w http.ResponseWriter, r *http.Request) {
	_, _ = io.WriteString(w, "hello\n")
}

// startHTTP starts a server on 127.0.0.1 and makes one keep-alive request,
// leaving the connection idle and open at both ends.
//
//go:noinline
func startHTTP() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		announce.Fail("failed to listen on 127.0.0.1: %v", err)
	}
	httpServer = &http.Server{Handler: http.HandlerFunc(hello)}
	go serveHTTP(httpServer, ln)
	httpClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	resp, err := httpClient.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		announce.Fail("failed to get http://%s/: %v", ln.Addr(), err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		announce.Fail("failed to read http://%s/: %v (%s)", ln.Addr(), err, resp.Status)
	}
}

func announceHTTP() {
	conn := announce.Find("net/http.(*conn).serve")
	announce.Other(conn.ID, "http-server-conn", "idle", "IO wait", "net/http.(*conn).serve",
		"net/http.(*Server).Serve")
	rd := announce.Find("net/http.(*persistConn).readLoop")
	announce.Other(rd.ID, "http-client-read", "idle", "IO wait",
		"net/http.(*persistConn).readLoop", "net/http.(*Transport).dialConn")
	wr := announce.Find("net/http.(*persistConn).writeLoop")
	announce.Other(wr.ID, "http-client-write", "idle", "select",
		"net/http.(*persistConn).writeLoop", "net/http.(*Transport).dialConn")
}

func main() {
	sig := announce.Signals()
	stopByContext()
	stopByQuitChannel()
	waitGroupDone()
	startContextWorkers()
	startQuitWorker()
	go tickerLoop()
	go longSleeper()
	go shortSleeper()
	go busyLoop()
	startPingPong()
	startHTTP()
	announceHTTP()
	announce.Self("main", "idle", "chan receive", "main.main", "-")
	announce.Ready(ctxWorkers + 12)
	<-sig
	stopWorkers()
	close(quit)
	httpServer.Close()
}
