package rpc

import (
	"bytes"
	"encoding/json"
	"fmt"

	"google.golang.org/grpc/encoding"

	"gitlab.com/wend/wend/session"
)

// codecName is the gRPC content-subtype ("application/grpc+wend-json").
const codecName = "wend-json"

// jsonCodec marshals the port's plain Go values as JSON (see the package doc).
// A batch of events is JSON lines, the store's own format: each event is
// written and read by session.Event's own methods, without encoding/json
// scanning the whole batch again around them (that was two thirds of a
// reattaching client's decoding time).
type jsonCodec struct{}

func (jsonCodec) Marshal(v any) ([]byte, error) {
	if b, ok := v.(*eventBatch); ok {
		var buf bytes.Buffer
		for _, e := range b.Events {
			line, err := e.MarshalJSON()
			if err != nil {
				return nil, err
			}
			buf.Write(line)
			buf.WriteByte('\n')
		}
		return buf.Bytes(), nil
	}
	return json.Marshal(v)
}

func (jsonCodec) Unmarshal(data []byte, v any) error {
	if b, ok := v.(*eventBatch); ok {
		b.Events = make([]session.Event, 0, bytes.Count(data, []byte{'\n'}))
		for len(data) > 0 {
			line := data
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				line, data = data[:i], data[i+1:]
			} else {
				data = nil
			}
			var e session.Event
			if err := e.UnmarshalJSON(line); err != nil {
				return fmt.Errorf("an event from the session host: %w", err)
			}
			b.Events = append(b.Events, e)
		}
		return nil
	}
	return json.Unmarshal(data, v)
}

func (jsonCodec) Name() string { return codecName }

func init() { encoding.RegisterCodec(jsonCodec{}) }
