package termtext

import (
	"io"
	"sync"
	"unicode/utf8"
)

// Writer sanitizes everything written through it (see Sanitize) before passing it
// on. It is the one guard in front of a command's stdout or stderr, so no verb has
// to remember which of its strings came from a model, GitLab or a file.
//
// A character may arrive split across writes (a streamed model delta can end in
// the middle of a UTF-8 sequence, or between the CR and LF of a CRLF), so the
// incomplete tail of a write is held back until the next one; Flush writes out
// whatever is still held. Writer is safe for concurrent use.
type Writer struct {
	mu      sync.Mutex
	w       io.Writer
	pending []byte
}

// NewWriter returns a Writer that sanitizes into w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write sanitizes p and writes it on, except a trailing incomplete character.
// It reports len(p) written unless the underlying writer fails.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	data := p
	if len(w.pending) > 0 {
		data = append(w.pending, p...)
		w.pending = nil
	}
	keep := incompleteTail(data)
	if keep > 0 {
		w.pending = append([]byte(nil), data[len(data)-keep:]...)
		data = data[:len(data)-keep]
	}
	if len(data) == 0 {
		return len(p), nil
	}
	if _, err := w.w.Write(sanitizeBytes(data)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes out a held-back tail (escaped, since nothing completed it).
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending) == 0 {
		return nil
	}
	data := w.pending
	w.pending = nil
	_, err := w.w.Write(sanitizeBytes(data))
	return err
}

func sanitizeBytes(b []byte) []byte {
	s := string(b)
	i := firstUnsafe(s)
	if i < 0 {
		return b
	}
	return appendSanitized(append(make([]byte, 0, len(b)+16), b[:i]...), s[i:])
}

// incompleteTail is how many bytes at the end of b might still become something
// else with the next write: a lone CR (CRLF is kept, a lone CR is not) or the
// start of a multi-byte UTF-8 character.
func incompleteTail(b []byte) int {
	n := len(b)
	if n == 0 {
		return 0
	}
	if b[n-1] == '\r' {
		return 1
	}
	for k := 1; k <= utf8.UTFMax-1 && k <= n; k++ {
		c := b[n-k]
		if c < 0x80 {
			return 0
		}
		if c >= 0xc0 { // a lead byte: is its character complete?
			if !utf8.FullRune(b[n-k:]) {
				return k
			}
			return 0
		}
	}
	return 0
}
