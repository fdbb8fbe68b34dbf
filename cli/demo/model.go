package demo

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// The demo model is deterministic: its answer is a function of the request
// alone (no randomness, no clock, no memory between requests). Each request
// carries the whole conversation, so the model rebuilds what it knows from it
// every time: the task, the plan as the user edited it, what its tools
// returned, what the user denied, rejected or asked for. That is what lets
// every control of wend be tried offline without the conversation ever
// "diverging": there is no recording to diverge from.

// Message is one chat message as the wire carries it.
type Message struct {
	Role   string // system, user, assistant, tool
	Text   string
	Calls  []Call // an assistant's tool calls
	CallID string // a tool message answers this call
}

// Call is one tool call.
type Call struct {
	ID   string
	Name string
	Args json.RawMessage
}

// Turn is the model's answer: text, then tool calls (none ends the task).
type Turn struct {
	Text  string
	Calls []Call
}

// Next is the demo model: the answer to a conversation.
func Next(msgs []Message) Turn {
	st := read(msgs)
	t := st.decide()
	for i := range t.Calls {
		t.Calls[i].ID = fmt.Sprintf("call_%02d", st.calls+i+1)
	}
	return t
}

// taskKind is what the model recognises a task as.
type taskKind int

const (
	taskUnknown taskKind = iota
	taskFix              // the sample's failing test
	taskMedian           // add a Median function
)

func classify(text string) taskKind {
	l := strings.ToLower(text)
	switch {
	case strings.Contains(l, "median"):
		return taskMedian
	case containsAny(l, "fail", "fix", "bug", "test", "mean", "again", "retry", "try"):
		return taskFix
	}
	return taskUnknown
}

func containsAny(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// step is one plan step as the model understands it.
type step struct {
	id, title string
	status    string // pending, in_progress, done, skipped, failed
	// start is the event sequence number at which the model started it.
	start int
}

// obs is one tool result the model has seen.
type obs struct {
	seq     int
	name    string
	args    map[string]string
	out     string
	isError bool
}

// rejection is a change the user rejected (or undid) in the review.
type rejection struct {
	seq    int
	path   string
	reason string
	fix    bool // it was the fix of Mean
	median bool // it added Median (or its test)
	undo   bool
}

// state is what the model knows of the current task, rebuilt per request.
type state struct {
	calls int // tool calls in the whole conversation, for new call ids
	seq   int

	task    string
	kind    taskKind
	retry   bool
	planned bool
	planSeq int    // the newest set_plan result
	refused string // the user did not approve the plan: their reason
	plan    []*step
	obs     []obs
	files   map[string]string // content as last read
	fresh   map[string]bool   // read since the last change
	changed int               // seq of the newest change to the files
	// firstChange is the seq of the task's first change to the files.
	firstChange int
	rejected    []rejection

	adjustments []adjustment
	noTests     bool
	comment     bool
	median      int // seq of an adjustment asking for Median; 0 for none
	// acks are what the model says about notes that arrived since its last
	// answer (adjustments, plan edits, review decisions).
	acks []string
	// lastAssistant is the index of the newest assistant message: notes
	// after it are new to the model.
	lastAssistant int
}

type adjustment struct {
	seq  int
	text string
}

// read rebuilds the model's knowledge from the conversation.
func read(msgs []Message) *state {
	st := &state{lastAssistant: -1, files: map[string]string{}, fresh: map[string]bool{}}
	for i, m := range msgs {
		if m.Role == "assistant" {
			st.lastAssistant = i
		}
	}
	calls := map[string]Call{}
	for i, m := range msgs {
		fresh := i > st.lastAssistant
		switch m.Role {
		case "assistant":
			for _, c := range m.Calls {
				calls[c.ID] = c
				st.calls++
			}
		case "tool":
			st.seq++
			st.result(calls[m.CallID], m.Text)
		case "user":
			for _, seg := range segments(m.Text) {
				st.seq++
				st.segment(seg, fresh)
			}
		}
	}
	return st
}

// segments splits a user message into the task and the notes wend appended
// (the OpenAI adapter joins a message's text blocks with blank lines).
func segments(text string) []string {
	var out []string
	for _, chunk := range strings.Split(text, "\n\n") {
		// A block ending in a newline leaves one at the start of the next.
		if trimmed := strings.TrimLeft(chunk, "\n"); len(out) == 0 || isHeader(trimmed) {
			out = append(out, trimmed)
			continue
		}
		out[len(out)-1] += "\n\n" + chunk
	}
	return out
}

func isHeader(s string) bool {
	for _, p := range []string{"[wend] ", "[The user, while you work] ", "# Task", "# Next task"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func (st *state) segment(seg string, fresh bool) {
	switch {
	case strings.HasPrefix(seg, "# Task (again)\n"):
		st.newTask(firstLines(strings.TrimPrefix(seg, "# Task (again)\n"), 2), true)
	case strings.HasPrefix(seg, "# Task\n"):
		st.newTask(firstLines(strings.TrimPrefix(seg, "# Task\n"), 1), false)
	case strings.HasPrefix(seg, "# Next task\n"):
		st.newTask(firstLines(strings.TrimPrefix(seg, "# Next task\n"), 2), false)
	case strings.HasPrefix(seg, "[The user, while you work] "):
		st.adjust(strings.TrimSpace(strings.TrimPrefix(seg, "[The user, while you work] ")), fresh)
	case strings.HasPrefix(seg, "[wend] "):
		st.note(strings.TrimPrefix(seg, "[wend] "), fresh)
	}
}

// firstLines returns the task text: the lines after the header's own
// sentences (skip of them), up to the first blank line or next heading.
func firstLines(s string, skip int) string {
	lines := strings.Split(s, "\n")
	if skip > 1 && len(lines) > 1 {
		lines = lines[1:] // "The previous task has ended. The user's next task…:"
	}
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, "# ") {
			break
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// newTask starts the model's knowledge of a task afresh; what it said about
// earlier tasks stays in the conversation, but it works from the files.
func (st *state) newTask(text string, retry bool) {
	calls, seq, last := st.calls, st.seq, st.lastAssistant
	*st = state{calls: calls, seq: seq, lastAssistant: last, task: text, retry: retry}
	st.kind = classify(text)
	if retry && st.kind == taskUnknown {
		st.kind = taskFix
	}
	st.files, st.fresh = map[string]string{}, map[string]bool{}
}

func (st *state) adjust(text string, fresh bool) {
	st.adjustments = append(st.adjustments, adjustment{seq: st.seq, text: text})
	l := strings.ToLower(text)
	var understood []string
	if containsAny(l, "don't run", "do not run", "dont run", "no test", "skip the test", "without test", "without running", "not run the test") {
		st.noTests = true
		understood = append(understood, "I won't run the tests")
	}
	if strings.Contains(l, "comment") {
		st.comment = true
		understood = append(understood, "the fix will explain itself in a comment")
	}
	if strings.Contains(l, "median") && st.kind != taskMedian {
		st.median = st.seq
		understood = append(understood, "I'll add a `Median` function and a test for it after the fix")
	}
	if !fresh {
		return
	}
	if len(understood) == 0 {
		st.acks = append(st.acks, fmt.Sprintf("Noted: “%s”. I'm the demo model and only know this sample's plan, so I'll carry on with it.", text))
		return
	}
	st.acks = append(st.acks, fmt.Sprintf("Noted: “%s”: %s.", text, strings.Join(understood, "; ")))
}

var (
	quoted     = `"((?:[^"\\]|\\.)*)"`
	reAdded    = lazyRegexp(`^The user added step (\S+) ` + quoted + `(?: after step (\S+?)| at the end)?\.`)
	reReworded = lazyRegexp(`^The user reworded step (\S+) from ` + quoted + ` to ` + quoted + `\.`)
	reDeleted  = lazyRegexp(`^The user deleted step (\S+) ` + quoted + `; do not do it\.`)
	reSkipped  = lazyRegexp(`^The user skipped step (\S+) ` + quoted + `; do not do it\.`)
	reMoved    = lazyRegexp(`^The user moved step (\S+) ` + quoted + ` to position (\d+)\.`)
	reDecision = lazyRegexp(`^The user (rejected|accepted|edited|undid) (?:a hunk of )?(?:your change to |your change |all your changes to )?(\S+?)(?:;|\.\s|\.$)`)
	reReason   = lazyRegexp(` Reason: (.*)$`)
)

func unquote(s string) string {
	if u, err := strconv.Unquote(`"` + s + `"`); err == nil {
		return u
	}
	return s
}

// note reads one of wend's own notes: plan edits and review decisions.
func (st *state) note(text string, fresh bool) {
	ack := func(s string) {
		if fresh {
			st.acks = append(st.acks, s)
		}
	}
	if m := reAdded().FindStringSubmatch(text); m != nil {
		s := &step{id: m[1], title: unquote(m[2]), status: "pending"}
		at := len(st.plan)
		if i := st.index(m[3]); m[3] != "" && i >= 0 {
			at = i + 1
		}
		st.plan = append(st.plan[:at], append([]*step{s}, st.plan[at:]...)...)
		if kindOf(s.title) == stepUnknown {
			ack(fmt.Sprintf("You added step %s “%s”. The demo model can't do that kind of work; I'll say so when I get there.", s.id, s.title))
		} else {
			ack(fmt.Sprintf("You added step %s “%s”: I'll do it in its place.", s.id, s.title))
		}
		return
	}
	if m := reReworded().FindStringSubmatch(text); m != nil {
		if i := st.index(m[1]); i >= 0 {
			st.plan[i].title = unquote(m[3])
			if strings.Contains(strings.ToLower(st.plan[i].title), "comment") {
				st.comment = true
			}
			ack(fmt.Sprintf("Step %s now reads “%s”: I'll do it as worded.", m[1], st.plan[i].title))
		}
		return
	}
	if m := reDeleted().FindStringSubmatch(text); m != nil {
		if i := st.index(m[1]); i >= 0 {
			ack(fmt.Sprintf("You deleted step %s “%s”: I'll skip it.", m[1], st.plan[i].title))
			st.plan = append(st.plan[:i], st.plan[i+1:]...)
		}
		return
	}
	if m := reSkipped().FindStringSubmatch(text); m != nil {
		if i := st.index(m[1]); i >= 0 {
			st.plan[i].status = "skipped"
			ack(fmt.Sprintf("You skipped step %s “%s”: I won't do it.", m[1], st.plan[i].title))
		}
		return
	}
	if m := reMoved().FindStringSubmatch(text); m != nil {
		i := st.index(m[1])
		to, _ := strconv.Atoi(m[3])
		if i >= 0 && to >= 1 && to <= len(st.plan) {
			s := st.plan[i]
			st.plan = append(st.plan[:i], st.plan[i+1:]...)
			st.plan = append(st.plan[:to-1], append([]*step{s}, st.plan[to-1:]...)...)
			ack(fmt.Sprintf("You moved step %s “%s” to position %d: I'll keep that order.", s.id, s.title, to))
		}
		return
	}
	st.decisions(text, fresh)
}

// decisions reads review feedback: one line per decision, each followed by
// the hunk it was about.
func (st *state) decisions(text string, fresh bool) {
	var cur *rejection
	var hunk strings.Builder
	flush := func() {
		if cur == nil {
			return
		}
		h := hunk.String()
		cur.median = strings.Contains(h, "Median")
		cur.fix = strings.Contains(h, "len(xs)") && !cur.median
		st.rejected = append(st.rejected, *cur)
		if fresh {
			what := "my change to " + cur.path
			if cur.fix {
				what = "my fix of `Mean`"
			}
			verb := "rejected"
			if cur.undo {
				verb = "undid"
			}
			reason := ""
			if cur.reason != "" {
				reason = fmt.Sprintf(": “%s”", cur.reason)
			}
			st.acks = append(st.acks, fmt.Sprintf("You %s %s%s.", verb, what, reason))
		}
		cur = nil
		hunk.Reset()
	}
	for _, line := range strings.Split(text, "\n") {
		m := reDecision().FindStringSubmatch(line)
		if m == nil {
			if cur != nil {
				hunk.WriteString(line + "\n")
			}
			continue
		}
		flush()
		path := m[2]
		st.fresh[path] = false
		switch m[1] {
		case "rejected", "undid":
			st.changedNow()
			cur = &rejection{seq: st.seq, path: path, undo: m[1] == "undid"}
			if r := reReason().FindStringSubmatch(line); r != nil {
				cur.reason = strings.TrimSpace(r[1])
			}
		case "edited":
			st.changedNow()
			if fresh {
				st.acks = append(st.acks, fmt.Sprintf("You edited my change to %s; I'll keep your version.", path))
			}
		}
	}
	flush()
}

func (st *state) changedNow() {
	st.changed = st.seq
	if st.firstChange == 0 {
		st.firstChange = st.seq
	}
}

func (st *state) index(id string) int {
	for i, s := range st.plan {
		if s.id == id {
			return i
		}
	}
	return -1
}

var (
	reChecklist = lazyRegexp(`^\[(.)\] (\S+)\. (.*)$`)
	reLineNo    = lazyRegexp(`(?m)^ *\d+\t`)
	reFail      = lazyRegexp(`--- FAIL: (\w+)`)
)

// result records a tool result.
func (st *state) result(c Call, out string) {
	o := obs{seq: st.seq, name: c.Name, out: out, args: map[string]string{}}
	if strings.HasPrefix(out, "Error: ") {
		o.isError, o.out = true, strings.TrimPrefix(out, "Error: ")
	}
	var args map[string]any
	json.Unmarshal(c.Args, &args)
	for k, v := range args {
		if s, ok := v.(string); ok {
			o.args[k] = s
		}
	}
	st.obs = append(st.obs, o)
	switch c.Name {
	case "set_plan":
		st.planned = true
		if o.isError {
			st.refused = strings.TrimPrefix(strings.SplitN(o.out, "\n", 2)[0], "The user did not approve this plan. Their reason: ")
			return
		}
		st.planSeq = st.seq
		st.plan = nil
		for _, line := range strings.Split(o.out, "\n") {
			m := reChecklist().FindStringSubmatch(line)
			if m == nil {
				continue
			}
			status := map[string]string{" ": "pending", ">": "in_progress", "x": "done", "-": "skipped", "!": "failed"}[m[1]]
			st.plan = append(st.plan, &step{id: m[2], title: m[3], status: status})
		}
	case "update_step":
		if i := st.index(o.args["step"]); i >= 0 {
			s := st.plan[i]
			switch {
			case !o.isError:
				s.status = o.args["status"]
				if s.status == "in_progress" {
					s.start = st.seq
				}
			case strings.Contains(o.out, "skipped by the user"):
				s.status = "skipped"
			}
		}
	case "read_file":
		if !o.isError {
			path := o.args["path"]
			st.files[path] = reLineNo().ReplaceAllString(o.out, "")
			st.fresh[path] = true
		}
	case "edit_file", "create_file":
		if !o.isError {
			st.fresh[o.args["path"]] = false
			st.changedNow()
		}
	case "run_command":
		if !o.isError || strings.Contains(o.out, "Exit code:") {
			// Commands can write files too (a formatter); reread before editing.
			for p := range st.fresh {
				st.fresh[p] = false
			}
		}
	}
}

// lazyRegexp compiles its pattern on first use: the demo model's patterns are
// needed only by `wend demo`, and every other verb must not pay for them at init.
func lazyRegexp(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}
