package session

import (
	"strings"
	"testing"
)

// The message for the model names the step the user deleted, not the one that
// slid into its place (issue 16: `d` on one step reported the next).
func TestPlanDeleteNamesTheDeletedStep(t *testing.T) {
	p := Plan{Steps: []Step{{ID: "1", Title: "A", Status: StepPending}, {ID: "2", Title: "B", Status: StepPending}}, NextID: 3}
	msg, err := p.Apply(PlanEdit{Op: EditDelete, StepID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, `step 1 "A"`) || strings.Contains(msg, `"B"`) {
		t.Fatalf("message %q should name deleted step 1 \"A\" only", msg)
	}
	if len(p.Steps) != 1 || p.Steps[0].Title != "B" {
		t.Fatalf("plan after delete: %+v", p.Steps)
	}
}
