package gitops

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// This file updates the user's index without spawning git. `git
// update-index` reads, checksums, rewrites and checksums the whole index, which
// takes over 100 ms of CPU on a 100,000-file repository; a decision has 50 ms.
// The index is changed the way git changes it: under index.lock (taken with
// O_EXCL, so the user's git and gitops exclude each other), read under the
// lock (or, when it is still the file gitops wrote last, reused), written in
// full with a new checksum and renamed into place.
//
// Only the common formats are handled: versions 2 and 3, no split index, no
// sparse index, no unknown required extension. Anything else (and a missing
// index) returns errIndexFormat and the caller falls back to git. Optional
// caches that describe entries (untracked cache, fsmonitor, offset tables)
// are dropped, as git allows; git rebuilds them. The cache tree is kept, with
// the directories above changed paths marked invalid as git does, so the
// user's next status and commit stay fast. Changed
// entries get zero stat data, as with `update-index --index-info`, so git
// re-reads those files; entries that were racily clean under the old index
// timestamp are smudged (size 0), as git does when it writes an index.

var errIndexFormat = errors.New("gitops: index format not handled in-process")

type indexFile struct {
	stat     fs.FileInfo // of the file that was parsed, to tell if it changed since
	data     []byte
	version  uint32
	hashLen  int
	entries  []idxEnt
	extStart int
	mtime    int64 // seconds
	perm     fs.FileMode
}

type idxEnt struct {
	off, end int
	name     string
	stage    int
}

func (r *repo) hashLen() int {
	if r.format == "sha256" {
		return 32
	}
	return 20
}

func (r *repo) indexHash() hash.Hash {
	if r.format == "sha256" {
		return sha256.New()
	}
	return sha1.New()
}

// readIndexFile parses the index for an in-place update.
func (r *repo) readIndexFile(path string) (*indexFile, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, errIndexFormat
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return r.parseIndex(data, fi, true)
}

// parseIndex parses index bytes; verify checks the trailing checksum (not
// needed for bytes gitops just rendered itself).
func (r *repo) parseIndex(data []byte, fi fs.FileInfo, verify bool) (*indexFile, error) {
	hl := r.hashLen()
	if len(data) < 12+hl || string(data[:4]) != "DIRC" {
		return nil, errIndexFormat
	}
	if verify {
		h := r.indexHash()
		h.Write(data[:len(data)-hl])
		if !bytes.Equal(h.Sum(nil), data[len(data)-hl:]) {
			return nil, errIndexFormat // let git report the damage
		}
	}
	ix := &indexFile{stat: fi, data: data, version: binary.BigEndian.Uint32(data[4:]), hashLen: hl,
		mtime: fi.ModTime().Unix(), perm: fi.Mode().Perm()}
	if ix.version != 2 && ix.version != 3 {
		return nil, errIndexFormat
	}
	n := int(binary.BigEndian.Uint32(data[8:]))
	off := 12
	limit := len(data) - hl
	ix.entries = make([]idxEnt, 0, n)
	for range n {
		fixed := 40 + hl + 2
		if off+fixed > limit {
			return nil, errIndexFormat
		}
		flags := binary.BigEndian.Uint16(data[off+40+hl:])
		p := off + fixed
		if flags&0x4000 != 0 {
			if ix.version < 3 {
				return nil, errIndexFormat
			}
			p += 2
		}
		nul := bytes.IndexByte(data[p:limit], 0)
		if nul < 0 {
			return nil, errIndexFormat
		}
		end := off + (p-off+nul+8)&^7
		if end > limit {
			return nil, errIndexFormat
		}
		ix.entries = append(ix.entries, idxEnt{off: off, end: end, name: string(data[p : p+nul]), stage: int(flags>>12) & 3})
		off = end
	}
	ix.extStart = off
	for off+8 <= limit {
		sig := data[off : off+4]
		size := int(binary.BigEndian.Uint32(data[off+4:]))
		if sig[0] < 'A' || sig[0] > 'Z' || off+8+size > limit {
			return nil, errIndexFormat // "link" (split index), "sdir" (sparse) or unknown
		}
		off += 8 + size
	}
	return ix, nil
}

// find returns the index of the first entry with name >= name.
func (ix *indexFile) find(name string) int {
	return sort.Search(len(ix.entries), func(i int) bool { return ix.entries[i].name >= name })
}

// lookup returns the stage-0 entries of paths; a path in conflict is an error.
func (ix *indexFile) lookup(paths []string) (map[string]Entry, error) {
	res := make(map[string]Entry, len(paths))
	for _, p := range paths {
		i := ix.find(p)
		if i >= len(ix.entries) || ix.entries[i].name != p {
			continue
		}
		e := ix.entries[i]
		if e.stage != 0 || (i+1 < len(ix.entries) && ix.entries[i+1].name == p) {
			return nil, fmt.Errorf("gitops: %q has unresolved merge conflicts in the index", p)
		}
		mode := binary.BigEndian.Uint32(ix.data[e.off+24:])
		res[p] = Entry{Mode: strconv.FormatUint(uint64(mode), 8), OID: hex.EncodeToString(ix.data[e.off+40 : e.off+40+ix.hashLen])}
	}
	return res, nil
}

// conflictsDF reports whether adding name would put a file where the index
// has a directory or the other way round (git would refuse or replace).
func (ix *indexFile) conflictsDF(name string) bool {
	if i := ix.find(name + "/"); i < len(ix.entries) && strings.HasPrefix(ix.entries[i].name, name+"/") {
		return true
	}
	for j := strings.IndexByte(name, '/'); j >= 0; j = next(name, j) {
		if i := ix.find(name[:j]); i < len(ix.entries) && ix.entries[i].name == name[:j] {
			return true
		}
	}
	return false
}

func next(s string, j int) int {
	k := strings.IndexByte(s[j+1:], '/')
	if k < 0 {
		return -1
	}
	return j + 1 + k
}

// render returns the index with set applied (zero Entry: remove).
func (ix *indexFile) render(set map[string]Entry) ([]byte, error) {
	names := make([]string, 0, len(set))
	for p, e := range set {
		i := ix.find(p)
		present := i < len(ix.entries) && ix.entries[i].name == p
		if e.Exists() && !present && ix.conflictsDF(p) {
			return nil, errIndexFormat
		}
		if _, err := hex.DecodeString(e.OID); e.Exists() && (err != nil || len(e.OID) != 2*ix.hashLen) {
			return nil, fmt.Errorf("gitops: bad object id %q", e.OID)
		}
		names = append(names, p)
	}
	slices.Sort(names)
	out := make([]byte, 12, len(ix.data)+len(set)*(64+ix.hashLen))
	copy(out, ix.data[:12])
	count := 0
	emit := func(p string) {
		e := set[p]
		if !e.Exists() {
			return
		}
		mode, _ := strconv.ParseUint(e.Mode, 8, 32)
		raw, _ := hex.DecodeString(e.OID)
		start := len(out)
		out = append(out, make([]byte, 40)...)
		binary.BigEndian.PutUint32(out[start+24:], uint32(mode))
		out = append(out, raw...)
		out = binary.BigEndian.AppendUint16(out, uint16(min(len(p), 0xFFF)))
		out = append(out, p...)
		pad := (len(out)-start+8)&^7 - (len(out) - start)
		out = append(out, make([]byte, pad)...)
		count++
	}
	k := 0
	for _, e := range ix.entries {
		for k < len(names) && names[k] < e.name {
			emit(names[k])
			k++
		}
		if k < len(names) && names[k] == e.name {
			if e.stage == 0 {
				emit(names[k])
			}
			k++
			continue
		}
		start := len(out)
		out = append(out, ix.data[e.off:e.end]...)
		// Racily clean under the old timestamp: make git look at the file.
		if int64(binary.BigEndian.Uint32(out[start+8:])) >= ix.mtime {
			binary.BigEndian.PutUint32(out[start+36:], 0)
		}
		count++
	}
	for ; k < len(names); k++ {
		emit(names[k])
	}
	binary.BigEndian.PutUint32(out[8:], uint32(count))
	for off := ix.extStart; off+8 <= len(ix.data)-ix.hashLen; {
		size := int(binary.BigEndian.Uint32(ix.data[off+4:]))
		switch string(ix.data[off : off+4]) {
		case "REUC":
			out = append(out, ix.data[off:off+8+size]...)
		case "TREE":
			if tree, ok := invalidateTree(ix.data[off+8:off+8+size], ix.hashLen, names); ok {
				out = append(out, "TREE"...)
				out = binary.BigEndian.AppendUint32(out, uint32(len(tree)))
				out = append(out, tree...)
			}
		}
		off += 8 + size
	}
	h := sha1.New()
	if ix.hashLen == 32 {
		h = sha256.New()
	}
	h.Write(out)
	return h.Sum(out), nil
}

// unchanged reports whether the file at path is still the one parsed (same
// size, modification time and inode: git's own test for a changed index).
func (ix *indexFile) unchanged(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && ix != nil && os.SameFile(fi, ix.stat) && fi.Size() == ix.stat.Size() && fi.ModTime().Equal(ix.stat.ModTime())
}

// updateIndexInProcess applies set to the index at path under its lock. check
// runs on the entries read under the lock, so a plan made from an earlier
// read can refuse if the user staged something meanwhile. prev, when still
// the file on disk once the lock is held, saves reading it again.
//
// It returns the index as written, for the next decision to reuse while the
// file stays unchanged.
func (r *repo) updateIndexInProcess(path string, prev *indexFile, set map[string]Entry, check func(map[string]Entry) error) (*indexFile, error) {
	out, fi, err := r.updateIndexLocked(path, prev, set, check)
	if err != nil {
		return nil, err
	}
	if written, err := r.parseIndex(out, fi, false); err == nil {
		return written, nil
	}
	return nil, nil
}

func (r *repo) updateIndexLocked(path string, prev *indexFile, set map[string]Entry, check func(map[string]Entry) error) ([]byte, fs.FileInfo, error) {
	lock := path + ".lock"
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, errIndexFormat
	}
	// The lock is made recognisable as wend's (lock.go), so that a crash
	// between here and the rename does not leave a lock nobody may remove.
	f, owner, err := createIndexLock(path, fi.Mode().Perm(), r.lockOwner())
	if err != nil {
		return nil, nil, err
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(lock)
		}
		if owner != "" {
			os.Remove(owner)
		}
	}()
	ix := prev
	if !prev.unchanged(path) {
		if ix, err = r.readIndexFile(path); err != nil {
			return nil, nil, err
		}
	}
	paths := make([]string, 0, len(set))
	for p := range set {
		paths = append(paths, p)
	}
	cur, err := ix.lookup(paths)
	if err != nil {
		return nil, nil, err
	}
	if check != nil {
		if err := check(cur); err != nil {
			return nil, nil, err
		}
	}
	out, err := ix.render(set)
	if err != nil {
		return nil, nil, err
	}
	// Like git (core.fsync leaves the index out by default), no fsync: the
	// rename is atomic against a killed process, and the journal, which is
	// fsynced, is written only after this returns.
	if _, err := f.Write(out); err != nil {
		return nil, nil, err
	}
	// The lock file's inode, size and time carry over the rename: the
	// identity of what was written, whoever replaces the index next.
	written, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if err := f.Close(); err != nil {
		return nil, nil, err
	}
	r.crashPoint("index.lock")
	if err := os.Rename(lock, path); err != nil {
		return nil, nil, err
	}
	done = true
	return out, written, nil
}

// invalidateTree rewrites a cache-tree extension with every directory that
// contains one of paths marked invalid (entry count -1, no object id). The
// extension is a pre-order list of "name NUL count SP subtrees LF [oid]". It
// reports false if the data does not parse, and the caller drops it.
func invalidateTree(data []byte, hashLen int, paths []string) ([]byte, bool) {
	dirs := map[string]bool{"": true}
	for _, p := range paths {
		for j := strings.IndexByte(p, '/'); j >= 0; j = next(p, j) {
			dirs[p[:j]] = true
		}
	}
	out := make([]byte, 0, len(data))
	ok := walkCacheTree(data, hashLen, func(e cacheTreeEntry) {
		out = append(out, e.name...)
		out = append(out, 0)
		if e.depth == 0 || dirs[e.full] {
			out = fmt.Appendf(out, "-1 %d\n", e.subs)
		} else {
			out = fmt.Appendf(out, "%d %d\n", e.count, e.subs)
			out = append(out, e.oid...)
		}
	})
	if !ok {
		return nil, false
	}
	if len(data) == 0 {
		return data, true
	}
	return out, true
}
