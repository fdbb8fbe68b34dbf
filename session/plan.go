package session

import (
	"fmt"
	"strconv"
	"strings"
)

// StepStatus is where a plan step stands.
type StepStatus string

const (
	StepPending StepStatus = "pending"
	StepRunning StepStatus = "in_progress"
	StepDone    StepStatus = "done"
	StepSkipped StepStatus = "skipped"
	StepFailed  StepStatus = "failed"
)

// ParseStepStatus accepts the statuses the tools contract names, plus a few synonyms
// models like to use, so a slightly-off tool call still moves the step.
func ParseStepStatus(s string) (StepStatus, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "pending", "todo", "not_started":
		return StepPending, nil
	case "in_progress", "running", "started", "active":
		return StepRunning, nil
	case "done", "completed", "complete", "finished":
		return StepDone, nil
	case "skipped", "skip", "cancelled":
		return StepSkipped, nil
	case "failed", "error":
		return StepFailed, nil
	}
	return "", fmt.Errorf("unknown step status %q (use in_progress, done, skipped or failed)", s)
}

// Finished reports whether the step will not run again.
func (s StepStatus) Finished() bool {
	return s == StepDone || s == StepSkipped || s == StepFailed
}

// Step is one item of the plan checklist.
type Step struct {
	ID     string     `json:"id"`
	Title  string     `json:"title"`
	Status StepStatus `json:"status"`
	Note   string     `json:"note,omitempty"`
}

// Plan is the ordered checklist. Step ids are assigned in creation order ("1", "2",
// ...) and never reused, whoever creates the step; NextID remembers the counter.
type Plan struct {
	Steps  []Step `json:"steps"`
	NextID int    `json:"next_id"`
}

// Clone returns a deep copy, so a plan can be handed out in an event without later
// mutations showing through.
func (p Plan) Clone() Plan {
	c := Plan{NextID: p.NextID, Steps: make([]Step, len(p.Steps))}
	copy(c.Steps, p.Steps)
	return c
}

func (p *Plan) newID() string {
	if p.NextID < 1 {
		p.NextID = 1
	}
	id := strconv.Itoa(p.NextID)
	p.NextID++
	return id
}

// Index returns the position of the step with id, or -1.
func (p *Plan) Index(id string) int {
	for i, s := range p.Steps {
		if s.ID == id {
			return i
		}
	}
	return -1
}

// Step returns the step with id.
func (p *Plan) Step(id string) (*Step, bool) {
	if i := p.Index(id); i >= 0 {
		return &p.Steps[i], true
	}
	return nil, false
}

// Current is the first running step, else the first pending one.
func (p *Plan) Current() (*Step, bool) {
	for i := range p.Steps {
		if p.Steps[i].Status == StepRunning {
			return &p.Steps[i], true
		}
	}
	for i := range p.Steps {
		if p.Steps[i].Status == StepPending {
			return &p.Steps[i], true
		}
	}
	return nil, false
}

// ReplacePending implements set_plan: finished and running steps stay where they are,
// pending steps are replaced by new ones with fresh ids.
func (p *Plan) ReplacePending(titles []string) {
	kept := p.Steps[:0:0]
	for _, s := range p.Steps {
		if s.Status != StepPending {
			kept = append(kept, s)
		}
	}
	for _, t := range titles {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		kept = append(kept, Step{ID: p.newID(), Title: t, Status: StepPending})
	}
	p.Steps = kept
}

// Done counts finished steps, for "3/5" displays.
func (p *Plan) Done() (done, total int) {
	for _, s := range p.Steps {
		if s.Status.Finished() {
			done++
		}
	}
	return done, len(p.Steps)
}

// Checklist renders the plan as plain text lines, for headless output and for the
// model (which reads the same ids it must use in update_step).
func (p *Plan) Checklist() string {
	var b strings.Builder
	for _, s := range p.Steps {
		fmt.Fprintf(&b, "%s %s. %s", s.Status.Box(), s.ID, s.Title)
		if s.Note != "" {
			fmt.Fprintf(&b, " (%s)", s.Note)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Box is a plain-text checkbox for the status.
func (s StepStatus) Box() string {
	switch s {
	case StepRunning:
		return "[>]"
	case StepDone:
		return "[x]"
	case StepSkipped:
		return "[-]"
	case StepFailed:
		return "[!]"
	}
	return "[ ]"
}

// PlanEditOp names a user edit of the checklist.
type PlanEditOp string

const (
	EditReword PlanEditOp = "reword"
	EditAdd    PlanEditOp = "add"
	EditDelete PlanEditOp = "delete"
	EditMove   PlanEditOp = "move"
	EditSkip   PlanEditOp = "skip"
)

// PlanEdit is one change the user makes to the plan. Only steps that have not started
// may be reworded, deleted, moved or skipped.
type PlanEdit struct {
	Op     PlanEditOp `json:"op"`
	StepID string     `json:"step_id,omitempty"`
	// Title is the new wording (reword) or the new step's title (add).
	Title string `json:"title,omitempty"`
	// After places an added step after this step id; empty appends at the end.
	After string `json:"after,omitempty"`
	// By moves a step up (negative) or down (positive) by that many places.
	By int `json:"by,omitempty"`
}

// Apply changes the plan and returns a sentence saying what changed, for the model.
func (p *Plan) Apply(e PlanEdit) (string, error) {
	if e.Op == EditAdd {
		title := strings.TrimSpace(e.Title)
		if title == "" {
			return "", fmt.Errorf("a new step needs a title")
		}
		at := len(p.Steps)
		if e.After != "" {
			i := p.Index(e.After)
			if i < 0 {
				return "", fmt.Errorf("no step %q to add after", e.After)
			}
			at = i + 1
		}
		s := Step{ID: p.newID(), Title: title, Status: StepPending}
		p.Steps = append(p.Steps[:at], append([]Step{s}, p.Steps[at:]...)...)
		// Where it went matters to the model as much as what it says.
		where := "at the end"
		if e.After != "" {
			where = "after step " + e.After
		}
		return fmt.Sprintf("The user added step %s %q %s.", s.ID, title, where), nil
	}
	i := p.Index(e.StepID)
	if i < 0 {
		return "", fmt.Errorf("no step %q in the plan", e.StepID)
	}
	s := &p.Steps[i]
	if s.Status != StepPending && e.Op != EditReword {
		return "", fmt.Errorf("step %s is %s; only pending steps can be changed", s.ID, s.Status)
	}
	switch e.Op {
	case EditReword:
		title := strings.TrimSpace(e.Title)
		if title == "" {
			return "", fmt.Errorf("a step needs a title")
		}
		if s.Status.Finished() {
			return "", fmt.Errorf("step %s is %s; it can no longer be reworded", s.ID, s.Status)
		}
		old := s.Title
		s.Title = title
		return fmt.Sprintf("The user reworded step %s from %q to %q.", s.ID, old, title), nil
	case EditDelete:
		// s points into the slice: read the title before the next step slides
		// into its place.
		title := s.Title
		p.Steps = append(p.Steps[:i], p.Steps[i+1:]...)
		return fmt.Sprintf("The user deleted step %s %q; do not do it.", e.StepID, title), nil
	case EditSkip:
		s.Status = StepSkipped
		return fmt.Sprintf("The user skipped step %s %q; do not do it.", s.ID, s.Title), nil
	case EditMove:
		j := i + e.By
		if e.By == 0 || j < 0 || j >= len(p.Steps) {
			return "", fmt.Errorf("step %s cannot move by %d", s.ID, e.By)
		}
		moved := *s
		p.Steps = append(p.Steps[:i], p.Steps[i+1:]...)
		p.Steps = append(p.Steps[:j], append([]Step{moved}, p.Steps[j:]...)...)
		return fmt.Sprintf("The user moved step %s %q to position %d.", moved.ID, moved.Title, j+1), nil
	}
	return "", fmt.Errorf("unknown plan edit %q", e.Op)
}

// Follow applies to p what a plan or step event says about it (a plan proposed
// or edited replaces it; a step started or finished changes that step's
// status) and reports whether the event was one of those. The store's summary
// and a session's continuation rebuild plans from a stored log with it; the UI
// and the headless printer keep their own switches, since they also show what
// a step's end says (its note).
func (p *Plan) Follow(ev Payload) bool {
	switch e := ev.(type) {
	case PlanProposed:
		*p = e.Plan
	case PlanEdited:
		*p = e.Plan
	case StepStarted:
		if s, ok := p.Step(e.StepID); ok {
			s.Status = StepRunning
		}
	case StepFinished:
		if s, ok := p.Step(e.StepID); ok {
			s.Status = e.Status
		}
	default:
		return false
	}
	return true
}
