package gitops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
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

// GitError says which git command failed and what git printed.
type GitError struct {
	Args     []string
	Dir      string
	ExitCode int
	Stderr   string
	Err      error
}

func (e *GitError) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("git %s (exit %d): %s", Subcommand(e.Args), e.ExitCode, msg)
}

// Subcommand returns the git subcommand in args, after any "-c key=value".
func Subcommand(args []string) string {
	for len(args) >= 2 && args[0] == "-c" {
		args = args[2:]
	}
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

func (e *GitError) Unwrap() error { return e.Err }

// ExecRunner runs the git binary found in PATH (or Path when set).
type ExecRunner struct {
	Path string
}

// baseEnv is what every call gets: C locale for parseable output, literal
// pathspecs, no interactive prompts from git itself (credential helpers and ssh
// agents still work), no pager.
var baseEnv = []string{
	"LC_ALL=C",
	"GIT_LITERAL_PATHSPECS=1",
	"GIT_TERMINAL_PROMPT=0",
	"GIT_PAGER=cat",
}

// Run implements Runner.
func (r ExecRunner) Run(ctx context.Context, c *Cmd) ([]byte, error) {
	bin := r.Path
	if bin == "" {
		bin = "git"
	}
	cmd := exec.CommandContext(ctx, bin, c.Args...)
	cmd.Dir = c.Dir
	env := append(os.Environ(), baseEnv...)
	if c.ReadOnly {
		env = append(env, "GIT_OPTIONAL_LOCKS=0")
	}
	cmd.Env = append(env, c.Env...)
	if c.Stdin != nil {
		cmd.Stdin = bytes.NewReader(c.Stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err != nil {
		ge := &GitError{Args: c.Args, Dir: c.Dir, ExitCode: -1, Stderr: stderr.String(), Err: err}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			ge.ExitCode = ee.ExitCode()
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			ge.Err = ctxErr
		}
		return stdout.Bytes(), ge
	}
	return stdout.Bytes(), nil
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
