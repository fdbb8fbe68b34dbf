//go:build linux

package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/internal/sandbox"
)

// The user keeps working while an agent command runs: every byte they save
// in that time is theirs, whatever the command did and whatever the user
// decides about the agent's changes afterwards.

const (
	calcOrig = "package calc\n\nfunc Add(a, b int) int { return a + b }\n"
	userLine = "// the user's line, saved while the command ran\n"
)

// concurrentFixture is a real repository, a gitops session on it wired as
// cli wires it, and a registry whose commands run sandboxed (sb non-nil) or
// not. sig is a directory outside the repository the command and the test
// share FIFOs in.
type concurrentFixture struct {
	t   *testing.T
	dir string
	sig string
	gs  *gitops.Session
	reg *Registry
}

func newConcurrentFixture(t *testing.T, sandboxOn bool) *concurrentFixture {
	t.Helper()
	dir := newGitRepo(t, map[string]string{
		"calc/calc.go": calcOrig, "a.txt": "a\n", "b.txt": "b\n", "c.txt": "c\n", "d.txt": "d\n",
		"both.txt": "both\n", "gone.txt": "gone\n",
	})
	sig := t.TempDir()
	for _, name := range []string{"started", "go"} {
		if err := syscall.Mkfifo(filepath.Join(sig, name), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	gs, err := gitops.Start(ctx, dir, "concurrent")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gs.Close() })
	cfg := Config{Root: dir, Workspace: gs, Env: []string{"SIG=" + sig}}
	if sandboxOn {
		home := t.TempDir()
		t.Setenv("HOME", home)
		t.Setenv("XDG_CONFIG_HOME", "")
		t.Setenv("XDG_STATE_HOME", "")
		sb := &sandbox.Sandbox{InitPath: os.Args[0], Writable: []string{sig}}
		if err := sb.Available(); err != nil {
			t.Skipf("this kernel cannot sandbox commands: %v", err)
		}
		cfg.Sandbox = sb
	}
	reg, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &concurrentFixture{t: t, dir: dir, sig: sig, gs: gs, reg: reg}
}

// runWhileUserEdits runs command as the agent's run_command; once the command
// says it started (it writes the FIFO "started"), userEdits runs, and then the
// command is let go (the FIFO "go"). No sleeps: the command blocks on the FIFO.
func (f *concurrentFixture) runWhileUserEdits(command string, userEdits func()) Result {
	f.t.Helper()
	args, _ := json.Marshal(obj{"command": command})
	done := make(chan Result, 1)
	go func() { done <- f.reg.Execute(context.Background(), Call{Name: ToolRunCommand, Args: args}) }()
	started := make(chan error, 1)
	go func() {
		b, err := os.ReadFile(filepath.Join(f.sig, "started")) // blocks until the command writes and closes it
		if err == nil && len(b) == 0 {
			err = errors.New("empty")
		}
		started <- err
	}()
	select {
	case err := <-started:
		if err != nil {
			f.t.Fatalf("waiting for the command to start: %v", err)
		}
	case res := <-done:
		f.t.Fatalf("the command ended before it started waiting: %s", res.Output)
	}
	userEdits()
	if err := os.WriteFile(filepath.Join(f.sig, "go"), []byte("go\n"), 0o600); err != nil {
		f.t.Fatal(err)
	}
	return <-done
}

func (f *concurrentFixture) write(rel, content string) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, rel), []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *concurrentFixture) content(rel string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(f.dir, rel))
	if errors.Is(err, os.ErrNotExist) {
		return "", false
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b), true
}

// agentCommand appends to a.txt (the agent's own change) and overwrites
// both.txt before the user's edits, then waits for them.
const agentCommand = `echo agent >> a.txt && echo command > both.txt && echo x > "$SIG/started" && read x < "$SIG/go"`

// userEdits are the user's saves while the command runs: an append, a
// rewrite, a delete, a rename, and a save of a file the command also wrote.
func (f *concurrentFixture) userEdits() {
	f.t.Helper()
	c, _ := f.content("calc/calc.go")
	f.write("calc/calc.go", c+userLine)
	f.write("b.txt", "rewritten by the user\n")
	if err := os.Remove(filepath.Join(f.dir, "c.txt")); err != nil {
		f.t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(f.dir, "d.txt"), filepath.Join(f.dir, "e.txt")); err != nil {
		f.t.Fatal(err)
	}
	f.write("both.txt", "the user's both\n")
}

// checkUserBytes fails unless every user edit is where the user left it.
func (f *concurrentFixture) checkUserBytes(when string) {
	f.t.Helper()
	want := map[string]string{
		"calc/calc.go": calcOrig + userLine, "b.txt": "rewritten by the user\n",
		"e.txt": "d\n", "both.txt": "the user's both\n",
	}
	for p, w := range want {
		if got, ok := f.content(p); !ok || got != w {
			f.t.Errorf("%s: %s holds %q (exists %v), want the user's %q", when, p, got, ok, w)
		}
	}
	for _, p := range []string{"c.txt", "d.txt"} {
		if _, ok := f.content(p); ok {
			f.t.Errorf("%s: %s is back, but the user removed it while the command ran", when, p)
		}
	}
}

func proposalPaths(t *testing.T, gs *gitops.Session) map[string]gitops.FileChange {
	t.Helper()
	fcs, err := gs.Proposals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]gitops.FileChange{}
	for _, fc := range fcs {
		out[fc.Path] = fc
		if fc.OldPath != "" {
			out[fc.OldPath] = fc
		}
	}
	return out
}

func TestUserEditsDuringSandboxedCommandStayTheUsers(t *testing.T) {
	for _, tc := range []struct{ decision, when string }{
		{"reject-all", "first"}, {"undo-all", "first"}, {"accept-all", "first"},
		{"reject-all", "later"}, {"undo-all", "later"},
	} {
		decision := tc.decision
		t.Run(decision+"/"+tc.when, func(t *testing.T) {
			f := newConcurrentFixture(t, true)
			if tc.when == "later" {
				// The first command also takes a snapshot (capture may fail);
				// later ones rely on the capture alone.
				if res := f.reg.Execute(context.Background(), Call{Name: ToolRunCommand, Args: json.RawMessage(`{"command":"true"}`)}); res.IsError {
					t.Fatal(res.Output)
				}
			}
			res := f.runWhileUserEdits(agentCommand, f.userEdits)
			if res.IsError {
				t.Fatalf("run_command failed: %s", res.Output)
			}
			f.checkUserBytes("after the command")
			props := proposalPaths(t, f.gs)
			if _, ok := props["a.txt"]; !ok {
				t.Fatalf("the command's append to a.txt is not a proposal: %v", props)
			}
			for _, p := range []string{"calc/calc.go", "b.txt", "c.txt", "d.txt", "e.txt", "both.txt"} {
				if _, ok := props[p]; ok {
					t.Errorf("%s is proposed as the agent's change, but only the user changed it (or kept theirs)", p)
				}
			}
			if !strings.Contains(res.Output, "both.txt") || !strings.Contains(res.Output, "kept your version") {
				t.Errorf("the result does not say both.txt changed while the command ran and was kept:\n%s", res.Output)
			}
			ctx := context.Background()
			var err error
			switch decision {
			case "reject-all":
				_, err = f.gs.RejectAll(ctx, "no")
			case "undo-all":
				_, err = f.gs.UndoAll(ctx, "no")
			case "accept-all":
				_, err = f.gs.AcceptAll(ctx, "yes")
			}
			if err != nil {
				t.Fatalf("%s: %v", decision, err)
			}
			f.checkUserBytes("after " + decision)
			a, _ := f.content("a.txt")
			if want := map[bool]string{true: "a\nagent\n", false: "a\n"}[decision == "accept-all"]; a != want {
				t.Errorf("after %s a.txt = %q, want %q", decision, a, want)
			}
		})
	}
}

func TestUserEditsDuringUnsandboxedCommandSurviveRejectAndUndo(t *testing.T) {
	for _, decision := range []string{"reject-all", "undo-all", "accept-all"} {
		t.Run(decision, func(t *testing.T) {
			f := newConcurrentFixture(t, false)
			res := f.runWhileUserEdits(agentCommand, f.userEdits)
			if res.IsError {
				t.Fatalf("run_command failed: %s", res.Output)
			}
			f.checkUserBytes("after the command")
			props := proposalPaths(t, f.gs)
			for _, p := range []string{"a.txt", "calc/calc.go"} {
				fc, ok := props[p]
				if !ok {
					t.Fatalf("%s is not a proposal (the fallback credits what changed, uncertain): %v", p, props)
				}
				if !fc.Uncertain {
					t.Errorf("%s is not marked as changed while the command ran", p)
				}
			}
			ctx := context.Background()
			var err error
			switch decision {
			case "reject-all":
				_, err = f.gs.RejectAll(ctx, "no")
			case "undo-all":
				_, err = f.gs.UndoAll(ctx, "no")
			case "accept-all":
				_, err = f.gs.AcceptAll(ctx, "yes")
			}
			if decision != "accept-all" {
				if err == nil || !strings.Contains(err.Error(), "changed while the command ran") {
					t.Errorf("%s of uncertain changes: err = %v, want a refusal saying they changed while the command ran", decision, err)
				}
			} else if err != nil {
				t.Fatalf("accept-all: %v", err)
			}
			f.checkUserBytes("after " + decision)
		})
	}
}

// TestCapturedCommandChangesAreProposals: what a sandboxed command does to
// the tree (edit a file the agent just wrote, chmod, symlink, delete, replace
// a directory, write an ignored build output) reaches the tree, and every
// change but the ignored one is a proposal reject takes back.
func TestCapturedCommandChangesAreProposals(t *testing.T) {
	f := newConcurrentFixture(t, true)
	f.write(".gitignore", "build/\n")
	ctx := context.Background()
	// A first command, so the next runs on the capture alone, right after the
	// agent's write (no snapshot in between).
	if res := f.reg.Execute(ctx, Call{Name: ToolRunCommand, Args: mustJSON(obj{"command": "true"})}); res.IsError {
		t.Fatal(res.Output)
	}
	if res := f.reg.Execute(ctx, Call{Name: ToolCreateFile, Args: mustJSON(obj{"path": "fmt.txt", "content": "agent wrote\n"})}); res.IsError {
		t.Fatal(res.Output)
	}
	script := `set -e
echo formatted >> fmt.txt
chmod +x b.txt
ln -s a.txt link
rm c.txt
mkdir -p build && echo out > build/app
rm -rf calc && mkdir calc && echo 'package calc' > calc/new.go`
	res := f.reg.Execute(ctx, Call{Name: ToolRunCommand, Args: mustJSON(obj{"command": script})})
	if res.IsError || strings.Contains(res.Output, "kept your version") {
		t.Fatalf("run_command:\n%s", res.Output)
	}
	if got, _ := f.content("fmt.txt"); got != "agent wrote\nformatted\n" {
		t.Errorf("fmt.txt = %q: the command's edit of the agent's own write is not applied (a false conflict?)", got)
	}
	if fi, err := os.Stat(filepath.Join(f.dir, "b.txt")); err != nil || fi.Mode().Perm()&0o100 == 0 {
		t.Errorf("b.txt lost the command's chmod +x: %v %v", fi.Mode(), err)
	}
	if tgt, err := os.Readlink(filepath.Join(f.dir, "link")); err != nil || tgt != "a.txt" {
		t.Errorf("link: %q %v", tgt, err)
	}
	if got, _ := f.content("build/app"); got != "out\n" {
		t.Errorf("build/app = %q", got)
	}
	props := proposalPaths(t, f.gs)
	for _, p := range []string{"fmt.txt", "b.txt", "link", "c.txt", "calc/calc.go", "calc/new.go"} {
		if _, ok := props[p]; !ok {
			t.Errorf("%s is not a proposal: %v", p, props)
		}
	}
	if _, ok := props["build/app"]; ok {
		t.Error("the ignored build output is a proposal")
	}
	if _, err := f.gs.RejectAll(ctx, "no"); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{"c.txt": "c\n", "calc/calc.go": calcOrig, "b.txt": "b\n"} {
		if got, _ := f.content(p); got != want {
			t.Errorf("after reject-all %s = %q, want %q", p, got, want)
		}
	}
	for _, p := range []string{"link", "calc/new.go", "fmt.txt"} {
		if _, err := os.Lstat(filepath.Join(f.dir, p)); err == nil {
			t.Errorf("after reject-all %s is still there", p)
		}
	}
	if fi, _ := os.Stat(filepath.Join(f.dir, "b.txt")); fi.Mode().Perm()&0o100 != 0 {
		t.Errorf("after reject-all b.txt is still executable")
	}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// BenchmarkRunCommandGitops is one short sandboxed run_command on a gitops
// session over a 2,000-file repository: with the two snapshots of the
// fallback, and captured.
func BenchmarkRunCommandGitops(b *testing.B) {
	files := map[string]string{}
	for i := range 2000 {
		files[fmt.Sprintf("pkg%d/file%d.go", i/50, i)] = fmt.Sprintf("package pkg\n\n// %d\n", i)
	}
	dir := newGitRepo(b, files)
	gs, err := gitops.Start(context.Background(), dir, "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer gs.Close()
	sb := &sandbox.Sandbox{InitPath: os.Args[0]}
	if err := sb.Available(); err != nil {
		b.Skip(err)
	}
	reg, err := New(Config{Root: dir, Workspace: gs, Sandbox: sb})
	if err != nil {
		b.Fatal(err)
	}
	args := mustJSON(obj{"command": "true"})
	for _, mode := range []string{"snapshots", "captured"} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				if mode == "snapshots" {
					reg.capture.Store(captureBroken)
				} else {
					reg.capture.Store(captureWorks)
				}
				if res := reg.Execute(context.Background(), Call{Name: ToolRunCommand, Args: args}); res.IsError {
					b.Fatal(res.Output)
				}
			}
		})
	}
}
