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
// those started later (same role) announce nothing. Right before it,
// "leaked N": how many goroutines are parked in main.sendReport by then
// (with -announce equal to -max, all of them, and no more come).
package main

import (
	"flag"
	"fmt"
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
	announce.ReadyWith(2+*first, leaked)
	<-sig
}

// leaked says how many goroutines are parked sending their report, as the
// runtime's own dump shows them.
func leaked() string {
	n := 0
	for _, g := range announce.Dump() {
		for _, f := range g.Funcs {
			if g.Reason == "chan send" && f == "main.sendReport" {
				n++
				break
			}
		}
	}
	return fmt.Sprintf("leaked %d", n)
}
