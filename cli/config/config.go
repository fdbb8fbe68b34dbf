// Package config loads wend's settings from, in rising precedence: built-in
// defaults, ~/.config/wend/config.toml (XDG), .wend.toml at the repository root, the
// environment, and flags. Every effective value remembers where it came from, so
// `wend config` can say why a setting is what it is. Unknown keys and wrong types are
// errors that name the file and line. Secrets are never printed.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"gitlab.com/wend/wend/context/repo"
	"gitlab.com/wend/wend/remote/httpx"
	"gitlab.com/wend/wend/remote/llm"
)

// File is the shape of a config file. Every field is optional.
type File struct {
	Provider     *string             `toml:"provider"`
	Model        *string             `toml:"model"`
	BaseURL      *string             `toml:"base_url"`
	Approval     *string             `toml:"approval"`
	PlanApproval *bool               `toml:"plan_approval"`
	MaxTurns     *int                `toml:"max_turns"`
	GitLabURL    *string             `toml:"gitlab_url"`
	APIKeyFile   *string             `toml:"api_key_file"`
	GitLabToken  *string             `toml:"gitlab_token_file"`
	Keys         map[string][]string `toml:"keys"`

	// The model's output budget per request (absent: the model family's
	// default) and Anthropic extended thinking's budget (0: off).
	MaxTokens      *int `toml:"max_tokens"`
	ThinkingBudget *int `toml:"thinking_budget"`
	// The model's context window in tokens (absent: the model's default).
	ContextWindow *int `toml:"context_window"`

	// Bounds of every remote call (remote/httpx); durations such as "30s", "2m".
	ConnectTimeout    *string `toml:"connect_timeout"`
	ResponseTimeout   *string `toml:"response_timeout"`
	StreamIdleTimeout *string `toml:"stream_idle_timeout"`
	MaxResponseMB     *int    `toml:"max_response_mb"`
	// ProtectedPaths are globs the agent may write only with an approval that
	// names the path. Only the user's own file sets them (trust.go).
	ProtectedPaths *[]string `toml:"protected_paths"`
	// The command sandbox (internal/sandbox); only the user's own file sets
	// these (trust.go): "auto", "required" or "off"; whether commands keep the
	// network; more paths commands may not read; more directories they may
	// write (besides the repository, $TMPDIR and the build caches).
	Sandbox         *string   `toml:"sandbox"`
	SandboxNetwork  *bool     `toml:"sandbox_network"`
	SandboxDenyRead *[]string `toml:"sandbox_deny_read"`
	SandboxWritable *[]string `toml:"sandbox_writable"`
	// Host runs each interactive session in a background host process that
	// outlives the terminal (cli/host.go); OnDetach is what the session does
	// when its terminal goes: "pause" at the next boundary, or "continue".
	Host     *bool   `toml:"host"`
	OnDetach *string `toml:"on_detach"`

	// The terminal interface's preferences (ui.go).
	Mouse  *bool   `toml:"mouse"`
	Notify *string `toml:"notify"`
	ASCII  *bool   `toml:"ascii"`
	Inline *bool   `toml:"inline"`

	// The pipeline loop (wend commit --push --watch, wend run --watch-pipeline):
	// how many times a failed pipeline may be handed back to the agent to fix,
	// and the first wait between polls of a watched pipeline.
	PipelineFixAttempts  *int    `toml:"pipeline_fix_attempts"`
	PipelinePollInterval *string `toml:"pipeline_poll_interval"`
}

// Settings are the effective values.
type Settings struct {
	Provider     string
	Model        string
	BaseURL      string
	Approval     string
	PlanApproval bool
	MaxTurns     int
	GitLabURL    string
	// APIKey and GitLabToken are secrets: never print them; Redacted shows them.
	APIKey      string
	GitLabToken string
	Keys        map[string][]string

	// MaxTokens is the output budget per model request; 0 means the model
	// family's default (llm.DefaultMaxTokensFor). ThinkingBudget > 0 turns on
	// Anthropic extended thinking with that many tokens, kept under MaxTokens.
	MaxTokens      int
	ThinkingBudget int
	// ContextWindow is the model's context window in tokens; near it, older
	// turns are summarised. 0 means the model's default
	// (llm.DefaultContextWindowFor).
	ContextWindow int

	// ConnectTimeout bounds DNS, TCP, proxy and TLS for every remote call;
	// ResponseTimeout, GitLab's silences (before the headers and inside a
	// body); StreamIdleTimeout, a model server's (before the headers and
	// between stream events); MaxResponseMB, one response's size.
	ConnectTimeout, ResponseTimeout, StreamIdleTimeout time.Duration
	MaxResponseMB                                      int
	// ProtectedPaths are the user's protected_paths globs (repository-relative).
	ProtectedPaths []string
	// Sandbox is "auto" (commands sandboxed where the kernel allows, else run
	// unsandboxed with a notice), "required" (else refused) or "off".
	// SandboxNetwork keeps the network for commands; SandboxDenyRead are
	// paths commands may not read besides the built-in list and SecretFiles.
	// SandboxWritable are directories commands may write besides the
	// repository, $TMPDIR and the build caches.
	Sandbox         string
	SandboxNetwork  bool
	SandboxDenyRead []string
	SandboxWritable []string
	// Host (default on): the terminal UI is a client of a session host that
	// survives the terminal closing; off, the session runs inside the UI's
	// process and ends with it. OnDetach is "pause" (default) or "continue".
	Host     bool
	OnDetach string
	// PipelineFixAttempts bounds the fix loop of a failed pipeline (0: watch
	// only); PipelinePollInterval is the watcher's first wait between polls.
	PipelineFixAttempts  int
	PipelinePollInterval time.Duration
	// SecretFiles are the api_key_file and gitlab_token_file that were read,
	// so the sandbox hides them from commands.
	SecretFiles []string
	// The terminal interface's preferences (ui.go): Mouse captures the mouse,
	// Notify is "auto", "bell" or "off", ASCII avoids uncommon glyphs, Inline
	// runs without the alternate screen.
	Mouse, ASCII, Inline bool
	Notify               string
	// Repo says whether the repository's .wend.toml is trusted and what of it
	// was ignored; Repo.Warning() is the message for the user.
	Repo RepoConfig
	// Origin maps a setting name to where its value came from.
	Origin map[string]string
}

// Sources are the inputs of Load; zero values mean "not present".
type Sources struct {
	UserFile string // default: $XDG_CONFIG_HOME/wend/config.toml
	RepoRoot string // .wend.toml is looked for here
	Explicit string // --config FILE replaces the user file
	// TrustFile records which repositories' .wend.toml the user trusts;
	// default: TrustStorePath().
	TrustFile string
	Env       func(string) string
	Flags     map[string]string // setting name → value, only flags the user set
}

// UserConfigPath is where the user's config file lives.
func UserConfigPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "wend", "config.toml")
}

// Load merges all sources.
func Load(src Sources) (*Settings, error) {
	if src.Env == nil {
		src.Env = os.Getenv
	}
	s := &Settings{Approval: "ask", MaxTurns: 200, Sandbox: "auto", OnDetach: "pause", Host: true, Notify: "auto", Origin: map[string]string{},
		PipelineFixAttempts: 2, PipelinePollInterval: 5 * time.Second}
	for _, k := range uiKeys {
		s.Origin[k] = "default"
	}
	s.Origin["sandbox"], s.Origin["sandbox_network"] = "default", "default"
	s.ConnectTimeout, s.ResponseTimeout, s.StreamIdleTimeout = httpx.DefaultConnect, httpx.DefaultResponse, httpx.DefaultStreamIdle
	s.MaxResponseMB = httpx.DefaultMaxBytes >> 20
	for _, k := range []string{"connect_timeout", "response_timeout", "stream_idle_timeout", "max_response_mb"} {
		s.Origin[k] = "default"
	}
	for _, k := range []string{"approval", "max_turns", "plan_approval", "pipeline_fix_attempts", "pipeline_poll_interval"} {
		s.Origin[k] = "default"
	}
	user := src.UserFile
	if user == "" {
		user = UserConfigPath()
	}
	if src.Explicit != "" {
		user = src.Explicit
	}
	if err := s.mergeFile(user, src.Explicit != "", nil); err != nil {
		return nil, err
	}
	if src.RepoRoot != "" {
		store := src.TrustFile
		if store == "" {
			store = TrustStorePath()
		}
		// The repository's file is not the user's word: only what its keys'
		// classes allow applies unless the user trusted this content (trust.go).
		gate := func(path string, data []byte, f *File) func(string) bool {
			return s.repoGate(store, src.RepoRoot, path, data, f)
		}
		if err := s.mergeFile(filepath.Join(src.RepoRoot, ".wend.toml"), false, gate); err != nil {
			return nil, err
		}
	}
	s.mergeEnv(src.Env)
	if v := src.Env("WEND_HOST"); v != "" {
		b, ok := parseBool(v)
		if !ok {
			return nil, fmt.Errorf("WEND_HOST must be true or false (1 or 0), not %q", v)
		}
		s.Host, s.Origin["host"] = b, "env WEND_HOST"
	}
	if err := s.mergeUIEnv(src.Env); err != nil {
		return nil, err
	}
	for _, name := range sortedKeys(src.Flags) {
		if isUIKey(name) {
			if err := s.setUI(name, src.Flags[name], "flag --"+flagName(name)); err != nil {
				return nil, fmt.Errorf("--%s: %w", flagName(name), err)
			}
			continue
		}
		s.set(name, src.Flags[name], "flag --"+flagName(name))
	}
	if s.Provider == "" {
		s.Provider = inferProvider(src.Env)
		if s.Provider != "" {
			s.Origin["provider"] = "inferred from the API key in the environment"
		}
	}
	if s.APIKey == "" {
		s.loadKeyFromEnv(src.Env)
	}
	if s.GitLabToken == "" {
		if v := src.Env("GITLAB_TOKEN"); v != "" {
			s.GitLabToken, s.Origin["gitlab_token"] = v, "env GITLAB_TOKEN"
		}
	}
	return s, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func flagName(setting string) string { return strings.ReplaceAll(setting, "_", "-") }

// mergeFile applies the file at path. gate, when set, is asked once per file
// for a filter that says which of its keys apply (the repository's file).
func (s *Settings) mergeFile(path string, mustExist bool, gate func(path string, data []byte, f *File) func(key string) bool) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !mustExist {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading config: %w", err)
	}
	f, err := decodeFile(path, data)
	if err != nil {
		return err
	}
	if gate != nil {
		// Drop what the gate refuses before anything is applied, so a refused
		// api_key_file is never even read.
		admit := gate(path, data, &f)
		fv := reflect.ValueOf(&f).Elem()
		for i := range fv.NumField() {
			key, _, _ := strings.Cut(fv.Type().Field(i).Tag.Get("toml"), ",")
			if field := fv.Field(i); !field.IsNil() && !admit(key) {
				field.SetZero()
			}
		}
	}
	at := func(key string) string { return path + ":" + lineOf(data, key) }
	str := func(name string, v *string) {
		if v != nil {
			s.set(name, *v, at(name))
		}
	}
	str("provider", f.Provider)
	str("model", f.Model)
	str("base_url", f.BaseURL)
	str("approval", f.Approval)
	str("gitlab_url", f.GitLabURL)
	if f.PlanApproval != nil {
		s.PlanApproval, s.Origin["plan_approval"] = *f.PlanApproval, at("plan_approval")
	}
	if f.MaxTurns != nil {
		if *f.MaxTurns < 1 {
			return fmt.Errorf("%s: max_turns must be at least 1", at("max_turns"))
		}
		s.MaxTurns, s.Origin["max_turns"] = *f.MaxTurns, at("max_turns")
	}
	if f.MaxTokens != nil {
		if *f.MaxTokens < 1 {
			return fmt.Errorf("%s: max_tokens must be at least 1 (leave it out for the model's default)", at("max_tokens"))
		}
		s.MaxTokens, s.Origin["max_tokens"] = *f.MaxTokens, at("max_tokens")
	}
	if f.ContextWindow != nil {
		if *f.ContextWindow < 4096 {
			return fmt.Errorf("%s: context_window must be at least 4096 tokens (leave it out for the model's default)", at("context_window"))
		}
		s.ContextWindow, s.Origin["context_window"] = *f.ContextWindow, at("context_window")
	}
	if f.ThinkingBudget != nil {
		if b := *f.ThinkingBudget; b < 0 || (b > 0 && b < 1024) {
			return fmt.Errorf("%s: thinking_budget must be 0 (off) or at least 1024 tokens, the API's minimum", at("thinking_budget"))
		}
		s.ThinkingBudget, s.Origin["thinking_budget"] = *f.ThinkingBudget, at("thinking_budget")
	}
	for _, d := range []struct {
		key string
		v   *string
		dst *time.Duration
	}{
		{"connect_timeout", f.ConnectTimeout, &s.ConnectTimeout},
		{"response_timeout", f.ResponseTimeout, &s.ResponseTimeout},
		{"stream_idle_timeout", f.StreamIdleTimeout, &s.StreamIdleTimeout},
		{"pipeline_poll_interval", f.PipelinePollInterval, &s.PipelinePollInterval},
	} {
		if d.v == nil {
			continue
		}
		v, err := time.ParseDuration(*d.v)
		if err != nil || v <= 0 {
			return fmt.Errorf("%s: %s must be a positive duration such as \"30s\" or \"2m\", not %q", at(d.key), d.key, *d.v)
		}
		*d.dst, s.Origin[d.key] = v, at(d.key)
	}
	if f.PipelineFixAttempts != nil {
		if n := *f.PipelineFixAttempts; n < 0 || n > 20 {
			return fmt.Errorf("%s: pipeline_fix_attempts must be between 0 (watch only) and 20, not %d", at("pipeline_fix_attempts"), n)
		}
		s.PipelineFixAttempts, s.Origin["pipeline_fix_attempts"] = *f.PipelineFixAttempts, at("pipeline_fix_attempts")
	}
	if f.MaxResponseMB != nil {
		if *f.MaxResponseMB < 1 {
			return fmt.Errorf("%s: max_response_mb must be at least 1", at("max_response_mb"))
		}
		s.MaxResponseMB, s.Origin["max_response_mb"] = *f.MaxResponseMB, at("max_response_mb")
	}
	if f.APIKeyFile != nil {
		key, err := readSecretFile(*f.APIKeyFile)
		if err != nil {
			return fmt.Errorf("%s: api_key_file: %w", at("api_key_file"), err)
		}
		s.APIKey, s.Origin["api_key"] = key, "file "+*f.APIKeyFile
		s.SecretFiles = append(s.SecretFiles, expandHome(*f.APIKeyFile))
	}
	if f.GitLabToken != nil {
		tok, err := readSecretFile(*f.GitLabToken)
		if err != nil {
			return fmt.Errorf("%s: gitlab_token_file: %w", at("gitlab_token_file"), err)
		}
		s.GitLabToken, s.Origin["gitlab_token"] = tok, "file "+*f.GitLabToken
		s.SecretFiles = append(s.SecretFiles, expandHome(*f.GitLabToken))
	}
	if f.ProtectedPaths != nil {
		for _, p := range *f.ProtectedPaths {
			if _, err := repo.CompileGlob(p); err != nil {
				return fmt.Errorf("%s: protected_paths: %w", at("protected_paths"), err)
			}
		}
		s.ProtectedPaths, s.Origin["protected_paths"] = *f.ProtectedPaths, at("protected_paths")
	}
	if f.Sandbox != nil {
		switch *f.Sandbox {
		case "auto", "required", "off":
			s.Sandbox, s.Origin["sandbox"] = *f.Sandbox, at("sandbox")
		default:
			return fmt.Errorf("%s: sandbox must be \"auto\", \"required\" or \"off\", not %q", at("sandbox"), *f.Sandbox)
		}
	}
	if f.SandboxNetwork != nil {
		s.SandboxNetwork, s.Origin["sandbox_network"] = *f.SandboxNetwork, at("sandbox_network")
	}
	if f.SandboxDenyRead != nil {
		for _, p := range *f.SandboxDenyRead {
			if !filepath.IsAbs(p) && !strings.HasPrefix(p, "~/") {
				return fmt.Errorf("%s: sandbox_deny_read: %q must be an absolute path or start with ~/", at("sandbox_deny_read"), p)
			}
		}
		s.SandboxDenyRead, s.Origin["sandbox_deny_read"] = *f.SandboxDenyRead, at("sandbox_deny_read")
	}
	if f.SandboxWritable != nil {
		for _, p := range *f.SandboxWritable {
			if !filepath.IsAbs(p) && !strings.HasPrefix(p, "~/") {
				return fmt.Errorf("%s: sandbox_writable: %q must be an absolute path or start with ~/", at("sandbox_writable"), p)
			}
		}
		s.SandboxWritable, s.Origin["sandbox_writable"] = *f.SandboxWritable, at("sandbox_writable")
	}
	if f.Host != nil {
		s.Host, s.Origin["host"] = *f.Host, at("host")
	}
	if f.OnDetach != nil {
		if v := *f.OnDetach; v != "pause" && v != "continue" {
			return fmt.Errorf("%s: on_detach must be \"pause\" or \"continue\", not %q", at("on_detach"), v)
		}
		s.OnDetach, s.Origin["on_detach"] = *f.OnDetach, at("on_detach")
	}
	if err := s.mergeUIFile(&f, at); err != nil {
		return err
	}
	if len(f.Keys) > 0 {
		if s.Keys == nil {
			s.Keys = map[string][]string{}
		}
		for action, keys := range f.Keys {
			s.Keys[action] = keys
			s.Origin["keys."+action] = at(action)
		}
	}
	return nil
}

func decodeFile(path string, data []byte) (File, error) {
	var f File
	dec := toml.NewDecoder(strings.NewReader(string(data))).DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return File{}, describeTOMLError(path, err)
	}
	return f, nil
}

// lineOf finds the line where key is assigned, for provenance ("file:3").
func lineOf(data []byte, key string) string {
	for i, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if t == "["+key+"]" {
			return fmt.Sprint(i + 1) // a table: [keys]
		}
		if strings.HasPrefix(t, key) {
			rest := strings.TrimSpace(t[len(key):])
			if strings.HasPrefix(rest, "=") {
				return fmt.Sprint(i + 1)
			}
		}
	}
	return "?"
}

func describeTOMLError(path string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) && len(strict.Errors) > 0 {
		var msgs []string
		for _, e := range strict.Errors {
			row, _ := e.Position()
			msgs = append(msgs, fmt.Sprintf("%s:%d: unknown key %q (known keys: provider, model, base_url, approval, plan_approval, max_turns, max_tokens, thinking_budget, context_window, gitlab_url, api_key_file, gitlab_token_file, protected_paths, connect_timeout, response_timeout, stream_idle_timeout, max_response_mb, sandbox, sandbox_network, sandbox_deny_read, sandbox_writable, host, on_detach, mouse, notify, ascii, inline, pipeline_fix_attempts, pipeline_poll_interval, [keys])", path, row, strings.Join(e.Key(), ".")))
		}
		return errors.New(strings.Join(msgs, "\n"))
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		if k := de.Key(); len(k) > 0 {
			// "config.File.Inline of type bool" names Go's field; say the key.
			return fmt.Errorf("%s:%d:%d: %s: %s", path, row, col, strings.Join(k, "."), de.Error())
		}
		return fmt.Errorf("%s:%d:%d: %s", path, row, col, de.Error())
	}
	return fmt.Errorf("%s: %v", path, err)
}

// expandHome turns a leading "~/" into the user's home directory.
func expandHome(path string) string {
	if strings.HasPrefix(path, "~/") {
		home, _ := os.UserHomeDir()
		path = filepath.Join(home, path[2:])
	}
	return path
}

// readSecretFile reads a key or token from a file that only its owner can read.
func readSecretFile(path string) (string, error) {
	path = expandHome(path)
	info, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s is readable by others (mode %o); run: chmod 600 %s", path, info.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(data)), nil
}

func (s *Settings) mergeEnv(env func(string) string) {
	for name, key := range map[string]string{
		"provider": "WEND_PROVIDER", "model": "WEND_MODEL", "base_url": "WEND_BASE_URL",
		"approval": "WEND_APPROVAL", "gitlab_url": "GITLAB_URL",
	} {
		if v := env(key); v != "" {
			s.set(name, v, "env "+key)
		}
	}
}

func (s *Settings) set(name, value, origin string) {
	switch name {
	case "provider":
		s.Provider = value
	case "model":
		s.Model = value
	case "base_url":
		s.BaseURL = value
	case "approval":
		s.Approval = value
	case "gitlab_url":
		s.GitLabURL = value
	case "plan_approval":
		s.PlanApproval = value == "true"
	default:
		return
	}
	s.Origin[name] = origin
}

// inferProvider picks the provider whose key is in the environment, when only one is.
func inferProvider(env func(string) string) string {
	a, o := env("ANTHROPIC_API_KEY") != "", env("OPENAI_API_KEY") != ""
	switch {
	case a && !o:
		return "anthropic"
	case o && !a:
		return "openai"
	}
	return ""
}

func (s *Settings) loadKeyFromEnv(env func(string) string) {
	var name string
	switch s.Provider {
	case "anthropic":
		name = "ANTHROPIC_API_KEY"
	case "openai":
		name = "OPENAI_API_KEY"
	default:
		return
	}
	if v := env(name); v != "" {
		s.APIKey, s.Origin["api_key"] = v, "env "+name
	}
}

// Redact shows that a secret is set without showing it.
func Redact(secret string) string {
	if secret == "" {
		return "(not set)"
	}
	return fmt.Sprintf("(set, %d characters, redacted)", len(secret))
}

// Rows lists every setting with its value (secrets redacted) and origin, in a fixed
// order, for `wend config`.
func (s *Settings) Rows() [][3]string {
	origin := func(k string) string {
		if o, ok := s.Origin[k]; ok {
			return o
		}
		return "not set"
	}
	rows := [][3]string{
		{"provider", s.Provider, origin("provider")},
		{"model", s.Model, origin("model")},
		{"base_url", s.BaseURL, origin("base_url")},
		{"approval", s.Approval, origin("approval")},
		{"plan_approval", fmt.Sprint(s.PlanApproval), origin("plan_approval")},
		{"max_turns", fmt.Sprint(s.MaxTurns), origin("max_turns")},
		s.maxTokensRow(origin("max_tokens")),
		{"thinking_budget", thinkingRow(s.ThinkingBudget), origin("thinking_budget")},
		s.contextWindowRow(origin("context_window")),
		{"gitlab_url", s.GitLabURL, origin("gitlab_url")},
		{"api_key", Redact(s.APIKey), origin("api_key")},
		{"gitlab_token", Redact(s.GitLabToken), origin("gitlab_token")},
		{"connect_timeout", s.ConnectTimeout.String(), origin("connect_timeout")},
		{"response_timeout", s.ResponseTimeout.String(), origin("response_timeout")},
		{"stream_idle_timeout", s.StreamIdleTimeout.String(), origin("stream_idle_timeout")},
		{"max_response_mb", fmt.Sprint(s.MaxResponseMB), origin("max_response_mb")},
		{"protected_paths", strings.Join(s.ProtectedPaths, ", "), origin("protected_paths")},
		{"sandbox", s.Sandbox, origin("sandbox")},
		{"sandbox_network", fmt.Sprint(s.SandboxNetwork), origin("sandbox_network")},
		{"sandbox_deny_read", strings.Join(s.SandboxDenyRead, ", "), origin("sandbox_deny_read")},
		{"sandbox_writable", strings.Join(s.SandboxWritable, ", "), origin("sandbox_writable")},
		{"host", fmt.Sprint(s.Host), origin("host")},
		{"on_detach", s.OnDetach, origin("on_detach")},
		{"pipeline_fix_attempts", fmt.Sprint(s.PipelineFixAttempts), origin("pipeline_fix_attempts")},
		{"pipeline_poll_interval", s.PipelinePollInterval.String(), origin("pipeline_poll_interval")},
	}
	rows = append(rows, s.uiRows(origin)...)
	actions := make([]string, 0, len(s.Keys))
	for a := range s.Keys {
		actions = append(actions, a)
	}
	sort.Strings(actions)
	for _, a := range actions {
		rows = append(rows, [3]string{"keys." + a, strings.Join(s.Keys[a], ", "), origin("keys." + a)})
	}
	return rows
}

// maxTokensRow shows the output budget in effect: the configured one, or the
// default wend asks for with this provider and model.
func (s *Settings) maxTokensRow(origin string) [3]string {
	if s.MaxTokens > 0 {
		return [3]string{"max_tokens", fmt.Sprint(s.MaxTokens), origin}
	}
	if d := llm.DefaultMaxTokensFor(s.Provider, s.Model); d > 0 {
		model := s.Model
		if model == "" {
			model = "the provider's default model"
		}
		return [3]string{"max_tokens", fmt.Sprint(d), "default for " + model}
	}
	return [3]string{"max_tokens", "(not sent)", "default: the server's own limit"}
}

func thinkingRow(budget int) string {
	if budget == 0 {
		return "0 (off)"
	}
	return fmt.Sprint(budget)
}

// contextWindowRow shows the context window wend assumes and where it comes from.
func (s *Settings) contextWindowRow(origin string) [3]string {
	if s.ContextWindow > 0 {
		return [3]string{"context_window", fmt.Sprint(s.ContextWindow), origin}
	}
	return [3]string{"context_window", fmt.Sprint(llm.DefaultContextWindowFor(s.Provider, s.Model)), "default for the model"}
}
