package cli

import (
	"context"
	"fmt"
	"strings"

	"gitlab.com/wend/wend/context/ciconfig"
	"gitlab.com/wend/wend/remote/health"
)

// CheckCIComponent is doctor's check of the repository's CI/CD components
// (templates/): their inputs are valid and every input they use is declared.
const CheckCIComponent = "ci.component"

// pipelineDoctorChecks are the pipeline loop's checks: the token and role
// against GitLab (remote/health), and the CI component's inputs.
func pipelineDoctorChecks(ctx context.Context, cfg health.Config, root string) []health.Result {
	rs := health.PipelineChecks(ctx, cfg)
	return append(rs, componentCheck(root))
}

func componentCheck(root string) health.Result {
	r := health.Result{Name: CheckCIComponent}
	if root == "" {
		r.Status, r.Reason = health.Skip, "not in a repository"
		return r
	}
	list, err := ciconfig.Components(root)
	switch {
	case err != nil:
		r.Status, r.Reason = health.Fail, "reading templates/: "+err.Error()
		return r
	case len(list) == 0:
		r.Status, r.Reason = health.Skip, "no CI/CD component in this repository (templates/)"
		return r
	}
	var problems []string
	for _, c := range list {
		for _, p := range ciconfig.CheckComponent(root, c) {
			problems = append(problems, c+": "+p)
		}
	}
	if len(problems) > 0 {
		r.Status, r.Reason = health.Fail, strings.Join(problems, "; ")
		r.Fix = "fix the spec: inputs (GitLab rejects the include otherwise); see the CI/CD components docs on inputs"
		return r
	}
	r.Status, r.Reason = health.Pass, fmt.Sprintf("%d component(s), inputs valid: %s", len(list), strings.Join(list, ", "))
	return r
}
