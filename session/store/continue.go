package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"gitlab.com/wend/wend/session"
)

// A session is a conversation of many tasks, and it outlives the process that
// ran it: `wend resume` and `wend run --continue` reopen it in another process.
// Beside the events, the store keeps the conversation the model saw
// (conversation.jsonl, one message a line, written by the agent's
// ConversationLog), since the events alone (clipped tool output, no thinking
// blocks) cannot give the model the same request prefix again.

const conversationFile = "conversation.jsonl"

// Reopen opens an existing session's log for appending by this process and
// returns its events so far. It is refused while another live process has the
// session open (two writers would interleave their sequence numbers).
func (s *Store) Reopen(id string) (*Writer, []session.Event, error) {
	events, err := s.Load(id)
	if err != nil {
		return nil, nil, err
	}
	if len(events) == 0 {
		return nil, nil, fmt.Errorf("session %s has no events to continue", id)
	}
	if o, st := s.owner(id); st == ownerAlive {
		return nil, nil, fmt.Errorf("session %s is open in another wend (pid %d on %s); quit that one first", id, o.PID, o.Host)
	}
	// A line torn by a crash mid-write would otherwise be glued to the first
	// event appended now: Load and the pager would lose that event, and a
	// later Load would fail on a line that is no longer the last.
	for _, name := range []string{"events.jsonl", conversationFile} {
		if err := cutTornTail(filepath.Join(s.dir, id, name)); err != nil {
			return nil, nil, fmt.Errorf("session %s: %w", id, err)
		}
	}
	w, err := s.Create(id)
	if err != nil {
		return nil, nil, err
	}
	return w, events, nil
}

// cutTornTail cuts a file after its last newline, dropping what a crash left
// of a line that was never finished. A missing file is fine.
func cutTornTail(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	// Read backwards in blocks until a newline (or the start) is found.
	end, buf := fi.Size(), make([]byte, 4096)
	for at := end; at > 0; {
		n := int64(len(buf))
		if at < n {
			n = at
		}
		at -= n
		if _, err := f.ReadAt(buf[:n], at); err != nil {
			return err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			if cut := at + int64(i) + 1; cut < end {
				return cutAt(f, cut)
			}
			return nil
		}
	}
	if end > 0 {
		return cutAt(f, 0) // one torn line and nothing before it
	}
	return nil
}

func cutAt(f *os.File, size int64) error {
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("cutting a line torn by a crash from %s: %w", f.Name(), err)
	}
	return f.Sync()
}

// Conversation appends one session's conversation records. It is safe for
// concurrent use.
type Conversation struct {
	mu     sync.Mutex
	f      *os.File
	closed bool
}

// OpenConversation opens a session's conversation for appending.
func (s *Store) OpenConversation(id string) (*Conversation, error) {
	dir := filepath.Join(s.dir, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the session directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, conversationFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the session's conversation: %w", err)
	}
	return &Conversation{f: f}, nil
}

// Append writes one record (a single line of JSON) and syncs it: a record is
// written once per model turn, and a resume must find every turn that ran.
func (c *Conversation) Append(record []byte) error {
	if bytes.IndexByte(record, '\n') >= 0 {
		return errors.New("a conversation record must be one line")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errors.New("the session's conversation is closed")
	}
	if _, err := c.f.Write(append(record, '\n')); err != nil {
		return fmt.Errorf("writing the session's conversation: %w", err)
	}
	if err := c.f.Sync(); err != nil {
		return fmt.Errorf("syncing the session's conversation: %w", err)
	}
	return nil
}

// Close closes the file; later appends fail.
func (c *Conversation) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	return c.f.Close()
}

// LoadConversation returns a session's conversation records in order, none
// for a session that has none (it ran before conversations were kept, or on
// the Duo engine).
func (s *Store) LoadConversation(id string) ([][]byte, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, id, conversationFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) > 0 {
			out = append(out, line)
		}
	}
	return out, nil
}
