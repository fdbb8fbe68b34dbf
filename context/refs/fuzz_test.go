package refs

import (
	"testing"
)

// FuzzParse holds Parse to two promises: it never panics, and what it accepts
// prints back (String) to text it reads as the same reference. Find must also
// never panic, and each reference it reports must parse from its own span.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"#12", "group/sub/proj#12", "!34", "group/proj!34", "!34 pipeline", "&5", "group&5",
		"@path/to/file.go", "https://gitlab.com/g/sub/p/-/issues/12", "https://gitlab.com/g/p/issues/12",
		"https://gitlab.com/g/p/-/merge_requests/34/pipelines", "https://h:8443/gitlab/groups/g/-/epics/5",
		"http://h/g/p/pipelines/9", "https://gitlab.com/g/p/-/jobs/77#L10", "see #1, !2 and &3.",
		"a&&b x#3 me@host.io", "https://gitlab.com/g/p/-/issues/", "#", "!0", "@..",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := Parse(s); err == nil {
			again, err := Parse(r.String())
			if err != nil {
				t.Fatalf("Parse(%q) = %+v, but its String %q does not parse: %v", s, r, r.String(), err)
			}
			if again != r {
				t.Fatalf("round trip of %q: %+v became %+v via %q", s, r, again, r.String())
			}
		}
		for _, r := range Find(s) {
			if r.Start < 0 || r.End > len(s) || r.Start >= r.End {
				t.Fatalf("Find(%q): bad span %d..%d", s, r.Start, r.End)
			}
			p, err := Parse(s[r.Start:r.End])
			if err != nil {
				t.Fatalf("Find(%q) reported %q, which does not parse: %v", s, s[r.Start:r.End], err)
			}
			p.Start, p.End = r.Start, r.End
			if p != r {
				t.Fatalf("Find(%q): %+v differs from Parse of its span %+v", s, r, p)
			}
		}
	})
}
