// SPDX-License-Identifier: GPL-2.0

// Package bench holds what the Go benchmarks in bench/go share: their flags
// and their one line of output, "<name> <value> <unit>" on stdout.
//
// Every benchmark takes
//
//	-n N            operations to run
//	-max-time DUR   stop early after this long (default 10s); the result is
//	                computed over the operations done
//	-wait           read one line from stdin before starting, so that a
//	                tracer can attach first
package bench

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"time"
)

// Run is one benchmark run.
type Run struct {
	N       int
	MaxTime time.Duration
}

// Fail writes a message to stderr and exits with status 1.
func Fail(name, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, name+": "+format+"\n", args...)
	os.Exit(1)
}

// Parse reads the flags; with -wait it returns once stdin gave a line.
func Parse(name string, defaultN int) Run {
	n := flag.Int("n", defaultN, "operations to run")
	maxTime := flag.Duration("max-time", 10*time.Second, "stop early after this long")
	wait := flag.Bool("wait", false, "read one line from stdin before starting")
	flag.Parse()
	if *n <= 0 || *maxTime <= 0 || flag.NArg() > 0 {
		Fail(name, "bad arguments: need -n > 0, -max-time > 0 and no operands")
	}
	if *wait {
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			Fail(name, "failed to read the start line from stdin: %v", err)
		}
	}
	return Run{N: *n, MaxTime: *maxTime}
}

// Print writes the result line.
func Print(name string, value float64, unit string) {
	fmt.Printf("%s %.1f %s\n", name, value, unit)
}
