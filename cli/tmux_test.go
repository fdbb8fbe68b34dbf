package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/llm/llmtest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// wendBinary builds the real binary once per test run.
func wendBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "wend-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "wend")
		out, err := exec.Command("go", "build", "-o", binPath, "..").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// pane is a tmux session running one command at a fixed size.
type pane struct {
	t    *testing.T
	name string
}

func newPane(t *testing.T, w, h int, env []string, args ...string) *pane {
	t.Helper()
	return newPaneIn(t, "", w, h, env, args...)
}

// newPaneIn is newPane with the command started in dir (the pane's working
// directory), for programs that take their project from it.
func newPaneIn(t *testing.T, dir string, w, h int, env []string, args ...string) *pane {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	p := &pane{t: t, name: fmt.Sprintf("wend-e2e-%d", time.Now().UnixNano())}
	cmd := append([]string{"env"}, withGoCache(env)...)
	cmd = append(cmd, args...)
	tmuxArgs := []string{"new-session", "-d", "-s", p.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h)}
	if dir != "" {
		tmuxArgs = append(tmuxArgs, "-c", dir)
	}
	tmuxArgs = append(tmuxArgs, cmd...)
	if out, err := exec.Command("tmux", tmuxArgs...).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v %s", err, out)
	}
	exec.Command("tmux", "set-option", "-t", p.name, "remain-on-exit", "on").Run()
	t.Cleanup(func() { exec.Command("tmux", "kill-session", "-t", p.name).Run() })
	return p
}

func (p *pane) screen() string {
	out, _ := exec.Command("tmux", "capture-pane", "-p", "-t", p.name).Output()
	return string(out)
}

func (p *pane) keys(keys ...string) {
	p.t.Helper()
	if out, err := exec.Command("tmux", append([]string{"send-keys", "-t", p.name}, keys...)...).CombinedOutput(); err != nil {
		p.t.Fatalf("send-keys: %v %s", err, out)
	}
}

func (p *pane) typeText(s string) {
	p.t.Helper()
	exec.Command("tmux", "send-keys", "-t", p.name, "-l", s).Run()
}

// paneWait bounds every wait on a pane's screen. A passing test waits only as
// long as the condition takes; the bound is generous because on a loaded CI
// machine starting wend, its session host and the first frame took over 20 s.
const paneWait = 60 * time.Second

// waitFor polls the screen until it contains want.
func (p *pane) waitFor(want string) string {
	p.t.Helper()
	deadline := time.Now().Add(paneWait)
	for time.Now().Before(deadline) {
		if s := p.screen(); strings.Contains(s, want) {
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("the screen never showed %q; it shows:\n%s", want, p.screen())
	return ""
}

// waitForGone polls the screen until it no longer contains text.
func (p *pane) waitForGone(text string) {
	p.t.Helper()
	deadline := time.Now().Add(paneWait)
	for time.Now().Before(deadline) {
		if !strings.Contains(p.screen(), text) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("the screen still shows %q:\n%s", text, p.screen())
}

// The user's path in a real terminal: type a task, watch the plan, pause while the
// model answers (no tool runs), resume, open the review, reject one hunk with a
// reason and accept the other; then git's index and the working tree must agree.
func TestTerminalUserPathInTmux(t *testing.T) {
	bin := wendBinary(t)
	dir := t.TempDir()
	var lines []string
	for i := 1; i <= 30; i++ {
		lines = append(lines, fmt.Sprintf("row-%02d", i))
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "init")

	release := make(chan struct{})
	call := func(name, args string) llmtest.ToolCall {
		return llmtest.ToolCall{Name: name, Args: json.RawMessage(args)}
	}
	srv := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{
		{Text: "Planning.", ToolCalls: []llmtest.ToolCall{call("set_plan", `{"steps":["Read the notes","Edit the notes"]}`)}},
		{Func: func(llmtest.Request) llmtest.Turn {
			<-release // the model "thinks" until the test has paused the session
			return llmtest.Turn{ToolCalls: []llmtest.ToolCall{
				call("update_step", `{"step":"1","status":"in_progress"}`), call("read_file", `{"path":"notes.txt"}`)}}
		}},
		{ToolCalls: []llmtest.ToolCall{
			call("update_step", `{"step":"1","status":"done"}`), call("update_step", `{"step":"2","status":"in_progress"}`),
			call("edit_file", `{"path":"notes.txt","old_string":"row-02\n","new_string":"FIRST\n"}`),
			call("edit_file", `{"path":"notes.txt","old_string":"row-29\n","new_string":"LAST\n"}`)}},
		{ToolCalls: []llmtest.ToolCall{call("update_step", `{"step":"2","status":"done"}`), call("finish", `{"summary":"Edited the notes."}`)}},
	}})
	home := t.TempDir()
	p := newPane(t, 120, 40, []string{"HOME=" + home, "XDG_STATE_HOME=" + home, "XDG_CONFIG_HOME=" + home, "OPENAI_API_KEY=k", "TERM=xterm-256color", "EDITOR=true"},
		bin, "-C", dir, "--provider", "openai", "--base-url", srv.URL, "--model", "m", "--approval", "auto-edit")
	p.waitFor("Describe a task")
	p.typeText("edit the notes")
	p.keys("Enter")
	p.waitFor("Read the notes")
	p.keys("C-p")
	p.waitFor("paused")
	close(release)
	// The model's answer arrives, but while paused no tool of it may run.
	time.Sleep(700 * time.Millisecond)
	if s := p.screen(); strings.Contains(s, "read_file") {
		t.Fatalf("a tool ran while paused:\n%s", s)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Fatalf("the model was called %d times while paused", n)
	}
	p.keys("C-p")
	p.waitFor("finished")
	p.keys("C-r")
	p.waitFor("notes.txt")
	p.keys("r")
	p.typeText("keep row 2")
	p.keys("Enter")
	p.waitForGone("FIRST")
	p.waitFor("LAST")
	p.keys("n", "a")
	p.waitFor("No proposed changes")

	index := git(t, dir, "diff", "--cached")
	if !strings.Contains(index, "+LAST") || strings.Contains(index, "FIRST") {
		t.Fatalf("index:\n%s", index)
	}
	work, _ := os.ReadFile(filepath.Join(dir, "notes.txt"))
	if !strings.Contains(string(work), "LAST") || strings.Contains(string(work), "FIRST") || !strings.Contains(string(work), "row-02") {
		t.Fatalf("working tree:\n%s", work)
	}
	p.keys("C-c")
	p.keys("C-c")
}

// withGoCache gives a pane whose HOME is a fresh directory the build cache of
// the go running the tests, unless env sets its own: a `go test` the demo runs
// would otherwise compile the standard library into an empty cache first,
// which on a loaded machine takes longer than any screen wait.
func withGoCache(env []string) []string {
	for _, e := range env {
		if strings.HasPrefix(e, "GOCACHE=") {
			return env
		}
	}
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if c := strings.TrimSpace(string(out)); err == nil && filepath.IsAbs(c) {
		return append(append([]string{}, env...), "GOCACHE="+c)
	}
	return env
}
