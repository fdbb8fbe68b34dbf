package demo

import (
	"fmt"
	"strings"
)

// started marks a step the model starts in the turn it is deciding: no
// result after it exists yet.
const started = 1 << 30

// turn collects an answer.
type turn struct {
	text  []string
	calls []Call
}

func (t *turn) say(s ...string) {
	for _, x := range s {
		if x != "" {
			t.text = append(t.text, x)
		}
	}
}

func (t *turn) done() Turn { return Turn{Text: strings.Join(t.text, "\n\n"), Calls: t.calls} }

func updateStep(id, status, note string) Call {
	args := map[string]string{"step": id, "status": status}
	if note != "" {
		args["note"] = note
	}
	return call("update_step", args)
}

// decide is the model's next move: acknowledge what the user just did, then
// carry on with the plan as it stands.
func (st *state) decide() Turn {
	var t turn
	t.say(st.acks...)
	switch {
	case st.task == "":
		t.say("I'm wend's demo model and I have no task yet.")
		return t.done()
	case st.refused != "":
		t.say(fmt.Sprintf("You did not approve the plan (“%s”). The demo model knows only this one plan for the task; give it a new task, or run wend with a real model.", st.refused))
		return t.done()
	case !st.planned:
		switch st.kind {
		case taskUnknown:
			t.say(unknownAnswer(st.task))
			return t.done()
		case taskMedian:
			t.say("I'll add `Median` to stats.go, with a test, and run the tests.")
			t.calls = append(t.calls, call("set_plan", map[string][]string{"steps": medianPlan}))
		default:
			t.say("I'll start by running the tests to see what fails.")
			t.calls = append(t.calls, call("set_plan", map[string][]string{"steps": fixPlan}))
		}
		return t.done()
	}
	for guard := 0; guard < 100; guard++ {
		if cur := st.current(); cur != nil {
			w := st.work(cur)
			t.say(w.text)
			if len(w.calls) > 0 {
				t.calls = append(t.calls, w.calls...)
				return t.done()
			}
			t.calls = append(t.calls, updateStep(cur.id, w.status, w.note))
			cur.status = w.status
			continue
		}
		if steps, why := st.extension(); steps != nil {
			t.say(why)
			t.calls = append(t.calls, call("set_plan", map[string][]string{"steps": steps}))
			return t.done()
		}
		next := st.nextPending()
		if next == nil {
			break
		}
		next.start = started
		w := st.work(next)
		if len(w.calls) == 0 {
			// Nothing to do for it (the user asked not to, the model cannot,
			// or it is done already): say so and move on.
			t.say(w.text)
			t.calls = append(t.calls, updateStep(next.id, w.status, w.note))
			next.status = w.status
			continue
		}
		t.calls = append(t.calls, updateStep(next.id, "in_progress", ""))
		t.say(w.text)
		t.calls = append(t.calls, w.calls...)
		return t.done()
	}
	t.calls = append(t.calls, call("finish", map[string]string{"summary": st.summary()}))
	return t.done()
}

func (st *state) current() *step {
	for _, s := range st.plan {
		if s.status == "in_progress" {
			return s
		}
	}
	return nil
}

func (st *state) nextPending() *step {
	for _, s := range st.plan {
		if s.status == "pending" {
			return s
		}
	}
	return nil
}

// extension grows the plan when the user asked for more than it holds: a
// fix they rejected gets another try, an adjustment asking for Median gets
// its steps. The pending steps stay, in their order.
func (st *state) extension() ([]string, string) {
	var pending []string
	hasFix, hasMedian, runAt := false, false, -1
	for _, s := range st.plan {
		k := kindOf(s.title)
		if k == stepMedian || k == stepMedianTest {
			hasMedian = true
		}
		if s.status != "pending" {
			continue
		}
		if k == stepFix {
			hasFix = true
		}
		if k == stepRunTests && runAt < 0 {
			runAt = len(pending)
		}
		pending = append(pending, s.title)
	}
	insert := func(titles ...string) []string {
		if runAt < 0 {
			out := append(append([]string{}, pending...), titles...)
			if !st.noTests {
				out = append(out, "Run the tests again")
			}
			return out
		}
		out := append(append([]string{}, pending[:runAt]...), titles...)
		return append(out, pending[runAt:]...)
	}
	if n, last := st.fixRejections(); st.kind == taskFix && last != nil && last.seq > st.planSeq && n < 2 && !hasFix {
		return insert("Fix `Mean` another way"), "I'll fix `Mean` another way and run the tests again."
	}
	if st.median > st.planSeq && !hasMedian {
		return insert(medianPlan[1], medianPlan[2]), "Adding `Median` and its test to the plan, as you asked."
	}
	return nil, ""
}

func unknownAnswer(task string) string {
	return fmt.Sprintf("I'm wend's offline demo model, so I only know this sample project and cannot do “%s”. "+
		"Here I can fix the failing test, or add a `Median` function (try: now also add a Median function). "+
		"With a real model (export ANTHROPIC_API_KEY=…, or --provider openai --base-url for a local server) wend takes on any task.", firstLine(task))
}

// summary is what the task achieved, claiming only what the tool results
// showed: tests pass only when a run after the last change passed.
func (st *state) summary() string {
	var parts []string
	n, _ := st.fixRejections()
	fixed, medianAdded, testAdded, proposed := false, false, false, false
	for _, o := range st.obs {
		if o.name != "edit_file" || o.isError {
			continue
		}
		proposed = true
		switch {
		case o.args["old_string"] == bugLine:
			fixed = true
		case strings.Contains(o.args["new_string"], "func Median("):
			medianAdded = true
		case strings.Contains(o.args["new_string"], "func TestMedian("):
			testAdded = true
		}
	}
	for _, r := range st.rejected {
		if r.seq > st.changedAt("") {
			proposed = false
		}
	}
	switch {
	case st.kind == taskFix && n >= 2:
		parts = append(parts, "You rejected both fixes of `Mean`, so `Mean` is as it was.")
	case fixed && n == 1 && st.lastFixAfterRejection():
		parts = append(parts, "Proposed another fix of `Mean` in stats.go after you rejected the first: it divides by the count of numbers, `len(xs)`, not `len(xs)-1`.")
	case fixed && n == 0:
		parts = append(parts, "Fixed `Mean` in stats.go: it divided by `len(xs)-1` instead of `len(xs)`.")
	case n == 1:
		parts = append(parts, "You rejected the fix of `Mean`, so `Mean` is as it was.")
	case st.kind == taskFix && st.stepGone(stepFix):
		parts = append(parts, "I did not change stats.go: the fix step was removed from the plan.")
	case st.kind == taskFix:
		parts = append(parts, "I did not change stats.go.")
	}
	medianRejected := false
	for _, r := range st.rejected {
		medianRejected = medianRejected || r.median && r.seq > st.changedAt(r.path)
	}
	switch {
	case medianRejected:
		parts = append(parts, "You rejected `Median` (or its test), so I left it out.")
	case medianAdded:
		s := "Added `Median` to stats.go"
		if testAdded {
			s += ", with a test in stats_test.go"
		}
		parts = append(parts, s+".")
	}
	parts = append(parts, st.verified())
	if proposed {
		parts = append(parts, "The change is proposed for your review.")
	}
	return strings.Join(parts, " ")
}

// changedAt is the seq of the newest successful edit (of path, or any).
func (st *state) changedAt(path string) int {
	at := 0
	for _, o := range st.obs {
		if o.name == "edit_file" && !o.isError && (path == "" || o.args["path"] == path) {
			at = o.seq
		}
	}
	return at
}

func (st *state) lastFixAfterRejection() bool {
	_, last := st.fixRejections()
	for _, o := range st.obs {
		if o.name == "edit_file" && !o.isError && o.args["old_string"] == bugLine && last != nil && o.seq > last.seq {
			return true
		}
	}
	return false
}

// stepGone says whether a step of that kind was deleted or skipped.
func (st *state) stepGone(k stepKind) bool {
	for _, s := range st.plan {
		if kindOf(s.title) == k && s.status != "skipped" {
			return false
		}
	}
	return true
}

// verified says what the newest test run showed about the files as they are.
func (st *state) verified() string {
	var last *obs
	denied := false
	for i, o := range st.obs {
		if o.name == "run_command" {
			last = &st.obs[i]
			if readRun(o).denied || readRun(o).refused {
				denied = true
			}
		}
	}
	switch {
	case last != nil && last.seq > st.changed:
		r := readRun(*last)
		switch {
		case r.denied:
			return "I could not run the tests (you denied `" + testCmd + "`), so this is not verified."
		case r.refused:
			return "I could not run the tests (they needed your approval), so this is not verified."
		case r.passed:
			return "`" + testCmd + "` passes."
		case len(r.failing) > 0:
			return fmt.Sprintf("`%s` still fails: %s.", testCmd, strings.Join(r.failing, ", "))
		}
		return "`" + testCmd + "` failed: " + r.detail
	case denied:
		return "I could not run the tests (you denied `" + testCmd + "`), so this is not verified."
	case st.noTests:
		return "I did not run the tests, as you asked, so this is not verified."
	case st.stepGone(stepRunTests):
		return "I did not run the tests after the change (that step was removed from the plan), so this is not verified."
	}
	return "The tests have not run since the last change, so this is not verified."
}
