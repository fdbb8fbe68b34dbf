package llm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
)

// sseEvent is one dispatched server-sent event. name is the event: field, or
// "error" for llama.cpp's "error: {...}" field, which SSE parsers that only
// know data: drop silently.
type sseEvent struct {
	name string
	data []byte
}

// sseReader splits a model server's event stream into events, for both
// dialects (Anthropic names its events, OpenAI-compatible servers send bare
// data: lines). It is lenient exactly where the servers differ: an "error:"
// field, a bare JSON error line written without SSE framing, a last event
// without its blank line, and the difference between an end marker and a
// connection that just ended (cutTail).
type sseReader struct {
	sc      *bufio.Scanner
	name    string
	data    []byte
	hasData bool
	// cutTail: the body ended inside an event whose data does not parse.
	cutTail bool
	begun   bool // past a possible byte order mark
	// scanned: how many bytes of the line being read hold no line end. The
	// scanner hands the same line again with more bytes after every read, and
	// a server may send one enormous line: without it, finding the end of a
	// 30 MB line read 16 KB at a time took 15 s instead of 1 s.
	scanned int
}

func newSSEReader(r io.Reader) *sseReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 32<<20) // one event may carry a whole file as tool arguments
	sr := &sseReader{sc: sc}
	sc.Split(sr.scanLine)
	return sr
}

// utf8BOM may open a stream; the SSE specification says to drop it.
var utf8BOM = []byte("\xef\xbb\xbf")

// scanLine splits lines as the SSE specification ends them: CRLF, LF or a
// lone CR. bufio.ScanLines knows only the first two and would read a stream
// of CR-ended lines as one line that never ends. The byte order mark is
// skipped together with the first line: a split that returns no token at the
// end of the body ends the scan.
func (r *sseReader) scanLine(data []byte, atEOF bool) (advance int, token []byte, err error) {
	skip := 0
	if !r.begun {
		if len(data) < len(utf8BOM) && !atEOF && bytes.HasPrefix(utf8BOM, data) {
			return 0, nil, nil // not enough bytes to tell yet
		}
		if bytes.HasPrefix(data, utf8BOM) {
			skip = len(utf8BOM)
		}
	}
	advance, token, r.scanned = splitLine(data[skip:], atEOF, r.scanned)
	if token == nil {
		return 0, nil, nil
	}
	r.begun = true
	return skip + advance, token, nil
}

// splitLine returns the first line of data and how far it reaches, or a nil
// token when more data is needed. The first from bytes are known to hold no
// line end; scanned says how many are known after this call (0 once a line is
// returned).
func splitLine(data []byte, atEOF bool, from int) (advance int, token []byte, scanned int) {
	i := bytes.IndexAny(data[min(from, len(data)):], "\r\n")
	if i < 0 {
		if atEOF && len(data) > 0 {
			return len(data), data, 0
		}
		return 0, nil, len(data)
	}
	i += min(from, len(data))
	switch {
	case data[i] == '\n':
		return i + 1, data[:i], 0
	case i+1 < len(data):
		if data[i+1] == '\n' {
			return i + 2, data[:i], 0
		}
		return i + 1, data[:i], 0
	case atEOF:
		return i + 1, data[:i], 0
	default:
		return 0, nil, i // a CRLF may be split across reads: look at the CR again
	}
}

// Next returns the next event; false at the end of the body or on a read
// error (see Err). An event's data is its own: the reader does not reuse it.
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
