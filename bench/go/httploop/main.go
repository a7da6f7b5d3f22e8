// SPDX-License-Identifier: GPL-2.0

// httploop: a net/http server on 127.0.0.1 and one keep-alive client doing
// -n sequential GET requests over one connection (the first, which dials,
// is not timed). Prints "httploop <rate> requests/s".
package main

import (
	"io"
	"net"
	"net/http"
	"time"

	"blockwatch/gobench/internal/bench"
)

var body = []byte("hello\n")

func hello(w http.ResponseWriter, r *http.Request) {
	_, _ = w.Write(body)
}

//go:noinline
func get(client *http.Client, url string) {
	resp, err := client.Get(url)
	if err != nil {
		bench.Fail("httploop", "failed to get %s: %v", url, err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		bench.Fail("httploop", "failed to read %s: %v (%s)", url, err, resp.Status)
	}
}

func main() {
	r := bench.Parse("httploop", 100000)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		bench.Fail("httploop", "failed to listen on 127.0.0.1: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(hello)}
	go func() { _ = srv.Serve(ln) }()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	url := "http://" + ln.Addr().String() + "/"
	get(client, url)
	start := time.Now()
	deadline := start.Add(r.MaxTime)
	ops := 0
	for ops < r.N {
		get(client, url)
		ops++
		if time.Now().After(deadline) {
			break
		}
	}
	elapsed := time.Since(start)
	bench.Print("httploop", float64(ops)/elapsed.Seconds(), "requests/s")
	srv.Close()
}
