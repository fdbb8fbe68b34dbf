package transcript

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/ui/styles"
)

const hostile = "\x1b]0;pwned\x07 \x1b]52;c;Y3VybA==\x07 \x1b[2J \u009b2J \u202eevil\u202c"

// sgr is wend's own styling, the only escape a frame may hold.
var sgr = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

// assertFrameSafe fails when a frame holds anything but wend's own styling (OSC,
// CSI 2J, BEL, C1, a bidi control), or does not show the bidi override.
func assertFrameSafe(t *testing.T, what, frame string) {
	t.Helper()
	for _, bad := range []string{"\x1b]", "\x1b[2J", "\x07", "\u009b", "\u202e", "\u202c"} {
		if strings.Contains(frame, bad) {
			t.Errorf("%s: the frame carries %q:\n%q", what, bad, frame)
		}
	}
	if rest := sgr.ReplaceAllString(frame, ""); strings.Contains(rest, "\x1b") {
		t.Errorf("%s: an escape other than wend's own styling (SGR):\n%q", what, rest)
	}
	if !strings.Contains(ansi.Strip(frame), `\u202e`) {
		t.Errorf("%s: the bidi override is not shown:\n%s", what, ansi.Strip(frame))
	}
}

func TestHostileTextIsShownNotObeyed(t *testing.T) {
	for _, noColor := range []bool{false, true} {
		m := New(styles.New(true, noColor), nil)
		m.syncRender = true
		m.SetSize(100, 40)
		// The override arrives split across deltas, as a stream may cut it.
		text := "Model says " + hostile + "\n\nand more."
		cut := strings.Index(text, "\u202e") + 1
		m.AppendText(text[:cut])
		m.AppendText(text[cut:])
		m.FinishText()
		assertFrameSafe(t, "assistant text", m.View())

		m = New(styles.New(true, noColor), nil)
		m.syncRender = true
		m.SetSize(100, 40)
		m.ToolCalled("c1", "run_command", []byte(`{"command":"echo \u202eevil"}`))
		m.ToolFinished("c1", "run_command", false, "exit 0 "+hostile, "out "+hostile+"\n", time.Millisecond)
		m.AddNotice("info", "issue title "+hostile)
		m.AddUser("pasted " + hostile)
		m.ToggleTools()
		assertFrameSafe(t, "tool, notice and user lines", m.View())
	}
}
