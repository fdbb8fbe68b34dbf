package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/audit"
	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
	"gitlab.com/wend/wend/remote/llm/llmtest"
)

// The print-only verbs as plain functions of their options: runConfig,
// runTrust, runAudit and runTool, called with buffers, a temporary repository
// and no cobra, globals or subprocess.

// printRepo is a committed repository with a .wend.toml that sets a
// restricted setting, and an origin on a GitLab host.
func printRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".wend.toml"), []byte("base_url = \"http://127.0.0.1:9/v1\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "remote", "add", "origin", "https://gitlab.example.com/grp/proj.git")
	git(t, dir, "add", "-A")
	git(t, dir, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "init")
	return dir
}

// bufIO is a verbIO writing to out and errb, reading nothing.
func bufIO(env func(string) string, open workspaceOpener) (verbIO, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return verbIO{in: strings.NewReader(""), out: &out, rawOut: &out, errOut: &errb, env: env, workspace: open}, &out, &errb
}

func TestConfigOptionsPrintsSettingsOriginsAndTheProject(t *testing.T) {
	dir := printRepo(t)
	env := wendEnv(t, map[string]string{"WEND_MODEL": "model-from-env", "ANTHROPIC_API_KEY": "sk-ant-secret-7731"})
	vio, out, errb := bufIO(env, nil)
	g := &globals{dir: dir, stderr: errb, env: env, changed: func(string) bool { return false }}
	o := &configOptions{verbIO: vio, dir: dir, load: g.loadConfig, gitlab: g.gitlabConfig}
	if err := runConfig(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	var model string
	for _, line := range strings.Split(got, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "model" {
			model = line
		}
	}
	if !strings.Contains(model, "model-from-env") || !strings.Contains(model, "WEND_MODEL") {
		t.Fatalf("model row %q: want its value and the variable it came from, in:\n%s", model, got)
	}
	if strings.Contains(got, "sk-ant-secret-7731") || strings.Contains(errb.String(), "sk-ant-secret-7731") {
		t.Fatalf("the API key was printed:\n%s", got)
	}
	for _, want := range []string{"SETTING", "base_url", "ignored (", "GitLab project in effect: https://gitlab.example.com/grp/proj", "not trusted"} {
		if !strings.Contains(got, want) {
			t.Fatalf("no %q in:\n%s", want, got)
		}
	}
	// Outside a repository the repository's file and project do not apply.
	vio, out, _ = bufIO(env, nil)
	o = &configOptions{verbIO: vio, dir: t.TempDir(), load: g.loadConfig, gitlab: g.gitlabConfig}
	if err := runConfig(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); strings.Contains(got, "GitLab project in effect") || strings.Contains(got, "ignored (") || !strings.Contains(got, "model-from-env") {
		t.Fatalf("outside a repository:\n%s", got)
	}
}

func TestTrustOptionsTrustsListsAndRevokes(t *testing.T) {
	dir := printRepo(t)
	store := filepath.Join(t.TempDir(), "trust.toml")
	ctx := context.Background()
	trust := func(revoke, list bool, in string) (string, error) {
		vio, out, _ := bufIO(nil, nil)
		err := runTrust(ctx, &trustOptions{verbIO: vio, dir: in, store: store, revoke: revoke, list: list})
		return out.String(), err
	}
	if out, err := trust(false, true, dir); err != nil || !strings.Contains(out, "No trusted repositories.") {
		t.Fatalf("empty list: %v\n%s", err, out)
	}
	out, err := trust(false, false, dir)
	if err != nil || !strings.Contains(out, "Trusted ") || !strings.Contains(out, "base_url") {
		t.Fatalf("trust: %v\n%s", err, out)
	}
	real, _ := filepath.EvalSymlinks(dir)
	if out, err := trust(false, true, ""); err != nil || !strings.HasPrefix(out, real+"\t") || strings.Count(out, "\n") != 1 {
		t.Fatalf("list after trusting: %v\n%q, want one line for %q", err, out, real)
	}
	if out, err := trust(true, false, dir); err != nil || !strings.Contains(out, "Trust revoked for") {
		t.Fatalf("revoke: %v\n%s", err, out)
	}
	if out, err := trust(true, false, dir); err != nil || !strings.Contains(out, "was not trusted; nothing to revoke") {
		t.Fatalf("second revoke: %v\n%s", err, out)
	}
	if _, err := trust(false, false, t.TempDir()); !usageCode(err) || !strings.Contains(err.Error(), "not inside a git repository") {
		t.Fatalf("outside a repository: %v", err)
	}
	// A repository with no .wend.toml has nothing to trust: the verb fails.
	bare := t.TempDir()
	git(t, bare, "init", "-q")
	var ee *exitError
	if _, err := trust(false, false, bare); !errors.As(err, &ee) || ee.code != ExitFailed || !strings.Contains(err.Error(), "nothing to trust") {
		t.Fatalf("no .wend.toml: %v", err)
	}
}

func TestAuditOptionsFiltersTheLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	opts := func() (*auditOptions, *bytes.Buffer, *bytes.Buffer) {
		vio, out, errb := bufIO(nil, nil)
		return &auditOptions{verbIO: vio, now: func() time.Time { return now }, logPath: func() (string, error) { return path, nil }}, out, errb
	}
	o, out, _ := opts()
	if err := runAudit(o); err != nil || !strings.Contains(out.String(), "No requests recorded yet ("+path+")") {
		t.Fatalf("no log: %v\n%s", err, out)
	}
	var lines []string
	for _, r := range []audit.Record{
		{Time: now.Add(-3 * time.Hour), Session: "s-old", Method: "GET", Host: "gitlab.example.com", Path: "/api/v4/projects", Status: 200},
		{Time: now.Add(-time.Hour), Session: "s-new", Method: "POST", Host: "api.anthropic.com", Path: "/v1/messages", Status: 529},
		{Time: now.Add(-30 * time.Minute), Session: "s-new", Method: "GET", Host: "gitlab.example.com", Path: "/api/v4/user", Error: "timeout"},
	} {
		b, _ := json.Marshal(r)
		lines = append(lines, string(b))
	}
	lines = append(lines, "{not json")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o, out, errb := opts()
	o.since, o.filter.Host = "2h", ".example.com"
	if err := runAudit(o); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "/api/v4/user") || !strings.Contains(got, "timeout") ||
		strings.Contains(got, "/v1/messages") || strings.Contains(got, "/api/v4/projects") {
		t.Fatalf("--since 2h --host .example.com:\n%s", got)
	}
	if !strings.Contains(errb.String(), "1 unreadable line(s) in "+path) {
		t.Fatalf("stderr: %q", errb)
	}
	o, out, _ = opts()
	o.json, o.filter.Session = true, "s-new"
	if err := runAudit(o); err != nil {
		t.Fatal(err)
	}
	var got []audit.Record
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r audit.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("--json line %q: %v", line, err)
		}
		got = append(got, r)
	}
	if len(got) != 2 || got[0].Status != 529 || got[1].Path != "/api/v4/user" {
		t.Fatalf("--json --session s-new: %+v", got)
	}
	o, out, _ = opts()
	o.filter.Session = "nobody"
	if err := runAudit(o); err != nil || !strings.Contains(out.String(), "(no matching requests)") {
		t.Fatalf("no match: %v\n%s", err, out)
	}
	o, _, _ = opts()
	o.since = "yesterdayish"
	if err := runAudit(o); !usageCode(err) || !strings.Contains(err.Error(), `--since "yesterdayish"`) {
		t.Fatalf("bad --since: %v", err)
	}
}

func TestToolOptionsListsAndRunsATool(t *testing.T) {
	dir := printRepo(t)
	env := wendEnv(t, nil)
	g := &globals{dir: dir, stderr: &bytes.Buffer{}, env: env, changed: func(string) bool { return false }}
	ctx := context.Background()
	tool := func(name, args string, asJSON bool) (string, error) {
		vio, out, _ := bufIO(env, g.openWorkspace)
		err := runTool(ctx, &toolOptions{verbIO: vio, name: name, args: args, json: asJSON})
		return out.String(), err
	}
	out, err := tool("", "", false)
	if err != nil || !strings.Contains(out, "read_file") || !strings.Contains(out, "grep") || strings.Contains(out, "finish ") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if out, err := tool("read_file", `{"path":"main.go"}`, false); err != nil || !strings.Contains(out, "func main() {}") {
		t.Fatalf("read_file: %v\n%s", err, out)
	}
	out, err = tool("read_file", `{"path":"main.go"}`, true)
	var res struct{ Output string }
	if err != nil || json.Unmarshal([]byte(out), &res) != nil || !strings.Contains(res.Output, "func main() {}") {
		t.Fatalf("read_file --json: %v\n%s", err, out)
	}
	var ee *exitError
	if _, err := tool("read_file", `{"path":"absent.go"}`, false); !errors.As(err, &ee) || ee.code != ExitFailed {
		t.Fatalf("a tool error is not exit %d: %v", ExitFailed, err)
	}
	if _, err := tool("read_file", `{"path":`, false); !usageCode(err) || !strings.Contains(err.Error(), "--args is not valid JSON") {
		t.Fatalf("bad --args: %v", err)
	}
	// Nothing was written: wend tool read_file leaves the tree as it was.
	if st := git(t, dir, "status", "--porcelain"); st != "" {
		t.Fatalf("status after reads: %q", st)
	}
}

// gitlabVerbIO is a verbIO and GitLab client opener for a repository whose
// origin is srv (127.0.0.1), with the token in the environment.
func gitlabVerb(t *testing.T, dir string) (verbIO, *bytes.Buffer, *bytes.Buffer, *globals) {
	t.Helper()
	env := wendEnv(t, map[string]string{"GITLAB_TOKEN": gitlabtest.Token})
	vio, out, errb := bufIO(env, nil)
	g := &globals{dir: dir, stderr: errb, env: env, changed: func(string) bool { return false }}
	vio.workspace = g.openWorkspace
	return vio, out, errb, g
}

func TestContextOptionsFetchesReferences(t *testing.T) {
	srv := gitlabtest.New(t)
	dir := gitlabRepo(t, srv)
	ctx := context.Background()
	vio, out, errb, g := gitlabVerb(t, dir)
	if err := runContext(ctx, &contextOptions{verbIO: vio, refs: []string{"#12", "!34", "pipeline"}, gitlabClient: g.gitlabClient}); err != nil {
		t.Fatalf("%v\n%s", err, errb)
	}
	for _, want := range []string{"Crash when the config file is missing", "Pipeline", "[REDACTED"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out.String(), gitlabtest.Secret) {
		t.Fatal("a secret from the issue was printed")
	}
	// --json: one object per reference.
	vio, out, _, g = gitlabVerb(t, dir)
	if err := runContext(ctx, &contextOptions{verbIO: vio, refs: []string{"#12"}, json: true, gitlabClient: g.gitlabClient}); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 1 || !json.Valid([]byte(lines[0])) {
		t.Fatalf("--json:\n%s", out)
	}
	// A reference that cannot be fetched fails the verb and is named on stderr.
	vio, _, errb, g = gitlabVerb(t, dir)
	err := runContext(ctx, &contextOptions{verbIO: vio, refs: []string{"#12", "#424242"}, gitlabClient: g.gitlabClient})
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != ExitFailed || !strings.Contains(err.Error(), "1 of 2 references") || !strings.Contains(errb.String(), "#424242") {
		t.Fatalf("an absent issue: %v\nstderr: %s", err, errb)
	}
	// Not a reference: refused before the repository is opened.
	vio, _, _, _ = gitlabVerb(t, dir)
	vio.workspace = func(context.Context) (*workspace, error) {
		t.Fatal("opened the workspace for a bad reference")
		return nil, nil
	}
	if err := runContext(ctx, &contextOptions{verbIO: vio, refs: []string{"no-such-ref"}}); !usageCode(err) || !strings.Contains(err.Error(), "is not a reference") {
		t.Fatalf("bad reference: %v", err)
	}
	// A repository with no GitLab is the user's to fix.
	plain := t.TempDir()
	git(t, plain, "init", "-q")
	vio, _, _, g = gitlabVerb(t, plain)
	if err := runContext(ctx, &contextOptions{verbIO: vio, refs: []string{"#12"}, gitlabClient: g.gitlabClient}); !usageCode(err) {
		t.Fatalf("no GitLab: %v", err)
	}
}

func TestNoteOptionsPostsTheMessage(t *testing.T) {
	srv := gitlabtest.New(t)
	dir := gitlabRepo(t, srv)
	ctx := context.Background()
	vio, out, errb, g := gitlabVerb(t, dir)
	if err := runNote(ctx, &noteOptions{verbIO: vio, ref: "#12", message: "Rebased; the pipeline is green.", gitlabClient: g.gitlabClient}); err != nil {
		t.Fatalf("%v\n%s", err, errb)
	}
	if !strings.Contains(out.String(), "Added a note to") {
		t.Fatalf("output: %s", out)
	}
	if body := string(srv.Body("/notes")); !strings.Contains(body, "Rebased; the pipeline is green.") {
		t.Fatalf("note body: %s", body)
	}
	// Without -m and with no session there is nothing to post: nothing is sent.
	before := len(srv.Requests())
	vio, _, _, g = gitlabVerb(t, dir)
	if err := runNote(ctx, &noteOptions{verbIO: vio, ref: "!34", gitlabClient: g.gitlabClient}); !usageCode(err) || !strings.Contains(err.Error(), "no session summary") {
		t.Fatalf("no summary: %v", err)
	}
	vio, _, _, g = gitlabVerb(t, dir)
	if err := runNote(ctx, &noteOptions{verbIO: vio, ref: "&5", message: "x", gitlabClient: g.gitlabClient}); !usageCode(err) || !strings.Contains(err.Error(), "not an issue or merge request") {
		t.Fatalf("an epic: %v", err)
	}
	if after := srv.Requests()[before:]; len(after) != 0 {
		t.Fatalf("refused notes still reached GitLab: %v", after)
	}
}

func TestDoctorOptionsChecksTheModelAndWritesTheReport(t *testing.T) {
	dir := t.TempDir() // no origin: the GitLab checks are skipped, nothing leaves 127.0.0.1
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-q", "--allow-empty", "-m", "init")
	model := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{{Text: "OK"}}})
	ctx := context.Background()
	doctor := func(env func(string) string, o doctorOptions) (string, error) {
		vio, out, errb := bufIO(env, nil)
		g := &globals{dir: dir, stderr: errb, env: env, changed: func(string) bool { return false }}
		o.verbIO, o.dir, o.timeout = vio, dir, 5*time.Second
		o.load, o.gitlab, o.httpClient = g.loadConfig, g.gitlabConfig, g.httpClient
		err := runDoctor(ctx, &o)
		return out.String(), err
	}
	env := wendEnv(t, map[string]string{"WEND_PROVIDER": "openai", "WEND_BASE_URL": model.URL, "WEND_MODEL": "m", "OPENAI_API_KEY": "sk-doctor-secret-99"})
	report := filepath.Join(t.TempDir(), "doctor.md")
	out, err := doctor(env, doctorOptions{report: report})
	if !strings.Contains(out, "openai m answered in") || !strings.Contains(out, "Report written to "+report) || !strings.Contains(out, "skipped") {
		t.Fatalf("doctor: %v\n%s", err, out)
	}
	if err != nil && !strings.Contains(out, "✗") {
		t.Fatalf("doctor failed with no failing check: %v\n%s", err, out)
	}
	data, rerr := os.ReadFile(report)
	info, _ := os.Stat(report)
	if rerr != nil || info.Mode().Perm() != 0o600 || !strings.Contains(string(data), "answered in") || strings.Contains(string(data), "sk-doctor-secret-99") {
		t.Fatalf("report (%v, mode %v):\n%s", rerr, info.Mode(), data)
	}
	// With no provider the model check fails, and so does the verb.
	out, err = doctor(wendEnv(t, nil), doctorOptions{json: true})
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != ExitFailed {
		t.Fatalf("no provider: %v\n%s", err, out)
	}
	var doc map[string]any
	if json.Unmarshal([]byte(out), &doc) != nil || !strings.Contains(out, "no model provider is configured") {
		t.Fatalf("--json:\n%s", out)
	}
}

func TestCIOptionsListSweepAndOpenAMergeRequest(t *testing.T) {
	srv := gitlabtest.New(t)
	srv.Data.Issues[13].Labels = append(srv.Data.Issues[13].Labels, "wend")
	srv.Data.Issues[14].Labels = append(srv.Data.Issues[14].Labels, "wend")
	dir := gitlabRepo(t, srv)
	ctx := context.Background()
	vio, out, errb, g := gitlabVerb(t, dir)
	if err := runCIIssues(ctx, &ciIssuesOptions{verbIO: vio, label: "wend", gitlabClient: g.gitlabClient}); err != nil || out.String() != "13\n14\n" {
		t.Fatalf("issues: %v %q %s", err, out, errb)
	}
	vio, out, _, g = gitlabVerb(t, dir)
	if err := runCIIssues(ctx, &ciIssuesOptions{verbIO: vio, label: "wend", json: true, gitlabClient: g.gitlabClient}); err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal(out.Bytes(), &list); err != nil || len(list) != 2 {
		t.Fatalf("issues --json: %v\n%s", err, out)
	}
	file := filepath.Join(t.TempDir(), "child.yml")
	vio, out, _, g = gitlabVerb(t, dir)
	o := &ciPipelineOptions{verbIO: vio, output: file, gitlabClient: g.gitlabClient,
		job: ciJob{label: "wend", stage: "test", image: "img", version: "latest", provider: "anthropic", approval: "full-auto"}}
	if err := runCIPipeline(ctx, o); err != nil || !strings.Contains(out.String(), `2 issue(s) labelled "wend": child pipeline written to `+file) {
		t.Fatalf("pipeline: %v\n%s", err, out)
	}
	if text, err := os.ReadFile(file); err != nil || !strings.Contains(string(text), `- "13"`) || !strings.Contains(string(text), `- "14"`) || !strings.Contains(string(text), `stages: ["test"]`) {
		t.Fatalf("child pipeline (%v):\n%s", err, text)
	}
	// wend ci mr: refused without --issue (before opening anything) and with nothing staged.
	vio, _, _, g = gitlabVerb(t, dir)
	vio.workspace = func(context.Context) (*workspace, error) {
		t.Fatal("opened the workspace without --issue")
		return nil, nil
	}
	if err := runCIMR(ctx, &ciMROptions{verbIO: vio, gitlabClient: g.gitlabClient, remote: "origin"}); !usageCode(err) || !strings.Contains(err.Error(), "--issue N is required") {
		t.Fatalf("no --issue: %v", err)
	}
	vio, _, _, g = gitlabVerb(t, dir)
	if err := runCIMR(ctx, &ciMROptions{verbIO: vio, gitlabClient: g.gitlabClient, issue: 12, remote: "origin"}); err == nil || !strings.Contains(err.Error(), "nothing is staged for #12") {
		t.Fatalf("nothing staged: %v", err)
	}
	if w := writes(srv); len(w) != 0 {
		t.Fatalf("wrote to GitLab: %v", w)
	}
	// A staged change is committed on wend/12, pushed, and its merge request closes #12.
	bare := t.TempDir()
	git(t, bare, "init", "-q", "--bare")
	git(t, dir, "remote", "set-url", "--push", "origin", bare)
	if err := os.WriteFile(filepath.Join(dir, "CHANGED.txt"), []byte("fixed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "add", "CHANGED.txt")
	for _, k := range []string{"GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"} {
		t.Setenv(k, "t")
	}
	for _, k := range []string{"GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"} {
		t.Setenv(k, "t@x")
	}
	vio, out, errb, g = gitlabVerb(t, dir)
	if err := runCIMR(ctx, &ciMROptions{verbIO: vio, gitlabClient: g.gitlabClient, issue: 12, remote: "origin", events: "wend-events.jsonl", removeSource: true}); err != nil {
		t.Fatalf("ci mr: %v\n%s%s", err, out, errb)
	}
	for _, want := range []string{"on wend/12: Resolve #12", "Pushed wend/12", "Opened merge request"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("no %q in:\n%s", want, out)
		}
	}
	if got := git(t, bare, "show", "--stat", "--format=%s", "wend/12"); !strings.Contains(got, "CHANGED.txt") {
		t.Fatalf("pushed branch:\n%s", got)
	}
	mr := string(srv.Body("/merge_requests"))
	for _, want := range []string{`"source_branch":"wend/12"`, "Closes #12", "wend-events.jsonl"} {
		if !strings.Contains(mr, want) {
			t.Fatalf("merge request lacks %s: %s", want, mr)
		}
	}
}
