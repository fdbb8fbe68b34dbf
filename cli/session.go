package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"gitlab.com/wend/wend/cli/config"
	"gitlab.com/wend/wend/context/ciconfig"
	"gitlab.com/wend/wend/context/repo"
	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/agent"
	"gitlab.com/wend/wend/session/review"
	"gitlab.com/wend/wend/session/store"
	"gitlab.com/wend/wend/session/tools"
)

// workspace is an opened repository with its branch and settings.
type workspace struct {
	repo     *repo.Repo
	branch   string
	settings *config.Settings
}

// openWorkspace finds the repository and loads settings, turning every failure into a
// message that says what to do.
func (g *globals) openWorkspace(ctx context.Context) (*workspace, error) {
	dir := g.dir
	if dir == "" {
		dir = "."
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return nil, usageErr("-C %s: no such directory", dir)
	}
	r, err := repo.Open(ctx, dir)
	if errors.Is(err, repo.ErrNotRepo) {
		abs, _ := filepath.Abs(dir)
		return nil, &exitError{code: ExitUsage, err: fmt.Errorf("%s is not inside a git repository.\n"+
			"wend works on a git checkout: cd into one (or pass -C DIR), or run `git init` first.\n"+
			"To see wend work on a sample repository without a key: wend demo", abs)}
	}
	if err != nil {
		return nil, err
	}
	g.recoverWorktrees(ctx, r.Root()) // worktree.go
	branch, err := r.Branch(ctx)
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: err}
	}
	s, err := g.loadConfig(r.Root())
	if err != nil {
		return nil, err
	}
	return &workspace{repo: r, branch: branch, settings: s}, nil
}

// defaultModels are used when the user names a provider but no model.
var defaultModels = map[string]string{
	"anthropic": "claude-sonnet-4-5",
	"openai":    "gpt-4.1",
}

// providerOptions are the parts of a provider that are not settings.
type providerOptions struct {
	replayFile string
	recordFile string
	client     *http.Client // carries proxies and the audit trail
	replayOpts []llm.ReplayOption
}

// newProvider builds the configured model provider or says exactly how to configure one.
func newProvider(s *config.Settings, o providerOptions) (llm.Provider, string, error) {
	name := s.Provider
	if o.replayFile != "" && name == "" {
		name = "replay"
	}
	model := s.Model
	var p llm.Provider
	switch name {
	case "":
		return nil, "", &exitError{code: ExitUsage, err: errors.New(noProviderHelp)}
	case "replay":
		if o.replayFile == "" {
			return nil, "", usageErr("--provider replay needs --replay FILE (a conversation recorded with --record FILE)")
		}
		rp, err := llm.NewReplay(o.replayFile, o.replayOpts...)
		if err != nil {
			return nil, "", &exitError{code: ExitUsage, err: err}
		}
		p = rp
		if model == "" {
			model = "replay"
		}
	case "anthropic", "openai":
		if model == "" {
			if s.BaseURL != "" && name == "openai" {
				return nil, "", usageErr("name the model your server at %s serves: --model NAME (for Ollama, e.g. --model qwen2.5-coder)", s.BaseURL)
			}
			model = defaultModels[name]
		}
		envName := map[string]string{"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}[name]
		if s.APIKey == "" && s.BaseURL == "" {
			return nil, "", usageErr("no API key for %s: set %s (or api_key_file in ~/.config/wend/config.toml, mode 0600).\nFor a local server use --base-url, e.g. --provider openai --base-url http://127.0.0.1:11434/v1", name, envName)
		}
		cfg := llm.Config{APIKey: s.APIKey, BaseURL: s.BaseURL, HTTPClient: o.client, Limits: modelLimits(s),
			MaxTokens: s.MaxTokens, ThinkingBudget: s.ThinkingBudget}
		if name == "anthropic" {
			p = llm.NewAnthropic(cfg)
		} else {
			p = llm.NewOpenAI(cfg)
		}
	default:
		return nil, "", usageErr("unknown provider %q (use anthropic, openai, replay or gitlab-duo)", name)
	}
	if o.recordFile != "" {
		p = llm.NewRecorder(p, o.recordFile)
	}
	return p, model, nil
}

const noProviderHelp = `no model provider is configured.
  Anthropic:     export ANTHROPIC_API_KEY=...            (then: wend "your task")
  OpenAI:        export OPENAI_API_KEY=...
  Local server:  wend --provider openai --base-url http://127.0.0.1:11434/v1 --model qwen2.5-coder
  GitLab Duo:    export GITLAB_TOKEN=...                 (then: wend --provider gitlab-duo)
Settings can live in ~/.config/wend/config.toml; see 'wend config'.
To try wend with no key and no network: wend demo`

// newSessionID is sortable by time and unique enough for one repository.
func newSessionID(now time.Time) string {
	var b [3]byte
	rand.Read(b[:])
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// sessionStore is where this repository's sessions live: inside .git, so they follow
// the checkout and never show up as untracked files.
func sessionStore(ctx context.Context, r *repo.Repo) (*store.Store, error) {
	dir, err := gitDir(ctx, r.Root())
	if err != nil {
		return nil, err
	}
	return store.Open(filepath.Join(dir, "wend")), nil
}

// engine is what a front end drives: wend's own agent, or GitLab's Duo Workflow
// Service through its executor.
type engine interface {
	session.Backend
	session.Review
	// Done is closed when the run has ended and SessionFinished is in the log.
	Done() <-chan struct{}
}

// liveSession is a running engine with its log persisted.
type liveSession struct {
	id     string
	engine engine
	// review is the session's staging adapter, for the verbs that decide
	// unattended (wend ci accepts a full-auto run's changes).
	review  *review.Staging
	log     *session.Log
	writer  *store.Writer
	model   string
	closers []func()
	// what build needs from openLive
	provider llm.Provider
	policy   session.ApprovalPolicy
	// reopened is set for a session continued from the store (run_continue.go);
	// restored is the last seq its log held then, where a printer starts.
	reopened *reopened
	restored int64
}

// openSessionLog creates the session's persisted event log.
func openSessionLog(ctx context.Context, ws *workspace, id string) (*session.Log, *store.Writer, error) {
	st, err := sessionStore(ctx, ws.repo)
	if err != nil {
		return nil, nil, err
	}
	w, err := st.Create(id)
	if err != nil {
		return nil, nil, err
	}
	return persistedLog(w), w, nil // run_continue.go
}

// prepareSession builds everything a new session needs, before it starts.
func prepareSession(ctx context.Context, g *globals, ws *workspace, po providerOptions, interactive bool) (*liveSession, error) {
	if ws.settings.Provider == "gitlab-duo" {
		return prepareDuoSession(ctx, g, ws, interactive)
	}
	ls, err := openLive(ctx, g, ws, po)
	if err != nil {
		return nil, err
	}
	if err := ls.build(ctx, g, ws, interactive); err != nil {
		ls.close()
		return nil, err
	}
	return ls, nil
}

// openLive does the quick part of preparing a session: settings that can be wrong,
// the provider, and the persisted log. What is slow on a large repository (the
// baseline snapshot, the facts) is left to build, so the UI can show first.
func openLive(ctx context.Context, g *globals, ws *workspace, po providerOptions) (*liveSession, error) {
	policy, err := session.ParseApprovalPolicy(ws.settings.Approval)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	id := g.hostSession // a session host is told its id by the process that started it
	if id == "" {
		id = newSessionID(time.Now())
	}
	po.client = g.httpClient(id)
	provider, model, err := newProvider(ws.settings, po)
	if err != nil {
		return nil, err
	}
	log, w, err := openSessionLog(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	return &liveSession{id: id, log: log, writer: w, model: model, provider: provider, policy: policy}, nil
}

// build takes the baseline snapshot, sets up the tools (GitLab's too, when the
// repository has an instance), reads the repository's facts and makes the engine.
func (ls *liveSession) build(ctx context.Context, g *globals, ws *workspace, interactive bool) error {
	var stage *staging
	var err error
	if ls.reopened != nil {
		stage, err = reopenStaging(ctx, ws, ls.id) // run_continue.go
	} else {
		stage, err = newStaging(ctx, g, ws, ls.id)
	}
	if err != nil {
		return err
	}
	ls.closers = append(ls.closers, stage.close)
	reg, err := tools.New(g.redacting(ws.settings, g.protect(ws.settings, g.sandboxed(ws.settings, tools.Config{Root: stage.repo.Root(), Repo: stage.repo, Workspace: stage.workspace}))))
	if err != nil {
		return err
	}
	if n := sandboxNotice(reg); n != "" {
		ls.log.Append(session.Notice{Level: "warn", Text: n})
	}
	// The stderr line printed at start is hidden behind the full-screen UI.
	if w := ws.settings.Repo.Warning(); w != "" {
		ls.log.Append(session.Notice{Level: "warn", Text: w})
	}
	// GitLab is optional: without an instance the gitlab_* tools are simply absent.
	gl, err := g.gitlabClient(ctx, ws, ls.id)
	if err != nil && !errors.Is(err, errNoGitLab) {
		ls.log.Append(session.Notice{Level: "warn", Text: "GitLab context is off: " + err.Error()})
	}
	if gl != nil {
		if err := registerGitLabTools(reg, gl); err != nil {
			return err
		}
		if err := registerWatchTool(reg, gl, stage.repo.Root(), ls.log, ws.settings.PipelinePollInterval); err != nil { // watchtool.go
			return err
		}
	}
	// A repository with CI gets ci_job_script, to reproduce a job (citool.go).
	if _, err := os.Stat(filepath.Join(stage.repo.Root(), ciconfig.File)); err == nil {
		if err := registerCITool(reg, stage.repo.Root(), ws.branch); err != nil {
			return err
		}
	}
	facts, err := ws.repo.Facts(ctx)
	if err != nil {
		return err
	}
	cfg := agent.Config{
		SessionID: ls.id, Model: ls.provider, ModelName: ls.model, Provider: ws.settings.Provider,
		Tools: reg, Review: stage.review, Log: ls.log, Policy: ls.policy,
		Interactive: interactive, PlanApproval: ws.settings.PlanApproval,
		Repo: filepath.Base(ws.repo.Root()), Branch: ws.branch, Facts: facts.Markdown(),
		MaxTurns: ws.settings.MaxTurns, Attach: attacher(ws.repo.Root(), gl),
		ContextWindow: ws.settings.ContextWindow,
		// The provider already sends the configured budget; the agent needs it
		// too, to name it when an answer or a call is cut at the limit.
		MaxTokens: ws.settings.MaxTokens,
	}
	if cfg.ContextWindow == 0 {
		cfg.ContextWindow = llm.DefaultContextWindowFor(ws.settings.Provider, ls.model)
	}
	if st, err := sessionStore(ctx, ws.repo); err == nil {
		if ls.reopened != nil {
			ls.continuation(st, stage, &cfg) // run_continue.go
		}
		cfg.Carried = append(cfg.Carried, carriedFeedback(ctx, ws.repo.Root(), st, ls.id)...) // carry.go
		// The conversation is kept so another wend can continue the session.
		if conv, err := st.OpenConversation(ls.id); err == nil {
			cfg.Conversation = conv
			ls.closers = append(ls.closers, func() { conv.Close() })
		}
	}
	ls.engine = agent.New(cfg)
	ls.review = stage.review
	return nil
}

func (ls *liveSession) close() {
	for _, c := range ls.closers {
		c()
	}
	if ls.writer != nil {
		ls.writer.Close()
	}
}
