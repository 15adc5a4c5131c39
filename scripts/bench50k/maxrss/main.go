// Command maxrss runs a program and writes its peak RSS (rusage maxrss, KiB) to a file. bench50k
// measures exiting programs through it: Linux carries the parent's high-water mark into a child's
// maxrss when the child is started with CLONE_VM and execs (as Go's os/exec does), so a child of
// the benchmark itself (which hosts the broker) would report the broker's memory; a child of
// this small launcher reports at most the launcher's few MiB as a floor.
//
// Usage: maxrss FILE PROGRAM [ARG…]
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: maxrss FILE PROGRAM [ARG…]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			os.WriteFile(os.Args[1], fmt.Appendf(nil, "%d\n", ru.Maxrss), 0o644) // Linux: KiB
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "maxrss:", err)
		os.Exit(1)
	}
}
