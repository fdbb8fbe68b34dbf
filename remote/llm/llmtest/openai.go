package llmtest

import (
	"fmt"
	"net/http"
	"strconv"
)

// created is a fixed timestamp so streams are byte-identical across runs.
const created = 1700000000

// openaiEvents renders a reply as chat.completion.chunk events in the shapes
// of dialect d: a role chunk, reasoning and content chunks, tool_calls chunks,
// a finish_reason chunk, the usage chunk with empty choices (what
// stream_options.include_usage asks for), and data: [DONE]. The OpenAI-only
// shapes of the turn (t.OpenAI) change that order where a real server would.
func openaiEvents(d Dialect, t Turn, model string, seq int, nextID func() string) []string {
	x := t.OpenAI
	if x == nil {
		x = &OpenAITurn{}
	}
	tr := traitsOf(d)
	w := chunkWriter{d: d, tr: tr, id: fmt.Sprintf("chatcmpl-%02d", seq), model: model}
	w.chunk(w.choice(w.delta(obj{"role", "assistant", "content", ""}), nil), nil)
	if x.End == "done_only" {
		return append(w.ev, "data: [DONE]\n\n")
	}
	if x.Error != nil && x.Error.Early {
		return w.streamError(*x.Error)
	}
	if x.Reasoning != "" {
		for _, p := range split(x.Reasoning, textPiece) {
			if d == Mistral {
				// A magistral model's reasoning: a "thinking" part whose own
				// content is a list of text parts.
				w.chunk(w.choice(w.delta(obj{"content", []any{obj{"type", "thinking", "thinking", []any{obj{"type", "text", "text", p}}}}}), nil), nil)
				continue
			}
			w.chunk(w.choice(w.delta(obj{tr.reasoningField, p}), nil), nil)
		}
	}
	for _, p := range split(t.Text, textPiece) {
		if d == Mistral && x.Reasoning != "" {
			// Once a turn has thinking parts, its text comes as parts too.
			w.chunk(w.choice(w.delta(obj{"content", []any{obj{"type", "text", "text", p}}}), nil), nil)
			continue
		}
		w.chunk(w.choice(w.delta(obj{"content", p}), nil), nil)
	}
	for _, p := range split(x.Refusal, textPiece) {
		w.chunk(w.choice(w.delta(obj{"content", nil, "refusal", p}), nil), nil)
	}
	w.toolCalls(t.ToolCalls, x.CutArgsAt, nextID)
	if x.Error != nil {
		return w.streamError(*x.Error)
	}
	finish := openaiFinish(t.stopReason())
	if x.FinishReason != "" {
		finish = x.FinishReason
	}
	if d == OllamaOld && len(t.ToolCalls) > 0 {
		finish = "stop" // Ollama before 0.4.7 said "stop" for a turn that called tools
	}
	var extra obj
	if tr.timings {
		extra = obj{"timings", obj{"prompt_n", 100, "prompt_ms", 12.5, "predicted_n", 20, "predicted_ms", 80.25,
			"predicted_per_second", 249.2}}
	}
	w.chunk(w.choice(w.delta(obj{}), finish), nil, extra...)
	u := t.usage()
	// prompt_tokens includes cached tokens in OpenAI's accounting.
	prompt := u.InputTokens + u.CacheReadTokens
	usage := obj{"prompt_tokens", prompt, "completion_tokens", u.OutputTokens, "total_tokens", prompt + u.OutputTokens}
	if d == OpenAI || d == LiteLLM {
		details := obj{"cached_tokens", u.CacheReadTokens, "audio_tokens", 0}
		if u.CacheWriteTokens > 0 {
			details = append(details, "cache_write_tokens", u.CacheWriteTokens)
		}
		usage = append(usage, "prompt_tokens_details", details, "completion_tokens_details", obj{"reasoning_tokens", 0})
	}
	w.chunk([]any{}, usage)
	if x.End == "no_done" {
		return w.ev
	}
	return append(w.ev, "data: [DONE]\n\n")
}

// chunkWriter builds one stream's chunks.
type chunkWriter struct {
	d         Dialect
	tr        traits
	id, model string
	ev        []string
}

func (w *chunkWriter) chunk(choices []any, usage any, extra ...any) {
	c := obj{"id", w.id, "object", "chat.completion.chunk", "created", created, "model", w.model}
	if w.tr.fingerprint != "" {
		c = append(c, "system_fingerprint", w.tr.fingerprint)
	}
	c = append(c, "choices", choices)
	if usage != nil || w.tr.nullUsage {
		c = append(c, "usage", usage)
	}
	c = append(c, extra...)
	w.ev = append(w.ev, "data: "+mustJSON(c)+"\n\n")
}

func (w *chunkWriter) choice(delta obj, finish any) []any {
	return []any{obj{"index", 0, "delta", delta, "logprobs", nil, "finish_reason", finish}}
}

// delta adds the fields a dialect repeats in every delta: Ollama names the
// role each time; LiteLLM writes every field it knows, null when absent.
func (w *chunkWriter) delta(d obj) obj {
	if w.d == Ollama || w.d == OllamaOld {
		if !has(d, "role") {
			d = append(obj{"role", "assistant"}, d...)
		}
		if !has(d, "content") {
			d = append(d, "content", "")
		}
	}
	if w.tr.nulls {
		for _, k := range []string{"content", "role", "function_call", "tool_calls", "refusal", "audio"} {
			if !has(d, k) {
				d = append(d, k, nil)
			}
		}
		d = append(d, "provider_specific_fields", nil)
	}
	return d
}

// toolCalls streams the calls in the dialect's shape. OpenAI, vLLM,
// llama.cpp and LiteLLM open each call with its id and name and stream the
// arguments in pieces keyed by index; Ollama sends each call whole, with an
// index; Ollama before 0.4.7 sends all calls whole in one chunk, without one.
// cutAt, when positive, ends the last call's arguments after that many bytes.
func (w *chunkWriter) toolCalls(calls []ToolCall, cutAt int, nextID func() string) {
	args := func(i int, c ToolCall) string {
		a := c.args()
		if cutAt > 0 && i == len(calls)-1 && cutAt < len(a) {
			a = a[:cutAt]
		}
		return a
	}
	id := func(c ToolCall) string {
		if c.ID != "" {
			return c.ID
		}
		return nextID()
	}
	switch w.d {
	case OllamaOld:
		if len(calls) == 0 {
			return
		}
		var all []any
		for i, c := range calls {
			all = append(all, obj{"id", id(c), "type", "function", "function", obj{"name", c.Name, "arguments", args(i, c)}})
		}
		w.chunk(w.choice(w.delta(obj{"tool_calls", all}), nil), nil)
	case Ollama, Mistral:
		for i, c := range calls {
			w.chunk(w.choice(w.delta(obj{"tool_calls", []any{obj{"id", id(c), "index", i, "type", "function",
				"function", obj{"name", c.Name, "arguments", args(i, c)}}}}), nil), nil)
		}
	default:
		for i, c := range calls {
			w.chunk(w.choice(w.delta(obj{"tool_calls", []any{obj{"index", i, "id", id(c), "type", "function",
				"function", obj{"name", c.Name, "arguments", ""}}}}), nil), nil)
			for _, p := range split(args(i, c), argsPiece) {
				piece := obj{"index", i, "function", obj{"arguments", p}}
				if w.tr.nulls {
					piece = obj{"index", i, "id", nil, "type", nil, "function", obj{"name", nil, "arguments", p}}
				}
				w.chunk(w.choice(w.delta(obj{"tool_calls", []any{piece}}), nil), nil)
			}
		}
	}
}

// streamError ends the stream with an error in the dialect's own shape.
func (w *chunkWriter) streamError(e OpenAIStreamError) []string {
	msg := e.Message
	if msg == "" {
		msg = "the server failed while generating"
	}
	if e.Form == "data" {
		// llama.cpp since its server was split (server-context.cpp):
		// format_oai_sse({"error": ...}), and the stream ends there.
		w.ev = append(w.ev, "data: "+mustJSON(obj{"error", obj{"code", intCode(e.Code, 500), "message", msg, "type", orDefault(e.Type, "server_error")}})+"\n\n")
		return w.ev
	}
	if e.Form == "event" {
		// The SSE way: a named event whose data is the error object.
		w.ev = append(w.ev, "event: error\ndata: "+mustJSON(obj{"error", obj{"message", msg, "type", e.Type, "code", codeValue(e.Code)}})+"\n\n")
		return w.ev
	}
	switch w.d {
	case LlamaCpp:
		// server_sent_event(sink, "error", ...): an "error:" field, not "data:",
		// then the [DONE] every OpenAI-compatible stream of llama.cpp ends with.
		w.ev = append(w.ev, "error: "+mustJSON(obj{"code", intCode(e.Code, 500), "message", msg, "type", orDefault(e.Type, "server_error")})+"\n\n",
			"data: [DONE]\n\n")
	case VLLM:
		// create_streaming_error_response: the flat ErrorResponse, then [DONE].
		w.ev = append(w.ev, "data: "+mustJSON(obj{"object", "error", "message", msg, "type", orDefault(e.Type, "BadRequestError"),
			"param", nil, "code", intCode(e.Code, 400)})+"\n\n", "data: [DONE]\n\n")
	case LiteLLM:
		// The proxy's exception as a dict: every field a string, "None" for none.
		w.ev = append(w.ev, "data: "+mustJSON(obj{"error", obj{"message", msg, "type", orDefault(e.Type, "None"),
			"param", "None", "code", orDefault(e.Code, "500")}})+"\n\n")
	case Ollama, OllamaOld:
		// middleware/openai.go's writeError: json.Encoder straight into the
		// event stream, without "data: " and without [DONE] after it.
		w.ev = append(w.ev, mustJSON(obj{"error", obj{"message", msg, "type", orDefault(e.Type, "api_error"), "param", nil, "code", nil}})+"\n")
	default:
		w.ev = append(w.ev, "data: "+mustJSON(obj{"error", obj{"message", msg, "type", orDefault(e.Type, "server_error"),
			"param", nil, "code", codeValue(e.Code)}})+"\n\n")
	}
	return w.ev
}

func openaiFinish(stop string) string {
	switch stop {
	case "end_turn", "refusal":
		return "stop" // OpenAI ends a refusal with "stop"; the refusal delta says it
	case "tool_use":
		return "tool_calls"
	case "max_tokens":
		return "length"
	}
	return stop
}

// openaiError is the dialect's error body for an HTTP fault: OpenAI's
// documented {"error":{"message","type","param","code"}}, vLLM's flat
// {"object":"error",...}, old Ollama's {"error":"..."}, llama.cpp's object
// with a numeric code, LiteLLM's with a string code.
func openaiError(d Dialect, f Fault) string {
	typ, code, msg := f.Type, f.Code, f.Message
	if msg == "" {
		msg = map[int]string{429: "Rate limit reached for requests", 500: "The server had an error while processing your request. Sorry about that!",
			404: "The model does not exist or you do not have access to it."}[f.Status]
		if msg == "" {
			msg = http.StatusText(f.Status)
		}
	}
	switch d {
	case VLLM, Mistral:
		return mustJSON(obj{"object", "error", "message", msg, "type", orDefault(typ, "BadRequestError"), "param", nil, "code", intCode(code, f.Status)})
	case OllamaOld:
		return mustJSON(obj{"error", msg})
	case LlamaCpp:
		return mustJSON(obj{"error", obj{"code", intCode(code, f.Status), "message", msg, "type", orDefault(typ, "invalid_request_error")}})
	case LiteLLM:
		return mustJSON(obj{"error", obj{"message", msg, "type", orDefault(typ, "None"), "param", "None", "code", orDefault(code, strconv.Itoa(f.Status))}})
	}
	if typ == "" {
		switch {
		case f.Status == 429:
			typ = "requests"
		case f.Status >= 500:
			typ = "server_error"
		default:
			typ = "invalid_request_error"
		}
	}
	if code == "" && d == OpenAI {
		code = map[int]string{401: "invalid_api_key", 404: "model_not_found", 429: "rate_limit_exceeded"}[f.Status]
	}
	return mustJSON(obj{"error", obj{"message", msg, "type", typ, "param", nil, "code", codeValue(code)}})
}

// writeFault sends an error status with the dialect's error body and headers.
func (s *Server) writeFault(w http.ResponseWriter, f Fault) {
	if f.Status == 0 {
		f.Status = 500
	}
	body := f.Body
	if body == "" {
		if s.dialect == Anthropic {
			body = anthropicError(f)
		} else {
			body = openaiError(s.dialect, f)
		}
	}
	for k, v := range f.Headers {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	if s.dialect == Anthropic && f.Status == 529 && w.Header().Get("x-should-retry") == "" {
		w.Header().Set("x-should-retry", "true")
	}
	w.WriteHeader(f.Status)
	fmt.Fprint(w, body)
}

// authFault is what each provider answers to a wrong key. OpenAI's real message
// echoes a masked key; so does this one, so tests can check it is not repeated.
func (s *Server) authFault(got string) Fault {
	if s.dialect == Anthropic {
		return Fault{Status: 401, Type: "authentication_error", Message: "invalid x-api-key"}
	}
	masked := got
	if len(got) > 8 {
		masked = got[:4] + "*****" + got[len(got)-4:]
	}
	return Fault{Status: 401, Type: "invalid_request_error", Code: "invalid_api_key",
		Message: "Incorrect API key provided: " + masked + ". You can find your API key at https://platform.openai.com/account/api-keys."}
}
