package cli

import (
	"fmt"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
)

// `wend context` on a job URL whose log GitLab Runner 18.7+ wrote (a
// timestamp and stream header on every line, long lines and progress bars
// split into continuations) shows the log as GitLab's viewer does: no
// headers, the sections with their titles, the failing test found.
func TestContextOfAJobWithATimestampedLog(t *testing.T) {
	srv := gitlabtest.New(t)
	dir := gitlabRepo(t, srv)
	env := wendEnv(t, map[string]string{"GITLAB_TOKEN": gitlabtest.Token})
	url := fmt.Sprintf("%s/%s/-/jobs/%d", srv.URL(), gitlabtest.Project, gitlabtest.StampedJobID)
	code, out, errOut := wend(t, env, "-C", dir, "context", url)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"▸ get_sources, lines", ": Getting source from Git repository",
		"▾ (first error here) step_script",
		"| --- FAIL: TestLoadMissingFile (0.00s)",
		"| ERROR: Job failed: exit code 1",
		"(first error-like line: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("context output lacks %q:\n%.3000s", want, out)
		}
	}
	if strings.Contains(out, "Z 01O") || strings.Contains(out, "Z 01E") {
		t.Errorf("runner line headers left in the output:\n%.3000s", out)
	}
	noSecrets(t, dir, out, errOut)
}
