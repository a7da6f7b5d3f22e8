// SPDX-License-Identifier: GPL-2.0

// million: a target with -n goroutines (default 1,000,000), nearly all
// parked for good, spread over four sites: a receive from a channel nobody
// sends on, a select on two such channels, a sync.Mutex the main goroutine
// holds, and a one-hour sleep. One more goroutine keeps waking every 10ms.
// Prints "million ready <n> goroutines" once all have started, then waits
// for SIGINT/SIGTERM.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

//go:noinline
func recvForever(started *sync.WaitGroup, c chan int) {
	started.Done()
	<-c
}

//go:noinline
func selectForever(started *sync.WaitGroup, a, b chan int) {
	started.Done()
	select {
	case <-a:
	case <-b:
	}
}

//go:noinline
func lockForever(started *sync.WaitGroup, mu *sync.Mutex) {
	started.Done()
	mu.Lock()
}

//go:noinline
func sleepLong(started *sync.WaitGroup) {
	started.Done()
	time.Sleep(time.Hour)
}

//go:noinline
func ticker(stop chan struct{}) {
	t := time.NewTicker(10 * time.Millisecond)
	for {
		select {
		case <-t.C:
		case <-stop:
			return
		}
	}
}

func main() {
	n := flag.Int("n", 1000000, "goroutines to park")
	flag.Parse()
	if *n <= 0 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "million: bad arguments: need -n > 0 and no operands")
		os.Exit(1)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	never, a, b := make(chan int), make(chan int), make(chan int)
	var mu sync.Mutex
	mu.Lock()
	var started sync.WaitGroup
	started.Add(*n)
	for i := 0; i < *n; i++ {
		switch i % 4 {
		case 0:
			go recvForever(&started, never)
		case 1:
			go selectForever(&started, a, b)
		case 2:
			go lockForever(&started, &mu)
		default:
			go sleepLong(&started)
		}
	}
	started.Wait()
	stop := make(chan struct{})
	go ticker(stop)
	fmt.Printf("million ready %d goroutines\n", *n)
	<-sigs
	close(stop)
}
