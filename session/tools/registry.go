package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gitlab.com/wend/wend/context/repo"
	"gitlab.com/wend/wend/internal/sandbox"
	"gitlab.com/wend/wend/session"
)

// Defaults for Config fields left zero.
const (
	DefaultMaxOutputBytes = 30_000
	DefaultCommandTimeout = 2 * time.Minute
	DefaultMaxTimeout     = 10 * time.Minute
	DefaultShell          = "/bin/sh"
)

// DefaultStripEnv are the credentials wend itself reads (DESIGN.md, CLI contract).
var DefaultStripEnv = []string{"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GITLAB_TOKEN"}

// Config configures a Registry. Only Root is required.
type Config struct {
	// Root is the repository root; every path the model gives is relative to it.
	Root string
	// Workspace receives every write. Nil means a DirectWorkspace on Root.
	Workspace Workspace
	// Repo is the shared file listing and search of Root. Nil opens one.
	Repo *repo.Repo
	// Shell runs run_command as `Shell -c command`.
	Shell string
	// MaxOutputBytes caps the Output of every built-in tool.
	MaxOutputBytes int
	// DefaultTimeout applies to run_command without timeout_seconds; MaxTimeout
	// bounds what the model may ask for.
	DefaultTimeout, MaxTimeout time.Duration
	// Env is added to the environment of run_command.
	Env []string
	// StripEnv names variables removed from run_command's environment, so a
	// command (and through its output, the model) cannot read wend's own
	// credentials. Nil means DefaultStripEnv; an empty non-nil slice strips nothing.
	StripEnv []string
	// NoRipgrep makes grep use the Go search even when rg is installed.
	NoRipgrep bool
	// Sandbox isolates run_command (command.go). Nil runs commands as the
	// user, unconfined.
	Sandbox *sandbox.Sandbox
	// Redact masks secrets in text. Execute applies it to everything a tool
	// returns (output, summary, errors) before the result reaches the model, the
	// screen, the log, --json or a recording; it is never applied to what a tool
	// writes. Nil leaves results as they are (tests, tools without secrets). cli
	// wires remote/redact, which this package may not import.
	Redact func(string) string
	// ProtectedPaths are globs (context/repo syntax, case ignored) the agent may
	// write only with an approval naming the path, under any policy (protect.go).
	ProtectedPaths []string
	// ProtectedDirs are absolute directories (or single files) protected the
	// same way, with all they hold, when they lie inside the repository: wend's
	// user config directory and --config file (a dotfiles repository).
	ProtectedDirs []string
}

// Handler runs one tool. args were already checked against the tool's schema
// (required arguments present, JSON types right, nulls dropped). A handler reports
// every failure in the Result, never as a panic.
type Handler func(ctx context.Context, args json.RawMessage) Result

type tool struct {
	spec   Spec
	schema *argSchema
	run    Handler // nil for engine tools
}

// Registry holds the tools the model may call and executes them. It is safe for
// concurrent use, though the engine calls tools one at a time.
type Registry struct {
	cfg      Config
	root     string // as configured, absolute
	realRoot string // symlinks resolved; confinement compares against it
	ws       Workspace
	repo     *repo.Repo
	reads    *readTracker
	capture  atomic.Int32 // captureUnknown, captureWorks or captureBroken (capture.go)
	protect  protector
	// tree is realRoot opened as an os.Root: the tools read every file
	// through it (confine.go).
	tree *os.Root

	mu    sync.RWMutex
	order []string
	tools map[string]*tool
}

// New returns a Registry with the built-in tools. It fails when Root is not a git
// work tree.
func New(cfg Config) (*Registry, error) {
	if cfg.Root == "" {
		return nil, errors.New("tools: Config.Root is empty")
	}
	root, err := filepath.Abs(cfg.Root)
	if err != nil {
		return nil, err
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("tools: repository root: %w", err)
	}
	if cfg.Repo == nil {
		if cfg.Repo, err = repo.Open(context.Background(), root); err != nil {
			return nil, err
		}
	}
	if cfg.Workspace == nil {
		cfg.Workspace = NewDirectWorkspace(root)
	}
	if cfg.Shell == "" {
		cfg.Shell = DefaultShell
	}
	if cfg.MaxOutputBytes <= 0 {
		cfg.MaxOutputBytes = DefaultMaxOutputBytes
	}
	if cfg.DefaultTimeout <= 0 {
		cfg.DefaultTimeout = DefaultCommandTimeout
	}
	if cfg.MaxTimeout <= 0 {
		cfg.MaxTimeout = DefaultMaxTimeout
	}
	if cfg.StripEnv == nil {
		cfg.StripEnv = DefaultStripEnv
	}
	if cfg.DefaultTimeout > cfg.MaxTimeout {
		cfg.DefaultTimeout = cfg.MaxTimeout
	}
	r := &Registry{
		cfg: cfg, root: root, realRoot: realRoot, ws: cfg.Workspace, repo: cfg.Repo,
		reads: newReadTracker(), tools: map[string]*tool{},
	}
	if r.protect, err = newProtector(cfg, realRoot); err != nil {
		return nil, err
	}
	if r.tree, err = openTree(realRoot); err != nil {
		return nil, err
	}
	handlers := map[string]Handler{
		ToolReadFile: r.readFile, ToolListDir: r.listDir, ToolFindFiles: r.findFiles, ToolGrep: r.grep,
		ToolEditFile: r.editFile, ToolCreateFile: r.createFile, ToolRunCommand: r.runCommand, ToolGit: r.git,
	}
	for _, d := range builtins() {
		if err := r.Register(d.spec, handlers[d.spec.Name]); err != nil {
			return nil, err // a bug in builtins
		}
	}
	return r, nil
}

// Register adds a tool after the built-in ones (the GitLab tools). fn may be nil
// only for engine tools. It fails on a duplicate name or a schema that is not a
// JSON object schema.
func (r *Registry) Register(spec Spec, fn Handler) error {
	if spec.Name == "" {
		return errors.New("tools: Register: empty name")
	}
	if fn == nil && !spec.Engine {
		return fmt.Errorf("tools: Register %s: nil handler for a tool the engine does not run", spec.Name)
	}
	s, err := compileSchema(spec.Schema)
	if err != nil {
		return fmt.Errorf("tools: Register %s: %w", spec.Name, err)
	}
	if spec.Effect == "" {
		spec.Effect = session.EffectCommand // unknown effects get the strictest policy
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.tools[spec.Name]; dup {
		return fmt.Errorf("tools: Register: %s is already registered", spec.Name)
	}
	r.tools[spec.Name] = &tool{spec: spec, schema: s, run: fn}
	r.order = append(r.order, spec.Name)
	return nil
}

// Specs returns every tool in a fixed order: the built-in ones as DESIGN.md lists
// them, then registered ones in registration order.
func (r *Registry) Specs() []Spec {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Spec, len(r.order))
	for i, n := range r.order {
		out[i] = r.tools[n].spec
	}
	return out
}

func (r *Registry) lookup(name string) *tool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.tools[name]
}

// Effect says what the call would do, for the approval policy. Unknown tools get
// EffectCommand, the most guarded.
func (r *Registry) Effect(call Call) session.Effect {
	if call.Name == ToolGit {
		return r.gitEffect(call) // by its arguments: see gitargs.go
	}
	if call.Name == ToolRunCommand && r.asksForNetwork(call) {
		return session.EffectNetwork // network.go
	}
	if t := r.lookup(call.Name); t != nil {
		if t.spec.Effect == session.EffectWrite && r.writeProtection(call) != "" {
			return session.EffectProtected // protect.go
		}
		return t.spec.Effect
	}
	return session.EffectCommand
}

// Validate checks a call against its tool's schema without running it. On
// success it returns the normalised arguments (nulls dropped, {} for none); on
// failure ok is false and res is the error Result to give the model (unknown tool,
// bad JSON, missing or mistyped argument, with the expected arguments). The engine
// uses it for the engine tools, which Execute refuses.
func (r *Registry) Validate(call Call) (args json.RawMessage, res Result, ok bool) {
	t := r.lookup(call.Name)
	if t == nil {
		return nil, failf("unknown tool %q", call.Name).
			withOutput("Unknown tool %q. Available tools: %s.", call.Name, strings.Join(r.names(), ", ")), false
	}
	args, err := t.schema.check(call.Args)
	if err != nil {
		return nil, failf("%s: bad arguments", call.Name).
			withOutput("Invalid call to %s: %v. Expected arguments: %s.", call.Name, err, t.schema.usage()), false
	}
	return args, Result{}, true
}

// Execute runs one call. It does not ask for approval: the engine judges
// Effect(call) against the approval policy (and shows Describe(call)) first.
// Every failure, including an unknown tool, malformed arguments and a panicking
// handler, comes back as a Result with IsError set and a message telling the
// model how to call the tool correctly. Engine tools are refused: the engine must
// handle them before calling Execute.
//
// Execute is the one place tool output is redacted: every Result it returns,
// errors and panics included, has passed through Config.Redact (see redact.go).
func (r *Registry) Execute(ctx context.Context, call Call) (res Result) {
	defer func() { res = r.redactResult(res) }() // runs last, after the recover below
	args, bad, ok := r.Validate(call)
	if !ok {
		return bad
	}
	t := r.lookup(call.Name)
	if t.spec.Engine {
		return failf("%s is handled by the engine", call.Name).
			withOutput("%s is handled by the engine, not by Execute.", call.Name)
	}
	defer func() {
		if p := recover(); p != nil {
			res = failf("%s: internal error", call.Name).
				withOutput("Internal error in %s: %v. This is a bug in wend, not in your call.\n%s", call.Name, p, debug.Stack())
		}
	}()
	if refused := r.refuseRedactedWrite(call.Name, args); refused != nil {
		return *refused
	}
	res = t.run(ctx, args)
	if res.Summary == "" {
		res.Summary = call.Name
	}
	return res
}

func (r *Registry) names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for _, n := range r.order {
		if !r.tools[n].spec.Engine {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// decode fills dst from checked args; a failure here means the schema and the
// handler's struct disagree, so the message includes the usage.
func (r *Registry) decode(name string, args json.RawMessage, dst any) *Result {
	if err := json.Unmarshal(args, dst); err != nil {
		res := failf("%s: bad arguments", name).
			withOutput("Invalid call to %s: %v. Expected arguments: %s.", name, err, r.lookup(name).schema.usage())
		return &res
	}
	return nil
}

// failf is an error Result whose Output and Summary are the same message.
func failf(format string, args ...any) Result {
	msg := fmt.Sprintf(format, args...)
	return Result{Output: msg, IsError: true, Summary: msg}
}

// withOutput replaces the Output, keeping the short Summary.
func (res Result) withOutput(format string, args ...any) Result {
	res.Output = fmt.Sprintf(format, args...)
	return res
}

// errResult turns a confinement refusal or another error into an error Result.
func errResult(tool string, err error) Result {
	return Result{Output: err.Error(), IsError: true, Summary: tool + ": " + firstLine(err.Error())}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return shorten(s, 120)
}
