package llm_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/remote/llm/llmtest"
)

// The framing and field shapes real OpenAI-compatible servers and gateways
// write, byte for byte, through the real adapter: every one of these streams
// is the same good answer (text, then one call whose arguments arrive in
// pieces after a first chunk with the name and empty arguments).

// shapedStream is one answer: role and first text in one chunk, a keep-alive
// comment (OpenRouter's ": OPENROUTER PROCESSING"), a data: field without its
// space, the call opened with empty arguments, its last piece on the chunk that
// also carries finish_reason, and the usage chunk with "choices": [].
func shapedStream() string {
	return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n" +
		": OPENROUTER PROCESSING\n\n" +
		"data:{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo.\"},\"finish_reason\":null}]}\n\n" +
		"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"read_file\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n" +
		"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"pa\"}}]},\"finish_reason\":null}]}\n\n" +
		"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"th\\\":\\\"a.go\\\"}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\n" +
		"data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3}}\n\n"
}

func wantShapedAnswer(t *testing.T, resp *llm.Response, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("a good answer failed: %v", err)
	}
	got := ""
	for _, b := range resp.Message.Content {
		got += b.Text + b.Name + string(b.Input) + "|"
	}
	if got != `Hello.|read_file{"path":"a.go"}|` || resp.StopReason != llm.StopToolUse {
		t.Fatalf("got %q, stop %s", got, resp.StopReason)
	}
}

func TestOpenAIStreamFraming(t *testing.T) {
	lines := func(s, eol string) string { return strings.ReplaceAll(s, "\n", eol) }
	done := "data: [DONE]\n\n"
	for name, raw := range map[string]string{
		"LF":                            shapedStream() + done,
		"no [DONE] after finish":        shapedStream(),
		"CRLF":                          lines(shapedStream()+done, "\r\n"),
		"CRLF without [DONE]":           lines(shapedStream(), "\r\n"),
		"lone CR (SSE allows it)":       lines(shapedStream()+done, "\r"),
		"byte order mark":               "\ufeff" + shapedStream() + done,
		"last event without blank line": strings.TrimSuffix(shapedStream(), "\n\n"),
		"event: ping and choices null":  "event: ping\ndata: {}\n\ndata: {\"choices\":null}\n\n" + shapedStream() + done,
		"empty data keep-alives":        "data:\n\ndata: \n\n" + shapedStream() + "event: ping\ndata: ping\n\n" + done,
		"id and retry fields":           "retry: 3000\nid: 1\n" + shapedStream() + done,
	} {
		t.Run(name, func(t *testing.T) {
			resp, err, _, _ := streamOnce(t, llmtest.OpenAI, llmtest.Turn{Raw: raw})
			wantShapedAnswer(t, resp, err)
		})
	}
}

// One odd field never sinks a chunk: arguments as an object (Ollama's own
// API shape, some gateways), content as typed parts (Mistral), content null
// or a number.
func TestOpenAIOddFieldShapes(t *testing.T) {
	t.Run("arguments as an object", func(t *testing.T) {
		raw := "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello.\"}}]}\n\n" +
			"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"function\":{\"name\":\"read_file\",\"arguments\":{\"path\":\"a.go\"}}}]},\"finish_reason\":\"tool_calls\"}]}\n\n" +
			"data: [DONE]\n\n"
		resp, err, _, _ := streamOnce(t, llmtest.OpenAI, llmtest.Turn{Raw: raw})
		wantShapedAnswer(t, resp, err)
	})
	t.Run("content as parts, null and a number", func(t *testing.T) {
		raw := "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":null}}]}\n\n" +
			"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":[{\"type\":\"text\",\"text\":\"Hel\"}]}}]}\n\n" +
			"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":0}}]}\n\n" +
			"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":{\"type\":\"text\",\"text\":\"lo.\"}}}]}\n\n" +
			"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"function\":{\"name\":\"read_file\",\"arguments\":\"{\\\"path\\\":\\\"a.go\\\"}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\n" +
			"data: [DONE]\n\n"
		resp, err, _, _ := streamOnce(t, llmtest.OpenAI, llmtest.Turn{Raw: raw})
		wantShapedAnswer(t, resp, err)
	})
	t.Run("mistral thinking parts never in the answer", func(t *testing.T) {
		resp, err, _, ds := streamOnce(t, llmtest.Mistral, llmtest.Turn{Text: "Nothing to change.",
			OpenAI: &llmtest.OpenAITurn{Reasoning: "secret chain of thought"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := messageText(resp.Message); got != "Nothing to change." || strings.Contains(ds.text(), "secret") {
			t.Fatalf("answer %q, streamed %q", got, ds.text())
		}
	})
	t.Run("a field in a shape wend cannot read says so", func(t *testing.T) {
		raw := "data: {\"choices\":[{\"index\":0,\"delta\":\"Hello\"}]}\n\ndata: [DONE]\n\n"
		_, err, _, _ := streamOnce(t, llmtest.OpenAI, llmtest.Turn{Raw: raw})
		e := mustKind(t, err, llm.ErrMalformed)
		if strings.Contains(e.Message, "not valid JSON") || !strings.Contains(e.Message, "delta") {
			t.Fatalf("message %q", e.Message)
		}
	})
}

// The Messages stream as the API documents it (streaming guide: a ping after
// the first block starts, the tool input's first delta empty), framed with
// CRLF, with a comment line and with an error event the API sends when it is
// overloaded: before any output the call is retried and the second answer
// counts.
func TestAnthropicStreamFraming(t *testing.T) {
	answer := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"m\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
		"event: ping\ndata: {\"type\": \"ping\"}\n\n" +
		": keep-alive\n\n" +
		"event: content_block_delta\ndata:{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello.\"}}\n\n" +
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"read_file\",\"input\":{}}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"path\\\": \\\"a.go\\\"}\"}}\n\n" +
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n" +
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\n" +
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
	overloaded := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_0\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"m\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n" +
		"event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n"
	for name, turns := range map[string][]string{
		"LF":                  {answer},
		"CRLF":                {strings.ReplaceAll(answer, "\n", "\r\n")},
		"overloaded, retried": {strings.ReplaceAll(overloaded, "\n", "\r\n"), answer},
		"data lines only (no event: names, as some gateways relay it)": {regexp.MustCompile(`(?m)^event: .*\n`).ReplaceAllString(answer, "")},
		"without message_stop": {strings.TrimSuffix(answer, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")},
	} {
		t.Run(name, func(t *testing.T) {
			var script []llmtest.Turn
			for _, raw := range turns {
				script = append(script, llmtest.Turn{Raw: raw})
			}
			resp, err, _, sl, _ := anthropicOnce(t, script...)
			wantShapedAnswer(t, resp, err)
			if len(sl.Waits()) != len(turns)-1 {
				t.Fatalf("waits %v for %d answers", sl.Waits(), len(turns))
			}
		})
	}
}

// A server that ignores "stream": true answers with the whole chat.completion
// as application/json over many lines: the same answer, not a malformed
// stream; an event stream mislabelled as JSON is still read as a stream.
func TestOpenAIWholeJSONAnswer(t *testing.T) {
	resp, err, _, ds := streamOnce(t, llmtest.VLLM, llmtest.Turn{Text: "Hello.",
		ToolCalls: []llmtest.ToolCall{{ID: "call_1", Name: "read_file", Args: json.RawMessage(`{"path":"a.go"}`)}},
		OpenAI:    &llmtest.OpenAITurn{End: "whole"}})
	wantShapedAnswer(t, resp, err)
	if ds.text() != "Hello." || resp.Usage.OutputTokens != 20 {
		t.Fatalf("streamed %q, usage %+v", ds.text(), resp.Usage)
	}
	mislabelled := llmtest.Fault{Status: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: shapedStream() + "data: [DONE]\n\n"}
	resp, err, _, _ = streamOnce(t, llmtest.OpenAI, llmtest.Turn{Fault: &mislabelled})
	wantShapedAnswer(t, resp, err)
}

// Token counts in a shape wend does not expect (floats, text) cost the
// counts, never the answer.
func TestOpenAIOddUsageNeverSinksTheAnswer(t *testing.T) {
	raw := "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello.\"}}],\"usage\":{\"prompt_tokens\":12.0,\"completion_tokens\":\"3\"}}\n\n" +
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"function\":{\"name\":\"read_file\",\"arguments\":\"{\\\"path\\\":\\\"a.go\\\"}\"}}]},\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":12.0,\"completion_tokens\":3.0}}\n\n" +
		"data: [DONE]\n\n"
	resp, err, _, _ := streamOnce(t, llmtest.OpenAI, llmtest.Turn{Raw: raw})
	wantShapedAnswer(t, resp, err)
	if resp.Usage.InputTokens != 12 || resp.Usage.OutputTokens != 3 {
		t.Fatalf("usage %+v", resp.Usage)
	}
}

// finish_reason "error" without an error object is a server failure (retried
// while nothing was shown), never an answer or "a stop wend does not know".
func TestOpenAIFinishReasonError(t *testing.T) {
	failed := llmtest.Turn{Text: "Hel", OpenAI: &llmtest.OpenAITurn{FinishReason: "error"}}
	_, err, sl, _ := streamOnce(t, llmtest.OpenAI, failed, failed, failed)
	e := mustKind(t, err, llm.ErrServer)
	if !strings.Contains(e.Message, `finish_reason "error"`) || len(sl.Waits()) != 0 {
		t.Fatalf("message %q, waits %v (text had been shown: no retry)", e.Message, sl.Waits())
	}
	resp, err, sl, _ := streamOnce(t, llmtest.OpenAI, llmtest.Turn{OpenAI: &llmtest.OpenAITurn{FinishReason: "error"}},
		llmtest.Turn{Text: "ok now"})
	if err != nil || messageText(resp.Message) != "ok now" || len(sl.Waits()) != 1 {
		t.Fatalf("not retried before output: %v, waits %v", err, sl.Waits())
	}
}
