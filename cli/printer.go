package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"gitlab.com/wend/wend/session"
)

// printer writes a session's events for a headless run: either one JSON object per
// line (--json, the same events the UI sees) or plain progress lines with the plan
// checklist reprinted whenever it changes.
type printer struct {
	w        io.Writer
	json     bool
	plan     session.Plan
	inText   bool
	lastStep string
	// jobs are the watched pipeline's job statuses printed so far (by id), so
	// only changes are printed (pipeline.go).
	jobs map[int64]string
	pipe string
}

func (p *printer) print(e session.Event) {
	if p.json {
		line, err := json.Marshal(e)
		if err != nil {
			fmt.Fprintf(p.w, `{"seq":%d,"type":"error","error":%q}`+"\n", e.Seq, err.Error())
			return
		}
		p.w.Write(append(line, '\n'))
		return
	}
	switch v := e.Payload.(type) {
	case session.TextDelta:
		p.inText = true
		io.WriteString(p.w, v.Text)
		return
	case session.TextFinished:
		if p.inText {
			io.WriteString(p.w, "\n")
		}
		p.inText = false
		return
	}
	if p.inText {
		io.WriteString(p.w, "\n")
		p.inText = false
	}
	switch v := e.Payload.(type) {
	case session.SessionStarted:
		fmt.Fprintf(p.w, "wend · session %s · %s/%s · approval %s\n", v.SessionID, v.Provider, v.Model, v.Approval)
		fmt.Fprintf(p.w, "task: %s\n", v.Task)
	case session.PlanProposed:
		p.plan = v.Plan
		p.printPlan("plan")
	case session.PlanEdited:
		p.plan = v.Plan
		fmt.Fprintf(p.w, "~ %s\n", v.Summary)
		p.printPlan("plan")
	case session.StepStarted:
		if s, ok := p.plan.Step(v.StepID); ok {
			s.Status = session.StepRunning
		}
		fmt.Fprintf(p.w, "▸ step %s: %s\n", v.StepID, v.Title)
	case session.StepFinished:
		if s, ok := p.plan.Step(v.StepID); ok {
			s.Status, s.Note = v.Status, v.Note
		}
		note := ""
		if v.Note != "" {
			note = " (" + v.Note + ")"
		}
		fmt.Fprintf(p.w, "%s step %s %s%s\n", statusMark(v.Status), v.StepID, v.Status, note)
		p.printPlan("plan")
	case session.ToolCalled:
		if engineTools[v.Tool] {
			return // shown as plan and step lines
		}
		fmt.Fprintf(p.w, "  %s %s\n", v.Tool, shortArgs(v.Args, 100))
	case session.ToolFinished:
		if engineTools[v.Tool] && !v.IsError {
			return
		}
		mark := "→"
		if v.IsError {
			mark = "✗"
		}
		took := ""
		if v.Duration >= time.Second {
			took = fmt.Sprintf(" (%s)", v.Duration.Round(100*time.Millisecond))
		}
		fmt.Fprintf(p.w, "    %s %s%s\n", mark, v.Summary, took)
	case session.ChangeStaged:
		fmt.Fprintf(p.w, "  proposed %s %s +%d -%d\n", v.Kind, v.Path, v.Added, v.Deleted)
	case session.ApprovalRequested:
		fmt.Fprintf(p.w, "? approval needed: %s %s%s\n", v.Request.Tool, v.Request.Command, v.Request.Path)
	case session.ApprovalResolved:
		verdict := "denied"
		if v.Approved {
			verdict = "approved"
		}
		fmt.Fprintf(p.w, "  %s %s\n", verdict, v.Reason)
	case session.InputRequested:
		fmt.Fprintf(p.w, "? the agent asks: %s\n", v.Question)
	case session.Paused:
		fmt.Fprintln(p.w, "‖ paused")
	case session.Resumed:
		fmt.Fprintln(p.w, "▶ resumed")
	case session.Notice:
		fmt.Fprintf(p.w, "! %s\n", v.Text)
	case session.PipelineUpdated:
		p.printPipeline(v)
	case session.PipelineFinished:
		p.jobs, p.pipe = nil, ""
		switch {
		case v.Error != "":
			fmt.Fprintf(p.w, "✗ pipeline: %s\n", v.Error)
		case v.Status == "success":
			fmt.Fprintf(p.w, "✓ pipeline #%d passed: %s\n", v.PipelineID, v.URL)
		default:
			var names []string
			for _, j := range v.Failed {
				names = append(names, j.Name)
			}
			failed := ""
			if len(names) > 0 {
				failed = " (" + strings.Join(names, ", ") + ")"
			}
			fmt.Fprintf(p.w, "%s pipeline #%d %s%s: %s\n", statusMark(session.PipelineStepStatus(v.Status)), v.PipelineID, v.Status, failed, v.URL)
		}
	case session.SessionFinished:
		switch v.State {
		case session.StateFinished:
			fmt.Fprintf(p.w, "✓ finished: %s\n", v.Summary)
		case session.StateWaiting:
			fmt.Fprintf(p.w, "… waiting for your answer: %s\n", v.Summary)
		default:
			fmt.Fprintf(p.w, "✗ %s", v.State)
			if v.Error != "" {
				fmt.Fprintf(p.w, ": %s", v.Error)
			}
			fmt.Fprintln(p.w)
		}
	}
}

// engineTools change the session itself; their effect is printed as plan lines.
var engineTools = map[string]bool{"set_plan": true, "update_step": true, "finish": true, "ask_user": true}

func (p *printer) printPlan(title string) {
	done, total := p.plan.Done()
	fmt.Fprintf(p.w, "%s (%d/%d):\n", title, done, total)
	for _, line := range strings.Split(strings.TrimRight(p.plan.Checklist(), "\n"), "\n") {
		fmt.Fprintf(p.w, "  %s\n", line)
	}
}

func statusMark(s session.StepStatus) string {
	switch s {
	case session.StepDone:
		return "✓"
	case session.StepFailed:
		return "✗"
	case session.StepSkipped:
		return "–"
	}
	return "•"
}

// shortArgs renders tool arguments on one line, cut to n characters.
func shortArgs(raw json.RawMessage, n int) string {
	s := strings.Join(strings.Fields(string(raw)), " ")
	if len([]rune(s)) > n {
		s = string([]rune(s)[:n]) + "…"
	}
	return s
}

// printPipeline prints a watched pipeline's status when it changes and each
// job whose status changed, as "  ✓ stage › job (12s)".
func (p *printer) printPipeline(v session.PipelineUpdated) {
	if p.jobs == nil {
		p.jobs = map[int64]string{}
	}
	if head := fmt.Sprintf("%d %s", v.PipelineID, v.Status); head != p.pipe {
		p.pipe = head
		fmt.Fprintf(p.w, "⟳ pipeline #%d %s (%s %s)\n", v.PipelineID, v.Status, v.Ref, shortSHA(v.SHA))
	}
	for _, j := range v.Jobs {
		if p.jobs[j.ID] == j.Status {
			continue
		}
		p.jobs[j.ID] = j.Status
		took := ""
		if j.Duration > 0 && session.PipelineStepStatus(j.Status).Finished() {
			took = fmt.Sprintf(" (%s)", j.Duration.Round(time.Second))
		}
		fmt.Fprintf(p.w, "  %s %s › %s %s%s\n", jobMark(j.Status), j.Stage, j.Name, j.Status, took)
	}
}

func jobMark(status string) string {
	switch session.PipelineStepStatus(status) {
	case session.StepRunning:
		return "…"
	case session.StepPending:
		return "○"
	}
	return statusMark(session.PipelineStepStatus(status))
}
