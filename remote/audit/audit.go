// Package audit keeps one JSON line per outgoing HTTP request wend makes, to
// GitLab and to model providers alike, so a user can see what left the machine.
// A record holds no header value, no body and no query string values that could
// carry a secret.
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gitlab.com/wend/wend/remote/redact"
)

// Record is one request as written to the audit file.
type Record struct {
	Time     time.Time `json:"time"`
	Session  string    `json:"session,omitempty"`
	Method   string    `json:"method"`
	Host     string    `json:"host"`
	Path     string    `json:"path"`
	Query    string    `json:"query,omitempty"`
	Status   int       `json:"status"`
	Bytes    int64     `json:"bytes"`
	Duration float64   `json:"duration_ms"`
	Error    string    `json:"error,omitempty"`
}

// DefaultPath is $XDG_STATE_HOME/wend/audit.jsonl, or
// ~/.local/state/wend/audit.jsonl when XDG_STATE_HOME is unset or relative.
func DefaultPath() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "wend", "audit.jsonl"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "state", "wend", "audit.jsonl"), nil
}

// OpenDefault opens the audit file at DefaultPath.
func OpenDefault() (*Log, error) {
	p, err := DefaultPath()
	if err != nil {
		return nil, err
	}
	return Open(p)
}

// Log appends records to a file. Safe for concurrent use; each record is one
// write of one line, so concurrent wend processes do not interleave lines.
type Log struct {
	mu sync.Mutex
	f  *os.File
}

// Open opens (creating with mode 0600, and its directory with 0700) the audit
// file at path for appending.
func Open(path string) (*Log, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &Log{f: f}, nil
}

// Write appends one record.
func (l *Log) Write(r Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return errors.New("audit log closed")
	}
	_, err = l.f.Write(b)
	return err
}

// Close closes the file; later writes fail.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// Sink receives records; *Log is one, tests use a slice.
type Sink interface {
	Write(Record) error
}

type sessionKey struct{}

// WithSession tags requests made with ctx with a session id, overriding the
// Transport's default.
func WithSession(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, sessionKey{}, id)
}

// SessionOf returns the session id WithSession put in ctx, or "".
func SessionOf(ctx context.Context) string {
	id, _ := ctx.Value(sessionKey{}).(string)
	return id
}

// Transport wraps an http.RoundTripper and writes a Record to Sink for every
// request. The record is written when the response body is closed or fully
// read, so Bytes and Duration cover the whole transfer (a streamed job log, a
// model's streamed answer). A failed Sink write never fails the request.
type Transport struct {
	Base    http.RoundTripper // nil means http.DefaultTransport
	Sink    Sink
	Session string // default session id when the request's context has none
	// OnError, when set, is told about Sink failures.
	OnError func(error)
}

// Wrap returns a Transport around base writing to sink.
func Wrap(base http.RoundTripper, sink Sink, session string) *Transport {
	return &Transport{Base: base, Sink: sink, Session: session}
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	start := time.Now()
	rec := Record{
		Time:    start.UTC(),
		Session: t.Session,
		Method:  req.Method,
		Host:    req.URL.Host,
		Path:    req.URL.EscapedPath(),
		Query:   redact.Query(req.URL.RawQuery),
	}
	if id, ok := req.Context().Value(sessionKey{}).(string); ok {
		rec.Session = id
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		rec.Duration = ms(time.Since(start))
		rec.Error = errorClass(err)
		t.write(rec)
		return resp, err
	}
	rec.Status = resp.StatusCode
	if resp.StatusCode == http.StatusSwitchingProtocols {
		// An upgraded connection's body is the connection itself (an
		// io.ReadWriteCloser the WebSocket client asserts on): hand it back
		// unwrapped and record the upgrade now.
		rec.Duration = ms(time.Since(start))
		t.write(rec)
		return resp, nil
	}
	resp.Body = &countingBody{ReadCloser: resp.Body, done: func(n int64, rerr error) {
		rec.Bytes = n
		rec.Duration = ms(time.Since(start))
		if rerr != nil {
			rec.Error = errorClass(rerr)
		}
		t.write(rec)
	}}
	return resp, nil
}

func (t *Transport) write(r Record) {
	if t.Sink == nil {
		return
	}
	if err := t.Sink.Write(r); err != nil && t.OnError != nil {
		t.OnError(err)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// errorClass keeps the kind of a transport error without its text, which may
// quote a URL with a query string.
func errorClass(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	msg := err.Error()
	if i := strings.IndexAny(msg, "?"); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// countingBody counts bytes read and reports once, at EOF, error or Close.
type countingBody struct {
	io.ReadCloser
	n    int64
	once sync.Once
	done func(n int64, err error)
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if err == io.EOF {
		b.once.Do(func() { b.done(b.n, nil) })
	} else if err != nil {
		b.once.Do(func() { b.done(b.n, err) })
	}
	return n, err
}

func (b *countingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(func() { b.done(b.n, nil) })
	return err
}
