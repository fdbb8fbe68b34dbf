package llmtest_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/google/go-cmp/cmp"

	"gitlab.com/wend/wend/remote/llm/llmtest"
)

// sdkAccumulate feeds the fake's stream to the official SDK's accumulator, so
// the shapes are checked against the provider's own reading of them, not ours.
func sdkAccumulate(t *testing.T, body string) (anthropic.Message, []string) {
	t.Helper()
	names, data := events(body)
	var msg anthropic.Message
	for i, d := range data {
		if names[i] == "ping" || names[i] == "error" {
			continue
		}
		var ev anthropic.MessageStreamEventUnion
		if err := ev.UnmarshalJSON([]byte(d)); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if err := msg.Accumulate(ev); err != nil {
			t.Fatalf("event %d (%s): %v", i, names[i], err)
		}
	}
	return msg, names
}

func TestAnthropicThinkingShapes(t *testing.T) {
	srv := startAnthropic(t, llmtest.Script{Turns: []llmtest.Turn{{
		Text:      "Reading it.",
		ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: []byte(`{"path":"a.go"}`)}},
		Anthropic: &llmtest.AnthropicTurn{Thinking: []llmtest.ThinkingBlock{
			{Thinking: "The test fails because the mean divides by n-1.", Signature: "EqQBCkYIBxgCKkDsig=="},
			{Data: "EmwKAhgBEgy3va3pzix/LafPsn4a"},
		}},
	}}})
	_, _, body := post(t, srv, llmtest.Anthropic, "", `{"model":"m","max_tokens":5,"messages":[]}`)
	msg, names := sdkAccumulate(t, body)
	if names[2] != "ping" {
		t.Errorf("no ping after the first block start: %v", names)
	}
	var got []string
	for _, b := range msg.Content {
		got = append(got, b.Type+":"+b.Thinking+b.Signature+b.Data+b.Text+b.Name)
	}
	want := []string{"thinking:The test fails because the mean divides by n-1.EqQBCkYIBxgCKkDsig==",
		"redacted_thinking:EmwKAhgBEgy3va3pzix/LafPsn4a", "text:Reading it.", "tool_use:read_file"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("blocks (-want +got):\n%s", diff)
	}
}

func TestAnthropicStopShapes(t *testing.T) {
	for _, reason := range []string{"end_turn", "tool_use", "max_tokens", "stop_sequence", "pause_turn", "refusal", "model_context_window_exceeded"} {
		t.Run(reason, func(t *testing.T) {
			turn := llmtest.Turn{Text: "Some words.", StopReason: reason}
			if reason == "refusal" {
				turn.Anthropic = &llmtest.AnthropicTurn{StopExplanation: "Declined by a policy classifier."}
			}
			srv := startAnthropic(t, llmtest.Script{Turns: []llmtest.Turn{turn}})
			_, _, body := post(t, srv, llmtest.Anthropic, "", `{"model":"m","max_tokens":5,"messages":[]}`)
			msg, _ := sdkAccumulate(t, body)
			if string(msg.StopReason) != reason {
				t.Errorf("stop_reason %q", msg.StopReason)
			}
			if reason == "refusal" && msg.StopDetails.Explanation != "Declined by a policy classifier." {
				t.Errorf("stop_details %+v", msg.StopDetails)
			}
		})
	}
}

func TestAnthropicEndingsAndErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		turn llmtest.AnthropicTurn
		last []string
	}{
		{"error after content", llmtest.AnthropicTurn{Error: &llmtest.StreamError{Type: "overloaded_error", Message: "Overloaded"}},
			[]string{"content_block_stop", "error"}},
		{"early error", llmtest.AnthropicTurn{Error: &llmtest.StreamError{Type: "api_error", Message: "Internal server error", Early: true}},
			[]string{"message_start", "error"}},
		{"no message_stop", llmtest.AnthropicTurn{End: "no_message_stop"}, []string{"content_block_stop", "message_delta"}},
		{"no message_delta", llmtest.AnthropicTurn{End: "no_message_delta"}, []string{"content_block_delta", "content_block_stop"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			turn := c.turn
			srv := startAnthropic(t, llmtest.Script{Turns: []llmtest.Turn{{Text: "Hello there.", Anthropic: &turn}}})
			_, _, body := post(t, srv, llmtest.Anthropic, "", `{"model":"m","max_tokens":5,"messages":[]}`)
			names, data := events(body)
			if diff := cmp.Diff(c.last, names[len(names)-2:]); diff != "" {
				t.Errorf("stream end (-want +got):\n%s", diff)
			}
			if turn.Error != nil && !strings.Contains(data[len(data)-1], `"error":{"type":"`+turn.Error.Type+`","message":"`+turn.Error.Message+`"}`) {
				t.Errorf("error event %s", data[len(data)-1])
			}
		})
	}
}

func TestAnthropicCutToolInput(t *testing.T) {
	srv := startAnthropic(t, llmtest.Script{Turns: []llmtest.Turn{{StopReason: "max_tokens",
		ToolCalls: []llmtest.ToolCall{{Name: "create_file", Args: []byte(`{"path":"big.go","content":"package big"}`)}},
		Anthropic: &llmtest.AnthropicTurn{CutInputAt: 20}}}})
	_, _, body := post(t, srv, llmtest.Anthropic, "", `{"model":"m","max_tokens":5,"messages":[]}`)
	_, data := events(body)
	var input strings.Builder
	for _, d := range data {
		var ev struct {
			Delta struct {
				PartialJSON string `json:"partial_json"`
			} `json:"delta"`
		}
		if err := json.Unmarshal([]byte(d), &ev); err != nil {
			t.Fatal(err)
		}
		input.WriteString(ev.Delta.PartialJSON)
	}
	if got := input.String(); got != `{"path":"big.go","co` {
		t.Errorf("input %q, want the first 20 bytes", got)
	}
	if !strings.Contains(body, `"stop_reason":"max_tokens"`) || !strings.Contains(body, "content_block_stop") {
		t.Errorf("a max_tokens cut still closes the block and says why:\n%s", body)
	}
}
