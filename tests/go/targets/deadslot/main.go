// SPDX-License-Identifier: GPL-2.0

// deadslot: leaked receivers whose channel's last pointer sits in a dead
// stack slot of a goroutine that is alive.
//
//	role       wait          func            created
//	receiver   chan receive  main.receiver   main.spawner
//	spawner    chan receive  main.spawner    main.main
//	main (idle) chan receive main.main       -
//
// Each spawner makes a fresh channel, starts a receiver on it and hands it
// to a call (so the compiler spills it to a stack slot across the go
// statement), then drops it and waits on a global work queue nobody feeds
// but that is reachable from the data section: the spawners are idle, their
// stacks roots. At the PC where a spawner waits the slot holding the old
// channel is dead in the function's stack map, so it keeps nothing alive:
// the receivers are leaked, as the Go GC sees them. (Go 1.19's -S: ch is
// spilled to 88(SP) after makechan, live in stack map 1 across newproc;
// the calls to register and chanrecv1 are in stack map 0, where it is dead.)
package main

import (
	"blockwatch/gotargets/internal/announce"
)

const spawners = 2

var work = make(chan int)

//go:noinline
func receiver(ch chan int) {
	announce.Self("receiver", "leak", "chan receive", "main.receiver", "main.spawner")
	<-ch
}

//go:noinline
func register(ch chan int) int {
	return cap(ch)
}

//go:noinline
func spawner() {
	ch := make(chan int)
	go receiver(ch)
	n := register(ch)
	announce.Self("spawner", "idle", "chan receive", "main.spawner", "main.main")
	for {
		n += <-work
	}
}

func main() {
	sig := announce.Signals()
	for i := 0; i < spawners; i++ {
		go spawner()
	}
	announce.Self("main", "idle", "chan receive", "main.main", "-")
	announce.Ready(2*spawners + 1)
	<-sig
}
