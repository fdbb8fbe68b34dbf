package pack

import (
	"strings"
	"testing"
)

func TestFitCutsAtLineAndSaysHow(t *testing.T) {
	d := New(300)
	d.Write("# Title\n")
	body := strings.Repeat("a line of the description\n", 40)
	if d.Fit(body, 1000, "description", "open https://x/1") {
		t.Fatal("Fit reported whole")
	}
	out := d.String()
	if d.Len() > 300 {
		t.Errorf("doc is %d bytes, limit 300", d.Len())
	}
	if !strings.Contains(out, "description cut:") || !strings.Contains(out, "open https://x/1") {
		t.Errorf("no cut note:\n%s", out)
	}
	if !strings.Contains(out, "Truncated to fit") {
		t.Errorf("no closing list:\n%s", out)
	}
	kept := strings.SplitN(out, "\n… [", 2)[0]
	if !strings.HasSuffix(strings.TrimSuffix(kept, "\n"), "description") {
		t.Errorf("cut inside a line: %q", kept[len(kept)-30:])
	}
}

func TestFitWholeWhenItFits(t *testing.T) {
	d := New(0)
	if !d.Fit("small", 100, "x", "y") || d.String() != "small" || len(d.Cuts()) != 0 {
		t.Errorf("got %q cuts %v", d.String(), d.Cuts())
	}
}

func TestCutAtKeepsUTF8(t *testing.T) {
	s := strings.Repeat("é", 10)
	for n := 0; n <= len(s); n++ {
		c := CutAt(s, n)
		if c > n || !strings.HasPrefix(s, s[:c]) || (c < len(s) && s[c]&0xC0 == 0x80) {
			t.Fatalf("CutAt(%d) = %d splits a rune", n, c)
		}
	}
}

func TestJoinSharesBudget(t *testing.T) {
	out := Join([]Item{
		{Ref: "#1", Markdown: "short"},
		{Ref: "!2", Markdown: strings.Repeat("x\n", 2000)},
	}, 1000)
	if !strings.Contains(out, "short") || !strings.Contains(out, "context of !2 cut") {
		t.Errorf("Join output:\n%s", out)
	}
	if len(out) > 1300 {
		t.Errorf("Join output %d bytes for limit 1000", len(out))
	}
}
