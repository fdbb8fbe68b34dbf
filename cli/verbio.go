package cli

import (
	"context"
	"io"
)

// Each converted verb is a plain function of an options struct (runChanges,
// runDecide, runUndo, runSessions, runRun), as the GitHub CLI's verbs are:
// the cobra command only parses flags into the struct and fills its verbIO
// from the globals, so a test calls the function with buffers and a
// temporary repository, no terminal and no argument parsing.

// verbIO is what a verb takes from its invocation besides its flags: where it
// reads and writes, the environment, and how it opens the repository.
type verbIO struct {
	in     io.Reader
	out    io.Writer // through the terminal guard (root.go)
	rawOut io.Writer // before it, for colour around text a verb sanitized itself
	errOut io.Writer
	env    func(string) string
	// workspace opens the repository and its merged settings.
	workspace workspaceOpener
}

// workspaceOpener opens the repository a verb works on (globals.openWorkspace).
type workspaceOpener func(context.Context) (*workspace, error)

// verbIO is this invocation's streams, environment and repository.
func (g *globals) verbIO() verbIO {
	return verbIO{in: g.stdin, out: g.stdout, rawOut: g.rawStdout, errOut: g.stderr, env: g.env, workspace: g.openWorkspace}
}
