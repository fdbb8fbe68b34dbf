package llm

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// BenchmarkSSEHugeLine reads one 8 MB data: line delivered 16 KB at a time, as
// a server that sends a whole file as tool arguments would: finding the line's
// end must stay linear in its length (it was quadratic: 4 MB took 483 ms).
func BenchmarkSSEHugeLine(b *testing.B) {
	body := "data: " + strings.Repeat("x", 8<<20) + "\n\n"
	for b.Loop() {
		r := newSSEReader(iotest.HalfReader(&chunked{s: body, n: 32 << 10}))
		if _, ok := r.Next(); !ok {
			b.Fatal("no event")
		}
	}
}

// chunked reads s at most n bytes at a time.
type chunked struct {
	s string
	n int
}

func (c *chunked) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.s)
	c.s = c.s[k:]
	return k, nil
}
