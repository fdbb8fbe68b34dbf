package assemble

import (
	"regexp"
	"sync"

	"gitlab.com/wend/wend/context/refs"
)

// A task such as "fix the failing pipeline on !42" is about the merge
// request's source branch: the attacher adds its head pipeline, and the CLI
// offers to check that branch out (cli/mrcheckout.go).

// fixPipelineWords: the task asks to fix (or make green) a pipeline or job.
// Compiled on first use: every verb pays package init (startup_test.go).
var fixPipelineWords = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b(fix|repair|make .{0,20}(green|pass))\b.*\b(pipeline|ci|job)s?\b|\b(pipeline|ci|job)s?\b.*\b(fix|repair)`)
})

// PipelineMR is the merge request of this project a task asks to fix the
// pipeline of, or 0.
func PipelineMR(task string) int64 {
	for _, r := range refs.Find(task) {
		if r.Kind == refs.MergeRequest && r.Project == "" && (r.HeadPipeline || fixPipelineWords().MatchString(task)) {
			return r.IID
		}
	}
	return 0
}
