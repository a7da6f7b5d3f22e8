// SPDX-License-Identifier: GPL-2.0

// grpcleak: goroutines leaked inside a package under google.golang.org/grpc
// (a local module of that path, tests/go/targets/grpcleak/grpc), next to a
// healthy one of the same package.
//
//	role            wait         func                                                    created
//	stream-writer   chan send    google.golang.org/grpc/transport.(*clientStream).writeStatus  google.golang.org/grpc/transport.NewStream
//	server-loop     chan receive google.golang.org/grpc/transport.(*Server).serve        google.golang.org/grpc/transport.NewServer
//	main (idle)     chan receive main.main                                               -
//
// Two streams are opened and abandoned: each one's status writer waits
// forever to send on a channel only it can reach. The server sits in a
// global and its loop waits on its live connection queue: idle.
package main

import (
	"time"

	"google.golang.org/grpc/transport"

	"blockwatch/gotargets/internal/announce"
)

const (
	pkg     = "google.golang.org/grpc/transport."
	writer  = pkg + "(*clientStream).writeStatus"
	serve   = pkg + "(*Server).serve"
	streams = 2
)

var server *transport.Server

// writers waits until every abandoned stream's writer shows in the dump.
func writers() []int64 {
	deadline := time.Now().Add(announce.Timeout)
	for {
		var ids []int64
		for _, g := range announce.Dump() {
			for _, f := range g.Funcs {
				if f == writer {
					ids = append(ids, g.ID)
					break
				}
			}
		}
		if len(ids) == streams {
			return ids
		}
		if time.Now().After(deadline) {
			announce.Fail("%d stream writers, want %d", len(ids), streams)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func main() {
	sig := announce.Signals()
	server = transport.NewServer()
	g := announce.Find(serve)
	announce.Other(g.ID, "server-loop", "idle", "chan receive", serve, pkg+"NewServer")
	for i := 0; i < streams; i++ {
		if err := transport.NewStream("/helloworld.Greeter/SayHello"); err != nil {
			announce.Fail("failed to open stream: %v", err)
		}
	}
	for _, id := range writers() {
		announce.Other(id, "stream-writer", "leak", "chan send", writer, pkg+"NewStream")
	}
	announce.Self("main", "idle", "chan receive", "main.main", "-")
	announce.Ready(streams + 2)
	<-sig
}
