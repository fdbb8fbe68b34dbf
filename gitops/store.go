package gitops

import (
	"compress/zlib"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// Objects and refs of gitops' own bookkeeping are written here in Go rather
// than by spawning `git hash-object`, `mktree` and `update-ref`: on loaded
// machines a spawn costs 15 ms or more, and a decision must take well under
// 50 ms. The formats (zlib-compressed loose objects, loose ref files written
// through a .lock file) are git's stable on-disk formats, and git reads them
// like its own. Everything that touches the user's index or working-tree
// semantics still goes through the git binary.

func (r *repo) newHash() hash.Hash {
	if r.format == "sha256" {
		return sha256.New()
	}
	return sha1.New()
}

// objectID is the id git gives an object of this kind and content.
func (r *repo) objectID(kind string, data []byte) string {
	h := r.newHash()
	h.Write([]byte(kind + " " + strconv.Itoa(len(data)) + "\x00"))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// writeObject stores a loose object (fsynced) unless it is already loose, and
// returns its id. A duplicate of a packed object is harmless.
func (r *repo) writeObject(kind string, data []byte) (string, error) {
	return r.writeObjectSync(kind, data, true)
}

// writeObjectSync is writeObject with the fsync optional, for objects that
// only keep others reachable and can be rebuilt from the journal.
func (r *repo) writeObjectSync(kind string, data []byte, durable bool) (string, error) {
	id := r.objectID(kind, data)
	dir := filepath.Join(r.objects, id[:2])
	final := filepath.Join(dir, id[2:])
	if _, err := os.Stat(final); err == nil {
		return id, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "tmp_obj_")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	zw, _ := zlib.NewWriterLevel(tmp, zlib.BestSpeed)
	_, err = zw.Write([]byte(kind + " " + strconv.Itoa(len(data)) + "\x00"))
	if err == nil {
		_, err = zw.Write(data)
	}
	if err == nil {
		err = zw.Close()
	}
	if err == nil && durable {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o444)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), final)
	}
	if err != nil {
		return "", fmt.Errorf("gitops: write object: %w", err)
	}
	return id, nil
}

// writeBlobs stores contents as blobs, byte for byte (no filters).
func (r *repo) writeBlobs(contents ...[]byte) ([]string, error) {
	ids := make([]string, len(contents))
	for i, c := range contents {
		id, err := r.writeObject("blob", c)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

// writeFlatTree stores a tree whose entries are the given blobs, each named
// by its own id (so names are unique and plain).
func (r *repo) writeFlatTree(blobs []string) (string, error) {
	ids := slices.Clone(blobs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var buf []byte
	for _, id := range ids {
		raw, err := hex.DecodeString(id)
		if err != nil {
			return "", err
		}
		buf = append(buf, "100644 "+id+"\x00"...)
		buf = append(buf, raw...)
	}
	return r.writeObjectSync("tree", buf, false)
}

// ErrRefLocked means another process holds a ref's lock file.
var ErrRefLocked = errors.New("gitops: ref is locked by another process")

// writeRef points a ref at an object the way git does: a .lock file beside
// the loose ref, fsynced when durable, then renamed over it.
func (r *repo) writeRef(name, oid string, durable bool) error {
	p := filepath.Join(r.commonDir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	lock := p + ".lock"
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %s", ErrRefLocked, lock)
	}
	if err != nil {
		return err
	}
	_, err = f.WriteString(oid + "\n")
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(lock, p)
	}
	if err != nil {
		os.Remove(lock)
	}
	return err
}
