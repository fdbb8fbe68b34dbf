package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
	"gitlab.com/wend/wend/remote/llm/llmtest"
	"gitlab.com/wend/wend/session"
)

// GitLab as it is today (issue 12, item 5) through `wend run --json`: what a
// task's references attach is what the model reads, from a Runner 18.7+ log,
// from threads on a whole file or an image, from answers with odd fields; an
// answer wend cannot read is said to be that, never a network problem.

type gitlabRun struct {
	code     int
	out, err string
	first    string // the first model request's body
	evs      []session.Event
	fin      session.SessionFinished
}

// runWithGitLab runs task headless against srv and a model that finishes at
// once.
func runWithGitLab(t *testing.T, srv *gitlabtest.Server, task string) gitlabRun {
	t.Helper()
	dir := gitlabRepo(t, srv)
	model := llmtest.Start(t, llmtest.Anthropic, llmtest.Script{Turns: []llmtest.Turn{
		{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: json.RawMessage(`{"summary":"read it"}`)}}},
	}})
	env := wendEnv(t, map[string]string{"GITLAB_TOKEN": gitlabtest.Token, "ANTHROPIC_API_KEY": "k"})
	code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "anthropic", "--base-url", model.URL,
		"--model", "m", "--approval", "full-auto", "--json", task)
	r := gitlabRun{code: code, out: out, err: errOut, evs: decodeEvents(t, out)}
	fin, ok := r.evs[len(r.evs)-1].Payload.(session.SessionFinished)
	if !ok {
		t.Fatalf("the last event is not session_finished:\n%s", out)
	}
	r.fin = fin
	if reqs := model.Requests(); len(reqs) > 0 {
		r.first = string(reqs[0].Body)
	}
	if code != ExitOK || fin.State != session.StateFinished {
		t.Fatalf("exit %d, state %s: %s\n%s", code, fin.State, fin.Error, errOut)
	}
	noSecrets(t, dir, out, errOut, r.first)
	return r
}

func (r gitlabRun) modelReads(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		b, _ := json.Marshal(w)
		if !strings.Contains(r.first, strings.Trim(string(b), `"`)) {
			t.Errorf("the model was not given %q", w)
		}
	}
}

func TestRunAttachesATimestampedJobLog(t *testing.T) {
	srv := gitlabtest.New(t)
	url := fmt.Sprintf("%s/%s/-/jobs/%d", srv.URL(), gitlabtest.Project, gitlabtest.StampedJobID)
	r := runWithGitLab(t, srv, "fix the failing job "+url)
	r.modelReads(t, "--- FAIL: TestLoadMissingFile (0.00s)", "ERROR: Job failed: exit code 1", "step_script")
	for _, header := range []string{"Z 01O", "Z 01E", "Z 00O"} {
		if strings.Contains(r.first, header) {
			t.Errorf("runner line headers (%q) reached the model", header)
		}
	}
}

func TestRunAttachesThreadsOnAFileAndAnImage(t *testing.T) {
	srv := gitlabtest.New(t)
	r := runWithGitLab(t, srv, fmt.Sprintf("address the review threads on !%d", gitlabtest.PositionsMRIID))
	r.modelReads(t, "on file assets/LICENSE", "on image assets/logo.png at (140,88) of 512×256", "Is CC-BY-4.0 compatible")
	if strings.Contains(r.first, "assets/LICENSE:0") || strings.Contains(r.first, "assets/logo.png:0") {
		t.Error("a file or image thread was placed on line 0")
	}
}

func TestRunAttachesAnswersWithOddFields(t *testing.T) {
	srv := gitlabtest.New(t)
	pipeline := fmt.Sprintf("%s/%s/-/pipelines/%d", srv.URL(), gitlabtest.Project, gitlabtest.OddPipelineID)
	r := runWithGitLab(t, srv, fmt.Sprintf("fix #%d, see %s", gitlabtest.OddIssueIID, pipeline))
	r.modelReads(t, "Login page shows a blank screen on Safari", "Steps: open /login on Safari 17.", "labels: bug, browser::safari",
		"they show as unknown", "# Pipeline #993: canceling")
	if w := notices(r.evs, "warn"); len(w) != 0 {
		t.Errorf("an odd field cost a reference: %q", w)
	}
}

func TestRunWithAnUnreadableAnswerSaysSo(t *testing.T) {
	for name, body := range map[string]string{
		"html":      "<!DOCTYPE html><html><body>Sign in</body></html>",
		"truncated": `{"iid": 12, "title": "Crash`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := gitlabtest.New(t)
			srv.Data.Raw["issues/12"] = body
			r := runWithGitLab(t, srv, "fix #12")
			w := strings.Join(notices(r.evs, "warn"), "\n")
			if !strings.Contains(w, "GitLab answered, but wend could not read issue group/sub/proj#12") || !strings.Contains(w, "wend doctor --report") {
				t.Fatalf("the warning does not say the answer was unreadable: %q", w)
			}
			lower := strings.ToLower(w)
			for _, blame := range []string{"network", "certificate", "tls", "proxy", "ssl_cert_file"} {
				if strings.Contains(lower, blame) {
					t.Errorf("a decode failure explained as %s: %q", blame, w)
				}
			}
		})
	}
}
