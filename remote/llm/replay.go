package llm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// ReplayOption adjusts a replay provider.
type ReplayOption func(*replay)

// WithChunkDelay pauses between streamed text pieces, so a UI shows a replayed
// answer arriving as a live one would (the demo uses this). The default is none.
func WithChunkDelay(d time.Duration) ReplayOption {
	return func(r *replay) { r.delay = d }
}

// replay plays a recording back (format: see exchange in record.go). Calls must
// come in the recorded order; it is safe for concurrent use but a conversation
// is sequential by nature.
type replay struct {
	path      string
	exchanges []exchange
	delay     time.Duration

	mu   sync.Mutex
	next int
}

// NewReplay loads the recording at path. Each Stream call checks the request
// against the next recorded one and fails with ErrDiverged, saying where and
// how, when the conversation has taken another turn than the recording.
func NewReplay(path string, opts ...ReplayOption) (Provider, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := &replay{path: path}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 64<<20) // a line holds a whole request, system prompt included
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var ex exchange
		if err := json.Unmarshal(line, &ex); err != nil {
			return nil, fmt.Errorf("recording %s, line %d: %w", path, n, err)
		}
		r.exchanges = append(r.exchanges, ex)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("recording %s: %w", path, err)
	}
	if len(r.exchanges) == 0 {
		return nil, fmt.Errorf("recording %s holds no exchanges", path)
	}
	for _, o := range opts {
		o(r)
	}
	return r, nil
}

func (r *replay) Name() string { return "replay" }

func (r *replay) Stream(ctx context.Context, req Request, onDelta func(Delta)) (*Response, error) {
	r.mu.Lock()
	i := r.next
	if i >= len(r.exchanges) {
		r.mu.Unlock()
		return nil, &Error{Kind: ErrDiverged, Provider: "replay", Message: fmt.Sprintf(
			"the conversation went past the end of the recording %s: it holds %d exchanges and the model was asked again", r.path, len(r.exchanges))}
	}
	ex := r.exchanges[i]
	if diff := diverges(req, ex.Request); diff != "" {
		r.mu.Unlock()
		return nil, &Error{Kind: ErrDiverged, Provider: "replay", Message: fmt.Sprintf(
			"the conversation diverged from the recording %s at exchange %d of %d: %s", r.path, i+1, len(r.exchanges), diff)}
	}
	r.next++
	r.mu.Unlock()

	if onDelta == nil {
		onDelta = func(Delta) {}
	}
	for _, b := range ex.Response.Message.Content {
		switch b.Type {
		case BlockText:
			for _, piece := range textPieces(b.Text) {
				if err := r.pause(ctx); err != nil {
					return nil, err
				}
				onDelta(Delta{Text: piece})
			}
		case BlockToolUse:
			onDelta(Delta{ToolStarted: b.Name})
		}
	}
	resp := ex.Response
	resp.Message.Content = append([]Block(nil), resp.Message.Content...)
	return &resp, nil
}

func (r *replay) pause(ctx context.Context) error {
	if r.delay > 0 {
		return sleepCtx(ctx, r.delay)
	}
	return ctx.Err()
}

// textPieces cuts text after spaces into pieces of a dozen bytes or so, the
// size of a few tokens, without splitting words or characters.
func textPieces(s string) []string {
	var out []string
	var cur strings.Builder
	for _, w := range strings.SplitAfter(s, " ") {
		cur.WriteString(w)
		if cur.Len() >= 12 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}
