package llmtest

import (
	"fmt"
	"net/http"
)

// created is a fixed timestamp so streams are byte-identical across runs.
const created = 1700000000

// openaiEvents renders a reply as chat.completion.chunk events: a role chunk,
// content chunks, tool_calls chunks (id and name first, then argument pieces, by
// index), a finish_reason chunk, the usage chunk with empty choices (what
// stream_options.include_usage asks for), and data: [DONE].
func openaiEvents(t Turn, model string, seq int, nextID func() string) []string {
	id := fmt.Sprintf("chatcmpl-%02d", seq)
	var ev []string
	chunk := func(choices []any, usage any) {
		ev = append(ev, "data: "+mustJSON(obj{"id", id, "object", "chat.completion.chunk", "created", created,
			"model", model, "system_fingerprint", "fp_llmtest", "choices", choices, "usage", usage})+"\n\n")
	}
	choice := func(delta obj, finish any) []any {
		return []any{obj{"index", 0, "delta", delta, "logprobs", nil, "finish_reason", finish}}
	}
	chunk(choice(obj{"role", "assistant", "content", ""}, nil), nil)
	for _, p := range split(t.Text, textPiece) {
		chunk(choice(obj{"content", p}, nil), nil)
	}
	for i, c := range t.ToolCalls {
		callID := c.ID
		if callID == "" {
			callID = nextID()
		}
		chunk(choice(obj{"tool_calls", []any{obj{"index", i, "id", callID, "type", "function",
			"function", obj{"name", c.Name, "arguments", ""}}}}, nil), nil)
		for _, p := range split(c.args(), argsPiece) {
			chunk(choice(obj{"tool_calls", []any{obj{"index", i, "function", obj{"arguments", p}}}}, nil), nil)
		}
	}
	chunk(choice(obj{}, openaiFinish(t.stopReason())), nil)
	u := t.usage()
	// prompt_tokens includes cached tokens in OpenAI's accounting.
	prompt := u.InputTokens + u.CacheReadTokens
	details := obj{"cached_tokens", u.CacheReadTokens, "audio_tokens", 0}
	if u.CacheWriteTokens > 0 {
		details = append(details, "cache_write_tokens", u.CacheWriteTokens)
	}
	chunk([]any{}, obj{"prompt_tokens", prompt, "completion_tokens", u.OutputTokens,
		"total_tokens", prompt + u.OutputTokens, "prompt_tokens_details", details,
		"completion_tokens_details", obj{"reasoning_tokens", 0}})
	ev = append(ev, "data: [DONE]\n\n")
	return ev
}

func openaiFinish(stop string) string {
	switch stop {
	case "end_turn":
		return "stop"
	case "tool_use":
		return "tool_calls"
	case "max_tokens":
		return "length"
	}
	return stop
}

// openaiError is the documented error body: {"error":{"message","type","param","code"}}.
func openaiError(f Fault) string {
	typ, code, msg := f.Type, f.Code, f.Message
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
	if code == "" {
		code = map[int]string{401: "invalid_api_key", 404: "model_not_found", 429: "rate_limit_exceeded"}[f.Status]
	}
	if msg == "" {
		msg = map[int]string{429: "Rate limit reached for requests", 500: "The server had an error while processing your request. Sorry about that!",
			404: "The model does not exist or you do not have access to it."}[f.Status]
		if msg == "" {
			msg = http.StatusText(f.Status)
		}
	}
	var c any
	if code != "" {
		c = code
	}
	return mustJSON(obj{"error", obj{"message", msg, "type", typ, "param", nil, "code", c}})
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
			body = openaiError(f)
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
