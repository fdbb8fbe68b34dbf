package store

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// owner records which process has a session open, so another wend (a second
// terminal's `wend accept`) does not change the session's staged state behind the
// live process's back. It is written when the log is created and removed on Close;
// a crash leaves it behind with a dead pid, which counts as closed.
type owner struct {
	PID  int    `json:"pid"`
	Host string `json:"host"`
}

func ownerPath(dir string) string { return filepath.Join(dir, "owner.json") }

func writeOwner(dir string) error {
	host, _ := os.Hostname()
	data, _ := json.Marshal(owner{PID: os.Getpid(), Host: host})
	return os.WriteFile(ownerPath(dir), data, 0o600)
}

// Live reports the pid of the process that has the session open, if one still
// runs on this host. A session opened on another host (a shared file system) is
// reported live: wend cannot tell.
func (s *Store) Live(id string) (int, bool) {
	data, err := os.ReadFile(ownerPath(filepath.Join(s.dir, id)))
	if err != nil {
		return 0, false
	}
	var o owner
	if json.Unmarshal(data, &o) != nil || o.PID <= 0 {
		return 0, false
	}
	if host, _ := os.Hostname(); o.Host != host {
		return o.PID, true
	}
	if o.PID == os.Getpid() {
		return 0, false // this process: the caller is the owner
	}
	err = syscall.Kill(o.PID, 0)
	return o.PID, err == nil || errors.Is(err, syscall.EPERM)
}
