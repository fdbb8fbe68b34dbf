package duoengine

import (
	"encoding/json"
	"fmt"
	"gitlab.com/wend/wend/remote/duo/duotest"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"gitlab.com/wend/wend/session"
)

// TestCheckpointEventsGolden maps the checkpoint fixtures (incremental and full
// ui_chat_log) to events and compares them with the golden files. Update with
// `go test ./session/duoengine -run Golden -update`.
func TestCheckpointEventsGolden(t *testing.T) {
	for _, name := range []string{"incremental", "full"} {
		t.Run(name, func(t *testing.T) {
			incremental, checkpoints, err := duotest.LoadCheckpoints("../../testdata/duo/checkpoints/" + name + ".json")
			if err != nil {
				t.Fatal(err)
			}
			log := session.NewLog(nil)
			e := New(Config{Log: log})
			e.tracker.Incremental = incremental
			var b strings.Builder
			for i, nc := range checkpoints {
				before := log.Last()
				e.checkpoint(nc)
				fmt.Fprintf(&b, "== checkpoint %d (%s)\n", i+1, nc.Status)
				for _, ev := range log.Snapshot(before) {
					fmt.Fprintf(&b, "  %s\n", render(ev.Payload))
				}
			}
			e.closeText()
			fmt.Fprintf(&b, "== end\n")
			for _, ev := range log.Snapshot(log.Last() - 1) {
				fmt.Fprintf(&b, "  %s\n", render(ev.Payload))
			}
			plan := e.Plan()
			fmt.Fprintf(&b, "== plan\n%s", indent(plan.Checklist()))
			golden.RequireEqual(t, b.String())
		})
	}
}

func render(p session.Payload) string {
	switch v := p.(type) {
	case session.TextDelta:
		return fmt.Sprintf("text_delta %q", v.Text)
	case session.PlanProposed:
		var steps []string
		for _, s := range v.Plan.Steps {
			steps = append(steps, fmt.Sprintf("%s:%s[%s]", s.ID, s.Title, s.Status))
		}
		return fmt.Sprintf("plan_proposed %s", strings.Join(steps, " | "))
	}
	b, _ := json.Marshal(p)
	return p.Type() + " " + string(b)
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}
