package gitrun_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gitlab.com/wend/wend/internal/gitrun"
	"gitlab.com/wend/wend/internal/gittest"
)

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o755); err != nil {
		t.Fatal(err)
	}
}

// fakeGit is a stand-in binary (Cmd.Path) for what real git cannot be made to
// do on demand: flood stderr, print its environment.
func fakeGit(t *testing.T, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "git")
	writeFile(t, p, "#!/bin/sh\n"+script+"\n")
	return p
}

func TestRunReturnsStdoutAndRecordsWhatRan(t *testing.T) {
	dir := gittest.NewRepo(t, map[string]string{"a.txt": "a\n"})
	var mu sync.Mutex
	var ran []gitrun.Record
	ctx := gitrun.WithObserver(context.Background(), func(r gitrun.Record) {
		mu.Lock()
		defer mu.Unlock()
		ran = append(ran, r)
	})
	out, err := gitrun.Run(ctx, gitrun.Cmd{Dir: dir, Args: []string{"ls-files"}, Env: gitrun.ParseEnv})
	if err != nil || string(out) != "a.txt\n" {
		t.Fatalf("ls-files: %q %v", out, err)
	}
	_, err = gitrun.Run(ctx, gitrun.Cmd{Dir: dir, Args: []string{"rev-parse", "--verify", "--quiet", "no-such"}})
	if gitrun.ExitCode(err) != 1 {
		t.Fatalf("rev-parse of a missing ref: %v", err)
	}
	// Outside the observed context nothing is reported.
	gitrun.Run(context.Background(), gitrun.Cmd{Dir: dir, Args: []string{"status"}})
	if len(ran) != 2 || ran[0].String() != "git ls-files" || ran[0].Dir != dir || ran[0].ExitCode != 0 ||
		ran[1].String() != "git rev-parse --verify --quiet no-such" || ran[1].ExitCode != 1 ||
		len(ran[0].Env) != 1 || ran[0].Env[0] != "LC_ALL=C" {
		t.Fatalf("recorded %+v", ran)
	}
}

func TestObserversNest(t *testing.T) {
	dir := gittest.NewRepo(t, map[string]string{"a.txt": "a\n"})
	var outer, inner int
	ctx := gitrun.WithObserver(context.Background(), func(gitrun.Record) { outer++ })
	ctx = gitrun.WithObserver(ctx, func(gitrun.Record) { inner++ })
	gitrun.Run(ctx, gitrun.Cmd{Dir: dir, Args: []string{"status"}})
	if outer != 1 || inner != 1 {
		t.Fatalf("outer saw %d, inner %d; want 1 each", outer, inner)
	}
}

func TestErrorSaysWhatFailed(t *testing.T) {
	dir := t.TempDir()
	_, err := gitrun.Run(context.Background(), gitrun.Cmd{Dir: dir, Args: []string{"-c", "x.y=1", "log"}})
	var ge *gitrun.Error
	if !errors.As(err, &ge) || ge.ExitCode != 128 || ge.Dir != dir || !strings.Contains(ge.Stderr, "not a git repository") {
		t.Fatalf("error %#v", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "git log (exit 128): ") {
		t.Fatalf("message %q", msg)
	}
}

// git can never prompt on the terminal wend owns, and ReadOnly keeps it off
// the index lock.
func TestEnvironment(t *testing.T) {
	git := fakeGit(t, `echo "$GIT_TERMINAL_PROMPT|$GIT_OPTIONAL_LOCKS|$EXTRA|$BASE"`)
	out, err := gitrun.Run(context.Background(), gitrun.Cmd{Path: git, ReadOnly: true, Env: []string{"EXTRA=x"}, Environ: []string{"BASE=b", "GIT_TERMINAL_PROMPT=1"}})
	if err != nil || string(out) != "0|0|x|b\n" {
		t.Fatalf("environment seen by git: %q %v", out, err)
	}
	out, _ = gitrun.Run(context.Background(), gitrun.Cmd{Path: git})
	if string(out) != "0|||\n" {
		t.Fatalf("environment without ReadOnly: %q", out)
	}
}

// A flood on either stream is bounded: stderr is kept up to MaxStderr, stdout
// up to MaxStdout, and the process is not blocked on a full pipe.
func TestOutputIsBounded(t *testing.T) {
	git := fakeGit(t, `head -c 1000000 /dev/zero | tr '\0' e >&2; head -c 1000000 /dev/zero | tr '\0' o; exit 3`)
	out, err := gitrun.Run(context.Background(), gitrun.Cmd{Path: git, MaxStdout: 1000})
	var ge *gitrun.Error
	if !errors.As(err, &ge) || ge.ExitCode != 3 {
		t.Fatalf("error %v", err)
	}
	if len(out) != 1000 || len(ge.Stderr) != gitrun.MaxStderr {
		t.Fatalf("kept %d bytes of stdout, %d of stderr", len(out), len(ge.Stderr))
	}
	git = fakeGit(t, `head -c 5000 /dev/zero`)
	out, err = gitrun.Run(context.Background(), gitrun.Cmd{Path: git, MaxStdout: 1000})
	if !errors.Is(err, gitrun.ErrOutputLimit) || len(out) != 1000 {
		t.Fatalf("a successful call over the limit: %d bytes, %v", len(out), err)
	}
	var sink bytes.Buffer
	out, err = gitrun.Run(context.Background(), gitrun.Cmd{Path: git, Stdout: &sink})
	if err != nil || len(out) != 0 || sink.Len() != 5000 {
		t.Fatalf("streamed: returned %d, sink %d, %v", len(out), sink.Len(), err)
	}
}

func TestCancelledContextIsTheError(t *testing.T) {
	git := fakeGit(t, `exec sleep 60`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := gitrun.Run(ctx, gitrun.Cmd{Path: git})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestFilterOverridesSwitchOffTheRepositorysOwnFilters(t *testing.T) {
	dir := gittest.NewRepo(t, map[string]string{"a.txt": "a\n"})
	gittest.Run(t, dir, "config", "filter.evil.clean", "touch /tmp/pwned")
	gittest.Run(t, dir, "config", "filter.a.b.smudge", "x")
	got, err := gitrun.FilterOverrides(context.Background(), dir, append(os.Environ(), gittest.Env...))
	if err != nil {
		t.Fatal(err)
	}
	want := "-c filter.evil.clean= -c filter.evil.smudge= -c filter.evil.process= -c filter.evil.required=false " +
		"-c filter.a.b.clean= -c filter.a.b.smudge= -c filter.a.b.process= -c filter.a.b.required=false"
	if strings.Join(got, " ") != want {
		t.Fatalf("overrides %q", got)
	}
	clean := gittest.NewRepo(t, map[string]string{"a.txt": "a\n"})
	if got, err := gitrun.FilterOverrides(context.Background(), clean, append(os.Environ(), gittest.Env...)); err != nil || got != nil {
		t.Fatalf("a repository without filters: %q %v", got, err)
	}
}
