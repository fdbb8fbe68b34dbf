package llm_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/remote/llm/llmtest"
)

var updateWire = flag.Bool("update-wire", false, "rewrite testdata/wire/*.json from the current adapters")

// wireRequest uses every kind of block and the characters JSON encoders treat
// specially, so the golden bodies pin the whole serialisation.
func wireRequest() llm.Request {
	req := testRequest("claude-sonnet-4-5")
	req.MaxTokens = 4096 // room for the thinking budget
	req.Tools = append(req.Tools, llm.Tool{Name: "list", Schema: nil}, llm.Tool{Name: "edit", Description: "Edit <a> & \"b\".",
		Schema: json.RawMessage(`{"type":"object","required":["b","a"],"properties":{"b":{"type":"string"},"a":{"type":"integer"}}}`)})
	req.Messages = append(req.Messages,
		llm.Message{Role: llm.RoleAssistant, Content: []llm.Block{
			{Type: llm.BlockThinking, Thinking: "The <mean> & n-1.", Signature: "EqQBCkYIBxgCKkDsig=="},
			{Type: llm.BlockRedactedThinking, Data: "EmwKAhgBEgy3va3pzix/LafPsn4a"},
			llm.Text("Reading \u2028 <both> & \"files\"."),
			llm.Text(""),
			{Type: llm.BlockToolUse, ID: "toolu_01", Name: "read_file", Input: json.RawMessage(`{"path": "a.go"}`)},
			{Type: llm.BlockToolUse, ID: "toolu_02", Name: "grep", Input: json.RawMessage(`"not an object"`), InputError: "bad"},
			{Type: llm.BlockToolUse, ID: "toolu_03", Name: "list"},
			{Type: llm.BlockOpaque, Raw: json.RawMessage(`{"type":"server_tool_use","id":"srvtoolu_01","name":"web_search","input":{"query":"go <1.26>"}}`)},
		}},
		llm.Message{Role: llm.RoleUser, Content: []llm.Block{
			{Type: llm.BlockToolResult, ToolUseID: "toolu_01", Content: "package a // <html> & \"quotes\""},
			{Type: llm.BlockToolResult, ToolUseID: "toolu_02", Content: "bad arguments", IsError: true},
			{Type: llm.BlockToolResult, ToolUseID: "toolu_03"},
			llm.Text("And then?"),
		}})
	return req
}

// TestRequestsOnTheWire pins the request bodies byte for byte (field order,
// escaping, cache breakpoints, the thinking budget) and the headers that
// authenticate and version a request, against golden files.
func TestRequestsOnTheWire(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			srv := llmtest.Start(t, d, llmtest.Script{Turns: []llmtest.Turn{ok}})
			cfg := llm.Config{APIKey: testKey, BaseURL: srv.URL, ThinkingBudget: 2048}
			p := llm.NewOpenAI(cfg)
			if d == llmtest.Anthropic {
				p = llm.NewAnthropic(cfg)
			}
			if _, err := p.Stream(context.Background(), wireRequest(), nil); err != nil {
				t.Fatal(err)
			}
			got := srv.Requests()[0].Body
			path := filepath.Join("testdata", "wire", string(d)+".json")
			if *updateWire {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(unescapeHTML(strings.TrimSuffix(string(want), "\n")), unescapeHTML(string(got))); diff != "" {
				t.Errorf("request body (-want +got):\n%s", diff)
			}
		})
	}
}

// unescapeHTML undoes the \u003c-style escapes of < > &, which change no
// JSON value: the golden files were written by the SDK adapters, which
// escaped them, and pin everything else byte for byte.
func unescapeHTML(s string) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(s)
}

// seenRequest is what a bare test server saw of one request.
type seenRequest struct {
	path   string
	header http.Header
}

// recordingServer answers every request with a short complete stream of the
// dialect, and records its path and headers.
func recordingServer(t *testing.T, d llmtest.Dialect) (*httptest.Server, func() []seenRequest) {
	var mu sync.Mutex
	var seen []seenRequest
	stream := "data: " + `{"choices":[{"index":0,"delta":{"content":"Hi."},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n"
	if d == llmtest.Anthropic {
		stream = "event: message_start\ndata: " + `{"type":"message_start","message":{"usage":{"input_tokens":1}}}` +
			"\n\nevent: content_block_start\ndata: " + `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"Hi."}}` +
			"\n\nevent: message_delta\ndata: " + `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}` +
			"\n\nevent: message_stop\ndata: " + `{"type":"message_stop"}` + "\n\n"
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, seenRequest{path: r.URL.Path, header: r.Header.Clone()})
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte(stream))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seenRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]seenRequest(nil), seen...)
	}
}

// TestBaseURLAndHeaders: the endpoint path is appended to base_url whether or
// not it ends in a slash, under any path prefix a gateway has; the key travels
// in the dialect's header only (x-api-key for Anthropic, a bearer token for
// OpenAI), and is left out when there is none (local servers); Anthropic
// requests name the API version.
func TestBaseURLAndHeaders(t *testing.T) {
	for _, c := range []struct {
		d        llmtest.Dialect
		suffix   string
		key      string
		wantPath string
		want     map[string]string // header: value ("" means absent)
	}{
		{llmtest.Anthropic, "", testKey, "/v1/messages",
			map[string]string{"X-Api-Key": testKey, "Anthropic-Version": "2023-06-01", "Content-Type": "application/json", "Authorization": ""}},
		{llmtest.Anthropic, "/gateway/anthropic/", testKey, "/gateway/anthropic/v1/messages", map[string]string{"X-Api-Key": testKey}},
		{llmtest.Anthropic, "/gateway/anthropic", "", "/gateway/anthropic/v1/messages", map[string]string{"X-Api-Key": "", "Authorization": ""}},
		{llmtest.OpenAI, "/v1", testKey, "/v1/chat/completions",
			map[string]string{"Authorization": "Bearer " + testKey, "Content-Type": "application/json", "X-Api-Key": ""}},
		{llmtest.OpenAI, "/api/v1/", testKey, "/api/v1/chat/completions", map[string]string{"Authorization": "Bearer " + testKey}},
		{llmtest.OpenAI, "", testKey, "/chat/completions", map[string]string{"Authorization": "Bearer " + testKey}},
		{llmtest.OpenAI, "/v1", "", "/v1/chat/completions", map[string]string{"Authorization": "", "X-Api-Key": ""}},
	} {
		srv, seen := recordingServer(t, c.d)
		cfg := llm.Config{APIKey: c.key, BaseURL: srv.URL + c.suffix}
		p := llm.NewOpenAI(cfg)
		if c.d == llmtest.Anthropic {
			p = llm.NewAnthropic(cfg)
		}
		resp, err := p.Stream(context.Background(), testRequest("m"), nil)
		if err != nil {
			t.Errorf("%s %q: %v", c.d, c.suffix, err)
			continue
		}
		if resp.Message.Content[0].Text != "Hi." {
			t.Errorf("%s %q: answer %+v", c.d, c.suffix, resp.Message)
		}
		r := seen()
		if len(r) != 1 || r[0].path != c.wantPath {
			t.Errorf("%s %q: requests %+v, want one to %s", c.d, c.suffix, r, c.wantPath)
			continue
		}
		for k, v := range c.want {
			if got := r[0].header.Get(k); got != v {
				t.Errorf("%s %q: header %s = %q, want %q", c.d, c.suffix, k, got, v)
			}
		}
	}
}

// TestErrorBodiesInAnyShape: whatever a server or a proxy in front of it
// answers with, the user reads its words, never the key.
func TestErrorBodiesInAnyShape(t *testing.T) {
	for _, d := range dialects {
		for _, c := range []struct {
			status int
			body   string
			kind   llm.ErrorKind
			want   string
		}{
			{502, "<html><body>Bad gateway: upstream connect error</body></html>", llm.ErrServer, "upstream connect error"},
			{400, `{"error":"unknown field \"thinking\" for key ` + testKey + `"}`, llm.ErrBadRequest, `unknown field "thinking" for key [redacted]`},
			{400, `{"type":"error","error":{"type":"invalid_request_error","message":"messages: at least one message is required"}}`, llm.ErrBadRequest, "at least one message is required"},
		} {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(c.status)
				w.Write([]byte(c.body))
			}))
			base := srv.URL
			if d == llmtest.OpenAI {
				base += "/v1"
			}
			var sl sleeper
			_, err := newProvider(d, base, &sl).Stream(context.Background(), testRequest("m"), nil)
			srv.Close()
			e := mustKind(t, err, c.kind)
			if !strings.Contains(e.Message, c.want) || e.Status != c.status {
				t.Errorf("%s %d: %v, want the message to contain %q", d, c.status, err, c.want)
			}
			if all := err.Error() + " " + fmt.Sprint(e.Err); strings.Contains(all, testKey) {
				t.Errorf("%s %d: error leaks the key: %s", d, c.status, all)
			}
		}
	}
}

// TestAnthropicErrorWithoutEventName: an error a gateway writes as a bare
// data: line (no "event: error") is still the provider's error, classified
// and retried like the named event, not mistaken for a cut stream.
func TestAnthropicErrorWithoutEventName(t *testing.T) {
	start := "event: message_start\ndata: " + `{"type":"message_start","message":{"usage":{"input_tokens":1,"output_tokens":1}}}` + "\n\n"
	overloaded := `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`
	srv := llmtest.Start(t, llmtest.Anthropic, llmtest.Script{Turns: []llmtest.Turn{{Raw: start + "data: " + overloaded + "\n\n"}, ok}})
	var sl sleeper
	var seen deltas
	if _, err := newProvider(llmtest.Anthropic, srv.URL, &sl).Stream(context.Background(), testRequest("m"), seen.add); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"provider overloaded; retrying in 750ms (attempt 2/3)"}, seen.of("retry")); diff != "" {
		t.Errorf("retry notices (-want +got):\n%s", diff)
	}
}

// TestBaseURLWithoutScheme: a base_url written without http:// is a setting
// to fix, said at once, not a dropped connection retried.
func TestBaseURLWithoutScheme(t *testing.T) {
	for _, d := range dialects {
		var sl sleeper
		_, err := newProvider(d, "localhost:11434/v1", &sl).Stream(context.Background(), testRequest("m"), nil)
		e := mustKind(t, err, llm.ErrUnreachable)
		if !strings.Contains(e.Message, "http://") || !strings.Contains(e.Message, "--base-url") || len(sl.Waits()) != 0 {
			t.Errorf("%s: %v (waits %v)", d, err, sl.Waits())
		}
	}
}
