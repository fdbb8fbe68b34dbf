package gitops

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gitlab.com/wend/wend/internal/procstat"
)

// One writer at a time, and locks a crash leaves behind recognised as wend's.
//
// Every operation that changes a session (decisions, agent writes,
// snapshots, undo, feedback acks, recovery) holds an exclusive flock on
// <session dir>/lock for its own duration only, not for the session's life:
// a TUI that keeps the session open and a `wend accept` in another terminal
// interleave operation by operation, and each catches up on the journal under
// the lock before acting (session.go begin). The lock file holds the holder's
// pid, start time and activity, for the "busy" message. flock dies with its
// process, so a crash never leaves this lock held.
//
// git's index.lock does outlive a crash. wend creates it as a hard link of a
// file named after itself (<dir of the index>/wend/index.lock.<pid>.<start>.<n>),
// so the lock and its owner record are one inode, made in one atomic step.
// On recovery an index.lock whose inode is such a file of a dead process is
// wend's own leftover and is removed; any other index.lock is git's (running or
// crashed) and is never touched.

// lockWait bounds how long an operation waits for another one on the same
// session (tests shorten it).
var lockWait = 5 * time.Second

// lockOwner is what a lock file says about its holder.
type lockOwner struct {
	PID      int    `json:"pid"`
	Start    uint64 `json:"start,omitempty"`
	Host     string `json:"host"`
	Command  string `json:"command"`  // e.g. "wend accept"
	Activity string `json:"activity"` // e.g. "deciding"
}

// ErrSessionBusy is wrapped when another process keeps deciding on the
// session past lockWait.
var ErrSessionBusy = errors.New("gitops: session is busy")

var self = func() lockOwner {
	host, _ := os.Hostname()
	start, _ := procstat.Start(os.Getpid())
	cmd := filepath.Base(os.Args[0])
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		cmd += " " + os.Args[1]
	}
	return lockOwner{PID: os.Getpid(), Start: start, Host: host, Command: cmd}
}()

// alive reports whether the process pid, started at start (0: unknown), still
// runs on this host.
func alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	if start != 0 {
		if now, ok := procstat.Start(pid); ok && now != start {
			return false
		}
	}
	return true
}

// sessionLock is a session's per-operation lock.
type sessionLock struct {
	f *os.File
}

// acquire takes the lock for one operation, waiting up to lockWait for the
// holder; then it records this process as the holder.
func (s *Session) acquire(activity string) error {
	if s.lock == nil {
		f, err := os.OpenFile(filepath.Join(s.dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("gitops: session %s: %w", s.id, err)
		}
		s.lock = &sessionLock{f: f}
	}
	fd := int(s.lock.f.Fd())
	deadline := time.Now().Add(lockWait)
	pause := time.Millisecond
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return fmt.Errorf("gitops: locking session %s: %w", s.id, err)
		}
		if time.Now().After(deadline) {
			return s.busy()
		}
		time.Sleep(pause) // flock cannot wait with a deadline; poll
		pause = min(2*pause, 50*time.Millisecond)
	}
	o := self
	o.Activity = activity
	data, _ := json.Marshal(o)
	if err := s.lock.f.Truncate(0); err == nil {
		s.lock.f.WriteAt(data, 0) // only for messages: a failure costs nothing
	}
	return nil
}

func (s *Session) release() {
	if s.lock != nil {
		syscall.Flock(int(s.lock.f.Fd()), syscall.LOCK_UN)
	}
}

func (s *Session) busy() error {
	data, _ := os.ReadFile(filepath.Join(s.dir, "lock"))
	var o lockOwner
	if json.Unmarshal(data, &o) != nil || o.PID == 0 {
		return fmt.Errorf("%w: session %s is busy: another wend is changing it; try again", ErrSessionBusy, s.id)
	}
	who := o.Command
	if o.PID == os.Getpid() {
		who = "this wend"
	}
	return fmt.Errorf("%w: session %s is busy: %s (pid %d) is %s; try again", ErrSessionBusy, s.id, who, o.PID, o.Activity)
}

func (l *sessionLock) close() error {
	if l == nil {
		return nil
	}
	return l.f.Close()
}

// Open markers: <session dir>/open.<pid>.<start>.<n> exists while a Session
// value is open, so another session can tell which sessions may still write
// (attribution.go).

func (s *Session) markOpen() {
	name := fmt.Sprintf("open.%d.%d.%s", self.PID, self.Start, strconv.FormatUint(rand.Uint64(), 36))
	p := filepath.Join(s.dir, name)
	if os.WriteFile(p, nil, 0o600) == nil {
		s.openMark = p
	}
}

// sessionLive reports whether a Session value of another process (or of this
// one) is open on the session directory dir, and removes the markers of dead
// processes.
func sessionLive(dir string) bool {
	ms, _ := filepath.Glob(filepath.Join(dir, "open.*"))
	live := false
	for _, m := range ms {
		pid, start, ok := markerProcess(filepath.Base(m), "open.")
		switch {
		case !ok:
		case alive(pid, start):
			live = true
		default:
			os.Remove(m)
		}
	}
	return live
}

// markerProcess parses <prefix><pid>.<start>.<n>.
func markerProcess(name, prefix string) (int, uint64, bool) {
	parts := strings.Split(strings.TrimPrefix(name, prefix), ".")
	if !strings.HasPrefix(name, prefix) || len(parts) != 3 {
		return 0, 0, false
	}
	pid, err1 := strconv.Atoi(parts[0])
	start, err2 := strconv.ParseUint(parts[1], 10, 64)
	return pid, start, err1 == nil && err2 == nil
}

// ErrIndexLocked means index.lock exists and is not a leftover of wend's.
var ErrIndexLocked = errors.New("gitops: another git process (or a crashed one) holds .git/index.lock; if no git is running, remove it")

// indexLockDir is where wend's index.lock owner names live.
func indexLockDir(index string) string { return filepath.Join(filepath.Dir(index), "wend") }

// createIndexLock creates index.lock for the index at path, as a hard link
// of an owner-named file. It returns the open lock and the owner name to
// remove once the lock is gone (renamed over the index or removed).
func createIndexLock(path string, perm fs.FileMode, self lockOwner) (*os.File, string, error) {
	lock := path + ".lock"
	dir := indexLockDir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", err
	}
	owner := filepath.Join(dir, fmt.Sprintf("index.lock.%d.%d.%s", self.PID, self.Start, strconv.FormatUint(rand.Uint64(), 36)))
	f, err := os.OpenFile(owner, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return nil, "", err
	}
	err = os.Link(owner, lock)
	if err == nil {
		return f, owner, nil
	}
	f.Close()
	os.Remove(owner)
	if errors.Is(err, fs.ErrExist) {
		return nil, "", ErrIndexLocked
	}
	// A file system without hard links: a plain lock, not recognisable
	// after a crash.
	f, err = os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, fs.ErrExist) {
		return nil, "", ErrIndexLocked
	}
	return f, "", err
}

// lockOwner is who index.lock owner names say holds the lock: this process,
// unless a test gave the repository another identity.
func (r *repo) lockOwner() lockOwner {
	if r.owner != nil {
		return *r.owner
	}
	return self
}

// clearStaleIndexLock removes an index.lock that a dead wend process left
// (and the owner names of dead processes). Recoveries exclude each other by
// a flock on the owner directory, so one cannot remove a lock another
// process created after the first looked.
func clearStaleIndexLock(index string) error {
	dir := indexLockDir(index)
	owners, _ := filepath.Glob(filepath.Join(dir, "index.lock.*"))
	if len(owners) == 0 {
		return nil
	}
	g, err := os.OpenFile(filepath.Join(dir, "recovery.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer g.Close()
	if err := syscall.Flock(int(g.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(g.Fd()), syscall.LOCK_UN)
	lock := index + ".lock"
	lfi, lerr := os.Stat(lock)
	for _, o := range owners {
		pid, start, ok := markerProcess(filepath.Base(o), "index.lock.")
		if !ok || alive(pid, start) {
			continue
		}
		if ofi, err := os.Stat(o); err == nil && lerr == nil && os.SameFile(ofi, lfi) {
			if err := os.Remove(lock); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("gitops: removing the index.lock a crashed wend left: %w", err)
			}
		}
		os.Remove(o)
	}
	return nil
}
