package gitops

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// record is one journal entry. The journal is append-only: replaying every
// record in order rebuilds a session's state. Paths are Go strings carried by
// gob as raw bytes, so names that are not UTF-8 survive (JSON would not).
//
// An operation that writes to the index or the working tree journals an
// "intent" first (its resulting states and decision, and the writes it is
// about to make, Op), then makes the writes, then appends "done" (or "abort"
// when it failed and took its writes back). Only a completed intent takes
// effect; an intent followed by neither is an interrupted operation that the
// next holder of the session lock settles (recover.go). Journals from before
// intents hold "paths" and "decision" records, which take effect directly.
type record struct {
	Kind     string // "start", "paths", "decision", "ack", "intent", "done", "abort"
	Base     string // "start": the baseline tree
	Paths    []pathState
	Decision *Decision
	Acked    int // "ack": feedback delivered up to this decision sequence number
	Op       *intentOp
}

// settle folds a run of journal records into the ones that took effect, in
// order. pending is an intent still waiting for its outcome from an earlier
// run (nil: none); the returned pending is the one left at the end.
func settle(recs []record, pending *record) (effective []record, stillPending *record) {
	for _, r := range recs {
		switch r.Kind {
		case "intent":
			p := r
			pending = &p
		case "done":
			if pending != nil {
				e := *pending
				e.Kind, e.Op = "paths", nil
				if e.Decision != nil {
					e.Kind = "decision"
				}
				effective = append(effective, e)
			}
			pending = nil
		case "abort":
			pending = nil
		default:
			effective = append(effective, r)
		}
	}
	return effective, pending
}

// journal frames records as length, CRC-32 and gob payload. A torn tail (a
// crash during append) fails its length or checksum and is cut off on open.
type journal struct {
	f    *os.File
	path string
	off  int64 // end of the records read or written by this process
}

func createJournal(path string) (*journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &journal{f: f, path: path}, nil
}

// openJournal opens a journal for appending; readNew reads its records.
// O_APPEND: another process may have appended since this one last read.
func openJournal(path string) (*journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &journal{f: f, path: path}, nil
}

// readNew returns the intact records after the offset read so far. With
// cutTorn (the caller holds the session lock, so no writer is mid-append) a
// torn tail, left by a crash during an append, is cut off.
func (j *journal) readNew(cutTorn bool) ([]record, error) {
	fi, err := j.f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() == j.off {
		return nil, nil
	}
	data := make([]byte, fi.Size()-j.off)
	if _, err := j.f.ReadAt(data, j.off); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	recs, n, err := decodeRecords(j.path, data)
	if err != nil {
		return nil, err
	}
	j.off += int64(n)
	if cutTorn && n < len(data) {
		if err := j.f.Truncate(j.off); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// decodeRecords returns the intact records of a journal's contents and the
// offset where they end (a torn tail starts there).
func decodeRecords(path string, data []byte) ([]record, int, error) {
	var recs []record
	off := 0
	for off+8 <= len(data) {
		n := int(binary.BigEndian.Uint32(data[off:]))
		sum := binary.BigEndian.Uint32(data[off+4:])
		if off+8+n > len(data) || crc32.ChecksumIEEE(data[off+8:off+8+n]) != sum {
			break
		}
		var r record
		if err := gob.NewDecoder(bytes.NewReader(data[off+8 : off+8+n])).Decode(&r); err != nil {
			return nil, 0, fmt.Errorf("gitops: journal %s at byte %d: %w", path, off, err)
		}
		recs = append(recs, r)
		off += 8 + n
	}
	return recs, off, nil
}

// append writes one record and fsyncs before returning, so whatever the caller
// reports afterwards is already durable.
func (j *journal) append(r record) error { return j.write(r, true) }

// appendDone writes a "done" record without an fsync of its own: a killed
// process loses nothing the kernel has, the next record's fsync covers it, and
// if the system itself goes down first, the intent before it is settled again
// on open, forward, as its writes are all made (recover.go).
func (j *journal) appendDone() error { return j.write(record{Kind: "done"}, false) }

func (j *journal) write(r record, sync bool) error {
	var payload bytes.Buffer
	if err := gob.NewEncoder(&payload).Encode(&r); err != nil {
		return err
	}
	frame := make([]byte, 8, 8+payload.Len())
	binary.BigEndian.PutUint32(frame, uint32(payload.Len()))
	binary.BigEndian.PutUint32(frame[4:], crc32.ChecksumIEEE(payload.Bytes()))
	frame = append(frame, payload.Bytes()...)
	if _, err := j.f.Write(frame); err != nil {
		return err
	}
	j.off += int64(len(frame))
	if !sync {
		return nil
	}
	return j.f.Sync()
}

func (j *journal) close() error { return j.f.Close() }

// syncDir makes a newly created directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
