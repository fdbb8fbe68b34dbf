package session

import "time"

// A CI pipeline watched after a push is shown as a step of the plan: its jobs
// update live (stage, name, status, duration). The events are plain data; the
// watcher lives in remote/gitlab and cli turns its states into these.

// PipelineJob is one CI job of a watched pipeline.
type PipelineJob struct {
	ID            int64         `json:"id"`
	Name          string        `json:"name"`
	Stage         string        `json:"stage"`
	Status        string        `json:"status"`
	Duration      time.Duration `json:"duration_ns,omitempty"`
	AllowFailure  bool          `json:"allow_failure,omitempty"`
	FailureReason string        `json:"failure_reason,omitempty"`
}

type (
	// PipelineUpdated carries a watched pipeline whenever its status or a
	// job changed. The first one of a pipeline opens its plan step.
	PipelineUpdated struct {
		PipelineID int64         `json:"pipeline_id"`
		Status     string        `json:"status"`
		Ref        string        `json:"ref,omitempty"`
		SHA        string        `json:"sha,omitempty"`
		URL        string        `json:"url,omitempty"`
		Jobs       []PipelineJob `json:"jobs,omitempty"`
		// Attempt is 0 for the pipeline of the first push, then the number of
		// the fix attempt whose push started it.
		Attempt int `json:"attempt,omitempty"`
	}
	// PipelineFinished closes a watched pipeline's step: its final status, or
	// Error when the watch itself ended (no pipeline appeared, GitLab refused).
	PipelineFinished struct {
		PipelineID int64         `json:"pipeline_id,omitempty"`
		Status     string        `json:"status,omitempty"`
		URL        string        `json:"url,omitempty"`
		Failed     []PipelineJob `json:"failed,omitempty"`
		Error      string        `json:"error,omitempty"`
		Attempt    int           `json:"attempt,omitempty"`
	}
)

func (PipelineUpdated) Type() string  { return "pipeline_updated" }
func (PipelineFinished) Type() string { return "pipeline_finished" }

// PipelineStepStatus is how the pipeline's plan step shows a pipeline status.
func PipelineStepStatus(status string) StepStatus {
	switch status {
	case "success":
		return StepDone
	case "failed", "canceled":
		return StepFailed
	case "skipped", "manual", "blocked":
		return StepSkipped
	case "":
		return StepPending
	}
	return StepRunning
}
