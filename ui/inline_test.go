package ui

import (
	"encoding/json"
	"fmt"
	"image/color"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/uitest"
)

// inlineDriver runs the model as a tea.Program would: every command in a
// goroutine, its message fed back to Update, a Sequence's messages in order.
// Prints are recorded in the order the program would process them.
type inlineDriver struct {
	t           *testing.T
	m           *Model
	msgs        chan tea.Msg
	outstanding int
	printed     []string // rows printed above the program, in order
	quit        bool
	seq         int64
}

type testPrintMsg struct{ text string }

var cmdType = reflect.TypeOf(tea.Cmd(nil))

func newInlineDriver(t *testing.T, w, h int) *inlineDriver {
	t.Helper()
	// The real clock: the markdown throttle waits for it to move.
	m := New(uitest.NewBackend(), Options{Inline: true, NoColor: true, Repository: "acme/shop"})
	d := &inlineDriver{t: t, m: m, msgs: make(chan tea.Msg, 256)}
	m.println = func(s string) tea.Cmd { return func() tea.Msg { return testPrintMsg{s} } }
	d.send(tea.WindowSizeMsg{Width: w, Height: h})
	d.send(tea.BackgroundColorMsg{Color: color.Black})
	return d
}

func (d *inlineDriver) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	d.outstanding++
	go func() { d.msgs <- cmd() }()
}

func (d *inlineDriver) send(msg tea.Msg) {
	_, cmd := d.m.Update(msg)
	d.exec(cmd)
}

func (d *inlineDriver) handle(msg tea.Msg) {
	switch msg := msg.(type) {
	case nil, spinner.TickMsg: // the spinner would tick forever while running
		return
	case tea.BatchMsg:
		for _, c := range msg {
			d.exec(c)
		}
		return
	case tea.QuitMsg:
		d.quit = true
		return
	case testPrintMsg:
		d.printed = append(d.printed, strings.Split(ansi.Strip(msg.text), "\n")...)
		return
	}
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == cmdType {
		// tea.Sequence: one goroutine runs them in order, as the program does.
		cmds := make([]tea.Cmd, v.Len())
		for i := range cmds {
			cmds[i] = v.Index(i).Interface().(tea.Cmd)
		}
		d.outstanding += len(cmds)
		go func() {
			for _, c := range cmds {
				var m tea.Msg
				if c != nil {
					m = c()
				}
				d.msgs <- m
			}
		}()
		return
	}
	d.send(msg)
}

// settle runs commands until none is left.
func (d *inlineDriver) settle() {
	d.t.Helper()
	deadline := time.After(10 * time.Second)
	for d.outstanding > 0 {
		select {
		case msg := <-d.msgs:
			d.outstanding--
			d.handle(msg)
		case <-deadline:
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			d.t.Fatalf("commands still running after 10s (%d)\n%s", d.outstanding, buf)
		}
	}
}

// emit delivers session events, as the event stream does.
func (d *inlineDriver) emit(ps ...session.Payload) {
	ch := make(chan session.Event)
	close(ch) // no more: waitEvents answers eventsClosedMsg
	var evs []session.Event
	for _, p := range ps {
		d.seq++
		evs = append(evs, session.Event{Seq: d.seq, Payload: p})
	}
	d.send(eventsMsg{events: evs, ch: ch})
}

func (d *inlineDriver) view() string { return ansi.Strip(d.m.View().Content) }

// count is how many printed rows contain s.
func (d *inlineDriver) count(s string) int {
	n := 0
	for _, r := range d.printed {
		n += strings.Count(r, s)
	}
	return n
}

// checkLive fails when the live area shows something already printed, or is
// taller than the rows printing leaves it.
func (d *inlineDriver) checkLive(markers []string) {
	d.t.Helper()
	v := d.m.View()
	if v.AltScreen {
		return
	}
	live := ansi.Strip(v.Content)
	for _, mk := range markers {
		if d.count(mk) > 0 && strings.Contains(live, mk) {
			d.t.Fatalf("the live area shows %q, already printed:\n%s", mk, live)
		}
	}
	if n := strings.Count(v.Content, "\n") + 1; n > inlineLiveMax(d.m.height) {
		d.t.Fatalf("live area of %d rows on a %d-row screen (most %d)", n, d.m.height, inlineLiveMax(d.m.height))
	}
}

// The transcript is printed into the scrollback block by block, each exactly
// once and in order, under a stream of small deltas and a resize in the
// middle of a message; the live area never repeats what was printed.
func TestInlinePrintsEachBlockOnceInOrder(t *testing.T) {
	d := newInlineDriver(t, 80, 24)
	var text strings.Builder
	var markers []string
	for i := range 12 {
		mk := fmt.Sprintf("marker%02d", i)
		markers = append(markers, mk)
		if i == 6 {
			fmt.Fprintf(&text, "```go\n// %s\nfunc f() {}\n```\n\n", mk)
			continue
		}
		fmt.Fprintf(&text, "Paragraph %s says something about the change, long enough to wrap at sixty columns.\n\n", mk)
	}
	d.emit(session.SessionStarted{SessionID: "s", Task: "task"})
	d.settle()
	src := text.String()
	for i := 0; i < len(src); i += 7 {
		d.emit(session.TextDelta{Text: src[i:min(i+7, len(src))]})
		if i%49 == 0 {
			d.settle()
			d.checkLive(markers)
		}
		if i == len(src)/2 {
			d.send(tea.WindowSizeMsg{Width: 60, Height: 24})
			d.settle()
			d.checkLive(markers)
		}
	}
	d.emit(session.TextFinished{})
	d.emit(session.ToolCalled{CallID: "c1", Tool: "read_file", Args: json.RawMessage(`{"path":"toolmarker.go"}`)})
	d.settle()
	d.checkLive(markers)
	if d.count("toolmarker.go") != 0 {
		t.Fatal("a tool call without its result was printed")
	}
	if !strings.Contains(d.view(), "toolmarker.go") {
		t.Fatalf("the running tool call is not in the live area:\n%s", d.view())
	}
	d.emit(session.ToolFinished{CallID: "c1", Tool: "read_file", Summary: "read it"}, session.Notice{Level: "info", Text: "noticemarker"},
		session.SessionFinished{State: session.StateFinished, Summary: "donemarker"})
	d.settle()
	markers = append(markers, "toolmarker.go", "noticemarker", "donemarker")
	d.checkLive(markers)
	last := -1
	for _, mk := range markers {
		if n := d.count(mk); n != 1 {
			t.Errorf("%s printed %d times", mk, n)
		}
		at := strings.Index(strings.Join(d.printed, "\n"), mk)
		if at < last {
			t.Errorf("%s printed out of order", mk)
		}
		last = at
	}
	if len(d.m.il.queue) != 0 || d.m.il.printing {
		t.Errorf("left in the queue: %q (printing %v)", d.m.il.queue, d.m.il.printing)
	}
	// Quitting prints nothing again: only the summary.
	d.send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	d.send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	d.settle()
	if !d.quit {
		t.Fatal("two ctrl+c did not quit")
	}
	if v := d.m.View().Content; v != "" {
		t.Errorf("the last frame should clear the live area, got:\n%s", v)
	}
	rest := ansi.Strip(d.m.InlineRest())
	for _, mk := range markers {
		if strings.Contains(rest, mk) {
			t.Errorf("after quitting, %s is printed again:\n%s", mk, rest)
		}
	}
	if !strings.Contains(rest, "finished") || !strings.Contains(rest, "acme/shop") {
		t.Errorf("the summary line is missing after quitting:\n%s", rest)
	}
}

// Quitting in the middle of a message leaves its unprinted part after the
// scrollback, once, and waits for a chunk on its way rather than printing it
// a second time.
func TestInlineQuitMidStream(t *testing.T) {
	d := newInlineDriver(t, 80, 24)
	d.emit(session.SessionStarted{SessionID: "s", Task: "task"})
	d.emit(session.TextDelta{Text: "First firstmarker block.\n\nSecond secondmarker block, still stream"})
	d.settle()
	if d.count("firstmarker") != 1 || d.count("secondmarker") != 0 {
		t.Fatalf("printed %q", d.printed)
	}
	if !strings.Contains(d.view(), "secondmarker") {
		t.Fatalf("the streaming tail is not in the live area:\n%s", d.view())
	}
	// A chunk on its way when the quit comes: the quit waits for it.
	d.m.il.queue = append(d.m.il.queue, "queuedmarker")
	cmd := d.m.pump()
	if cmd == nil || !d.m.il.printing {
		t.Fatal("the queued row was not sent")
	}
	if d.m.quit() != nil {
		t.Fatal("quit did not wait for the chunk on its way")
	}
	d.exec(cmd)
	d.settle()
	if !d.quit || d.count("queuedmarker") != 1 {
		t.Fatalf("after the ack: quit %v, printed %q", d.quit, d.printed)
	}
	rest := ansi.Strip(d.m.InlineRest())
	if strings.Count(rest, "secondmarker") != 1 || strings.Contains(rest, "firstmarker") || strings.Contains(rest, "queuedmarker") {
		t.Fatalf("rest after quitting:\n%s", rest)
	}
}

// The review and the help take the alternate screen; nothing is printed
// under them, and what finished meanwhile is printed on return.
func TestInlineOverlayHoldsPrinting(t *testing.T) {
	d := newInlineDriver(t, 80, 24)
	d.emit(session.SessionStarted{SessionID: "s", Task: "task"})
	d.settle()
	d.send(tea.KeyPressMsg{Code: 'r', Mod: tea.ModCtrl})
	d.settle()
	if !d.m.View().AltScreen {
		t.Fatal("the review should take the alternate screen")
	}
	before := len(d.printed)
	d.emit(session.Notice{Level: "info", Text: "overlaymarker"})
	d.settle()
	if len(d.printed) != before {
		t.Fatalf("printed under the review: %q", d.printed[before:])
	}
	d.send(tea.KeyPressMsg{Code: tea.KeyEscape})
	d.settle()
	if d.m.View().AltScreen || d.count("overlaymarker") != 1 {
		t.Fatalf("after leaving the review: alt %v, printed %q", d.m.View().AltScreen, d.printed)
	}
	// Full-screen mode is unchanged: the alternate screen, always.
	if v := New(uitest.NewBackend(), Options{}).View(); !v.AltScreen {
		t.Fatal("full-screen mode left the alternate screen")
	}
}

// A command approval at 80x24 fits the live area with its keys (the top of a
// tall dialog gives way first).
func TestInlineApprovalFits(t *testing.T) {
	d := newInlineDriver(t, 80, 24)
	d.emit(session.SessionStarted{SessionID: "s", Task: "task"},
		session.PlanProposed{Plan: session.Plan{Steps: []session.Step{{ID: "1", Title: "Run the tests", Status: session.StepRunning}}}},
		session.ToolCalled{CallID: "c", Tool: "run_command", Args: json.RawMessage(`{"command":"go test ./..."}`)},
		session.ApprovalRequested{Request: session.ApprovalRequest{ID: "a", Kind: session.ApproveCommand, Command: "go test ./...", Prefix: "go test"}})
	d.settle()
	d.checkLive(nil)
	v := d.view()
	for _, want := range []string{"approve once", "deny", "waiting for you"} {
		if !strings.Contains(v, want) {
			t.Errorf("the live area lacks %q:\n%s", want, v)
		}
	}
}

// With the plan focused while an approval waits, the steps keep their rows in
// the live area; the dialog shows its end.
func TestInlinePlanFocusKeepsItsSteps(t *testing.T) {
	d := newInlineDriver(t, 80, 24)
	d.m.opts.WorkDir = "/home/someone/src/stats"
	steps := []session.Step{{ID: "1", Title: "stepmarker one", Status: session.StepRunning}}
	for i := 2; i <= 4; i++ {
		steps = append(steps, session.Step{ID: fmt.Sprint(i), Title: fmt.Sprintf("stepmarker %d", i), Status: session.StepPending})
	}
	d.emit(session.SessionStarted{SessionID: "s", Task: "task"},
		session.PlanProposed{Plan: session.Plan{Steps: steps, NextID: 5}},
		session.ToolCalled{CallID: "c", Tool: "run_command", Args: json.RawMessage(`{"command":"go test ./..."}`)},
		session.ApprovalRequested{Request: session.ApprovalRequest{ID: "a", Kind: session.ApproveCommand, Tool: "run_command", StepID: "1", Command: "go test ./...", Prefix: "go test",
			Detail: "run go test ./... (runs sandboxed: writes only in the repository, $TMPDIR and build caches, no network, no access to ~/.ssh, ~/.config/wend, ~/.gnupg, ~/.aws, …)"}})
	d.send(tea.KeyPressMsg{Code: tea.KeyTab})
	d.settle()
	d.checkLive(nil)
	if v := d.view(); strings.Count(v, "stepmarker") != 4 || !strings.Contains(v, "waiting for you") {
		t.Fatalf("the focused plan should show its 4 steps and the status:\n%s", v)
	}
}
