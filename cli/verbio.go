package cli

import (
	"context"
	"io"
)

// Each verb is a plain function of an options struct (runRun, runChanges,
// runDecide, runUndo, runCommit, runSessions, runConfig, runTrust, runAudit,
// runTool, runContext, runNote, runDoctor, runCIIssues, runCIPipeline,
// runCIMR, runReview, runAttach, runResume, runHost, runDemo), as the GitHub
// CLI's verbs are: the cobra command only parses flags into the struct and
// fills its verbIO and its function fields from the globals, so a test calls
// the function with buffers and a temporary repository, no terminal and no
// argument parsing. What needs a terminal or another process (the UI, the
// session host) is a function field too. Only the bare interactive wend
// (runInteractive) still takes the globals.

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
