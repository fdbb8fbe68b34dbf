// Package pack turns gathered context (issues, merge requests, pipelines,
// files) into markdown that fits a budget, and says what it cut and how to get
// it: a model that knows something is missing can ask for it, one that does not
// will guess.
//
// Budgets are in bytes of markdown. Tokens estimates tokens from bytes (about
// four per token for English and code) for callers that think in tokens.
package pack

import (
	"fmt"
	"strings"
)

// Tokens estimates the tokens a text costs a model.
func Tokens(s string) int { return (len(s) + 3) / 4 }

// BytesFor converts a token budget into a byte budget.
func BytesFor(tokens int) int { return tokens * 4 }

// Doc is markdown under construction with a hard byte limit. Writes that do not
// fit are cut at a line boundary and the cut is recorded. Not safe for
// concurrent use.
type Doc struct {
	b     strings.Builder
	limit int
	cuts  []string
}

// New returns a Doc that holds at most limit bytes (a non-positive limit means
// no limit), plus the cut notes that End appends.
func New(limit int) *Doc {
	return &Doc{limit: limit}
}

// Remaining is what still fits.
func (d *Doc) Remaining() int {
	if d.limit <= 0 {
		return int(^uint(0) >> 1)
	}
	return max(0, d.limit-d.b.Len())
}

// Len is the bytes written so far.
func (d *Doc) Len() int { return d.b.Len() }

// Write appends s whole and reports true, or appends nothing and reports false
// when s does not fit.
func (d *Doc) Write(s string) bool {
	if len(s) > d.Remaining() {
		return false
	}
	d.b.WriteString(s)
	return true
}

// Printf is Write with formatting.
func (d *Doc) Printf(format string, args ...any) bool {
	return d.Write(fmt.Sprintf(format, args...))
}

// Fit appends s cut to at most limit bytes (and what remains), at a line
// boundary when one is near. When it cuts, it writes an inline marker saying
// how much of what was cut and how to get it, and records the cut for End.
// It reports whether s was written whole.
func (d *Doc) Fit(s string, limit int, what, how string) bool {
	room := min(limit, d.Remaining())
	if len(s) <= room {
		d.b.WriteString(s)
		return true
	}
	note := func(kept int) string {
		rest := s[kept:]
		n := strings.Count(rest, "\n")
		return fmt.Sprintf("\n… [%s cut: %d more lines, %d bytes; %s]\n", what, n+1, len(rest), how)
	}
	// Reserve room for the marker itself.
	keep := room - len(note(0)) - 8
	if keep < 0 {
		keep = 0
	}
	keep = CutAt(s, keep)
	d.b.WriteString(s[:keep])
	if len(note(keep)) <= d.Remaining() {
		d.b.WriteString(note(keep))
	}
	d.cuts = append(d.cuts, fmt.Sprintf("%s (%s)", what, how))
	return false
}

// Cut records a cut made by the caller (notes not fetched, files not shown).
func (d *Doc) Cut(what, how string) {
	d.cuts = append(d.cuts, fmt.Sprintf("%s (%s)", what, how))
}

// Cuts lists what was cut, in order.
func (d *Doc) Cuts() []string { return d.cuts }

// String returns the markdown written so far, with a closing list of cuts when
// there were any. The list may exceed the limit slightly: saying what is
// missing matters more than the last few bytes.
func (d *Doc) String() string {
	if len(d.cuts) == 0 {
		return d.b.String()
	}
	var b strings.Builder
	b.WriteString(d.b.String())
	b.WriteString("\n---\nTruncated to fit the context budget:\n")
	for _, c := range d.cuts {
		b.WriteString("- " + c + "\n")
	}
	return b.String()
}

// CutAt returns a cut position at or before n: the end of a line when there is
// one in the last quarter, else n moved back to a UTF-8 boundary.
func CutAt(s string, n int) int {
	if n >= len(s) {
		return len(s)
	}
	if n <= 0 {
		return 0
	}
	if i := strings.LastIndexByte(s[:n], '\n'); i >= 0 && i >= n*3/4 {
		return i + 1
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return n
}

// Item is one rendered piece of context.
type Item struct {
	Ref      string `json:"ref"`
	Markdown string `json:"markdown"`
}

// Join lays items out one after another under a shared limit, in order. Each
// item gets an equal share; what a small item leaves unused passes on to the
// next ones. An item over its share is cut with a note.
func Join(items []Item, limit int) string {
	d := New(limit)
	for i, it := range items {
		share := d.Remaining() / (len(items) - i)
		d.Fit(it.Markdown+"\n", share, "context of "+it.Ref, "ask for "+it.Ref+" alone for the rest")
	}
	return d.String()
}
