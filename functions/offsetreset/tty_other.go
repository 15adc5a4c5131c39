//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly && !windows

package main

import "os"

// isTerminal is false where terminals cannot be told apart from other devices: apply then needs
// --yes, which is the safe side.
func isTerminal(*os.File) bool { return false }
