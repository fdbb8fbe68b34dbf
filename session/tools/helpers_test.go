package tools

import (
	"context"
	"encoding/json"
	"gitlab.com/wend/wend/internal/gittest"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The git helpers are shared with the other packages' tests.
var (
	runGit     = gittest.Run
	writeFiles = gittest.WriteFiles
	newGitRepo = gittest.NewRepo
)

// recordingWorkspace writes to disk like DirectWorkspace and records what passed
// through it; AfterCommand reports the configured paths.
type recordingWorkspace struct {
	*DirectWorkspace
	mu           sync.Mutex
	writes       []string
	afterChanged []string
	afterCalls   int
}

func (w *recordingWorkspace) WriteFile(ctx context.Context, path string, data []byte, perm fs.FileMode) error {
	w.mu.Lock()
	w.writes = append(w.writes, path)
	w.mu.Unlock()
	return w.DirectWorkspace.WriteFile(ctx, path, data, perm)
}

func (w *recordingWorkspace) AfterCommand(context.Context) ([]string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.afterCalls++
	return w.afterChanged, nil
}

type fixture struct {
	t   *testing.T
	dir string
	ws  *recordingWorkspace
	reg *Registry
}

// newFixture makes a repository with files and a Registry on it; edit cfg
// before the Registry is built with opts.
func newFixture(t *testing.T, files map[string]string, opts ...func(*Config)) *fixture {
	t.Helper()
	dir := newGitRepo(t, files)
	ws := &recordingWorkspace{DirectWorkspace: NewDirectWorkspace(dir)}
	cfg := Config{Root: dir, Workspace: ws}
	for _, o := range opts {
		o(&cfg)
	}
	reg, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, dir: dir, ws: ws, reg: reg}
}

// call executes a tool; args is marshalled unless it is a string or json.RawMessage
// (sent verbatim, to test malformed input).
func (f *fixture) call(name string, args any) Result {
	f.t.Helper()
	var raw json.RawMessage
	switch a := args.(type) {
	case string:
		raw = json.RawMessage(a)
	case json.RawMessage:
		raw = a
	default:
		b, err := json.Marshal(a)
		if err != nil {
			f.t.Fatal(err)
		}
		raw = b
	}
	return f.reg.Execute(context.Background(), Call{ID: "1", Name: name, Args: raw})
}

func (f *fixture) mustOK(name string, args any) Result {
	f.t.Helper()
	res := f.call(name, args)
	if res.IsError {
		f.t.Fatalf("%s(%v) failed: %s", name, args, res.Output)
	}
	return res
}

func (f *fixture) mustFail(name string, args any, wantInOutput ...string) Result {
	f.t.Helper()
	res := f.call(name, args)
	if !res.IsError {
		f.t.Fatalf("%s(%v) succeeded, want an error; output:\n%s", name, args, res.Output)
	}
	for _, w := range wantInOutput {
		if !strings.Contains(res.Output, w) {
			f.t.Errorf("%s(%v) error lacks %q:\n%s", name, args, w, res.Output)
		}
	}
	if res.Summary == "" {
		f.t.Errorf("%s: error without a summary", name)
	}
	return res
}

func (f *fixture) read(path string) string {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, filepath.FromSlash(path)))
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b)
}

type obj = map[string]any
