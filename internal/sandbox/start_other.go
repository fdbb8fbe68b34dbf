//go:build !linux

package sandbox

import (
	"fmt"
	"os/exec"
	"runtime"
)

// Start reports that this system has no sandbox: commands run unsandboxed or
// not at all, as the caller's policy says.
func (s *Sandbox) Start(*exec.Cmd, Options) (func(), error) {
	return nil, fmt.Errorf("%w: wend sandboxes commands only on Linux (this is %s)", ErrUnavailable, runtime.GOOS)
}

func runInit(string) int { return 125 }

func (s *Sandbox) probe() error {
	_, err := s.Start(nil, Options{})
	return err
}

func landlockABI() int { return 0 }
