// SPDX-License-Identifier: GPL-2.0

// spawn: starts -n goroutines that each just exit, in batches waited for
// with a sync.WaitGroup (one op = one goroutine created, run and exited).
// Prints "spawn <ns> ns/op".
package main

import (
	"sync"
	"time"

	"blockwatch/gobench/internal/bench"
)

const batch = 1000

//go:noinline
func worker(wg *sync.WaitGroup) {
	wg.Done()
}

func main() {
	r := bench.Parse("spawn", 1000000)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(r.MaxTime)
	ops := 0
	for ops < r.N {
		k := r.N - ops
		if k > batch {
			k = batch
		}
		wg.Add(k)
		for i := 0; i < k; i++ {
			go worker(&wg)
		}
		wg.Wait()
		ops += k
		if time.Now().After(deadline) {
			break
		}
	}
	bench.Print("spawn", float64(time.Since(start).Nanoseconds())/float64(ops), "ns/op")
}
