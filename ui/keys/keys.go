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
	Tools, Withdraw, ApprovePlan, Back, ScrollUp, ScrollDown, History key.Binding

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

// bindings maps action names (config keys) to the fields. Names are snake_case.
func (m *KeyMap) bindings() map[string]*key.Binding {
	return map[string]*key.Binding{
		"submit": &m.Submit, "newline": &m.Newline, "pause": &m.Pause, "stop": &m.Stop,
		"focus": &m.Focus, "focus_back": &m.FocusBack, "review": &m.Review, "help": &m.Help,
		"mouse": &m.Mouse, "copy": &m.Copy, "tools": &m.Tools, "withdraw": &m.Withdraw,
		"approve_plan": &m.ApprovePlan, "back": &m.Back, "scroll_up": &m.ScrollUp,
		"scroll_down": &m.ScrollDown, "history": &m.History,
		"plan_up": &m.PlanUp, "plan_down": &m.PlanDown, "plan_reword": &m.PlanReword,
		"plan_add": &m.PlanAdd, "plan_delete": &m.PlanDelete, "plan_move_up": &m.PlanMoveUp,
		"plan_move_down": &m.PlanMoveDown, "plan_skip": &m.PlanSkip,
		"up": &m.Up, "down": &m.Down, "next_hunk": &m.NextHunk, "prev_hunk": &m.PrevHunk,
		"accept_hunk": &m.AcceptHunk, "accept_file": &m.AcceptFile,
		"reject_hunk": &m.RejectHunk, "reject_file": &m.RejectFile, "modify": &m.Modify,
		"undo": &m.Undo, "accept_all": &m.AcceptAll, "reject_all": &m.RejectAll,
		"approve_once": &m.ApproveOnce, "approve_step": &m.ApproveStep,
		"approve_prefix": &m.ApprovePrefix, "deny": &m.Deny, "confirm": &m.Confirm,
	}
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

// Groups is the full help: titled columns of bindings, for the ? overlay.
func (m KeyMap) Groups() []Group {
	return []Group{
		{"Session", []key.Binding{m.Submit, m.Newline, m.Pause, m.Stop, m.Withdraw, m.ApprovePlan,
			m.Focus, m.Review, m.Tools, m.Copy, m.Mouse, m.ScrollUp, m.ScrollDown, m.Back, m.Help}},
		{"Plan", []key.Binding{m.PlanUp, m.PlanDown, m.PlanReword, m.PlanAdd, m.PlanDelete,
			m.PlanMoveUp, m.PlanMoveDown, m.PlanSkip}},
		{"Review", []key.Binding{m.Up, m.Down, m.NextHunk, m.PrevHunk, m.AcceptHunk, m.AcceptFile,
			m.RejectHunk, m.RejectFile, m.Modify, m.Undo, m.AcceptAll, m.RejectAll}},
		{"Approval", []key.Binding{m.ApproveOnce, m.ApproveStep, m.ApprovePrefix, m.Deny}},
	}
}

// Group is one titled column of the help overlay.
type Group struct {
	Title    string
	Bindings []key.Binding
}
