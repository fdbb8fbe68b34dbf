package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
	"gitlab.com/wend/wend/remote/llm/llmtest"
)

// gitlabRepo is a repository whose origin is the fake instance's project.
func gitlabRepo(t *testing.T, srv *gitlabtest.Server) string {
	t.Helper()
	dir := demoRepo(t)
	git(t, dir, "remote", "add", "origin", srv.URL()+"/"+gitlabtest.Project+".git")
	return dir
}

// noSecrets fails when the token or a secret from fetched text shows up anywhere:
// output, the audit log, the session logs.
func noSecrets(t *testing.T, dir string, outputs ...string) {
	t.Helper()
	texts := append([]string(nil), outputs...)
	auditFile := filepath.Join(os.Getenv("XDG_STATE_HOME"), "wend", "audit.jsonl")
	data, err := os.ReadFile(auditFile)
	if err != nil {
		t.Fatalf("no audit log: %v", err)
	}
	texts = append(texts, string(data))
	logs, _ := filepath.Glob(filepath.Join(dir, ".git", "wend", "*", "events.jsonl"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		texts = append(texts, string(b))
	}
	for _, s := range texts {
		for _, secret := range []string{gitlabtest.Token, gitlabtest.Secret} {
			if strings.Contains(s, secret) {
				t.Fatalf("%q leaked into %.300s", secret, s)
			}
		}
	}
}

func TestContextCommandFetchesFromTheRemotesInstance(t *testing.T) {
	srv := gitlabtest.New(t)
	dir := gitlabRepo(t, srv)
	env := wendEnv(t, map[string]string{"GITLAB_TOKEN": gitlabtest.Token})
	code, out, errOut := wend(t, env, "-C", dir, "context", "#12", "!34", "pipeline")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Crash when the config file is missing", "Pipeline", "[REDACTED"} {
		if !strings.Contains(out, want) {
			t.Errorf("context output lacks %q", want)
		}
	}
	noSecrets(t, dir, out, errOut)
	code, out, _ = wend(t, env, "audit", "--host", "127.0.0.1", "--json")
	if code != 0 || !strings.Contains(out, `"path":"/api/v4/projects/group%2Fsub%2Fproj/issues/12"`) && !strings.Contains(out, "/issues/12") {
		t.Fatalf("audit lacks the issue request: %s", out)
	}
	// A wrong token gets advice, not a stack of HTTP.
	code, _, errOut = wend(t, wendEnv(t, map[string]string{"GITLAB_TOKEN": "glpat-wrong"}), "-C", dir, "context", "#12")
	if code != ExitFailed || !strings.Contains(errOut, "401") && !strings.Contains(strings.ToLower(errOut), "token") {
		t.Fatalf("wrong token: %d %s", code, errOut)
	}
}

// A task that names an issue gets it attached to the first request; the agent reads
// the pipeline with a gitlab_* tool; nothing secret escapes.
func TestRunAttachesReferencesAndUsesGitLabTools(t *testing.T) {
	srv := gitlabtest.New(t)
	dir := gitlabRepo(t, srv)
	model := llmtest.Start(t, llmtest.Anthropic, llmtest.Script{Turns: []llmtest.Turn{
		{ToolCalls: []llmtest.ToolCall{{Name: "gitlab_get_pipeline", Args: json.RawMessage(`{"ref":"991"}`)}}},
		{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: json.RawMessage(`{"summary":"read it"}`)}}},
	}})
	env := wendEnv(t, map[string]string{"GITLAB_TOKEN": gitlabtest.Token, "ANTHROPIC_API_KEY": "k"})
	code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "anthropic", "--base-url", model.URL, "--model", "m", "fix #12")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	if !strings.Contains(out, "attached group/sub/proj#12") {
		t.Errorf("the user was not told what was attached:\n%s", out)
	}
	reqs := model.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d model requests", len(reqs))
	}
	first, second := string(reqs[0].Body), string(reqs[1].Body)
	if !strings.Contains(first, "Crash when the config file is missing") {
		t.Error("the issue was not attached to the first request")
	}
	if !strings.Contains(first, "gitlab_get_issue") {
		t.Error("the gitlab tools were not offered")
	}
	if !strings.Contains(second, "5002") {
		t.Error("the pipeline's failed job did not reach the model")
	}
	noSecrets(t, dir, out, errOut, first, second)
}

// wend writes to GitLab only when asked: a run makes no POST; `commit --mr` opens a
// merge request linking the task's issue; `note` posts the session's summary.
func TestWriteActionsOnlyOnRequest(t *testing.T) {
	srv := gitlabtest.New(t)
	dir := gitlabRepo(t, srv)
	bare := t.TempDir()
	git(t, bare, "init", "-q", "--bare")
	git(t, dir, "remote", "set-url", "--push", "origin", bare)
	script, err := llmtest.LoadScript("../testdata/demo/script.json")
	if err != nil {
		t.Fatal(err)
	}
	model := llmtest.Start(t, llmtest.OpenAI, script)
	env := wendEnv(t, map[string]string{"GITLAB_TOKEN": gitlabtest.Token, "OPENAI_API_KEY": "k"})
	if code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "openai", "--base-url", model.URL, "--model", "m", "--approval", "full-auto", "fix #12"); code != 0 {
		t.Fatalf("run: %s %s", out, errOut)
	}
	for _, r := range srv.Requests() {
		if !strings.HasPrefix(r, "GET ") {
			t.Fatalf("the run wrote to GitLab: %s", r)
		}
	}
	if code, _, errOut := wend(t, env, "-C", dir, "accept", "all"); code != 0 {
		t.Fatal(errOut)
	}
	for _, k := range []string{"GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"} {
		t.Setenv(k, "t")
	}
	for _, k := range []string{"GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"} {
		t.Setenv(k, "t@x")
	}
	code, out, errOut := wend(t, env, "-C", dir, "commit", "--draft=false", "--no-edit", "--branch", "--mr")
	if code != 0 || !strings.Contains(out, "Opened merge request") {
		t.Fatalf("commit --mr: %d %s %s", code, out, errOut)
	}
	mr := string(srv.Body("/merge_requests"))
	for _, want := range []string{`"source_branch":"wend/fix-12"`, "Closes #12"} {
		if !strings.Contains(mr, want) {
			t.Errorf("merge request body lacks %s: %s", want, mr)
		}
	}
	code, out, errOut = wend(t, env, "-C", dir, "note", "#12")
	if code != 0 || !strings.Contains(out, "Added a note") {
		t.Fatalf("note: %d %s %s", code, out, errOut)
	}
	if note := string(srv.Body("/notes")); !strings.Contains(note, "Fixed `Mean`") {
		t.Fatalf("note body: %s", note)
	}
	noSecrets(t, dir, out, errOut)
}
