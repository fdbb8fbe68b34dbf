package plan

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/styles"
)

// Step titles and notes are the model's words: shown, never obeyed.
func TestRenderShowsHostileTitlesVisibly(t *testing.T) {
	p := session.Plan{Steps: []session.Step{
		{ID: "1", Title: "fix \u202eevil\x1b]0;pwned\x07", Status: session.StepDone, Note: "note \x1b[2J\u2066"},
	}}
	out := strings.Join(Render(p, Frame{Editing: -1}, styles.New(true, false), 120), "\n")
	for _, bad := range []string{"\u202e", "\u2066", "\x1b[2J", "\x1b]", "\x07"} {
		if strings.Contains(out, bad) {
			t.Errorf("the plan carries %q:\n%q", bad, out)
		}
	}
	if plain := ansi.Strip(out); !strings.Contains(plain, `\u202e`) || !strings.Contains(plain, `\u2066`) {
		t.Errorf("the controls are not shown:\n%s", plain)
	}
}
