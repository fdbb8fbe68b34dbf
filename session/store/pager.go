package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"

	"gitlab.com/wend/wend/session"
)

// Pager reads a stored session's events by sequence range without loading the
// log: the transcript pages its far past from here, so a client's memory does
// not grow with the session (issue 15).
//
// Every line starts with `{"seq":N` (session.Event's encoding), and sequence
// numbers grow with the offset, so the first line of a range is found by
// bisecting the file's bytes: about log2(size/probe) small reads, then the
// range's own lines. Offsets found are remembered (a sparse index), so paging
// on from where the last page began costs no bisection at all. Nothing reads
// the whole file. It is safe for concurrent use, and for a log still being
// appended: a line not yet ended by its newline is not read.
type Pager struct {
	f     *os.File
	flush func() error // the writer's buffered deltas, written before a read
	read  atomic.Int64

	mu    sync.Mutex
	marks map[int64]int64 // seq → offset of its line, found by earlier reads
}

// probe is how much one step of the bisection reads.
const probe = 4 << 10

// maxMarks bounds the remembered offsets.
const maxMarks = 4096

// Pager opens a session's log for range reads. Close it when done.
func (s *Store) Pager(id string) (*Pager, error) {
	f, err := os.Open(filepath.Join(s.dir, id, "events.jsonl"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no session %q in %s (see `wend sessions`)", id, s.dir)
	}
	if err != nil {
		return nil, err
	}
	return &Pager{f: f, marks: map[int64]int64{}}, nil
}

// Pager opens the log this writer appends to for range reads; a read first
// writes out the streamed deltas still in the writer's buffer (without a
// sync), so the newest events are on the page too.
func (w *Writer) Pager() (*Pager, error) {
	f, err := os.Open(w.f.Name())
	if err != nil {
		return nil, err
	}
	return &Pager{f: f, marks: map[int64]int64{}, flush: w.flushBuffer}, nil
}

// flushBuffer writes out what is buffered. A failure sticks like Append's.
func (w *Writer) flushBuffer() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if err := w.buf.Flush(); err != nil {
		w.err = fmt.Errorf("writing the session log: %w", err)
	}
	return w.err
}

// Close closes the file.
func (p *Pager) Close() error { return p.f.Close() }

// BytesRead is how many bytes the pager has read from the file so far.
func (p *Pager) BytesRead() int64 { return p.read.Load() }

// EventRange returns the stored events with from <= seq <= to, in order; fewer
// (or none) when the log holds fewer. At most MaxRange events are returned,
// whatever the range asked.
func (p *Pager) EventRange(_ context.Context, from, to int64) ([]session.Event, error) {
	if from < 1 {
		from = 1
	}
	if to > from+MaxRange-1 {
		to = from + MaxRange - 1
	}
	if to < from {
		return nil, nil
	}
	if p.flush != nil {
		if err := p.flush(); err != nil {
			return nil, err
		}
	}
	fi, err := p.f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	off, err := p.find(from, size)
	if err != nil {
		return nil, err
	}
	var out []session.Event
	// Lines are read through one buffer: a page costs its own bytes plus
	// at most a buffer's worth past its end.
	br := bufio.NewReaderSize(io.NewSectionReader(countedAt{p}, off, size-off), 16<<10)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err != nil {
			if err == io.EOF {
				break // the end, or a last line not complete yet
			}
			return out, err
		}
		seq, ok := lineSeq(line)
		if ok && seq > to {
			break
		}
		if ok && seq >= from {
			var e session.Event
			// A line that does not parse (torn by a crash: the last one, as
			// Reopen cuts a torn line before appending) is not an event.
			if json.Unmarshal(line, &e) == nil {
				if len(out) == 0 || seq%64 == 0 {
					p.mark(seq, off)
				}
				out = append(out, e)
			}
		}
		off += int64(len(line))
	}
	return out, nil
}

// MaxRange is the most events one EventRange returns.
const MaxRange = 4096

func (p *Pager) mark(seq, off int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.marks) >= maxMarks {
		clear(p.marks) // rare: a client paging through a very long session
	}
	p.marks[seq] = off
}

// find returns the offset of the first complete line whose seq is >= from
// (size when there is none), by bisection over byte offsets.
func (p *Pager) find(from, size int64) (int64, error) {
	lo, hi := int64(0), size // lo: a line start whose seq < from, or 0
	p.mu.Lock()
	for seq, off := range p.marks { // earlier reads narrow the search
		switch {
		case seq == from:
			p.mu.Unlock()
			return off, nil
		case seq < from && off > lo:
			lo = off
		case seq > from && off < hi:
			hi = off
		}
	}
	p.mu.Unlock()
	chunk := make([]byte, probe)
	for hi-lo > probe {
		mid := lo + (hi-lo)/2
		start, seq, ok, err := p.nextLine(mid, hi, chunk)
		if err != nil {
			return 0, err
		}
		switch {
		case !ok:
			hi = mid // no line starts in [mid, hi)
		case seq < from:
			lo = start
		default:
			hi = start
		}
	}
	return lo, nil
}

// nextLine finds the first line starting at or after at (and before limit)
// and reads its seq.
func (p *Pager) nextLine(at, limit int64, chunk []byte) (start, seq int64, ok bool, err error) {
	pos := at - 1 // a line starts at `at` when the byte before it is a newline
	for pos < limit {
		n, err := p.readAt(chunk, pos)
		if n == 0 {
			if err == io.EOF {
				return 0, 0, false, nil
			}
			return 0, 0, false, err
		}
		if i := bytes.IndexByte(chunk[:n], '\n'); i >= 0 {
			start = pos + int64(i) + 1
			if start >= limit {
				return 0, 0, false, nil
			}
			head := make([]byte, 32)
			m, _ := p.readAt(head, start)
			seq, ok = lineSeq(head[:m])
			return start, seq, ok, nil
		}
		pos += int64(n)
	}
	return 0, 0, false, nil
}

// countedAt reads the pager's file, counting.
type countedAt struct{ p *Pager }

func (c countedAt) ReadAt(b []byte, off int64) (int, error) { return c.p.readAt(b, off) }

func (p *Pager) readAt(b []byte, off int64) (int, error) {
	if off < 0 {
		// Bisection asked whether offset 0 starts a line: it does.
		b[0] = '\n'
		n, err := p.f.ReadAt(b[1:], 0)
		p.read.Add(int64(n))
		return n + 1, err
	}
	n, err := p.f.ReadAt(b, off)
	p.read.Add(int64(n))
	return n, err
}

// lineSeq reads N from a line beginning `{"seq":N`.
func lineSeq(line []byte) (int64, bool) {
	const head = `{"seq":`
	if !bytes.HasPrefix(line, []byte(head)) {
		return 0, false
	}
	rest := line[len(head):]
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	if end == 0 || end == len(rest) {
		return 0, false
	}
	n, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	return n, err == nil
}
