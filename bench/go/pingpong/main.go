// SPDX-License-Identifier: GPL-2.0

// pingpong: two goroutines exchange a message over two unbuffered channels
// -n times (one op = one round trip: two sends, two receives, two parks and
// two wake-ups). Prints "pingpong <ns> ns/op".
package main

import (
	"time"

	"blockwatch/gobench/internal/bench"
)

// checkEvery round trips the pinger looks at the clock.
const checkEvery = 1024

//go:noinline
func pinger(n int, deadline time.Time, ping chan<- int, pong <-chan int, done chan<- int) {
	i := 0
	for ; i < n; i++ {
		ping <- i
		<-pong
		if i%checkEvery == checkEvery-1 && time.Now().After(deadline) {
			i++
			break
		}
	}
	close(ping)
	done <- i
}

//go:noinline
func ponger(ping <-chan int, pong chan<- int) {
	for v := range ping {
		pong <- v
	}
}

func main() {
	r := bench.Parse("pingpong", 1000000)
	ping, pong, done := make(chan int), make(chan int), make(chan int)
	start := time.Now()
	go ponger(ping, pong)
	go pinger(r.N, start.Add(r.MaxTime), ping, pong, done)
	ops := <-done
	bench.Print("pingpong", float64(time.Since(start).Nanoseconds())/float64(ops), "ns/op")
}
