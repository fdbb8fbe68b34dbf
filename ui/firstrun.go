package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/ui/styles"
)

// firstRun is the setup screen shown when no model provider is configured.
func firstRun(st styles.Styles, w, h int) string {
	lines := []string{
		st.Title.Render("Welcome to wend"),
		"",
		"No model provider is configured yet. Pick one:",
		"",
		st.Bold.Render("Anthropic"),
		"  export ANTHROPIC_API_KEY=sk-ant-…",
		"  wend",
		"",
		st.Bold.Render("OpenAI"),
		"  export OPENAI_API_KEY=sk-…",
		"  wend --provider openai",
		"",
		st.Bold.Render("A local model (Ollama, vLLM, LiteLLM)"),
		"  wend --provider openai --base-url http://127.0.0.1:11434/v1 --model qwen2.5-coder",
		"",
		st.Bold.Render("GitLab Duo (GitLab's own agent)"),
		"  export GITLAB_TOKEN=glpat-…",
		"  wend --provider gitlab-duo",
		"",
		st.Bold.Render("Just looking?"),
		"  wend demo      the whole flow offline, on a sample repository",
		"",
		st.Muted.Render("Settings can live in ~/.config/wend/config.toml or .wend.toml."),
		st.Muted.Render("Press q or esc to quit."),
	}
	if len(lines) > h {
		// A short terminal (80×24) keeps every command and the way out; the
		// blank lines between the blocks go first.
		kept := lines[:0:0]
		for _, l := range lines {
			if l != "" {
				kept = append(kept, l)
			}
		}
		lines = kept
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate("  "+l, w, "…")
	}
	if len(lines) > h {
		lines = lines[:h]
	}
	return strings.Join(lines, "\n")
}

// AfterQuit is what the UI leaves in the terminal once it has quit and left
// the alternate screen (which takes its text with it): the first-run screen's
// commands, as plain text, so they can still be copied. Otherwise nothing.
func (m *Model) AfterQuit() string {
	if !m.opts.FirstRun {
		return ""
	}
	lines := strings.Split(firstRun(styles.New(m.dark, true), 1<<16, 1<<16), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(ansi.Strip(l), " ")
	}
	return strings.Join(lines[:len(lines)-1], "\n") + "\n" // without "Press q to quit"
}
