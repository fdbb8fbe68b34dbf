package audit

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

type memSink struct {
	mu   sync.Mutex
	recs []Record
}

func (m *memSink) Write(r Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs = append(m.recs, r)
	return nil
}

func TestTransportWritesOneRecordPerRequestWithoutSecrets(t *testing.T) {
	const token = "glpat-SECRETSECRETSECRET1234"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "session="+token)
		io.WriteString(w, strings.Repeat("x", 1000))
	}))
	defer srv.Close()

	path := filepath.Join(t.TempDir(), "state", "wend", "audit.jsonl")
	log, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: Wrap(nil, log, "s-default")}
	req, _ := http.NewRequestWithContext(WithSession(context.Background(), "s1"), "GET",
		srv.URL+"/api/v4/projects/1?private_token="+token+"&per_page=20", nil)
	req.Header.Set("PRIVATE-TOKEN", token)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	resp, err = client.Post(srv.URL+"/v1/messages?key="+token, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	log.Close()

	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), token) || strings.Contains(string(data), "SECRET") {
		t.Fatalf("token leaked into audit file:\n%s", data)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("audit file mode %v, want 0600", fi.Mode().Perm())
	}
	var got []Record
	if _, err := Read(strings.NewReader(string(data)), Filter{}, func(r Record) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d records, want 2:\n%s", len(got), data)
	}
	r := got[0]
	if r.Session != "s1" || r.Method != "GET" || r.Path != "/api/v4/projects/1" || r.Status != 200 || r.Bytes != 1000 || r.Duration <= 0 {
		t.Errorf("first record = %+v", r)
	}
	if r.Query != "per_page=20&private_token=REDACTED" {
		t.Errorf("query = %q", r.Query)
	}
	if line := r.String(); !strings.HasPrefix(line, r.Time.Format(time.RFC3339)+" s1 GET 127.0.0.1:") || !strings.HasSuffix(line, " 200 1000 B "+strconv.FormatFloat(r.Duration, 'f', 0, 64)+" ms") {
		t.Errorf("String() = %q", line)
	}
	if got[1].Session != "s-default" || got[1].Method != "POST" {
		t.Errorf("second record = %+v", got[1])
	}
}

func TestTransportRecordsTransportErrors(t *testing.T) {
	sink := &memSink{}
	client := &http.Client{Transport: Wrap(nil, sink, "")}
	_, err := client.Get("http://127.0.0.1:1/x?token=abc")
	if err == nil {
		t.Fatal("expected an error")
	}
	if len(sink.recs) != 1 || sink.recs[0].Error == "" || sink.recs[0].Status != 0 {
		t.Fatalf("records = %+v", sink.recs)
	}
	if strings.Contains(sink.recs[0].Error, "abc") {
		t.Errorf("error text carries the query: %q", sink.recs[0].Error)
	}
}

func TestReadFilters(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	lines := []Record{
		{Time: now.Add(-3 * time.Hour), Session: "a", Host: "gitlab.com", Method: "GET"},
		{Time: now.Add(-1 * time.Hour), Session: "b", Host: "api.anthropic.com", Method: "POST"},
		{Time: now.Add(-10 * time.Minute), Session: "a", Host: "gitlab.example.com:8443", Method: "GET"},
	}
	var sb strings.Builder
	path := filepath.Join(t.TempDir(), "a.jsonl")
	log, _ := Open(path)
	for _, l := range lines {
		log.Write(l)
	}
	log.Close()
	data, _ := os.ReadFile(path)
	sb.Write(data)
	sb.WriteString("{torn line\n")

	since, err := ParseSince("2h", now)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		f    Filter
		want int
	}{
		{Filter{}, 3},
		{Filter{Session: "a"}, 2},
		{Filter{Since: since}, 2},
		{Filter{Host: "gitlab.example.com"}, 1},
		{Filter{Host: ".example.com"}, 1},
		{Filter{Session: "a", Since: since}, 1},
	}
	for _, c := range cases {
		n := 0
		skipped, err := Read(strings.NewReader(sb.String()), c.f, func(Record) error { n++; return nil })
		if err != nil || skipped != 1 {
			t.Fatalf("Read: skipped=%d err=%v", skipped, err)
		}
		if n != c.want {
			t.Errorf("filter %+v matched %d, want %d", c.f, n, c.want)
		}
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/x/state")
	if p, _ := DefaultPath(); p != "/x/state/wend/audit.jsonl" {
		t.Errorf("DefaultPath = %q", p)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if p, _ := DefaultPath(); p != "/home/u/.local/state/wend/audit.jsonl" {
		t.Errorf("DefaultPath = %q", p)
	}
}
