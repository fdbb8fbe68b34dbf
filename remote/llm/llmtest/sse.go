package llmtest

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// obj is a JSON object whose keys keep the order given (key, value, key, value...),
// so events read like the providers' documentation and stay byte-stable.
type obj []any

func (o obj) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i := 0; i+1 < len(o); i += 2 {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(o[i])
		if err != nil {
			return nil, err
		}
		v, err := marshal(o[i+1])
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// marshal encodes without HTML escaping, as the providers do.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func mustJSON(v any) string {
	b, err := marshal(v)
	if err != nil {
		panic(err) // only ever called on values built here
	}
	return string(b)
}

// split cuts s into pieces of at most n bytes without splitting a UTF-8 sequence.
func split(s string, n int) []string {
	var out []string
	for len(s) > 0 {
		end := min(n, len(s))
		for end < len(s) && end > 0 && !utf8.RuneStart(s[end]) {
			end--
		}
		if end == 0 {
			_, end = utf8.DecodeRuneInString(s)
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out
}

// Sizes of streamed pieces: small, so clients must really accumulate.
const (
	textPiece = 8
	argsPiece = 4
)
