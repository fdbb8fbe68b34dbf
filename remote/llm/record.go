package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
)

// A recording is a JSON Lines file: one line per model call ("exchange"), in
// call order, each an object
//
//	{"request": <Request>, "response": <Response>}
//
// using the JSON field names of this package's types (model, system, tools,
// messages, max_tokens; message, stop_reason, usage). Failed calls are not
// recorded. The file holds one conversation; recording into an existing file
// appends to it. Requests carry no credentials, so a recording can be committed
// (the offline demo's lives under testdata/), but it does contain the prompts and
// repository facts of the session recorded: review it before committing.
type exchange struct {
	Request  Request  `json:"request"`
	Response Response `json:"response"`
}

type recorder struct {
	p    Provider
	path string
	mu   sync.Mutex // serialises appends, so concurrent calls never interleave lines
}

// NewRecorder wraps p so that every successful exchange is appended to the file
// at path (created with mode 0600). Deltas pass through unchanged. A failed write
// fails the call: a recording with a hole would not replay.
func NewRecorder(p Provider, path string) Provider {
	return &recorder{p: p, path: path}
}

func (r *recorder) Name() string { return r.p.Name() }

func (r *recorder) Stream(ctx context.Context, req Request, onDelta func(Delta)) (*Response, error) {
	resp, err := r.p.Stream(ctx, req, onDelta)
	if err != nil {
		return nil, err
	}
	line, err := json.Marshal(exchange{Request: req, Response: *resp})
	if err != nil {
		return nil, fmt.Errorf("recording to %s: %w", r.path, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("recording to %s: %w", r.path, err)
	}
	_, werr := f.Write(append(line, '\n'))
	cerr := f.Close()
	if werr != nil || cerr != nil {
		return nil, fmt.Errorf("recording to %s: %w", r.path, firstErr(werr, cerr))
	}
	return resp, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
