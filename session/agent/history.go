package agent

import (
	"encoding/json"
	"fmt"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/session"
)

// ConversationLog persists the conversation so another process can continue it
// (`wend resume`, `wend run --continue`). Each record is one message as JSON,
// appended only once the message can no longer change: a request's messages
// once the request succeeded, the model's answer as soon as it arrived (before
// any of its tool calls runs, so a call that was in flight when wend died is
// known, and answered as interrupted instead of run again).
type ConversationLog interface {
	Append(record []byte) error
}

// save appends the messages not yet persisted. A failed write is reported once
// as a notice; the task goes on, since only a later resume needs the record.
func (e *Engine) save(conv *conversation) {
	if e.cfg.Conversation == nil || conv.saveErr {
		conv.saved = len(conv.messages)
		return
	}
	for ; conv.saved < len(conv.messages); conv.saved++ {
		rec, err := json.Marshal(conv.messages[conv.saved])
		if err == nil {
			err = e.cfg.Conversation.Append(rec)
		}
		if err != nil {
			conv.saveErr = true
			e.log.Append(session.Notice{Level: "warn", Text: "the conversation cannot be saved, so this session cannot be continued in another wend: " + err.Error()})
			return
		}
	}
}

// RestoreConversation reads the records a ConversationLog received back into
// messages for Config.History. A record torn by a crash ends the conversation
// there: what came before it is intact.
func RestoreConversation(records [][]byte) ([]llm.Message, error) {
	var out []llm.Message
	for i, rec := range records {
		var m llm.Message
		if err := json.Unmarshal(rec, &m); err != nil {
			if i == len(records)-1 {
				break
			}
			return nil, fmt.Errorf("conversation record %d: %w", i+1, err)
		}
		if m.Role != llm.RoleUser && m.Role != llm.RoleAssistant {
			return nil, fmt.Errorf("conversation record %d: unknown role %q", i+1, m.Role)
		}
		out = append(out, m)
	}
	return out, nil
}
