package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/llm/llmtest"
	"gitlab.com/wend/wend/remote/rpc"
)

// hostRepo is a repository and a private home whose config turns the session
// host on.
func hostRepo(t *testing.T, extraConfig string) (dir, home string) {
	t.Helper()
	dir = t.TempDir()
	var lines []string
	for i := 1; i <= 30; i++ {
		lines = append(lines, fmt.Sprintf("row-%02d", i))
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "init")
	home = t.TempDir()
	t.Cleanup(func() { endHosts(dir) })
	os.MkdirAll(filepath.Join(home, "wend"), 0o700)
	if err := os.WriteFile(filepath.Join(home, "wend", "config.toml"), []byte("host = true\n"+extraConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, home
}

// endHosts sends SIGTERM to the session hosts a test left in dir (a failed
// test can leave a detached, paused session, whose host waits for an attach).
func endHosts(dir string) {
	entries, _ := os.ReadDir(filepath.Join(dir, ".git", "wend"))
	for _, e := range entries {
		var o struct {
			PID int `json:"pid"`
		}
		data, err := os.ReadFile(filepath.Join(dir, ".git", "wend", e.Name(), "owner.json"))
		if err != nil || json.Unmarshal(data, &o) != nil || o.PID <= 0 {
			continue
		}
		// Only a wend host of this session: the pid may have been reused.
		if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", o.PID)); bytes.Contains(cmdline, []byte(e.Name())) {
			syscall.Kill(o.PID, syscall.SIGTERM)
		}
	}
}

// sessionDirs lists the sessions under the repository's .git/wend.
func sessionDirs(t *testing.T, dir string) []string {
	t.Helper()
	entries, _ := os.ReadDir(filepath.Join(dir, ".git", "wend"))
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// pollFile waits until the file at path contains want.
func pollFile(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if data, _ := os.ReadFile(path); bytes.Contains(data, []byte(want)) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	data, _ := os.ReadFile(path)
	t.Fatalf("%s never contained %q:\n%s", path, want, data)
}

// Detach and attach in a real terminal: a task's command is running when the
// terminal goes (tmux kill-session hangs up on the client); the command
// finishes unharmed, the session pauses at the next boundary, `wend sessions`
// says detached, and plain `wend` in a new terminal shows the same plan and
// transcript (a third terminal's `wend attach` meanwhile only watches, and a
// fourth's plain `wend` starts its own session); the user resumes, approves
// the next command, reviews and finishes there. Then quitting ends the host.
func TestDetachAndAttachInTmux(t *testing.T) {
	bin := wendBinary(t)
	dir, home := hostRepo(t, "")
	call := func(name, args string) llmtest.ToolCall {
		return llmtest.ToolCall{Name: name, Args: json.RawMessage(args)}
	}
	srv := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{
		{Text: "Planning.", ToolCalls: []llmtest.ToolCall{
			call("set_plan", `{"steps":["Run the slow check","Edit the notes"]}`),
			call("update_step", `{"step":"1","status":"in_progress"}`),
			call("run_command", `{"command":"while [ ! -e .git/release ]; do sleep 0.05; done; echo check-passed"}`)}},
		{ToolCalls: []llmtest.ToolCall{
			call("update_step", `{"step":"1","status":"done"}`), call("update_step", `{"step":"2","status":"in_progress"}`),
			call("read_file", `{"path":"notes.txt"}`),
			call("edit_file", `{"path":"notes.txt","old_string":"row-02\n","new_string":"FIRST\n"}`),
			call("run_command", `{"command":"echo second-ok"}`)}},
		{ToolCalls: []llmtest.ToolCall{call("update_step", `{"step":"2","status":"done"}`), call("finish", `{"summary":"Checked and edited the notes."}`)}},
	}})
	env := []string{"HOME=" + home, "XDG_STATE_HOME=" + home, "XDG_CONFIG_HOME=" + home, "OPENAI_API_KEY=k", "TERM=xterm-256color", "EDITOR=true"}
	first := newPane(t, 120, 40, env, bin, "-C", dir, "--provider", "openai", "--base-url", srv.URL, "--model", "m", "--approval", "auto-edit")
	first.waitFor("Describe a task")
	first.typeText("check and edit the notes")
	first.keys("Enter")
	first.waitFor("approve once")
	first.keys("y")
	// The command runs (it waits for .git/release); the terminal goes.
	ids := sessionDirs(t, dir)
	if len(ids) != 1 {
		t.Fatalf("sessions: %v", ids)
	}
	id := ids[0]
	log := filepath.Join(dir, ".git", "wend", id, "events.jsonl")
	t.Cleanup(func() {
		if t.Failed() {
			data, _ := os.ReadFile(log)
			hl, _ := os.ReadFile(filepath.Join(dir, ".git", "wend", id, "host.log"))
			t.Logf("events:\n%s\nhost.log:\n%s", data, hl)
		}
	})
	pollFile(t, log, `"type":"approval_resolved"`)
	if out, err := exec.Command("tmux", "kill-session", "-t", first.name).CombinedOutput(); err != nil {
		t.Fatalf("kill-session: %v %s", err, out)
	}
	pollFile(t, log, "Your terminal detached")
	os.WriteFile(filepath.Join(dir, ".git", "release"), nil, 0o644)
	// The command ends on its own and the session stops at the boundary after it.
	pollFile(t, log, "check-passed")
	pollFile(t, log, `"type":"paused"`)
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("the model was called %d times; the detached session should wait before its next call", n)
	}
	cmd := exec.Command(bin, "-C", dir, "sessions")
	cmd.Env = append(os.Environ(), env...)
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), id) || !strings.Contains(string(out), "detached") {
		t.Fatalf("wend sessions should show the session detached:\n%s", out)
	}

	// Plain wend in the repository picks the detached session up.
	second := newPane(t, 120, 40, env, bin, "-C", dir)
	s := second.waitFor("Run the slow check")
	for _, want := range []string{"Edit the notes", "check and edit the notes", "paused"} {
		if !strings.Contains(s, want) {
			s = second.waitFor(want)
		}
	}
	// A third terminal only watches: it says so, and its keys change nothing.
	third := newPane(t, 120, 40, env, bin, "-C", dir, "attach")
	third.waitFor("read-only")
	third.waitFor("Run the slow check")
	third.keys("C-p")
	third.waitFor("another terminal controls this session")
	exec.Command("tmux", "kill-session", "-t", third.name).Run()
	// Plain wend while another terminal drives the session starts a session
	// of its own instead of watching.
	fourth := newPane(t, 120, 40, env, bin, "-C", dir, "--provider", "openai", "--base-url", srv.URL, "--model", "m")
	if s := fourth.waitFor("Describe a task"); strings.Contains(s, "read-only") || strings.Contains(s, "Run the slow check") {
		t.Fatalf("plain wend joined the driven session:\n%s", s)
	}
	if ids := sessionDirs(t, dir); len(ids) != 2 {
		t.Fatalf("plain wend beside a driven session should start its own: %v", ids)
	}
	exec.Command("tmux", "kill-session", "-t", fourth.name).Run()
	if data, _ := os.ReadFile(log); bytes.Contains(data, []byte(`"type":"resumed"`)) {
		t.Fatal("a watcher resumed the session")
	}
	second.keys("C-p") // resume
	second.waitFor("approve once")
	second.keys("y")
	second.waitFor("finished")
	if !bytes.Contains(srv.Requests()[1].Body, []byte("check-passed")) {
		t.Fatalf("the command's output did not reach the model:\n%s", srv.Requests()[1].Body)
	}
	second.keys("C-r")
	second.waitFor("notes.txt")
	second.keys("a")
	second.waitFor("No proposed changes")
	if index := git(t, dir, "diff", "--cached"); !strings.Contains(index, "+FIRST") {
		t.Fatalf("the accepted hunk is not in git's index:\n%s", index)
	}
	second.keys("C-c")
	second.keys("C-c")
	// With no client and no task, the host goes.
	sock := filepath.Join(dir, ".git", "wend", id, rpc.SocketName)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(sock); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the host still serves %s after its last client quit", sock)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Where the session's socket cannot exist (its path would be longer than a
// Unix socket allows), wend does not fail: it says so and runs the session in
// its own process, as with host = false.
func TestHostFallsBackInProcess(t *testing.T) {
	bin := wendBinary(t)
	dir, home := hostRepo(t, "")
	deep := filepath.Join(dir, strings.Repeat("d", 60), strings.Repeat("e", 40))
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	git(t, deep, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(deep, "a.txt"), []byte("a\n"), 0o644)
	git(t, deep, "add", "-A")
	git(t, deep, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "init")
	srv := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{
		{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: json.RawMessage(`{"summary":"Nothing to do."}`)}}},
	}})
	env := []string{"HOME=" + home, "XDG_STATE_HOME=" + home, "XDG_CONFIG_HOME=" + home, "OPENAI_API_KEY=k", "TERM=xterm-256color"}
	p := newPane(t, 120, 40, env, bin, "-C", deep, "--provider", "openai", "--base-url", srv.URL, "--model", "m")
	p.waitFor("Describe a task")
	p.typeText("look around")
	p.keys("Enter")
	p.waitFor("Nothing to do.")
	ids := sessionDirs(t, deep)
	if len(ids) != 1 {
		t.Fatalf("sessions: %v", ids)
	}
	if _, err := os.Stat(filepath.Join(deep, ".git", "wend", ids[0], "host.log")); err == nil {
		t.Fatal("a host was started where its socket cannot exist")
	}
	p.keys("C-c")
	p.keys("C-c")
	p.waitForInHistory("the session runs in this terminal instead")
}

// `wend resume` reopens a session in a new session host: the transcript comes
// back, a follow-up runs, and the session would outlive this terminal too.
func TestResumeReopensInAHost(t *testing.T) {
	bin := wendBinary(t)
	dir, home := hostRepo(t, "")
	finish := func(s string) llmtest.Turn {
		return llmtest.Turn{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: json.RawMessage(`{"summary":"` + s + `"}`)}}}
	}
	srv := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{finish("First done."), finish("Second done.")}})
	env := []string{"HOME=" + home, "XDG_STATE_HOME=" + home, "XDG_CONFIG_HOME=" + home, "OPENAI_API_KEY=k", "TERM=xterm-256color"}
	args := []string{"-C", dir, "--provider", "openai", "--base-url", srv.URL, "--model", "m"}
	first := newPane(t, 120, 40, env, append([]string{bin}, args...)...)
	first.waitFor("Describe a task")
	first.typeText("first task")
	first.keys("Enter")
	first.waitFor("First done.")
	first.keys("C-c")
	first.keys("C-c")
	ids := sessionDirs(t, dir)
	if len(ids) != 1 {
		t.Fatalf("sessions: %v", ids)
	}
	sock := filepath.Join(dir, ".git", "wend", ids[0], rpc.SocketName)
	deadline := time.Now().Add(30 * time.Second)
	for _, err := os.Stat(sock); err == nil; _, err = os.Stat(sock) {
		if time.Now().After(deadline) {
			t.Fatal("the first host did not end after its client quit")
		}
		time.Sleep(50 * time.Millisecond)
	}

	second := newPane(t, 120, 40, env, append(append([]string{bin}, args...), "resume")...)
	second.waitFor("First done.")
	second.typeText("second task")
	second.keys("Enter")
	second.waitFor("Second done.")
	hostLog, _ := os.ReadFile(filepath.Join(dir, ".git", "wend", ids[0], "host.log"))
	if n := strings.Count(string(hostLog), "serving"); n != 2 {
		t.Fatalf("want two hosts in the session's life, got %d:\n%s", n, hostLog)
	}
	if !bytes.Contains(srv.Requests()[1].Body, []byte("first task")) {
		t.Fatal("the follow-up's request lacks the conversation so far")
	}
}
