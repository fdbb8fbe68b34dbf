package diffview

import (
	"image/color"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/ui/styles"
	"gitlab.com/wend/wend/ui/syntax"
)

// highlighter turns one line of code into coloured segments. Lines are lexed on
// their own (a diff shows fragments anyway), which keeps the cost per visible row.
type highlighter struct {
	colours [syntax.Number + 1]color.Color // by token kind; all nil: no highlighting
	on      bool
	spans   []syntax.Span // reused between lines
}

func newHighlighter(st styles.Styles) *highlighter {
	p := st.Syntax
	h := &highlighter{colours: [...]color.Color{syntax.Keyword: p.Keyword, syntax.Type: p.Type,
		syntax.String: p.String, syntax.Comment: p.Comment, syntax.Number: p.Number}}
	for _, c := range h.colours {
		h.on = h.on || c != nil
	}
	return h
}

// lexer picks a language from the file name, then the language hint; nil when
// colour is off or the language is unknown.
func (h *highlighter) lexer(file, lang string) *syntax.Lang {
	if !h.on {
		return nil
	}
	return syntax.ForFile(file, lang)
}

// seg is a run of text with one foreground colour (nil: default).
type seg struct {
	text string
	fg   color.Color
}

func (h *highlighter) segments(lx *syntax.Lang, s string) []seg {
	if lx == nil || s == "" {
		return []seg{{text: s}}
	}
	h.spans = lx.Tokens(s, h.spans[:0])
	out := make([]seg, 0, len(h.spans))
	for _, sp := range h.spans {
		out = append(out, seg{text: sp.Text, fg: h.colours[sp.Kind]})
	}
	return out
}

// paint writes segments with a line background and a stronger background over
// the byte range [ws, we) (the changed words). Colours are raw SGR, which is far
// cheaper per segment than a lipgloss style.
func paint(sb *strings.Builder, segs []seg, bg, wordBG color.Color, ws, we int, noColor bool) {
	pos := 0
	for _, sg := range segs {
		t := sg.text
		for t != "" {
			end := len(t)
			inWord := pos >= ws && pos < we
			if inWord && pos+end > we {
				end = we - pos
			} else if !inWord && pos < ws && pos+end > ws {
				end = ws - pos
			}
			part := t[:end]
			var style ansi.Style
			if noColor {
				if inWord {
					style = style.Underline(true)
				}
			} else {
				if sg.fg != nil {
					style = style.ForegroundColor(sg.fg)
				}
				if inWord && wordBG != nil {
					style = style.BackgroundColor(wordBG)
				} else if bg != nil {
					style = style.BackgroundColor(bg)
				}
			}
			if len(style) > 0 {
				sb.WriteString(style.String())
				sb.WriteString(part)
				sb.WriteString("\x1b[m")
			} else {
				sb.WriteString(part)
			}
			pos += end
			t = t[end:]
		}
	}
}

// wordRange finds the changed part of a against b, by whole words: the common
// prefix and suffix of their word tokens are left out. It returns byte offsets in
// a, or (0, 0) when nothing is common (the whole line changed).
func wordRange(a, b string) (int, int) {
	ta, tb := tokens(a), tokens(b)
	p := 0
	for p < len(ta) && p < len(tb) && a[ta[p][0]:ta[p][1]] == b[tb[p][0]:tb[p][1]] {
		p++
	}
	s := 0
	for s < len(ta)-p && s < len(tb)-p &&
		a[ta[len(ta)-1-s][0]:ta[len(ta)-1-s][1]] == b[tb[len(tb)-1-s][0]:tb[len(tb)-1-s][1]] {
		s++
	}
	if p == 0 && s == 0 {
		return 0, 0
	}
	if p+s >= len(ta) {
		return 0, 0 // a is only common parts: the change is an insertion in b
	}
	return ta[p][0], ta[len(ta)-1-s][1]
}

// tokens splits into words, runs of space, and single punctuation characters.
func tokens(s string) [][2]int {
	var out [][2]int
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		j := i + n
		class := func(r rune) int {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_':
				return 1
			case unicode.IsSpace(r):
				return 2
			}
			return 3
		}
		c := class(r)
		if c != 3 {
			for j < len(s) {
				r2, n2 := utf8.DecodeRuneInString(s[j:])
				if class(r2) != c {
					break
				}
				j += n2
			}
		}
		out = append(out, [2]int{i, j})
		i = j
	}
	return out
}
