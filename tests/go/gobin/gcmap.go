// SPDX-License-Identifier: GPL-2.0

// The "gcmap" mode, for the GC pointer map readers (user/gcmap.c): globals
// at known symbols with known pointer words, and a goroutine parked with a
// live *gcNode in one stack slot and a dead one in another.
package main

import (
	"fmt"
	"runtime/debug"
	"time"
	"unsafe"
)

type gcNode struct {
	next *gcNode
	val  int
}

// Words: pointer, scalar, pointer.
type gcPair struct {
	p *gcNode
	n uintptr
	q *gcNode
}

// .bss (zero): the pair's words 0 and 2 are pointers, the int is not.
var (
	gcBssPair gcPair
	gcBssInt  uintptr
	gcBssPtr  *gcNode
)

// .data (initialised with addresses): words 0 and 2 of the pair.
var (
	gcDataTarget gcNode
	gcDataPair   = gcPair{p: &gcDataTarget, n: 7, q: &gcDataTarget}
)

//go:noinline
func gcNew(v int) *gcNode {
	n := &gcNode{val: v}
	if v < 0 {
		gcBssPtr = n
	}
	return n
}

//go:noinline
func gcTouch(n *gcNode) {
	if n.val < 0 {
		gcBssPtr = n
	}
}

// gcHold parks in <-c with live still used after it and dead not: both were
// spilled to the frame across the gcTouch calls, only live is in the map.
//
//go:noinline
func gcHold(c chan int, ready chan [3]uintptr) {
	var marker uintptr
	live := gcNew(1)
	dead := gcNew(2)
	gcTouch(live)
	gcTouch(dead)
	ready <- [3]uintptr{uintptr(unsafe.Pointer(live)), uintptr(unsafe.Pointer(dead)),
		uintptr(unsafe.Pointer(&marker))}
	<-c
	gcTouch(live)
}

// gcmapMode prints the globals' addresses for PIE bias, then "gcstack LIVE
// DEAD STACKADDR" once gcHold is about to park, and parks forever. GC stays
// off so that no stack is shrunk or moved while the test reads it.
func gcmapMode() {
	debug.SetGCPercent(-1)
	fmt.Printf("global gcBssPair %#x\nglobal gcDataPair %#x\n",
		uintptr(unsafe.Pointer(&gcBssPair)), uintptr(unsafe.Pointer(&gcDataPair)))
	sink += int(gcBssInt) + int(gcDataPair.n)
	gcBssPair.n = 1
	c := make(chan int)
	ready := make(chan [3]uintptr)
	go gcHold(c, ready)
	r := <-ready
	fmt.Printf("gcstack %#x %#x %#x\n", r[0], r[1], r[2])
	for { // a sleeper: the runtime would call a program with no timer deadlocked
		time.Sleep(time.Hour)
	}
}
