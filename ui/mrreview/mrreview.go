// Package mrreview is the terminal review of a merge request: its diff in the
// review pane (ui/diffview) with the existing threads at their lines, comments
// the model drafts per hunk on request, which the user keeps, edits or drops,
// and nothing posted until the user publishes and confirms. It knows neither
// GitLab nor the model: a Source drafts and publishes, so it stays apart from
// the session's review of staged changes.
package mrreview

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/internal/termtext"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/diffview"
	"gitlab.com/wend/wend/ui/styles"
)

// State is a drafted comment's standing.
type State uint8

const (
	Draft     State = iota // drafted, not decided: not posted
	Kept                   // will be posted
	Dropped                // will not be posted
	Published              // posted
)

// Comment is a drafted review comment on a diff line.
type Comment struct {
	ID               int
	Hunk             string // the hunk's id
	Path, OldPath    string
	OldLine, NewLine int
	Body             string
	State            State
}

// Thread is a discussion already on the merge request, shown at its line.
type Thread struct {
	Path             string
	OldLine, NewLine int
	Title, Body      string
}

// Source drafts and publishes; cli implements it with the model and GitLab.
// Both run outside the UI's loop.
type Source interface {
	// Draft asks for comments on one hunk (ID, Path, lines and State are the
	// UI's to set; Body and lines are the Source's).
	Draft(ctx context.Context, file session.FileChange, hunk session.Hunk) ([]Comment, error)
	// Publish posts the kept comments and says what it did.
	Publish(ctx context.Context, kept []Comment) (string, error)
}

// Options describe what is reviewed.
type Options struct {
	Title   string // "group/proj!36 · Retry the upload"
	Files   []session.FileChange
	Threads []Thread
	// Mode is how Publish posts: "as one draft review" or "as single comments".
	Mode    string
	Editor  string // overrides $VISUAL / $EDITOR
	NoColor bool
}

// Model is the review screen.
type Model struct {
	ctx      context.Context
	src      Source
	opts     Options
	st       styles.Styles
	diff     diffview.Model
	comments []Comment
	nextID   int
	w, h     int

	queue    []hunkRef // hunks waiting to be drafted (C)
	drafting string    // the hunk being drafted, "" when idle
	drafted  map[string]bool
	confirm  string      // "publish" or "quit" while asking
	busy     bool        // publishing
	inline   *inlineEdit // inline.go: the comment being edited in place
	status   string
	Result   string // what publishing did, for the caller to print
}

type hunkRef struct{ file, hunk int }

type (
	draftedMsg struct {
		hunk     string
		comments []Comment
		err      error
	}
	publishedMsg struct {
		text string
		err  error
	}
	editedMsg struct {
		id   int
		body string
		err  error
	}
)

// New returns the review screen.
func New(ctx context.Context, src Source, opts Options) *Model {
	m := &Model{ctx: ctx, src: src, opts: opts, st: styles.New(true, opts.NoColor), drafted: map[string]bool{}}
	m.diff = diffview.New(m.st)
	m.diff.SetFiles(opts.Files)
	m.syncNotes()
	return m
}

// Run shows the screen until the user quits; it returns what publishing did
// ("" when nothing was published).
func Run(ctx context.Context, src Source, opts Options) (string, error) {
	if os.Getenv("NO_COLOR") != "" {
		opts.NoColor = true
	}
	m := New(ctx, src, opts)
	if _, err := tea.NewProgram(m, tea.WithContext(ctx)).Run(); err != nil {
		return m.Result, err
	}
	return m.Result, nil
}

// Comments are the drafted comments and their states.
func (m *Model) Comments() []Comment { return append([]Comment(nil), m.comments...) }

func (m *Model) Init() tea.Cmd { return nil }

func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.resize()
	case draftedMsg:
		return m, m.onDrafted(msg)
	case publishedMsg:
		m.busy = false
		if msg.err != nil {
			m.status = "publishing failed: " + msg.err.Error()
			return m, nil
		}
		for i := range m.comments {
			if m.comments[i].State == Kept {
				m.comments[i].State = Published
			}
		}
		m.Result, m.status = msg.text, msg.text+" · q quits"
		m.syncNotes()
	case editedMsg:
		m.onEdited(msg)
	case tea.KeyPressMsg:
		if m.inline != nil {
			return m, m.onInlineKey(msg)
		}
		return m, m.onKey(msg.String())
	}
	return m, nil
}

// resize gives the diff what the header, the inline editor and the two
// bottom lines leave.
func (m *Model) resize() {
	h := m.h - 3
	if m.inline != nil {
		h -= inlineHeight
		m.inline.ta.SetWidth(max(m.w-1, 10))
	}
	m.diff.SetSize(m.w, max(h, 1))
}

func (m *Model) onKey(k string) tea.Cmd {
	if m.confirm != "" {
		what := m.confirm
		m.confirm = ""
		if k != "y" {
			m.status = "not " + map[string]string{"publish": "published", "quit": "quit"}[what]
			return nil
		}
		if what == "quit" {
			return tea.Quit
		}
		return m.publish()
	}
	switch k {
	case "j", "down":
		m.diff.Move(1)
	case "k", "up":
		m.diff.Move(-1)
	case "n":
		m.diff.NextHunk()
	case "N":
		m.diff.PrevHunk()
	case "pgdown", "space":
		m.diff.Scroll(max(m.h-6, 1))
	case "pgup":
		m.diff.Scroll(-max(m.h-6, 1))
	case "]", "tab":
		m.diff.NextNote(1, isDrafted)
	case "[", "shift+tab":
		m.diff.NextNote(-1, isDrafted)
	case "c":
		f, h := m.diff.Current()
		if f == nil || h == nil {
			m.status = "move to a hunk to draft comments for it"
			return nil
		}
		return m.enqueue([]hunkRef{m.refOf(f, h)}, true)
	case "C":
		var all []hunkRef
		for fi, f := range m.opts.Files {
			for hi := range f.Hunks {
				if !m.drafted[f.Hunks[hi].ID] {
					all = append(all, hunkRef{fi, hi})
				}
			}
		}
		if len(all) == 0 {
			m.status = "every hunk has been drafted"
			return nil
		}
		return m.enqueue(all, false)
	case "a", "y":
		m.setState(Kept)
	case "d", "x":
		m.setState(Dropped)
	case "e":
		return m.edit()
	case "i":
		return m.startInline()
	case "p", "P":
		kept := m.kept()
		if m.busy || len(kept) == 0 {
			m.status = "nothing kept to publish: keep comments with a (or edit them with e)"
			return nil
		}
		m.confirm = "publish"
		undecided := m.count(Draft)
		m.status = fmt.Sprintf("Publish %d comment(s) %s? y/n", len(kept), m.opts.Mode)
		if undecided > 0 {
			m.status += fmt.Sprintf(" (%d undecided will not be posted)", undecided)
		}
	case "esc":
		if len(m.queue) > 0 {
			m.status = fmt.Sprintf("drafting stopped: %d hunk(s) left undrafted (C drafts them)", len(m.queue))
			m.queue = nil // the request in flight still arrives
			return nil
		}
		return m.onKey("q")
	case "q", "ctrl+c":
		if n := m.count(Kept) + m.count(Draft); n > 0 {
			m.confirm = "quit"
			m.status = fmt.Sprintf("Quit without publishing %d drafted comment(s)? They are lost. y/n", n)
			return nil
		}
		return tea.Quit
	}
	return nil
}

func isDrafted(n diffview.Note) bool { return n.Kind != diffview.NoteThread }

func (m *Model) refOf(f *session.FileChange, h *session.Hunk) hunkRef {
	for fi := range m.opts.Files {
		if m.opts.Files[fi].Path != f.Path {
			continue
		}
		for hi := range m.opts.Files[fi].Hunks {
			if m.opts.Files[fi].Hunks[hi].ID == h.ID {
				return hunkRef{fi, hi}
			}
		}
	}
	return hunkRef{}
}

// enqueue drafts hunks one after another (a scripted or rate-limited model
// answers in order); front puts them before what waits.
func (m *Model) enqueue(refs []hunkRef, front bool) tea.Cmd {
	if front {
		m.queue = append(refs, m.queue...)
	} else {
		m.queue = append(m.queue, refs...)
	}
	if m.drafting != "" {
		return nil
	}
	return m.next()
}

func (m *Model) next() tea.Cmd {
	if len(m.queue) == 0 {
		m.drafting = ""
		return nil
	}
	r := m.queue[0]
	m.queue = m.queue[1:]
	f := m.opts.Files[r.file]
	h := f.Hunks[r.hunk]
	m.drafting = h.ID
	m.status = fmt.Sprintf("drafting comments for %s…", h.ID)
	if len(m.queue) > 0 {
		m.status += fmt.Sprintf(" (%d more)", len(m.queue))
	}
	ctx, src := m.ctx, m.src
	return func() tea.Msg {
		cs, err := src.Draft(ctx, f, h)
		return draftedMsg{hunk: h.ID, comments: cs, err: err}
	}
}

func (m *Model) onDrafted(msg draftedMsg) tea.Cmd {
	if msg.err != nil {
		m.status = fmt.Sprintf("drafting %s failed: %v", msg.hunk, msg.err)
		m.queue = nil
		m.drafting = ""
		return nil
	}
	m.drafted[msg.hunk] = true
	// A hunk drafted again replaces its undecided drafts; decided ones stay.
	keep := m.comments[:0]
	for _, c := range m.comments {
		if c.Hunk != msg.hunk || c.State != Draft {
			keep = append(keep, c)
		}
	}
	m.comments = keep
	for _, c := range msg.comments {
		m.nextID++
		c.ID, c.Hunk, c.State = m.nextID, msg.hunk, Draft
		m.comments = append(m.comments, c)
	}
	m.syncNotes()
	cmd := m.next()
	if m.drafting == "" {
		m.status = fmt.Sprintf("%d comment(s) drafted for %s · a keep · e edit · d drop · ] next comment", len(msg.comments), msg.hunk)
		if len(msg.comments) > 0 {
			m.diff.NextNote(1, func(n diffview.Note) bool { return n.Kind == diffview.NoteDraft })
		}
	}
	return cmd
}

// target is the comment the keys act on: the one under the cursor, else the
// current hunk's first undecided one, else its first.
func (m *Model) target() int {
	if n, ok := m.diff.CurrentNote(); ok && n.Kind != diffview.NoteThread {
		return m.index(n.ID)
	}
	_, h := m.diff.Current()
	if h == nil {
		return -1
	}
	first := -1
	for i, c := range m.comments {
		if c.Hunk != h.ID || c.State == Published {
			continue
		}
		if c.State == Draft {
			return i
		}
		if first < 0 {
			first = i
		}
	}
	return first
}

func (m *Model) index(id int) int {
	for i, c := range m.comments {
		if c.ID == id {
			return i
		}
	}
	return -1
}

func (m *Model) setState(s State) {
	i := m.target()
	if i < 0 {
		m.status = "no drafted comment here: c drafts some for this hunk"
		return
	}
	if m.comments[i].State == Published {
		m.status = "already published"
		return
	}
	if m.comments[i].State == s && s == Dropped {
		s = Draft // d again takes the drop back
	}
	m.comments[i].State = s
	m.status = fmt.Sprintf("comment %d %s", m.comments[i].ID, stateName(s))
	m.syncNotes()
	m.diff.NextNote(1, func(n diffview.Note) bool { return n.Kind == diffview.NoteDraft })
}

func stateName(s State) string {
	return [...]string{"undecided", "kept", "dropped", "published"}[s]
}

// edit opens the comment in $EDITOR; what comes back is kept (empty drops it).
func (m *Model) edit() tea.Cmd {
	i := m.target()
	if i < 0 || m.comments[i].State == Published {
		m.status = "no drafted comment here to edit"
		return nil
	}
	f, err := os.CreateTemp("", "wend-review-*.md")
	if err != nil {
		m.status = "editor: " + err.Error()
		return nil
	}
	f.WriteString(m.comments[i].Body + "\n")
	f.Close()
	args := strings.Fields(m.editor())
	id, tmp := m.comments[i].ID, f.Name()
	return tea.ExecProcess(exec.Command(args[0], append(args[1:], tmp)...), func(err error) tea.Msg {
		defer os.Remove(tmp)
		if err != nil {
			return editedMsg{id: id, err: err}
		}
		b, err := os.ReadFile(tmp)
		return editedMsg{id: id, body: string(b), err: err}
	})
}

func (m *Model) editor() string {
	if m.opts.Editor != "" {
		return m.opts.Editor
	}
	for _, k := range []string{"VISUAL", "EDITOR"} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
	}
	return "vi"
}

func (m *Model) onEdited(msg editedMsg) {
	i := m.index(msg.id)
	if i < 0 {
		return
	}
	if msg.err != nil {
		m.status = "the editor failed: " + msg.err.Error()
		return
	}
	body := strings.TrimSpace(msg.body)
	if body == "" {
		m.comments[i].State = Dropped
		m.status = fmt.Sprintf("comment %d emptied: dropped", msg.id)
	} else {
		m.comments[i].Body, m.comments[i].State = body, Kept
		m.status = fmt.Sprintf("comment %d edited and kept", msg.id)
	}
	m.syncNotes()
}

func (m *Model) kept() []Comment {
	var out []Comment
	for _, c := range m.comments {
		if c.State == Kept {
			out = append(out, c)
		}
	}
	return out
}

func (m *Model) count(s State) int {
	n := 0
	for _, c := range m.comments {
		if c.State == s {
			n++
		}
	}
	return n
}

func (m *Model) publish() tea.Cmd {
	kept := m.kept()
	m.busy = true
	m.status = fmt.Sprintf("publishing %d comment(s)…", len(kept))
	ctx, src := m.ctx, m.src
	return func() tea.Msg {
		text, err := src.Publish(ctx, kept)
		return publishedMsg{text: text, err: err}
	}
}

// syncNotes shows the threads and the drafted comments in the diff.
func (m *Model) syncNotes() {
	notes := make([]diffview.Note, 0, len(m.opts.Threads)+len(m.comments))
	for i, t := range m.opts.Threads {
		notes = append(notes, diffview.Note{ID: -1 - i, Path: t.Path, OldLine: t.OldLine, NewLine: t.NewLine, Kind: diffview.NoteThread, Title: t.Title, Body: t.Body})
	}
	for _, c := range m.comments {
		kind := [...]diffview.NoteKind{diffview.NoteDraft, diffview.NoteKept, diffview.NoteDropped, diffview.NoteKept}[c.State]
		title := fmt.Sprintf("comment %d · %s", c.ID, stateName(c.State))
		notes = append(notes, diffview.Note{ID: c.ID, Path: c.Path, OldLine: c.OldLine, NewLine: c.NewLine, Kind: kind, Title: title, Body: c.Body})
	}
	m.diff.SetNotes(notes)
}

func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "wend review"
	return v
}

func (m *Model) render() string {
	if m.w <= 0 || m.h <= 0 {
		return ""
	}
	st := m.st
	counts := fmt.Sprintf("%d drafted · %d kept · %d dropped", len(m.comments), m.count(Kept), m.count(Dropped))
	if n := m.count(Published); n > 0 {
		counts += fmt.Sprintf(" · %d published", n)
	}
	title := ansi.Truncate(termtext.Sanitize(m.opts.Title), max(m.w-ansi.StringWidth(counts)-2, 8), "…")
	gap := max(m.w-ansi.StringWidth(title)-ansi.StringWidth(counts), 1)
	head := ansi.Truncate(st.Title.Render(title)+strings.Repeat(" ", gap)+st.Muted.Render(counts), m.w, "")
	status := m.status
	statusStyle := st.Muted
	if m.confirm != "" {
		statusStyle = st.Warn
	}
	help := "c draft hunk · C draft all (esc stops) · a keep · e $EDITOR · i edit here · d drop · ]/[ comments · n/N hunks · p publish · q quit"
	parts := []string{head, m.diff.View()}
	if m.inline != nil {
		parts = append(parts, m.inlineView())
	}
	return strings.Join(append(parts,
		statusStyle.Render(ansi.Truncate(termtext.Sanitize(status), m.w, "…")),
		st.Faint.Render(ansi.Truncate(help, m.w, "…"))), "\n")
}
