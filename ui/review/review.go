// Package review is the review of the session's staged changes as a component:
// the diff pane (ui/diffview) under the review keys of the shared key table, the
// undo stack, and the modify-in-$EDITOR round trip. It decides nothing itself:
// Update hands the root model what the user chose (a session.Decision for the
// review port, a rejection that wants its reason, leaving the review), the way
// ui/plan hands back a plan edit, so the root sends decisions in order with its
// other calls. The reason prompt is a dialog (ui/dialog), the root's to show.
package review

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/diffview"
	"gitlab.com/wend/wend/ui/keys"
	"gitlab.com/wend/wend/ui/styles"
)

// Options are what the component reads besides keys.
type Options struct {
	// Port lists the proposals and supplies a file's proposed content for
	// modify; nil lists nothing and modify reads the file from the working
	// directory.
	Port session.Review
	// Editor overrides $VISUAL and $EDITOR.
	Editor string
}

// Model is the review of staged changes.
type Model struct {
	diff diffview.Model
	km   keys.KeyMap
	opts Options
	ctx  context.Context
	undo [][]string // targets of each decision, newest last, for the undo key

	// One listing at a time; a request meanwhile lists again once it is in.
	listing, relist bool
}

// New returns an empty review.
func New(st styles.Styles, km keys.KeyMap, opts Options) Model {
	return Model{diff: diffview.New(st), km: km, opts: opts, ctx: context.Background()}
}

// SetContext is the context the port is read under (the program's).
func (m *Model) SetContext(ctx context.Context) { m.ctx = ctx }

// Out is what one Update asks of the root model; the zero Out asks nothing.
type Out struct {
	// Decision goes to the review port (already remembered for undo).
	Decision *session.Decision
	// Reject asks the user for a reason; the answer comes back through Reject.
	Reject *Rejection
	// Close: the user left the review.
	Close bool
	// Listed: the proposals were listed again (Files has them).
	Listed bool
	// Err is a failure to show ("listing changes: …", "modify path: …", "editor: …").
	Err string
}

// Rejection is a rejection waiting for its optional reason.
type Rejection struct {
	Title   string
	Targets []string
}

// Msg is a message of the component's own commands; the root routes it to Update.
type Msg interface{ reviewMsg() }

type (
	// editorReadyMsg: the file to edit was written to a temporary file.
	editorReadyMsg struct {
		path, tmp string
		err       error
	}
	// editorDoneMsg: the editor exited and its result was read back.
	editorDoneMsg struct {
		path, content string
		err           error
	}
	// listedMsg: the port listed the proposals.
	listedMsg struct {
		files []session.FileChange
		err   error
	}
)

func (editorReadyMsg) reviewMsg() {}
func (editorDoneMsg) reviewMsg()  {}
func (listedMsg) reviewMsg()      {}

// Refresh asks the port for the proposals; one listing at a time, and a
// request while one runs lists once more after it.
func (m *Model) Refresh() tea.Cmd {
	if m.opts.Port == nil {
		return nil
	}
	if m.listing {
		m.relist = true
		return nil
	}
	m.listing = true
	c, ctx := m.opts.Port, m.ctx
	return func() tea.Msg {
		files, err := c.Changes(ctx)
		return listedMsg{files: files, err: err}
	}
}

// Hints are the keys the hint line shows while the review has the keyboard.
func (m Model) Hints() []key.Binding {
	km := m.km
	return []key.Binding{km.NextHunk, km.AcceptHunk, km.AcceptFile, km.RejectHunk, km.RejectFile, km.Modify, km.Undo, km.Back}
}

// Update handles a key, or a message of the component's own commands.
func (m Model) Update(msg tea.Msg) (Model, Out, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case listedMsg:
		m.listing = false
		var out Out
		if msg.err != nil {
			out.Err = "listing changes: " + msg.err.Error()
		} else {
			m.diff.SetFiles(msg.files)
			out.Listed = true
		}
		var cmd tea.Cmd
		if m.relist {
			m.relist = false
			cmd = m.Refresh()
		}
		return m, out, cmd
	case editorReadyMsg:
		if msg.err != nil {
			return m, Out{Err: "modify " + msg.path + ": " + msg.err.Error()}, nil
		}
		return m, Out{}, m.runEditor(msg)
	case editorDoneMsg:
		if msg.err != nil {
			return m, Out{Err: "editor: " + msg.err.Error()}, nil
		}
		out := Out{Decision: m.Decide(session.ReviewModify, []string{msg.path}, "", msg.content)}
		return m, out, nil
	}
	return m, Out{}, nil
}

func (m Model) onKey(msg tea.KeyPressMsg) (Model, Out, tea.Cmd) {
	km := m.km
	f, h := m.diff.Current()
	hunkTargets := func() []string {
		if h != nil {
			return []string{h.ID}
		}
		// On a file row a hunk action only moves to the first hunk: deciding a
		// whole file takes the file key, never a slip.
		m.diff.NextHunk()
		return nil
	}
	decide := func(a session.ReviewAction, targets []string) Out {
		return Out{Decision: m.Decide(a, targets, "", "")}
	}
	reject := func(title string, targets []string) Out {
		return Out{Reject: &Rejection{Title: title, Targets: targets}}
	}
	var out Out
	switch {
	case key.Matches(msg, km.Back):
		out.Close = true
	case key.Matches(msg, km.Up):
		m.diff.Move(-1)
	case key.Matches(msg, km.Down):
		m.diff.Move(1)
	case key.Matches(msg, km.NextHunk):
		m.diff.NextHunk()
	case key.Matches(msg, km.PrevHunk):
		m.diff.PrevHunk()
	case key.Matches(msg, km.AcceptHunk):
		if t := hunkTargets(); t != nil {
			m.diff.NextUndecided()
			out = decide(session.ReviewAccept, t)
		}
	case key.Matches(msg, km.AcceptFile):
		if f != nil {
			out = decide(session.ReviewAccept, []string{f.Path})
		}
	case key.Matches(msg, km.RejectHunk):
		if t := hunkTargets(); t != nil {
			out = reject("Reject this hunk", t)
		}
	case key.Matches(msg, km.RejectFile):
		if f != nil {
			out = reject("Reject all of "+f.Path, []string{f.Path})
		}
	case key.Matches(msg, km.AcceptAll):
		out = decide(session.ReviewAccept, []string{"all"})
	case key.Matches(msg, km.RejectAll):
		out = reject("Reject every proposed change", []string{"all"})
	case key.Matches(msg, km.Undo):
		if n := len(m.undo); n > 0 {
			t := m.undo[n-1]
			m.undo = m.undo[:n-1]
			out = decide(session.ReviewUndo, t)
		}
	case key.Matches(msg, km.Modify):
		if f != nil && !f.Binary && f.Kind != session.ChangeDeleted {
			return m, out, m.prepareEdit(f.Path)
		}
	}
	// out is set before m is returned: Decide records the undo in m, and Go
	// does not order a call's side effect against reading m in one return.
	return m, out, nil
}

// Decide builds a review decision and remembers it for undo. The root calls it
// for a rejection once its reason is in.
func (m *Model) Decide(a session.ReviewAction, targets []string, reason, content string) *session.Decision {
	if a != session.ReviewUndo {
		undo := targets
		if len(targets) == 1 && targets[0] == "all" {
			// "u" after accept/reject all takes back those decisions file by file; it
			// must not become undo-all, which returns every path to the baseline.
			undo = nil
			for _, f := range m.diff.Files() {
				undo = append(undo, f.Path)
			}
		}
		if len(undo) > 0 {
			m.undo = append(m.undo, undo)
		}
	}
	return &session.Decision{Kind: session.DecideReview, Action: a, Targets: targets, Reason: reason, Content: content}
}

// The pane, passed through: the root lays it out, scrolls it with the global
// keys and the wheel, and copies the hunk under the cursor.

// SetFiles replaces the proposals on show (see diffview.Model.SetFiles).
func (m *Model) SetFiles(files []session.FileChange) { m.diff.SetFiles(files) }

// Files returns the proposals on show.
func (m Model) Files() []session.FileChange { return m.diff.Files() }

// Current is the file and hunk under the cursor (hunk nil on a file row).
func (m Model) Current() (*session.FileChange, *session.Hunk) { return m.diff.Current() }

// SetSize sets the pane's size in cells.
func (m *Model) SetSize(w, h int) { m.diff.SetSize(w, h) }

// SetStyles switches theme.
func (m *Model) SetStyles(st styles.Styles) { m.diff.SetStyles(st) }

// Scroll moves the view n rows (negative: up).
func (m *Model) Scroll(n int) { m.diff.Scroll(n) }

// View renders the pane.
func (m Model) View() string { return m.diff.View() }

// prepareEdit writes the proposed content to a temporary file (in a command).
func (m Model) prepareEdit(path string) tea.Cmd {
	rv, ctx := m.opts.Port, m.ctx
	return func() tea.Msg {
		var content string
		var err error
		if rv != nil {
			content, err = rv.ChangeContent(ctx, path)
		} else {
			var b []byte
			b, err = os.ReadFile(path)
			content = string(b)
		}
		if err != nil {
			return editorReadyMsg{path: path, err: err}
		}
		f, err := os.CreateTemp("", "wend-*-"+filepath.Base(path))
		if err != nil {
			return editorReadyMsg{path: path, err: err}
		}
		_, err = f.WriteString(content)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return editorReadyMsg{path: path, tmp: f.Name(), err: err}
	}
}

// runEditor suspends the UI and runs the editor on the temporary file.
func (m Model) runEditor(msg editorReadyMsg) tea.Cmd {
	args := strings.Fields(m.editorName())
	c := exec.Command(args[0], append(args[1:], msg.tmp)...)
	path, tmp := msg.path, msg.tmp
	return tea.ExecProcess(c, func(err error) tea.Msg {
		// Runs after the editor exits; reading the result is I/O, so it happens
		// here, in the command, not in Update.
		if err != nil {
			os.Remove(tmp)
			return editorDoneMsg{path: path, err: err}
		}
		b, rerr := os.ReadFile(tmp)
		os.Remove(tmp)
		return editorDoneMsg{path: path, content: string(b), err: rerr}
	})
}

// editorName is $VISUAL, $EDITOR, or vi. Read at key time: environment, not I/O.
func (m Model) editorName() string {
	if m.opts.Editor != "" {
		return m.opts.Editor
	}
	for _, k := range []string{"VISUAL", "EDITOR"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "vi"
}
