// SPDX-License-Identifier: GPL-2.0

// Fixture for tests/unit/test_gobin.c: a few named functions (some inlined,
// some not), goroutines parked for different wait reasons, and a "frames"
// mode that prints what the runtime itself says about inlined call chains
// so the C reader of the binary can be compared against it.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
)

var sink int

//go:noinline
func leaf(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += i * i
	}
	return s
}

//go:noinline
func capture(pcs []uintptr) int {
	return runtime.Callers(2, pcs) // from our caller on
}

// innermost, middle and outer are small enough to be inlined into caller,
// giving a chain of three inlined frames at the call to capture.
func innermost(pcs []uintptr) int {
	return capture(pcs) + 1
}

func middle(pcs []uintptr) int {
	return innermost(pcs) + 2
}

func outer(pcs []uintptr) int {
	return middle(pcs) + 3
}

//go:noinline
func caller(pcs []uintptr) int {
	return outer(pcs) - 6
}

func inlinedAdd(a, b int) int {
	return a + b
}

//go:noinline
func usesInlinedAdd(a int) int {
	return inlinedAdd(a, leaf(a))
}

type worker struct {
	mu   sync.Mutex
	cond *sync.Cond
}

//go:noinline
func (w *worker) blockOnChan(c chan int) {
	<-c
}

//go:noinline
func blockOnSelect(a, b chan int) {
	select {
	case <-a:
	case <-b:
	}
}

//go:noinline
func blockOnMutex(mu *sync.Mutex) {
	mu.Lock()
}

//go:noinline
func blockOnWaitGroup(wg *sync.WaitGroup) {
	wg.Wait()
}

// printFrames prints the pcs runtime.Callers gives for the inlined chain
// (one per logical frame) and the frame CallersFrames makes of each.
func printFrames() {
	// Reference point to compute the load bias of PIE builds.
	fmt.Printf("entry main.leaf %#x\n", runtime.FuncForPC(funcPC(leaf)).Entry())
	pcs := make([]uintptr, 32)
	n := caller(pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for i := 0; i < n; i++ {
		f, more := frames.Next()
		fmt.Printf("pc %#x\nframe %s %s %d\n", pcs[i], f.Function, f.File, f.Line)
		if !more || f.Function == "main.main" {
			break
		}
	}
}

func park() {
	var w worker
	w.mu.Lock()
	w.cond = sync.NewCond(&sync.Mutex{})
	c := make(chan int)
	var wg sync.WaitGroup
	wg.Add(1)
	go w.blockOnChan(c)
	go blockOnSelect(c, make(chan int))
	go blockOnMutex(&w.mu)
	go blockOnWaitGroup(&wg)
	go func() {
		w.cond.L.Lock()
		w.cond.Wait()
	}()
	go func() {
		time.Sleep(time.Hour)
	}()
	fmt.Println("ready")
	c <- usesInlinedAdd(3)
	select {}
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "frames" {
		printFrames()
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "park" {
		park()
	}
	if len(os.Args) > 1 && os.Args[1] == "gcmap" {
		gcmapMode()
	}
	fmt.Println(usesInlinedAdd(len(os.Args)), cgoAnswer())
}
