package transcript

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/ui/styles"
)

// Issue 16: inline code was padded with no-break spaces, which read oddly when
// copied and in plain terminals; a style alone marks it.
func TestInlineCodeIsNotPadded(t *testing.T) {
	for _, noColor := range []bool{false, true} {
		m := New(styles.New(true, noColor), nil)
		m.syncRender = true
		m.SetSize(80, 10)
		m.AppendText("Run `go test` now.")
		m.FinishText()
		v := m.View()
		if strings.Contains(v, "\u00a0") {
			t.Errorf("noColor=%v: inline code padded with no-break spaces: %q", noColor, ansi.Strip(v))
		}
		want := "Run go test now."
		if noColor {
			want = "Run `go test` now." // no colour to mark it: the backticks stay
		}
		if !strings.Contains(ansi.Strip(v), want) {
			t.Errorf("noColor=%v: want %q in %q", noColor, want, ansi.Strip(v))
		}
	}
}

// Issue 16: the finish line and the "Done:" notice showed raw backticks while the
// model's messages rendered them.
func TestNoticeAndFinishLineRenderInlineMarkdown(t *testing.T) {
	m := New(styles.New(true, false), nil)
	m.syncRender = true
	m.SetSize(100, 10)
	m.ToolCalled("c1", "finish", []byte("{\"summary\":\"Fixed `Mean` in **stats.go**\"}"))
	m.ToolFinished("c1", "finish", false, "", "", time.Millisecond)
	m.AddNotice("info", "Done: fixed `Mean` in stats.go")
	v := ansi.Strip(m.View())
	for _, bad := range []string{"`", "**"} {
		if strings.Contains(v, bad) {
			t.Errorf("raw %q in:\n%s", bad, v)
		}
	}
	for _, want := range []string{"Fixed Mean in stats.go", "Done: fixed Mean in stats.go"} {
		if !strings.Contains(v, want) {
			t.Errorf("want %q in:\n%s", want, v)
		}
	}
}
