// Package tools is the tool contract the model sees (DESIGN.md, "The tool
// contract"): schemas, argument validation, confinement to the repository, and
// dispatch. Names and argument names are stable: recorded conversations and tests
// depend on them.
package tools

import (
	"context"
	"encoding/json"
	"io/fs"

	"gitlab.com/wend/wend/session"
)

// Call is one tool call from a model (or from Duo's executor protocol).
type Call struct {
	ID   string          `json:"id"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"`
}

// Result goes back to the model as the tool's answer.
type Result struct {
	// Output is what the model reads. For errors it says what went wrong and how to
	// call the tool correctly.
	Output  string `json:"output"`
	IsError bool   `json:"is_error,omitempty"`
	// Summary is one short line for the transcript ("read main.go: 120 lines").
	Summary string `json:"summary"`
	// Changed lists repository paths this call wrote, created or deleted.
	Changed []string `json:"changed,omitempty"`
}

// Spec describes a tool to the model and to the approval policy.
type Spec struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Schema      json.RawMessage `json:"input_schema"`
	Effect      session.Effect  `json:"effect"`
	// Engine tools (set_plan, update_step, ask_user, finish) change the session
	// itself; the engine handles them and Execute refuses them.
	Engine bool `json:"engine,omitempty"`
}

// Workspace is the seam through which every agent write reaches the working tree,
// so the staging layer (gitops) can record it as a proposal. Paths are relative to
// the repository root and already confined.
type Workspace interface {
	WriteFile(ctx context.Context, path string, data []byte, perm fs.FileMode) error
	Remove(ctx context.Context, path string) error
	// BeforeCommand is called just before every agent command, so AfterCommand
	// attributes to the command only what changed while it ran.
	BeforeCommand(ctx context.Context) error
	// AfterCommand is called after every agent command; it returns the paths the
	// command changed (formatters, generators), which become proposals too.
	AfterCommand(ctx context.Context) ([]string, error)
}
