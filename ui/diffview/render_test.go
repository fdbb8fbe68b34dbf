package diffview

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/styles"
)

func sampleFiles() []session.FileChange {
	return []session.FileChange{
		{Path: "auth/session.go", Kind: session.ChangeModified, Added: 3, Deleted: 2, Language: "go", Hunks: []session.Hunk{
			{ID: "h1", OldStart: 10, OldLines: 5, NewStart: 10, NewLines: 6, Header: "func (s *Session) Valid() bool", State: session.HunkAccepted, Lines: []string{
				" func (s *Session) Valid() bool {",
				"-\treturn time.Now().Before(s.Expires)",
				"+\tnow := s.clock()",
				"+\treturn now.Before(s.Expires) && !s.Revoked",
				" }",
				" ",
			}},
			{ID: "h2", OldStart: 40, OldLines: 3, NewStart: 41, NewLines: 3, State: session.HunkProposed, Lines: []string{
				" // Refresh extends the session.",
				"-func (s *Session) Refresh(d time.Duration) {",
				"+func (s *Session) Refresh(ttl time.Duration) {",
				" \ts.Expires = s.Expires.Add(d)",
			}},
		}},
		{Path: "web/app.py", Kind: session.ChangeAdded, Added: 2, Language: "python", Hunks: []session.Hunk{
			{ID: "h3", OldStart: 0, OldLines: 0, NewStart: 1, NewLines: 2, State: session.HunkRejected, Lines: []string{
				"+def handler(request):",
				"+    return {\"ok\": True}",
			}},
		}},
	}
}

func TestRenderGolden(t *testing.T) {
	for _, dark := range []bool{true, false} {
		for _, w := range []int{40, 80, 120, 160} {
			t.Run(fmt.Sprintf("%v/%d", map[bool]string{true: "dark", false: "light"}[dark], w), func(t *testing.T) {
				d := Build(sampleFiles(), styles.New(dark, false), w)
				out := d.Render(40)
				for _, l := range strings.Split(out, "\n") {
					if ansi.StringWidth(l) > w {
						t.Fatalf("line wider than %d (%d): %q", w, ansi.StringWidth(l), ansi.Strip(l))
					}
				}
				golden.RequireEqual(t, out)
			})
		}
	}
}

func TestWordRange(t *testing.T) {
	a := "func (s *Session) Refresh(d time.Duration) {"
	b := "func (s *Session) Refresh(ttl time.Duration) {"
	s, e := wordRange(a, b)
	if a[s:e] != "d" {
		t.Fatalf("changed part %q", a[s:e])
	}
	if s, e := wordRange("abc", "xyz"); s != 0 || e != 0 {
		t.Fatalf("no common part should not highlight, got %d,%d", s, e)
	}
}

func TestSideBySideFromWidth(t *testing.T) {
	if Build(sampleFiles(), styles.New(true, false), 139).SideBySide {
		t.Fatal("139 columns should be unified")
	}
	if !Build(sampleFiles(), styles.New(true, false), 140).SideBySide {
		t.Fatal("140 columns should be side by side")
	}
}

func TestHighlightsLanguages(t *testing.T) {
	st := styles.New(true, false)
	h := newHighlighter(st)
	for file, src := range map[string]string{
		"a.css": "body { color: red; }", "a.go": "func main() {}", "a.html": "<div class=\"x\">hi</div>",
		"A.java": "public class A {}", "a.js": "const x = 1;", "a.md": "Some `code` text", "a.py": "def f(): pass",
		"a.rb": "def f; end", "a.ts": "let x: number = 1;",
	} {
		lx := h.lexer(file, "")
		if lx == nil {
			t.Errorf("%s: no lexer", file)
			continue
		}
		if segs := h.segments(lx, src); len(segs) < 2 {
			t.Errorf("%s: not highlighted: %v", file, segs)
		}
	}
}
