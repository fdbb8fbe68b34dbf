//go:build !unix

package tools

import (
	"os"
	"os/exec"
)

// setProcessGroup does nothing where process groups are not available.
func setProcessGroup(*exec.Cmd) {}

// killProcessGroup kills only the shell where process groups are not available.
func killProcessGroup(p *os.Process) { _ = p.Kill() }
