// Package keys holds the one KeyMap the UI dispatches on and draws its help from.
// Bindings are data: the lead's config remaps them by action name.
package keys

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
)

// KeyMap is every binding, grouped by where it applies.
type KeyMap struct {
	// Global.
	Submit, Newline, Pause, Stop, Focus, FocusBack, Review, Help, Mouse, Copy,
	Tools, Withdraw, ApprovePlan, Back, ScrollUp, ScrollDown, History, HistoryNext key.Binding

	// The help overlay's pages (besides ScrollDown and ScrollUp).
	HelpNext, HelpPrev key.Binding

	// The completion list under the input (@file, #issue, !mr).
	CompleteUp, CompleteDown, CompleteAccept, CompleteClose key.Binding

	// The first-run screen, which draws its own keys.
	Quit key.Binding

	// Plan checklist (focused).
	PlanUp, PlanDown, PlanReword, PlanAdd, PlanDelete, PlanMoveUp, PlanMoveDown,
	PlanSkip key.Binding

	// Review.
	Up, Down, NextHunk, PrevHunk, AcceptHunk, AcceptFile, RejectHunk, RejectFile,
	Modify, Undo, AcceptAll, RejectAll key.Binding

	// Dialogs.
	ApproveOnce, ApproveStep, ApprovePrefix, Deny, Confirm key.Binding
}

func b(keys []string, help, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
}

func k(ks ...string) []string { return ks }

// Default is wend's key map.
func Default() KeyMap {
	return KeyMap{
		Submit:      b(k("enter"), "enter", "send task / adjust"),
		Newline:     b(k("alt+enter", "ctrl+j", "shift+enter"), "alt+enter", "new line"),
		Pause:       b(k("ctrl+p"), "ctrl+p", "pause / resume"),
		Stop:        b(k("ctrl+c"), "ctrl+c", "clear input; twice: stop, quit"),
		Focus:       b(k("tab"), "tab", "focus: input, plan, changes"),
		FocusBack:   b(k("shift+tab"), "shift+tab", "focus back"),
		Review:      b(k("ctrl+r"), "ctrl+r", "review changes"),
		Help:        b(k("?", "f1"), "?", "help"),
		Mouse:       b(k("ctrl+s"), "ctrl+s", "mouse capture on/off"),
		Copy:        b(k("ctrl+y"), "ctrl+y", "copy focused block"),
		Tools:       b(k("ctrl+t"), "ctrl+t", "expand tool calls"),
		Withdraw:    b(k("ctrl+x"), "ctrl+x", "withdraw queued adjustment"),
		ApprovePlan: b(k("ctrl+o"), "ctrl+o", "go: approve the plan"),
		Back:        b(k("esc"), "esc", "back / close"),
		ScrollUp:    b(k("pgup"), "pgup", "scroll up"),
		ScrollDown:  b(k("pgdown"), "pgdn", "scroll down"),
		History:     b(k("up"), "↑", "previous input"),
		HistoryNext: b(k("down"), "↓", "next input"),
		HelpNext:    b(k("space", "right"), "space/→", "next help page"),
		HelpPrev:    b(k("left"), "←", "previous help page"),

		CompleteUp:     b(k("up"), "↑", "previous suggestion"),
		CompleteDown:   b(k("down"), "↓", "next suggestion"),
		CompleteAccept: b(k("tab", "enter"), "tab/enter", "take the suggestion"),
		CompleteClose:  b(k("esc"), "esc", "close the suggestions"),

		Quit: b(k("q"), "q", "quit"),

		PlanUp:       b(k("up", "k"), "↑/k", "previous step"),
		PlanDown:     b(k("down", "j"), "↓/j", "next step"),
		PlanReword:   b(k("enter", "e"), "enter/e", "reword step"),
		PlanAdd:      b(k("a", "+"), "a", "add step after"),
		PlanDelete:   b(k("d", "delete"), "d", "delete step"),
		PlanMoveUp:   b(k("K", "shift+up"), "K", "move step up"),
		PlanMoveDown: b(k("J", "shift+down"), "J", "move step down"),
		PlanSkip:     b(k("s"), "s", "skip step"),

		Up:         b(k("k", "up"), "k/↑", "up"),
		Down:       b(k("j", "down"), "j/↓", "down"),
		NextHunk:   b(k("n"), "n", "next hunk"),
		PrevHunk:   b(k("N"), "N", "previous hunk"),
		AcceptHunk: b(k("a"), "a", "accept hunk"),
		AcceptFile: b(k("A"), "A", "accept file"),
		RejectHunk: b(k("r"), "r", "reject hunk"),
		RejectFile: b(k("R"), "R", "reject file"),
		Modify:     b(k("e"), "e", "modify in $EDITOR"),
		Undo:       b(k("u"), "u", "undo decision"),
		AcceptAll:  b(k("ctrl+a"), "ctrl+a", "accept all"),
		RejectAll:  b(k("ctrl+d"), "ctrl+d", "reject all"),

		ApproveOnce:   b(k("y", "o"), "y", "approve once"),
		ApproveStep:   b(k("s"), "s", "approve for this step"),
		ApprovePrefix: b(k("p"), "p", "always approve this prefix"),
		Deny:          b(k("n", "d"), "n", "deny (with reason)"),
		Confirm:       b(k("enter"), "enter", "confirm"),
	}
}

// Row is one line of the key table: the action's name (the config key that
// remaps it, snake_case), the help overlay's group that shows it, and its
// binding in a KeyMap. The table is the one place a key is declared: the help
// overlay and the hint line draw from it, the dispatcher matches its bindings,
// and a test holds the three together (ui's TestDispatchAndHelpAgree).
type Row struct {
	Action string
	// Group is the help column; empty when another screen draws the key
	// (Where says which).
	Group, Where string
	field        func(*KeyMap) *key.Binding
}

// Binding is the row's binding in m.
func (r Row) Binding(m *KeyMap) *key.Binding { return r.field(m) }

// The help overlay's groups, in the order it shows them.
const (
	GroupSession    = "Session"
	GroupPlan       = "Plan"
	GroupReview     = "Review"
	GroupApproval   = "Approval"
	GroupCompletion = "Completion"
)

var groupOrder = []string{GroupSession, GroupPlan, GroupReview, GroupApproval, GroupCompletion}

func row(action, group string, f func(*KeyMap) *key.Binding) Row {
	return Row{Action: action, Group: group, field: f}
}

// table is every binding, in the order the help shows it within its group.
var table = []Row{
	row("submit", GroupSession, func(m *KeyMap) *key.Binding { return &m.Submit }),
	row("newline", GroupSession, func(m *KeyMap) *key.Binding { return &m.Newline }),
	row("history", GroupSession, func(m *KeyMap) *key.Binding { return &m.History }),
	row("history_next", GroupSession, func(m *KeyMap) *key.Binding { return &m.HistoryNext }),
	row("pause", GroupSession, func(m *KeyMap) *key.Binding { return &m.Pause }),
	row("stop", GroupSession, func(m *KeyMap) *key.Binding { return &m.Stop }),
	row("withdraw", GroupSession, func(m *KeyMap) *key.Binding { return &m.Withdraw }),
	row("approve_plan", GroupSession, func(m *KeyMap) *key.Binding { return &m.ApprovePlan }),
	row("focus", GroupSession, func(m *KeyMap) *key.Binding { return &m.Focus }),
	row("focus_back", GroupSession, func(m *KeyMap) *key.Binding { return &m.FocusBack }),
	row("review", GroupSession, func(m *KeyMap) *key.Binding { return &m.Review }),
	row("tools", GroupSession, func(m *KeyMap) *key.Binding { return &m.Tools }),
	row("copy", GroupSession, func(m *KeyMap) *key.Binding { return &m.Copy }),
	row("mouse", GroupSession, func(m *KeyMap) *key.Binding { return &m.Mouse }),
	row("scroll_up", GroupSession, func(m *KeyMap) *key.Binding { return &m.ScrollUp }),
	row("scroll_down", GroupSession, func(m *KeyMap) *key.Binding { return &m.ScrollDown }),
	row("back", GroupSession, func(m *KeyMap) *key.Binding { return &m.Back }),
	row("help", GroupSession, func(m *KeyMap) *key.Binding { return &m.Help }),
	row("help_next", GroupSession, func(m *KeyMap) *key.Binding { return &m.HelpNext }),
	row("help_prev", GroupSession, func(m *KeyMap) *key.Binding { return &m.HelpPrev }),

	row("plan_up", GroupPlan, func(m *KeyMap) *key.Binding { return &m.PlanUp }),
	row("plan_down", GroupPlan, func(m *KeyMap) *key.Binding { return &m.PlanDown }),
	row("plan_reword", GroupPlan, func(m *KeyMap) *key.Binding { return &m.PlanReword }),
	row("plan_add", GroupPlan, func(m *KeyMap) *key.Binding { return &m.PlanAdd }),
	row("plan_delete", GroupPlan, func(m *KeyMap) *key.Binding { return &m.PlanDelete }),
	row("plan_move_up", GroupPlan, func(m *KeyMap) *key.Binding { return &m.PlanMoveUp }),
	row("plan_move_down", GroupPlan, func(m *KeyMap) *key.Binding { return &m.PlanMoveDown }),
	row("plan_skip", GroupPlan, func(m *KeyMap) *key.Binding { return &m.PlanSkip }),

	row("up", GroupReview, func(m *KeyMap) *key.Binding { return &m.Up }),
	row("down", GroupReview, func(m *KeyMap) *key.Binding { return &m.Down }),
	row("next_hunk", GroupReview, func(m *KeyMap) *key.Binding { return &m.NextHunk }),
	row("prev_hunk", GroupReview, func(m *KeyMap) *key.Binding { return &m.PrevHunk }),
	row("accept_hunk", GroupReview, func(m *KeyMap) *key.Binding { return &m.AcceptHunk }),
	row("accept_file", GroupReview, func(m *KeyMap) *key.Binding { return &m.AcceptFile }),
	row("reject_hunk", GroupReview, func(m *KeyMap) *key.Binding { return &m.RejectHunk }),
	row("reject_file", GroupReview, func(m *KeyMap) *key.Binding { return &m.RejectFile }),
	row("modify", GroupReview, func(m *KeyMap) *key.Binding { return &m.Modify }),
	row("undo", GroupReview, func(m *KeyMap) *key.Binding { return &m.Undo }),
	row("accept_all", GroupReview, func(m *KeyMap) *key.Binding { return &m.AcceptAll }),
	row("reject_all", GroupReview, func(m *KeyMap) *key.Binding { return &m.RejectAll }),

	row("approve_once", GroupApproval, func(m *KeyMap) *key.Binding { return &m.ApproveOnce }),
	row("approve_step", GroupApproval, func(m *KeyMap) *key.Binding { return &m.ApproveStep }),
	row("approve_prefix", GroupApproval, func(m *KeyMap) *key.Binding { return &m.ApprovePrefix }),
	row("deny", GroupApproval, func(m *KeyMap) *key.Binding { return &m.Deny }),
	row("confirm", GroupApproval, func(m *KeyMap) *key.Binding { return &m.Confirm }),

	row("complete_up", GroupCompletion, func(m *KeyMap) *key.Binding { return &m.CompleteUp }),
	row("complete_down", GroupCompletion, func(m *KeyMap) *key.Binding { return &m.CompleteDown }),
	row("complete_accept", GroupCompletion, func(m *KeyMap) *key.Binding { return &m.CompleteAccept }),
	row("complete_close", GroupCompletion, func(m *KeyMap) *key.Binding { return &m.CompleteClose }),

	{Action: "quit", Where: "the first-run screen (\"Press q or esc to quit.\")", field: func(m *KeyMap) *key.Binding { return &m.Quit }},
}

// Table is every row of the key table, in help order.
func Table() []Row { return append([]Row(nil), table...) }

// bindings maps action names (config keys) to the fields.
func (m *KeyMap) bindings() map[string]*key.Binding {
	out := make(map[string]*key.Binding, len(table))
	for _, r := range table {
		out[r.Action] = r.field(m)
	}
	return out
}

// Actions lists the action names a config may remap, sorted.
func Actions() []string {
	var m KeyMap
	var out []string
	for name := range m.bindings() {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// WithOverrides returns the map with the given actions rebound (action → keys). An
// unknown action or an empty key list is an error naming it; the help text follows
// the new keys.
func (m KeyMap) WithOverrides(over map[string][]string) (KeyMap, error) {
	bs := m.bindings()
	names := make([]string, 0, len(over))
	for name := range over {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ks := over[name]
		bd, ok := bs[name]
		if !ok {
			return m, fmt.Errorf("keys: unknown action %q (known: %s)", name, strings.Join(Actions(), ", "))
		}
		if len(ks) == 0 {
			return m, fmt.Errorf("keys: action %q needs at least one key", name)
		}
		bd.SetKeys(ks...)
		bd.SetHelp(strings.Join(ks, "/"), bd.Help().Desc)
	}
	return m, nil
}

// Groups is the full help: titled columns of bindings, for the ? overlay,
// drawn from the key table.
func (m KeyMap) Groups() []Group {
	var out []Group
	for _, title := range groupOrder {
		g := Group{Title: title}
		for _, r := range table {
			if r.Group == title {
				g.Bindings = append(g.Bindings, *r.field(&m))
			}
		}
		out = append(out, g)
	}
	return out
}

// Group is one titled column of the help overlay.
type Group struct {
	Title    string
	Bindings []key.Binding
}
