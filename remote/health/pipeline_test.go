package health

import (
	"context"
	"net/http"
	"testing"

	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
)

func TestPipelineLoopChecks(t *testing.T) {
	g, caFile := tlsGitLab(t, true, true)
	cfg := cfgFor(g, caFile)
	rs := PipelineChecks(context.Background(), cfg)
	expect(t, rs, CheckCIRead, Pass, "pipelines and jobs are readable")
	expect(t, rs, CheckCIWrite, Pass, "Developer", "draft notes")
	expect(t, rs, CheckCIRunners, Pass, "1 runner(s) online")

	// A read_api token and the Reporter role: reading works, the loop's writes do not.
	g.TokenScopes, g.AccessLevel = []string{"read_api"}, 20
	rs = PipelineChecks(context.Background(), cfg)
	expect(t, rs, CheckCIWrite, Fail, "Reporter", "cannot push", "the api scope")

	// No runner online: every pipeline would wait in pending.
	g.TokenScopes, g.AccessLevel = []string{"api"}, 30
	g.SetRunners(map[string]any{"id": 1, "status": "offline"})
	expect(t, PipelineChecks(context.Background(), cfg), CheckCIRunners, Fail, "no runner is online", "register a runner")

	// Below Maintainer the runners are not listable: said, not guessed.
	g.FailWith("/runners", http.StatusForbidden, `{"message":"403 Forbidden"}`)
	expect(t, PipelineChecks(context.Background(), cfg), CheckCIRunners, Warn, "Maintainer")

	g.FailWith("/pipelines", http.StatusForbidden, `{"message":"403 Forbidden"}`)
	expect(t, PipelineChecks(context.Background(), cfg), CheckCIRead, Fail, "cannot read", "CI/CD")

	cfg.Token = ""
	for _, r := range PipelineChecks(context.Background(), cfg) {
		if r.Status != Skip {
			t.Errorf("without a token %s is %s", r.Name, r.Status)
		}
	}
	_ = gitlabtest.Token
}
