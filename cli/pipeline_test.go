package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
	"gitlab.com/wend/wend/remote/llm/llmtest"
	"gitlab.com/wend/wend/session"
)

const testCI = `test:
  image: golang:1.22
  variables:
    GOFLAGS: -count=1
  script:
    - go test ./...
`

// failingMR sets up the scene of "fix the failing pipeline on !42": a bare
// repository behind the fake instance's git endpoint, a branch fix-ci there
// with the sample's bug and a CI file, merge request !42 from it whose head
// pipeline 940 failed in job test (the log says TestMean fails), and a clone
// on main with origin = the fake instance. It returns the clone, the bare
// repository and fix-ci's first commit.
func failingMR(t *testing.T, srv *gitlabtest.Server) (dir, bare, sha string) {
	t.Helper()
	for _, k := range []string{"GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"} {
		t.Setenv(k, "t")
	}
	for _, k := range []string{"GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"} {
		t.Setenv(k, "t@x")
	}
	dir, bare = pushedRepo(t, srv)
	git(t, dir, "switch", "-q", "-c", "fix-ci")
	if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), []byte(testCI), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "add", ".gitlab-ci.yml")
	git(t, dir, "commit", "-q", "-m", "Add CI")
	git(t, dir, "push", "-q", "origin", "fix-ci")
	sha = strings.TrimSpace(gitOut(t, dir, "rev-parse", "HEAD"))
	git(t, dir, "switch", "-q", "main")
	git(t, dir, "branch", "-q", "-D", "fix-ci")
	git(t, dir, "update-ref", "-d", "refs/remotes/origin/fix-ci")

	srv.AddLivePipeline(&gitlabtest.LivePipeline{ID: 940, SHA: sha, Ref: "fix-ci", Jobs: []gitlabtest.LiveJob{{
		ID: 941, Name: "test", Stage: "test", Statuses: []string{"failed"}, Duration: 3,
		Log: []string{"\x1b[0KRunning with gitlab-runner 17.5.0\n$ go test ./...\n--- FAIL: TestMean (0.00s)\n" +
			"    stats_test.go:6: Mean([2 4 6]) = 6, want 4\nFAIL\nFAIL\texample.com/stats\t0.002s\nERROR: Job failed: exit code 1\n"},
	}}})
	srv.Data.MRs[42] = &gitlabtest.MergeRequest{ID: 2042, IID: 42, ProjectID: gitlabtest.ProjectID, Title: "Add CI", State: "opened",
		SourceBranch: "fix-ci", TargetBranch: "main", SHA: sha, WebURL: "https://gitlab.example.com/" + gitlabtest.Project + "/-/merge_requests/42",
		References:   gitlabtest.References{Short: "!42", Relative: "!42", Full: gitlabtest.Project + "!42"},
		HeadPipeline: &gitlabtest.Pipeline{ID: 940, ProjectID: gitlabtest.ProjectID, Status: "failed", Ref: "fix-ci", SHA: sha}}
	// The next push gets a pipeline that runs a while and passes.
	srv.OnPush(&gitlabtest.LivePipeline{ID: 950, Every: 2, Jobs: []gitlabtest.LiveJob{
		{ID: 951, Name: "build", Stage: "build", Statuses: []string{"pending", "running", "success"}, Duration: 4},
		{ID: 952, Name: "test", Stage: "test", Statuses: []string{"created", "created", "running", "running", "success"}, Duration: 9,
			Log: []string{"", "", "$ go test ./...\n", "ok  \texample.com/stats\t0.003s\n"}},
	}})
	return dir, bare, sha
}

// pushedRepo is the sample repository with origin = the fake instance, whose
// git endpoint is a bare repository holding main.
func pushedRepo(t *testing.T, srv *gitlabtest.Server) (dir, bare string) {
	t.Helper()
	for _, k := range []string{"GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"} {
		t.Setenv(k, "t")
	}
	for _, k := range []string{"GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"} {
		t.Setenv(k, "t@x")
	}
	bare = t.TempDir()
	git(t, bare, "init", "-q", "--bare")
	srv.PushRemote = bare
	dir = gitlabRepo(t, srv)
	git(t, dir, "push", "-q", "origin", "main")
	return dir, bare
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return string(out)
}

// fastPolls makes the watcher poll every few milliseconds.
func fastPolls(t *testing.T) {
	t.Helper()
	p := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "wend", "config.toml")
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte("pipeline_poll_interval = \"2ms\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// "Fix the failing pipeline on !42" end to end against the fakes: wend checks
// out the MR's source branch, the model resolves the failed job's script from
// .gitlab-ci.yml and runs it (it fails locally the way the CI log says), fixes
// the code, and wend commits, pushes to the bare repository through the fake
// instance's git endpoint, watches the new pipeline (one pipeline and one jobs
// request per poll, 304s used) and exits 0 when it passes.
func TestFixFailingPipelineOfMergeRequestEndToEnd(t *testing.T) {
	srv := gitlabtest.New(t)
	dir, bare, oldSHA := failingMR(t, srv)
	env := wendEnv(t, map[string]string{"GITLAB_TOKEN": gitlabtest.Token, "ANTHROPIC_API_KEY": "k"})
	fastPolls(t)

	// The command the model runs is the one ci_job_script gives it.
	jobOut, _, err := assemble.LocalJobScript(dir, "fix-ci", "test")
	if err == nil {
		t.Fatal("fix-ci is not checked out yet; the CI file should be missing on main")
	}
	git(t, dir, "switch", "-q", "--detach", oldSHA)
	jobOut, _, err = assemble.LocalJobScript(dir, "fix-ci", "test")
	git(t, dir, "switch", "-q", "main")
	if err != nil {
		t.Fatal(err)
	}
	cmd := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(jobOut)
	if cmd == nil || !strings.Contains(cmd[1], "go test ./...") || !strings.Contains(cmd[1], `export GOFLAGS="-count=1"`) {
		t.Fatalf("ci_job_script output:\n%s", jobOut)
	}
	run, _ := json.Marshal(map[string]string{"command": cmd[1]})
	model := llmtest.Start(t, llmtest.Anthropic, llmtest.Script{Turns: []llmtest.Turn{
		{ToolCalls: []llmtest.ToolCall{{Name: "ci_job_script", Args: json.RawMessage(`{"job":"test"}`)}}},
		{ToolCalls: []llmtest.ToolCall{{Name: "run_command", Args: run}}},
		{ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: json.RawMessage(`{"path":"stats.go"}`)}}},
		{ToolCalls: []llmtest.ToolCall{{Name: "edit_file", Args: json.RawMessage(`{"path":"stats.go","old_string":"\treturn Sum(xs) / float64(len(xs)-1)\n","new_string":"\treturn Sum(xs) / float64(len(xs))\n"}`)}}},
		{ToolCalls: []llmtest.ToolCall{{Name: "run_command", Args: run}}},
		{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: json.RawMessage(`{"summary":"Mean divided by len-1; fixed."}`)}}},
	}})
	code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "anthropic", "--base-url", model.URL, "--model", "m",
		"--approval", "full-auto", "--watch-pipeline", "fix the failing pipeline on !42")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "checked out fix-ci") || strings.TrimSpace(gitOut(t, dir, "branch", "--show-current")) != "fix-ci" {
		t.Fatalf("the MR's source branch was not checked out: %s", errOut)
	}
	reqs := model.Requests()
	if len(reqs) != 6 {
		t.Fatalf("%d model requests", len(reqs))
	}
	if first := string(reqs[0].Body); !strings.Contains(first, "TestMean") {
		t.Error("the failed job's log excerpt did not reach the model with the task")
	}
	// The job's script failed locally the way the CI log says, then passed.
	if third, last := string(reqs[2].Body), string(reqs[5].Body); !strings.Contains(third, "FAIL: TestMean") || !strings.Contains(last, "ok  \\texample.com/stats") {
		t.Errorf("the reproduced job did not fail like the CI job:\n%.2000s", third)
	}
	// Pushed to the bare remote, through the fake instance.
	head := strings.TrimSpace(gitOut(t, dir, "rev-parse", "HEAD"))
	if remote := strings.TrimSpace(gitOut(t, bare, "rev-parse", "fix-ci")); remote != head || head == oldSHA {
		t.Fatalf("bare fix-ci at %s, local HEAD %s, before %s", remote, head, oldSHA)
	}
	if !strings.Contains(gitOut(t, bare, "show", "fix-ci:stats.go"), "float64(len(xs))\n") {
		t.Fatal("the fix is not in the pushed commit")
	}
	for _, want := range []string{"⟳ pipeline #950", "build › build success", "test › test success", "✓ pipeline #950 passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// One pipeline and one jobs request per poll; unchanged answers were 304s.
	var pipe, jobs int
	for _, r := range srv.Requests() {
		switch {
		case strings.HasSuffix(r, "/pipelines/950"):
			pipe++
		case strings.HasSuffix(r, "/pipelines/950/jobs?per_page=100"):
			jobs++
		}
	}
	if pipe == 0 || pipe != jobs {
		t.Fatalf("%d pipeline and %d jobs requests: want one of each per poll", pipe, jobs)
	}
	if srv.Stats().NotModified == 0 {
		t.Fatal("no 304 answer was used")
	}
	noSecrets(t, dir, out, errOut)
}

// Over uncommitted work wend refuses to check out, and says why; with no
// consent it says how to give it.
func TestCheckoutRefusesUncommittedWorkAndAsksConsent(t *testing.T) {
	srv := gitlabtest.New(t)
	dir, _, _ := failingMR(t, srv)
	env := wendEnv(t, map[string]string{"GITLAB_TOKEN": gitlabtest.Token, "ANTHROPIC_API_KEY": "k"})
	os.WriteFile(filepath.Join(dir, "stats.go"), []byte("package stats // mine\n"), 0o644)
	code, _, errOut := wend(t, env, "-C", dir, "run", "--provider", "anthropic", "--base-url", "http://127.0.0.1:1", "--model", "m",
		"--approval", "full-auto", "fix the failing pipeline on !42")
	if code != ExitUsage || !strings.Contains(errOut, "uncommitted work (stats.go)") || !strings.Contains(errOut, "never checks out over it") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "stats.go")); string(b) != "package stats // mine\n" {
		t.Fatal("the user's work was touched")
	}
	git(t, dir, "checkout", "--", "stats.go")
	code, _, errOut = wend(t, env, "-C", dir, "run", "--provider", "anthropic", "--base-url", "http://127.0.0.1:1", "--model", "m",
		"fix the failing pipeline on !42")
	if code != ExitUsage || !strings.Contains(errOut, "--checkout") || strings.TrimSpace(gitOut(t, dir, "branch", "--show-current")) != "main" {
		t.Fatalf("without consent: exit %d: %s", code, errOut)
	}
}

// `wend commit --push --watch` follows the pushed commit's pipeline and takes
// its exit code from the final status, naming the failed jobs.
func TestCommitPushWatchExitsWithThePipelinesStatus(t *testing.T) {
	srv := gitlabtest.New(t)
	dir, _, _ := failingMR(t, srv)
	env := wendEnv(t, map[string]string{"GITLAB_TOKEN": gitlabtest.Token})
	fastPolls(t)
	// failingMR queued a passing pipeline first; this commit gets it.
	commit := func(content string) (int, string, string) {
		os.WriteFile(filepath.Join(dir, "NOTES.md"), []byte(content), 0o644)
		git(t, dir, "add", "NOTES.md")
		return wend(t, env, "-C", dir, "commit", "-m", "notes: "+content, "--no-edit", "--push", "--watch")
	}
	code, out, errOut := commit("one\n")
	if code != 0 || !strings.Contains(out, "Pushed main") || !strings.Contains(out, "✓ pipeline #950 passed") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	srv.OnPush(&gitlabtest.LivePipeline{ID: 960, Jobs: []gitlabtest.LiveJob{
		{ID: 961, Name: "lint", Stage: "build", Statuses: []string{"running", "success"}},
		{ID: 962, Name: "unit", Stage: "test", Statuses: []string{"pending", "running", "failed"}},
		{ID: 963, Name: "flaky", Stage: "test", Statuses: []string{"running", "failed"}, AllowFailure: true},
	}})
	code, out, errOut = commit("two\n")
	if code != ExitFailed || !strings.Contains(errOut, "pipeline #960 failed: failed jobs unit (test)") || strings.Contains(errOut, "flaky (test)") {
		t.Fatalf("a failed pipeline: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "✗ test › unit failed") || !strings.Contains(out, "✗ pipeline #960 failed (unit)") {
		t.Errorf("progress:\n%s", out)
	}
	srv.OnPush(&gitlabtest.LivePipeline{ID: 970, Jobs: []gitlabtest.LiveJob{{ID: 971, Name: "unit", Stage: "test", Statuses: []string{"running", "canceled"}}}})
	if code, _, errOut = commit("three\n"); code != ExitFailed || !strings.Contains(errOut, "pipeline #970 canceled") {
		t.Fatalf("a canceled pipeline: exit %d %s", code, errOut)
	}
}

// A pipeline that keeps failing goes back to the agent with its failed job's
// log, at most pipeline_fix_attempts times; then wend stops with exit 1 and
// says the bound was reached.
func TestWatchPipelineFixLoopIsBounded(t *testing.T) {
	srv := gitlabtest.New(t)
	dir, bare := pushedRepo(t, srv)
	env := wendEnv(t, map[string]string{"GITLAB_TOKEN": gitlabtest.Token, "ANTHROPIC_API_KEY": "k"})
	fastPolls(t)
	failing := func(id int) *gitlabtest.LivePipeline {
		return &gitlabtest.LivePipeline{ID: id, Jobs: []gitlabtest.LiveJob{{ID: id + 1, Name: "unit", Stage: "test",
			Statuses: []string{"running", "failed"}, Log: []string{"$ go test ./...\n", "panic: boom in unit\nFAIL\n"}}}}
	}
	srv.OnPush(failing(980), failing(990))
	model := llmtest.Start(t, llmtest.Anthropic, llmtest.Script{Turns: []llmtest.Turn{
		{ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: json.RawMessage(`{"path":"stats.go"}`)}}},
		{ToolCalls: []llmtest.ToolCall{{Name: "edit_file", Args: json.RawMessage(`{"path":"stats.go","old_string":"\treturn Sum(xs) / float64(len(xs)-1)\n","new_string":"\treturn Sum(xs) / float64(len(xs))\n"}`)}}},
		{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: json.RawMessage(`{"summary":"fixed Mean"}`)}}},
		{ToolCalls: []llmtest.ToolCall{{Name: "create_file", Args: json.RawMessage(`{"path":"NOTES.md","content":"unit panics\n"}`)}}},
		{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: json.RawMessage(`{"summary":"noted"}`)}}},
	}})
	code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "anthropic", "--base-url", model.URL, "--model", "m",
		"--approval", "full-auto", "--watch-pipeline", "--pipeline-fix-attempts", "1", "make the build green")
	if code != ExitFailed || !strings.Contains(errOut, "pipeline #990 failed") || !strings.Contains(errOut, "after 1 fix attempts") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	reqs := model.Requests()
	if len(reqs) != 5 {
		t.Fatalf("%d model requests", len(reqs))
	}
	if follow := string(reqs[3].Body); !strings.Contains(follow, "panic: boom in unit") || !strings.Contains(follow, "fix attempt 1 of 1") {
		t.Errorf("the follow-up did not carry the failed job's log:\n%.3000s", follow)
	}
	if n := strings.Count(gitOut(t, bare, "log", "--oneline", "main"), "\n"); n != 3 {
		t.Errorf("bare main has %d commits, want the sample's and two fixes", n)
	}
	for _, want := range []string{"✗ pipeline #980 failed (unit)", "✗ pipeline #990 failed (unit)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// When a task asks to watch a pipeline, the model's gitlab_watch_pipeline call
// puts the pipeline's jobs into the session's events as they change (the
// UI's pipeline step), and returns the failed job's log to the model.
func TestWatchToolStreamsPipelineEvents(t *testing.T) {
	srv := gitlabtest.New(t)
	dir, _, _ := failingMR(t, srv)
	env := wendEnv(t, map[string]string{"GITLAB_TOKEN": gitlabtest.Token, "ANTHROPIC_API_KEY": "k"})
	fastPolls(t)
	srv.AddLivePipeline(&gitlabtest.LivePipeline{ID: 1000, SHA: "beef", Ref: "main", Jobs: []gitlabtest.LiveJob{
		{ID: 1001, Name: "unit", Stage: "test", Statuses: []string{"pending", "running", "running", "failed"},
			Log: []string{"", "$ make test\n", "", "panic: watched and failed\n"}},
	}})
	model := llmtest.Start(t, llmtest.Anthropic, llmtest.Script{Turns: []llmtest.Turn{
		{ToolCalls: []llmtest.ToolCall{{Name: "gitlab_watch_pipeline", Args: json.RawMessage(`{"ref":1000}`)}}},
		{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: json.RawMessage(`{"summary":"it failed"}`)}}},
	}})
	code, out, errOut := wend(t, env, "-C", dir, "run", "--json", "--provider", "anthropic", "--base-url", model.URL, "--model", "m",
		"wait for the pipeline 1000 and tell me how it went")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var statuses []string
	finished := false
	for _, e := range decodeEvents(t, out) {
		switch p := e.Payload.(type) {
		case session.PipelineUpdated:
			statuses = append(statuses, p.Jobs[0].Status)
		case session.PipelineFinished:
			finished = p.Status == "failed" && len(p.Failed) == 1 && p.Failed[0].Name == "unit"
		}
	}
	// A running job is reported again as its duration grows.
	if !slices.Equal(slices.Compact(statuses), []string{"pending", "running", "failed"}) || !finished {
		t.Fatalf("job statuses %v, finished %v", statuses, finished)
	}
	if second := string(model.Requests()[1].Body); !strings.Contains(second, "panic: watched and failed") {
		t.Fatalf("the failed job's log did not reach the model:\n%.2000s", second)
	}
}
