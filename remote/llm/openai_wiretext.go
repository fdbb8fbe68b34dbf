package llm

import (
	"bytes"
	"encoding/json"
)

// One odd field must not sink a whole answer: the servers that speak "OpenAI
// compatible" agree on the names of a delta's fields more than on their
// types. These decode what a field says, whatever its shape, instead of
// failing the chunk (and with it the turn) on a type wend did not expect.

// wireText is a delta's text field: a string as OpenAI sends it, null
// (LiteLLM), or a list of typed parts (Mistral's content, where a magistral
// model's reasoning comes as "thinking" parts beside the "text" ones). Only
// text parts are answer text; other counts the characters of the rest, which
// are never shown as the answer.
type wireText struct {
	text  string
	other int
}

func (w *wireText) UnmarshalJSON(b []byte) error {
	*w = wireText{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		return json.Unmarshal(b, &w.text)
	case '[':
		var parts []json.RawMessage
		if json.Unmarshal(b, &parts) != nil {
			return nil
		}
		for _, p := range parts {
			w.part(p)
		}
	case '{':
		w.part(b)
	}
	// null, numbers and booleans say nothing wend can show.
	return nil
}

// part reads one typed part: {"type":"text","text":...} is text, anything
// else (thinking, images, references) is counted and left out.
func (w *wireText) part(raw json.RawMessage) {
	var p struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &p) != nil {
		return
	}
	if p.Type == "" || p.Type == "text" {
		w.text += p.Text
		return
	}
	w.other += len(raw)
}

// wireArgs is a tool call's arguments: the JSON text OpenAI streams as a
// string, or the arguments as an object, as Ollama's own API and some
// gateways send them; null is none.
type wireArgs string

func (a *wireArgs) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*a = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = wireArgs(s)
	default:
		*a = wireArgs(b) // already JSON: the call's arguments as they are
	}
	return nil
}
