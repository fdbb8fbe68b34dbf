package llm

import (
	"regexp"
	"strconv"
	"strings"
)

// claudeFamily reads a Claude model's generation from its name, in both
// namings: claude-sonnet-4-5-20250929, claude-opus-4-1 (family first, from
// Claude 4 on) and claude-3-5-haiku-latest (generation first, before). Cloud
// prefixes and suffixes (anthropic.claude-…-v1:0, claude-…@2025…) do not matter.
var (
	claudeNew = regexp.MustCompile(`claude-(?:opus|sonnet|haiku)-(\d+)`)
	claudeOld = regexp.MustCompile(`claude-(\d+)(?:[-.](\d))?-`)
)

// DefaultMaxTokensFor is the output budget (max_tokens) wend asks for when the
// user sets none. Anthropic requires one. The values stay within each family's
// documented maximum output: Claude 4 models (Opus 4 and 4.1 allow 32000,
// Sonnet 4 and 4.5, Haiku 4.5 and Opus 4.5 allow 64000) and Claude 3.7 Sonnet
// get 32000, room for a whole large file in one tool call; Claude 3.5 models
// 8192 and Claude 3 models 4096, their maxima. An unknown name gets
// DefaultMaxTokens, which every current model accepts. OpenAI-compatible
// servers get 0: the field is left out and the server's own limit applies,
// since a local server (vLLM) refuses a budget larger than its context left.
func DefaultMaxTokensFor(provider, model string) int {
	if provider != "anthropic" {
		return 0
	}
	if model == "" {
		return 32000 // no model named: wend's default Anthropic model is a Claude 4 one
	}
	if m := claudeNew.FindStringSubmatch(model); m != nil {
		if n, _ := strconv.Atoi(m[1]); n >= 4 {
			return 32000
		}
	}
	if m := claudeOld.FindStringSubmatch(model); m != nil {
		switch {
		case m[1] == "3" && m[2] == "7":
			return 32000
		case m[1] == "3" && m[2] == "5":
			return 8192
		case m[1] == "3":
			return 4096
		}
	}
	return DefaultMaxTokens
}

// DefaultContextWindowFor is the context window, in tokens, wend assumes for
// a model when the user set none (context_window): the published size of the
// families it knows, else a size most served models reach (a smaller local
// model needs context_window set, or its server cuts the prompt).
func DefaultContextWindowFor(provider, model string) int {
	m := strings.ToLower(model)
	switch {
	case provider == "anthropic" || strings.Contains(m, "claude"):
		return 200000
	case strings.HasPrefix(m, "gpt-4.1"):
		return 1000000
	case strings.HasPrefix(m, "gpt-5"):
		return 400000
	}
	return 128000
}
