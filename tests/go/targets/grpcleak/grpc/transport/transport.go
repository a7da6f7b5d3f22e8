// SPDX-License-Identifier: GPL-2.0

// Package transport is a stand-in for gRPC's own, under its import path: a
// server whose connection loop waits on a live queue, and client streams
// whose status writer leaks when the caller gives up on the stream.
package transport

import "errors"

var errCanceled = errors.New("context canceled")

// Server hands accepted connections to its serving loop.
type Server struct {
	conns chan int
	seen  int
}

// NewServer starts the serving loop (Server.serve), idle until Handle.
func NewServer() *Server {
	s := &Server{conns: make(chan int)}
	go s.serve()
	return s
}

//go:noinline
func (s *Server) serve() {
	for c := range s.conns {
		s.seen += c
	}
}

// Handle queues one connection.
func (s *Server) Handle(c int) { s.conns <- c }

type clientStream struct {
	status chan error
	method string
}

// writeStatus reports the stream's end to a reader that is gone.
//
//go:noinline
func (cs *clientStream) writeStatus() {
	cs.status <- errCanceled
}

// NewStream opens a stream and abandons it: nobody ever reads its status.
//
//go:noinline
func NewStream(method string) error {
	cs := &clientStream{status: make(chan error), method: method}
	go cs.writeStatus()
	if method == "" {
		return <-cs.status
	}
	return nil
}
