package tools

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// capHeadTail keeps the beginning and the end of s within about max bytes (see
// headTail).
func capHeadTail(s string, max int) string {
	w := newHeadTail(max)
	w.Write([]byte(s))
	return w.String()
}

// headTail is an io.Writer that keeps only the first and the last bytes written,
// within about max bytes in all, and counts what it dropped: for command output
// the start (what ran) and the end (the error, the summary) matter most. Not safe
// for concurrent writes.
type headTail struct {
	headMax, tailMax int
	head, tail       []byte
	total, lines     int
}

func newHeadTail(max int) *headTail {
	const note = 100 // room for the "cut" note
	budget := max - note
	if budget < 2 {
		budget = 2
	}
	return &headTail{headMax: budget * 2 / 5, tailMax: budget - budget*2/5}
}

func (w *headTail) Write(p []byte) (int, error) {
	n := len(p)
	w.total += n
	w.lines += bytes.Count(p, []byte{'\n'})
	if room := w.headMax - len(w.head); room > 0 {
		take := min(room, len(p))
		w.head = append(w.head, p[:take]...)
		p = p[take:]
	}
	w.tail = append(w.tail, p...)
	if len(w.tail) > 2*w.tailMax {
		// Slide the window rather than growing without bound.
		k := copy(w.tail, w.tail[len(w.tail)-w.tailMax:])
		w.tail = w.tail[:k]
	}
	return n, nil
}

// String returns everything written when it fit; otherwise the head and the tail,
// cut at line boundaries when one is near and never inside a UTF-8 sequence, with
// a note in between saying how many bytes and lines were cut.
func (w *headTail) String() string {
	tail := w.tail
	if len(tail) > w.tailMax {
		tail = tail[len(tail)-w.tailMax:]
	}
	if len(w.head)+len(tail) == w.total {
		return string(w.head) + string(tail)
	}
	h, t := string(w.head), string(tail)
	if i := strings.LastIndexByte(h, '\n'); i > len(h)/2 {
		h = h[:i+1]
	}
	h = trimToRuneStart(h)
	if i := strings.IndexByte(t, '\n'); i >= 0 && i < len(t)/2 {
		t = t[i+1:]
	}
	for len(t) > 0 && !utf8.RuneStart(t[0]) {
		t = t[1:]
	}
	cutBytes := w.total - len(h) - len(t)
	cutLines := w.lines - strings.Count(h, "\n") - strings.Count(t, "\n")
	note := fmt.Sprintf("[… %d bytes (%d lines) cut from the middle …]\n", cutBytes, cutLines)
	if !strings.HasSuffix(h, "\n") {
		note = "\n" + note
	}
	return h + note + t
}

// trimToRuneStart drops a trailing incomplete UTF-8 sequence.
func trimToRuneStart(s string) string {
	for i := len(s) - 1; i >= 0 && i >= len(s)-utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			if !utf8.FullRuneInString(s[i:]) {
				return s[:i]
			}
			break
		}
	}
	return s
}

// shorten cuts s to at most n bytes on a rune boundary, adding "…".
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return trimToRuneStart(s[:n]) + "…"
}

// plural formats a count with a noun: "1 file", "3 files".
func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	if strings.HasSuffix(one, "y") && !strings.HasSuffix(one, "ey") {
		return fmt.Sprintf("%d %sies", n, one[:len(one)-1])
	}
	if strings.HasSuffix(one, "ch") || strings.HasSuffix(one, "s") {
		return fmt.Sprintf("%d %ses", n, one)
	}
	return fmt.Sprintf("%d %ss", n, one)
}
