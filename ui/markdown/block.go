package markdown

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/ui/syntax"
)

// blocks renders source lines as blocks separated by one blank line; depth is
// the list nesting, which picks the bullet. Inside list items (depth > 0)
// blocks are not separated: items stay compact.
func (r *Renderer) blocks(lines []string, w, depth int) [][]span {
	w = max(w, 1) // a quote in a quote at width 3 leaves nothing, not less
	var out [][]span
	sep := func() {
		if len(out) > 0 && depth == 0 {
			out = append(out, nil)
		}
	}
	for i := 0; i < len(lines); {
		line := lines[i]
		t := strings.TrimSpace(line)
		ind := indent(line)
		switch {
		case t == "":
			i++
		case ind < 4 && isFence(t):
			sep()
			var n int
			out, n = r.fence(lines[i:], w, out)
			i += n
		case ind < 4 && heading(t) > 0:
			sep()
			lvl := heading(t)
			text := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(t[lvl:]), "#"))
			if strings.TrimRight(t[lvl:], "# ") == "" {
				text = ""
			}
			a := aHeading
			if lvl > 2 {
				a = aBold
			}
			out = append(out, wrap(r.inline(text, a, nil), w)...)
			i++
		case ind < 4 && isRule(t):
			sep()
			out = append(out, []span{{strings.Repeat("─", w), aRule, nil}})
			i++
		case ind < 4 && i+1 < len(lines) && strings.Contains(t, "|") && isDelimiterRow(lines[i+1]):
			sep()
			n := 2
			for i+n < len(lines) && strings.TrimSpace(lines[i+n]) != "" && strings.Contains(lines[i+n], "|") {
				n++
			}
			out = append(out, r.table(lines[i:i+n], w)...)
			i += n
		case ind < 4 && strings.HasPrefix(t, ">"):
			sep()
			var inner []string
			for i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), ">") {
				q := strings.TrimPrefix(strings.TrimSpace(lines[i]), ">")
				inner = append(inner, strings.TrimPrefix(q, " "))
				i++
			}
			for _, row := range r.blocks(inner, w-2, 0) {
				q := []span{{"│ ", aQuote, nil}}
				for _, sp := range row {
					sp.a |= aQuote
					q = append(q, sp)
				}
				out = append(out, q)
			}
		case listMarker(line) > 0:
			sep()
			var n int
			out, n = r.list(lines[i:], w, depth, out)
			i += n
		case ind >= 4 && depth == 0:
			sep()
			var code []string
			for i < len(lines) && (indent(lines[i]) >= 4 || strings.TrimSpace(lines[i]) == "") {
				code = append(code, strings.TrimRight(cutIndent(lines[i], 4), " "))
				i++
			}
			for len(code) > 0 && code[len(code)-1] == "" {
				code = code[:len(code)-1]
			}
			out = r.code(code, "", w, out)
		default:
			sep()
			var n int
			out, n = r.paragraph(lines[i:], w, out)
			i += n
		}
	}
	return out
}

// paragraph joins lines up to a blank line or the start of another block and
// wraps them; a line ending in two spaces or a backslash breaks the line.
func (r *Renderer) paragraph(lines []string, w int, out [][]span) ([][]span, int) {
	var text strings.Builder
	n := 0
	for n < len(lines) {
		l := lines[n]
		t := strings.TrimSpace(l)
		if t == "" || n > 0 && interrupts(l) {
			break
		}
		n++
		hard := strings.HasSuffix(l, "  ") || strings.HasSuffix(t, "\\") && !strings.HasSuffix(t, "\\\\")
		if text.Len() > 0 {
			text.WriteByte(' ')
		}
		text.WriteString(strings.TrimSuffix(t, "\\"))
		if hard && n < len(lines) && strings.TrimSpace(lines[n]) != "" {
			out = append(out, wrap(r.inline(text.String(), 0, nil), w)...)
			text.Reset()
		}
	}
	if text.Len() > 0 {
		out = append(out, wrap(r.inline(text.String(), 0, nil), w)...)
	}
	return out, n
}

// interrupts reports whether l starts a block that ends a paragraph.
func interrupts(l string) bool {
	t := strings.TrimSpace(l)
	if indent(l) >= 4 {
		return false
	}
	return isFence(t) || heading(t) > 0 || isRule(t) || strings.HasPrefix(t, ">") || listMarker(l) > 0
}

// fence renders a fenced code block; an unclosed fence runs to the end.
func (r *Renderer) fence(lines []string, w int, out [][]span) ([][]span, int) {
	open := strings.TrimSpace(lines[0])
	ind := indent(lines[0])
	marks := open[:runLen(open, 0)]
	info := strings.TrimSpace(open[len(marks):])
	var code []string
	n := 1
	for ; n < len(lines); n++ {
		t := strings.TrimSpace(lines[n])
		if strings.HasPrefix(t, marks) && strings.Trim(t, marks[:1]) == "" {
			n++
			break
		}
		code = append(code, cutIndent(lines[n], ind))
	}
	return r.code(code, info, w, out), n
}

// code renders code lines verbatim two cells in, highlighted, each cut to the
// width: wrapping code would change what it says.
func (r *Renderer) code(lines []string, info string, w int, out [][]span) [][]span {
	var lang *syntax.Lang
	if !r.st.NoColor && info != "" {
		lang = syntax.ForFile("", info)
	}
	var toks []syntax.Span
	for _, l := range lines {
		l = strings.ReplaceAll(l, "\t", "    ")
		row := []span{{"  ", 0, nil}}
		toks = lang.Tokens(l, toks[:0])
		for _, tk := range toks {
			row = append(row, span{tk.Text, 0, r.syn[tk.Kind]})
		}
		out = append(out, truncate(row, w))
	}
	return out
}

// list renders the list starting at lines[0] and returns how many lines it
// took. Items' bodies (continuation lines, nested lists) render as blocks
// inside the item, indented under its text.
func (r *Renderer) list(lines []string, w, depth int, out [][]span) ([][]span, int) {
	base := indent(lines[0])
	// A list that starts indented outside any item is a nested list whose
	// parent came in an earlier block (the transcript renders block by block):
	// it keeps its indentation and the bullet of its level.
	pad := ""
	if depth == 0 && base > 0 {
		pad = strings.Repeat(" ", min(base, 8))
		depth = min(base/2, 2)
		w -= len(pad)
	}
	n := 0
	for n < len(lines) {
		l := lines[n]
		m := listMarker(l)
		if m == 0 || indent(l) != base && n > 0 {
			break
		}
		marker := strings.TrimSpace(l[:m])
		content := m + 1
		rest := ""
		if m < len(l) {
			rest = l[m:]
			sp := len(rest) - len(strings.TrimLeft(rest, " "))
			if sp > 4 {
				sp = 1
			}
			content = m + sp
			rest = strings.TrimLeft(rest, " ")
		}
		body := []string{rest}
		n++
		blank := false
		for n < len(lines) {
			l := lines[n]
			t := strings.TrimSpace(l)
			ind := indent(l)
			if t == "" {
				blank = true
				n++
				continue
			}
			if ind >= content || ind > base && listMarker(l) > 0 {
				if blank {
					body = append(body, "")
				}
				body = append(body, cutIndent(l, min(ind, content)))
				blank = false
				n++
				continue
			}
			if blank || interrupts(l) {
				break
			}
			body = append(body, t) // a lazy continuation of the item's text
			n++
		}
		if blank && n < len(lines) && listMarker(lines[n]) == 0 {
			// The blank line ended the list, not just this item.
			for n > 0 && strings.TrimSpace(lines[n-1]) == "" {
				n--
			}
		}
		bullet := marker
		if c := marker[0]; c == '-' || c == '*' || c == '+' {
			bullet = []string{"•", "◦", "▪"}[min(depth, 2)]
		}
		mw := ansi.StringWidth(bullet) + 1
		for k, row := range r.blocks(body, max(w-mw, 1), depth+1) {
			lead := span{strings.Repeat(" ", mw), 0, nil}
			if k == 0 {
				lead = span{bullet + " ", aBullet, nil}
			}
			out = append(out, append([]span{{pad, 0, nil}, lead}, row...))
		}
		if len(body) == 1 && strings.TrimSpace(body[0]) == "" {
			out = append(out, []span{{pad, 0, nil}, {bullet, aBullet, nil}})
		}
	}
	return out, max(n, 1)
}

// listMarker is the length of a list marker and its indentation at the start
// of l ("- ", "* ", "+ ", "1. ", "2) "), or 0.
func listMarker(l string) int {
	ind := indent(l)
	t := l[ind:]
	if t == "" {
		return 0
	}
	end := 0
	switch c := t[0]; {
	case c == '-' || c == '*' || c == '+':
		end = 1
	case c >= '0' && c <= '9':
		for end < len(t) && end < 9 && t[end] >= '0' && t[end] <= '9' {
			end++
		}
		if end >= len(t) || t[end] != '.' && t[end] != ')' {
			return 0
		}
		end++
	default:
		return 0
	}
	if end < len(t) && t[end] != ' ' && t[end] != '\t' {
		return 0
	}
	if isRule(strings.TrimSpace(t)) {
		return 0
	}
	return ind + end
}

func indent(l string) int {
	n := 0
	for _, c := range l {
		switch c {
		case ' ':
			n++
		case '\t':
			n += 4
		default:
			return n
		}
	}
	return n
}

// cutIndent removes up to n columns of leading spaces.
func cutIndent(l string, n int) string {
	i := 0
	for i < len(l) && i < n && l[i] == ' ' {
		i++
	}
	if i < n && i < len(l) && l[i] == '\t' {
		i++
	}
	return l[i:]
}

func isFence(t string) bool { return strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") }

// heading is the level of an ATX heading line, or 0.
func heading(t string) int {
	n := 0
	for n < len(t) && t[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n < len(t) && t[n] != ' ' && t[n] != '\t' {
		return 0
	}
	return n
}

// isRule reports a thematic break: three or more of one of - * _, spaces between.
func isRule(t string) bool {
	if len(t) < 3 || strings.IndexByte("-*_", t[0]) < 0 {
		return false
	}
	n := 0
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case t[0]:
			n++
		case ' ', '\t':
		default:
			return false
		}
	}
	return n >= 3
}

// table renders a GFM table: header, delimiter row, body rows. Columns are as
// wide as their widest cell; when the table is wider than w the widest columns
// give way and their cells are cut with "…".
func (r *Renderer) table(lines []string, w int) [][]span {
	aligns := tableCells(lines[1])
	ncol := len(aligns)
	var rows [][][]span
	for k, l := range lines {
		if k == 1 {
			continue
		}
		a := attr(0)
		if k == 0 {
			a = aTableHead
		}
		cells := tableCells(l)
		row := make([][]span, ncol)
		for c := 0; c < ncol && c < len(cells); c++ {
			row[c] = r.inline(cells[c], a, nil)
		}
		rows = append(rows, row)
	}
	widths := make([]int, ncol)
	for _, row := range rows {
		for c, cell := range row {
			widths[c] = max(widths[c], width(cell))
		}
	}
	total := func() int {
		t := 3 * (ncol - 1)
		for _, x := range widths {
			t += x
		}
		return t
	}
	for total() > w {
		wi := 0
		for c := range widths {
			if widths[c] > widths[wi] {
				wi = c
			}
		}
		if widths[wi] <= 3 {
			break // the line guard cuts what still does not fit
		}
		widths[wi]--
	}
	var out [][]span
	for k, row := range rows {
		var line []span
		for c, cell := range row {
			if c > 0 {
				line = append(line, span{" │ ", aRule, nil})
			}
			cell = truncate(cell, widths[c])
			pad := widths[c] - width(cell)
			left := 0
			switch al := strings.TrimSpace(aligns[c]); {
			case strings.HasPrefix(al, ":") && strings.HasSuffix(al, ":"):
				left = pad / 2
			case strings.HasSuffix(al, ":"):
				left = pad
			}
			if left > 0 {
				line = append(line, span{strings.Repeat(" ", left), 0, nil})
			}
			line = append(line, cell...)
			if c < ncol-1 && pad-left > 0 {
				line = append(line, span{strings.Repeat(" ", pad-left), 0, nil})
			}
		}
		out = append(out, line)
		if k == 0 {
			var sep []string
			for _, x := range widths {
				sep = append(sep, strings.Repeat("─", x))
			}
			out = append(out, []span{{strings.Join(sep, "─┼─"), aRule, nil}})
		}
	}
	return out
}

// tableCells splits a table row at pipes outside code spans and escapes.
func tableCells(l string) []string {
	t := strings.TrimSpace(l)
	t = strings.TrimPrefix(t, "|")
	if strings.HasSuffix(t, "|") && !strings.HasSuffix(t, "\\|") {
		t = t[:len(t)-1]
	}
	var cells []string
	start, inCode := 0, false
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case '\\':
			i++
		case '`':
			inCode = !inCode
		case '|':
			if !inCode {
				cells = append(cells, strings.TrimSpace(strings.ReplaceAll(t[start:i], "\\|", "|")))
				start = i + 1
			}
		}
	}
	return append(cells, strings.TrimSpace(strings.ReplaceAll(t[min(start, len(t)):], "\\|", "|")))
}

// isDelimiterRow reports a table's second line: cells of dashes with optional
// colons.
func isDelimiterRow(l string) bool {
	t := strings.TrimSpace(l)
	if !strings.Contains(t, "-") || !strings.ContainsAny(t, "|") && !strings.HasPrefix(t, ":") {
		if !strings.Contains(t, "|") {
			return false
		}
	}
	for _, c := range tableCells(t) {
		c = strings.TrimSpace(c)
		c = strings.TrimPrefix(strings.TrimSuffix(c, ":"), ":")
		if c == "" || strings.Trim(c, "-") != "" {
			return false
		}
	}
	return true
}
