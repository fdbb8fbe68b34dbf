package llm_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/remote/llm/llmtest"
)

// TestConversation drives each real adapter through a scripted two-turn
// conversation: text plus a tool call whose arguments arrive in many pieces,
// then the tool result goes back and a final answer comes.
func TestConversation(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			args := `{"path":"internal/very/long/path/to/the_file_under_test.go","limit":200}`
			srv := llmtest.Start(t, d, llmtest.Script{APIKey: testKey, Turns: []llmtest.Turn{
				{Text: "Let me read the failing test first.", ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: json.RawMessage(args)}},
					Usage: &llm.Usage{InputTokens: 1200, OutputTokens: 57, CacheReadTokens: 900, CacheWriteTokens: 300}},
				{Text: "The test expects ü — fixed.", Usage: &llm.Usage{InputTokens: 40, OutputTokens: 9, CacheReadTokens: 1500}},
			}})
			var sl sleeper
			p := newProvider(d, srv.URL, &sl)
			req := testRequest("model-x")

			var seen deltas
			resp, err := p.Stream(context.Background(), req, seen.add)
			if err != nil {
				t.Fatal(err)
			}
			id := map[llmtest.Dialect]string{llmtest.Anthropic: "toolu_01", llmtest.OpenAI: "call_01"}[d]
			want := &llm.Response{
				Message: llm.Message{Role: llm.RoleAssistant, Content: []llm.Block{
					llm.Text("Let me read the failing test first."),
					{Type: llm.BlockToolUse, ID: id, Name: "read_file", Input: json.RawMessage(args)},
				}},
				StopReason: llm.StopToolUse,
				Usage:      llm.Usage{InputTokens: 1200, OutputTokens: 57, CacheReadTokens: 900, CacheWriteTokens: 300},
			}
			if diff := cmp.Diff(want, resp); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
			if got := seen.text(); got != "Let me read the failing test first." {
				t.Errorf("streamed text %q", got)
			}
			if n := len(seen.of("text")); n < 4 {
				t.Errorf("text arrived in %d deltas, want it streamed in pieces", n)
			}
			if diff := cmp.Diff([]string{"read_file"}, seen.of("tool")); diff != "" {
				t.Errorf("ToolStarted deltas (-want +got):\n%s", diff)
			}
			if bodies := srv.Requests(); len(bodies) != 1 || !strings.Contains(string(bodies[0].Body), `"stream":true`) {
				t.Fatalf("want one streaming request, got %d", len(bodies))
			}

			// Second turn: answer the tool call, get the final text.
			req.Messages = append(req.Messages, resp.Message, llm.Message{Role: llm.RoleUser, Content: []llm.Block{
				{Type: llm.BlockToolResult, ToolUseID: id, Content: "package x\n\nfunc TestX(t *testing.T) {}"},
			}})
			seen = deltas{}
			resp2, err := p.Stream(context.Background(), req, seen.add)
			if err != nil {
				t.Fatal(err)
			}
			want2 := &llm.Response{
				Message:    llm.Message{Role: llm.RoleAssistant, Content: []llm.Block{llm.Text("The test expects ü — fixed.")}},
				StopReason: llm.StopEnd,
				Usage:      llm.Usage{InputTokens: 40, OutputTokens: 9, CacheReadTokens: 1500},
			}
			if diff := cmp.Diff(want2, resp2); diff != "" {
				t.Errorf("second response (-want +got):\n%s", diff)
			}
			// The server saw the tool result answering the call it made.
			sent := srv.Requests()[1].Parsed
			last := sent.Messages[len(sent.Messages)-1]
			if len(last.Content) != 1 || last.Content[0].ToolUseID != id || !strings.Contains(last.Content[0].Content, "TestX") {
				t.Errorf("tool result sent as %+v", last)
			}
			prev := sent.Messages[len(sent.Messages)-2]
			if prev.Role != llm.RoleAssistant || len(prev.Content) != 2 || prev.Content[1].ID != id || string(prev.Content[1].Input) != args {
				t.Errorf("assistant turn sent back as %+v", prev)
			}
			if sent.System != req.System || len(sent.Tools) != 2 || sent.Tools[1].Name != "grep" {
				t.Errorf("system/tools sent as %q / %+v", sent.System, sent.Tools)
			}
			if waits := sl.Waits(); len(waits) != 0 {
				t.Errorf("no retries expected, slept %v", waits)
			}
		})
	}
}
