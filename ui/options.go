// Package ui is wend's terminal interface on Bubble Tea v2. It drives the engine
// only through session.Backend and changes only when events arrive; the ports below
// give it what events do not carry (proposed hunks, repository files, reference
// suggestions).
package ui

import (
	"context"
	"time"

	"gitlab.com/wend/wend/session"
)

// Changes lists the session's proposed changes with their hunks, for the review.
// It is called from commands, never from Update or View.
type Changes interface {
	List(ctx context.Context) ([]session.FileChange, error)
}

// ChangeContent is optionally implemented by a Changes port: the proposed content
// of one file, which "modify in $EDITOR" opens. Without it the UI reads the file
// from the working tree (relative to the current directory).
type ChangeContent interface {
	Content(ctx context.Context, path string) (string, error)
}

// Files lists repository files for `@` completion (paths relative to the root).
type Files interface {
	Files() []string
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
	// Ports; nil disables the feature that needs them.
	Changes Changes
	Files   Files
	Suggest Suggester
	// FirstRun shows the setup screen (no provider configured).
	FirstRun bool
	// NoColor drops all colour (NO_COLOR).
	NoColor bool
	// Light starts with the light theme until the terminal reports its background.
	Light bool
	// Editor overrides $EDITOR for "modify".
	Editor string
	// Clock replaces time.Now (tests).
	Clock func() time.Time
}
