package diffview

import (
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/styles"
)

// A proposed file whose content, name and hunk context carry escapes and a bidi
// override: the review shows them, in unified and side-by-side layouts.
func TestHostileFileContentIsShownNotObeyed(t *testing.T) {
	hostile := "\x1b]0;pwned\x07 \x1b]52;c;Y3VybA==\x07 \x1b[2J \u009b2J \u202eevil\u202c"
	files := []session.FileChange{{Path: "evil\u202etxt.go", Kind: session.ChangeModified, Added: 1, Deleted: 1, Language: "go",
		Hunks: []session.Hunk{{ID: "h1", OldStart: 1, OldLines: 2, NewStart: 1, NewLines: 2, Header: "func f() " + hostile, Lines: []string{
			" ctx " + hostile,
			"-old " + hostile,
			"+new " + hostile + "\r",
		}}}}}
	for _, noColor := range []bool{false, true} {
		for _, w := range []int{200, 100} {
			frame := Build(files, styles.New(true, noColor), w).Render(20)
			m := New(styles.New(true, noColor))
			m.SetSize(w, 20)
			m.SetFiles(files)
			frame += "\n" + m.View()
			for _, bad := range []string{"\x1b]", "\x1b[2J", "\x07", "\r", "\u009b", "\u202e", "\u202c"} {
				if strings.Contains(frame, bad) {
					t.Errorf("width %d: the frame carries %q:\n%q", w, bad, frame)
				}
			}
			if rest := regexp.MustCompile(`\x1b\[[0-9;:]*m`).ReplaceAllString(frame, ""); strings.Contains(rest, "\x1b") {
				t.Errorf("width %d: an escape other than wend's own styling (SGR):\n%q", w, rest)
			}
			if plain := ansi.Strip(frame); !strings.Contains(plain, `\u202e`) || !strings.Contains(plain, `evil\u202etxt.go`) {
				t.Errorf("width %d: the bidi override is not shown:\n%s", w, plain)
			}
		}
	}
}
