package tools

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCapHeadTail(t *testing.T) {
	t.Parallel()
	if got := capHeadTail("short\n", 1000); got != "short\n" {
		t.Errorf("fits: %q", got)
	}
	// No newlines and multi-byte runes: cuts must not split a rune.
	s := strings.Repeat("é", 5000)
	got := capHeadTail(s, 1000)
	if len(got) > 1000 || !utf8.ValidString(got) {
		t.Fatalf("len %d, valid %v", len(got), utf8.ValidString(got))
	}
	if !strings.Contains(got, "bytes (0 lines) cut from the middle") {
		t.Errorf("no note: %q", got)
	}
	head, tail, _ := strings.Cut(got, "\n[…")
	tail = tail[strings.Index(tail, "]\n")+2:]
	var cut int
	i := strings.Index(got, "[… ")
	if _, err := fmt.Sscanf(got[i:], "[… %d bytes", &cut); err != nil {
		t.Fatal(err)
	}
	if len(head)+len(tail)+cut != len(s) {
		t.Errorf("head %d + tail %d + cut %d != %d", len(head), len(tail), cut, len(s))
	}
}
