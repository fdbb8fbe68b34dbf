package duo_test

import (
	"fmt"
	"gitlab.com/wend/wend/remote/duo/duotest"
	"sort"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"gitlab.com/wend/wend/remote/duo"
	"gitlab.com/wend/wend/remote/duo/contract"
)

// TestCheckpointGolden folds each fixture through a Tracker and renders every
// update and the final state. Update with `go test ./remote/duo -run Golden -update`.
func TestCheckpointGolden(t *testing.T) {
	for _, name := range []string{"incremental", "full"} {
		t.Run(name, func(t *testing.T) {
			incremental, checkpoints, err := duotest.LoadCheckpoints("../../testdata/duo/checkpoints/" + name + ".json")
			if err != nil {
				t.Fatal(err)
			}
			tr := &duo.Tracker{Incremental: incremental}
			var b strings.Builder
			for i, nc := range checkpoints {
				u, err := tr.Apply(nc)
				if err != nil {
					t.Fatalf("checkpoint %d: %v", i+1, err)
				}
				renderUpdate(&b, i+1, u)
			}
			fmt.Fprintf(&b, "== final: %s, turn end %v, terminal %v\n", tr.Status, duo.IsTurnEnd(tr.Status), duo.IsTerminal(tr.Status))
			for i, e := range tr.Log.Entries() {
				fmt.Fprintf(&b, "  [%d] %s\n", i, entryLine(e))
			}
			if p := duo.PendingApproval(tr.Log.Entries()); p != nil {
				fmt.Fprintf(&b, "  pending approval: %s\n", p.ToolInfo.Name)
			}
			golden.RequireEqual(t, b.String())
		})
	}
}

func renderUpdate(b *strings.Builder, n int, u duo.Update) {
	fmt.Fprintf(b, "== checkpoint %d: %s", n, u.Status)
	if u.StatusChanged {
		b.WriteString(" (changed)")
	}
	b.WriteString("\n")
	if u.Goal != "" {
		fmt.Fprintf(b, "  goal: %s\n", u.Goal)
	}
	for _, e := range u.Errors {
		fmt.Fprintf(b, "  error: %s\n", e)
	}
	for _, c := range u.Chat {
		mark := "~"
		if c.New {
			mark = "+"
		}
		fmt.Fprintf(b, "  chat %s[%d] %s", mark, c.Index, entryLine(c.Entry))
		if c.Delta != "" && !c.New {
			fmt.Fprintf(b, " delta=%q", c.Delta)
		}
		b.WriteString("\n")
	}
	if u.PlanChanged {
		fmt.Fprintf(b, "  plan from %s:\n", u.Plan.Source)
		for _, s := range u.Plan.Steps {
			fmt.Fprintf(b, "    %-9s %s %s (%q)\n", s.State, s.ID, s.Description, s.Status)
		}
	}
	if u.Usage != nil {
		agents := make([]string, 0, len(u.Usage))
		for a := range u.Usage {
			agents = append(agents, a)
		}
		sort.Strings(agents)
		for _, a := range agents {
			fmt.Fprintf(b, "  usage %s: %d/%d\n", a, u.Usage[a].Total, u.Usage[a].Max)
		}
	}
}

func entryLine(e duo.ChatEntry) string {
	s := fmt.Sprintf("id=%q %s", e.MessageID, e.MessageType)
	if e.MessageSubType != "" {
		s += "/" + e.MessageSubType
	}
	if e.Status != "" {
		s += " [" + e.Status + "]"
	}
	s += fmt.Sprintf(" %q", e.Content)
	if e.ToolInfo != nil {
		s += fmt.Sprintf(" tool=%s args=%s", e.ToolInfo.Name, e.ToolInfo.Args)
		if r := e.ToolInfo.ResponseText(); r != "" {
			s += fmt.Sprintf(" response=%q", r)
		}
	}
	if e.ComponentName != "" || e.SubsessionID != "" || e.CorrelationID != "" || e.RequiredPlan != nil {
		s += fmt.Sprintf(" component=%q subsession=%q correlation=%q required_plan=%s", e.ComponentName, e.SubsessionID, e.CorrelationID, e.RequiredPlan)
	}
	return s
}

func TestParseCheckpointErrors(t *testing.T) {
	_, err := duo.ParseCheckpoint(&contract.NewCheckpoint{Status: "RUNNING", Checkpoint: "Traceback (most recent call last):"})
	if err == nil || !strings.Contains(err.Error(), `"Traceback`) {
		t.Errorf("got %v, want an error quoting the first bytes", err)
	}
	cp, err := duo.ParseCheckpoint(&contract.NewCheckpoint{Status: "CREATED"})
	if err != nil || cp.Status != "CREATED" || cp.ChatLog != nil {
		t.Errorf("empty checkpoint: %+v, %v", cp, err)
	}
	// A plan that is not an object, and log entries that are not objects, are skipped.
	cp, err = duo.ParseCheckpoint(&contract.NewCheckpoint{Checkpoint: `{"channel_values":{"plan":"none","ui_chat_log":[1,{"message_id":"x"}]}}`})
	if err != nil || len(cp.ChatLog) != 1 || cp.PlanSteps != nil {
		t.Errorf("lenient parse: %+v, %v", cp, err)
	}
}

func TestChatLogIncrementalWithoutIDs(t *testing.T) {
	var l duo.ChatLog
	l.Apply([]duo.ChatEntry{{Content: "a"}}, true)
	ch := l.Apply([]duo.ChatEntry{{Content: "b"}, {MessageID: "x", Content: "c"}}, true)
	if l.Len() != 3 || len(ch) != 2 || !ch[0].New || ch[1].Index != 2 {
		t.Errorf("log %+v, changes %+v", l.Entries(), ch)
	}
	if ch := l.Apply([]duo.ChatEntry{{MessageID: "x", Content: "c"}}, true); len(ch) != 0 {
		t.Errorf("unchanged entry reported: %+v", ch)
	}
	ch = l.Apply([]duo.ChatEntry{{MessageID: "x", Content: "replaced"}}, true)
	if len(ch) != 1 || ch[0].New || ch[0].Delta != "" || ch[0].Entry.Content != "replaced" {
		t.Errorf("replacement: %+v", ch)
	}
}

func TestStatusVocabulary(t *testing.T) {
	for s, want := range map[string]duo.StepState{
		"Not Started": duo.StatePending, "In Progress": duo.StateRunning, "Completed": duo.StateDone, "Cancelled": duo.StateCancelled,
		"pending": duo.StatePending, "in_progress": duo.StateRunning, "completed": duo.StateDone, "failed": duo.StateFailed,
		"skipped": duo.StateSkipped, "whatever": duo.StatePending,
	} {
		if got := duo.NormalizeStepStatus(s); got != want {
			t.Errorf("%q → %s, want %s", s, got, want)
		}
	}
	for _, s := range []string{duo.StatusInputRequired, duo.StatusPlanApprovalRequired, duo.StatusToolCallApprovalRequired, duo.StatusFinished, duo.StatusFailed, duo.StatusStopped} {
		if !duo.IsTurnEnd(s) {
			t.Errorf("%s should end the turn", s)
		}
	}
	for _, s := range []string{duo.StatusCreated, duo.StatusRunning, duo.StatusPaused} {
		if duo.IsTurnEnd(s) {
			t.Errorf("%s should not end the turn", s)
		}
	}
}
