package gitops

import (
	"slices"
	"strings"
	"testing"
)

// FuzzHunks checks hunk splitting and applying on arbitrary texts a (old) and
// b (new), with pick choosing a subset of hunks:
//   - applying every hunk to a gives b, reverting every hunk from b gives a;
//   - applying a subset then the rest, in the way decisions do, gives b;
//   - display lines agree with the hunk's line counts and rebuild b;
//   - transfer's identities hold and conflict ranges lie inside ours.
func FuzzHunks(f *testing.F) {
	f.Add([]byte("a\nb\nc\n"), []byte("a\nB\nc\n"), byte(1))
	f.Add([]byte("x\r\ny\r\n"), []byte("x\r\ny\n"), byte(0))
	f.Add([]byte("no newline"), []byte("no newline\n"), byte(3))
	f.Add([]byte(""), []byte("new\nfile\n"), byte(1))
	f.Fuzz(func(t *testing.T, a, b []byte, pick byte) {
		la, lb := splitLines(a), splitLines(b)
		hunks := makeHunks("p", la, lb)
		var all []region
		for _, h := range hunks {
			all = append(all, h.Regions...)
			checkDisplay(t, h)
		}
		if got := joinLines(applyRegions(la, lb, all)); string(got) != string(b) {
			t.Fatalf("apply all: %q, want %q", got, b)
		}
		if got := joinLines(revertRegions(la, lb, all)); string(got) != string(a) {
			t.Fatalf("revert all: %q, want %q", got, a)
		}
		if got := unifiedApply(la, hunks); got != string(b) {
			t.Fatalf("display lines rebuild %q, want %q", got, b)
		}
		// Decide a subset first (accept moves the base), then the rest.
		var first []region
		for i, h := range hunks {
			if pick>>(i%8)&1 == 1 {
				first = append(first, h.Regions...)
			}
		}
		mid := applyRegions(la, lb, first)
		rest := makeHunks("p", mid, lb)
		var rs []region
		for _, h := range rest {
			rs = append(rs, h.Regions...)
		}
		if got := joinLines(applyRegions(mid, lb, rs)); string(got) != string(b) {
			t.Fatalf("apply rest: %q, want %q", got, b)
		}
		// Reject the subset from b, as reject does, and transfer it onto b.
		rej := revertRegions(la, lb, first)
		out, bad := transfer(lb, lb, rej)
		if len(bad) > 0 || !slices.Equal(out, rej) {
			t.Fatalf("transfer onto unchanged ours: %q %v", out, bad)
		}
		if out, bad := transfer(la, lb, la); len(bad) > 0 || !slices.Equal(out, lb) {
			t.Fatalf("transfer of no change: %q %v", out, bad)
		}
		if out, bad := transfer(la, lb, lb); len(bad) > 0 || !slices.Equal(out, lb) {
			t.Fatalf("transfer of an identical change: %q %v", out, bad)
		}
		// ours = b, theirs = a with the subset: every conflict names lines of b.
		out, bad = transfer(la, lb, mid)
		for _, r := range bad {
			if r.First < 1 || r.Last > len(lb) || (r.Last < r.First && r.First > len(lb)+1) {
				t.Fatalf("conflict %v outside 1..%d", r, len(lb))
			}
		}
		if len(bad) == 0 && out == nil && len(lb)+len(mid)-len(la) > 0 {
			t.Fatalf("no conflict and no result")
		}
	})
}

func checkDisplay(t *testing.T, h textHunk) {
	t.Helper()
	old, nw := 0, 0
	for _, l := range h.Lines {
		switch l[0] {
		case ' ':
			old++
			nw++
		case '-':
			old++
		case '+':
			nw++
		}
	}
	if old != h.OldLines || nw != h.NewLines {
		t.Fatalf("hunk counts %d,%d; lines say %d,%d", h.OldLines, h.NewLines, old, nw)
	}
}

// unifiedApply rebuilds the new text from the old one and the hunks' display
// lines alone, as a unified-diff reader would.
func unifiedApply(old []string, hunks []textHunk) string {
	var out []string
	pos := 0 // 0-based index into old
	for _, h := range hunks {
		start := h.OldStart - 1
		if h.OldLines == 0 {
			start = h.OldStart
		}
		out = append(out, old[pos:start]...)
		pos = start
		var body []string
		for _, l := range h.Lines {
			if l == `\ No newline at end of file` {
				body[len(body)-1] = strings.TrimSuffix(body[len(body)-1], "\n")
				continue
			}
			body = append(body, l[:1]+l[1:]+"\n")
		}
		for _, l := range body {
			switch l[0] {
			case ' ':
				out = append(out, l[1:])
				pos++
			case '-':
				pos++
			case '+':
				out = append(out, l[1:])
			}
		}
	}
	out = append(out, old[pos:]...)
	return string(joinLines(out))
}
