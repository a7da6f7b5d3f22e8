// SPDX-License-Identifier: GPL-2.0

// growleak: a growing leak. Every -every (50ms) main.leakReport, a request
// handler that gives up on its worker's report without receiving it, leaks
// one more goroutine blocked in a channel send, always from the same
// creation site, until -max goroutines have leaked (then it only ticks).
//
//	role                     expect  wait          func             created
//	growing-leak (the first) leak    chan send     main.sendReport  main.leakReport
//	leak-spawner             none    chan receive  main.leakEvery   main.main
//	main                     idle    chan receive  main.main        -
//
// "ready" comes once at least -announce leaked goroutines are in place;
// those started later (same role) announce nothing.
package main

import (
	"flag"
	"time"

	"blockwatch/gotargets/internal/announce"
)

//go:noinline
func sendReport(out chan<- int, n int) {
	announce.Self("growing-leak", "leak", "chan send", "main.sendReport", "main.leakReport")
	out <- n
}

//go:noinline
func leakReport(n int) {
	out := make(chan int)
	go sendReport(out, n)
}

//go:noinline
func leakEvery(every time.Duration, max int) {
	announce.Self("leak-spawner", "none", "chan receive", "main.leakEvery", "main.main")
	t := time.NewTicker(every)
	for n := 0; ; n++ {
		<-t.C
		if n < max {
			leakReport(n)
		}
	}
}

func main() {
	every := flag.Duration("every", 50*time.Millisecond, "time between two leaks")
	max := flag.Int("max", 10000, "stop leaking after this many goroutines")
	first := flag.Int("announce", 3, "leaked goroutines to announce before \"ready\"")
	flag.Parse()
	if *every <= 0 || *max < *first || *first < 0 {
		announce.Fail("bad flags: need -every > 0 and -max >= -announce >= 0")
	}
	sig := announce.Signals()
	go leakEvery(*every, *max)
	announce.Self("main", "idle", "chan receive", "main.main", "-")
	announce.Ready(2 + *first)
	<-sig
}
