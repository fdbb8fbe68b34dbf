// Package store persists sessions as append-only JSON lines, one file per session:
// <dir>/<id>/events.jsonl. Appending a delta costs one buffered write, never a
// rewrite of what came before; every other event is written and synced at once,
// so a crash (of wend or of the machine) loses at most a few streamed characters. A torn last
// line (the process died mid-write) is ignored on load.
package store

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"gitlab.com/wend/wend/session"
)

// Store is a directory of sessions.
type Store struct{ dir string }

// Open returns the store rooted at dir (created on first write).
func Open(dir string) *Store { return &Store{dir: dir} }

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Writer appends one session's events. It is safe for concurrent use.
type Writer struct {
	mu  sync.Mutex
	f   *os.File
	buf *bufio.Writer
	err error
	dir string
}

// Create opens (or reopens, for resume) a session's log for appending.
func (s *Store) Create(id string) (*Writer, error) {
	dir := filepath.Join(s.dir, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the session directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "events.jsonl"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the session log: %w", err)
	}
	if err := writeOwner(dir); err != nil {
		f.Close()
		return nil, fmt.Errorf("recording the session's owner: %w", err)
	}
	return &Writer{f: f, buf: bufio.NewWriterSize(f, 32<<10), dir: dir}, nil
}

// Append writes one event. Text deltas stay in the buffer; anything else is flushed
// and synced to disk. The first error sticks and is returned
// by every later call, so a full disk is reported, not silently ignored.
func (w *Writer) Append(e session.Event) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	line, err := json.Marshal(e)
	if err != nil {
		w.err = err
		return err
	}
	w.buf.Write(line)
	w.buf.WriteByte('\n')
	if e.Lossy() {
		return nil
	}
	if err := w.buf.Flush(); err != nil {
		w.err = fmt.Errorf("writing the session log: %w", err)
		return w.err
	}
	// Every event but a streamed delta is on disk before Append returns, and
	// so before the session acts on it (runs the tool it announces, applies
	// the decision it records): after kill -9, a power cut or a reboot, the
	// log holds everything that happened (issue 15).
	if err := syncData(w.f); err != nil {
		w.err = fmt.Errorf("syncing the session log: %w", err)
	}
	return w.err
}

// Close flushes and closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	ferr := w.buf.Flush()
	cerr := w.f.Close()
	os.Remove(ownerPath(w.dir)) // the session is no longer open here
	if w.err != nil {
		return w.err
	}
	if ferr != nil {
		return ferr
	}
	return cerr
}

// Load reads a session's events. A torn last line is dropped.
func (s *Store) Load(id string) ([]session.Event, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, id, "events.jsonl"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no session %q in %s (see `wend sessions`)", id, s.dir)
	}
	if err != nil {
		return nil, err
	}
	var events []session.Event
	lines := bytes.Split(data, []byte("\n"))
	for i, line := range lines {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e session.Event
		if err := json.Unmarshal(line, &e); err != nil {
			if i == len(lines)-1 || (i == len(lines)-2 && len(lines[len(lines)-1]) == 0) {
				break // torn by a crash mid-write
			}
			return nil, fmt.Errorf("session %s, line %d: %w", id, i+1, err)
		}
		events = append(events, e)
	}
	return events, nil
}

// Summary describes one stored session for `wend sessions`.
type Summary struct {
	ID      string        `json:"id"`
	Started time.Time     `json:"started"`
	Task    string        `json:"task"`
	Model   string        `json:"model,omitempty"`
	State   session.State `json:"state"`
	Done    int           `json:"steps_done"`
	Steps   int           `json:"steps"`
	// Tasks counts the session's tasks (a follow-up, a retry and a resume
	// each begin one); Task, State and the steps are the latest task's.
	Tasks int `json:"tasks"`
	// Updated is when the session's log was last written: its last activity,
	// from which pruning counts a session's age.
	Updated time.Time `json:"updated"`
}

// List returns the stored sessions, newest first. A session with no SessionFinished
// is running while its owner process lives, and interrupted once that process is
// gone (killed, crashed, or its pid now names another process).
func (s *Store) List() ([]Summary, error) {
	out, err := s.list(time.Time{})
	sort.Slice(out, func(i, j int) bool { return out[i].Started.After(out[j].Started) })
	return out, err
}

// IdleSince returns the sessions whose log was last written before cutoff,
// least recently active first, reading only those logs: wend's clean-up at
// start must not parse every session the repository ever had.
func (s *Store) IdleSince(cutoff time.Time) ([]Summary, error) {
	out, err := s.list(cutoff)
	sort.Slice(out, func(i, j int) bool { return out[i].Updated.Before(out[j].Updated) })
	return out, err
}

// list summarises the sessions whose log was last written before cutoff (all
// of them when cutoff is zero).
func (s *Store) list(cutoff time.Time) ([]Summary, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Summary
	for _, ent := range entries {
		if !ent.IsDir() {
			continue
		}
		fi, err := os.Stat(filepath.Join(s.dir, ent.Name(), "events.jsonl"))
		if err != nil || !cutoff.IsZero() && !fi.ModTime().Before(cutoff) {
			continue
		}
		events, err := s.Load(ent.Name())
		if err != nil || len(events) == 0 {
			continue
		}
		sum := Summarize(ent.Name(), events)
		sum.Updated = fi.ModTime()
		if !sum.State.Ended() {
			if _, st := s.owner(sum.ID); st == ownerNone || st == ownerGone {
				sum.State = session.StateInterrupted
			}
		}
		out = append(out, sum)
	}
	return out, nil
}

// Summarize folds a session's events into its summary.
func Summarize(id string, events []session.Event) Summary {
	sum := Summary{ID: id, State: session.StateRunning}
	var plan session.Plan
	paused := false
	waiting := map[string]bool{} // approvals and questions not answered yet
	for _, e := range events {
		switch p := e.Payload.(type) {
		case session.Paused:
			paused = true
		case session.Resumed:
			paused = false
		case session.ApprovalRequested:
			waiting[p.Request.ID] = true
		case session.ApprovalResolved:
			delete(waiting, p.RequestID)
		case session.InputRequested:
			waiting[p.RequestID] = true
		case session.InputAnswered:
			delete(waiting, p.RequestID)
		case session.SessionStarted:
			if sum.Tasks == 0 {
				sum.Started = e.Time
			}
			sum.Tasks++
			sum.Task, sum.Model, sum.State = p.Task, p.Model, session.StateRunning
			plan = session.Plan{} // each task makes its own plan
			paused, waiting = false, map[string]bool{}
		default:
			plan.Follow(p)
		case session.SessionFinished:
			sum.State = p.State
			plan = p.Plan
		}
	}
	sum.Done, sum.Steps = plan.Done()
	if !sum.State.Ended() {
		switch {
		case len(waiting) > 0:
			sum.State = session.StateWaiting
		case paused:
			sum.State = session.StatePaused
		}
	}
	return sum
}
