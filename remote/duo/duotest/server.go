// Package duotest is a fake GitLab (Rails + Workhorse) and Duo Workflow Service for
// tests: the workflows REST API, direct_access, the /ws WebSocket and a gRPC
// DuoWorkflow server, all on 127.0.0.1 and scripted by a Script. It records every
// request and ClientEvent, and what did not match the script, so tests can assert
// what a client sent.
package duotest

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"gitlab.com/wend/wend/remote/duo/contract"
)

// Default credentials of a fake.
const (
	DefaultToken        = "glpat-test-token"
	DefaultServiceToken = "dws-jwt-test"
	DefaultRailsToken   = "ai-workflows-oauth-test"
)

// Version is the GitLab version GET /api/v4/version reports.
var Version = "18.7.0-ee"

// Request is one HTTP request the fake received (REST or upgrade).
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// Received is one ClientEvent the fake received.
type Received struct {
	Stream    int    // 1-based, in arrival order across transports
	Transport string // "websocket" or "grpc"
	Event     *contract.ClientEvent
	Raw       []byte // the frame's bytes (WebSocket only)
}

// Server is the fake. Create it with New; it shuts down at the test's cleanup.
type Server struct {
	// URL is the instance base URL (http://127.0.0.1:port).
	URL string
	// GRPCAddr is DWS's host:port, also returned by direct_access.
	GRPCAddr string
	// GRPCRootCAs trusts the gRPC server's certificate (WithGRPCTLS only).
	GRPCRootCAs *x509.CertPool
	// Token is the user token REST and /ws accept; ServiceToken the DWS JWT gRPC
	// accepts; RailsToken what direct_access hands out for runHTTPRequest.
	Token, ServiceToken, RailsToken string

	http       *httptest.Server
	grpc       *grpc.Server
	grpcSecure bool

	mu         sync.Mutex
	script     *Script
	faults     []HTTPFault
	nextStream int
	requests   []Request
	received   []Received
	starts     []*contract.StartWorkflowRequest
	grpcMD     []map[string][]string
	failures   []string
	workflows  map[string]*workflow
	events     map[string][]map[string]any
	nextID     int64
}

type workflow struct {
	entity map[string]any
	log    []map[string]any // the whole ui_chat_log
	plan   []map[string]any
}

// Option configures New.
type Option func(*options)

type options struct{ grpcTLS bool }

// WithGRPCTLS serves gRPC over TLS with a fresh self-signed certificate for
// 127.0.0.1 (trust GRPCRootCAs); direct_access then says secure: true.
func WithGRPCTLS() Option { return func(o *options) { o.grpcTLS = true } }

// New starts a fake playing script (nil: no streams).
func New(t testing.TB, script *Script, opts ...Option) *Server {
	t.Helper()
	var o options
	for _, f := range opts {
		f(&o)
	}
	if script == nil {
		script = &Script{}
	}
	s := &Server{
		Token: DefaultToken, ServiceToken: DefaultServiceToken, RailsToken: DefaultRailsToken,
		script: script, faults: slices.Clone(script.HTTPFaults),
		workflows: map[string]*workflow{}, events: map[string][]map[string]any{}, nextID: 1000,
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var gopts []grpc.ServerOption
	if o.grpcTLS {
		cert, pool, err := selfSigned()
		if err != nil {
			t.Fatal(err)
		}
		s.GRPCRootCAs, s.grpcSecure = pool, true
		gopts = append(gopts, grpc.Creds(credentials.NewServerTLSFromCert(&cert)))
	}
	s.grpc = grpc.NewServer(gopts...)
	contract.RegisterDuoWorkflowServer(s.grpc, &grpcService{s: s})
	go func() { _ = s.grpc.Serve(lis) }()
	s.GRPCAddr = lis.Addr().String()

	s.http = httptest.NewServer(s.mux())
	s.URL = s.http.URL
	t.Cleanup(s.Close)
	return s
}

// Close stops both servers.
func (s *Server) Close() {
	s.grpc.Stop()
	s.http.CloseClientConnections()
	s.http.Close()
}

// FailHTTP adds an HTTP fault (see HTTPFault).
func (s *Server) FailHTTP(method, path string, status int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, HTTPFault{Method: method, Path: path, Status: status, Message: message})
}

// ClearHTTPFaults removes all HTTP faults.
func (s *Server) ClearHTTPFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Requests returns the HTTP requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Received returns the ClientEvents received so far, startRequests included.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.received)
}

// Starts returns the startRequest of each stream, in order.
func (s *Server) Starts() []*contract.StartWorkflowRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.starts)
}

// GRPCMetadata returns the incoming metadata of each gRPC stream.
func (s *Server) GRPCMetadata() []map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.grpcMD)
}

// Failures lists where the client's traffic did not match the script.
func (s *Server) Failures() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.failures)
}

// StreamsServed is the number of streams that began.
func (s *Server) StreamsServed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextStream
}

// WorkflowStatus is the fake's Rails status of a workflow ("" if unknown).
func (s *Server) WorkflowStatus(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if wf := s.workflows[id]; wf != nil {
		st, _ := wf.entity["status"].(string)
		return st
	}
	return ""
}

// Events returns the human events posted to a workflow.
func (s *Server) Events(id string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events[id])
}

func (s *Server) failf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, fmt.Sprintf(format, args...))
}

const api = "/api/v4/ai/duo_workflows"

func (s *Server) mux() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("POST "+api+"/workflows", s.createWorkflow)
	m.HandleFunc("GET "+api+"/workflows/{id}", s.getWorkflow)
	m.HandleFunc("PATCH "+api+"/workflows/{id}", s.patchWorkflow)
	m.HandleFunc("POST "+api+"/workflows/{id}/events", s.postEvent)
	m.HandleFunc("GET "+api+"/workflows/{id}/events", s.listEvents)
	m.HandleFunc("POST "+api+"/workflows/{id}/resume", s.resume)
	m.HandleFunc("POST "+api+"/direct_access", s.directAccess)
	m.HandleFunc("GET "+api+"/ws", s.serveWS)
	m.HandleFunc("GET "+api+"/workflows/agent_privileges", s.agentPrivileges)
	m.HandleFunc("GET /api/v4/version", s.version)
	// A stand-in for the rest of the GitLab API, for runHTTPRequest on the direct
	// path: it echoes the request and accepts only RailsToken.
	m.HandleFunc("/api/v4/", s.railsAPI)
	return s.record(m)
}

// record logs the request, then applies faults and authentication.
func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
		var fault *HTTPFault
		for i := range s.faults {
			f := s.faults[i]
			if f.Path == r.URL.Path && (f.Method == "" || f.Method == r.Method) {
				fault = &f
				break
			}
		}
		s.mu.Unlock()
		if fault != nil {
			msg := fault.Message
			if msg == "" {
				msg = fmt.Sprintf("%d %s", fault.Status, http.StatusText(fault.Status))
			}
			writeJSON(w, fault.Status, map[string]any{"message": msg})
			return
		}
		if strings.HasPrefix(r.URL.Path, api) && r.Header.Get("Authorization") != "Bearer "+s.Token {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "401 Unauthorized"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) createWorkflow(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "body is not JSON"})
		return
	}
	if in["project_id"] != nil && in["namespace_id"] != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "project_id, namespace_id are mutually exclusive"})
		return
	}
	s.mu.Lock()
	s.nextID++
	id := s.nextID
	ent := map[string]any{
		"id": id, "workflow_definition": "software_development", "environment": nil,
		"status": "created", "agent_privileges": []int{1, 2, 3, 4, 5, 6}, "allow_agent_to_request_user": true,
		"gitlab_url": s.URL, "mcp_enabled": false,
	}
	for _, k := range []string{"workflow_definition", "environment", "agent_privileges", "pre_approved_agent_privileges", "allow_agent_to_request_user"} {
		if v, ok := in[k]; ok {
			ent[k] = v
		}
	}
	if p, ok := in["project_id"].(string); ok {
		if n, err := strconv.ParseInt(p, 10, 64); err == nil {
			ent["project_id"] = n
		} else {
			ent["project_id"] = int64(42) // a path resolves to some project
		}
	}
	s.workflows[strconv.FormatInt(id, 10)] = &workflow{entity: ent}
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, ent)
}

func (s *Server) lookup(w http.ResponseWriter, r *http.Request) (string, *workflow) {
	id := r.PathValue("id")
	s.mu.Lock()
	wf := s.workflows[id]
	s.mu.Unlock()
	if wf == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "404 Workflow Not Found"})
	}
	return id, wf
}

func (s *Server) getWorkflow(w http.ResponseWriter, r *http.Request) {
	if _, wf := s.lookup(w, r); wf != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		writeJSON(w, http.StatusOK, wf.entity)
	}
}

// statusAfter is the Rails state machine, reduced to where each event leads.
var statusAfter = map[string]string{
	"start": "running", "pause": "paused", "resume": "running", "retry": "running",
	"finish": "finished", "drop": "failed", "stop": "stopped",
	"require_input": "input_required", "require_plan_approval": "plan_approval_required",
	"require_tool_call_approval": "tool_call_approval_required",
}

func (s *Server) patchWorkflow(w http.ResponseWriter, r *http.Request) {
	_, wf := s.lookup(w, r)
	if wf == nil {
		return
	}
	var in struct {
		StatusEvent string `json:"status_event"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	next, ok := statusAfter[in.StatusEvent]
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Can not " + in.StatusEvent + " workflow"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	wf.entity["status"] = next
	writeJSON(w, http.StatusOK, wf.entity)
}

func (s *Server) postEvent(w http.ResponseWriter, r *http.Request) {
	id, wf := s.lookup(w, r)
	if wf == nil {
		return
	}
	var in map[string]any
	_ = json.NewDecoder(r.Body).Decode(&in)
	switch in["event_type"] {
	case "pause", "resume", "stop", "message", "response", "require_input":
	default:
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "event_type does not have a valid value"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	ev := map[string]any{"id": s.nextID, "event_type": in["event_type"], "event_status": "queued", "message": in["message"], "correlation_id": in["correlation_id"]}
	s.events[id] = append(s.events[id], ev)
	writeJSON(w, http.StatusCreated, ev)
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	id, wf := s.lookup(w, r)
	if wf == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	evs := s.events[id]
	if evs == nil {
		evs = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, evs)
}

func (s *Server) resume(w http.ResponseWriter, r *http.Request) {
	if _, wf := s.lookup(w, r); wf != nil {
		writeJSON(w, http.StatusOK, map[string]any{"message": "resumed"})
	}
}

func (s *Server) directAccess(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusCreated, map[string]any{
		"gitlab_rails": map[string]any{"base_url": s.URL, "token": s.RailsToken, "token_expires_at": "2099-01-01T00:00:00Z"},
		"duo_workflow_service": map[string]any{
			"base_url": s.GRPCAddr, "token": s.ServiceToken, "token_expires_at": 4070908800, "secure": s.grpcSecure,
			"headers": map[string]string{
				"X-Gitlab-Realm": "self-managed", "X-Gitlab-Instance-Id": "fake-instance",
				"X-Gitlab-Global-User-Id": "fake-user", "X-Gitlab-Version": "18.7.0",
			},
		},
		"duo_workflow_executor": map[string]any{"executor_binary_url": "", "version": "v0.0.0"},
		"workflow_metadata":     map[string]any{"extended_logging": false, "is_team_member": false},
		"server_capabilities":   []string{"tool_call_approval"},
	})
}

// agentPrivileges answers GET …/workflows/agent_privileges (a read with no side
// effect, which doctor uses to see that the workflows API answers).
func (s *Server) agentPrivileges(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"all_privileges": []map[string]any{
		{"id": 1, "name": "read_write_files"}, {"id": 2, "name": "read_only_gitlab"}, {"id": 3, "name": "read_write_gitlab"},
		{"id": 4, "name": "run_commands"}, {"id": 5, "name": "use_git"}, {"id": 6, "name": "run_mcp_tools"},
	}})
}

// version answers GET /api/v4/version for the user's token.
func (s *Server) version(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+s.Token && r.Header.Get("Private-Token") != s.Token {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "401 Unauthorized"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": Version, "revision": "fake"})
}

func (s *Server) railsAPI(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+s.RailsToken {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "401 Unauthorized"})
		return
	}
	body, _ := io.ReadAll(r.Body)
	writeJSON(w, http.StatusOK, map[string]any{"method": r.Method, "path": r.URL.RequestURI(), "body": string(body)})
}
