package main

import "syscall"

// stopWithParent asks the kernel to send this process SIGTERM when its
// parent exits. Under `go run`, the parent is the go tool, which does not
// pass SIGINT or SIGTERM on to the program it built: without this, serve
// and ui would outlive it and keep holding their port.
func stopWithParent() {
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0)
}
