// SPDX-License-Identifier: GPL-2.0

// Package announce is the protocol of the Go end-to-end targets in
// tests/go/targets, the Go twin of tests/targets/announce.h.
//
// Each interesting goroutine, right before it blocks, writes one line
//
//	goid <N> role <ROLE> expect <VERDICT> wait <WAIT> func <FUNC> created <CREATOR>
//
// to stdout, where
//   - VERDICT is what blockwatch must say about it: leak, deadlock, idle (a
//     wait that is normal for long), or none (no record at all: it runs, or
//     its waits are short);
//   - WAIT is the runtime's own wait reason, as its goroutine dumps print it
//     ("chan send", "select (no cases)", "IO wait"...; it may hold spaces and
//     ends before " func "), or "-" where it depends on timing. Some change
//     with the Go version: see MutexLock and WaitGroupWait;
//   - FUNC is a function on the goroutine's stack where it blocks: for the
//     main package's goroutines the function that performs the blocking
//     operation, which is also the goroutine's start function; for the
//     goroutines net/http starts itself, their start function;
//   - CREATOR is the function whose go statement created the goroutine (the
//     dump's "created by" line, without " in goroutine N"), "-" for main.
//
// Once every announced goroutine shows, in the runtime's own dump
// (runtime.Stack with all=true), the announced wait reason, FUNC on its
// stack and CREATOR as its creator, main writes "ready" and blocks on a
// signal channel until SIGTERM or SIGINT (exit status 0). Goroutines started
// after "ready" announce nothing. Not ready within 10 s: a message on stderr
// and exit status 1.
//
// A target may write one more line right before "ready" (ReadyWith), such
// as growleak's "leaked N": how many goroutines it has leaked by then.
//
// Unannounced goroutines must not be flagged either: the runtime's own (GC
// workers, sweeper, scavenger, finalizer, forcegc, os/signal's loop).
//
// A target with more goroutines than is worth a line each counts them by
// shape instead (ReadyShapes): its "ready" line then goes on with one
// " NAME=EXPECT,FUNC,COUNT" item per shape, COUNT goroutines parked with FUNC
// on their stacks, each of which must get VERDICT EXPECT.
package announce

import (
	"bytes"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Timeout bounds every wait of the protocol: announcements, parking, lookups.
const Timeout = 10 * time.Second

type entry struct {
	goid                       int64
	role, expect, wait, fn, by string
}

var board struct {
	mu      sync.Mutex
	entries []entry
	closed  bool
}

// Fail writes a message to stderr and exits with status 1.
func Fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "target: "+format+"\n", args...)
	os.Exit(1)
}

func write(line string) {
	if _, err := os.Stdout.WriteString(line); err != nil {
		Fail("failed to write stdout: %v", err)
	}
}

// goMinor is the minor version of the running Go release (19 for go1.19.8).
func goMinor() int {
	v := strings.TrimPrefix(runtime.Version(), "go1.")
	if i := strings.IndexAny(v, ".rc-beta"); i >= 0 {
		v = v[:i]
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 1 << 30 // devel: the newest
	}
	return n
}

// MutexLock is the wait reason of a goroutine blocked in sync.Mutex.Lock:
// the runtime names it from Go 1.20 on, before it is a plain semacquire.
func MutexLock() string {
	if goMinor() >= 20 {
		return "sync.Mutex.Lock"
	}
	return "semacquire"
}

// RWMutexWait is the wait reason of a goroutine blocked in sync.RWMutex's
// lock ("Lock" or "RLock"): named from Go 1.20 on, before a semacquire.
func RWMutexWait(lock string) string {
	if goMinor() >= 20 {
		return "sync.RWMutex." + lock
	}
	return "semacquire"
}

// WaitGroupWait is the wait reason of a goroutine blocked in
// sync.WaitGroup.Wait: named from Go 1.24 on, before a semacquire.
func WaitGroupWait() string {
	if goMinor() >= 24 {
		return "sync.WaitGroup.Wait"
	}
	return "semacquire"
}

// Goid is the calling goroutine's id, from its own traceback header
// "goroutine 18 [running]:".
func Goid() int64 {
	var buf [64]byte
	s := buf[:runtime.Stack(buf[:], false)]
	s = bytes.TrimPrefix(s, []byte("goroutine "))
	if i := bytes.IndexByte(s, ' '); i > 0 {
		if id, err := strconv.ParseInt(string(s[:i]), 10, 64); err == nil {
			return id
		}
	}
	Fail("failed to parse goroutine id from %q", s)
	return 0
}

// Self announces the calling goroutine; call it right before it blocks.
func Self(role, expect, wait, fn, createdBy string) {
	Other(Goid(), role, expect, wait, fn, createdBy)
}

// Other announces goroutine goid, found with Find.
func Other(goid int64, role, expect, wait, fn, createdBy string) {
	board.mu.Lock()
	defer board.mu.Unlock()
	if board.closed {
		return
	}
	board.entries = append(board.entries, entry{goid, role, expect, wait, fn, createdBy})
	write(fmt.Sprintf("goid %d role %s expect %s wait %s func %s created %s\n", goid, role,
		expect, wait, fn, createdBy))
}

// G is one goroutine of a runtime dump.
type G struct {
	ID        int64
	Reason    string   // "chan send", "running"...: the header's first item
	Funcs     []string // innermost first; none if the stack is unavailable
	CreatedBy string   // "" for the main goroutine
}

func (g *G) has(fn string) bool {
	for _, f := range g.Funcs {
		if f == fn {
			return true
		}
	}
	return false
}

// ParseDump reads a goroutine dump as runtime.Stack(all=true) or a fatal
// signal print it.
func ParseDump(dump string) map[int64]*G {
	gs := make(map[int64]*G)
	var g *G
	for _, line := range strings.Split(dump, "\n") {
		switch {
		case strings.HasPrefix(line, "goroutine "):
			g = nil
			f := strings.Fields(line)
			open, end := strings.IndexByte(line, '['), strings.LastIndexByte(line, ']')
			id, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil || open < 0 || end < open {
				continue
			}
			reason := line[open+1 : end]
			if i := strings.Index(reason, ", "); i >= 0 {
				reason = reason[:i]
			}
			g = &G{ID: id, Reason: reason}
			gs[id] = g
		case g == nil || line == "" || line[0] == '\t' || strings.HasPrefix(line, "..."):
		case strings.HasPrefix(line, "created by "):
			by := strings.TrimPrefix(line, "created by ")
			if i := strings.Index(by, " in goroutine "); i >= 0 {
				by = by[:i]
			}
			g.CreatedBy = by
		default:
			if i := strings.LastIndexByte(line, '('); i > 0 && strings.HasSuffix(line, ")") {
				line = line[:i]
			}
			g.Funcs = append(g.Funcs, line)
		}
	}
	return gs
}

// Dump returns every user goroutine as the runtime itself sees it.
func Dump() map[int64]*G {
	buf := make([]byte, 256<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return ParseDump(string(buf[:n]))
		}
		buf = make([]byte, 2*len(buf))
	}
}

// Find waits until exactly one goroutine has fn on its stack and returns it.
func Find(fn string) *G {
	deadline := time.Now().Add(Timeout)
	for {
		var found []*G
		for _, g := range Dump() {
			if g.has(fn) {
				found = append(found, g)
			}
		}
		if len(found) == 1 {
			return found[0]
		}
		if time.Now().After(deadline) {
			Fail("%d goroutines with %s on the stack, want 1", len(found), fn)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// mismatch says how g differs from what e announced, "" if it does not.
func mismatch(e *entry, g *G, self int64) string {
	switch {
	case g == nil:
		return "is gone"
	case e.goid != self && e.wait != "-" && g.Reason != e.wait:
		return fmt.Sprintf("is in [%s], not [%s]", g.Reason, e.wait)
	case len(g.Funcs) > 0 && !g.has(e.fn):
		return fmt.Sprintf("has no %s on its stack %v", e.fn, g.Funcs)
	case e.by == "-" && g.CreatedBy != "", e.by != "-" && g.CreatedBy != e.by:
		return fmt.Sprintf("was created by %q, not %q", g.CreatedBy, e.by)
	}
	return ""
}

// Ready waits until at least n goroutines (the caller included) announced
// themselves and each one is where it said, then writes "ready" and closes
// the board. The caller itself runs, so its wait reason is not checked.
func Ready(n int) {
	ReadyWith(n, nil)
}

// ReadyWith is Ready that writes line() and a newline right before "ready",
// once everything announced is in place (line nil: nothing).
func ReadyWith(n int, line func() string) {
	deadline := time.Now().Add(Timeout)
	self := Goid()
	for {
		board.mu.Lock()
		snap := append([]entry(nil), board.entries...)
		board.mu.Unlock()
		why := ""
		if len(snap) < n {
			why = fmt.Sprintf("only %d of %d goroutines announced", len(snap), n)
		} else {
			gs := Dump()
			for i := range snap {
				e := &snap[i]
				if m := mismatch(e, gs[e.goid], self); m != "" {
					why = fmt.Sprintf("goroutine %d (%s) %s", e.goid, e.role, m)
					break
				}
			}
		}
		if why == "" {
			board.mu.Lock()
			if len(board.entries) == len(snap) {
				board.closed = true
				if line != nil {
					write(line() + "\n")
				}
				write("ready\n")
				board.mu.Unlock()
				return
			}
			board.mu.Unlock()
			continue
		}
		if time.Now().After(deadline) {
			Fail("not ready after %v: %s", Timeout, why)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Signals is where main waits at the end: SIGTERM and SIGINT, which then
// end the program with status 0. SIGQUIT keeps the runtime's dump-and-exit.
func Signals() <-chan os.Signal {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	return ch
}

// Shape is a kind of goroutine a target starts many of: Count goroutines
// parked in Wait with Func on their stacks, each expecting Expect.
type Shape struct {
	Name, Expect, Wait, Func string
	Count                    int
}

// parked counts the goroutines of gs with fn on their stack parked in wait.
func parked(gs map[int64]*G, fn, wait string) int {
	n := 0
	for _, g := range gs {
		if g.Reason == wait && g.has(fn) {
			n++
		}
	}
	return n
}

// ReadyShapes waits until, for each shape, exactly Count goroutines are
// parked in Wait with Func on their stacks, then writes the "ready" line
// with the shapes ("ready NAME=EXPECT,FUNC,COUNT ...") and closes the board.
func ReadyShapes(shapes []Shape) {
	deadline := time.Now().Add(Timeout)
	for {
		why := ""
		gs := Dump()
		for _, s := range shapes {
			if n := parked(gs, s.Func, s.Wait); n != s.Count {
				why = fmt.Sprintf("%d goroutines of %s parked in [%s], want %d", n, s.Name,
					s.Wait, s.Count)
				break
			}
		}
		if why == "" {
			line := "ready"
			for _, s := range shapes {
				line += fmt.Sprintf(" %s=%s,%s,%d", s.Name, s.Expect, s.Func, s.Count)
			}
			board.mu.Lock()
			board.closed = true
			write(line + "\n")
			board.mu.Unlock()
			return
		}
		if time.Now().After(deadline) {
			Fail("not ready after %v: %s", Timeout, why)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
