package llmtest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"gitlab.com/wend/wend/remote/llm"
)

// Dialect is the wire format a Server speaks.
type Dialect string

const (
	Anthropic Dialect = "anthropic" // POST /v1/messages, event-stream of typed events
	OpenAI    Dialect = "openai"    // POST /v1/chat/completions, data: chunks then [DONE]
	// The OpenAI-compatible servers, each with the shapes its own source
	// writes (see openai_dialects.go).
	Ollama    Dialect = "ollama"     // index on calls, reasoning, whole arguments per call
	OllamaOld Dialect = "ollama-old" // before 0.4.7: calls without index, all in one chunk
	VLLM      Dialect = "vllm"       // reasoning_content, flat {"object":"error"} errors
	LlamaCpp  Dialect = "llamacpp"   // timings, error: lines in the stream
	LiteLLM   Dialect = "litellm"    // nulls everywhere, string codes ("429")
	Mistral   Dialect = "mistral"    // content as typed parts, reasoning as "thinking" parts
)

// Request is one request the server received.
type Request struct {
	Turn   int    // 1-based index of the script turn that answered it
	Path   string // URL path
	Header http.Header
	// Body is the raw request body, byte for byte, for assertions on serialisation.
	Body []byte
	// Parsed is Body decoded back into wend's terms (best effort; see decode.go).
	Parsed llm.Request
}

// Server is a scripted model server on 127.0.0.1. It is safe for concurrent
// requests, which it serialises: each consumes the next turn in order.
type Server struct {
	// URL is the base URL to give the adapter (Config.BaseURL); for OpenAI it
	// includes the /v1 prefix, as real OpenAI base URLs do.
	URL string

	dialect Dialect
	script  Script
	srv     *httptest.Server

	// serveMu makes requests take turns, so turn order and ids are
	// deterministic; toolSeq and msgSeq belong to it.
	serveMu sync.Mutex
	toolSeq int
	msgSeq  int

	// mu guards what the accessors read; it is never held while a Func turn
	// runs, so a Func may call Requests.
	mu       sync.Mutex
	next     int
	requests []Request
	problems []string
}

// NewServer starts a server for the dialect and script. Close it when done.
func NewServer(d Dialect, s Script) *Server {
	sv := &Server{dialect: d, script: s}
	sv.srv = httptest.NewServer(http.HandlerFunc(sv.serve)) // httptest listens on 127.0.0.1
	sv.URL = sv.srv.URL
	if d != Anthropic {
		sv.URL += "/v1"
	}
	return sv
}

// Start is NewServer for tests: the server closes at the end of the test, and the
// test fails if the server saw a problem (a request past the end of the script,
// a wrong path, or a body it could not decode).
func Start(t testing.TB, d Dialect, s Script) *Server {
	t.Helper()
	sv := NewServer(d, s)
	t.Cleanup(func() {
		sv.Close()
		for _, p := range sv.Problems() {
			t.Errorf("llmtest server: %s", p)
		}
	})
	return sv
}

// Close stops the server and waits for its handlers to return.
func (s *Server) Close() { s.srv.Close() }

// Requests returns the requests received so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Problems lists requests the script did not expect.
func (s *Server) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.problems...)
}

// Remaining is the number of turns not yet served.
func (s *Server) Remaining() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.script.Turns) - s.next
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	s.serveMu.Lock()
	defer s.serveMu.Unlock()

	wantPath := "/v1/messages"
	if s.dialect != Anthropic {
		wantPath = "/v1/chat/completions"
	}
	if r.Method != http.MethodPost || r.URL.Path != wantPath {
		s.problem(fmt.Sprintf("unexpected %s %s (want POST %s)", r.Method, r.URL.Path, wantPath))
		s.writeFault(w, Fault{Status: 404, Message: "no route for " + r.URL.Path})
		return
	}
	if s.script.APIKey != "" && s.key(r) != s.script.APIKey {
		s.writeFault(w, s.authFault(s.key(r)))
		return
	}
	req, turn, ok := s.take(r, body)
	if !ok {
		s.writeFault(w, Fault{Status: 500, Message: "llmtest: the script has no more turns"})
		return
	}
	if turn.Func != nil {
		turn = turn.Func(req)
	}
	switch {
	case turn.Fault != nil:
		if turn.Fault.Drop {
			panic(http.ErrAbortHandler) // closes the connection without a response
		}
		s.writeFault(w, *turn.Fault)
	case turn.Raw != "":
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, turn.Raw)
	default:
		model := s.script.Model
		if model == "" {
			model = req.Parsed.Model
		}
		s.writeReply(w, turn, model)
	}
}

// take records the request and hands out the next turn; ok is false past the
// end of the script, which is recorded as a problem.
func (s *Server) take(r *http.Request, body []byte) (Request, Turn, bool) {
	req := Request{Path: r.URL.Path, Header: redactHeader(r.Header), Body: body}
	parsed, err := decodeRequest(s.dialect, body)
	req.Parsed = parsed
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.problems = append(s.problems, fmt.Sprintf("request %d: %v", len(s.requests)+1, err))
	}
	if s.next >= len(s.script.Turns) {
		s.requests = append(s.requests, req)
		s.problems = append(s.problems, fmt.Sprintf("request %d arrived after the script's %d turns", len(s.requests), len(s.script.Turns)))
		return req, Turn{}, false
	}
	s.next++
	req.Turn = s.next
	s.requests = append(s.requests, req)
	return req, s.script.Turns[s.next-1], true
}

func (s *Server) problem(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.problems = append(s.problems, p)
}

// writeReply streams the events one write and flush at a time, so clients see
// real incremental delivery, and aborts the connection at CutAfter bytes.
func (s *Server) writeReply(w http.ResponseWriter, t Turn, model string) {
	s.msgSeq++
	var events []string
	if s.dialect == Anthropic {
		events = anthropicEvents(t, model, s.msgSeq, s.nextToolID)
	} else {
		if t.OpenAI != nil && t.OpenAI.End == "whole" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, openaiWhole(t, model, s.msgSeq, s.nextToolID))
			return
		}
		events = openaiEvents(s.dialect, t, model, s.msgSeq, s.nextToolID)
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	if s.dialect == Anthropic {
		h.Set("request-id", fmt.Sprintf("req_%02d", s.msgSeq))
	} else {
		h.Set("x-request-id", fmt.Sprintf("req_%02d", s.msgSeq))
	}
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	sent := 0
	for _, ev := range events {
		if t.CutAfter > 0 && sent+len(ev) >= t.CutAfter {
			io.WriteString(w, ev[:t.CutAfter-sent])
			if flusher != nil {
				flusher.Flush()
			}
			panic(http.ErrAbortHandler) // drop the connection mid-stream
		}
		io.WriteString(w, ev)
		sent += len(ev)
		if flusher != nil {
			flusher.Flush()
		}
	}
}

func (s *Server) nextToolID() string {
	s.toolSeq++
	if s.dialect == Anthropic {
		return fmt.Sprintf("toolu_%02d", s.toolSeq)
	}
	return fmt.Sprintf("call_%02d", s.toolSeq)
}

func (s *Server) key(r *http.Request) string {
	if s.dialect == Anthropic {
		if k := r.Header.Get("x-api-key"); k != "" {
			return k
		}
	}
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
}

func redactHeader(h http.Header) http.Header {
	h = h.Clone()
	for _, k := range []string{"X-Api-Key", "Authorization"} {
		if h.Get(k) != "" {
			h.Set(k, "[redacted]")
		}
	}
	return h
}
