package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
	"gitlab.com/wend/wend/remote/llm/llmtest"
)

const componentFile = "../templates/wend.yml"

var inputRe = regexp.MustCompile(`\$\[\[\s*inputs\.([a-z_]+)\s*\]\]`)

// component reads the CI/CD component: its spec's inputs, and its jobs with
// the given input values interpolated as GitLab does (text before YAML).
func component(t *testing.T, values map[string]string) (map[string]map[string]any, map[string]map[string]any) {
	t.Helper()
	data, err := os.ReadFile(componentFile)
	if err != nil {
		t.Fatal(err)
	}
	head, body, ok := strings.Cut(string(data), "\n---\n")
	if !ok {
		t.Fatal("the component has no spec header (a first YAML document ended by ---)")
	}
	var spec struct {
		Spec struct {
			Inputs map[string]map[string]any `yaml:"inputs"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal([]byte(head), &spec); err != nil {
		t.Fatalf("spec: %v", err)
	}
	body = inputRe.ReplaceAllStringFunc(body, func(m string) string {
		name := inputRe.FindStringSubmatch(m)[1]
		if v, ok := values[name]; ok {
			return v
		}
		return fmt.Sprint(spec.Spec.Inputs[name]["default"])
	})
	jobs := map[string]map[string]any{}
	if err := yaml.Unmarshal([]byte(body), &jobs); err != nil {
		t.Fatalf("jobs: %v", err)
	}
	return spec.Spec.Inputs, jobs
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// The component parses; every input it declares is used and every one it
// uses is declared, with a description; options hold the default; the job
// scripts are the ones `wend ci pipeline` writes for a sweep's jobs.
func TestCIComponentIsConsistent(t *testing.T) {
	data, _ := os.ReadFile(componentFile)
	inputs, jobs := component(t, nil)
	_, body, _ := strings.Cut(string(data), "\n---\n")
	used := map[string]bool{}
	for _, m := range inputRe.FindAllStringSubmatch(body, -1) {
		used[m[1]] = true
	}
	for name, in := range inputs {
		if !used[name] {
			t.Errorf("input %s is declared but not used", name)
		}
		if d, _ := in["description"].(string); d == "" {
			t.Errorf("input %s has no description", name)
		}
		if opts, ok := in["options"].([]any); ok && !slices.Contains(opts, in["default"]) {
			t.Errorf("input %s: default %v is not among its options %v", name, in["default"], opts)
		}
	}
	for name := range used {
		if _, ok := inputs[name]; !ok {
			t.Errorf("input %s is used but not declared", name)
		}
	}
	for _, name := range []string{"wend-issue", "wend-sweep", "wend-sweep-run", ".wend-setup"} {
		if jobs[name] == nil {
			t.Fatalf("no job %s", name)
		}
	}
	if got := strs(jobs["wend-issue"]["script"]); !slices.Equal(got, ciJobScript) {
		t.Errorf("wend-issue's script differs from ciJobScript:\n%q\n%q", got, ciJobScript)
	}
	if got := strs(jobs[".wend-setup"]["before_script"]); !slices.Equal(got, ciSetupScript) {
		t.Errorf(".wend-setup's before_script differs from ciSetupScript:\n%q", got)
	}
	if art := jobs["wend-issue"]["artifacts"].(map[string]any); art["when"] != "always" || !slices.Contains(strs(art["paths"]), "wend-events.jsonl") {
		t.Errorf("the events are not kept as an artifact: %v", art)
	}
	for _, text := range []string{body} {
		for _, secret := range []string{"GITLAB_TOKEN", "API_KEY", "CI_JOB_TOKEN"} {
			for _, l := range strings.Split(text, "\n") {
				if strings.Contains(l, secret) && !strings.HasPrefix(strings.TrimSpace(l), "#") {
					t.Errorf("a job line names %s (GitLab prints script lines): %s", secret, l)
				}
			}
		}
	}
	// The sweep's command passes every input it needs to the child pipeline.
	sweep := strs(jobs["wend-sweep"]["script"])[0]
	for _, flag := range []string{"--label", "--stage", "--image", "--version", "--ci-provider", "--ci-model", "--ci-base-url", "--ci-approval"} {
		if !strings.Contains(sweep, flag+" ") {
			t.Errorf("the sweep does not pass %s", flag)
		}
	}
}

// runJob runs a job of the component as a runner's shell would: job
// variables, then before_script and script lines, each echoed with "$ "
// first, stopping at the first failure. It returns the job log.
func runJob(t *testing.T, jobs map[string]map[string]any, name, dir string, env map[string]string) (string, error) {
	t.Helper()
	job := jobs[name]
	vars := map[string]any{}
	var before []string
	if ext, ok := job["extends"].(string); ok {
		for k, v := range jobs[ext]["variables"].(map[string]any) {
			vars[k] = v
		}
		before = strs(jobs[ext]["before_script"])
	}
	if v, ok := job["variables"].(map[string]any); ok {
		for k, x := range v {
			vars[k] = x
		}
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, set := env[k]; !set { // a pipeline variable wins over the job's
			env[k] = os.Expand(fmt.Sprint(vars[k]), func(n string) string { return env[n] })
		}
	}
	var sh strings.Builder
	sh.WriteString("set -e\n")
	for _, l := range append(before, strs(job["script"])...) {
		fmt.Fprintf(&sh, "printf '%%s\\n' %s\n%s\n", shellQuote("$ "+l), l)
	}
	cmd := exec.Command("sh", "-c", sh.String())
	cmd.Dir = dir
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// The component's job, run locally against the fakes (GitLab on 127.0.0.1,
// a bare repository as the push remote, the scripted model): it resolves
// issue #12, keeps the events, pushes wend/12 and opens a merge request that
// closes the issue with the plan and summary; neither the token nor the
// model key appears in the job log or the artifact, though the issue's text
// quotes the token.
func TestCIComponentJobOpensAnMRWithoutLeakingTheToken(t *testing.T) {
	bin := wendBinary(t)
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not installed")
	}
	srv := gitlabtest.New(t)
	srv.Data.Issues[gitlabtest.IssueIID].Description += "\n\nDeploy with " + gitlabtest.Token
	dir := gitlabRepo(t, srv)
	bare := filepath.Join(t.TempDir(), "proj.git")
	git(t, t.TempDir(), "init", "-q", "--bare", bare)
	script, err := llmtest.LoadScript("../testdata/demo/script.json")
	if err != nil {
		t.Fatal(err)
	}
	model := llmtest.Start(t, llmtest.OpenAI, script)
	const modelKey = "sk-test-ModelKeyNeverShown0042"
	_, jobs := component(t, map[string]string{"provider": "openai", "model": "m", "base_url": model.URL, "issue": "12"})
	home := t.TempDir()
	gocache, _ := exec.Command(goBin, "env", "GOCACHE").Output()
	env := map[string]string{
		"PATH": filepath.Dir(bin) + ":" + filepath.Dir(goBin) + ":/usr/local/bin:/usr/bin:/bin", "HOME": home,
		"XDG_STATE_HOME": filepath.Join(home, "state"), "XDG_CONFIG_HOME": filepath.Join(home, "config"),
		"GOCACHE": strings.TrimSpace(string(gocache)), "GOFLAGS": "-mod=mod",
		"CI": "true", "CI_SERVER_URL": srv.URL(), "CI_SERVER_HOST": "127.0.0.1", "CI_PROJECT_PATH": gitlabtest.Project,
		"CI_JOB_URL":    srv.URL() + "/" + gitlabtest.Project + "/-/jobs/7001",
		"WEND_PUSH_URL": bare, // the runner's push URL, here a local bare repository
		"GITLAB_TOKEN":  gitlabtest.Token, "OPENAI_API_KEY": modelKey,
	}
	log, err := runJob(t, jobs, "wend-issue", dir, env)
	if err != nil {
		t.Fatalf("the job failed: %v\n%s", err, log)
	}
	if !strings.Contains(log, "Opened merge request") || !strings.Contains(log, "wend review !99") {
		t.Errorf("job log:\n%s", log)
	}
	events, err := os.ReadFile(filepath.Join(dir, "wend-events.jsonl"))
	if err != nil || !strings.Contains(string(events), `"type":"session_finished"`) {
		t.Fatalf("no events artifact: %v %.300s", err, events)
	}
	for _, secret := range []string{gitlabtest.Token, modelKey} {
		for what, text := range map[string]string{"job log": log, "events artifact": string(events)} {
			if strings.Contains(text, secret) {
				t.Errorf("%s leaked into the %s", secret[:12], what)
			}
		}
	}
	first := string(model.Requests()[0].Body)
	if !strings.Contains(first, "Crash when the config file is missing") || !strings.Contains(first, "[REDACTED") || strings.Contains(first, gitlabtest.Token) {
		t.Errorf("the issue, its token masked, did not reach the model: %.2000s", first)
	}
	body := string(srv.Body("/merge_requests"))
	for _, want := range []string{`"source_branch":"wend/12"`, `Closes #12`, `## Plan`, `## Summary`, `- [x] `, "jobs/7001", "wend-events.jsonl", `Resolve #12: Crash when the config file is missing`} {
		if !strings.Contains(body, want) {
			t.Errorf("the merge request lacks %q: %s", want, body)
		}
	}
	msg := git(t, bare, "log", "-1", "--format=%s", "refs/heads/wend/12")
	if !strings.HasPrefix(msg, "Resolve #12") {
		t.Errorf("wend/12 on the remote: %q", msg)
	}

	// Later a wend user reviews that merge request: the fake serves it (!99)
	// with the diff GitLab would compute from the pushed branch.
	head := strings.TrimSpace(git(t, bare, "rev-parse", "refs/heads/wend/12"))
	srv.Data.MRs[99] = &gitlabtest.MergeRequest{ID: 2099, IID: 99, ProjectID: gitlabtest.ProjectID, Title: "Resolve #12", State: "opened",
		SourceBranch: "wend/12", TargetBranch: "main", SHA: head, WebURL: srv.URL() + "/" + gitlabtest.Project + "/-/merge_requests/99"}
	for _, path := range strings.Fields(git(t, dir, "diff", "--name-only", "main", "wend/12")) {
		d := git(t, dir, "diff", "main", "wend/12", "--", path)
		srv.Data.Diffs[99] = append(srv.Data.Diffs[99], gitlabtest.Diff{OldPath: path, NewPath: path, AMode: "100644", BMode: "100644", Diff: d[strings.Index(d, "@@"):]})
	}
	reviewer := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{{Text: `{"comments": []}`}, {Text: `{"comments": []}`}, {Text: `{"comments": []}`}}})
	renv := wendEnv(t, map[string]string{"GITLAB_TOKEN": gitlabtest.Token, "OPENAI_API_KEY": "k"})
	code, out, errOut := wend(t, renv, "-C", dir, "--provider", "openai", "--base-url", reviewer.URL, "--model", "m", "review", "!99", "--json")
	var rep reviewReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Hunks == 0 || rep.Drafted != rep.Hunks || !strings.Contains(string(reviewer.Requests()[0].Body), "Resolve #12") {
		t.Errorf("reviewing the job's merge request: %d %s %s", code, out, errOut)
	}
}

// A sweep lists the label's open issues and writes a child pipeline whose
// parallel:matrix runs the same job for each.
func TestCIPipelineFansOutALabelsIssues(t *testing.T) {
	srv := gitlabtest.New(t)
	srv.Data.Issues[13].Labels = append(srv.Data.Issues[13].Labels, "wend")
	srv.Data.Issues[14].Labels = append(srv.Data.Issues[14].Labels, "wend")
	dir := gitlabRepo(t, srv)
	env := wendEnv(t, map[string]string{"GITLAB_TOKEN": gitlabtest.Token})
	code, out, errOut := wend(t, env, "-C", dir, "ci", "issues", "--label", "wend")
	if code != 0 || out != "13\n14\n" {
		t.Fatalf("issues: %d %q %s", code, out, errOut)
	}
	code, out, errOut = wend(t, env, "-C", dir, "ci", "pipeline", "--label", "wend", "--ci-provider", "anthropic", "--stage", "test")
	if code != 0 {
		t.Fatalf("pipeline: %d %s", code, errOut)
	}
	var child map[string]any
	if err := yaml.Unmarshal([]byte(out), &child); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	job := child["wend-issue"].(map[string]any)
	matrix := job["parallel"].(map[string]any)["matrix"].([]any)[0].(map[string]any)["WEND_ISSUE"]
	if got := strs(matrix); !slices.Equal(got, []string{"13", "14"}) {
		t.Errorf("matrix: %v", got)
	}
	if !slices.Equal(strs(job["script"]), ciJobScript) || !slices.Equal(strs(job["before_script"]), ciSetupScript) {
		t.Errorf("the child's job is not the component's:\n%s", out)
	}
	if v := job["variables"].(map[string]any); v["WEND_PROVIDER"] != "anthropic" || v["GITLAB_URL"] != "$CI_SERVER_URL" {
		t.Errorf("variables: %v", v)
	}
	// No issue: still a valid pipeline, which says so.
	code, out, _ = wend(t, env, "-C", dir, "ci", "pipeline", "--label", "nothing-has-this")
	if err := yaml.Unmarshal([]byte(out), &child); code != 0 || err != nil || child["wend-nothing-to-do"] == nil {
		t.Errorf("empty sweep: %d %v\n%s", code, err, out)
	}
}

func TestCIMRRefusesWithNothingStaged(t *testing.T) {
	srv := gitlabtest.New(t)
	dir := gitlabRepo(t, srv)
	env := wendEnv(t, map[string]string{"GITLAB_TOKEN": gitlabtest.Token})
	code, _, errOut := wend(t, env, "-C", dir, "ci", "mr", "--issue", "12")
	if code == 0 || !strings.Contains(errOut, "nothing is staged for #12") {
		t.Fatalf("%d %s", code, errOut)
	}
	if len(writes(srv)) != 0 {
		t.Fatal("wrote to GitLab")
	}
}
