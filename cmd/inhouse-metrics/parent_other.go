//go:build !linux

package main

// stopWithParent has no portable equivalent outside Linux: there, stop
// serve and ui with Ctrl-C in their own terminal, or run the built binary
// rather than `go run`.
func stopWithParent() {}
