package plan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/styles"
)

func samplePlan() session.Plan {
	return session.Plan{NextID: 6, Steps: []session.Step{
		{ID: "1", Title: "Read the failing test and the handler it covers", Status: session.StepDone, Note: "TestLogin fails on an expired token"},
		{ID: "2", Title: "Fix token expiry check in auth/session.go", Status: session.StepRunning},
		{ID: "3", Title: "Add a regression test", Status: session.StepPending},
		{ID: "4", Title: "Update the changelog", Status: session.StepSkipped},
		{ID: "5", Title: "Run the whole test suite", Status: session.StepFailed, Note: "2 tests fail in ./store"},
	}}
}

func TestRenderGolden(t *testing.T) {
	for _, dark := range []bool{true, false} {
		for _, w := range []int{40, 80, 120} {
			name := fmt.Sprintf("%s/%d", theme(dark), w)
			t.Run(name, func(t *testing.T) {
				st := styles.New(dark, false)
				f := Frame{Cursor: 2, Focused: true, Spinner: "⣾", Editing: -1, GoKey: "ctrl+o", Awaiting: w == 80}
				golden.RequireEqual(t, strings.Join(Render(samplePlan(), f, st, w), "\n"))
			})
		}
	}
}

func theme(dark bool) string {
	if dark {
		return "dark"
	}
	return "light"
}

func TestRenderNoColorHasNoColours(t *testing.T) {
	st := styles.New(true, true)
	out := strings.Join(Render(samplePlan(), Frame{Editing: -1}, st, 60), "\n")
	if strings.Contains(out, "38;") || strings.Contains(out, "48;") {
		t.Fatalf("colour escapes with NO_COLOR:\n%q", out)
	}
}
