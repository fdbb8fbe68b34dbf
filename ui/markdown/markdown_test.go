package markdown

import (
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/ui/styles"
)

func plain(lines []string) string { return ansi.Strip(strings.Join(lines, "\n")) }

func render(t *testing.T, noColor bool, src string, width int) []string {
	t.Helper()
	lines := New(styles.New(true, noColor)).Render(src, width)
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > width {
			t.Errorf("line %d is %d wide, more than %d: %q", i, w, width, ansi.Strip(l))
		}
		if i := strings.LastIndex(l, "\x1b["); i >= 0 && !strings.HasPrefix(l[i:], "\x1b[m") {
			t.Errorf("line %d leaves a style open: %q", i, l)
		}
	}
	return lines
}

func TestBlocks(t *testing.T) {
	src := "# Title\n\nSome **bold**, *italic*, ~~gone~~ and `code` text.\n\n" +
		"- one\n- two\n  - nested\n    more of nested\n3. three\n\n" +
		"1. first\n2. second\n\n> quoted **text**\n> second line\n\n---\n\n" +
		"```go\nfunc main() {\n\tx := \"s\" // c\n}\n```\n\n" +
		"See [the docs](https://example.com/docs) and <https://example.com/a>, [https://x.io](https://x.io)."
	got := plain(render(t, false, src, 100))
	for _, want := range []string{
		"Title",
		"Some bold, italic, gone and code text.",
		"• one", "• two", "  ◦ nested more of nested",
		"1. first", "2. second",
		"│ quoted text second line",
		"────",
		"  func main() {", "      x := \"s\" // c", "  }",
		"See the docs (https://example.com/docs) and https://example.com/a, https://x.io.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	for _, bad := range []string{"**", "```", "# Title", "~~", "`code`", "[the docs]"} {
		if strings.Contains(got, bad) {
			t.Errorf("raw markdown %q left in:\n%s", bad, got)
		}
	}
}

func TestParagraphsWrapAndCodeDoesNot(t *testing.T) {
	src := "word " + strings.Repeat("wrapme ", 20) + "\n\n```\n" + strings.Repeat("x", 80) + "\n```"
	lines := render(t, false, src, 30)
	if len(lines) < 6 {
		t.Fatalf("paragraph not wrapped at 30:\n%s", plain(lines))
	}
	last := ansi.Strip(lines[len(lines)-1])
	if !strings.HasPrefix(last, "  xxxx") || !strings.HasSuffix(last, "…") {
		t.Errorf("a long code line is cut with an ellipsis, not wrapped: %q", last)
	}
}

func TestSnakeCaseAndLoneMarkersStayLiteral(t *testing.T) {
	got := plain(render(t, false, "use snake_case_name and 2 * 3 * 4, a_b, `x` and ** alone", 80))
	want := "use snake_case_name and 2 * 3 * 4, a_b, x and ** alone"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestInlineCodeNoColorKeepsBackticks(t *testing.T) {
	if got := plain(render(t, true, "run `go test` now", 80)); got != "run `go test` now" {
		t.Errorf("no colour: %q", got)
	}
	lines := render(t, false, "run `go test` now", 80)
	if got := plain(lines); got != "run go test now" {
		t.Errorf("colour: %q", got)
	}
	if strings.Contains(strings.Join(lines, ""), "\u00a0") {
		t.Error("inline code padded with no-break spaces")
	}
}

func TestTable(t *testing.T) {
	src := "| Name | Count | Note |\n|:-----|------:|:----:|\n| `a` | 1 | short |\n| bbbbbb | 22 | a much longer note that will not fit |\n"
	got := render(t, false, src, 40)
	text := plain(got)
	if !strings.Contains(text, "Name   │ Count │") || !strings.Contains(text, "a      │     1 │") {
		t.Errorf("columns not aligned:\n%s", text)
	}
	if !strings.Contains(text, "…") {
		t.Errorf("the wide cell should be cut to fit 40 columns:\n%s", text)
	}
	if strings.Contains(text, "|") {
		t.Errorf("pipes left in:\n%s", text)
	}
}

// A streaming tail is any prefix of a document: none may panic, an open fence
// renders as code, and no line is wider than asked.
func TestEveryPrefixRenders(t *testing.T) {
	doc := "# H\n\n**bo** _it_ [l](http://u) `c\n\n- a\n  - b\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> q\n\n> > ---\n\n```py\ndef f():\n    return 1\n"
	r := New(styles.New(false, false))
	for i := 0; i <= len(doc); i++ {
		for _, w := range []int{1, 5, 40} {
			for _, l := range r.Render(doc[:i], w) {
				if ansi.StringWidth(l) > w {
					t.Fatalf("prefix %d at width %d: line %q too wide", i, w, ansi.Strip(l))
				}
			}
		}
	}
	got := plain(r.Render("text\n\n```go\nfunc f() {", 40))
	if !strings.Contains(got, "  func f() {") || strings.Contains(got, "```") {
		t.Errorf("an unclosed fence should render as code:\n%s", got)
	}
}

func TestInline(t *testing.T) {
	r := New(styles.New(true, false))
	if got := ansi.Strip(r.Inline("Fixed `Mean` in **stats.go**", lipgloss.NewStyle())); got != "Fixed Mean in stats.go" {
		t.Errorf("Inline: %q", got)
	}
	if got := ansi.Strip(New(styles.New(true, true)).Inline("Fixed `Mean`", lipgloss.NewStyle())); got != "Fixed `Mean`" {
		t.Errorf("Inline without colour: %q", got)
	}
}

func FuzzRender(f *testing.F) {
	for _, s := range []string{"# a\n\n- b\n  1. c", "| a |\n|-|\n| b | c |", "**a *b** c*", "[a](b", "```\n", "> > x", "\\*x\\*", "> > ---", "  - a\n\n    - b"} {
		f.Add(s)
	}
	r := New(styles.New(true, false))
	f.Fuzz(func(t *testing.T, s string) {
		for _, l := range r.Render(s, 20) {
			if ansi.StringWidth(l) > 20 {
				t.Fatalf("too wide: %q", l)
			}
		}
	})
}

// Unmatched markers in a long paragraph must not cost quadratic time (each
// opener used to scan to the paragraph's end for its closer).
func TestUnmatchedMarkersStayLinear(t *testing.T) {
	r := New(styles.New(true, false))
	for _, unit := range []string{"*a ", "[a ", "`a` `` ", "_a ", "[a](b "} {
		r.Render(strings.Repeat(unit, 20_000), 80)
	}
}

// The transcript renders a loose list block by block, so a nested item after a
// blank line arrives alone, indented: it keeps its indentation and bullet.
func TestIndentedListAloneKeepsItsLevel(t *testing.T) {
	got := plain(render(t, false, "  - nested\n    more", 40))
	if got != "  ◦ nested more" {
		t.Errorf("got %q", got)
	}
}
