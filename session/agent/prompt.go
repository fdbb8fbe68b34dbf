package agent

import (
	"strings"

	"gitlab.com/wend/wend/session"
)

// systemPrompt is constant for every session so it heads every request unchanged:
// together with the tools it forms the cached prefix.
const systemPrompt = `You are wend, a software engineering agent working in the user's git repository from their terminal.

How you work:
1. Start by calling set_plan with a short checklist (2 to 7 steps) for the task. The user sees it live and may edit, reorder or skip steps; messages starting with [wend] tell you what they changed, and messages starting with [The user, while you work] are the user steering you.
2. Before working on a step call update_step with status "in_progress"; when it is complete call update_step with "done" (or "skipped"/"failed" with a note).
3. Read before you edit. Use edit_file with an exact old_string that occurs once, or create_file for new files. Every change you make is staged for the user's review; if the user rejects a change, you are told why: do not make it again.
4. Verify with run_command (build, tests) when the repository has them.
5. When the task is done, call finish with a short summary of what changed and how it was verified.

Paths are relative to the repository root. Keep answers short; the user reads them in a terminal.`

// firstMessage is the task, what the user referenced, and the repository's facts and
// instructions. Facts vary per machine, so they come after the cached prefix.
func firstMessage(task session.Task, cfg Config) string {
	var b strings.Builder
	b.WriteString("# Task\n")
	b.WriteString(strings.TrimSpace(task.Text))
	b.WriteString("\n")
	for _, c := range task.Context {
		b.WriteString("\n# Context: " + c.Title + " (" + c.Ref + ")\n")
		b.WriteString(strings.TrimSpace(c.Body))
		b.WriteString("\n")
	}
	if cfg.Facts != "" {
		// Facts arrive as markdown with their own "# Repository" heading.
		b.WriteString("\n")
		b.WriteString(strings.TrimSpace(cfg.Facts))
		b.WriteString("\n")
	}
	if cfg.Instructions != "" {
		b.WriteString("\n# The repository's instructions\n")
		b.WriteString(strings.TrimSpace(cfg.Instructions))
		b.WriteString("\n")
	}
	return b.String()
}

// price is dollars per million tokens.
type price struct{ in, out, cacheRead, cacheWrite float64 }

// prices covers the models people use most; unknown models cost 0 (shown as "–").
var prices = map[string]price{
	"claude-opus-4":    {15, 75, 1.5, 18.75},
	"claude-sonnet-4":  {3, 15, 0.3, 3.75},
	"claude-3-5-haiku": {0.8, 4, 0.08, 1},
	"claude-haiku-4":   {1, 5, 0.1, 1.25},
	"gpt-4o":           {2.5, 10, 1.25, 0},
	"gpt-4.1":          {2, 8, 0.5, 0},
	"gpt-5":            {1.25, 10, 0.125, 0},
	"gpt-4o-mini":      {0.15, 0.6, 0.075, 0},
}

func estimateCost(model string, u session.UsageReported) float64 {
	best := ""
	for prefix := range prices {
		if strings.HasPrefix(model, prefix) && len(prefix) > len(best) {
			best = prefix
		}
	}
	if best == "" {
		return 0
	}
	p := prices[best]
	return (float64(u.InputTokens)*p.in + float64(u.OutputTokens)*p.out +
		float64(u.CacheReadTokens)*p.cacheRead + float64(u.CacheWriteTokens)*p.cacheWrite) / 1e6
}
