package assemble

import (
	"errors"
	"net/http"

	"gitlab.com/wend/wend/cli/config"
	"gitlab.com/wend/wend/remote/httpx"
	"gitlab.com/wend/wend/remote/llm"
)

// DefaultModels are used when the user names a provider but no model.
var DefaultModels = map[string]string{
	"anthropic": "claude-sonnet-4-5",
	"openai":    "gpt-4.1",
}

// ProviderOptions are the parts of a provider that are not settings.
type ProviderOptions struct {
	Replay        string       // --replay FILE
	Record        string       // --record FILE
	Client        *http.Client // carries proxies and the audit trail
	ReplayOptions []llm.ReplayOption
}

// HTTPClient is the client model providers use: proxies from the environment
// (HTTPS_PROXY, NO_PROXY), roots from the system or SSL_CERT_FILE, and wrap's
// additions (one audit record per request).
func HTTPClient(wrap Wrap, sessionID string) *http.Client {
	var rt http.RoundTripper = http.DefaultTransport.(*http.Transport).Clone()
	if wrap != nil {
		rt = wrap(rt, sessionID)
	}
	return &http.Client{Transport: rt}
}

// NewProvider builds the configured model provider or says exactly how to
// configure one.
func NewProvider(s *config.Settings, o ProviderOptions) (llm.Provider, string, error) {
	name := s.Provider
	if o.Replay != "" && name == "" {
		name = "replay"
	}
	model := s.Model
	var p llm.Provider
	switch name {
	case "":
		return nil, "", &UsageError{errors.New(noProviderHelp)}
	case "replay":
		if o.Replay == "" {
			return nil, "", usageErr("--provider replay needs --replay FILE (a conversation recorded with --record FILE)")
		}
		rp, err := llm.NewReplay(o.Replay, o.ReplayOptions...)
		if err != nil {
			return nil, "", &UsageError{err}
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
			model = DefaultModels[name]
		}
		envName := map[string]string{"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}[name]
		if s.APIKey == "" && s.BaseURL == "" {
			return nil, "", usageErr("no API key for %s: set %s (or api_key_file in ~/.config/wend/config.toml, mode 0600).\nFor a local server use --base-url, e.g. --provider openai --base-url http://127.0.0.1:11434/v1", name, envName)
		}
		cfg := llm.Config{APIKey: s.APIKey, BaseURL: s.BaseURL, HTTPClient: o.Client, Limits: modelLimits(s),
			MaxTokens: s.MaxTokens, ThinkingBudget: s.ThinkingBudget}
		if name == "anthropic" {
			p = llm.NewAnthropic(cfg)
		} else {
			p = llm.NewOpenAI(cfg)
		}
	default:
		return nil, "", usageErr("unknown provider %q (use anthropic, openai, replay or gitlab-duo)", name)
	}
	if o.Record != "" {
		p = llm.NewRecorder(p, o.Record)
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

// GitLabLimits are the bounds of GitLab calls (GitLab API, Duo, doctor) from
// the settings; remote/httpx enforces them.
func GitLabLimits(s *config.Settings) httpx.Limits {
	return httpx.Limits{Connect: s.ConnectTimeout, Response: s.ResponseTimeout, MaxBytes: int64(s.MaxResponseMB) << 20}
}

// modelLimits are the bounds of model calls: stream_idle_timeout covers both
// the wait for headers and the gaps between stream events (see llm.Config).
func modelLimits(s *config.Settings) httpx.Limits {
	return httpx.Limits{Connect: s.ConnectTimeout, Idle: s.StreamIdleTimeout, MaxBytes: int64(s.MaxResponseMB) << 20}
}
