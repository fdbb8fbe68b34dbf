package repo

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFactsOnGoProject(t *testing.T) {
	dir := newGitRepo(t, map[string]string{
		"go.mod":  "module example.com/x\n\ngo 1.26\n",
		"main.go": "package main\n",
		"Makefile": "GO := go\n.PHONY: build test\n\nbuild:\n\t$(GO) build ./...\n" +
			"test: build\n\t$(GO) test ./...\nlint:\n\tgolangci-lint run\n%.o: %.c\n\tcc $<\n",
		"AGENTS.md":                 "# Agents\n\nRun make test before finishing.\n",
		".gitlab/duo/chat-rules.md": "Prefer table-driven tests.\n",
		".gitlab-ci.yml": "stages: [test]\nvariables:\n  X: 1\n.base:\n  image: golang\n" +
			"unit-tests:\n  stage: test\n  script: make test\n\"lint job\":\n  script: make lint\n",
		"internal/a/a.go":  "package a\n",
		"internal/b/b.go":  "package b\n",
		"internal/b/b.md":  "doc\n",
		"package.json":     `{"scripts": {"test": "jest", "build": "tsc"}}`,
		"web/app.ts":       "export {}\n",
		"scripts/setup.sh": "#!/bin/sh\n",
	})
	runGit(t, dir, "commit", "-q", "--allow-empty", "-m", "second commit")
	f, err := openRepo(t, dir).Facts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f.Branch != "main" {
		t.Errorf("Branch = %q", f.Branch)
	}
	wantCmds := []Command{
		{"go build ./...", "go.mod"}, {"go test ./...", "go.mod"}, {"go vet ./...", "go.mod"},
		{"make build", "Makefile"}, {"make test", "Makefile"}, {"make lint", "Makefile"},
		{"npm run build", "package.json"}, {"npm run test", "package.json"},
	}
	if diff := cmp.Diff(wantCmds, f.Commands); diff != "" {
		t.Errorf("Commands (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"unit-tests", "lint job"}, f.CIJobs); diff != "" {
		t.Errorf("CIJobs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]DirCount{{Name: ".gitlab", Files: 1}, {Name: "internal", Files: 3}, {Name: "scripts", Files: 1}, {Name: "web", Files: 1}}, f.Dirs); diff != "" {
		t.Errorf("Dirs (-want +got):\n%s", diff)
	}
	if len(f.Commits) != 2 || !strings.HasSuffix(f.Commits[0], " second commit") {
		t.Errorf("Commits = %q", f.Commits)
	}
	if f.Languages[0] != (LangCount{"Go", 3, 27}) {
		t.Errorf("top language = %+v", f.Languages[0])
	}

	md := f.Markdown()
	for _, want := range []string{
		"- Branch: main\n",
		"- Files known to git: 12\n",
		"- Languages: Go 27% (3), Markdown 27% (3), JSON 9% (1), Makefile 9% (1), Shell 9% (1), TypeScript 9% (1), YAML 9% (1)\n",
		"- internal/ (3 files)\n",
		"- files: .gitlab-ci.yml, AGENTS.md, Makefile, go.mod, main.go, package.json\n",
		"- `go test ./...` (go.mod)\n",
		"- `make lint` (Makefile)\n",
		"- GitLab CI jobs (.gitlab-ci.yml): unit-tests, lint job\n",
		"## Recent commits\n\n- ",
		"## Instructions from AGENTS.md\n\n# Agents\n\nRun make test before finishing.\n",
		"## Instructions from .gitlab/duo/chat-rules.md\n\nPrefer table-driven tests.\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "make %.o") || strings.Contains(md, "make GO") || strings.Contains(md, ".base") {
		t.Errorf("markdown lists a non-target:\n%s", md)
	}
	if again, _ := openRepo(t, dir).Facts(context.Background()); again.Markdown() != md {
		t.Error("Markdown is not deterministic")
	}
}

func TestFactsOnDetachedHead(t *testing.T) {
	dir := newGitRepo(t, map[string]string{"a.txt": "a\n"})
	runGit(t, dir, "checkout", "-q", "--detach")
	_, err := openRepo(t, dir).Facts(context.Background())
	if !errors.Is(err, ErrDetachedHead) {
		t.Fatalf("err = %v, want ErrDetachedHead", err)
	}
	if !strings.Contains(err.Error(), "git switch") {
		t.Errorf("error does not say how to fix it: %v", err)
	}
}

func TestFactsOnUnbornBranch(t *testing.T) {
	dir := t.TempDir()
	runGit(t, dir, "init", "-q", "-b", "trunk")
	writeFiles(t, dir, map[string]string{"Cargo.toml": "[package]\n", "pyproject.toml": "[tool.pytest.ini_options]\n",
		"Gemfile": "source 'https://rubygems.org'\n", "Rakefile": "task :default\n"})
	f, err := openRepo(t, dir).Facts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f.Branch != "trunk" || len(f.Commits) != 0 {
		t.Errorf("branch %q commits %q", f.Branch, f.Commits)
	}
	want := []Command{{"cargo build", "Cargo.toml"}, {"cargo test", "Cargo.toml"}, {"pytest", "pyproject.toml"}, {"bundle exec rake", "Rakefile"}}
	if diff := cmp.Diff(want, f.Commands); diff != "" {
		t.Errorf("Commands (-want +got):\n%s", diff)
	}
}

func TestReadFactsOutsideARepository(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadFacts(context.Background(), dir)
	if !errors.Is(err, ErrNotRepo) || !strings.Contains(err.Error(), "not a git repository: "+dir) {
		t.Fatalf("err = %v", err)
	}
}

// TestOutlineGolden is the whole outline of a small polyglot repository, byte for
// byte (commits left out: their hashes change with the clock).
func TestOutlineGolden(t *testing.T) {
	dir := newGitRepo(t, map[string]string{
		"go.mod":         "module example.com/x\n\ngo 1.26\n",
		"cmd/x/main.go":  "package main\n",
		"internal/a.go":  "package internal\n",
		"web/src/app.ts": "export {}\n",
		"web/src/b.ts":   "export {}\n",
		"py/tool.py":     "print()\n",
		"tox.ini":        "[tox]\n[testenv]\ncommands = pytest\n",
		"Makefile":       "build:\n\tgo build ./...\ntest:\n\tgo test ./...\n",
		"package.json":   `{"scripts": {"test": "vitest"}}`,
		"yarn.lock":      "\n",
		".gitlab-ci.yml": "stages: [test]\ntest:\n  script: make test\n",
	})
	f, err := openRepo(t, dir).Facts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.Commits = nil
	want := "# Repository\n\n" +
		"- Root: " + filepath.Base(dir) + "\n- Branch: main\n- Files known to git: 11\n" +
		"- Languages: Go 25% (2), TypeScript 25% (2), JSON 13% (1), Makefile 13% (1), Python 13% (1), YAML 13% (1)\n" +
		"\n## Layout\n\n" +
		"- cmd/ (1 file)\n- internal/ (1 file)\n- py/ (1 file)\n- web/ (2 files)\n" +
		"- files: .gitlab-ci.yml, Makefile, go.mod, package.json, tox.ini, yarn.lock\n" +
		"\n## Build and test\n\n" +
		"- `go build ./...` (go.mod)\n- `go test ./...` (go.mod)\n- `go vet ./...` (go.mod)\n" +
		"- `make build` (Makefile)\n- `make test` (Makefile)\n" +
		"- `yarn run test` (package.json)\n" +
		"- `pytest` (tox.ini)\n- `tox` (tox.ini)\n" +
		"- GitLab CI jobs (.gitlab-ci.yml): test\n"
	if diff := cmp.Diff(want, f.Markdown()); diff != "" {
		t.Errorf("outline (-want +got):\n%s", diff)
	}
}
