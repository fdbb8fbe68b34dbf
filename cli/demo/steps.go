package demo

import (
	"encoding/json"
	"fmt"
	"strings"
)

// What the demo model knows how to do: the sample's bug, its fix (two ways,
// for when the user rejects the first), and a Median function with its test.
const (
	bugLine    = "\treturn Sum(xs) / float64(len(xs)-1)\n"
	testCmd    = "go test ./..."
	statsFile  = "stats.go"
	testFile   = "stats_test.go"
	medianFunc = `// Median is the middle value of xs (the mean of the two middle values when
// there is an even count), or 0 for no numbers. xs is left unchanged.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	mid := len(s) / 2
	if len(s)%2 == 0 {
		return (s[mid-1] + s[mid]) / 2
	}
	return s[mid]
}
`
	medianTest = `func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := Median(c.xs); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.xs, got, c.want)
		}
	}
}
`
)

// fixLines is the new body line(s) of Mean: variant 0 is the plain fix,
// variant 1 the one proposed after a rejection.
func fixLines(variant int, comment bool) string {
	if variant > 0 {
		return "\t// Divide by how many numbers there are: len(xs)-1 is the denominator\n" +
			"\t// of the sample variance, not of the mean.\n" +
			"\tn := float64(len(xs))\n\treturn Sum(xs) / n\n"
	}
	if comment {
		return "\t// The mean divides by the count of numbers; len(xs)-1 would be the\n" +
			"\t// sample variance's denominator.\n\treturn Sum(xs) / float64(len(xs))\n"
	}
	return "\treturn Sum(xs) / float64(len(xs))\n"
}

var (
	fixPlan    = []string{"Run the tests to see the failure", "Read the code under test", "Fix the bug", "Run the tests again"}
	medianPlan = []string{"Read stats.go", "Add `Median` to stats.go", "Add a test for `Median`", "Run the tests"}
)

type stepKind int

const (
	stepUnknown stepKind = iota
	stepRunTests
	stepRead
	stepFix
	stepMedian
	stepMedianTest
)

// kindOf reads a step's title, so a step the user reworded or added is done
// as worded, when the demo model knows how. The first word says what kind of
// work it is ("Write a haiku about the fix" is no fix).
func kindOf(title string) stepKind {
	l := strings.ToLower(strings.TrimSpace(title))
	verb, _, _ := strings.Cut(l, " ")
	switch {
	case strings.Contains(l, "median") && containsWord(verb, "add", "write", "implement", "create"):
		if strings.Contains(l, "test") {
			return stepMedianTest
		}
		return stepMedian
	case strings.Contains(l, "test") && containsWord(verb, "run", "rerun", "verify", "check", "test", "confirm"):
		return stepRunTests
	case containsWord(verb, "read", "look", "inspect", "find", "study", "locate", "understand"):
		return stepRead
	case containsWord(verb, "fix", "correct", "repair", "patch"):
		return stepFix
	}
	return stepUnknown
}

func containsWord(w string, words ...string) bool {
	for _, x := range words {
		if w == x {
			return true
		}
	}
	return false
}

// work is what a step needs next: calls to make, or its end.
type work struct {
	text   string
	calls  []Call
	status string // when no calls: the step's final status
	note   string
}

func done(note, text string) work   { return work{status: "done", note: note, text: text} }
func failed(note, text string) work { return work{status: "failed", note: note, text: text} }

func call(name string, args any) Call {
	data, _ := json.Marshal(args)
	return Call{Name: name, Args: data}
}

// since returns the results of tool name after the step started.
func (st *state) since(s *step, name string) []obs {
	var out []obs
	for _, o := range st.obs {
		if o.seq > s.start && o.name == name {
			out = append(out, o)
		}
	}
	return out
}

func (st *state) work(s *step) work {
	switch kindOf(s.title) {
	case stepRunTests:
		return st.runTests(s)
	case stepRead:
		return st.readCode(s)
	case stepFix:
		return st.fix(s)
	case stepMedian:
		return st.addMedian(s)
	case stepMedianTest:
		return st.addMedianTest(s)
	}
	return work{status: "skipped", note: "the demo model cannot do this",
		text: fmt.Sprintf("Step %s “%s” is beyond the demo model: it only knows this sample's fix and `Median`. Skipping it.", s.id, s.title)}
}

// testRun is what a go test result says.
type testRun struct {
	denied, refused, passed, ran bool
	reason                       string
	failing                      []string
	detail                       string
}

var (
	reExit   = lazyRegexp(`Exit code: (-?\d+)`)
	reDenied = lazyRegexp(`The user denied this call\. Their reason: (.*)`)
)

func readRun(o obs) testRun {
	if m := reDenied().FindStringSubmatch(o.out); m != nil {
		r := testRun{denied: true}
		if m[1] != "(none given)" {
			r.reason = strings.TrimSpace(m[1])
		}
		return r
	}
	if strings.Contains(o.out, "needs the user's approval") {
		return testRun{refused: true}
	}
	m := reExit().FindStringSubmatch(o.out)
	if m == nil {
		return testRun{detail: firstLine(o.out)}
	}
	r := testRun{ran: true, passed: m[1] == "0"}
	seen := map[string]bool{}
	for _, f := range reFail().FindAllStringSubmatch(o.out, -1) {
		if !seen[f[1]] {
			seen[f[1]] = true
			r.failing = append(r.failing, f[1])
		}
	}
	if !r.passed && len(r.failing) == 0 {
		r.detail = firstLine(o.out)
	}
	return r
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// changedBefore says whether the files changed in this task before seq: a
// test run after that verifies a change rather than shows the starting point.
func (st *state) changedBefore(seq int) bool { return st.firstChange > 0 && st.firstChange < seq }

func (st *state) runTests(s *step) work {
	runs := st.since(s, "run_command")
	if len(runs) == 0 {
		if st.noTests {
			return work{status: "skipped", note: "you asked me not to run the tests",
				text: "Not running the tests, as you asked."}
		}
		return work{calls: []Call{call("run_command", map[string]string{"command": testCmd})}}
	}
	o := runs[len(runs)-1]
	r := readRun(o)
	verify := st.changedBefore(o.seq)
	switch {
	case r.denied:
		said := "you denied `" + testCmd + "`"
		if r.reason != "" {
			said += fmt.Sprintf(" (“%s”)", r.reason)
		}
		next := " I'll work from the code and the test instead."
		if verify {
			next = " The change is not verified."
		}
		return failed("not run: you denied it", "I could not run the tests: "+said+"."+next)
	case r.refused:
		return failed("not run: needs your approval", "I could not run the tests: this run cannot ask for approval.")
	case r.passed && verify:
		return done(testCmd+" passes", "The tests pass now.")
	case r.passed:
		return done(testCmd+" passes", "The tests pass already.")
	case len(r.failing) > 0 && !verify:
		text := fmt.Sprintf("`%s` fails.", strings.Join(r.failing, "`, `"))
		if strings.Contains(o.out, "Mean = 6, want 4") {
			text = "`TestMean` fails: the mean of 2, 4 and 6 comes out as 6, not 4."
		}
		return done(strings.Join(r.failing, ", ")+" fails", text)
	case len(r.failing) > 0:
		return failed(strings.Join(r.failing, ", ")+" still fails",
			fmt.Sprintf("The tests still fail: `%s`.", strings.Join(r.failing, "`, `")))
	}
	return failed("go test failed: "+r.detail, "`"+testCmd+"` failed without a test failure: "+r.detail)
}

// testsSeen says whether a test run in this task showed the failure.
func (st *state) testsSeen() bool {
	for _, o := range st.obs {
		if o.name == "run_command" && readRun(o).ran {
			return true
		}
	}
	return false
}

// reads issues read_file for the paths not read since the step started
// (nil when all are), or says why it cannot.
func (st *state) reads(s *step, paths ...string) ([]Call, *work) {
	read := map[string]int{}
	for _, o := range st.since(s, "read_file") {
		if o.isError {
			w := failed("could not read "+o.args["path"], "I could not read "+o.args["path"]+": "+firstLine(o.out))
			return nil, &w
		}
		read[o.args["path"]]++
	}
	var calls []Call
	for _, p := range paths {
		if st.fresh[p] || read[p] >= 2 {
			continue // known as it is, or read twice already: go on with it
		}
		calls = append(calls, call("read_file", map[string]string{"path": p}))
	}
	return calls, nil
}

func (st *state) readCode(s *step) work {
	paths := []string{statsFile}
	if st.kind == taskFix && !st.testsSeen() {
		paths = append(paths, testFile) // without a test run, the test says what is expected
	}
	calls, stop := st.reads(s, paths...)
	if stop != nil {
		return *stop
	}
	if len(calls) > 0 {
		return work{calls: calls}
	}
	switch {
	case st.kind != taskFix:
		return done("", "")
	case strings.Contains(st.files[statsFile], bugLine):
		text := "Found it: `Mean` divides the sum by `len(xs)-1` instead of `len(xs)`."
		if len(paths) > 1 {
			text = "`TestMean` expects the mean of 2, 4 and 6 to be 4. " + text
		}
		return done("Mean divides by len(xs)-1", text)
	}
	return done("no bug found", "`Mean` in stats.go already divides by `len(xs)`: I see no bug there.")
}

func (st *state) fixRejections() (n int, last *rejection) {
	for i := range st.rejected {
		if st.rejected[i].fix {
			n++
			last = &st.rejected[i]
		}
	}
	return n, last
}

// edits returns the outcome of the step's edits: nil while it made none.
func (st *state) edits(s *step) *work {
	es := st.since(s, "edit_file")
	if len(es) == 0 {
		return nil
	}
	for _, o := range es {
		if o.isError {
			w := failed("the edit failed", "My edit of "+o.args["path"]+" failed: "+firstLine(o.out))
			return &w
		}
	}
	w := done("", "")
	return &w
}

func (st *state) fix(s *step) work {
	n, _ := st.fixRejections()
	if w := st.edits(s); w != nil {
		if w.status == "done" {
			w.note = "Mean divides by len(xs)"
		}
		return *w
	}
	if n >= 2 {
		return failed("you rejected both fixes",
			"You rejected both fixes I proposed, so I'll leave `Mean` as it is. Tell me how you would like it fixed, or edit it in the review.")
	}
	calls, stop := st.reads(s, statsFile)
	if stop != nil {
		return *stop
	}
	if len(calls) > 0 {
		return work{calls: calls, text: "Let me read stats.go first."}
	}
	if !strings.Contains(st.files[statsFile], bugLine) {
		return done("nothing to fix", "`Mean` no longer divides by `len(xs)-1`: nothing to fix.")
	}
	text := "Dividing by `len(xs)` instead."
	if n > 0 {
		text = "A different fix this time: name the count, and say in a comment why it is `len(xs)`, not `len(xs)-1`."
	} else if st.comment {
		text = "Dividing by `len(xs)` instead, with a comment saying why."
	}
	return work{text: text, calls: []Call{call("edit_file", map[string]string{
		"path": statsFile, "old_string": bugLine, "new_string": fixLines(n, st.comment)})}}
}

// tail is the shortest run of the file's last lines (two at least) that
// occurs once in it: the anchor to append after, so the edit shows as what
// it adds. "" when there is none.
func tail(content string) string {
	if !strings.HasSuffix(content, "\n") {
		return ""
	}
	lines := strings.SplitAfter(content, "\n")
	lines = lines[:len(lines)-1] // SplitAfter leaves "" after the last newline
	for n := 2; n <= len(lines); n++ {
		t := strings.Join(lines[len(lines)-n:], "")
		if strings.Count(content, t) == 1 {
			return t
		}
	}
	return ""
}

func (st *state) addMedian(s *step) work {
	if w := st.edits(s); w != nil {
		if w.status == "done" {
			w.note = "Median added"
		}
		return *w
	}
	calls, stop := st.reads(s, statsFile)
	if stop != nil {
		return *stop
	}
	if len(calls) > 0 {
		return work{calls: calls}
	}
	content := st.files[statsFile]
	if strings.Contains(content, "func Median(") {
		return done("already there", "stats.go has a `Median` already.")
	}
	var edits []Call
	switch {
	case strings.Contains(content, `"sort"`):
	case strings.Contains(content, "import (\n"):
		edits = append(edits, call("edit_file", map[string]string{"path": statsFile,
			"old_string": "import (\n", "new_string": "import (\n\t\"sort\"\n"}))
	case strings.Count(content, "package stats\n") == 1:
		edits = append(edits, call("edit_file", map[string]string{"path": statsFile,
			"old_string": "package stats\n", "new_string": "package stats\n\nimport \"sort\"\n"}))
	}
	anchor := tail(content)
	if anchor == "" {
		return failed("stats.go has an unexpected shape", "stats.go is not shaped as I expect; I'll leave it to you to add `Median`.")
	}
	edits = append(edits, call("edit_file", map[string]string{"path": statsFile,
		"old_string": anchor, "new_string": anchor + "\n" + medianFunc}))
	return work{calls: edits, text: "Adding `Median` after `Mean`: it sorts a copy, so the caller's slice is left as it was."}
}

func (st *state) addMedianTest(s *step) work {
	if w := st.edits(s); w != nil {
		if w.status == "done" {
			w.note = "TestMedian added"
		}
		return *w
	}
	calls, stop := st.reads(s, testFile)
	if stop != nil {
		return *stop
	}
	if len(calls) > 0 {
		return work{calls: calls}
	}
	content := st.files[testFile]
	if strings.Contains(content, "func TestMedian(") {
		return done("already there", "stats_test.go tests `Median` already.")
	}
	anchor := tail(content)
	if anchor == "" {
		return failed("stats_test.go has an unexpected shape", "stats_test.go is not shaped as I expect; I'll leave the test to you.")
	}
	return work{text: "A table test: no numbers, an odd count, an even count.", calls: []Call{call("edit_file", map[string]string{
		"path": testFile, "old_string": anchor, "new_string": anchor + "\n" + medianTest})}}
}
