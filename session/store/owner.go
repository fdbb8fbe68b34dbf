package store

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"syscall"

	"gitlab.com/wend/wend/internal/procstat"
)

// owner records which process has a session open, so another wend (a second
// terminal's `wend accept`) does not change the session's staged state behind the
// live process's back, and so `wend sessions` can tell a running session from one
// whose process was killed. It is written when the log is created and removed on
// Close; a crash leaves it behind with a dead pid, which counts as closed.
type owner struct {
	PID  int    `json:"pid"`
	Host string `json:"host"`
	// Start is the process's start time (/proc/<pid>/stat field 22, clock ticks
	// since boot), so a pid the kernel has since given to another process is not
	// mistaken for the owner. Zero where /proc is not available.
	Start uint64 `json:"start,omitempty"`
}

func ownerPath(dir string) string { return filepath.Join(dir, "owner.json") }

func writeOwner(dir string) error {
	host, _ := os.Hostname()
	start, _ := procstat.Start(os.Getpid())
	data, _ := json.Marshal(owner{PID: os.Getpid(), Host: host, Start: start})
	return os.WriteFile(ownerPath(dir), data, 0o600)
}

// ownerStatus says whether a session's owner process still runs.
type ownerStatus int

const (
	ownerNone  ownerStatus = iota // no owner.json: closed cleanly, or never opened
	ownerGone                     // the recorded process is dead, or its pid was reused
	ownerAlive                    // another process on this host, or another host
	ownerSelf                     // this process
)

func (s *Store) owner(id string) (owner, ownerStatus) {
	data, err := os.ReadFile(ownerPath(filepath.Join(s.dir, id)))
	if err != nil {
		return owner{}, ownerNone
	}
	var o owner
	if json.Unmarshal(data, &o) != nil || o.PID <= 0 {
		return owner{}, ownerGone
	}
	if host, _ := os.Hostname(); o.Host != host {
		return o, ownerAlive // a shared file system: wend cannot tell
	}
	if o.PID == os.Getpid() {
		return o, ownerSelf
	}
	if err := syscall.Kill(o.PID, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return o, ownerGone
	}
	if o.Start != 0 {
		if now, ok := procstat.Start(o.PID); ok && now != o.Start {
			return o, ownerGone // the pid now belongs to another process
		}
	}
	return o, ownerAlive
}

// Live reports the pid of the process that has the session open, if one still
// runs on this host. A session opened on another host (a shared file system) is
// reported live: wend cannot tell. This process is not reported: it is the owner.
func (s *Store) Live(id string) (int, bool) {
	o, st := s.owner(id)
	return o.PID, st == ownerAlive
}
