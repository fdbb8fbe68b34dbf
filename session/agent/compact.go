package agent

import (
	"context"
	"encoding/json"
	"fmt"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/session"
)

// Long sessions (issue 15 item 5): when a request would come near the model's
// context window, the older turns are summarised by the model in one request
// and later requests carry the summary and the recent turns instead. The
// system prompt and the tools stay first and unchanged, so the provider's
// prompt cache keeps its prefix. The full conversation stays in
// conv.messages, in the store (ConversationLog) and in the session's events
// on screen: only what is sent shrinks.

// compactAt is the share of the context window a request may fill before the
// older turns are summarised: the rest is room for the answer and the turn.
const compactAt = 0.8

// keepRecent is how many of the newest messages a summary never replaces.
const keepRecent = 6

const summariseAsk = "# Summarise\nThe conversation is getting long. Summarise everything above for yourself: the task(s), what was done and decided (files changed, commands run and their results, the user's answers and rejections), what is left and any facts you will need. Only the summary, no tool calls."

// summaryHead opens the message that stands for the summarised turns.
const summaryHead = "# Earlier conversation (summarised)\n"

// view is the messages a request carries: the summary and the turns after
// it, or all of them before any summary.
func (c *conversation) view() []llm.Message {
	if c.summarised == 0 {
		return c.messages
	}
	out := make([]llm.Message, 0, len(c.messages)-c.summarised+1)
	out = append(out, llm.Message{Role: llm.RoleUser, Content: []llm.Block{llm.Text(summaryHead + c.summary)}})
	return append(out, c.messages[c.summarised:]...)
}

// estimateTokens is a request's size in tokens, about four bytes each; the
// providers' own counts come only after the request.
func estimateTokens(system string, tools []llm.Tool, msgs []llm.Message) int {
	n := len(system)
	if b, err := json.Marshal(tools); err == nil {
		n += len(b)
	}
	if b, err := json.Marshal(msgs); err == nil {
		n += len(b)
	}
	return n / 4
}

// compactIfNeeded summarises the older turns when the next request would
// fill more than compactAt of the context window. A summary that fails is a
// warning: the request goes out in full and the provider decides.
func (e *Engine) compactIfNeeded(ctx context.Context, conv *conversation) {
	window := e.cfg.ContextWindow
	if window <= 0 || estimateTokens(conv.system, conv.tools, conv.view()) < int(compactAt*float64(window)) {
		return
	}
	// The cut lands on an assistant message, so every tool result kept
	// follows the call it answers, and the summary (a user message) comes
	// right before it.
	cut := len(conv.messages) - keepRecent
	for cut > conv.summarised && conv.messages[cut].Role != llm.RoleAssistant {
		cut--
	}
	if cut <= conv.summarised+1 {
		return // nothing old enough to summarise
	}
	// The summarising request is the conversation up to the cut, as sent
	// so far, with the ask joined to its last (user) message.
	older := conv.view()[:cut-conv.summarised+min(conv.summarised, 1)]
	msgs := append([]llm.Message(nil), older...)
	last := msgs[len(msgs)-1]
	last.Content = append(append([]llm.Block(nil), last.Content...), llm.Text(summariseAsk))
	msgs[len(msgs)-1] = last
	req := llm.Request{Model: e.cfg.ModelName, System: conv.system, Tools: conv.tools, Messages: msgs, MaxTokens: e.cfg.MaxTokens}
	resp, err := e.cfg.Model.Stream(ctx, req, func(llm.Delta) {})
	if err == nil {
		e.addUsage(resp.Usage)
	}
	var text string
	if err == nil {
		text = textOf(resp.Message)
	}
	if text == "" {
		why := "the model gave no summary"
		if err != nil {
			why = err.Error()
		}
		e.log.Append(session.Notice{Level: "warn", Text: "the conversation is near the model's context window and could not be summarised (" + why + "); it is sent in full"})
		return
	}
	turns := 0
	for _, m := range conv.messages[conv.summarised:cut] {
		if m.Role == llm.RoleAssistant {
			turns++
		}
	}
	if conv.summarised > 0 {
		turns += conv.summarisedTurns
	}
	conv.summary, conv.summarised, conv.summarisedTurns = text, cut, turns
	unit := "turns"
	if turns == 1 {
		unit = "turn"
	}
	e.log.Append(session.Notice{Level: "info", Text: fmt.Sprintf("Earlier conversation summarised (%d %s)", turns, unit)})
}
