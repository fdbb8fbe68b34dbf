package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/styles"
)

// The watched pipeline is the plan's last step; its jobs update in place as
// events arrive, and a job name from GitLab cannot drive the terminal.
func TestPipelineStepUpdatesLive(t *testing.T) {
	st := styles.New(true, false)
	m := New(st)
	m.SetPlan(samplePlan())
	text := func() string { return ansi.Strip(strings.Join(m.Lines(st, 60, "⣾", "ctrl+o"), "\n")) }
	if strings.Contains(text(), "Pipeline") {
		t.Fatal("a pipeline before any was watched")
	}
	rev := m.Rev()
	m.SetPipeline(session.PipelineUpdated{PipelineID: 950, Status: "running", Jobs: []session.PipelineJob{
		{ID: 1, Name: "build", Stage: "build", Status: "success", Duration: 4 * time.Second},
		{ID: 2, Name: "te\x1b]0;pwned\x07st", Stage: "test", Status: "running"},
	}})
	if m.Rev() == rev {
		t.Fatal("the revision did not change: a cached view would not show the pipeline")
	}
	got := text()
	for _, want := range []string{"⣾ Pipeline #950 running", "✓ build › build success 4s", "⣾ test › te", "st running"} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, got)
		}
	}
	if raw := strings.Join(m.Lines(st, 60, "⣾", "ctrl+o"), "\n"); strings.Contains(raw, "\x1b]") || strings.Contains(raw, "\x07") {
		t.Fatalf("terminal control from a job name reached the screen:\n%q", raw)
	}
	m.SetPipeline(session.PipelineUpdated{PipelineID: 950, Status: "failed", Jobs: []session.PipelineJob{
		{ID: 1, Name: "build", Stage: "build", Status: "success", Duration: 4 * time.Second},
		{ID: 2, Name: "test", Stage: "test", Status: "failed", Duration: 9 * time.Second},
	}})
	m.FinishPipeline(session.PipelineFinished{PipelineID: 950, Status: "failed"})
	got = text()
	if !strings.Contains(got, "✗ Pipeline #950 failed") || !strings.Contains(got, "✗ test › test failed 9s") || strings.Count(got, "Pipeline #950") != 1 {
		t.Fatalf("after the failure:\n%s", got)
	}
	m.FinishPipeline(session.PipelineFinished{Error: "no pipeline appeared for commit abc"})
	if got = text(); !strings.Contains(got, "↳ no pipeline appeared") {
		t.Fatalf("the watch's error is not shown:\n%s", got)
	}
}
