package llm

import (
	"fmt"
	"slices"
	"strings"
)

// diverges says how req departs from the recorded request, or "" when it
// matches. It compares the shape of the conversation, not every byte: the number
// and roles of messages, which tool calls were made and which ones the tool
// results answer, and what the user typed. Tool outputs and the first user
// message are not compared: they hold facts of the machine that made the
// recording (paths, listings, dates) and differ on every other machine.
func diverges(req, rec Request) string {
	if len(req.Messages) != len(rec.Messages) {
		return fmt.Sprintf("the request has %d messages, the recording %d", len(req.Messages), len(rec.Messages))
	}
	for i := range req.Messages {
		got, want := req.Messages[i], rec.Messages[i]
		at := fmt.Sprintf("message %d", i+1)
		if got.Role != want.Role {
			return fmt.Sprintf("%s is from the %s, in the recording from the %s", at, got.Role, want.Role)
		}
		if g, w := toolUses(got), toolUses(rec.Messages[i]); !slices.Equal(g, w) {
			return fmt.Sprintf("%s calls tools %v, in the recording %v", at, g, w)
		}
		if g, w := toolResults(req.Messages, i), toolResults(rec.Messages, i); !slices.Equal(g, w) {
			return fmt.Sprintf("%s answers tool calls %v, in the recording %v", at, g, w)
		}
		if got.Role == RoleUser && i > 0 {
			if g, w := texts(got), texts(want); !slices.Equal(g, w) {
				return fmt.Sprintf("%s says %s, in the recording %s", at, quoteAll(g), quoteAll(w))
			}
		}
	}
	return ""
}

// toolUses lists a message's tool calls as "id name".
func toolUses(m Message) []string {
	var out []string
	for _, b := range m.Content {
		if b.Type == BlockToolUse {
			out = append(out, b.ID+" "+b.Name)
		}
	}
	return out
}

// toolResults lists the calls that message i's tool results answer, as "id name",
// naming each call from the tool_use it answers in an earlier message.
func toolResults(msgs []Message, i int) []string {
	var out []string
	for _, b := range msgs[i].Content {
		if b.Type != BlockToolResult {
			continue
		}
		name := "(no such call)"
		for j := i - 1; j >= 0 && name == "(no such call)"; j-- {
			for _, u := range msgs[j].Content {
				if u.Type == BlockToolUse && u.ID == b.ToolUseID {
					name = u.Name
				}
			}
		}
		out = append(out, b.ToolUseID+" "+name)
	}
	return out
}

func texts(m Message) []string {
	var out []string
	for _, b := range m.Content {
		if b.Type == BlockText {
			out = append(out, b.Text)
		}
	}
	return out
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		if r := []rune(s); len(r) > 60 {
			s = string(r[:57]) + "..."
		}
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, " ") + "]"
}
