package duoengine

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gitlab.com/wend/wend/session"
)

// The sample workflow end to end over each transport: plan events, a read, an
// edit staged as a proposal, a shell command approved in the dialog, a tool
// approval stop answered through Resolve on a second stream, git status, and
// FINISHED, with every response the fake received checked.
func TestDuoSampleWorkflow(t *testing.T) {
	for _, transport := range []string{"websocket", "grpc"} {
		t.Run(transport, func(t *testing.T) {
			r := newRig(t, "../../testdata/duo/sample.json", rigOptions{transport: transport, policy: session.PolicyAutoEdit, interactive: true})
			r.answer = approveAll
			r.start("Fix the typo in the greeting")
			fin := r.wait()
			r.noFailures()
			if fin.State != session.StateFinished {
				t.Fatalf("state %s (%s); events: %s", fin.State, fin.Error, r.eventTypes())
			}
			if !strings.Contains(fin.Summary, "Hello, world") {
				t.Errorf("summary %q does not come from workflow_end", fin.Summary)
			}
			if done, total := fin.Plan.Done(); done != 3 || total != 3 {
				t.Errorf("plan %d/%d done: %+v", done, total, fin.Plan)
			}

			// The fix is on disk and staged as a proposal against the baseline.
			data, _ := os.ReadFile(filepath.Join(r.dir, "main.go"))
			if !strings.Contains(string(data), "Hello, world") {
				t.Fatalf("main.go not fixed:\n%s", data)
			}
			props, err := r.gs.Proposals(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(props) != 1 || props[0].Path != "main.go" || props[0].Added != 1 || props[0].Deleted != 1 {
				t.Fatalf("proposals %+v", props)
			}

			// Every response echoes its request id and carries what the tool did.
			resp := r.responses()
			want := map[string]struct {
				contains string
				isErr    bool
			}{
				"req-1-2": {"func greeting() string { return \"Hello, wrold\" }", false},
				"req-1-4": {"Successfully edited main.go", false},
				"req-1-6": {"Exit code: 0\nok  \thello", false},
				"req-2-2": {"M main.go", false},
			}
			if len(resp) != len(want) {
				t.Errorf("got %d responses, want %d: %v", len(resp), len(want), resp)
			}
			for id, w := range want {
				p := resp[id].GetPlainTextResponse()
				if p == nil {
					t.Errorf("%s: no plain-text response", id)
					continue
				}
				if !strings.Contains(p.GetResponse(), w.contains) || (p.GetError() != "") != w.isErr {
					t.Errorf("%s: response %q error %q; want %q", id, p.GetResponse(), p.GetError(), w.contains)
				}
			}
			// read_file's answer is the file itself, without wend's line numbers.
			if got := resp["req-1-2"].GetPlainTextResponse().GetResponse(); !strings.HasPrefix(got, "package main\n") {
				t.Errorf("read answer %q", got)
			}

			starts := r.srv.Starts()
			if len(starts) != 2 {
				t.Fatalf("%d streams", len(starts))
			}
			if starts[0].GetWorkflowID() == "" || starts[1].GetWorkflowID() != starts[0].GetWorkflowID() {
				t.Errorf("workflow ids %q, %q", starts[0].GetWorkflowID(), starts[1].GetWorkflowID())
			}
			if starts[0].GetWorkflowDefinition() != "software_development" || starts[0].GetWorkflowMetadata() == "" {
				t.Errorf("start %v", starts[0])
			}
			ap := starts[1].GetApproval().GetApproval()
			if ap == nil || ap.GetToolName() != "run_git_command" || ap.GetRememberApproval() {
				t.Errorf("approval %v", starts[1].GetApproval())
			}
			if st := r.srv.WorkflowStatus(starts[0].GetWorkflowID()); st != "finished" {
				t.Errorf("fake's workflow status %q", st)
			}

			evs := r.all()
			started := ofType[session.SessionStarted](evs)
			if len(started) != 1 || started[0].Engine != "gitlab-duo" {
				t.Errorf("session started %+v", started)
			}
			plans := ofType[session.PlanProposed](evs)
			if len(plans) != 1 || len(plans[0].Plan.Steps) != 3 || plans[0].Plan.Steps[0].ID != "1" || plans[0].Plan.Steps[2].Title != "Run the tests" {
				t.Errorf("plans %+v", plans)
			}
			var moves []string
			for _, e := range evs {
				switch p := e.Payload.(type) {
				case session.StepStarted:
					moves = append(moves, "start "+p.StepID)
				case session.StepFinished:
					moves = append(moves, "finish "+p.StepID+" "+string(p.Status))
				}
			}
			if got := strings.Join(moves, ", "); got != "start 1, finish 1 done, start 2, finish 2 done, start 3, finish 3 done" {
				t.Errorf("step moves: %s", got)
			}
			var calls []string
			for _, c := range ofType[session.ToolCalled](evs) {
				calls = append(calls, c.Tool+"@"+c.StepID)
			}
			if got := strings.Join(calls, " "); got != "read_file@1 edit_file@2 run_command@3 git@3" {
				t.Errorf("tool calls: %s", got)
			}
			staged := ofType[session.ChangeStaged](evs)
			if len(staged) != 1 || staged[0].Path != "main.go" {
				t.Errorf("staged %+v", staged)
			}
			asks := ofType[session.ApprovalRequested](evs)
			if len(asks) != 2 || asks[0].Request.Command != "go test ./..." || asks[1].Request.Tool != "git" {
				t.Errorf("approval requests %+v", asks)
			}
			if len(ofType[session.ApprovalResolved](evs)) != 2 {
				t.Errorf("approvals resolved: %d", len(ofType[session.ApprovalResolved](evs)))
			}
			usage := ofType[session.UsageReported](evs)
			if len(usage) != 3 || usage[2].ContextTokens != 7600 {
				t.Errorf("usage %+v", usage)
			}
			var text strings.Builder
			for _, d := range ofType[session.TextDelta](evs) {
				text.WriteString(d.Text)
			}
			if !strings.Contains(text.String(), "I'll start by reading main.go.") || !strings.Contains(text.String(), "Checking the working tree.") {
				t.Errorf("text %q", text.String())
			}
			if len(ofType[session.TextFinished](evs)) == 0 {
				t.Error("no TextFinished")
			}
			// The user's own message is not echoed as agent text.
			if strings.Count(text.String(), "Fix the typo in the greeting") != 0 {
				t.Errorf("user message echoed: %q", text.String())
			}
		})
	}
}

func TestDuoAdditionalContextFromReferences(t *testing.T) {
	got := additionalContext(session.Task{Text: "fix #12 as discussed in !34, see https://gitlab.example.com/g/p/-/pipelines/77"})
	var cats []string
	for _, c := range got {
		cats = append(cats, c.GetCategory()+":"+c.GetId())
		if !strings.HasPrefix(c.GetMetadata(), "{") {
			t.Errorf("metadata %q is not JSON", c.GetMetadata())
		}
	}
	want := []string{"issue:#12", "merge_request:!34", "snippet:https://gitlab.example.com/g/p/-/pipelines/77"}
	if !slices.Equal(cats, want) {
		t.Fatalf("additional context %v, want %v", cats, want)
	}
}
