package llm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/remote/llm/llmtest"
)

var ok = llmtest.Turn{Text: "All good."}

// TestTransientFaultsAreRetried: each fault is followed by a success; the call
// must succeed after exactly the expected wait, announced through a Retry delta.
func TestTransientFaultsAreRetried(t *testing.T) {
	type tc struct {
		name      string
		fault     llmtest.Turn
		wait      time.Duration
		retryText string
	}
	cases := []tc{
		{"429 Retry-After seconds", llmtest.Turn{Fault: &llmtest.Fault{Status: 429, Headers: map[string]string{"Retry-After": "3"}}},
			3 * time.Second, "rate limited (429); retrying in 3s (attempt 2/3)"},
		{"429 retry-after-ms wins", llmtest.Turn{Fault: &llmtest.Fault{Status: 429, Headers: map[string]string{"Retry-After": "2", "retry-after-ms": "1500"}}},
			1500 * time.Millisecond, "rate limited (429); retrying in 1.5s (attempt 2/3)"},
		// No Retry-After: backoff of BaseDelay 1s with jitter fixed at 0.5 is 750ms.
		{"500", llmtest.Turn{Fault: &llmtest.Fault{Status: 500}},
			750 * time.Millisecond, "server error (500); retrying in 750ms (attempt 2/3)"},
		{"503", llmtest.Turn{Fault: &llmtest.Fault{Status: 503}},
			750 * time.Millisecond, "provider overloaded (503); retrying in 750ms (attempt 2/3)"},
		{"connection dropped before a response", llmtest.Turn{Fault: &llmtest.Fault{Drop: true}},
			750 * time.Millisecond, "connection dropped before the answer began; retrying in 750ms (attempt 2/3)"},
		// Cut inside the first event: the stream had begun, but nothing reached the
		// user, so a retry cannot contradict what they saw.
		{"stream cut before any output", llmtest.Turn{Text: "Never seen.", CutAfter: 40},
			750 * time.Millisecond, "connection dropped before the answer began; retrying in 750ms (attempt 2/3)"},
	}
	for _, d := range dialects {
		all := cases
		if d == llmtest.OpenAI {
			all = append(all, tc{"error event before any output", llmtest.Turn{Raw: "data: " +
				`{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}` + "\n\n"},
				750 * time.Millisecond, "server error; retrying in 750ms (attempt 2/3)"})
		}
		if d == llmtest.Anthropic {
			all = append(all,
				tc{"529 overloaded", llmtest.Turn{Fault: &llmtest.Fault{Status: 529}},
					750 * time.Millisecond, "provider overloaded (529); retrying in 750ms (attempt 2/3)"},
				tc{"overloaded error event before any output", llmtest.Turn{Raw: "event: message_start\ndata: " +
					`{"type":"message_start","message":{"id":"msg_x","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}` +
					"\n\nevent: error\ndata: " + `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}` + "\n\n"},
					750 * time.Millisecond, "provider overloaded; retrying in 750ms (attempt 2/3)"})
		}
		for _, c := range all {
			t.Run(string(d)+"/"+c.name, func(t *testing.T) {
				srv := llmtest.Start(t, d, llmtest.Script{Turns: []llmtest.Turn{c.fault, ok}})
				var sl sleeper
				var seen deltas
				resp, err := newProvider(d, srv.URL, &sl).Stream(context.Background(), testRequest("m"), seen.add)
				if err != nil {
					t.Fatal(err)
				}
				if got := resp.Message.Content[0].Text; got != "All good." {
					t.Errorf("answer %q", got)
				}
				if diff := cmp.Diff([]time.Duration{c.wait}, sl.Waits()); diff != "" {
					t.Errorf("waits (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff([]string{c.retryText}, seen.of("retry")); diff != "" {
					t.Errorf("retry notices (-want +got):\n%s", diff)
				}
				if n := len(srv.Requests()); n != 2 {
					t.Errorf("%d requests, want 2", n)
				}
			})
		}
	}
}

// TestBackoffGrows: without Retry-After, waits double from BaseDelay (each
// jittered to 75% here) up to MaxDelay. It also runs OpenAI without a key, as
// local servers such as Ollama are used.
func TestBackoffGrows(t *testing.T) {
	f := llmtest.Turn{Fault: &llmtest.Fault{Status: 502}}
	srv := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{f, f, f, f, ok}})
	var sl sleeper
	p := llm.NewOpenAI(llm.Config{BaseURL: srv.URL, Retry: llm.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Second,
		MaxDelay: 3 * time.Second, Sleep: sl.Sleep, Jitter: func() float64 { return 0.5 }}})
	if _, err := p.Stream(context.Background(), testRequest("m"), nil); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond, 2250 * time.Millisecond, 2250 * time.Millisecond}
	if diff := cmp.Diff(want, sl.Waits()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	srv := llmtest.Start(t, llmtest.Anthropic, llmtest.Script{Turns: []llmtest.Turn{
		{Fault: &llmtest.Fault{Status: 429, Headers: map[string]string{"Retry-After": now.Add(7 * time.Second).Format(http.TimeFormat)}}}, ok}})
	var sl sleeper
	p := llm.NewAnthropic(llm.Config{APIKey: testKey, BaseURL: srv.URL, Retry: llm.RetryPolicy{
		Sleep: sl.Sleep, Now: func() time.Time { return now }}})
	if _, err := p.Stream(context.Background(), testRequest("m"), nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Second}, sl.Waits()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

func TestRetriesExhausted(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			f := llmtest.Turn{Fault: &llmtest.Fault{Status: 429, Headers: map[string]string{"Retry-After": "1"}}}
			srv := llmtest.Start(t, d, llmtest.Script{Turns: []llmtest.Turn{f, f, f}})
			var sl sleeper
			var seen deltas
			_, err := newProvider(d, srv.URL, &sl).Stream(context.Background(), testRequest("m"), seen.add)
			e := mustKind(t, err, llm.ErrRateLimit)
			if !strings.Contains(e.Message, "gave up after 3 attempts") || e.Status != 429 {
				t.Errorf("error %v", e)
			}
			if len(sl.Waits()) != 2 || len(seen.of("retry")) != 2 {
				t.Errorf("waits %v, notices %v", sl.Waits(), seen.of("retry"))
			}
		})
	}
}

func TestRetryAfterTooLongFailsAtOnce(t *testing.T) {
	srv := llmtest.Start(t, llmtest.Anthropic, llmtest.Script{Turns: []llmtest.Turn{
		{Fault: &llmtest.Fault{Status: 429, Headers: map[string]string{"Retry-After": "3600"}}}}})
	var sl sleeper
	_, err := newProvider(llmtest.Anthropic, srv.URL, &sl).Stream(context.Background(), testRequest("m"), nil)
	e := mustKind(t, err, llm.ErrRateLimit)
	if e.RetryAfter != time.Hour || !strings.Contains(e.Message, "wait 1h0m0s") || len(sl.Waits()) != 0 {
		t.Errorf("error %v, RetryAfter %v, waits %v", e, e.RetryAfter, sl.Waits())
	}
}

// TestPermanentFaults: failures that retrying cannot fix come back at once, with
// a kind and a message that tells the user what to do.
func TestPermanentFaults(t *testing.T) {
	longArgs, _ := json.Marshal(map[string]string{"path": strings.Repeat("deep/", 60) + "file.go"})
	type tc struct {
		name   string
		script llmtest.Script
		kind   llm.ErrorKind
		want   []string // substrings of the message
	}
	for _, d := range dialects {
		keyEnv := map[llmtest.Dialect]string{llmtest.Anthropic: "ANTHROPIC_API_KEY", llmtest.OpenAI: "OPENAI_API_KEY"}[d]
		notFound := llmtest.Fault{Status: 404, Type: "not_found_error", Message: "model: nope-9"}
		tooLong := llmtest.Fault{Status: 400, Type: "invalid_request_error", Message: "prompt is too long: 210000 tokens > 200000 maximum"}
		malformed := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\n\n"
		noEnd := "event: message_start\ndata: " + `{"type":"message_start","message":{"id":"msg_x","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}` +
			"\n\nevent: content_block_start\ndata: " + `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}` +
			"\n\nevent: content_block_delta\ndata: " + `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}` + "\n\n"
		if d == llmtest.OpenAI {
			notFound = llmtest.Fault{Status: 404, Type: "invalid_request_error", Code: "model_not_found", Message: "The model `nope-9` does not exist or you do not have access to it."}
			tooLong = llmtest.Fault{Status: 400, Type: "invalid_request_error", Code: "context_length_exceeded", Message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens."}
			malformed = "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\n\n"
			noEnd = "data: " + `{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}` + "\n\n"
		}
		cases := []tc{
			{"401 wrong key", llmtest.Script{APIKey: "the-right-key", Turns: []llmtest.Turn{ok}}, llm.ErrAuth, []string{keyEnv}},
			{"unknown model", llmtest.Script{Turns: []llmtest.Turn{{Fault: &notFound}}}, llm.ErrUnknownModel, []string{`"nope-9"`, "--model"}},
			{"context too long", llmtest.Script{Turns: []llmtest.Turn{{Fault: &tooLong}}}, llm.ErrContextLength, []string{"too long", "new session"}},
			{"malformed event JSON", llmtest.Script{Turns: []llmtest.Turn{{Raw: malformed}}}, llm.ErrMalformed, []string{"not valid JSON", "--base-url"}},
			{"cut mid tool call", llmtest.Script{Turns: []llmtest.Turn{{Text: "Let me look.", CutAfter: 3000,
				ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: longArgs}}}}}, llm.ErrStreamCut, []string{`call to tool "read_file"`, "try again"}},
			{"stream ends without end marker", llmtest.Script{Turns: []llmtest.Turn{{Raw: noEnd}}}, llm.ErrStreamCut, []string{"stopped mid-way", "try again"}},
			{"400 other", llmtest.Script{Turns: []llmtest.Turn{{Fault: &llmtest.Fault{Status: 400, Message: "max_tokens: must be positive"}}}}, llm.ErrBadRequest, []string{"max_tokens: must be positive"}},
		}
		for _, c := range cases {
			t.Run(string(d)+"/"+c.name, func(t *testing.T) {
				srv := llmtest.Start(t, d, c.script)
				var sl sleeper
				var seen deltas
				req := testRequest("nope-9")
				_, err := newProvider(d, srv.URL, &sl).Stream(context.Background(), req, seen.add)
				e := mustKind(t, err, c.kind)
				t.Log(err)
				for _, w := range c.want {
					if !strings.Contains(e.Message, w) {
						t.Errorf("message %q does not mention %q", e.Message, w)
					}
				}
				// The cause is checked too: callers may log it.
				if all := err.Error() + " " + fmt.Sprint(e.Err); strings.Contains(all, testKey) || strings.Contains(all, testKey[:4]) {
					t.Errorf("error leaks the key: %s", all)
				}
				if len(sl.Waits()) != 0 || len(srv.Requests()) > 1 {
					t.Errorf("permanent failure was retried: waits %v, %d requests", sl.Waits(), len(srv.Requests()))
				}
			})
		}
	}
}

// TestCutMidToolCallNamesTheTool: output was delivered, so no retry, and the
// message says which tool call was interrupted.
func TestCutMidToolCallNamesTheTool(t *testing.T) {
	args, _ := json.Marshal(map[string]string{"pattern": strings.Repeat("x", 400)})
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			srv := llmtest.Start(t, d, llmtest.Script{Turns: []llmtest.Turn{{Text: "Searching.", CutAfter: 2500,
				ToolCalls: []llmtest.ToolCall{{Name: "grep", Args: args}}}}})
			var sl sleeper
			var seen deltas
			_, err := newProvider(d, srv.URL, &sl).Stream(context.Background(), testRequest("m"), seen.add)
			e := mustKind(t, err, llm.ErrStreamCut)
			t.Log(err)
			if len(seen.of("tool")) != 1 || seen.text() != "Searching." {
				t.Fatalf("the cut should come after the tool call started; saw %+v", seen.all)
			}
			if !strings.Contains(e.Message, `in the middle of a call to tool "grep"`) {
				t.Errorf("message %q", e.Message)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close() // nothing listens there any more
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			var sl sleeper
			_, err := newProvider(d, url, &sl).Stream(context.Background(), testRequest("m"), nil)
			e := mustKind(t, err, llm.ErrUnreachable)
			t.Log(err)
			for _, w := range []string{url, "--base-url", "running"} {
				if !strings.Contains(e.Message, w) {
					t.Errorf("message %q does not mention %q", e.Message, w)
				}
			}
			if len(sl.Waits()) != 0 {
				t.Errorf("unreachable server was retried: %v", sl.Waits())
			}
		})
	}
}

func TestContextCancelledIsNotClassified(t *testing.T) {
	srv := llmtest.Start(t, llmtest.Anthropic, llmtest.Script{Turns: []llmtest.Turn{{Fault: &llmtest.Fault{Status: 500}}}})
	ctx, cancel := context.WithCancel(context.Background())
	p := llm.NewAnthropic(llm.Config{BaseURL: srv.URL, Retry: llm.RetryPolicy{Sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}}})
	_, err := p.Stream(ctx, testRequest("m"), nil)
	if err != context.Canceled {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}
