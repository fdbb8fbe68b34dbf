// Package markdown renders the markdown models write into styled terminal
// lines: ATX headings, paragraphs wrapped to the width, nested bullet and
// numbered lists, fenced code (verbatim, highlighted by ui/syntax, cut rather
// than wrapped), inline code, emphasis, links (text, then the URL once), block
// quotes, rules and simple GFM tables.
//
// It is wend's own because the general renderers cost at every start of the
// process: glamour linked Chroma's lexer registry and bluemonday's CSS tables
// (~70 ms and ~6 MB of init on every CLI verb). Nothing here runs at init.
//
// Any prefix of a document renders (a streaming tail): an unclosed fence is
// code, an unclosed `*` or “`” is literal text. Every line fits the width and
// closes its own styles, so lines can be shown in any order.
package markdown

import (
	"image/color"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/ui/styles"
	"gitlab.com/wend/wend/ui/syntax"
)

// attr is a set of inline and block styles on a span of text.
type attr uint16

const (
	aBold attr = 1 << iota
	aItalic
	aStrike
	aCode
	aLink
	aURL
	aHeading
	aQuote
	aTableHead
	aBullet
	aRule
)

// span is text with its styles; fg, when set, is a syntax colour.
type span struct {
	text string
	a    attr
	fg   color.Color
}

// Renderer renders markdown for one theme. It holds no mutable state, so one
// value may be used from many goroutines.
type Renderer struct {
	st  styles.Styles
	syn [syntax.Number + 1]color.Color
	// codeMarks keeps inline code's backticks: without colour nothing else
	// would tell code from prose.
	codeMarks bool
	base      lipgloss.Style // applied under every span when hasBase
	hasBase   bool
}

// New returns a renderer for the theme st.
func New(st styles.Styles) *Renderer {
	p := st.Syntax
	return &Renderer{st: st, codeMarks: st.NoColor,
		syn: [...]color.Color{syntax.Keyword: p.Keyword, syntax.Type: p.Type, syntax.String: p.String,
			syntax.Comment: p.Comment, syntax.Number: p.Number}}
}

// Render renders src into lines at most width cells wide, without blank lines
// at either end.
func (r *Renderer) Render(src string, width int) []string {
	width = max(width, 1)
	// Tabs become four spaces first: code keeps its indentation on screen, and
	// indentation is then counted in bytes everywhere below.
	src = strings.ReplaceAll(strings.ReplaceAll(src, "\r\n", "\n"), "\t", "    ")
	rows := r.blocks(strings.Split(src, "\n"), width, 0)
	out := make([]string, 0, len(rows))
	for _, row := range rows {
		out = append(out, r.line(row, width))
	}
	start, end := 0, len(out)
	for start < end && strings.TrimSpace(ansi.Strip(out[start])) == "" {
		start++
	}
	for end > start && strings.TrimSpace(ansi.Strip(out[end-1])) == "" {
		end--
	}
	return out[start:end:end]
}

// Inline renders one line of inline markdown (code, emphasis, links) without
// wrapping, for single-line texts such as a summary. base styles the text
// around the markdown (a muted tool line stays muted after a code span).
func (r *Renderer) Inline(s string, base lipgloss.Style) string {
	return r.with(base).line(r.inline(s, 0, nil), 1<<30)
}

// InlineLines renders inline markdown wrapped to w cells, for notices.
func (r *Renderer) InlineLines(s string, w int, base lipgloss.Style) []string {
	rb := r.with(base)
	var out []string
	for _, row := range wrap(r.inline(s, 0, nil), w) {
		out = append(out, rb.line(row, w))
	}
	return out
}

// with is a copy of r whose every span starts from base.
func (r *Renderer) with(base lipgloss.Style) *Renderer {
	c := *r
	c.base, c.hasBase = base, true
	return &c
}

// line writes spans as one terminal line: each run of one style opens its SGR
// and closes it, and the line is cut to width as a last guard.
func (r *Renderer) line(spans []span, width int) string {
	var sb strings.Builder
	open, cur := false, ""
	for _, sp := range spans {
		if sp.text == "" {
			continue
		}
		seq := r.sgr(sp.a, sp.fg)
		if seq != cur || !open && seq != "" {
			if open {
				sb.WriteString("\x1b[m")
				open = false
			}
			if seq != "" {
				sb.WriteString(seq)
				open = true
			}
			cur = seq
		}
		sb.WriteString(sp.text)
	}
	if open {
		sb.WriteString("\x1b[m")
	}
	s := sb.String()
	if width < 1<<30 && ansi.StringWidth(s) > width {
		s = ansi.Truncate(s, width, "…")
		if strings.Contains(s, "\x1b[") && !strings.HasSuffix(s, "\x1b[m") {
			s += "\x1b[m"
		}
	}
	return s
}

// sgr is the escape sequence that starts text styled a (and coloured fg).
func (r *Renderer) sgr(a attr, fg color.Color) string {
	if a == 0 && fg == nil && !r.hasBase {
		return ""
	}
	st := r.st
	var s ansi.Style
	apply := func(ls lipgloss.Style) {
		if c := ls.GetForeground(); c != nil {
			if _, none := c.(lipgloss.NoColor); !none {
				s = s.ForegroundColor(c)
			}
		}
		if ls.GetBold() {
			s = s.Bold()
		}
		if ls.GetItalic() {
			s = s.Italic(true)
		}
		if ls.GetUnderline() {
			s = s.Underline(true)
		}
		if ls.GetStrikethrough() {
			s = s.Strikethrough(true)
		}
		if ls.GetFaint() {
			s = s.Faint()
		}
	}
	if r.hasBase {
		apply(r.base)
	}
	// Block styles first, so inline ones (a link in a heading) win.
	for _, p := range []struct {
		bit attr
		ls  lipgloss.Style
	}{{aHeading, st.MDHeading}, {aQuote, st.MDQuote}, {aTableHead, st.MDTableHead}, {aBullet, st.MDBullet},
		{aRule, st.MDRule}, {aCode, st.MDCode}, {aLink, st.MDLink}, {aURL, st.MDURL}} {
		if a&p.bit != 0 {
			apply(p.ls)
		}
	}
	if a&aBold != 0 {
		s = s.Bold()
	}
	if a&aItalic != 0 {
		s = s.Italic(true)
	}
	if a&aStrike != 0 {
		s = s.Strikethrough(true)
	}
	if fg != nil {
		s = s.ForegroundColor(fg)
	}
	if len(s) == 0 {
		return ""
	}
	return s.String()
}

// width is the display width of spans.
func width(spans []span) int {
	n := 0
	for _, sp := range spans {
		n += ansi.StringWidth(sp.text)
	}
	return n
}

// wrap breaks spans into lines of at most w cells at spaces; a word longer
// than a line is broken where it must be.
func wrap(spans []span, w int) [][]span {
	w = max(w, 1)
	var lines [][]span
	var cur, word []span
	curW, wordW := 0, 0
	var space *span // the space before word, styled like its text
	flushWord := func() {
		if len(word) == 0 {
			return
		}
		if curW > 0 && curW+1+wordW > w {
			lines = append(lines, cur)
			cur, curW, space = nil, 0, nil
		}
		if curW > 0 && space != nil {
			cur = append(cur, *space)
			curW++
		}
		for wordW > w-curW { // only when the word alone is longer than a line
			head, tail := cutSpans(word, w-curW)
			if len(head) == 0 && curW == 0 {
				break
			}
			cur = append(cur, head...)
			lines = append(lines, cur)
			cur, curW = nil, 0
			word, wordW = tail, width(tail)
		}
		cur = append(cur, word...)
		curW += wordW
		word, wordW, space = nil, 0, nil
	}
	for _, sp := range spans {
		t := sp.text
		for t != "" {
			i := strings.IndexByte(t, ' ')
			if i < 0 {
				word = append(word, span{t, sp.a, sp.fg})
				wordW += ansi.StringWidth(t)
				break
			}
			if i > 0 {
				word = append(word, span{t[:i], sp.a, sp.fg})
				wordW += ansi.StringWidth(t[:i])
			}
			if len(word) > 0 {
				flushWord()
			}
			space = &span{" ", sp.a &^ (aBullet), sp.fg}
			t = t[i+1:]
		}
	}
	flushWord()
	if len(cur) > 0 || len(lines) == 0 {
		lines = append(lines, cur)
	}
	return lines
}

// cutSpans splits spans after n cells.
func cutSpans(spans []span, n int) (head, tail []span) {
	for i, sp := range spans {
		sw := ansi.StringWidth(sp.text)
		if sw <= n {
			head = append(head, sp)
			n -= sw
			continue
		}
		if n > 0 {
			k := cutAt(sp.text, n)
			if k > 0 {
				head = append(head, span{sp.text[:k], sp.a, sp.fg})
			}
			tail = append(tail, span{sp.text[k:], sp.a, sp.fg})
		} else {
			tail = append(tail, sp)
		}
		return head, append(tail, spans[i+1:]...)
	}
	return head, nil
}

// cutAt is the byte offset in s after at most n cells, at a character boundary.
func cutAt(s string, n int) int {
	w := 0
	for i, r := range s {
		rw := ansi.StringWidth(string(r))
		if w+rw > n {
			return i
		}
		w += rw
	}
	return len(s)
}

// truncate cuts spans to at most n cells, ending in "…" when something was cut.
func truncate(spans []span, n int) []span {
	if width(spans) <= n {
		return spans
	}
	if n <= 0 {
		return nil
	}
	head, _ := cutSpans(spans, n-1)
	a := attr(0)
	if len(head) > 0 {
		a = head[len(head)-1].a
	}
	return append(head, span{"…", a, nil})
}
