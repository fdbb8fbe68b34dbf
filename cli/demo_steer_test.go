package cli

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/cli/demo"
	"gitlab.com/wend/wend/remote/audit"
	"gitlab.com/wend/wend/session"
)

// The demo must survive the user (issue 16): every control, tried on the
// demo, reaches the demo model, which follows the session as it is. These
// tests drive `wend demo`'s own wiring (sample repository, demo model on
// 127.0.0.1, the real OpenAI adapter, engine, tools, approvals and staging)
// through the session port, as the UI does, and check the repository after.

type demoDriver struct {
	t      *testing.T
	dir    string
	ls     *assemble.Session
	events <-chan session.Event
	seen   []session.Event
	// mark is where the current task's events begin in seen.
	mark int
}

func startDemo(t *testing.T) *demoDriver {
	t.Helper()
	t.Parallel() // each takes seconds of go test; they share nothing
	ctx := context.Background()
	home := t.TempDir()
	env := map[string]string{"XDG_STATE_HOME": filepath.Join(home, "state"), "XDG_CONFIG_HOME": filepath.Join(home, "config")}
	g := &globals{stdout: io.Discard, stderr: io.Discard, env: func(k string) string { return env[k] }, changed: func(string) bool { return false }}
	// The audit log's default place comes from the process environment,
	// which parallel tests must not set: give the session its own.
	al, err := audit.Open(filepath.Join(home, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { al.Close() })
	g.auditLog, g.auditTried = al, true
	dir := filepath.Join(t.TempDir(), "stats")
	d, err := setupDemo(ctx, g, dir, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.close)
	ls, err := assemble.New(ctx, d.g.assembly(d.ws, true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if ls.Engine.Stop(context.Background()) == nil {
			<-ls.Engine.Done()
		}
		ls.Close()
	})
	evCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	return &demoDriver{t: t, dir: dir, ls: ls, events: ls.Log.Subscribe(evCtx, 0)}
}

func (d *demoDriver) start(task string) {
	d.t.Helper()
	d.mark = len(d.seen)
	if err := d.ls.Engine.Start(context.Background(), session.Task{Text: task}); err != nil {
		d.t.Fatal(err)
	}
}

// next waits for the next event of the task that satisfies pred.
func (d *demoDriver) next(what string, pred func(session.Event) bool) session.Event {
	d.t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case e := <-d.events:
			d.seen = append(d.seen, e)
			if f, ok := e.Payload.(session.SessionFinished); ok && !pred(e) {
				d.t.Fatalf("the task ended (%s: %s %s) while waiting for %s; transcript:\n%s", f.State, f.Summary, f.Error, what, d.text())
			}
			if pred(e) {
				return e
			}
		case <-deadline:
			d.t.Fatalf("no %s within 60s; transcript:\n%s", what, d.text())
		}
	}
}

func (d *demoDriver) approval() session.ApprovalRequest {
	d.t.Helper()
	e := d.next("approval request", func(e session.Event) bool {
		_, ok := e.Payload.(session.ApprovalRequested)
		return ok
	})
	return e.Payload.(session.ApprovalRequested).Request
}

func (d *demoDriver) resolve(dec session.Decision) {
	d.t.Helper()
	if err := d.ls.Engine.Resolve(context.Background(), dec); err != nil {
		d.t.Fatal(err)
	}
}

func (d *demoDriver) answer(req session.ApprovalRequest, approve bool, reason string) {
	d.t.Helper()
	d.resolve(session.Decision{Kind: session.DecideApproval, RequestID: req.ID, Approve: approve, Scope: session.ScopeOnce, Reason: reason})
}

// finish approves every command until the task ends, and returns its end.
func (d *demoDriver) finish() session.SessionFinished {
	d.t.Helper()
	for {
		e := d.next("the end of the task", func(e session.Event) bool {
			switch e.Payload.(type) {
			case session.ApprovalRequested, session.SessionFinished:
				return true
			}
			return false
		})
		if a, ok := e.Payload.(session.ApprovalRequested); ok {
			d.answer(a.Request, true, "")
			continue
		}
		f := e.Payload.(session.SessionFinished)
		if f.State != session.StateFinished || f.Error != "" {
			d.t.Fatalf("the task ended %s: %s %s; transcript:\n%s", f.State, f.Summary, f.Error, d.text())
		}
		return f
	}
}

// text is what the model said in the current task, its finish summary included.
func (d *demoDriver) text() string {
	var b strings.Builder
	for _, e := range d.seen[d.mark:] {
		switch p := e.Payload.(type) {
		case session.TextDelta:
			b.WriteString(p.Text)
		case session.TextFinished:
			b.WriteString("\n")
		case session.SessionFinished:
			b.WriteString("\nDone: " + p.Summary + "\n")
		}
	}
	return b.String()
}

// calls returns the arguments of the task's calls to tool.
func (d *demoDriver) calls(tool string) []map[string]string {
	var out []map[string]string
	for _, e := range d.seen[d.mark:] {
		if c, ok := e.Payload.(session.ToolCalled); ok && c.Tool == tool {
			var args map[string]string
			json.Unmarshal(c.Args, &args)
			out = append(out, args)
		}
	}
	return out
}

func (d *demoDriver) file(name string) string {
	d.t.Helper()
	data, err := os.ReadFile(filepath.Join(d.dir, name))
	if err != nil {
		d.t.Fatal(err)
	}
	return string(data)
}

func (d *demoDriver) mustSay(s string) {
	d.t.Helper()
	if !strings.Contains(d.text(), s) {
		d.t.Fatalf("the model never said %q; transcript:\n%s", s, d.text())
	}
}

const fixedMean = "\treturn Sum(xs) / float64(len(xs))\n"

// An adjustment sent while the first command waits is heard and followed:
// the model adds Median and its test to the plan after the fix.
func TestDemoFollowsAnAdjustment(t *testing.T) {
	d := startDemo(t)
	d.start(demo.Task)
	first := d.approval()
	if _, err := d.ls.Engine.Adjust(context.Background(), "also add a Median function, please"); err != nil {
		t.Fatal(err)
	}
	d.answer(first, true, "")
	fin := d.finish()
	d.mustSay("Noted: “also add a Median function, please”")
	if s := d.file("stats.go"); !strings.Contains(s, fixedMean) || !strings.Contains(s, "func Median(") || !strings.Contains(s, `import "sort"`) {
		t.Fatalf("stats.go:\n%s", s)
	}
	if !strings.Contains(d.file("stats_test.go"), "func TestMedian(") {
		t.Fatal("no TestMedian")
	}
	if err := goTest(t, d.dir); err != nil {
		t.Fatalf("the demo's result does not pass go test: %v", err)
	}
	var titles []string
	for _, s := range fin.Plan.Steps {
		titles = append(titles, s.Title+":"+string(s.Status))
	}
	if got := strings.Join(titles, ", "); !strings.Contains(got, "Add `Median` to stats.go:done") || !strings.Contains(got, "Add a test for `Median`:done") {
		t.Fatalf("plan: %s", got)
	}
	if !strings.Contains(fin.Summary, "`go test ./...` passes") {
		t.Fatalf("summary: %s", fin.Summary)
	}
}

// Deleting, rewording and adding steps: the model skips the deleted ones and
// says so, does the reworded one as worded, says plainly that it cannot do
// the added one, and claims no test result it never saw.
func TestDemoFollowsPlanEdits(t *testing.T) {
	d := startDemo(t)
	d.start(demo.Task)
	first := d.approval()
	for _, edit := range []session.PlanEdit{
		{Op: session.EditDelete, StepID: "2"},
		{Op: session.EditReword, StepID: "3", Title: "Fix the bug and explain it in a comment"},
		{Op: session.EditDelete, StepID: "4"},
		{Op: session.EditAdd, Title: "Write a haiku about the fix", After: "3"},
	} {
		if err := d.ls.Engine.EditPlan(context.Background(), edit); err != nil {
			t.Fatal(err)
		}
	}
	d.answer(first, true, "")
	fin := d.finish()
	d.mustSay("You deleted step 2 “Read the code under test”: I'll skip it.")
	d.mustSay("You deleted step 4 “Run the tests again”: I'll skip it.")
	d.mustSay("Step 3 now reads “Fix the bug and explain it in a comment”")
	d.mustSay("Step 5 “Write a haiku about the fix” is beyond the demo model")
	if n := len(d.calls("run_command")); n != 1 {
		t.Fatalf("%d commands ran; the second test run was deleted", n)
	}
	s := d.file("stats.go")
	if !strings.Contains(s, fixedMean) || !strings.Contains(s, "// The mean divides by the count of numbers") {
		t.Fatalf("stats.go:\n%s", s)
	}
	if strings.Contains(fin.Summary, "passes") || !strings.Contains(fin.Summary, "not verified") {
		t.Fatalf("summary claims what it did not check: %s", fin.Summary)
	}
	if st := fin.Plan.Steps; len(st) != 3 || st[1].Title != "Fix the bug and explain it in a comment" || st[1].Status != session.StepDone ||
		st[2].ID != "5" || st[2].Status != session.StepSkipped {
		t.Fatalf("plan: %+v", st)
	}
}

// Denying the test command: the model says it could not run the tests,
// works from the code and the test instead, and never claims they pass.
func TestDemoDenialIsNeverClaimedAsPassing(t *testing.T) {
	d := startDemo(t)
	d.start(demo.Task)
	d.answer(d.approval(), false, "not on this machine")
	d.answer(d.approval(), false, "")
	fin := d.next("the end of the task", func(e session.Event) bool {
		_, ok := e.Payload.(session.SessionFinished)
		return ok
	}).Payload.(session.SessionFinished)
	if fin.State != session.StateFinished {
		t.Fatalf("%s: %s", fin.State, fin.Error)
	}
	d.mustSay("I could not run the tests: you denied `go test ./...` (“not on this machine”)")
	if text := strings.ToLower(d.text()); strings.Contains(text, "pass") {
		t.Fatalf("the model claims a test result after a denial:\n%s", d.text())
	}
	if !strings.Contains(fin.Summary, "not verified") {
		t.Fatalf("summary: %s", fin.Summary)
	}
	reads := d.calls("read_file")
	if len(reads) < 2 || reads[1]["path"] != "stats_test.go" {
		t.Fatalf("without a test run the model should read the test: %v", reads)
	}
	if !strings.Contains(d.file("stats.go"), fixedMean) {
		t.Fatalf("stats.go:\n%s", d.file("stats.go"))
	}
}

// Rejecting the fix with a reason: the model echoes the reason and proposes
// a different fix, which it verifies.
func TestDemoRevisesARejectedFix(t *testing.T) {
	d := startDemo(t)
	d.start(demo.Task)
	d.answer(d.approval(), true, "")
	staged := d.next("the fix", func(e session.Event) bool {
		_, ok := e.Payload.(session.ChangeStaged)
		return ok
	}).Payload.(session.ChangeStaged)
	verify := d.approval() // step 4's go test waits: review meanwhile
	const reason = "I'd rather the count had a name and a comment"
	d.resolve(session.Decision{Kind: session.DecideReview, Action: session.ReviewReject, Targets: staged.Hunks[:1], Reason: reason})
	d.answer(verify, true, "")
	fin := d.finish()
	d.mustSay("You rejected my fix of `Mean`: “" + reason + "”.")
	d.mustSay("The tests still fail: `TestMean`.")
	edits := d.calls("edit_file")
	if len(edits) != 2 || edits[0]["new_string"] == edits[1]["new_string"] {
		t.Fatalf("the second proposal should differ from the rejected one: %v", edits)
	}
	s := d.file("stats.go")
	if !strings.Contains(s, "n := float64(len(xs))") || strings.Contains(s, "len(xs)-1)") {
		t.Fatalf("stats.go:\n%s", s)
	}
	if err := goTest(t, d.dir); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fin.Summary, "another fix") || !strings.Contains(fin.Summary, "`go test ./...` passes") {
		t.Fatalf("summary: %s", fin.Summary)
	}
}

// Follow-up tasks after the demo's task: a retry after a rejection, one the
// demo model knows gets a real edit, one it does not gets an honest answer
// and changes nothing.
func TestDemoFollowUpTasks(t *testing.T) {
	d := startDemo(t)
	d.start(demo.Task)
	d.finish()

	// A hunk rejected after the task finished reaches the model with the
	// next task: it echoes the reason and proposes a different fix.
	const reason = "name the count and explain it"
	d.resolve(session.Decision{Kind: session.DecideReview, Action: session.ReviewReject, Targets: []string{"stats.go"}, Reason: reason})
	if s := d.file("stats.go"); !strings.Contains(s, "len(xs)-1)") {
		t.Fatalf("the rejection did not restore stats.go:\n%s", s)
	}
	d.start("try again")
	fin := d.finish()
	d.mustSay("You rejected my fix of `Mean`: “" + reason + "”.")
	if s := d.file("stats.go"); !strings.Contains(s, "n := float64(len(xs))") {
		t.Fatalf("stats.go:\n%s", s)
	}
	if !strings.Contains(fin.Summary, "another fix") || !strings.Contains(fin.Summary, "passes") {
		t.Fatalf("summary: %s", fin.Summary)
	}

	d.start("now also add a Median function")
	fin = d.finish()
	if s := d.file("stats.go"); !strings.Contains(s, "func Median(") || !strings.Contains(s, "n := float64(len(xs))") {
		t.Fatalf("stats.go:\n%s", s)
	}
	if !strings.Contains(d.file("stats_test.go"), "func TestMedian(") {
		t.Fatal("no TestMedian")
	}
	if err := goTest(t, d.dir); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fin.Summary, "Added `Median`") || !strings.Contains(fin.Summary, "passes") {
		t.Fatalf("summary: %s", fin.Summary)
	}
	before := git(t, d.dir, "status", "--porcelain")
	beforeStats := d.file("stats.go")
	d.start("translate the README into French")
	fin = d.finish()
	if !strings.Contains(fin.Summary, "only know this sample project") {
		t.Fatalf("summary: %s", fin.Summary)
	}
	if after := git(t, d.dir, "status", "--porcelain"); after != before || d.file("stats.go") != beforeStats {
		t.Fatalf("an unknown task changed the repository: %s", after)
	}
}
