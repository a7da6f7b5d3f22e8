// SPDX-License-Identifier: GPL-2.0

//go:build !go1.24

package main

// startCleanups: runtime.AddCleanup came with Go 1.24.
func startCleanups() int { return 0 }
