// SPDX-License-Identifier: GPL-2.0

// gochurn creates and ends goroutines continuously, and OS threads with
// them: a goroutine that locks its thread and returns without unlocking
// takes the thread down with it. Used by bench/soak.sh; runs until killed.
package main

import (
	"runtime"
	"sync"
	"time"
)

func main() {
	var mu sync.Mutex
	counter := 0
	for {
		var wg sync.WaitGroup
		for i := 0; i < 200; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mu.Lock()
				counter++
				mu.Unlock()
				time.Sleep(time.Millisecond)
			}()
		}
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockOSThread() // never unlocked: the thread exits
				time.Sleep(time.Millisecond)
			}()
		}
		wg.Wait()
		time.Sleep(20 * time.Millisecond)
	}
}
