package gitops

import (
	"bytes"
	"context"
	"strings"

	"gitlab.com/wend/wend/internal/gitrun"
)

// Cmd is one git invocation, built with Git and its chained methods. Paths are
// always passed after "--" with literal pathspecs, so names starting with a dash
// or containing glob characters mean themselves.
type Cmd struct {
	Dir   string
	Args  []string // without the leading "git"
	Stdin []byte
	// Env holds extra VAR=value entries (GIT_INDEX_FILE for temporary indexes).
	Env []string
	// ReadOnly calls run with GIT_OPTIONAL_LOCKS=0, so a background `git status`
	// of ours never takes the index lock away from the user's own git.
	ReadOnly bool
}

// Git starts a command: Git("ls-files", "-z").InDir(root).Read().
func Git(args ...string) *Cmd { return &Cmd{Args: args} }

// Arg appends arguments.
func (c *Cmd) Arg(args ...string) *Cmd { c.Args = append(c.Args, args...); return c }

// Paths appends "--" and the paths.
func (c *Cmd) Paths(paths ...string) *Cmd {
	c.Args = append(c.Args, "--")
	c.Args = append(c.Args, paths...)
	return c
}

// InDir sets the working directory.
func (c *Cmd) InDir(dir string) *Cmd { c.Dir = dir; return c }

// Input sets standard input.
func (c *Cmd) Input(b []byte) *Cmd { c.Stdin = b; return c }

// WithEnv adds VAR=value entries.
func (c *Cmd) WithEnv(kv ...string) *Cmd { c.Env = append(c.Env, kv...); return c }

// Index makes the command use another index file than the repository's own.
func (c *Cmd) Index(path string) *Cmd { return c.WithEnv("GIT_INDEX_FILE=" + path) }

// Read marks the command read-only (no optional locks).
func (c *Cmd) Read() *Cmd { c.ReadOnly = true; return c }

func (c *Cmd) String() string { return "git " + strings.Join(c.Args, " ") }

// Runner runs git. The real one is ExecRunner; tests of callers can fake it.
// Run returns standard output; a failure is a *GitError carrying stderr.
type Runner interface {
	Run(ctx context.Context, c *Cmd) ([]byte, error)
}

// GitError says which git command failed and what git printed (the runner's
// error: every git process of wend goes through internal/gitrun).
type GitError = gitrun.Error

// Subcommand returns the git subcommand in args, after any "-c key=value".
func Subcommand(args []string) string { return gitrun.Subcommand(args) }

// ExecRunner runs the git binary found in PATH (or Path when set), through
// internal/gitrun.
type ExecRunner struct {
	Path string
}

// baseEnv is what every call gets: C locale for parseable output, literal
// pathspecs, no pager (gitrun adds no interactive prompts from git itself;
// credential helpers and ssh agents still work).
var baseEnv = append(append([]string{}, gitrun.ParseEnv...), "GIT_LITERAL_PATHSPECS=1", "GIT_PAGER=cat")

// Run implements Runner.
func (r ExecRunner) Run(ctx context.Context, c *Cmd) ([]byte, error) {
	gc := gitrun.Cmd{Dir: c.Dir, Args: c.Args, Path: r.Path, ReadOnly: c.ReadOnly,
		Env: append(append([]string{}, baseEnv...), c.Env...)}
	if c.Stdin != nil {
		gc.Stdin = bytes.NewReader(c.Stdin)
	}
	return gitrun.Run(ctx, gc)
}

// splitZ splits NUL-terminated output; a trailing empty element is dropped.
func splitZ(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	parts := strings.Split(string(b), "\x00")
	if parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}
