// Package assemble wires a session together: settings → model provider,
// GitLab client, gitops staging, tools and sandbox, store and log, and the
// engine (wend's agent or GitLab Duo), with what closes them. The terminal UI
// (in process or in a session host) and the headless verbs (run, run
// --continue/--resume, demo) all build their session here, so a session is
// wired one way whatever drives it. It knows nothing of flags or terminals:
// cli turns an invocation into Options.
package assemble

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gitlab.com/wend/wend/cli/config"
	"gitlab.com/wend/wend/context/ciconfig"
	"gitlab.com/wend/wend/context/repo"
	"gitlab.com/wend/wend/internal/gitrun"
	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/agent"
	"gitlab.com/wend/wend/session/review"
	"gitlab.com/wend/wend/session/store"
	"gitlab.com/wend/wend/session/tools"
)

// Options is what wiring a session takes from the invocation; the settings
// (config files, environment, flags) are already merged.
type Options struct {
	Repo     *repo.Repo
	Branch   string
	Settings *config.Settings
	// ID names the session; empty makes a new one (a session host is told
	// its id by the process that started it).
	ID string
	// Interactive is true when a person answers approvals and questions.
	Interactive bool
	// Worktree runs the agent in a worktree of its own (--worktree).
	Worktree bool
	// ConfigFile is the --config file, hidden from commands and protected
	// from the tools like the user's own config.
	ConfigFile string
	// Provider carries --replay and --record.
	Provider ProviderOptions
	// Wrap adds the audit trail to a transport of session sessionID; nil
	// adds nothing.
	Wrap Wrap
	// Duo is --provider gitlab-duo's flow and transport, validated; it is
	// asked only for a Duo session.
	Duo func() (flow, transport string, err error)
	// Stderr takes what is said outside the session's log (a worktree that
	// could not be removed).
	Stderr io.Writer
}

// Wrap adds something (the audit trail) to every request of a session.
type Wrap func(rt http.RoundTripper, sessionID string) http.RoundTripper

func (o Options) stderr() io.Writer {
	if o.Stderr == nil {
		return io.Discard
	}
	return o.Stderr
}

// UsageError is a wiring failure the user fixes in their settings or command
// line (no provider, a bad approval policy): the CLI exits with its usage code.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErr(format string, args ...any) error {
	return &UsageError{fmt.Errorf(format, args...)}
}

// Engine is what a front end drives: wend's own agent, or GitLab's Duo
// Workflow Service through its executor.
type Engine interface {
	session.Backend
	session.Review
	// Done is closed when the run has ended and SessionFinished is in the log.
	Done() <-chan struct{}
}

// Session is a running engine with its log persisted.
type Session struct {
	ID     string
	Engine Engine
	// Review is the session's staging adapter, for the verbs that decide
	// unattended (wend ci accepts a full-auto run's changes).
	Review *review.Staging
	Log    *session.Log
	// Model is the model's name as the status bar shows it.
	Model string
	// Reopened is set for a session continued from the store (continue.go);
	// Restored is the last seq its log held then, where a printer starts.
	Reopened *Reopened
	Restored int64
	// Policy is the approval policy wend's engine runs under (zero for Duo).
	Policy session.ApprovalPolicy

	opts     Options
	writer   *store.Writer
	closers  []func()
	provider llm.Provider
}

// NewSessionID is sortable by time and unique enough for one repository.
func NewSessionID(now time.Time) string {
	var b [3]byte
	rand.Read(b[:])
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// Store is where this repository's sessions live: inside .git, so they follow
// the checkout and never show up as untracked files.
func Store(ctx context.Context, r *repo.Repo) (*store.Store, error) {
	if dir := r.CommonDir(); dir != "" {
		return store.Open(filepath.Join(dir, "wend")), nil
	}
	dir, err := GitDir(ctx, r.Root())
	if err != nil {
		return nil, err
	}
	return store.Open(filepath.Join(dir, "wend")), nil
}

// GitDir is the repository's common git directory (shared by worktrees).
func GitDir(ctx context.Context, root string) (string, error) {
	out, err := gitrun.Run(ctx, gitrun.Cmd{Dir: root, Args: []string{"rev-parse", "--git-common-dir"}})
	if err != nil {
		return "", err
	}
	dir := strings.TrimSpace(string(out))
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	return dir, nil
}

// openSessionLog creates the session's persisted event log.
func openSessionLog(ctx context.Context, o Options, id string) (*session.Log, *store.Writer, error) {
	st, err := Store(ctx, o.Repo)
	if err != nil {
		return nil, nil, err
	}
	w, err := st.Create(id)
	if err != nil {
		return nil, nil, err
	}
	return persistedLog(w), w, nil // continue.go
}

// New builds everything a new session needs, before it starts.
func New(ctx context.Context, o Options) (*Session, error) {
	if o.Settings.Provider == "gitlab-duo" {
		return newDuo(ctx, o) // duo.go
	}
	s, err := Open(ctx, o)
	if err != nil {
		return nil, err
	}
	if err := s.Build(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Open does the quick part of preparing a session: settings that can be
// wrong, the provider, and the persisted log. What is slow on a large
// repository (the baseline snapshot, the facts) is left to Build, so the UI
// can show first.
func Open(ctx context.Context, o Options) (*Session, error) {
	policy, err := session.ParseApprovalPolicy(o.Settings.Approval)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	id := o.ID
	if id == "" {
		id = NewSessionID(time.Now())
	}
	po := o.Provider
	po.Client = HTTPClient(o.Wrap, id)
	provider, model, err := NewProvider(o.Settings, po)
	if err != nil {
		return nil, err
	}
	log, w, err := openSessionLog(ctx, o, id)
	if err != nil {
		return nil, err
	}
	return &Session{ID: id, Log: log, writer: w, Model: model, provider: provider, Policy: policy, opts: o}, nil
}

// Build takes the baseline snapshot, sets up the tools (GitLab's too, when
// the repository has an instance), reads the repository's facts and makes
// the engine.
func (s *Session) Build(ctx context.Context) error {
	o := s.opts
	var stage *Staging
	var err error
	if s.Reopened != nil {
		stage, err = reopenStaging(ctx, o, s.ID) // staging.go
	} else {
		stage, err = NewStaging(ctx, o, s.ID)
	}
	if err != nil {
		return err
	}
	s.closers = append(s.closers, stage.Close)
	reg, err := tools.New(ToolConfig(o.Settings, o.ConfigFile, tools.Config{Root: stage.Repo.Root(), Repo: stage.Repo, Workspace: stage.Workspace}))
	if err != nil {
		return err
	}
	if n := sandboxNotice(reg); n != "" {
		s.Log.Append(session.Notice{Level: "warn", Text: n})
	}
	// The stderr line printed at start is hidden behind the full-screen UI.
	if w := o.Settings.Repo.Warning(); w != "" {
		s.Log.Append(session.Notice{Level: "warn", Text: w})
	}
	// GitLab is optional: without an instance the gitlab_* tools are simply absent.
	gl, err := GitLabClient(ctx, o.Repo.Root(), o.Settings, o.Wrap, s.ID)
	if err != nil && !errors.Is(err, ErrNoGitLab) {
		s.Log.Append(session.Notice{Level: "warn", Text: "GitLab context is off: " + err.Error()})
	}
	if gl != nil {
		if err := registerGitLabTools(reg, gl); err != nil {
			return err
		}
		if err := registerWatchTool(reg, gl, stage.Repo.Root(), s.Log, o.Settings.PipelinePollInterval); err != nil { // watchtool.go
			return err
		}
	}
	// A repository with CI gets ci_job_script, to reproduce a job (citool.go).
	if _, err := os.Stat(filepath.Join(stage.Repo.Root(), ciconfig.File)); err == nil {
		if err := registerCITool(reg, stage.Repo.Root(), o.Branch); err != nil {
			return err
		}
	}
	facts, err := o.Repo.Facts(ctx)
	if err != nil {
		return err
	}
	cfg := agent.Config{
		SessionID: s.ID, Model: s.provider, ModelName: s.Model, Provider: o.Settings.Provider,
		Tools: reg, Review: stage.Review, Log: s.Log, Policy: s.Policy,
		Interactive: o.Interactive, PlanApproval: o.Settings.PlanApproval,
		Repo: filepath.Base(o.Repo.Root()), Branch: o.Branch, Facts: facts.Markdown(),
		MaxTurns: o.Settings.MaxTurns, Attach: attacher(o.Repo.Root(), gl),
		ContextWindow: o.Settings.ContextWindow,
		// The provider already sends the configured budget; the agent needs it
		// too, to name it when an answer or a call is cut at the limit.
		MaxTokens: o.Settings.MaxTokens,
	}
	if cfg.ContextWindow == 0 {
		cfg.ContextWindow = llm.DefaultContextWindowFor(o.Settings.Provider, s.Model)
	}
	if st, err := Store(ctx, o.Repo); err == nil {
		if s.Reopened != nil {
			s.continuation(st, stage, &cfg) // continue.go
		}
		cfg.Carried = append(cfg.Carried, carriedFeedback(ctx, o.Repo.Root(), st, s.ID)...) // carry.go
		// The conversation is kept so another wend can continue the session.
		if conv, err := st.OpenConversation(s.ID); err == nil {
			cfg.Conversation = conv
			s.closers = append(s.closers, func() { conv.Close() })
		}
	}
	s.Engine = agent.New(cfg)
	s.Review = stage.Review
	return nil
}

// Pager reads the session's recorded events by range (nil when the session
// has no persisted log); the caller closes it.
func (s *Session) Pager() (*store.Pager, error) {
	if s.writer == nil {
		return nil, nil
	}
	return s.writer.Pager()
}

// Close releases what the session holds (staging, worktree, conversation,
// transports), then its log.
func (s *Session) Close() {
	for _, c := range s.closers {
		c()
	}
	if s.writer != nil {
		s.writer.Close()
	}
}
