package refs

import "strings"

// Find returns the references in free text, in order, with their byte offsets.
// A short reference must start at a word boundary, so `a#1`-like fragments
// inside identifiers, e-mail addresses and `&&` are not mistaken for one.
// Trailing sentence punctuation after a URL or path is not part of it.
func Find(text string) []Ref {
	var out []Ref
	for i := 0; i < len(text); {
		if !boundary(text, i) {
			i++
			continue
		}
		end := scan(text, i)
		if end > i {
			if r, err := Parse(text[i:end]); err == nil {
				r.Start, r.End = i, end
				out = append(out, r)
				i = end
				continue
			}
		}
		i++
	}
	return out
}

// boundary reports whether a reference may start at i.
func boundary(text string, i int) bool {
	if i == 0 {
		return true
	}
	switch text[i-1] {
	case ' ', '\t', '\n', '\r', '(', '[', '{', '<', '"', '\'', ',', ';', ':', '`', '*', '>':
		return true
	}
	return false
}

// scan returns the end of the longest candidate reference starting at i, or i.
func scan(text string, i int) int {
	rest := text[i:]
	if strings.HasPrefix(rest, "https://") || strings.HasPrefix(rest, "http://") {
		return i + trimPunct(rest[:tokenEnd(rest)])
	}
	if rest[0] == '@' {
		return i + trimPunct(rest[:tokenEnd(rest)])
	}
	// [path]<sigil><digits>[ pipeline]
	j := 0
	for j < len(rest) && isPathByte(rest[j]) {
		j++
	}
	if j >= len(rest) || (rest[j] != '#' && rest[j] != '!' && rest[j] != '&') {
		return i
	}
	k := j + 1
	for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
		k++
	}
	if k == j+1 || (k < len(rest) && (isPathByte(rest[k]))) {
		return i
	}
	if rest[j] == '!' && strings.HasPrefix(rest[k:], " pipeline") {
		e := k + len(" pipeline")
		if e == len(rest) || !isPathByte(rest[e]) {
			return i + e
		}
	}
	return i + k
}

func isPathByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '/'
}

func tokenEnd(s string) int {
	for j := 0; j < len(s); j++ {
		switch s[j] {
		case ' ', '\t', '\n', '\r', '"', '\'', '<', '>', '`':
			return j
		}
	}
	return len(s)
}

// trimPunct drops sentence punctuation and an unbalanced closing bracket from
// the end of a token, returning the new length.
func trimPunct(s string) int {
	for len(s) > 0 {
		switch s[len(s)-1] {
		case '.', ',', ';', ':', '!', '?', ')', ']', '}', '*':
			s = s[:len(s)-1]
			continue
		}
		break
	}
	return len(s)
}
