package diffview

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/internal/termtext"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/syntax"
)

// maxCache bounds the rendered-row cache; it is dropped whole when full.
const maxCache = 4096

// Line renders row i at the doc's width, from the cache when it can.
func (d *Doc) Line(i int) string {
	if s, ok := d.cache[i]; ok {
		return s
	}
	if len(d.cache) >= maxCache {
		clear(d.cache)
	}
	s := d.render(d.Rows[i])
	d.cache[i] = s
	return s
}

// Lines renders rows [from, from+n), clipped to the document.
func (d *Doc) Lines(from, n int) []string {
	from = max(from, 0)
	to := min(from+n, len(d.Rows))
	out := make([]string, 0, max(to-from, 0))
	for i := from; i < to; i++ {
		out = append(out, d.Line(i))
	}
	return out
}

// Render is the pure form for tests and previews: the first height rows of the
// diff of files at width.
func (d *Doc) Render(height int) string { return strings.Join(d.Lines(0, height), "\n") }

func (d *Doc) render(r Row) string {
	st := d.st
	f := d.Files[r.File]
	switch r.Kind {
	case rowComment:
		return d.renderNote(r) // notes.go
	case rowFile:
		name := f.Path
		if f.OldPath != "" && f.OldPath != f.Path {
			name = f.OldPath + " → " + f.Path
		}
		acc, rej, total := 0, 0, len(f.Hunks)
		for _, h := range f.Hunks {
			switch h.State {
			case session.HunkAccepted, session.HunkModified:
				acc++
			case session.HunkRejected:
				rej++
			}
		}
		meta := fmt.Sprintf(" %s +%d -%d", f.Kind, f.Added, f.Deleted)
		if f.Uncertain {
			meta += " · changed while the command ran"
		}
		if acc+rej > 0 {
			meta += fmt.Sprintf("  %d/%d decided", acc+rej, total)
		}
		name = termtext.Sanitize(name)
		line := st.DiffFile.Render(ansi.Truncate(name, max(d.Width-ansi.StringWidth(meta), 8), "…")) + st.Muted.Render(meta)
		return ansi.Truncate(line, d.Width, "…")
	case rowNote:
		msg := "no textual changes"
		if f.Binary {
			msg = "binary file"
		}
		if f.OldMode != f.NewMode && f.NewMode != "" {
			msg += fmt.Sprintf(" (mode %s → %s)", f.OldMode, f.NewMode)
		}
		return st.Muted.Render(ansi.Truncate("  "+msg, d.Width, "…"))
	case rowHunk:
		h := f.Hunks[r.Hunk]
		head := fmt.Sprintf("@@ -%d,%d +%d,%d @@", h.OldStart, h.OldLines, h.NewStart, h.NewLines)
		switch {
		case strings.HasPrefix(h.Header, "@@"): // the whole header line, as git writes it
			head = h.Header
		case h.Header != "":
			head += " " + h.Header // the function context only
		}
		badge := ""
		switch h.State {
		case session.HunkAccepted:
			badge = st.OK.Render(" ✓ accepted")
		case session.HunkRejected:
			badge = st.Error.Render(" ✗ rejected")
		case session.HunkModified:
			badge = st.Warn.Render(" ✎ modified")
		}
		head = termtext.Sanitize(head) // git's function context is a line of the file
		return st.DiffHunk.Render(ansi.Truncate(head, max(d.Width-ansi.StringWidth(badge), 4), "…")) + badge
	}
	h := f.Hunks[r.Hunk]
	lx := d.hl.lexer(f.Path, f.Language)
	var sb strings.Builder
	if r.Kind == rowPair {
		lw := (d.Width - 1) / 2
		rw := d.Width - 1 - lw
		if r.L >= 0 {
			m := kind(h.Lines[r.L])
			partner := ""
			if m == '-' && r.R >= 0 {
				partner = text(h.Lines[r.R])
			}
			d.cell(&sb, lx, h.Lines[r.L], m, r.OldNo, lw, partner)
		} else {
			sb.WriteString(strings.Repeat(" ", lw))
		}
		sb.WriteString(st.Muted.Render("│"))
		if r.R >= 0 {
			m := kind(h.Lines[r.R])
			partner := ""
			if m == '+' && r.L >= 0 {
				partner = text(h.Lines[r.L])
			}
			d.cell(&sb, lx, h.Lines[r.R], m, r.NewNo, rw, partner)
		}
		return sb.String()
	}
	no := r.NewNo
	if r.Kind == rowDel {
		no = r.OldNo
	}
	partner := ""
	if r.Partner >= 0 {
		partner = text(h.Lines[r.Partner])
	}
	d.cell(&sb, lx, h.Lines[r.Line], kind(h.Lines[r.Line]), no, d.Width, partner)
	return sb.String()
}

// cell writes one diff line (gutter, marker, highlighted text) in width cells.
func (d *Doc) cell(sb *strings.Builder, lx *syntax.Lang, raw string, marker byte, no, width int, partner string) {
	st := d.st
	num := strconv.Itoa(no)
	if no == 0 {
		num = ""
	}
	gutter := strings.Repeat(" ", max(d.numW-len(num), 0)) + num + " "
	sb.WriteString(st.DiffLineNo.Render(gutter))
	tw := width - d.numW - 3
	if tw < 1 {
		return
	}
	t := text(raw)
	if ansi.StringWidth(t) > tw {
		t = ansi.Truncate(t, tw, "…")
	}
	var bg, wordBG color.Color
	mark := "  "
	switch marker {
	case '+':
		bg, wordBG, mark = st.DiffAddBG, st.DiffWordAddBG, "+ "
		sb.WriteString(st.DiffAdd.Render(mark))
	case '-':
		bg, wordBG, mark = st.DiffDelBG, st.DiffWordDelBG, "- "
		sb.WriteString(st.DiffDel.Render(mark))
	default:
		sb.WriteString(mark)
	}
	ws, we := 0, 0
	if partner != "" {
		ws, we = wordRange(t, partner)
	}
	paint(sb, d.hl.segments(lx, t), bg, wordBG, ws, we, st.NoColor)
	if pad := tw - ansi.StringWidth(t); pad > 0 {
		if bg != nil && !st.NoColor {
			sb.WriteString(ansi.Style{}.BackgroundColor(bg).String())
			sb.WriteString(strings.Repeat(" ", pad))
			sb.WriteString("\x1b[m")
		} else if width != d.Width || d.SideBySide {
			sb.WriteString(strings.Repeat(" ", pad))
		}
	}
}
