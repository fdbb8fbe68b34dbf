package agent

import (
	"strings"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/session"
)

// A session is a conversation of many tasks. The first task's message carries
// the repository's facts and instructions; a follow-up (typed after a task
// finished, failed or was stopped) is appended to the same conversation, so the
// model sees everything so far and every earlier request stays a byte prefix
// of the next one: provider prompt caches keep hitting across tasks.

// openTask returns the conversation with task's message as its newest user
// message, ready for the boundary notes of the first turn.
func (e *Engine) openTask(task session.Task) *conversation {
	if e.conv == nil {
		e.conv = &conversation{system: systemPrompt, tools: e.toolSpecs()}
		if len(e.cfg.History) == 0 {
			e.conv.messages = append(e.conv.messages, llm.Message{
				Role:    llm.RoleUser,
				Content: []llm.Block{llm.Text(firstMessage(task, e.cfg))},
			})
			return e.conv
		}
		e.conv.messages = append(e.conv.messages, e.cfg.History...)
		e.conv.saved = len(e.conv.messages) // they came from the store
	}
	conv := e.conv
	conv.closeCalls(func(id string) llm.Block {
		if r, ok := e.cfg.Recorded[id]; ok {
			return toolResult(id, r.Output+"\n[wend: this result was recorded before wend stopped]", r.IsError)
		}
		return toolResult(id, danglingNote, true)
	})
	text := llm.Text(followUpMessage(task))
	if last := &conv.messages[len(conv.messages)-1]; last.Role == llm.RoleUser {
		// The previous task ended with tool results or a request that failed:
		// the new task joins that message (two user turns in a row are not
		// valid everywhere).
		last.Content = append(last.Content, text)
	} else {
		conv.messages = append(conv.messages, llm.Message{Role: llm.RoleUser, Content: []llm.Block{text}})
	}
	return conv
}

// danglingNote answers a tool call that has no result: the task ended (stop,
// failure, a crash of wend) before the call ran or while it ran.
const danglingNote = "not run, or interrupted before it finished: the task ended first. Check the files before repeating it."

// closeCalls answers every tool call of the last assistant message that has
// no result yet, so the history is valid for every provider.
func (c *conversation) closeCalls(answer func(id string) llm.Block) {
	n := len(c.messages)
	if n == 0 {
		return
	}
	ai := n - 1
	if c.messages[ai].Role != llm.RoleAssistant {
		ai = n - 2
	}
	if ai < 0 || c.messages[ai].Role != llm.RoleAssistant {
		return
	}
	answered := map[string]bool{}
	if ai == n-2 {
		for _, b := range c.messages[n-1].Content {
			if b.Type == llm.BlockToolResult {
				answered[b.ToolUseID] = true
			}
		}
	}
	var missing []llm.Block
	for _, b := range c.messages[ai].Content {
		if b.Type == llm.BlockToolUse && !answered[b.ID] {
			missing = append(missing, answer(b.ID))
		}
	}
	if len(missing) == 0 {
		return
	}
	if ai == n-1 {
		c.messages = append(c.messages, llm.Message{Role: llm.RoleUser, Content: missing})
		return
	}
	// Results go before any text in a user message (Anthropic's rule).
	last := &c.messages[n-1]
	var results, rest []llm.Block
	for _, b := range last.Content {
		if b.Type == llm.BlockToolResult {
			results = append(results, b)
		} else {
			rest = append(rest, b)
		}
	}
	last.Content = append(append(results, missing...), rest...)
}

// followUpMessage is a later task of the session. The repository's facts and
// instructions are in the first message already.
func followUpMessage(task session.Task) string {
	var b strings.Builder
	if task.Retry {
		b.WriteString("# Task (again)\nThe previous task did not complete. Try it again, starting from where the files are now:\n")
	} else {
		b.WriteString("# Next task\nThe previous task has ended. The user's next task, in the same repository:\n")
	}
	b.WriteString(strings.TrimSpace(task.Text))
	b.WriteString("\n")
	for _, c := range task.Context {
		b.WriteString("\n# Context: " + c.Title + " (" + c.Ref + ")\n")
		b.WriteString(strings.TrimSpace(c.Body))
		b.WriteString("\n")
	}
	return b.String()
}
