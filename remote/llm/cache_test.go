package llm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/remote/llm/llmtest"
)

func TestAnthropicCacheBreakpoints(t *testing.T) {
	srv := llmtest.Start(t, llmtest.Anthropic, llmtest.Script{Turns: []llmtest.Turn{ok}})
	req := testRequest("m")
	req.Messages = append(req.Messages,
		llm.Message{Role: llm.RoleAssistant, Content: []llm.Block{{Type: llm.BlockToolUse, ID: "toolu_01", Name: "grep", Input: json.RawMessage(`{"pattern":"x"}`)}}},
		llm.Message{Role: llm.RoleUser, Content: []llm.Block{{Type: llm.BlockToolResult, ToolUseID: "toolu_01", Content: "a.go:1:x"}, llm.Text("and then?")}})
	var sl sleeper
	if _, err := newProvider(llmtest.Anthropic, srv.URL, &sl).Stream(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	var body struct {
		System []map[string]any `json:"system"`
		Tools  []map[string]any `json:"tools"`
		Msgs   []struct {
			Content []map[string]any `json:"content"`
		} `json:"messages"`
	}
	raw := srv.Requests()[0].Body
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	ephemeral := func(m map[string]any) bool {
		cc, _ := m["cache_control"].(map[string]any)
		return cc["type"] == "ephemeral"
	}
	if len(body.System) != 1 || !ephemeral(body.System[0]) {
		t.Errorf("system has no breakpoint: %v", body.System)
	}
	if len(body.Tools) != 2 || ephemeral(body.Tools[0]) || !ephemeral(body.Tools[1]) {
		t.Errorf("want a breakpoint on the last tool only: %v", body.Tools)
	}
	last := body.Msgs[len(body.Msgs)-1].Content
	if !ephemeral(last[len(last)-1]) {
		t.Errorf("last block of the last message has no breakpoint: %v", last)
	}
	// The API allows four breakpoints; wend uses exactly these three.
	if n := strings.Count(string(raw), `"cache_control"`); n != 3 {
		t.Errorf("%d breakpoints in %s", n, raw)
	}
}

// TestPrefixStability checks that a growing conversation only changes the tail
// of the request body, so provider prompt caches (keyed on the prompt prefix)
// hit. The check, for both dialects: the second body starts with the first body
// up to where the first body's last message begins (model, settings, system,
// tools, and all earlier messages are byte-identical), and that last message is
// serialised identically in the second body too, except for Anthropic's
// cache_control marker, which by design moves to the new last message. The
// Anthropic API finds the earlier cache entry by looking back from the new
// breakpoint, so the moving marker does not cost a cache hit.
func TestPrefixStability(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			srv := llmtest.Start(t, d, llmtest.Script{Turns: []llmtest.Turn{
				{Text: "Reading.", ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: json.RawMessage(`{"path":"a.go"}`)}}},
				{Text: "Done."},
				{Text: "Done."},
			}})
			var sl sleeper
			p := newProvider(d, srv.URL, &sl)
			req := testRequest("m")
			resp, err := p.Stream(context.Background(), req, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Messages = append(req.Messages, resp.Message, llm.Message{Role: llm.RoleUser, Content: []llm.Block{
				{Type: llm.BlockToolResult, ToolUseID: resp.Message.Content[1].ID, Content: "package a // <html> & \"quotes\""}}})
			if _, err := p.Stream(context.Background(), req, nil); err != nil {
				t.Fatal(err)
			}
			// The same request again must give the same bytes.
			if _, err := p.Stream(context.Background(), req, nil); err != nil {
				t.Fatal(err)
			}
			reqs := srv.Requests()
			first, second := reqs[0].Body, reqs[1].Body
			if !bytes.Equal(second, reqs[2].Body) {
				t.Fatalf("serialisation is not deterministic:\n%s\n%s", second, reqs[2].Body)
			}
			msgs1, msgs2 := rawMessages(t, first), rawMessages(t, second)
			lastRaw := msgs1[len(msgs1)-1]
			start := bytes.LastIndex(first, lastRaw)
			if start < 0 || !bytes.HasPrefix(second, first[:start]) {
				t.Fatalf("second body does not start with the first up to its last message:\nfirst:  %s\nsecond: %s", first, second)
			}
			if len(msgs2) <= len(msgs1) {
				t.Fatalf("messages did not grow: %d then %d", len(msgs1), len(msgs2))
			}
			// Only closing bytes may follow the messages: system and tools come
			// before them, or they would sit after the part that changes.
			tail := first[start+len(lastRaw):]
			if len(tail) > len(`],"stream":true}`) || !bytes.HasSuffix(second, tail) {
				t.Errorf("the messages are not the end of the body; after them comes %s", tail)
			}
			unmarked := bytes.ReplaceAll(lastRaw, []byte(`,"cache_control":{"type":"ephemeral"}`), nil)
			if got := msgs2[len(msgs1)-1]; !bytes.Equal(got, unmarked) {
				t.Errorf("the earlier last message changed beyond its cache marker:\nwas: %s\nnow: %s", lastRaw, got)
			}
		})
	}
}

func rawMessages(t *testing.T, body []byte) []json.RawMessage {
	t.Helper()
	var b struct {
		Messages []json.RawMessage `json:"messages"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	return b.Messages
}
