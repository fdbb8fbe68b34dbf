package sandbox

import (
	"fmt"
	"os/exec"
	"strings"
)

// Support is what isolation this machine offers, for `wend doctor`.
type Support struct {
	// Namespaces is nil when commands can be sandboxed (user, mount, pid and
	// net namespaces), else why not.
	Namespaces error
	// LandlockABI is the kernel's Landlock ABI version, 0 when it has none.
	// wend does not use Landlock yet; it is reported as a possible second wall.
	LandlockABI int
	// Bubblewrap is the path of bwrap, "" when it is not installed. wend does
	// not need it.
	Bubblewrap string
}

// Probe reports what isolation works here, running one sandboxed command.
func (s *Sandbox) Probe() Support {
	sup := Support{Namespaces: s.Available(), LandlockABI: landlockABI()}
	sup.Bubblewrap, _ = exec.LookPath("bwrap")
	return sup
}

// String is the one-line summary: "sandbox: namespaces ok (user, mount, pid,
// net); landlock: ABI 6 (unused); bubblewrap: not installed".
func (sup Support) String() string {
	var parts []string
	if sup.Namespaces == nil {
		parts = append(parts, "namespaces ok (user, mount, pid, net)")
	} else {
		parts = append(parts, "namespaces unavailable: "+strings.TrimPrefix(sup.Namespaces.Error(), ErrUnavailable.Error()+": "))
	}
	if sup.LandlockABI > 0 {
		parts = append(parts, fmt.Sprintf("landlock: ABI %d (unused)", sup.LandlockABI))
	} else {
		parts = append(parts, "landlock: unavailable")
	}
	if sup.Bubblewrap != "" {
		parts = append(parts, "bubblewrap: "+sup.Bubblewrap+" (unused)")
	} else {
		parts = append(parts, "bubblewrap: not installed")
	}
	return strings.Join(parts, "; ")
}
