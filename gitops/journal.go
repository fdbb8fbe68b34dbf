package gitops

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
)

// record is one journal entry. The journal is append-only: replaying every
// record in order rebuilds a session's state. Paths are Go strings carried by
// gob as raw bytes, so names that are not UTF-8 survive (JSON would not).
type record struct {
	Kind     string // "start", "paths", "decision", "ack"
	Base     string // "start": the baseline tree
	Paths    []pathState
	Decision *Decision
	Acked    int // "ack": feedback delivered up to this decision sequence number
}

// journal frames records as length, CRC-32 and gob payload. A torn tail (a
// crash during append) fails its length or checksum and is cut off on open.
type journal struct {
	f *os.File
}

func createJournal(path string) (*journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &journal{f: f}, nil
}

// openJournal reads all intact records and positions the file after them.
func openJournal(path string) (*journal, []record, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	if err != nil {
		return nil, nil, err
	}
	recs, off, err := decodeRecords(path, data)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0o600)
	if err != nil {
		return nil, nil, err
	}
	if off < len(data) {
		if err := f.Truncate(int64(off)); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	if _, err := f.Seek(int64(off), io.SeekStart); err != nil {
		f.Close()
		return nil, nil, err
	}
	return &journal{f: f}, recs, nil
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
func (j *journal) append(r record) error {
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
