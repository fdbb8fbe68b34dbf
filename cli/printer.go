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
