package dialog

import (
	"reflect"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/keys"
	"gitlab.com/wend/wend/ui/styles"
)

func press(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	}
	return tea.KeyPressMsg{Code: []rune(s)[0], Text: s}
}

// typeKeys sends each key (a word is typed rune by rune) and returns the last Out.
func typeKeys(m *Model, ks ...string) Out {
	var out Out
	for _, k := range ks {
		if k == "enter" || k == "esc" {
			*m, out, _ = m.Update(press(k))
			continue
		}
		for _, r := range k {
			*m, out, _ = m.Update(press(string(r)))
		}
	}
	return out
}

func cmdReq(id, prefix string) session.ApprovalRequest {
	return session.ApprovalRequest{ID: id, Kind: session.ApproveCommand, Tool: "run_command", Command: "go test ./...", Prefix: prefix}
}

func wantResolve(t *testing.T, out Out, op string, d session.Decision) {
	t.Helper()
	if out.Resolve == nil || out.Op != op || !reflect.DeepEqual(*out.Resolve, d) || !out.Relayout {
		t.Fatalf("out %+v (resolve %+v), want %s %+v and a relayout", out, out.Resolve, op, d)
	}
}

// Each approval key answers the oldest request with its scope; the next
// request is then the one shown.
func TestApprovalKeysResolveOldestFirst(t *testing.T) {
	m := New(keys.Default())
	m.Request(cmdReq("r1", ""))
	m.Request(cmdReq("r2", "go test"))
	m.Request(cmdReq("r3", ""))
	if !m.Open() || !m.Waiting() || !m.Browsable() {
		t.Fatalf("with approvals up: open %v waiting %v browsable %v", m.Open(), m.Waiting(), m.Browsable())
	}
	// No prefix on r1: p is not a choice, and other keys do nothing.
	for _, k := range []string{"p", "x"} {
		if out := typeKeys(&m, k); out != (Out{}) {
			t.Fatalf("%s on r1: %+v, want nothing", k, out)
		}
	}
	wantResolve(t, typeKeys(&m, "y"), "approve",
		session.Decision{Kind: session.DecideApproval, RequestID: "r1", Approve: true, Scope: session.ScopeOnce})
	wantResolve(t, typeKeys(&m, "p"), "approve",
		session.Decision{Kind: session.DecideApproval, RequestID: "r2", Approve: true, Scope: session.ScopePrefix})
	wantResolve(t, typeKeys(&m, "s"), "approve",
		session.Decision{Kind: session.DecideApproval, RequestID: "r3", Approve: true, Scope: session.ScopeStep})
	if m.Open() || m.Waiting() {
		t.Fatal("a dialog is still up after every request was answered")
	}
}

// Deny opens the reason prompt; esc goes back to the choices; enter denies
// with the typed reason, trimmed.
func TestDenyWithReason(t *testing.T) {
	m := New(keys.Default())
	m.Request(cmdReq("r1", ""))
	if out := typeKeys(&m, "n"); !out.Relayout || out.Resolve != nil {
		t.Fatalf("n: %+v, want the reason prompt", out)
	}
	if m.Browsable() {
		t.Fatal("browsable while a reason is typed")
	}
	if bs, ok := m.Hints(true); !ok || bs[0].Help().Key != "enter" {
		t.Fatalf("hints while denying: %v %v", bs, ok)
	}
	// y is text now, not approve.
	if out := typeKeys(&m, "y"); out.Resolve != nil {
		t.Fatalf("y while denying approved: %+v", out)
	}
	if out := typeKeys(&m, "esc"); out.Resolve != nil || !out.Relayout {
		t.Fatalf("esc: %+v", out)
	}
	typeKeys(&m, "n", "  not on CI  ")
	if m.Input() != "  not on CI  " {
		t.Fatalf("typed %q", m.Input())
	}
	wantResolve(t, typeKeys(&m, "enter"), "deny",
		session.Decision{Kind: session.DecideApproval, RequestID: "r1", Approve: false, Reason: "not on CI"})
	if m.Open() {
		t.Fatal("still open after denying the only request")
	}
}

// A question takes a non-empty answer; a rejection's reason comes back with
// the targets it was asked for.
func TestQuestionAndRejectionReason(t *testing.T) {
	m := New(keys.Default())
	m.Ask(session.InputRequested{RequestID: "q1", Question: "Which branch?"})
	if out := typeKeys(&m, "enter"); out != (Out{}) {
		t.Fatalf("empty answer sent: %+v", out)
	}
	wantResolve(t, typeKeys(&m, "main", "enter"), "answer",
		session.Decision{Kind: session.DecideInput, RequestID: "q1", Answer: "main"})

	m.AskReason("Reject this hunk", []string{"h1"})
	if m.Waiting() || !m.Open() {
		t.Fatalf("a rejection's reason: waiting %v open %v; want open and not waiting on the session", m.Waiting(), m.Open())
	}
	if !strings.Contains(m.View(Seen{}, styles.New(true, true), 80), "Reject this hunk") {
		t.Fatal("the reason prompt does not show its title")
	}
	out := typeKeys(&m, "too broad", "enter")
	if out.Resolve != nil || out.Reject == nil || !reflect.DeepEqual(*out.Reject, Rejected{Targets: []string{"h1"}, Reason: "too broad"}) {
		t.Fatalf("reason: %+v (reject %+v)", out, out.Reject)
	}
	m.AskReason("Reject all of a.go", []string{"a.go"})
	if out := typeKeys(&m, "esc"); out.Reject != nil || m.Open() {
		t.Fatalf("esc on the reason: %+v, open %v; want cancelled", out, m.Open())
	}
}

// Events close what they answer: a request resolved elsewhere leaves the
// dialog (and its half-typed reason), an answered question closes, the end
// of the session drops both.
func TestEventsCloseDialogs(t *testing.T) {
	m := New(keys.Default())
	m.Request(cmdReq("r1", ""))
	m.Request(cmdReq("r2", ""))
	typeKeys(&m, "n", "half")
	m.Resolved("r1")
	if r, ok := m.Approval(); !ok || r.ID != "r2" || m.Input() != "" || !m.Browsable() {
		t.Fatalf("after r1 resolved elsewhere: shown %+v, input %q, browsable %v", r, m.Input(), m.Browsable())
	}
	k := m.Key()
	m.Resolved("nope")
	if m.Key() != k {
		t.Fatal("an unknown request changed the dialog")
	}
	m.Ask(session.InputRequested{RequestID: "q1", Question: "?"})
	m.Answered("q0")
	if m.Key() == k {
		t.Fatal("asking a question left the dialog's Key unchanged (the view cache would keep the old box)")
	}
	m.Ended()
	if m.Open() || m.Waiting() {
		t.Fatal("dialogs up after the session ended")
	}
}
