package llmtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/remote/llm/llmtest"
)

// post sends a minimal request in the dialect and returns status and body.
func post(t *testing.T, srv *llmtest.Server, d llmtest.Dialect, key, body string) (int, http.Header, string) {
	t.Helper()
	url := srv.URL + "/v1/messages"
	if d == llmtest.OpenAI {
		url = srv.URL + "/chat/completions"
	}
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if d == llmtest.Anthropic {
		req.Header.Set("x-api-key", key)
	} else {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

func startAnthropic(t *testing.T, s llmtest.Script) *llmtest.Server {
	srv := llmtest.NewServer(llmtest.Anthropic, s)
	t.Cleanup(srv.Close)
	return srv
}

// events returns the "event:" names of an Anthropic stream and the data lines.
func events(body string) (names []string, data []string) {
	for _, line := range strings.Split(body, "\n") {
		if n, ok := strings.CutPrefix(line, "event: "); ok {
			names = append(names, n)
		}
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			data = append(data, d)
		}
	}
	return names, data
}

func TestAnthropicWireFormat(t *testing.T) {
	args := `{"path":"cmd/wend/main.go","offset":10}`
	srv := startAnthropic(t, llmtest.Script{Turns: []llmtest.Turn{{Text: "Reading it.",
		ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: json.RawMessage(args)}, {Name: "grep", Args: json.RawMessage(`{"pattern":"x"}`)}}}}})
	status, hdr, body := post(t, srv, llmtest.Anthropic, "", `{"model":"claude-x","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"stream":true}`)
	if status != 200 || hdr.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, content type %q", status, hdr.Get("Content-Type"))
	}
	names, data := events(body)
	// Collapse repeated deltas to check the documented order of events.
	var order []string
	for _, n := range names {
		if len(order) == 0 || order[len(order)-1] != n {
			order = append(order, n)
		}
	}
	want := []string{"message_start", "content_block_start", "ping", "content_block_delta", "content_block_stop",
		"content_block_start", "content_block_delta", "content_block_stop",
		"content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("event order (-want +got):\n%s", diff)
	}
	var pieces []string
	ids := []string{}
	for _, d := range data {
		var ev struct {
			Type         string `json:"type"`
			Index        int    `json:"index"`
			ContentBlock struct {
				Type, ID, Name string
			} `json:"content_block"`
			Delta struct {
				Type        string `json:"type"`
				PartialJSON string `json:"partial_json"`
				StopReason  string `json:"stop_reason"`
			} `json:"delta"`
			Message struct {
				Model string `json:"model"`
			} `json:"message"`
		}
		if err := json.Unmarshal([]byte(d), &ev); err != nil {
			t.Fatalf("data line is not JSON: %s", d)
		}
		switch {
		case ev.Type == "message_start" && ev.Message.Model != "claude-x":
			t.Errorf("model %q not echoed", ev.Message.Model)
		case ev.Type == "content_block_start" && ev.ContentBlock.Type == "tool_use":
			ids = append(ids, ev.ContentBlock.ID)
		case ev.Delta.Type == "input_json_delta" && ev.Index == 1:
			pieces = append(pieces, ev.Delta.PartialJSON)
		case ev.Type == "message_delta" && ev.Delta.StopReason != "tool_use":
			t.Errorf("stop_reason %q", ev.Delta.StopReason)
		}
	}
	if strings.Join(pieces, "") != args || len(pieces) < 10 {
		t.Errorf("arguments %q arrived in %d pieces, want them whole and in many", strings.Join(pieces, ""), len(pieces))
	}
	if diff := cmp.Diff([]string{"toolu_01", "toolu_02"}, ids); diff != "" {
		t.Errorf("tool ids (-want +got):\n%s", diff)
	}
}

func TestOpenAIWireFormat(t *testing.T) {
	args := `{"path":"cmd/wend/main.go"}`
	srv := llmtest.NewServer(llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{{Text: "Reading.",
		ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: json.RawMessage(args)}},
		Usage:     &llm.Usage{InputTokens: 10, OutputTokens: 3, CacheReadTokens: 90}}}})
	defer srv.Close()
	_, _, body := post(t, srv, llmtest.OpenAI, "", `{"model":"gpt-x","messages":[{"role":"user","content":"hi"}],"stream":true}`)
	_, data := events(body)
	if data[len(data)-1] != "[DONE]" {
		t.Fatalf("stream does not end with [DONE]: %q", data[len(data)-1])
	}
	var pieces []string
	var first, finish, id string
	var usage map[string]any
	for _, d := range data[:len(data)-1] {
		var ch struct {
			Object  string `json:"object"`
			Choices []struct {
				Delta struct {
					ToolCalls []struct {
						Index    int    `json:"index"`
						ID       string `json:"id"`
						Function struct{ Name, Arguments string }
					} `json:"tool_calls"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
			Usage map[string]any `json:"usage"`
		}
		if err := json.Unmarshal([]byte(d), &ch); err != nil || ch.Object != "chat.completion.chunk" {
			t.Fatalf("not a chunk: %s", d)
		}
		if ch.Usage != nil {
			usage = ch.Usage
			if len(ch.Choices) != 0 {
				t.Errorf("usage chunk has choices: %s", d)
			}
		}
		for _, c := range ch.Choices {
			for _, tc := range c.Delta.ToolCalls {
				if tc.ID != "" {
					id, first = tc.ID, tc.Function.Name
				}
				pieces = append(pieces, tc.Function.Arguments)
			}
			if c.FinishReason != nil {
				finish = *c.FinishReason
			}
		}
	}
	if strings.Join(pieces, "") != args || len(pieces) < 5 || id != "call_01" || first != "read_file" {
		t.Errorf("tool call %s %s, arguments %q in %d pieces", id, first, strings.Join(pieces, ""), len(pieces))
	}
	if finish != "tool_calls" {
		t.Errorf("finish_reason %q", finish)
	}
	if usage["prompt_tokens"] != float64(100) || usage["completion_tokens"] != float64(3) {
		t.Errorf("usage %v (prompt_tokens includes the cached ones)", usage)
	}
}

func TestAuthAndScriptEnd(t *testing.T) {
	srv := startAnthropic(t, llmtest.Script{APIKey: "right", Turns: []llmtest.Turn{{Text: "ok"}}})
	status, _, body := post(t, srv, llmtest.Anthropic, "wrong", `{"model":"m"}`)
	if status != 401 || !strings.Contains(body, `"authentication_error"`) {
		t.Errorf("wrong key: %d %s", status, body)
	}
	if status, _, _ := post(t, srv, llmtest.Anthropic, "right", `{"model":"m"}`); status != 200 {
		t.Errorf("right key: %d", status)
	}
	if len(srv.Problems()) != 0 {
		t.Errorf("problems before the end: %v", srv.Problems())
	}
	status, _, body = post(t, srv, llmtest.Anthropic, "right", `{"model":"m"}`)
	if status != 500 || len(srv.Problems()) != 1 || !strings.Contains(srv.Problems()[0], "after the script's 1 turns") {
		t.Errorf("past the end: %d %s, problems %v", status, body, srv.Problems())
	}
	for _, r := range srv.Requests() {
		if r.Header.Get("X-Api-Key") == "right" {
			t.Error("the recorded request keeps the key")
		}
	}
}

// TestFuncTurn: a turn computed from the request, echoing the id the client sent.
func TestFuncTurn(t *testing.T) {
	var srv *llmtest.Server
	srv = startAnthropic(t, llmtest.Script{Turns: []llmtest.Turn{{Func: func(r llmtest.Request) llmtest.Turn {
		if n := len(srv.Requests()); n != 1 || r.Turn != 1 {
			t.Errorf("Func sees %d requests, turn %d", n, r.Turn)
		}
		last := r.Parsed.Messages[len(r.Parsed.Messages)-1]
		return llmtest.Turn{Text: "you answered " + last.Content[0].ToolUseID + ": " + last.Content[0].Content}
	}}}})
	_, _, body := post(t, srv, llmtest.Anthropic, "", `{"model":"m","messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_07","content":[{"type":"text","text":"42"}]}]}]}`)
	var text strings.Builder
	_, data := events(body)
	for _, d := range data {
		var ev struct {
			Delta struct{ Text string } `json:"delta"`
		}
		json.Unmarshal([]byte(d), &ev)
		text.WriteString(ev.Delta.Text)
	}
	if text.String() != "you answered toolu_07: 42" {
		t.Errorf("streamed %q", text.String())
	}
}

func TestLoadScript(t *testing.T) {
	s, err := llmtest.LoadScript("testdata/example.json")
	if err != nil {
		t.Fatal(err)
	}
	if s.APIKey != "test-key" || len(s.Turns) != 3 || s.Turns[0].Fault.Status != 429 ||
		s.Turns[1].ToolCalls[0].Name != "read_file" || s.Turns[1].Usage.CacheReadTokens != 1000 {
		t.Errorf("loaded %+v", s)
	}
	for body, want := range map[string]string{
		`{"turns":[{"txt":"typo"}]}`:                                        "unknown field",
		`{"turns":[{"text":"a","fault":{"status":500}}]}`:                   "turn 1",
		`{"turns":[{"tool_calls":[{"args":{}}]}]}`:                          "without a name",
		`{"turns":[{"text":"a"},{"tool_calls":[{"name":"x","args":"{"}]}]}`: "turn 2",
	} {
		if _, err := llmtest.ParseScript([]byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseScript(%s) = %v, want an error mentioning %q", body, err, want)
		}
	}
}
