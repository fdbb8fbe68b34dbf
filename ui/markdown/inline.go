package markdown

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxSpan bounds how far an opener looks for its closer. Without it a long
// paragraph full of unmatched markers ("*", "[", "`") cost time quadratic in
// its length; no real emphasis, link or code span is longer.
const maxSpan = 2048

// inline parses inline markdown in s (code spans, emphasis, strikethrough,
// links, autolinks, escapes) into spans carrying a plus their own styles. An
// opener without its closer is literal text, which is what a streaming tail
// needs.
func (r *Renderer) inline(s string, a attr, out []span) []span {
	var buf strings.Builder
	flush := func() {
		if buf.Len() > 0 {
			out = append(out, span{text: buf.String(), a: a})
			buf.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) && isASCIIPunct(s[i+1]) {
				buf.WriteByte(s[i+1])
				i += 2
				continue
			}
		case '`':
			n := runLen(s, i)
			if j := closingBackticks(s, i+n, n); j >= 0 {
				flush()
				code := s[i+n : j]
				if len(code) >= 2 && code[0] == ' ' && code[len(code)-1] == ' ' && strings.Trim(code, " ") != "" {
					code = code[1 : len(code)-1]
				}
				if r.codeMarks {
					out = append(out, span{text: s[i:i+n] + code + s[i:i+n], a: a})
				} else {
					out = append(out, span{text: code, a: a | aCode})
				}
				i = j + n
				continue
			}
			buf.WriteString(s[i : i+n])
			i += n
			continue
		case '*', '_', '~':
			n := runLen(s, i)
			if k, ea := emphasis(s, i, n); k >= 0 {
				flush()
				out = r.inline(s[i+n:k], a|ea, out)
				i = k + n
				continue
			}
			buf.WriteString(s[i : i+n])
			i += n
			continue
		case '!', '[':
			at := i
			if c == '!' {
				at++
			}
			if text, url, end, ok := link(s, at); ok {
				flush()
				out = r.link(text, url, c == '!', a, out)
				i = end
				continue
			}
		case '<':
			if end := strings.IndexByte(s[i:], '>'); end > 0 {
				u := s[i+1 : i+end]
				if isURL(u) && !strings.ContainsAny(u, " <") {
					flush()
					out = append(out, span{text: u, a: a | aLink})
					i += end + 1
					continue
				}
			}
		}
		buf.WriteByte(c)
		i++
	}
	flush()
	return out
}

// link renders a link as its text followed by the URL in brackets, or the URL
// alone when the text says the same.
func (r *Renderer) link(text, url string, image bool, a attr, out []span) []span {
	bare := strings.TrimPrefix(strings.TrimPrefix(url, "mailto:"), "https://")
	if t := strings.TrimSpace(text); t == "" || t == url || t == bare || strings.TrimPrefix(t, "https://") == bare {
		return append(out, span{text: url, a: a | aLink})
	}
	if image {
		out = append(out, span{text: "image: ", a: a | aURL})
	}
	out = r.inline(text, a|aLink, out)
	if url == "" {
		return out
	}
	return append(out, span{text: " (" + url + ")", a: a | aURL})
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "mailto:")
}

// link parses [text](url "title") at s[i]; end is just after it.
func link(s string, i int) (text, url string, end int, ok bool) {
	if i >= len(s) || s[i] != '[' {
		return "", "", 0, false
	}
	depth := 0
	j := i
	limit := min(len(s), i+maxSpan)
	for ; j < limit; j++ {
		switch s[j] {
		case '\\':
			j++
			continue
		case '`':
			if k := closingBackticks(s, j+runLen(s, j), runLen(s, j)); k >= 0 {
				j = k + runLen(s, k) - 1
				continue
			}
		case '[':
			depth++
		case ']':
			depth--
		}
		if depth == 0 {
			break
		}
	}
	if j >= limit || j+1 >= len(s) || s[j+1] != '(' {
		return "", "", 0, false
	}
	text = s[i+1 : j]
	depth = 0
	k := j + 1
	limit = min(len(s), k+maxSpan)
	for ; k < limit; k++ {
		if s[k] == '(' {
			depth++
		} else if s[k] == ')' {
			depth--
			if depth == 0 {
				break
			}
		}
	}
	if k >= limit {
		return "", "", 0, false
	}
	dest := strings.TrimSpace(s[j+2 : k])
	if sp := strings.IndexAny(dest, " \t"); sp >= 0 { // drop a title
		dest = dest[:sp]
	}
	dest = strings.TrimSuffix(strings.TrimPrefix(dest, "<"), ">")
	return text, dest, k + 1, true
}

// emphasis finds the closer of the run of n markers at s[i] and the styles it
// stands for; -1 when the run does not open emphasis.
func emphasis(s string, i, n int) (int, attr) {
	c := s[i]
	var a attr
	switch {
	case c == '~' && n == 2:
		a = aStrike
	case c == '~':
		return -1, 0
	case n == 1:
		a = aItalic
	case n == 2:
		a = aBold
	case n == 3:
		a = aBold | aItalic
	default:
		return -1, 0
	}
	// An opener is followed by text, and '_' does not open inside a word
	// (snake_case).
	if i+n >= len(s) || s[i+n] == ' ' {
		return -1, 0
	}
	if c == '_' && i > 0 && isWordByteBefore(s, i) {
		return -1, 0
	}
	delim := s[i : i+n]
	limit := min(len(s), i+n+maxSpan)
	for k := i + n + 1; k+n <= limit; k++ {
		switch s[k] {
		case '`': // emphasis markers inside code do not count
			m := runLen(s, k)
			if j := closingBackticks(s, k+m, m); j >= 0 {
				k = j + m - 1
			}
			continue
		case '\\':
			k++
			continue
		}
		if !strings.HasPrefix(s[k:], delim) || s[k-1] == ' ' {
			continue
		}
		m := runLen(s, k)
		if m != n && !(m > n && k+m == len(s)) { // a longer run belongs to something else
			if m > n {
				k += m - 1
			}
			continue
		}
		if c == '_' && k+n < len(s) && isWordByteAfter(s, k+n) {
			continue
		}
		return k, a
	}
	return -1, 0
}

func runLen(s string, i int) int {
	n := 0
	for i+n < len(s) && s[i+n] == s[i] {
		n++
	}
	return n
}

// closingBackticks finds a run of exactly n backticks from s[from]; -1 if none.
func closingBackticks(s string, from, n int) int {
	limit := min(len(s), from+maxSpan)
	for k := from; k < limit; {
		j := strings.IndexByte(s[k:limit], '`')
		if j < 0 {
			return -1
		}
		k += j
		m := runLen(s, k)
		if m == n {
			return k
		}
		k += m
	}
	return -1
}

func isWordByteBefore(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isWordByteAfter(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isASCIIPunct(c byte) bool {
	return c < 0x80 && unicode.IsPunct(rune(c)) || strings.IndexByte("$+<=>^`|~", c) >= 0
}
