package gitlab

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// GitLab's answers change shape between versions and settings: an iid sent as
// "12", labels sent as objects (with_labels_details), a time in another
// layout, null where an object was. encoding/json rejects the whole answer
// for one such field, and client-go decodes strictly into its types, so one
// odd field would cost the user the whole issue. wend reads the answers it
// renders itself: the fast path is a normal decode; only when that fails is
// the answer read field by field, each field that still does not fit left at
// its zero value and reported, by JSON path, as unread.

// DecodeError is an answer wend could not read at all (not JSON, or a list
// where an object belongs). It is never a network problem: GitLab answered.
type DecodeError struct {
	Field  string // JSON path, or "(the whole answer)"
	Detail string
	err    error
}

func (e *DecodeError) Error() string { return e.Field + ": " + e.Detail }
func (e *DecodeError) Unwrap() error { return e.err }

// fieldProblem is one field read as unknown.
type fieldProblem struct{ Path, Detail string }

// unread collects the fields of one item's answers read as unknown. Safe for
// concurrent use (an item's requests run in parallel).
type unread struct {
	mu   sync.Mutex
	list []fieldProblem
}

func (u *unread) add(prefix string, ps []fieldProblem) {
	if u == nil || len(ps) == 0 {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, p := range ps {
		if prefix != "" {
			p.Path = prefix + strings.TrimPrefix(p.Path, ".")
		}
		u.list = append(u.list, p)
	}
}

// has reports whether field (a top-level JSON name of the main object) or
// anything inside it was unread.
func (u *unread) has(field string) bool {
	if u == nil {
		return false
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, p := range u.list {
		if p.Path == field || strings.HasPrefix(p.Path, field+".") || strings.HasPrefix(p.Path, field+"[") {
			return true
		}
	}
	return false
}

// or is value, or "unknown" when field was unread.
func (u *unread) or(field, value string) string {
	if u.has(field) {
		return "unknown"
	}
	return value
}

// note renders the unread fields as one closing line, for the model and the
// user to know what is missing and why; "" when nothing was.
func (u *unread) note() string {
	if u == nil {
		return ""
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.list) == 0 {
		return ""
	}
	var parts []string
	for i, p := range u.list {
		if i == 8 {
			parts = append(parts, fmt.Sprintf("and %d more", len(u.list)-i))
			break
		}
		parts = append(parts, p.Path+" ("+p.Detail+")")
	}
	return "_GitLab sent fields wend could not read; they show as unknown: " + clean(strings.Join(parts, "; ")) +
		". Please report this with `wend doctor --report`._\n"
}

// getLenient is a GET through client-go (auth, retries, error statuses) whose
// answer wend decodes itself into a new T with decodeLenient; unread fields
// go to bad under prefix.
func getLenient[T any](c *Client, path string, opt any, bad *unread, prefix string) func(o ...gl.RequestOptionFunc) (T, *gl.Response, error) {
	return func(o ...gl.RequestOptionFunc) (T, *gl.Response, error) {
		var v T
		req, err := c.api.NewRequest(http.MethodGet, path, opt, o)
		if err != nil {
			return v, nil, err
		}
		var body bytes.Buffer
		resp, err := c.api.Do(req, &body)
		if err != nil {
			return v, resp, err
		}
		ps, err := decodeLenient(body.Bytes(), &v)
		if err != nil {
			return v, resp, err
		}
		bad.add(prefix, ps)
		dropNil(reflect.ValueOf(&v).Elem())
		return v, resp, nil
	}
}

// dropNil removes null entries from a list of pointers, so a renderer never
// meets a nil item.
func dropNil(rv reflect.Value) {
	if rv.Kind() != reflect.Slice || rv.Type().Elem().Kind() != reflect.Pointer {
		return
	}
	n := 0
	for i := range rv.Len() {
		if !rv.Index(i).IsNil() {
			rv.Index(n).Set(rv.Index(i))
			n++
		}
	}
	rv.SetLen(n)
}

// decodeLenient decodes data into v, a pointer. Fields that do not fit are
// left zero and returned; an error (*DecodeError) only when data is not JSON
// or its top level is not the kind v wants.
func decodeLenient(data []byte, v any) ([]fieldProblem, error) {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil, nil
	}
	if !json.Valid(data) {
		return nil, &DecodeError{Field: "(the whole answer)", Detail: "not JSON (it starts with " + excerptJSON(data) + ")", err: err}
	}
	rv := reflect.ValueOf(v).Elem()
	rv.SetZero()
	top := jsonKind(bytes.TrimSpace(data))
	if want := wantKind(rv.Type()); top != want && top != "null" && (want == "an object" || want == "a list") {
		return nil, &DecodeError{Field: "(the whole answer)", Detail: fmt.Sprintf("got %s, want %s", top, want), err: err}
	}
	var d lenient
	d.value(data, rv, "")
	return d.problems, nil
}

type lenient struct{ problems []fieldProblem }

var (
	timeType        = reflect.TypeFor[time.Time]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

func (d *lenient) fail(path string, raw []byte, t reflect.Type) {
	if path == "" {
		path = "(the whole answer)"
	}
	d.problems = append(d.problems, fieldProblem{Path: strings.TrimPrefix(path, "."),
		Detail: fmt.Sprintf("got %s %s, want %s", jsonKind(raw), excerptJSON(raw), wantKind(t))})
}

// value decodes raw into rv (addressable), falling back field by field.
func (d *lenient) value(raw []byte, rv reflect.Value, path string) {
	if json.Unmarshal(raw, rv.Addr().Interface()) == nil {
		return
	}
	rv.SetZero()
	raw = bytes.TrimSpace(raw)
	t := rv.Type()
	switch {
	case t == timeType:
		if tm, ok := looseTime(raw); ok {
			rv.Set(reflect.ValueOf(tm))
			return
		}
	case t.Kind() == reflect.Pointer:
		el := reflect.New(t.Elem())
		d.value(raw, el.Elem(), path)
		rv.Set(el)
		return
	case t.Kind() == reflect.Struct && len(jsonFields(t)) > 0:
		// A struct with its own UnmarshalJSON (client-go's Issue and
		// MergeRequest have one) is read field by field all the same.
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			break
		}
		for _, f := range jsonFields(t) {
			if r, ok := m[f.name]; ok {
				d.value(r, rv.FieldByIndex(f.index), path+"."+f.name)
			}
		}
		return
	case reflect.PointerTo(t).Implements(unmarshalerType):
		// Its own rules said no, and it has no fields to fall back on.
	case t.Kind() == reflect.Slice:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			break
		}
		s := reflect.MakeSlice(t, len(items), len(items))
		for i, it := range items {
			if t.Elem().Kind() == reflect.String {
				// Labels with details: objects whose name is the label.
				var named struct{ Name *string }
				if json.Unmarshal(it, &named) == nil && named.Name != nil {
					s.Index(i).SetString(*named.Name)
					continue
				}
			}
			d.value(it, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		rv.Set(s)
		return
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		if n, err := strconv.ParseInt(unquote(raw), 10, 64); err == nil && !rv.OverflowInt(n) {
			rv.SetInt(n)
			return
		}
		if f, err := strconv.ParseFloat(unquote(raw), 64); err == nil && f == float64(int64(f)) {
			rv.SetInt(int64(f))
			return
		}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		if f, err := strconv.ParseFloat(unquote(raw), 64); err == nil {
			rv.SetFloat(f)
			return
		}
	case t.Kind() == reflect.Bool:
		if b, err := strconv.ParseBool(unquote(raw)); err == nil {
			rv.SetBool(b)
			return
		}
	case t.Kind() == reflect.String:
		if k := jsonKind(raw); k == "a number" || k == "true or false" {
			rv.SetString(string(raw))
			return
		}
	}
	d.fail(path, raw, t)
}

type jsonField struct {
	name  string
	index []int
}

// jsonFields lists the JSON names of t's fields with their index paths, in
// declaration order, embedded structs included, the shallower field winning
// as encoding/json decides.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	at := map[string]int{}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			idx := append(append([]int(nil), prefix...), i)
			tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if tag == "-" {
				continue
			}
			if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type, idx)
				continue
			}
			if !f.IsExported() {
				continue
			}
			name := tag
			if name == "" {
				name = f.Name
			}
			if k, ok := at[name]; !ok {
				at[name] = len(out)
				out = append(out, jsonField{name, idx})
			} else if len(idx) < len(out[k].index) {
				out[k].index = idx
			}
		}
	}
	walk(t, nil)
	return out
}

// looseTime reads the time layouts GitLab has been seen to send besides
// RFC 3339: "2023-07-05 16:38:53 UTC", "2023-07-05T16:38:53.000+02:00" without
// a colon, a bare date.
func looseTime(raw []byte) (time.Time, bool) {
	s := unquote(raw)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05 MST", "2006-01-02 15:04:05 -0700",
		"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func unquote(raw []byte) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func jsonKind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "text"
	case 't', 'f':
		return "true or false"
	case 'n':
		return "null"
	}
	return "a number"
}

func wantKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return "a time (RFC 3339)"
	case t == reflect.TypeFor[gl.ISOTime]():
		return "a date (YYYY-MM-DD)"
	case t.Kind() == reflect.Struct:
		return "an object"
	case t.Kind() == reflect.Slice:
		return "a list"
	case t.Kind() == reflect.String:
		return "text"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64:
		return "a number"
	}
	return t.String()
}

// excerptJSON shows the start of a value, for a message: JSON text as it
// came, anything else quoted.
func excerptJSON(raw []byte) string {
	s := strings.ToValidUTF8(strings.Join(strings.Fields(string(raw)), " "), "?")
	cut := len(s) > 40
	if cut {
		s = strings.ToValidUTF8(s[:40], "") + "…"
	}
	if json.Valid(raw) {
		return s
	}
	return strconv.Quote(s)
}
