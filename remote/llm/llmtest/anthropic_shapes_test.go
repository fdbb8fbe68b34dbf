package llmtest_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/wend/wend/remote/llm/llmtest"
)

// accumulated is a Messages stream folded into the message it describes.
type accumulated struct {
	Content     []accBlock
	StopReason  string
	StopDetails struct{ Explanation string }
}

type accBlock struct {
	Type, Text, ID, Name, Thinking, Signature, Data string
	// Input is the tool input's JSON as its deltas carried it.
	Input string `json:"-"`
}

// accumulate folds the fake's stream into a message by the documented rules,
// strictly: each event's data names the event's type, deltas only extend a
// started block of the matching kind, and nothing follows message_stop. It
// decodes plain JSON, independently of the adapter under test.
func accumulate(t *testing.T, body string) (accumulated, []string) {
	t.Helper()
	names, data := events(body)
	var msg accumulated
	var blocks []*accBlock
	fits := map[string]string{"text_delta": "text", "input_json_delta": "tool_use",
		"thinking_delta": "thinking", "signature_delta": "thinking"}
	stopped := false
	for i, d := range data {
		var ev struct {
			Type         string
			Index        int
			ContentBlock *accBlock `json:"content_block"`
			Delta        struct {
				Type, Text, Thinking, Signature string
				PartialJSON                     string                        `json:"partial_json"`
				StopReason                      string                        `json:"stop_reason"`
				StopDetails                     *struct{ Explanation string } `json:"stop_details"`
			}
		}
		if err := json.Unmarshal([]byte(d), &ev); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if ev.Type != names[i] || stopped {
			t.Fatalf("event %d: data of type %q under event %q (after message_stop: %v)", i, ev.Type, names[i], stopped)
		}
		switch ev.Type {
		case "ping", "error", "message_start":
		case "content_block_start":
			if ev.Index != len(blocks) || ev.ContentBlock == nil {
				t.Fatalf("event %d: block %d starts after %d blocks", i, ev.Index, len(blocks))
			}
			blocks = append(blocks, ev.ContentBlock)
		case "content_block_delta":
			if ev.Index >= len(blocks) || fits[ev.Delta.Type] != blocks[ev.Index].Type {
				t.Fatalf("event %d: %s for block %d of %d", i, ev.Delta.Type, ev.Index, len(blocks))
			}
			b := blocks[ev.Index]
			b.Text += ev.Delta.Text
			b.Thinking += ev.Delta.Thinking
			b.Signature += ev.Delta.Signature
			b.Input += ev.Delta.PartialJSON
		case "content_block_stop":
			if ev.Index >= len(blocks) {
				t.Fatalf("event %d: stop of block %d of %d", i, ev.Index, len(blocks))
			}
		case "message_delta":
			msg.StopReason = ev.Delta.StopReason
			if ev.Delta.StopDetails != nil {
				msg.StopDetails = *ev.Delta.StopDetails
			}
		case "message_stop":
			stopped = true
		default:
			t.Fatalf("event %d: unknown type %q", i, ev.Type)
		}
	}
	for _, b := range blocks {
		msg.Content = append(msg.Content, *b)
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
	msg, names := accumulate(t, body)
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
			msg, _ := accumulate(t, body)
			if msg.StopReason != reason {
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
