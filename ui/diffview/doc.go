// Package diffview renders proposed changes: unified, or side by side when wide,
// with syntax highlighting and word-level highlights. A Doc indexes every row of
// every file once (cheap: no highlighting), and renders only the rows asked for,
// caching each rendered row until the content or width changes.
package diffview

import (
	"strings"

	"gitlab.com/wend/wend/internal/termtext"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/styles"
)

// SideBySideMin is the width from which diffs are shown side by side.
const SideBySideMin = 140

type rowKind uint8

const (
	rowFile rowKind = iota
	rowHunk
	rowCtx
	rowAdd
	rowDel
	rowPair // side by side: L and/or R
	rowNote // "binary file", "no changes"
)

// Row is one screen row of the diff. Line indexes point into the hunk's Lines, so
// building rows copies no text.
type Row struct {
	Kind         rowKind
	File, Hunk   int
	Line         int // unified: index into Hunks[Hunk].Lines
	L, R         int // side by side: left/right line index, -1 for none
	Partner      int // unified add/del: the paired line for word highlights, -1
	OldNo, NewNo int
}

// Doc is the indexed diff of a set of files at one width.
type Doc struct {
	Files      []session.FileChange
	Rows       []Row
	Width      int
	SideBySide bool
	// HunkRows[f][h] is the row of the hunk header.
	HunkRows [][]int
	FileRows []int

	st    styles.Styles
	hl    *highlighter
	cache map[int]string
	numW  int
	// notes woven between the rows (notes.go), each's wrapped lines.
	notes     []Note
	noteLines [][]string
}

// Build indexes files for rendering at width. It is O(lines) and allocates one Row
// per diff line; nothing is highlighted until rendered.
func Build(files []session.FileChange, st styles.Styles, width int) *Doc {
	return build(files, st, width, width >= SideBySideMin)
}

func build(files []session.FileChange, st styles.Styles, width int, side bool) *Doc {
	d := &Doc{Files: files, Width: width, SideBySide: side, st: st,
		cache: map[int]string{}, numW: 3}
	d.hl = newHighlighter(st)
	n := 0
	for _, f := range files {
		n += 1 + len(f.Hunks)
		for _, h := range f.Hunks {
			n += len(h.Lines)
			d.numW = max(d.numW, digits(h.OldStart+h.OldLines), digits(h.NewStart+h.NewLines))
		}
	}
	d.Rows = make([]Row, 0, n)
	d.HunkRows = make([][]int, len(files))
	d.FileRows = make([]int, len(files))
	for fi, f := range files {
		d.FileRows[fi] = len(d.Rows)
		d.Rows = append(d.Rows, Row{Kind: rowFile, File: fi, Hunk: -1, L: -1, R: -1, Partner: -1})
		if f.Binary || len(f.Hunks) == 0 {
			d.Rows = append(d.Rows, Row{Kind: rowNote, File: fi, Hunk: -1, L: -1, R: -1, Partner: -1})
		}
		d.HunkRows[fi] = make([]int, len(f.Hunks))
		for hi, h := range f.Hunks {
			d.HunkRows[fi][hi] = len(d.Rows)
			d.Rows = append(d.Rows, Row{Kind: rowHunk, File: fi, Hunk: hi, L: -1, R: -1, Partner: -1})
			if d.SideBySide {
				d.addPairs(fi, hi, h)
			} else {
				d.addUnified(fi, hi, h)
			}
		}
	}
	return d
}

func (d *Doc) addUnified(fi, hi int, h session.Hunk) {
	old, nw := h.OldStart, h.NewStart
	lines := h.Lines
	for i := 0; i < len(lines); {
		if kind(lines[i]) == ' ' {
			d.Rows = append(d.Rows, Row{Kind: rowCtx, File: fi, Hunk: hi, Line: i, L: -1, R: -1, Partner: -1, OldNo: old, NewNo: nw})
			old++
			nw++
			i++
			continue
		}
		// A change block: deletions then additions; pair them by position.
		ds, de := i, i
		for de < len(lines) && kind(lines[de]) == '-' {
			de++
		}
		as, ae := de, de
		for ae < len(lines) && kind(lines[ae]) == '+' {
			ae++
		}
		if ae == i { // a line that is neither: "\ No newline at end of file"
			i++
			continue
		}
		for j := ds; j < de; j++ {
			p := -1
			if as+(j-ds) < ae {
				p = as + (j - ds)
			}
			d.Rows = append(d.Rows, Row{Kind: rowDel, File: fi, Hunk: hi, Line: j, L: -1, R: -1, Partner: p, OldNo: old})
			old++
		}
		for j := as; j < ae; j++ {
			p := -1
			if ds+(j-as) < de {
				p = ds + (j - as)
			}
			d.Rows = append(d.Rows, Row{Kind: rowAdd, File: fi, Hunk: hi, Line: j, L: -1, R: -1, Partner: p, NewNo: nw})
			nw++
		}
		i = ae
	}
}

func (d *Doc) addPairs(fi, hi int, h session.Hunk) {
	old, nw := h.OldStart, h.NewStart
	lines := h.Lines
	for i := 0; i < len(lines); {
		if kind(lines[i]) == ' ' {
			d.Rows = append(d.Rows, Row{Kind: rowPair, File: fi, Hunk: hi, Line: i, L: i, R: i, Partner: -1, OldNo: old, NewNo: nw})
			old++
			nw++
			i++
			continue
		}
		ds, de := i, i
		for de < len(lines) && kind(lines[de]) == '-' {
			de++
		}
		as, ae := de, de
		for ae < len(lines) && kind(lines[ae]) == '+' {
			ae++
		}
		if ae == i {
			i++
			continue
		}
		for k := 0; k < max(de-ds, ae-as); k++ {
			r := Row{Kind: rowPair, File: fi, Hunk: hi, Line: -1, L: -1, R: -1, Partner: -1}
			if ds+k < de {
				r.L, r.OldNo, r.Line = ds+k, old, ds+k
				old++
			}
			if as+k < ae {
				r.R, r.NewNo = as+k, nw
				if r.Line < 0 {
					r.Line = as + k
				}
				nw++
			}
			d.Rows = append(d.Rows, r)
		}
		i = ae
	}
}

func kind(l string) byte {
	if l == "" {
		return ' '
	}
	switch l[0] {
	case '+', '-', ' ':
		return l[0]
	}
	return '\\'
}

func digits(n int) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}

// text is a diff line without its marker, tabs expanded, and sanitized: file
// content is anyone's bytes, and escapes or bidi controls in it must show, not
// act (every rendered line goes through here).
func text(l string) string {
	if l != "" {
		l = l[1:]
	}
	if strings.IndexByte(l, '\t') >= 0 {
		l = strings.ReplaceAll(l, "\t", "    ")
	}
	return termtext.Sanitize(strings.TrimRight(l, "\r\n"))
}
