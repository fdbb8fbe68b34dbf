// Package gitrun is the one place wend starts a git process. Every caller
// (gitops, the tools, the commands, doctor, the demo) builds a Cmd and calls
// Run, so the environment git starts with, how its output is captured and
// bounded, and what a failure says are decided here once, and a test can
// record exactly which git commands ran (WithObserver).
//
// Run adds GIT_TERMINAL_PROMPT=0 to every call: wend owns the terminal (the
// TUI has it in raw mode), and a credential prompt from git would corrupt the
// screen and hang the call; credential helpers and ssh agents still work.
// What else a call needs (C locale for parsed output, literal pathspecs, no
// optional locks, hardened config for the model's git tool) it asks for with
// the Cmd's fields and the exported lists below, so the choices are named in
// one package rather than spelled out at each caller.
package gitrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// Cmd is one git process.
type Cmd struct {
	// Dir is the working directory ("" is wend's own).
	Dir string
	// Args are git's arguments, without the leading "git".
	Args []string
	// Stdin is standard input (nil: none).
	Stdin io.Reader
	// Environ is the environment the process starts from; nil means wend's
	// own (os.Environ()). The tools pass one with wend's credentials stripped.
	Environ []string
	// Env holds VAR=value entries added after Environ (GIT_INDEX_FILE for a
	// temporary index, ParseEnv, an author identity). Observers see them
	// (Record.Env), so a secret for git goes in Environ instead.
	Env []string
	// ReadOnly adds GIT_OPTIONAL_LOCKS=0, so a background `git status` of
	// ours never takes the index lock away from the user's own git.
	ReadOnly bool
	// Stdout, when set, receives standard output instead of Run's result
	// (the git tool streams into its own bounded head-and-tail buffer).
	Stdout io.Writer
	// MaxStdout bounds the captured standard output (0: no bound, for blobs
	// and trees gitops reads whole); beyond it the output is cut and Run
	// fails with ErrOutputLimit.
	MaxStdout int
	// Path is the git binary ("" is "git" from PATH).
	Path string
}

// MaxStderr bounds what Run keeps of git's standard error: enough for any
// message git prints, never a flood held in memory.
const MaxStderr = 64 << 10

// ErrOutputLimit says git printed more than Cmd.MaxStdout.
var ErrOutputLimit = errors.New("git printed more than the output limit")

// ParseEnv is what a caller parsing git's output asks for: the C locale, so
// messages and dates do not depend on the user's language.
var ParseEnv = []string{"LC_ALL=C"}

// Error says which git command failed, where, and what git printed.
type Error struct {
	Args     []string
	Dir      string
	ExitCode int // -1 when git did not run or was killed
	Stderr   string
	Err      error
}

func (e *Error) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("git %s (exit %d): %s", Subcommand(e.Args), e.ExitCode, msg)
}

func (e *Error) Unwrap() error { return e.Err }

// ExitCode is git's exit code when err is a git failure, else -1.
func ExitCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.ExitCode
	}
	return -1
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

// Record is what an observer learns about one git process after it ended.
type Record struct {
	Dir      string
	Args     []string
	Env      []string // the Cmd's added entries (not the inherited environment)
	ExitCode int      // 0 on success, -1 when git did not run
}

// String is the command line as a user would type it: "git -C dir args".
func (r Record) String() string {
	return "git " + strings.Join(r.Args, " ")
}

type observerKey struct{}

// WithObserver returns a context under which every git process Run starts
// is reported to fn when it ends, so a test can assert exactly what ran. fn
// may be called from several goroutines at once. Observers nest: an inner
// one does not hide the outer.
func WithObserver(ctx context.Context, fn func(Record)) context.Context {
	if outer, ok := ctx.Value(observerKey{}).(func(Record)); ok {
		inner := fn
		fn = func(r Record) { inner(r); outer(r) }
	}
	return context.WithValue(ctx, observerKey{}, fn)
}

// Run starts git, waits for it and returns its standard output. A failure is
// an *Error carrying git's standard error (cut at MaxStderr) and exit code;
// when ctx ended first, Error.Err is ctx's error. The output read so far is
// returned with an error too.
func Run(ctx context.Context, c Cmd) ([]byte, error) {
	bin := c.Path
	if bin == "" {
		bin = "git"
	}
	cmd := exec.CommandContext(ctx, bin, c.Args...)
	cmd.Dir = c.Dir
	env := c.Environ
	if env == nil {
		env = os.Environ()
	}
	env = append(env[:len(env):len(env)], "GIT_TERMINAL_PROMPT=0")
	if c.ReadOnly {
		env = append(env, "GIT_OPTIONAL_LOCKS=0")
	}
	cmd.Env = append(env, c.Env...)
	cmd.Stdin = c.Stdin
	var stdout bytes.Buffer
	var limited *limitWriter
	switch {
	case c.Stdout != nil:
		cmd.Stdout = c.Stdout
	case c.MaxStdout > 0:
		limited = &limitWriter{buf: &stdout, max: c.MaxStdout}
		cmd.Stdout = limited
	default:
		cmd.Stdout = &stdout
	}
	stderr := &limitWriter{buf: &bytes.Buffer{}, max: MaxStderr}
	cmd.Stderr = stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		code = -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
	}
	if fn, ok := ctx.Value(observerKey{}).(func(Record)); ok {
		fn(Record{Dir: c.Dir, Args: append([]string(nil), c.Args...), Env: append([]string(nil), c.Env...), ExitCode: code})
	}
	if err == nil && limited != nil && limited.cut {
		err = ErrOutputLimit
	}
	if err != nil {
		ge := &Error{Args: c.Args, Dir: c.Dir, ExitCode: code, Stderr: stderr.buf.String(), Err: err}
		if ctxErr := ctx.Err(); ctxErr != nil {
			ge.Err = ctxErr
		}
		return stdout.Bytes(), ge
	}
	return stdout.Bytes(), nil
}

// limitWriter keeps the first max bytes and drops the rest, so git never
// blocks on a full pipe and wend never holds an unbounded flood.
type limitWriter struct {
	buf *bytes.Buffer
	max int
	cut bool
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if room := w.max - w.buf.Len(); room < len(p) {
		w.cut = true
		if room > 0 {
			w.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return w.buf.Write(p)
}
