// Package ui is wend's terminal interface on Bubble Tea v2. It drives the engine
// only through session.Backend and session.Review (the proposals and the review
// decisions) and changes only when events arrive; the ports below give it what
// neither carries (repository files, reference suggestions).
//
// Wiring (cli):
//
//	err := ui.Run(ctx, backend, ui.Options{
//		Repository: "group/project", Branch: "main", Provider: "anthropic", Model: "…",
//		Task: task, Keys: cfg.Keys, Review: backend, Files: files, Suggest: refs,
//		FirstRun: noProvider,
//	})
//
// Run honours NO_COLOR and runs in the alternate screen, or with Options.Inline
// in the terminal's own screen, the transcript printed into its scrollback
// (inline.go); the mouse stays the terminal's (selection, copy) unless
// Options.Mouse or the "mouse" key captures it. New builds the model alone,
// for embedding or tests.
//
// Layout: transcript (main area), plan checklist (side panel from WideMin
// columns, a collapsible panel on top below that), the bottom block (queued
// adjustments, completions, input box, or a dialog), a key-hint line and the
// status bar. The review replaces the transcript and takes the whole width
// (side by side from 140 columns).
//
// Cost: View assembles cached parts (markdown rendered per finished block and
// width inside commands, diff rows rendered when first visible, the bottom block
// and checklist cached by what they depend on). Nothing ticks unless something
// runs: the spinner's tick chain ends when the session stops running, and the
// markdown throttle timer exists only while text arrives.
//
// Backend calls run one at a time, in the user's order (a queue in the model),
// so "move step, then skip it" cannot reach the engine reordered.
package ui

import (
	"context"
	"time"

	"gitlab.com/wend/wend/session"
)

// Files lists repository files for `@` completion (paths relative to the root).
type Files interface {
	Files() []string
}

// FileMatcher is optionally implemented by a Files port: it ranks the files for a
// typed query itself (an index built once, narrowed key by key), so the UI never
// copies or scans a 100,000-file list. It is called from commands; a slow answer
// for an old query is ignored.
type FileMatcher interface {
	Match(query string, limit int) []string
}

// Suggestion is one completion for a `#` (issue), `!` (merge request) or `&` (epic)
// reference.
type Suggestion struct {
	Value string // inserted after the sigil: "12", "group/proj#12"
	Title string // shown next to it
}

// Suggester completes GitLab references. kind is "#", "!" or "&".
type Suggester interface {
	Suggest(ctx context.Context, kind, query string) []Suggestion
}

// Options configure the UI. Everything is optional.
type Options struct {
	Repository, Branch, Model, Provider string
	// Task, when non-empty, is started (Backend.Start) as soon as the UI runs.
	Task string
	// Keys remaps actions to keys (action → keys), e.g. {"pause": ["ctrl+space"]};
	// see keys.Actions for the names.
	Keys map[string][]string
	// Ports; nil disables the feature that needs them. Review lists the
	// proposals and takes the review decisions (usually the backend itself).
	Review session.Review
	Files  Files
	// History reads the session's recorded events by range, so the
	// transcript holds a bounded window and pages the rest as the user
	// scrolls; nil uses the backend when it implements History, else the
	// transcript keeps only its newest entries.
	History History
	Suggest Suggester
	// FirstRun shows the setup screen (no provider configured).
	FirstRun bool
	// NoColor drops all colour (NO_COLOR).
	NoColor bool
	// Light starts with the light theme until the terminal reports its background.
	Light bool
	// Notify is how the UI signals that the session waits for the user while
	// the terminal is not focused: "auto" (default: bell, OSC 9 notification
	// and OSC 9;4 progress), "bell", or "off".
	Notify string
	// Tmux wraps those sequences in tmux's passthrough; Run sets it from $TMUX.
	Tmux bool
	// Mouse captures the mouse (the wheel scrolls the transcript and review).
	// Off by default: the terminal keeps selection and copy; the mouse key
	// toggles it at run time.
	Mouse bool
	// WorkDir is where commands run (the checkout's root), shown in command
	// approvals. Run finds it from the current directory when unset.
	WorkDir string
	// ASCII replaces glyphs that common fonts lack (the status bar's ⎇). Run
	// sets it when WEND_ASCII=1 or the locale is not UTF-8.
	ASCII bool
	// Inline runs without the alternate screen: finished transcript blocks are
	// printed once into the terminal's own scrollback and only a small live
	// area at the bottom is redrawn (inline.go).
	Inline bool
	// Editor overrides $EDITOR for "modify".
	Editor string
	// ReadOnly says the UI watches a session another terminal drives (a
	// client of a session host): the status bar says so, and the host refuses
	// its control calls with an error that says why.
	ReadOnly bool
	// FirstFrame, when set, is called once, when the first frame at the
	// terminal's size has been rendered. The caller starts there what would
	// compete with that frame for the CPU (a large repository's baseline
	// snapshot); the UI's own file index waits for it too.
	FirstFrame func()
	// Clock replaces time.Now (tests).
	Clock func() time.Time
}
