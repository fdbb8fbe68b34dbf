package audit

import (
	"bufio"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"
)

// Filter selects records for `wend audit`. Zero fields match everything.
type Filter struct {
	Session string
	Since   time.Time
	Host    string // exact host, or a suffix starting with "." (".gitlab.com")
}

// Match reports whether r passes the filter.
func (f Filter) Match(r Record) bool {
	if f.Session != "" && r.Session != f.Session {
		return false
	}
	if !f.Since.IsZero() && r.Time.Before(f.Since) {
		return false
	}
	if f.Host != "" {
		h := strings.ToLower(r.Host)
		if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
			h = h[:i]
		}
		want := strings.ToLower(f.Host)
		if strings.HasPrefix(want, ".") {
			if !strings.HasSuffix(h, want) && h != want[1:] {
				return false
			}
		} else if h != want && strings.ToLower(r.Host) != want {
			return false
		}
	}
	return true
}

// Read streams the audit file and calls fn for each matching record, in file
// order. Lines that do not decode (a torn last line after a crash) are skipped
// and counted.
func Read(r io.Reader, f Filter, fn func(Record) error) (skipped int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		var rec Record
		if json.Unmarshal(line, &rec) != nil {
			skipped++
			continue
		}
		if !f.Match(rec) {
			continue
		}
		if err := fn(rec); err != nil {
			return skipped, err
		}
	}
	return skipped, sc.Err()
}

// String is the record as one line for `wend audit`:
// "2026-11-23T12:00:00Z s1 GET gitlab.com/api/v4/version 200 1.2 KB 35 ms".
func (r Record) String() string {
	var b strings.Builder
	b.WriteString(r.Time.UTC().Format(time.RFC3339))
	if r.Session != "" {
		b.WriteString(" " + r.Session)
	}
	b.WriteString(" " + r.Method + " " + r.Host + r.Path)
	if r.Query != "" {
		b.WriteString("?" + r.Query)
	}
	if r.Status != 0 {
		b.WriteString(" " + strconv.Itoa(r.Status))
	}
	if r.Error != "" {
		b.WriteString(" error: " + r.Error)
	}
	b.WriteString(" " + size(r.Bytes) + " " + strconv.FormatFloat(r.Duration, 'f', 0, 64) + " ms")
	return b.String()
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KB"
	}
	return strconv.FormatInt(n, 10) + " B"
}

// ParseSince reads a --since value: a duration back from now ("2h", "30m"), a
// date ("2026-11-23") or an RFC 3339 time.
func ParseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}
