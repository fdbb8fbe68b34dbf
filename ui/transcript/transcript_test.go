package transcript

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/ui/styles"
)

func TestSplitterKeepsFencesWhole(t *testing.T) {
	src := "# Title\n\nA paragraph\nstill.\n\n```go\nfunc a() {\n\n}\n```\n\n- x\n- y\n\ntail"
	var sp splitter
	var ends []int
	for i := 0; i < len(src); i += 3 { // feed in small pieces
		ends = sp.scan([]byte(src[:min(i+3, len(src))]), ends)
	}
	var blocks []string
	start := 0
	for _, e := range ends {
		blocks = append(blocks, strings.TrimSpace(src[start:e]))
		start = e
	}
	want := []string{"# Title", "A paragraph\nstill.", "```go\nfunc a() {\n\n}\n```", "- x\n- y"}
	if fmt.Sprint(blocks) != fmt.Sprint(want) {
		t.Fatalf("blocks\n%q\nwant\n%q", blocks, want)
	}
}

// clock is a fake time source advanced by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newSync(w, h int) (*Model, *clock) {
	c := &clock{t: time.Unix(1000, 0)}
	m := New(styles.New(true, false), nil)
	m.Now = c.now
	m.syncRender = true
	m.SetSize(w, h)
	return &m, c
}

func TestStreamRendersLikeWhole(t *testing.T) {
	m, c := newSync(80, 200)
	doc := "# Heading\n\nSome **bold** text.\n\n```go\nfunc main() {}\n```\n\nLast line."
	for i := 0; i < len(doc); i += 7 {
		m.AppendText(doc[i:min(i+7, len(doc))])
		c.t = c.t.Add(10 * time.Millisecond)
	}
	m.FinishText()
	got := ansi.Strip(m.View())
	for _, want := range []string{"Heading", "bold", "func main() {}", "Last line."} {
		if !strings.Contains(got, want) {
			t.Fatalf("missing %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "```") {
		t.Fatalf("fence not rendered:\n%s", got)
	}
	e := m.entries[0]
	if e.md.nr != len(e.md.ends) || len(e.md.tail) != 0 {
		t.Fatalf("not all blocks rendered: %d/%d, tail %d", e.md.nr, len(e.md.ends), len(e.md.tail))
	}
}

func TestThrottleSchedulesOneTickAndStopsWhenDone(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	m := New(styles.New(true, false), nil)
	m.Now = c.now
	m.SetSize(80, 20)
	if cmd := m.AppendText("hello"); cmd == nil {
		t.Fatal("first delta should render at once")
	}
	m.entries[0].md.inflight = false // pretend the render came back
	if cmd := m.AppendText(" world"); cmd == nil || !m.entries[0].md.tickPending {
		t.Fatal("a delta within the throttle should schedule one tick")
	}
	if cmd := m.AppendText("!"); cmd != nil {
		t.Fatal("a second delta must not schedule another tick")
	}
}

func TestEntriesAreBounded(t *testing.T) {
	m, _ := newSync(80, 20)
	for i := 0; i < MaxEntries+100; i++ {
		m.AddNotice("info", "n")
	}
	if m.Len() != MaxEntries {
		t.Fatalf("%d entries", m.Len())
	}
}

func TestScrollAndToolLines(t *testing.T) {
	m, _ := newSync(60, 5)
	m.ToolCalled("c1", "read_file", []byte(`{"path":"auth/session.go"}`))
	m.ToolFinished("c1", "read_file", false, "120 lines", "1\tpackage auth\n", 12*time.Millisecond)
	for i := 0; i < 10; i++ {
		m.AddNotice("info", fmt.Sprintf("note %d", i))
	}
	if !strings.Contains(m.View(), "note 9") {
		t.Fatal("the end should be visible")
	}
	m.ScrollBy(100)
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "⚙ read_file auth/session.go → 120 lines (12ms)") {
		t.Fatalf("tool line:\n%s", v)
	}
	m.ToggleTools()
	if v := ansi.Strip(m.View()); !strings.Contains(v, "package auth") {
		t.Fatalf("expanded tool output:\n%s", v)
	}
}

// ctrl+t shows an edit as a small diff, not as its raw JSON arguments.
func TestExpandedEditIsADiff(t *testing.T) {
	m, _ := newSync(80, 20)
	m.ToolCalled("c1", "edit_file", []byte(`{"path":"stats.go","old_string":"\treturn s / float64(len(xs)-1)\n","new_string":"\treturn s / float64(len(xs))\n"}`))
	m.ToolFinished("c1", "edit_file", false, "edit stats.go: -1 +1 lines", "", time.Millisecond)
	m.ToggleTools()
	v := ansi.Strip(m.View())
	for _, want := range []string{"  stats.go", "-    return s / float64(len(xs)-1)", "+    return s / float64(len(xs))"} {
		if !strings.Contains(v, want) {
			t.Errorf("expanded edit lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "old_string") || strings.Contains(v, `{"path"`) {
		t.Errorf("expanded edit shows raw JSON:\n%s", v)
	}
}

func TestResizeRerendersVisibleMarkdown(t *testing.T) {
	m, c := newSync(100, 30)
	doc := "A paragraph long enough to wrap differently at sixty columns than it does at one hundred columns, which is the point.\n\n- one\n- two\n"
	m.AppendText(doc)
	c.t = c.t.Add(time.Second)
	m.FinishText()
	m.SetSize(60, 30)
	for i, l := range strings.Split(m.View(), "\n") {
		if w := ansi.StringWidth(l); w > 60 {
			t.Fatalf("line %d is %d wide after resize: %q", i, w, ansi.Strip(l))
		}
	}
	if e := m.entries[0]; e.md.width != 60 || e.md.nr != len(e.md.ends) {
		t.Fatalf("not re-rendered at the new width: width %d, %d/%d blocks", e.md.width, e.md.nr, len(e.md.ends))
	}
}
