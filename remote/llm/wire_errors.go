package llm

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// wireFailure reads an error in any shape the model servers write it, in an
// HTTP error body or inside a 200 stream:
//
//	{"type":"error","error":{"type","message"}}   Anthropic, bodies and error events
//	{"error":{"message","type","param","code"}}   OpenAI, Ollama, LiteLLM ("code":"429")
//	{"error":"model not found"}                   Ollama's native errors
//	{"object":"error","message","type","code":400} vLLM
//	{"code":500,"message","type"}                 llama.cpp's error: field
//	{"detail":"..."}                              FastAPI servers
//
// ok is false when data is not an error. bare accepts a top-level message
// without "object":"error" (the payload of an error event).
func wireFailure(status int, data []byte, bare bool) (f apiFailure, ok bool) {
	var w struct {
		Error   json.RawMessage `json:"error"`
		Object  string          `json:"object"`
		Message json.RawMessage `json:"message"`
		Type    string          `json:"type"`
		Code    json.RawMessage `json:"code"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(data, &w) != nil {
		return f, false
	}
	f.status = status
	inner := bytes.TrimSpace(w.Error)
	switch {
	case len(inner) > 0 && string(inner) != "null":
		var s string
		if json.Unmarshal(inner, &s) == nil {
			f.message = s
			return f, true
		}
		var e struct {
			Message json.RawMessage `json:"message"`
			Type    string          `json:"type"`
			Code    json.RawMessage `json:"code"`
		}
		if json.Unmarshal(inner, &e) != nil {
			f.message = string(inner)
			return f, true
		}
		f.message, f.typ, f.code = jsonText(e.Message), e.Type, jsonText(e.Code)
		return f, true
	case w.Object == "error" || (bare && len(w.Message) > 0):
		f.message, f.typ, f.code = jsonText(w.Message), w.Type, jsonText(w.Code)
		return f, true
	case status >= 400 && len(w.Detail) > 0:
		f.message = jsonText(w.Detail)
		return f, true
	}
	return f, false
}

// jsonText is a JSON string's text, a number's digits, or the raw JSON of
// anything else ("" for null): servers send codes as 429 and as "429".
func jsonText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return string(raw)
}

// bodyFailure is what an HTTP error answer said, JSON or not.
func bodyFailure(c *errorCapture) apiFailure {
	if f, ok := wireFailure(c.status, c.body, true); ok {
		f.header = c.header
		return f
	}
	text := strings.TrimSpace(string(c.body))
	if len(text) > 300 {
		text = text[:300] + "…"
	}
	return apiFailure{status: c.status, message: text, header: c.header}
}

// httpStatusCode is an error code that is an HTTP status ("429", 500), which
// is how servers that report errors inside a 200 stream say what kind it is.
func httpStatusCode(code string) int {
	n, err := strconv.Atoi(code)
	if err != nil || n < 400 || n > 599 {
		return 0
	}
	return n
}
