package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"gitlab.com/wend/wend/cli/config"
	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/remote/llm/llmtest"
	"gitlab.com/wend/wend/session"
)

// The crash harness (issue 15 item 4): a scripted session run headless in a
// child process is killed with SIGKILL at pseudo-random moments and resumed
// each time with `wend run --resume ID` until it completes. The result must
// be the uninterrupted run's: the same files, the same proposed changes, a
// log without a lost or repeated event, and no command run twice.
//
// WEND_CRASH_KILLS sets the number of kills (6 by default, so every test run
// does a bounded share; WEND_CRASH_KILLS=30 for the full run) and
// WEND_CRASH_SEED the seed (logged, so a failure can be replayed).

// crashStep is one step of the scripted model's work, in order.
type crashStep struct {
	tool string
	args string
}

func crashSteps(side string) []crashStep {
	cmd := func(tag string) string {
		b, _ := json.Marshal(map[string]string{"command": "echo " + tag + " >> " + side})
		return string(b)
	}
	return []crashStep{
		{"set_plan", `{"steps":["Add the alpha file","Edit the notes","Add the beta file"]}`},
		{"create_file", `{"path":"alpha.txt","content":"alpha\n"}`},
		{"run_command", cmd("cmd-2")},
		{"edit_file", `{"path":"notes.txt","old_string":"row-02\n","new_string":"FIRST\n"}`},
		{"run_command", cmd("cmd-4")},
		{"create_file", `{"path":"beta.txt","content":"beta\n"}`},
		{"edit_file", `{"path":"notes.txt","old_string":"row-29\n","new_string":"LAST\n"}`},
		{"run_command", cmd("cmd-7")},
		{"finish", `{"summary":"alpha, beta and the notes edited"}`},
	}
}

// crashModel answers each request from the conversation it carries, as a
// model would: the next step is the first one without a result. A step
// told it was interrupted is asked again, except a command, which the model
// does not repeat (it was told to check first); so any command the side file
// shows twice was run again by wend itself. Call ids are "s<step>-<n>",
// unique across the whole run.
func crashModel(steps []crashStep) llmtest.Script {
	var n atomic.Int64
	decide := func(r llmtest.Request) llmtest.Turn {
		done := make([]bool, len(steps))
		for _, m := range r.Parsed.Messages {
			for _, b := range m.Content {
				if b.Type != llm.BlockToolResult {
					continue
				}
				var k, x int
				if _, err := fmt.Sscanf(b.ToolUseID, "s%d-%d", &k, &x); err != nil || k >= len(steps) {
					continue
				}
				interrupted := strings.Contains(b.Content, danglingText)
				done[k] = done[k] || !interrupted || steps[k].tool == "run_command"
			}
		}
		k := slices.Index(done, false)
		if k < 0 {
			k = len(steps) - 1 // everything ran but the finish was cut off
		}
		id := fmt.Sprintf("s%d-%d", k, n.Add(1))
		return llmtest.Turn{ToolCalls: []llmtest.ToolCall{{ID: id, Name: steps[k].tool, Args: json.RawMessage(steps[k].args)}}}
	}
	turns := make([]llmtest.Turn, 400)
	for i := range turns {
		turns[i].Func = decide
	}
	return llmtest.Script{Turns: turns}
}

// danglingText is how the agent answers a call that has no result (its
// danglingNote).
const danglingText = "interrupted before it finished"

func crashKills(t *testing.T) (int, uint64) {
	kills := 6
	if v := os.Getenv("WEND_CRASH_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			t.Fatalf("WEND_CRASH_KILLS=%q: want a count", v)
		}
		kills = n
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("WEND_CRASH_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("WEND_CRASH_SEED=%q: want a number", v)
		}
		seed = n
	}
	return kills, seed
}

func TestCrashHarness(t *testing.T) {
	kills, seed := crashKills(t)
	t.Logf("WEND_CRASH_KILLS=%d WEND_CRASH_SEED=%d", kills, seed)
	start := time.Now()
	side := t.TempDir()
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	// The commands may write the side file (the sandbox keeps the rest).
	os.MkdirAll(filepath.Dir(config.UserConfigPath()), 0o700)
	if err := os.WriteFile(config.UserConfigPath(), []byte(fmt.Sprintf("sandbox_writable = [%q]\n", side)), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"run", "--provider", "openai", "--model", "m", "--approval", "full-auto", "--json"}

	// The uninterrupted run.
	refSide := filepath.Join(side, "ref.txt")
	ref := notesRepo(t)
	refModel := llmtest.Start(t, llmtest.OpenAI, crashModel(crashSteps(refSide)))
	if code, out, errOut := wend(t, env, append(append([]string{"-C", ref}, base...), "--base-url", refModel.URL, "do the steps")...); code != 0 {
		t.Fatalf("uninterrupted run: %d %s %s", code, out, errOut)
	}
	refID := sessionsJSON(t, env, ref)[0].ID
	total := len(loadEvents(t, ref, refID))

	// The same session, killed and resumed.
	crashSide := filepath.Join(side, "crash.txt")
	dir := notesRepo(t)
	model := llmtest.Start(t, llmtest.OpenAI, crashModel(crashSteps(crashSide)))
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	// Kill moments are sequence numbers in the session's log, not wall-clock
	// delays: the same seed kills at the same events on a loaded machine as
	// on an idle one (give or take the events the child logs between
	// printing one and dying). Each kill comes a random number of events
	// after the last; the span covers the work an uninterrupted run logs plus
	// what each resume logs before it works again (about three events: its
	// start, the plan, the model's usage), so the kills spread over the run,
	// resumes included.
	const resumeEvents = 3
	span := int64(total/max(kills, 1) + resumeEvents + 1)
	t.Logf("uninterrupted run: %d events; %d kills, each 1 to %d events after the last", total, kills, span)

	args := append(append([]string{"-C", dir}, base...), "--base-url", model.URL, "do the steps")
	var id string
	killed, at := 0, int64(0)
	for runs := 0; ; runs++ {
		target := int64(-1)
		if killed < kills {
			target = at + 1 + rng.Int64N(span)
		}
		res := crashChild(t, args, target)
		if res.id != "" {
			id = res.id
		}
		if !res.killed {
			if killed < min(kills, 3) {
				t.Fatalf("the session completed after %d kills: the harness killed too late", killed)
			}
			if res.code != 0 {
				t.Fatalf("run %d (%v) exited %d: %s", runs, args[len(args)-2:], res.code, res.stderr)
			}
			break
		}
		killed, at = killed+1, res.at
		t.Logf("kill %d at seq %d (%s)", killed, res.at, res.last)
		if id == "" {
			t.Fatal("killed before the session announced its id")
		}
		args = append(append([]string{"-C", dir}, base...), "--base-url", model.URL, "--resume", id)
	}
	t.Logf("%d kills, %d requests to the model, %s", killed, len(model.Requests()), time.Since(start).Round(time.Millisecond))

	// The same files and the same proposed changes.
	if got, want := treeOf(t, dir), treeOf(t, ref); !maps2Equal(got, want) {
		t.Errorf("the worktree differs from the uninterrupted run's:\n got %v\nwant %v", got, want)
	}
	if got, want := proposals(t, env, dir), proposals(t, env, ref); got != want || !strings.Contains(want, "alpha.txt") {
		t.Errorf("the proposed changes differ:\n got %s\nwant %s", got, want)
	}
	// No event lost or repeated, no call finished twice.
	events := loadEvents(t, dir, id)
	finished := map[string]int{}
	called := map[string]int{}
	for i, e := range events {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: the log lost or repeated an event", i+1, e.Seq)
		}
		switch p := e.Payload.(type) {
		case session.ToolFinished:
			if finished[p.CallID]++; finished[p.CallID] > 1 {
				t.Errorf("call %s (%s) finished twice", p.CallID, p.Tool)
			}
		case session.ToolCalled:
			if called[p.CallID]++; called[p.CallID] > 1 {
				t.Errorf("call %s (%s) announced twice", p.CallID, p.Tool)
			}
		}
	}
	if last, ok := events[len(events)-1].Payload.(session.SessionFinished); !ok || last.State != session.StateFinished {
		t.Errorf("the session ends with %+v", events[len(events)-1])
	} else if refPlan := lastPlanOf(loadEvents(t, ref, refID)); !samePlan(last.Plan, refPlan) {
		t.Errorf("the plan at the end: %+v, uninterrupted %+v", last.Plan, refPlan)
	}
	// No command ran twice: each appends its tag to the side file once.
	refRuns, crashRuns := sideRuns(t, refSide), sideRuns(t, crashSide)
	for _, tag := range []string{"cmd-2", "cmd-4", "cmd-7"} {
		if refRuns[tag] != 1 {
			t.Errorf("the uninterrupted run ran %s %d times", tag, refRuns[tag])
		}
		if crashRuns[tag] > 1 {
			t.Errorf("%s ran %d times: a command was run again without approval", tag, crashRuns[tag])
		}
	}
}

// crashResult is how one child run ended.
type crashResult struct {
	id     string
	killed bool
	at     int64  // the seq seen when it was killed
	last   string // that event's type
	code   int
	stderr string
}

// crashChild runs wend with args in a child process and SIGKILLs it (its
// whole process group, commands included) once it prints an event whose seq
// reaches target (never when target < 0).
func crashChild(t *testing.T, args []string, target int64) crashResult {
	t.Helper()
	argv, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestContinueChildProcess$")
	cmd.Env = append(os.Environ(), "WEND_CONTINUE_CHILD_ARGS="+string(argv), "OPENAI_API_KEY=k")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A hung child fails the test instead of hanging it.
	watchdog := time.AfterFunc(2*time.Minute, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	defer watchdog.Stop()
	var res crashResult
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e session.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			continue
		}
		if s, ok := e.Payload.(session.SessionStarted); ok && s.SessionID != "" {
			res.id = s.SessionID
		}
		if target >= 0 && e.Seq >= target {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			res.killed, res.at, res.last = true, e.Seq, e.Payload.Type()
			break
		}
	}
	cmd.Wait()
	if !watchdog.Stop() && !res.killed {
		t.Fatalf("a run of wend hung for two minutes: %s", stderr.String())
	}
	res.code, res.stderr = cmd.ProcessState.ExitCode(), stderr.String()
	return res
}

// treeOf maps each file of the worktree (outside .git) to its content.
func treeOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			data, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			m[rel] = string(data)
		}
		return nil
	})
	return m
}

func maps2Equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// proposals is `wend changes --json` without the session's id and times,
// which differ between two runs of the same work.
func proposals(t *testing.T, env func(string) string, dir string) string {
	t.Helper()
	code, out, errOut := wend(t, env, "-C", dir, "changes", "--json")
	if code != 0 {
		t.Fatalf("changes: %d %s", code, errOut)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("changes --json: %v: %s", err, out)
	}
	for _, k := range []string{"id", "session", "session_id", "age", "started", "updated", "time"} {
		delete(v, k)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func lastPlanOf(events []session.Event) session.Plan {
	for i := len(events) - 1; i >= 0; i-- {
		if f, ok := events[i].Payload.(session.SessionFinished); ok {
			return f.Plan
		}
	}
	return session.Plan{}
}

// samePlan compares step titles and states (ids may differ when the model
// had to set its plan again).
func samePlan(a, b session.Plan) bool {
	if len(a.Steps) != len(b.Steps) {
		return false
	}
	for i := range a.Steps {
		if a.Steps[i].Title != b.Steps[i].Title || a.Steps[i].Status != b.Steps[i].Status {
			return false
		}
	}
	return true
}

// sideRuns counts the lines each command appended to the side file.
func sideRuns(t *testing.T, path string) map[string]int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	m := map[string]int{}
	for _, l := range strings.Fields(string(data)) {
		m[l]++
	}
	return m
}
