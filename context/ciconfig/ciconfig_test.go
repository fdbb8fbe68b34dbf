package ciconfig

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const ciYAML = `
include:
  - local: ci/base.yml
  - project: group/templates
    file: go.yml
variables:
  GOFLAGS: -mod=mod
  DEEP: "$GOFLAGS/x"
default:
  image: golang:1.22
  before_script:
    - echo default-before
.setup:
  script:
    - echo from-reference
test:
  extends: .base
  stage: test
  variables:
    LEVEL: job
  script:
    - !reference [.setup, script]
    - go test ./...
  rules:
    - if: $CI_COMMIT_BRANCH == "main" && $NIGHTLY
      when: never
    - if: '$CI_COMMIT_BRANCH =~ /^fix-/'
    - when: on_success
deploy:
  stage: deploy
  script: ./deploy.sh
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
`

const baseYAML = `
.base:
  image: golang:1.21
  variables:
    LEVEL: base
    FROM_BASE: "yes"
  after_script:
    - echo after
`

func TestJobResolvesIncludesExtendsDefaultsAndReferences(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{".gitlab-ci.yml": ciYAML, "ci/base.yml": baseYAML})
	cfg, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Jobs(); !slices.Equal(got, []string{"deploy", "test"}) {
		t.Fatalf("jobs %v", got)
	}
	j, err := cfg.Job("test", map[string]string{"CI_COMMIT_BRANCH": "fix-ci"})
	if err != nil {
		t.Fatal(err)
	}
	if j.Image != "golang:1.21" {
		t.Errorf("image %q: the job's (from extends) wins over default's", j.Image)
	}
	want := []string{"echo default-before", "echo from-reference", "go test ./..."}
	if !slices.Equal(j.Script, want) {
		t.Errorf("script %q, want %q", j.Script, want)
	}
	vars := map[string]string{}
	for _, kv := range j.Variables {
		vars[kv[0]] = kv[1]
	}
	if vars["LEVEL"] != "job" || vars["FROM_BASE"] != "yes" || vars["GOFLAGS"] != "-mod=mod" {
		t.Errorf("variables %v", j.Variables)
	}
	if len(j.Rules) != 3 || j.Rules[0].Matched != "no" || j.Rules[1].Matched != "yes" || !strings.HasPrefix(j.Rules[2].Matched, "not reached") {
		t.Errorf("rules %+v", j.Rules)
	}
	if j.Runs() != "" {
		t.Errorf("runs: %s", j.Runs())
	}
	if len(j.Notes) == 0 || !strings.Contains(j.Notes[0], "project group/templates") {
		t.Errorf("the unread include is not noted: %v", j.Notes)
	}
	d, _ := cfg.Job("deploy", map[string]string{"CI_COMMIT_BRANCH": "fix-ci"})
	if d.Runs() == "" {
		t.Error("deploy's rules only run on main")
	}
}

// The command runs like a runner: variables exported (and expanded by the
// shell), the first failing line stops the script, after_script still runs,
// the exit status is the script's.
func TestCommandFailsAtTheFirstFailingLine(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{".gitlab-ci.yml": `
variables:
  NAME: world
  GREETING: "hello $NAME"
job:
  script:
    - echo "$GREETING"
    - "false"
    - echo not-reached
  after_script:
    - echo after-ran
`})
	cfg, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	j, err := cfg.Job("job", nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sh", "-c", j.Command()).CombinedOutput()
	if err == nil {
		t.Fatalf("the script's failure was lost:\n%s", out)
	}
	s := string(out)
	if !strings.Contains(s, "hello world") || strings.Contains(s, "not-reached") || !strings.Contains(s, "after-ran") {
		t.Fatalf("output:\n%s", s)
	}
}

func TestHostileConfigurations(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"extends loop":    {".gitlab-ci.yml": "a:\n  extends: b\n  script: x\nb:\n  extends: a\n  script: y\n"},
		"missing parent":  {".gitlab-ci.yml": "a:\n  extends: .nope\n  script: x\n"},
		"include outside": {".gitlab-ci.yml": "include: ../../etc/passwd\na:\n  script: x\n"},
		"not yaml":        {".gitlab-ci.yml": "a: [\n"},
		"no script":       {".gitlab-ci.yml": "a:\n  stage: test\n"},
		"bad reference":   {".gitlab-ci.yml": "a:\n  script:\n    - !reference [.x, script]\n"},
		"self include":    {".gitlab-ci.yml": "include: .gitlab-ci.yml\na:\n  extends: b\n  script: x\n"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, files)
			cfg, err := Load(dir)
			if err == nil {
				_, err = cfg.Job("a", nil)
			}
			if err == nil {
				t.Fatal("no error")
			}
		})
	}
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no .gitlab-ci.yml") {
		t.Fatalf("no file: %v", err)
	}
}

func TestComponentInputs(t *testing.T) {
	dir := t.TempDir()
	if list, err := Components(dir); err != nil || len(list) != 0 {
		t.Fatalf("no templates/: %v %v", list, err)
	}
	write(t, dir, map[string]string{
		"templates/run.yml": `spec:
  inputs:
    stage:
      default: test
    attempts:
      type: number
      default: 2
    mode:
      options: [issue, label]
      default: issue
---
wend:
  stage: $[[ inputs.stage ]]
  script: wend run --pipeline-fix-attempts $[[ inputs.attempts ]] --mode $[[ inputs.mode ]]
`,
		"templates/bad/template.yml": `spec:
  inputs:
    attempts:
      type: number
      default: two
    mode:
      options: [issue, label]
      default: epic
    name:
      regex: ^[a-z]+$
      default: Bad
    kind:
      type: list
---
job:
  script: echo $[[ inputs.missing ]]
`,
	})
	list, err := Components(dir)
	if err != nil || !slices.Equal(list, []string{"templates/bad/template.yml", "templates/run.yml"}) {
		t.Fatalf("components %v %v", list, err)
	}
	if p := CheckComponent(dir, "templates/run.yml"); len(p) != 0 {
		t.Fatalf("a valid component: %v", p)
	}
	p := strings.Join(CheckComponent(dir, "templates/bad/template.yml"), "\n")
	for _, want := range []string{"default two is not a number", "default epic is not one of its options", "does not match its regex",
		`type "list"`, "inputs.missing"} {
		if !strings.Contains(p, want) {
			t.Errorf("problems lack %q:\n%s", want, p)
		}
	}
}
