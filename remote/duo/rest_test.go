package duo_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"gitlab.com/wend/wend/remote/duo"
	"gitlab.com/wend/wend/remote/duo/contract"
	"gitlab.com/wend/wend/remote/duo/duotest"
)

func TestWorkflowREST(t *testing.T) {
	srv := duotest.New(t, nil)
	c := newClient(t, srv)
	ctx := context.Background()

	allow := false
	wf, err := c.CreateWorkflow(ctx, duo.CreateWorkflowOptions{
		ProjectID: "12", Goal: "g", WorkflowDefinition: duo.DefinitionChat, Environment: duo.EnvironmentChat,
		AgentPrivileges:            []int{duo.PrivilegeReadWriteFiles, duo.PrivilegeRunCommands},
		PreApprovedAgentPrivileges: []int{duo.PrivilegeReadWriteFiles},
		AllowAgentToRequestUser:    &allow,
	})
	if err != nil {
		t.Fatal(err)
	}
	if wf.ProjectID != 12 || wf.WorkflowDefinition != "chat" || wf.Environment != "chat" || wf.Status != "created" ||
		!cmp.Equal(wf.AgentPrivileges, []int{1, 4}) || wf.AllowAgentToRequestUser {
		t.Errorf("workflow %+v", wf)
	}
	id := strconv.FormatInt(wf.ID, 10)
	reqs := srv.Requests()
	var body map[string]any
	_ = json.Unmarshal(reqs[len(reqs)-1].Body, &body)
	if body["allow_agent_to_request_user"] != false || body["pre_approved_agent_privileges"] == nil {
		t.Errorf("create body %v", body)
	}
	if _, err := c.CreateWorkflow(ctx, duo.CreateWorkflowOptions{ProjectID: "1", NamespaceID: "2"}); err == nil {
		t.Error("project and namespace together should be refused")
	}

	ev, err := c.SendEvent(ctx, id, duo.EventMessage, "use flag.Bool instead", "")
	if err != nil || ev.EventType != "message" || ev.EventStatus != "queued" || ev.ID == 0 {
		t.Fatalf("event %+v, %v", ev, err)
	}
	if _, err := c.SendEvent(ctx, id, duo.EventResume, "", "5b1f6a1e-0000-4000-8000-000000000000"); err != nil {
		t.Fatal(err)
	}
	evs, err := c.QueuedEvents(ctx, id)
	if err != nil || len(evs) != 2 || evs[1].EventType != "resume" || evs[1].CorrelationID == "" {
		t.Fatalf("queued %+v, %v", evs, err)
	}
	if _, err := c.SendEvent(ctx, id, "bogus", "", ""); duo.KindOf(err) != duo.KindInvalid {
		t.Errorf("bad event type: %v", err)
	}

	wf2, err := c.UpdateStatus(ctx, id, duo.StatusEventStop)
	if err != nil || wf2.Status != duo.WorkflowStopped {
		t.Fatalf("stop: %+v, %v", wf2, err)
	}
	got, err := c.GetWorkflow(ctx, id)
	if err != nil || got.Status != duo.WorkflowStopped || got.ID != wf.ID {
		t.Fatalf("get: %+v, %v", got, err)
	}
	if _, err := c.GetWorkflow(ctx, "999999"); duo.KindOf(err) != duo.KindNotFound {
		t.Errorf("missing workflow: %v", err)
	}
	if err := c.ResumeCI(ctx, id, true, ""); err != nil {
		t.Error(err)
	}
}

func TestDirectAccessAndHTTPRequest(t *testing.T) {
	srv := duotest.New(t, nil)
	c := newClient(t, srv)
	ctx := context.Background()
	da, err := c.DirectAccess(ctx, duo.DirectAccessOptions{ProjectID: "12", WorkflowDefinition: "software_development"})
	if err != nil {
		t.Fatal(err)
	}
	if da.Service.BaseURL != srv.GRPCAddr || da.Service.Secure || da.GitLabRails.Token != srv.RailsToken ||
		len(da.ServerCapabilities) != 1 || !json.Valid(da.WorkflowMetadata) {
		t.Errorf("direct access %+v", da)
	}
	// On the direct path the executor answers runHTTPRequest itself.
	r := duo.DoHTTPRequest(ctx, nil, da.GitLabRails.BaseURL, da.GitLabRails.Token,
		&contract.RunHTTPRequest{Method: "POST", Path: "/api/v4/projects/12/notes?x=1", Body: proto.String(`{"a":1}`)})
	var echo map[string]string
	if r.GetError() != "" || r.GetStatusCode() != 200 || json.Unmarshal([]byte(r.GetBody()), &echo) != nil {
		t.Fatalf("response %v", r)
	}
	if echo["method"] != "POST" || echo["path"] != "/api/v4/projects/12/notes?x=1" || echo["body"] != `{"a":1}` ||
		r.GetHeaders()["Content-Type"] != "application/json" {
		t.Errorf("echo %v headers %v", echo, r.GetHeaders())
	}
	if r := duo.DoHTTPRequest(ctx, nil, da.GitLabRails.BaseURL, "wrong", &contract.RunHTTPRequest{Method: "GET", Path: "/api/v4/user"}); r.GetStatusCode() != 401 {
		t.Errorf("wrong token: %v", r)
	}
	if r := duo.DoHTTPRequest(ctx, nil, da.GitLabRails.BaseURL, "x", &contract.RunHTTPRequest{Method: "GET", Path: "api/v4/user"}); r.GetError() == "" {
		t.Errorf("relative path accepted: %v", r)
	}
}

func TestStartRequestShape(t *testing.T) {
	c, err := duo.New(duo.Options{BaseURL: "https://gitlab.example.com/gitlab/", Token: "t", ClientVersion: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Origin() != "https://gitlab.example.com" || c.BaseURL() != "https://gitlab.example.com/gitlab" {
		t.Errorf("origin %q base %q", c.Origin(), c.BaseURL())
	}
	in := &contract.AdditionalContext{Category: "file", Content: proto.String("x")}
	req := c.StartRequest(duo.StartOptions{
		WorkflowID: "5", Goal: "g", Flow: &duo.Flow{ID: "developer", SchemaVersion: "v1", Version: "1.0.0"},
		WorkflowDefinition: "chat", AdditionalContext: []*contract.AdditionalContext{in}, Approval: duo.Reject("no"),
		ResumeCheckpointTS: "ts1", PreapprovedTools: []string{"read_file"},
	})
	if in.Metadata != nil {
		t.Error("StartRequest changed the caller's AdditionalContext")
	}
	if req.GetFlowConfigId() != "developer" || req.GetFlowConfigSchemaVersion() != "v1" || req.GetFlowVersion() != "1.0.0" ||
		req.GetWorkflowDefinition() != "" || req.GetAdditionalContext()[0].GetMetadata() != "{}" ||
		req.GetApproval().GetRejection().GetMessage() != "no" || req.GetResumeCheckpointTs() != "ts1" || req.GetClientVersion() != "v1" {
		t.Errorf("start request %v", req)
	}
	for _, bad := range []string{"", "gitlab.com", "ftp://x"} {
		if _, err := duo.New(duo.Options{BaseURL: bad, Token: "t"}); err == nil {
			t.Errorf("base URL %q accepted", bad)
		}
	}
}
