package plan

import (
	"fmt"
	"time"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/styles"
)

// A watched CI pipeline is shown as the plan's last step, its jobs beneath it
// updating live: stage › job, status, duration.

// SetPipeline shows (or updates) the watched pipeline.
func (m *Model) SetPipeline(p session.PipelineUpdated) {
	m.rev++
	m.pipeline = &p
}

// FinishPipeline settles the pipeline's step: its final status, or the
// watch's error.
func (m *Model) FinishPipeline(f session.PipelineFinished) {
	m.rev++
	if m.pipeline == nil || (f.PipelineID != 0 && m.pipeline.PipelineID != f.PipelineID) {
		m.pipeline = &session.PipelineUpdated{PipelineID: f.PipelineID, URL: f.URL}
	}
	m.pipeline.Status = f.Status
	m.pipeErr = f.Error
}

// Pipeline is the watched pipeline, if any.
func (m Model) Pipeline() (session.PipelineUpdated, bool) {
	if m.pipeline == nil {
		return session.PipelineUpdated{}, false
	}
	return *m.pipeline, true
}

// RenderPipeline draws the pipeline step: a title line with the pipeline's
// status as a step status, then one line per job.
func RenderPipeline(p session.PipelineUpdated, errText string, st styles.Styles, width int, spinner string) []string {
	status := session.PipelineStepStatus(p.Status)
	if errText != "" {
		status = session.StepFailed
	}
	icon, ist := Icon(status, st, spinner)
	title := fmt.Sprintf("Pipeline #%d", p.PipelineID)
	if p.PipelineID == 0 {
		title = "Pipeline"
	}
	if p.Status != "" {
		title += " " + p.Status
	}
	if p.Attempt > 0 {
		title += fmt.Sprintf(" (fix %d)", p.Attempt)
	}
	indent := "  "
	tw := max(width-ansi.StringWidth(icon)-1, 4)
	var out []string
	for j, l := range wrap(title, tw) {
		if j == 0 {
			out = append(out, ist.Render(icon)+" "+st.Bold.Render(l))
		} else {
			out = append(out, indent+st.Bold.Render(l))
		}
	}
	for _, job := range p.Jobs {
		jicon, jst := Icon(session.PipelineStepStatus(job.Status), st, spinner)
		line := fmt.Sprintf("%s › %s %s", job.Stage, job.Name, job.Status)
		if job.Duration > 0 {
			line += " " + job.Duration.Round(time.Second).String()
		}
		if job.AllowFailure && job.Status == "failed" {
			line += " (allowed)"
		}
		out = append(out, indent+jst.Render(jicon)+" "+ansi.Truncate(wrap(line, 0)[0], max(width-4, 4), "…"))
	}
	if errText != "" {
		for _, l := range wrap(errText, max(width-4, 4)) {
			out = append(out, indent+st.StepNote.Render("↳ "+l))
		}
	}
	return out
}
