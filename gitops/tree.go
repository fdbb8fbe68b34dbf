package gitops

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// writeIndexTree is `git write-tree` for a snapshot index, in-process: it
// reuses the subtrees the index's cache tree still vouches for and writes
// only the trees of directories that changed. It saves a process and a full
// rewrite of the index on every snapshot. Formats readIndexFile does not
// handle return errIndexFormat, and the caller runs git.
func (r *repo) writeIndexTree(path string) (string, error) {
	ix, err := r.readIndexFile(path)
	if err != nil {
		return "", err
	}
	valid := map[string]string{}
	for off := ix.extStart; off+8 <= len(ix.data)-ix.hashLen; {
		size := int(binary.BigEndian.Uint32(ix.data[off+4:]))
		if string(ix.data[off:off+4]) == "TREE" {
			if !parseCacheTree(ix.data[off+8:off+8+size], ix.hashLen, valid) {
				clear(valid)
			}
		}
		off += 8 + size
	}
	b := treeBuilder{r: r, ix: ix, valid: valid}
	return b.build("", 0, len(ix.entries))
}

type treeBuilder struct {
	r     *repo
	ix    *indexFile
	valid map[string]string // directory ("" is the root) → tree id
}

// build writes the tree of entries[lo:hi], which all lie under prefix (""
// or "dir/"). Index order is tree order: a directory's entries are
// contiguous and sort where "name/" would.
func (b *treeBuilder) build(prefix string, lo, hi int) (string, error) {
	if id, ok := b.valid[strings.TrimSuffix(prefix, "/")]; ok {
		return id, nil
	}
	var buf []byte
	for i := lo; i < hi; {
		e := b.ix.entries[i]
		if e.stage != 0 {
			return "", fmt.Errorf("gitops: %q has unresolved merge conflicts", e.name)
		}
		rel := e.name[len(prefix):]
		if slash := strings.IndexByte(rel, '/'); slash >= 0 {
			dir := prefix + rel[:slash+1]
			j := i + 1
			for j < hi && strings.HasPrefix(b.ix.entries[j].name, dir) {
				j++
			}
			id, err := b.build(dir, i, j)
			if err != nil {
				return "", err
			}
			if id != "" {
				raw, _ := hex.DecodeString(id)
				buf = append(buf, "40000 "+rel[:slash]+"\x00"...)
				buf = append(buf, raw...)
			}
			i = j
			continue
		}
		i++
		if b.intentToAdd(e) {
			continue
		}
		mode := binary.BigEndian.Uint32(b.ix.data[e.off+24:])
		buf = append(buf, strconv.FormatUint(uint64(mode), 8)+" "+rel+"\x00"...)
		buf = append(buf, b.ix.data[e.off+40:e.off+40+b.ix.hashLen]...)
	}
	if len(buf) == 0 && prefix != "" {
		return "", nil // git leaves out a directory with nothing to record
	}
	return b.r.writeObjectSync("tree", buf, false)
}

// intentToAdd reports `git add -N` entries, which trees leave out.
func (b *treeBuilder) intentToAdd(e idxEnt) bool {
	flags := binary.BigEndian.Uint16(b.ix.data[e.off+40+b.ix.hashLen:])
	if flags&0x4000 == 0 {
		return false
	}
	ext := binary.BigEndian.Uint16(b.ix.data[e.off+40+b.ix.hashLen+2:])
	return ext&0x2000 != 0
}

// cacheTreeEntry is one directory of a cache-tree extension.
type cacheTreeEntry struct {
	name, full  string // the directory's name and its path from the root ("" for the root)
	depth       int
	count, subs int    // count is -1 for an invalidated directory
	oid         []byte // nil when invalidated
}

// walkCacheTree visits the entries of a cache-tree extension in its own pre-order
// ("name NUL count SP subtrees LF [oid]", subtrees following their parent). It
// reports false when the data does not parse completely; an empty extension is fine.
func walkCacheTree(data []byte, hashLen int, visit func(cacheTreeEntry)) bool {
	pos := 0
	var walk func(prefix string, depth int) bool
	walk = func(prefix string, depth int) bool {
		nul := bytes.IndexByte(data[pos:], 0)
		if nul < 0 || depth > 4096 {
			return false
		}
		e := cacheTreeEntry{name: string(data[pos : pos+nul]), depth: depth}
		pos += nul + 1
		nl := bytes.IndexByte(data[pos:], '\n')
		if nl < 0 {
			return false
		}
		if _, err := fmt.Sscanf(string(data[pos:pos+nl]), "%d %d", &e.count, &e.subs); err != nil {
			return false
		}
		pos += nl + 1
		e.full = e.name
		if prefix != "" {
			e.full = prefix + "/" + e.name
		}
		if e.count >= 0 {
			if pos+hashLen > len(data) {
				return false
			}
			e.oid = data[pos : pos+hashLen]
			pos += hashLen
		}
		visit(e)
		for range e.subs {
			if !walk(e.full, depth+1) {
				return false
			}
		}
		return true
	}
	return len(data) == 0 || (walk("", 0) && pos == len(data))
}

// parseCacheTree collects the valid directories of a cache-tree extension.
func parseCacheTree(data []byte, hashLen int, valid map[string]string) bool {
	return walkCacheTree(data, hashLen, func(e cacheTreeEntry) {
		if e.oid != nil {
			valid[e.full] = hex.EncodeToString(e.oid)
		}
	})
}
