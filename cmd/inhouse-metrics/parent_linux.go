package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// stopWithParent asks the kernel to send this process SIGTERM when its
// parent exits, when that parent is the go tool. Under `go run`, the go
// tool does not pass SIGINT or SIGTERM on to the program it built: without
// this, serve and ui would outlive it and keep holding their port. Any
// other parent is left alone: a script that starts `inhouse-metrics serve &`
// and exits expects the server to go on running.
func stopWithParent() {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", os.Getppid()))
	if err != nil || filepath.Base(exe) != "go" {
		return
	}
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0)
}
