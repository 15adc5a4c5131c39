// Command demo is `make demo`. It builds the offsetreset command, the Lambda bootstrap and the
// walkthrough (scripts/demo/walkthrough) in one `go build`, saying what it compiles while it
// does, and then runs the walkthrough, which starts `offsetreset serve` on the embedded backends
// and sends every sample of events/ to it.
//
// This launcher uses the standard library only, so that `go run ./scripts/demo` starts talking
// after a few seconds even on a fresh machine: the SDKs are compiled by the build it runs.
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// firstBuild is what the build takes with an empty cache on a 2-core machine, said before it
// starts: 301 packages in 54 s on 2 AMD EPYC cores with Go 1.26 (GOCACHE=$(mktemp -d) make demo;
// 66 s in all, 6 s of it compiling this launcher).
const firstBuild = "about 300 packages, roughly one minute on 2 cores"

// tick is how often the build says how far it got.
const tick = 10 * time.Second

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	dir, err := os.MkdirTemp("", "offsetreset-demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("== building the offsetreset command, the Lambda bootstrap and the walkthrough\n"+
		"   The first build compiles the standard library and the Alibaba, Huawei, AWS and Kafka\n"+
		"   clients: %s. Later builds come from the build cache in seconds.\n", firstBuild)
	if err := build(dir); err != nil {
		return err
	}
	walk := exec.Command(filepath.Join(dir, "walkthrough"), "-bin", dir)
	walk.Stdin, walk.Stdout, walk.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := walk.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			os.RemoveAll(dir)
			os.Exit(ee.ExitCode())
		}
		return err
	}
	return nil
}

// build runs go build -v into dir and, while it compiles, prints every tick how many packages
// it has compiled and which one it is at. A build from the cache compiles nothing and says so.
func build(dir string) error {
	began := time.Now()
	cmd := exec.Command("go", "build", "-v", "-o", dir+string(filepath.Separator),
		"./functions/offsetreset", "./functions/lambda", "./scripts/demo/walkthrough")
	cmd.Stdout = os.Stdout
	errs, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	var (
		mu    sync.Mutex
		n     int
		last  string
		other []string // what go build said that is not a package name (errors)
	)
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(errs)
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			if isPackage(line) {
				n++
				last = line
			} else {
				other = append(other, line)
			}
			mu.Unlock()
		}
	}()
	t := time.NewTicker(tick)
	defer t.Stop()
	for waiting := true; waiting; {
		select {
		case <-read:
			waiting = false
		case <-t.C:
			mu.Lock()
			fmt.Printf("   … %s: %d packages compiled, now %s\n", time.Since(began).Truncate(time.Second), n, last)
			mu.Unlock()
		}
	}
	err = cmd.Wait()
	for _, l := range other {
		fmt.Fprintln(os.Stderr, l)
	}
	if err != nil {
		return fmt.Errorf("go build: %v", err)
	}
	if n == 0 {
		fmt.Printf("   built from the cache in %s\n", time.Since(began).Truncate(100*time.Millisecond))
	} else {
		fmt.Printf("   compiled %d package(s) in %s\n", n, time.Since(began).Truncate(time.Second))
	}
	return nil
}

// isPackage tells go build -v's package lines ("net/http", "github.com/…", "offsetreset/…")
// from its messages, which contain spaces or colons.
func isPackage(line string) bool {
	return line != "" && !strings.ContainsAny(line, " :\t")
}
