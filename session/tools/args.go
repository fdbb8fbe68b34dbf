package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// argSchema is the part of a tool's JSON Schema that argument checking needs: the
// properties with their JSON types, which are required, and whether others are
// refused. It is compiled from Spec.Schema, so tools registered later (the GitLab
// ones) get the same checks and messages as the built-in ones.
type argSchema struct {
	props  []propSchema // required first, then by name
	byName map[string]*propSchema
	closed bool // additionalProperties: false
}

type propSchema struct {
	name     string
	types    []string // JSON Schema types; several with anyOf
	enum     []string
	required bool
}

type rawSchema struct {
	Type                 string             `json:"type"`
	Properties           map[string]rawProp `json:"properties"`
	Required             []string           `json:"required"`
	AdditionalProperties *bool              `json:"additionalProperties"`
}

type rawProp struct {
	Type  any       `json:"type"` // a string or a list of strings
	AnyOf []rawProp `json:"anyOf"`
	OneOf []rawProp `json:"oneOf"`
	Enum  []any     `json:"enum"`
}

func (p rawProp) typeList() []string {
	var out []string
	switch t := p.Type.(type) {
	case string:
		out = append(out, t)
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	for _, alt := range append(p.AnyOf, p.OneOf...) {
		out = append(out, alt.typeList()...)
	}
	return out
}

func compileSchema(raw json.RawMessage) (*argSchema, error) {
	var rs rawSchema
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage(`{"type":"object"}`)
	}
	if err := json.Unmarshal(raw, &rs); err != nil {
		return nil, fmt.Errorf("schema is not valid JSON: %w", err)
	}
	if rs.Type != "" && rs.Type != "object" {
		return nil, fmt.Errorf("schema type is %q, want object", rs.Type)
	}
	s := &argSchema{byName: map[string]*propSchema{}, closed: rs.AdditionalProperties != nil && !*rs.AdditionalProperties}
	req := map[string]bool{}
	for _, r := range rs.Required {
		req[r] = true
	}
	for name, p := range rs.Properties {
		ps := propSchema{name: name, types: p.typeList(), required: req[name]}
		for _, e := range p.Enum {
			ps.enum = append(ps.enum, fmt.Sprint(e))
		}
		s.props = append(s.props, ps)
	}
	sort.Slice(s.props, func(i, j int) bool {
		a, b := s.props[i], s.props[j]
		if a.required != b.required {
			return a.required
		}
		return a.name < b.name
	})
	for i := range s.props {
		s.byName[s.props[i].name] = &s.props[i]
	}
	return s, nil
}

// usage lists the arguments for error messages:
// `path (string, required), limit (integer)`.
func (s *argSchema) usage() string {
	if len(s.props) == 0 {
		return "no arguments"
	}
	parts := make([]string, len(s.props))
	for i, p := range s.props {
		typ := strings.ReplaceAll(strings.Join(p.types, " or "), "array", "list of strings")
		if typ == "" {
			typ = "any"
		}
		if len(p.enum) > 0 {
			typ += ": one of " + strings.Join(p.enum, ", ")
		}
		if p.required {
			typ += ", required"
		}
		parts[i] = fmt.Sprintf("%s (%s)", p.name, typ)
	}
	return strings.Join(parts, "; ")
}

// check validates raw arguments and returns them normalised: empty input becomes
// {}, and null values are dropped (models send null for "not given"). The error
// says what is wrong in words a model can act on; the caller adds the usage.
func (s *argSchema) check(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage(`{}`)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		if raw[0] != '{' {
			return nil, fmt.Errorf("arguments must be a JSON object")
		}
		return nil, fmt.Errorf("arguments are not valid JSON: %v", err)
	}
	var problems []string
	var unknown []string
	for k, v := range m {
		if string(bytes.TrimSpace(v)) == "null" {
			delete(m, k)
			continue
		}
		p := s.byName[k]
		if p == nil {
			if s.closed {
				unknown = append(unknown, k)
			}
			continue
		}
		if msg := checkValue(p, v); msg != "" {
			problems = append(problems, msg)
		}
	}
	sort.Strings(problems) // map order is random; messages must not be
	sort.Strings(unknown)
	for _, k := range unknown {
		problems = append(problems, fmt.Sprintf("unknown argument %q", k))
	}
	for _, p := range s.props {
		if _, ok := m[p.name]; p.required && !ok {
			problems = append(problems, fmt.Sprintf("missing required argument %q", p.name))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkValue returns "" when v has one of p's types.
func checkValue(p *propSchema, v json.RawMessage) string {
	if len(p.types) == 0 {
		return ""
	}
	got := jsonType(v)
	for _, t := range p.types {
		switch {
		case t == got, t == "number" && got == "integer":
			if len(p.enum) > 0 && got == "string" {
				var s string
				_ = json.Unmarshal(v, &s)
				for _, e := range p.enum {
					if e == s {
						return ""
					}
				}
				return fmt.Sprintf("argument %q is %q; it must be one of %s", p.name, s, strings.Join(p.enum, ", "))
			}
			if t == "array" && !arrayOfStrings(v) {
				continue
			}
			return ""
		}
	}
	names := make([]string, len(p.types))
	for i, t := range p.types {
		names[i] = article(t) + " " + t
		if t == "array" {
			names[i] = "a list of strings"
		}
	}
	want := strings.Join(names, " or ")
	if got == "number" && contains(p.types, "integer") {
		return fmt.Sprintf("argument %q must be a whole number, got %s", p.name, string(v))
	}
	if got == "array" && contains(p.types, "array") {
		return fmt.Sprintf("argument %q must be a list of strings", p.name)
	}
	return fmt.Sprintf("argument %q must be %s, got %s %s", p.name, want, article(got), got)
}

// arrayOfStrings reports whether v is a JSON array of strings. Tools in this package
// only declare arrays of strings.
func arrayOfStrings(v json.RawMessage) bool {
	var xs []json.RawMessage
	if json.Unmarshal(v, &xs) != nil {
		return false
	}
	for _, x := range xs {
		if jsonType(x) != "string" {
			return false
		}
	}
	return true
}

func jsonType(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "null"
	}
	switch v[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	if bytes.ContainsAny(v, ".eE") {
		return "number" // encoding/json will not put 1e3 or 2.0 in an int
	}
	return "integer"
}

func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an"
	}
	return "a"
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// stringList is a list-of-strings argument that also accepts one string, split on
// whitespace (models send git args both ways).
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*l = strings.Fields(s)
		return nil
	}
	var xs []string
	if err := json.Unmarshal(b, &xs); err != nil {
		return err
	}
	*l = xs
	return nil
}
