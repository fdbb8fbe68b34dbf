package llm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/openai/openai-go/v3/option"
)

// sseEvent is one dispatched server-sent event. name is the event: field, or
// "error" for llama.cpp's "error: {...}" field, which SSE parsers that only
// know data: drop silently.
type sseEvent struct {
	name string
	data []byte
}

// sseReader splits an OpenAI-compatible stream into events. It is wend's own
// rather than the SDK's because the servers differ exactly where the SDK's
// decoder is silent: an "error:" field, a bare JSON error line written
// without SSE framing, a last event without its blank line, and the
// difference between a [DONE] and a connection that just ended.
type sseReader struct {
	sc      *bufio.Scanner
	name    string
	data    []byte
	hasData bool
	// cutTail: the body ended inside an event whose data does not parse.
	cutTail bool
}

func newSSEReader(r io.Reader) *sseReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 32<<20) // one event may carry a whole file as tool arguments
	return &sseReader{sc: sc}
}

// Next returns the next event; false at the end of the body or on a read
// error (see Err).
func (r *sseReader) Next() (sseEvent, bool) {
	for r.sc.Scan() {
		line := r.sc.Bytes()
		switch {
		case len(line) == 0:
			if r.hasData {
				return r.dispatch(), true
			}
			r.name = ""
			continue
		case line[0] == ':':
			continue // a comment (keep-alive)
		case line[0] == '{':
			// JSON without "data:", as a server writes an error once its
			// stream has begun (Ollama's error writer): an event of its own.
			return sseEvent{data: append([]byte(nil), line...)}, true
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "event":
			r.name = string(value)
		case "data", "error":
			if string(field) == "error" {
				r.name = "error"
			}
			if r.hasData {
				r.data = append(r.data, '\n')
			}
			r.data = append(r.data, value...)
			r.hasData = true
		}
	}
	if r.hasData && r.sc.Err() == nil {
		// The body ended without the event's blank line: complete if its
		// data is, else the end of a cut stream.
		d := bytes.TrimSpace(r.data)
		if json.Valid(d) || string(d) == "[DONE]" {
			return r.dispatch(), true
		}
		r.cutTail = true
	}
	return sseEvent{}, false
}

func (r *sseReader) dispatch() sseEvent {
	ev := sseEvent{name: r.name, data: r.data}
	r.name, r.data, r.hasData = "", nil, false
	return ev
}

func (r *sseReader) Err() error { return r.sc.Err() }

// errorCapture keeps the body of an HTTP error answer, so wend reads the
// server's own sentence whatever shape it has; the SDK only understands
// {"error":{...}} and calls the rest invalid JSON.
type errorCapture struct {
	status int
	header http.Header
	body   []byte
}

func (c *errorCapture) middleware(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	res, err := next(req)
	if err == nil && res != nil && res.StatusCode >= 400 && res.Body != nil {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		res.Body.Close()
		c.status, c.header, c.body = res.StatusCode, res.Header, body
		res.Body = io.NopCloser(bytes.NewReader(body))
	}
	return res, err
}

// openaiFailure reads an error in any shape the OpenAI-compatible servers
// write it, in an HTTP error body or inside a 200 stream:
//
//	{"error":{"message","type","param","code"}}   OpenAI, Ollama, LiteLLM ("code":"429")
//	{"error":"model not found"}                   Ollama's native errors
//	{"object":"error","message","type","code":400} vLLM
//	{"code":500,"message","type"}                 llama.cpp's error: field
//	{"detail":"..."}                              FastAPI servers
//
// ok is false when data is not an error. bare accepts a top-level message
// without "object":"error" (the payload of an error event).
func openaiFailure(status int, data []byte, bare bool) (f apiFailure, ok bool) {
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
	if f, ok := openaiFailure(c.status, c.body, true); ok {
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
