package repo

import (
	"bytes"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// FileIndex answers the `@` picker: fuzzy matches of a typed query against every
// path git knows, fast enough to run on each keystroke in a 100,000-file
// repository. Paths are lowercased once, into one contiguous buffer, so a match is
// a run of IndexByte calls over cache-friendly bytes with no allocation per path.
// The index remembers the paths that matched the last query: when the user types
// one more character, only those are tested again, so each keystroke narrows the
// previous result set instead of rescanning everything.
//
// Matching is ASCII case-insensitive; other bytes must match exactly. All methods
// are safe for concurrent use.
type FileIndex struct {
	paths []string
	lower []byte   // every path lowercased, back to back
	ends  []uint32 // ends[i] is where path i ends in lower

	// mu serialises Match: one user types one query at a time, and the two
	// buffers below are reused from key to key (a 100,000-entry slice grown by
	// append on every key costs more than the matching).
	mu       sync.Mutex
	lastQ    string
	lastHits []int32 // indexes of the paths lastQ matched; nil means none cached
	spare    []int32 // the buffer the next key's hits are written into
}

// NewFileIndex indexes paths (kept, not copied: the caller must not modify them).
func NewFileIndex(paths []string) *FileIndex {
	n := 0
	for _, p := range paths {
		n += len(p)
	}
	ix := &FileIndex{paths: paths, lower: make([]byte, 0, n), ends: make([]uint32, len(paths))}
	for i, p := range paths {
		for j := 0; j < len(p); j++ {
			ix.lower = append(ix.lower, lowerASCII(p[j]))
		}
		ix.ends[i] = uint32(len(ix.lower))
	}
	return ix
}

// Len is the number of indexed paths.
func (ix *FileIndex) Len() int { return len(ix.paths) }

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func (ix *FileIndex) path(i int32) []byte {
	start := uint32(0)
	if i > 0 {
		start = ix.ends[i-1]
	}
	return ix.lower[start:ix.ends[i]]
}

// Match returns up to limit paths that contain the query's characters in order,
// best first: the query whole inside the file name, then whole anywhere in the
// path, then scattered, where more characters at word starts (after / _ - . or a
// case change is not tracked) and in runs rank higher; ties go to the shorter,
// then the smaller path. An empty query returns the first paths in order.
func (ix *FileIndex) Match(query string, limit int) []string {
	if limit <= 0 {
		return nil
	}
	if query == "" {
		return append([]string(nil), ix.paths[:min(limit, len(ix.paths))]...)
	}
	q := []byte(strings.Map(func(r rune) rune {
		if r < 0x80 {
			return rune(lowerASCII(byte(r)))
		}
		return r
	}, query))

	ix.mu.Lock()
	defer ix.mu.Unlock()
	var cands []int32
	narrowing := ix.lastHits != nil && strings.HasPrefix(query, ix.lastQ)
	if narrowing {
		cands = ix.lastHits
	}
	hits := ix.spare[:0]
	if cap(hits) < len(ix.paths) {
		hits = make([]int32, 0, len(ix.paths))
	}
	var top []scored
	if narrowing {
		hits, top = ix.scan(q, limit, hits, cands, 0, 0)
	} else {
		// The first key tests every path: split it between the cores, each
		// writing its hits into its own part of the buffer, then join them.
		parts := min(runtime.GOMAXPROCS(0), 1+len(ix.paths)/20000)
		chunk := (len(ix.paths) + parts - 1) / parts
		results := make([]struct {
			hits []int32
			top  []scored
		}, parts)
		var wg sync.WaitGroup
		for k := 0; k < parts; k++ {
			lo, hi := k*chunk, min((k+1)*chunk, len(ix.paths))
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := &results[k]
				res.hits, res.top = ix.scan(q, limit, hits[lo:lo:hi], nil, lo, hi)
			}()
		}
		wg.Wait()
		for _, res := range results {
			hits = append(hits, res.hits...) // part 0 is already in place: a no-op copy
			for _, t := range res.top {
				top = insertScored(top, t, limit, ix)
			}
		}
	}
	// The old hits become the next key's buffer.
	ix.spare = ix.lastHits
	ix.lastQ, ix.lastHits = query, hits

	out := make([]string, len(top))
	for k, t := range top {
		out[k] = ix.paths[t.i]
	}
	return out
}

// scan tests the candidates (cands, or the paths lo to hi when cands is nil) and
// returns the hits appended to hits and the best limit of them.
func (ix *FileIndex) scan(q []byte, limit int, hits, cands []int32, lo, hi int) ([]int32, []scored) {
	top := make([]scored, 0, limit+1)
	test := func(i int32) {
		p := ix.path(i)
		if !subsequence(p, q) {
			return
		}
		hits = append(hits, i)
		s := score(p, q)
		if len(top) == limit && !better(s, i, top[limit-1], ix) {
			return
		}
		top = insertScored(top, scored{s, i}, limit, ix)
	}
	if cands != nil {
		for _, i := range cands {
			test(i)
		}
	} else {
		for i := lo; i < hi; i++ {
			test(int32(i))
		}
	}
	return hits, top
}

type scored struct {
	s int
	i int32
}

// better orders candidates: higher score, then shorter path, then smaller path.
func better(s int, i int32, t scored, ix *FileIndex) bool {
	if s != t.s {
		return s > t.s
	}
	a, b := ix.paths[i], ix.paths[t.i]
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

func insertScored(top []scored, x scored, limit int, ix *FileIndex) []scored {
	k := sort.Search(len(top), func(j int) bool { return better(x.s, x.i, top[j], ix) })
	top = append(top, scored{})
	copy(top[k+1:], top[k:])
	top[k] = x
	if len(top) > limit {
		top = top[:limit]
	}
	return top
}

// subsequence reports whether q's bytes appear in p in order.
func subsequence(p, q []byte) bool {
	for _, c := range q {
		j := bytes.IndexByte(p, c)
		if j < 0 {
			return false
		}
		p = p[j+1:]
	}
	return true
}

func isSep(c byte) bool { return c == '/' || c == '_' || c == '-' || c == '.' || c == ' ' }

// score rates a path that contains q as a subsequence (both lowercased).
func score(p, q []byte) int {
	base := p[bytes.LastIndexByte(p, '/')+1:]
	if j := bytes.Index(base, q); j >= 0 {
		s := 3000
		if j == 0 || isSep(base[j-1]) {
			s += 500
		}
		return s
	}
	if j := bytes.Index(p, q); j >= 0 {
		s := 2000
		if j == 0 || isSep(p[j-1]) {
			s += 500
		}
		return s
	}
	// Scattered: greedy left to right, counting word starts and runs.
	s, prev := 1000, -2
	rest := 0
	for _, c := range q {
		j := bytes.IndexByte(p[rest:], c) + rest
		if j == 0 || isSep(p[j-1]) {
			s += 30
		}
		if j == prev+1 {
			s += 20
		}
		prev, rest = j, j+1
	}
	// Matches ending in the file name are what people usually mean.
	if prev >= len(p)-len(base) {
		s += 50
	}
	return s
}
