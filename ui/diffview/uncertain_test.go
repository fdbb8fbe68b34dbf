package diffview

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/styles"
)

// A change wend cannot attribute says so in the review, so the user knows
// reject will keep its bytes.
func TestUncertainChangeIsMarked(t *testing.T) {
	files := []session.FileChange{{Path: "calc.go", Kind: session.ChangeModified, Added: 1, Uncertain: true,
		Hunks: []session.Hunk{{ID: "h1", OldStart: 1, OldLines: 1, NewStart: 1, NewLines: 2, Lines: []string{" a", "+b"}}}}}
	frame := ansi.Strip(Build(files, styles.New(true, true), 120).Render(10))
	if !strings.Contains(frame, "changed while the command ran") {
		t.Fatalf("the review does not mark the uncertain change:\n%s", frame)
	}
	files[0].Uncertain = false
	if frame := ansi.Strip(Build(files, styles.New(true, true), 120).Render(10)); strings.Contains(frame, "changed while") {
		t.Fatalf("a certain change is marked:\n%s", frame)
	}
}
