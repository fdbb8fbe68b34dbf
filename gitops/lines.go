package gitops

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/aymanbagabas/go-udiff/lcs"
)

// contextLines is how many unchanged lines surround a hunk, as in git. Changes
// closer than twice this many lines share one hunk.
const contextLines = 3

// splitLines cuts text into lines that keep their terminators, so "a\r\n" and
// "a\n" differ and a missing final newline is a difference of its own.
// Joining the result gives back the input byte for byte.
func splitLines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	out := make([]string, 0, bytes.Count(b, []byte{'\n'})+1)
	s := string(b)
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

func joinLines(lines []string) []byte {
	n := 0
	for _, l := range lines {
		n += len(l)
	}
	b := make([]byte, 0, n)
	for _, l := range lines {
		b = append(b, l...)
	}
	return b
}

// isBinary uses git's rule: a NUL byte in the first 8000 bytes.
func isBinary(b []byte) bool {
	if len(b) > 8000 {
		b = b[:8000]
	}
	return bytes.IndexByte(b, 0) >= 0
}

// region says lines [A0,A1) of the old text become lines [B0,B1) of the new one.
type region struct{ A0, A1, B0, B1 int }

// diffRegions is the line diff of a and b as non-touching regions in order.
func diffRegions(a, b []string) []region {
	ds := lcs.DiffLines(a, b)
	out := make([]region, 0, len(ds))
	for _, d := range ds {
		r := region{d.Start, d.End, d.ReplStart, d.ReplEnd}
		if n := len(out); n > 0 && out[n-1].A1 == r.A0 && out[n-1].B1 == r.B0 {
			out[n-1].A1, out[n-1].B1 = r.A1, r.B1
			continue
		}
		out = append(out, r)
	}
	return out
}

// textHunk is a group of regions shown and decided together.
type textHunk struct {
	ID      string
	Regions []region
	// OldStart..NewLines and Lines follow unified diff conventions (1-based
	// starts; a zero-length side starts at the line before).
	OldStart, OldLines, NewStart, NewLines int
	Lines                                  []string
}

// makeHunks groups the diff of a and b into hunks with context, and gives each
// an id derived from the path and the removed and added lines, so a hunk keeps
// its id while other hunks of the file are decided.
func makeHunks(path string, a, b []string) []textHunk {
	regs := diffRegions(a, b)
	var groups [][]region
	for _, r := range regs {
		if n := len(groups); n > 0 {
			last := groups[n-1][len(groups[n-1])-1]
			if r.A0-last.A1 <= 2*contextLines {
				groups[n-1] = append(groups[n-1], r)
				continue
			}
		}
		groups = append(groups, []region{r})
	}
	seen := map[string]int{}
	hunks := make([]textHunk, 0, len(groups))
	for _, g := range groups {
		h := textHunk{Regions: g}
		first, last := g[0], g[len(g)-1]
		a0 := max(first.A0-contextLines, 0)
		a1 := min(last.A1+contextLines, len(a))
		b0 := first.B0 - (first.A0 - a0)
		h.OldLines = a1 - a0
		h.NewLines = h.OldLines
		pos := a0
		for _, r := range g {
			h.Lines = appendDisplay(h.Lines, ' ', a[pos:r.A0])
			h.Lines = appendDisplay(h.Lines, '-', a[r.A0:r.A1])
			h.Lines = appendDisplay(h.Lines, '+', b[r.B0:r.B1])
			h.NewLines += (r.B1 - r.B0) - (r.A1 - r.A0)
			pos = r.A1
		}
		h.Lines = appendDisplay(h.Lines, ' ', a[pos:a1])
		h.OldStart, h.NewStart = a0+1, b0+1
		if h.OldLines == 0 {
			h.OldStart--
		}
		if h.NewLines == 0 {
			h.NewStart--
		}
		id := hunkID(path, a, b, g)
		if n := seen[id]; n > 0 {
			seen[id] = n + 1
			id = hunkID(path+"\x00"+string(rune('0'+n)), a, b, g)
		} else {
			seen[id] = 1
		}
		h.ID = id
		hunks = append(hunks, h)
	}
	return hunks
}

func hunkID(path string, a, b []string, g []region) string {
	s := sha256.New()
	s.Write([]byte(path))
	for _, r := range g {
		s.Write([]byte{0, '-'})
		for _, l := range a[r.A0:r.A1] {
			s.Write([]byte(l))
		}
		s.Write([]byte{0, '+'})
		for _, l := range b[r.B0:r.B1] {
			s.Write([]byte(l))
		}
	}
	return hex.EncodeToString(s.Sum(nil))[:12]
}

// appendDisplay adds diff body lines without their "\n", followed by git's
// marker when a line has no final newline. A "\r" stays visible in the line.
func appendDisplay(out []string, op byte, lines []string) []string {
	for _, l := range lines {
		if strings.HasSuffix(l, "\n") {
			out = append(out, string(op)+l[:len(l)-1])
		} else {
			out = append(out, string(op)+l, `\ No newline at end of file`)
		}
	}
	return out
}

// applyRegions returns a with the given regions replaced by their lines of b.
func applyRegions(a, b []string, regs []region) []string {
	out := make([]string, 0, len(a))
	pos := 0
	for _, r := range regs {
		out = append(out, a[pos:r.A0]...)
		out = append(out, b[r.B0:r.B1]...)
		pos = r.A1
	}
	return append(out, a[pos:]...)
}

// revertRegions returns b with the given regions put back to their lines of a.
func revertRegions(a, b []string, regs []region) []string {
	out := make([]string, 0, len(b))
	pos := 0
	for _, r := range regs {
		out = append(out, b[pos:r.B0]...)
		out = append(out, a[r.A0:r.A1]...)
		pos = r.B1
	}
	return append(out, b[pos:]...)
}
