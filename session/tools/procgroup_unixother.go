//go:build unix && !linux

package tools

import "syscall"

// setParentDeath: no parent-death signal here; the process group is all.
func setParentDeath(*syscall.SysProcAttr) {}

// descendants: no /proc to read here; the process group is all.
func descendants(int) []int { return nil }
