// Package gitlabtest is a local GitLab API server for tests. It serves payloads
// shaped like GitLab's REST API documentation (ids and iids, nested authors,
// ISO 8601 times, X-Page/X-Next-Page/X-Total/X-Total-Pages/Link pagination),
// under an optional instance sub-path, for one project under a subgroup. It can
// inject faults (401, 403, 404, 429 with Retry-After, 5xx), delay responses, and
// counts requests in flight so tests can assert concurrency.
package gitlabtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults of a new Server.
const (
	Token     = "glpat-TestTokenDoNotLeak0001"
	Project   = "group/sub/proj"
	ProjectID = 42
	Group     = "group"
	UserID    = 7
	Username  = "alice"
)

// Server is the fake instance. Exported fields may be changed before requests
// are made; use the methods once requests are in flight.
type Server struct {
	*httptest.Server
	// BasePath is the instance's relative URL root ("" or "/gitlab").
	BasePath string
	// Token is the only token accepted (PRIVATE-TOKEN or Authorization: Bearer).
	Token string
	// Version is what /api/v4/version reports.
	Version string
	// TokenExpires is the token's expires_at (a date); TokenRevoked marks it revoked.
	TokenExpires time.Time
	TokenRevoked bool
	TokenScopes  []string
	// AccessLevel is the user's role on the project (30 = Developer).
	AccessLevel int
	// Latency delays every API response, so overlapping requests overlap.
	Latency time.Duration
	// OmitTotals drops X-Total and X-Total-Pages from list responses.
	OmitTotals bool
	// Cable, when set, serves the ActionCable WebSocket at /-/cable.
	Cable http.Handler
	// PushRemote is the bare repository the test pushes to; commits reaching
	// it get the pipelines queued with OnPush (live.go).
	PushRemote string

	Data *Fixtures

	mu          sync.Mutex
	faults      map[string][]fault
	inFlight    int
	maxInFlight int
	requests    []string
	bodies      map[string][]byte
	review      reviewState // draft notes and posted threads (review.go)
	liveData    *liveState  // live.go
}

type fault struct {
	status     int
	retryAfter string
	body       string
}

// New starts a plain HTTP server on 127.0.0.1; it is closed with the test.
func New(t testing.TB) *Server {
	s := NewUnstarted()
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

// NewUnstarted returns a Server to be mounted by the caller (a TLS or HTTP/2
// server); set its Server field or use URLFor.
func NewUnstarted() *Server {
	return &Server{
		Token:        Token,
		Version:      "17.5.1-ee",
		TokenExpires: time.Now().AddDate(0, 6, 0),
		TokenScopes:  []string{"api", "read_user"},
		AccessLevel:  30,
		Data:         NewFixtures(),
		faults:       map[string][]fault{},
		bodies:       map[string][]byte{},
	}
}

// URL is the instance web root (server URL plus BasePath).
func (s *Server) URL() string { return s.Server.URL + s.BasePath }

// Fail makes the next len(statuses) requests whose path ends with suffix fail
// with those statuses, in order. A 429 carries Retry-After: retryAfter.
func (s *Server) Fail(suffix string, retryAfter string, statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range statuses {
		s.faults[suffix] = append(s.faults[suffix], fault{status: st, retryAfter: retryAfter})
	}
}

// FailWith queues one failure with a specific JSON body.
func (s *Server) FailWith(suffix string, status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[suffix] = append(s.faults[suffix], fault{status: status, body: body})
}

// MaxInFlight is the most API requests that were being served at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

// Requests lists "METHOD path?query" of every request so far.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// Reset clears counters and recorded requests.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxInFlight, s.requests = 0, nil
}

// Body returns the last request body sent to a path suffix (for POSTs).
func (s *Server) Body(suffix string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bodies[suffix]
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	if !strings.HasPrefix(path, s.BasePath+"/") {
		http.NotFound(w, r)
		return
	}
	path = strings.TrimPrefix(path, s.BasePath)
	if path == "/-/cable" {
		if s.Cable == nil {
			http.Error(w, "upgrade not supported", http.StatusNotFound)
			return
		}
		s.Cable.ServeHTTP(w, r)
		return
	}
	if s.serveGit(w, r, path) { // live.go
		return
	}
	if !strings.HasPrefix(path, "/api/v4/") {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	s.requests = append(s.requests, r.Method+" "+path+query(r))
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	if s.Latency > 0 {
		time.Sleep(s.Latency)
	}
	if f, ok := s.takeFault(path); ok {
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		w.Header().Set("RateLimit-Limit", "600")
		w.Header().Set("RateLimit-Remaining", "0")
		body := f.body
		if body == "" {
			body = fmt.Sprintf(`{"message":"%d %s"}`, f.status, http.StatusText(f.status))
		}
		writeJSONStatus(w, f.status, json.RawMessage(body))
		return
	}
	if !s.authorized(r) {
		writeJSONStatus(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return
	}
	w.Header().Set("RateLimit-Limit", "2000")
	w.Header().Set("RateLimit-Remaining", "1999")
	s.route(w, r, strings.TrimPrefix(path, "/api/v4"))
}

func query(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return ""
	}
	return "?" + r.URL.RawQuery
}

func (s *Server) takeFault(path string) (fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for suffix, list := range s.faults {
		if strings.HasSuffix(path, suffix) && len(list) > 0 {
			s.faults[suffix] = list[1:]
			return list[0], true
		}
	}
	return fault{}, false
}

func (s *Server) authorized(r *http.Request) bool {
	tok := r.Header.Get("PRIVATE-TOKEN")
	if tok == "" {
		tok = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	return tok == s.Token && !s.TokenRevoked && time.Now().Before(s.TokenExpires.AddDate(0, 0, 1))
}

// segments splits an escaped path into unescaped segments, so that a project
// id "group%2Fsub%2Fproj" stays one segment.
func segments(path string) []string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			parts[i] = u
		}
	}
	return parts
}

func writeJSON(w http.ResponseWriter, v any) { writeJSONStatus(w, http.StatusOK, v) }

func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// paginate writes one page of items with GitLab's pagination headers.
// With s.OmitTotals it leaves out X-Total, X-Total-Pages and the last link,
// as GitLab does for lists of more than 10,000 items.
func paginate[T any](s *Server, w http.ResponseWriter, r *http.Request, items []T) {
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 20
	}
	if per > 100 {
		per = 100
	}
	page, _ := strconv.Atoi(q.Get("page"))
	if page <= 0 {
		page = 1
	}
	total := len(items)
	pages := max(1, (total+per-1)/per)
	lo, hi := min((page-1)*per, total), min(page*per, total)
	h := w.Header()
	h.Set("X-Page", strconv.Itoa(page))
	h.Set("X-Per-Page", strconv.Itoa(per))
	if !s.OmitTotals {
		h.Set("X-Total", strconv.Itoa(total))
		h.Set("X-Total-Pages", strconv.Itoa(pages))
	}
	h.Set("X-Prev-Page", "")
	h.Set("X-Next-Page", "")
	link := func(p int, rel string) string {
		u := *r.URL
		u.Scheme, u.Host = "http", r.Host
		qq := u.Query()
		qq.Set("page", strconv.Itoa(p))
		qq.Set("per_page", strconv.Itoa(per))
		u.RawQuery = qq.Encode()
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	links := []string{link(1, "first")}
	if !s.OmitTotals {
		links = append(links, link(pages, "last"))
	}
	if page > 1 {
		h.Set("X-Prev-Page", strconv.Itoa(page-1))
		links = append(links, link(page-1, "prev"))
	}
	if page < pages {
		h.Set("X-Next-Page", strconv.Itoa(page+1))
		links = append(links, link(page+1, "next"))
	}
	h.Set("Link", strings.Join(links, ", "))
	writeJSON(w, items[lo:hi])
}
