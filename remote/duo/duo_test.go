package duo_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"gitlab.com/wend/wend/remote/duo"
	"gitlab.com/wend/wend/remote/duo/contract"
	"gitlab.com/wend/wend/remote/duo/duotest"
)

const testInterval = 20 * time.Millisecond

func newClient(t *testing.T, srv *duotest.Server) *duo.Client {
	t.Helper()
	c, err := duo.New(duo.Options{BaseURL: srv.URL, Token: srv.Token, ClientVersion: "wend/0.0.1-test", ClientType: "wend"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func loadSample(t *testing.T) *duotest.Script {
	t.Helper()
	s, err := duotest.LoadScript("../../testdata/duo/sample.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// transports builds each transport against a fake.
var transports = []struct {
	name string
	make func(t *testing.T, c *duo.Client) duo.Transport
}{
	{"websocket", func(t *testing.T, c *duo.Client) duo.Transport {
		return c.WebSocket(duo.WebSocketOptions{ProjectID: "group/hello", HeartbeatInterval: testInterval, PingInterval: testInterval})
	}},
	{"grpc", func(t *testing.T, c *duo.Client) duo.Transport {
		da, err := c.DirectAccess(context.Background(), duo.DirectAccessOptions{ProjectID: "group/hello"})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := duo.NewGRPCTransport(duo.GRPCOptions{Access: da, Metadata: map[string]string{"X-Gitlab-Client-Type": "wend"}, HeartbeatInterval: testInterval})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = tr.Close() })
		return tr
	}},
}

// cannedExecutor answers actions the way a real executor would shape them.
func cannedExecutor(a *contract.Action) (string, error) {
	switch x := a.GetAction().(type) {
	case *contract.Action_RunReadFile:
		return "1: package main\n2: \n3: func main() { println(\"Hello, wrold\") }\n", nil
	case *contract.Action_RunEditFile:
		return "edited " + x.RunEditFile.GetFilepath(), nil
	case *contract.Action_RunShellCommand:
		time.Sleep(3 * testInterval) // a command that takes a while: heartbeats go on meanwhile
		return "Exit code: 0\nok  \thello\t0.01s", nil
	case *contract.Action_RunGitCommand:
		return " M main.go", nil
	}
	return "", fmt.Errorf("unsupported action %T", a.GetAction())
}

// turn is what one stream produced.
type turn struct {
	updates []duo.Update
	actions []*contract.Action
	end     error
}

// runTurn is the tiny executor: it answers every action and folds checkpoints into
// tr until the stream ends.
func runTurn(t *testing.T, s *duo.Stream, tr *duo.Tracker) turn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out turn
	for {
		a, err := s.Recv(ctx)
		if err != nil {
			out.end = err
			return out
		}
		out.actions = append(out.actions, a)
		if nc := a.GetNewCheckpoint(); nc != nil {
			u, err := tr.Apply(nc)
			if err != nil {
				t.Fatalf("checkpoint: %v", err)
			}
			out.updates = append(out.updates, u)
			continue
		}
		text, execErr := cannedExecutor(a)
		if err := s.Respond(ctx, a.GetRequestID(), text, execErr); err != nil {
			t.Fatalf("respond: %v", err)
		}
	}
}

func TestSampleConversation(t *testing.T) {
	for _, tc := range transports {
		for _, incremental := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/incremental=%v", tc.name, incremental), func(t *testing.T) {
				testSample(t, tc.name, tc.make, incremental)
			})
		}
	}
}

func testSample(t *testing.T, name string, mk func(*testing.T, *duo.Client) duo.Transport, incremental bool) {
	srv := duotest.New(t, loadSample(t))
	c := newClient(t, srv)
	tr := mk(t, c)
	caps := slices.Clone(duo.DefaultCapabilities)
	if !incremental {
		caps = slices.DeleteFunc(caps, func(s string) bool { return s == duo.CapIncrementalStreaming })
	}
	ctx := context.Background()
	tracker := &duo.Tracker{Incremental: incremental}

	// Turn 1: create the workflow and run until the approval stop.
	s1, err := c.Start(ctx, duo.StartOptions{
		ProjectID:         "group/hello",
		Goal:              "Fix the typo in the greeting",
		Capabilities:      caps,
		AdditionalContext: []*contract.AdditionalContext{{Category: "file", Content: proto.String("package main")}},
		Transport:         tr,
	})
	if err != nil {
		t.Fatal(err)
	}
	if s1.Workflow == nil || s1.WorkflowID() != fmt.Sprint(s1.Workflow.ID) {
		t.Fatalf("workflow %+v, stream on %q", s1.Workflow, s1.WorkflowID())
	}
	t1 := runTurn(t, s1, tracker)
	_ = s1.Close()
	if !errors.Is(t1.end, io.EOF) {
		t.Fatalf("turn 1 ended with %v, want io.EOF", t1.end)
	}
	if tracker.Status != duo.StatusToolCallApprovalRequired || !duo.IsTurnEnd(tracker.Status) {
		t.Fatalf("status after turn 1: %q", tracker.Status)
	}
	req := duo.PendingApproval(tracker.Log.Entries())
	if req == nil || req.ToolInfo.Name != "run_git_command" {
		t.Fatalf("pending approval: %+v", req)
	}

	// Turn 2: a new stream on the same workflow carries the approval.
	s2, err := c.Start(ctx, duo.StartOptions{
		WorkflowID:   s1.WorkflowID(),
		Capabilities: caps,
		Approval:     duo.Approve(req.ToolInfo.Name, string(req.ToolInfo.Args), false),
		Transport:    tr,
	})
	if err != nil {
		t.Fatal(err)
	}
	t2 := runTurn(t, s2, tracker)
	_ = s2.Close()
	if !errors.Is(t2.end, io.EOF) {
		t.Fatalf("turn 2 ended with %v, want io.EOF", t2.end)
	}

	if f := srv.Failures(); len(f) > 0 {
		t.Fatalf("the fake saw traffic off its script:\n%s", strings.Join(f, "\n"))
	}

	// Statuses, in order.
	var statuses []string
	for _, u := range append(t1.updates, t2.updates...) {
		statuses = append(statuses, u.Status)
	}
	wantStatuses := []string{"RUNNING", "RUNNING", "RUNNING", "RUNNING", "TOOL_CALL_APPROVAL_REQUIRED", "RUNNING", "FINISHED"}
	if d := cmp.Diff(wantStatuses, statuses); d != "" {
		t.Errorf("statuses (-want +got):\n%s", d)
	}
	if tracker.Status != duo.StatusFinished || srv.WorkflowStatus(s1.WorkflowID()) != "finished" {
		t.Errorf("final status %q, fake's Rails status %q", tracker.Status, srv.WorkflowStatus(s1.WorkflowID()))
	}

	// The chat log, upserted: m2 grew by streaming; nine entries in order.
	var ids []string
	for _, e := range tracker.Log.Entries() {
		ids = append(ids, e.MessageID)
	}
	if d := cmp.Diff([]string{"m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"}, ids); d != "" {
		t.Errorf("chat ids (-want +got):\n%s", d)
	}
	var m2 *duo.ChatChange
	for _, ch := range t1.updates[1].Chat {
		if ch.Entry.MessageID == "m2" {
			m2 = &ch
		}
	}
	if m2 == nil || m2.New || m2.Delta != " main.go." {
		t.Errorf("m2 change in checkpoint 2: %+v", m2)
	}
	if got := tracker.Log.Entries()[4].ToolInfo.ResponseText(); got != "Exit code: 0\nok  \thello\t0.01s" {
		t.Errorf("run_command tool response %q", got)
	}

	// The plan moves and finishes; usage is reported.
	if p := t1.updates[0].Plan; p.Source != duo.PlanFromSteps || len(p.Steps) != 3 || p.Steps[0].State != duo.StateRunning {
		t.Errorf("first plan: %+v", p)
	}
	for _, st := range tracker.Plan.Steps {
		if st.State != duo.StateDone {
			t.Errorf("final plan step %s %q: %s", st.ID, st.Description, st.State)
		}
	}
	if total, limit := duo.UsageTotal(tracker.Usage); total != 7600 || limit != 400000 {
		t.Errorf("usage %d/%d", total, limit)
	}

	// What went over the wire: a tail of the log in incremental mode, all of it otherwise.
	var cps []*duo.Checkpoint
	for _, a := range t1.actions {
		if nc := a.GetNewCheckpoint(); nc != nil {
			cp, err := duo.ParseCheckpoint(nc)
			if err != nil {
				t.Fatal(err)
			}
			cps = append(cps, cp)
		}
	}
	wantSent := map[bool]int{true: 2, false: 3}[incremental]
	if n := len(cps[1].ChatLog); n != wantSent {
		t.Errorf("checkpoint 2 carried %d chat entries, want %d", n, wantSent)
	}

	assertReceived(t, srv, s1.WorkflowID(), incremental)
	assertWire(t, srv, name)
}

// assertWire checks the REST calls, the upgrade and the gRPC metadata.
func assertWire(t *testing.T, srv *duotest.Server, transport string) {
	t.Helper()
	var create *duotest.Request
	var upgrades []duotest.Request
	for _, r := range srv.Requests() {
		switch r.Path {
		case "/api/v4/ai/duo_workflows/workflows":
			create = &r
		case "/api/v4/ai/duo_workflows/ws":
			upgrades = append(upgrades, r)
		}
	}
	if create == nil {
		t.Fatal("no POST /workflows")
	}
	wantBody := `{"environment":"ide","goal":"Fix the typo in the greeting","project_id":"group/hello","workflow_definition":"software_development"}`
	if string(create.Body) != wantBody {
		t.Errorf("create body\n got %s\nwant %s", create.Body, wantBody)
	}
	if create.Method != "POST" || create.Header.Get("Authorization") != "Bearer "+srv.Token {
		t.Errorf("create: %s %v", create.Method, create.Header)
	}
	if transport == "websocket" {
		if len(upgrades) != 2 {
			t.Fatalf("%d upgrades, want 2", len(upgrades))
		}
		u := upgrades[0]
		if u.Header.Get("Origin") != srv.URL || u.Header.Get("Authorization") != "Bearer "+srv.Token ||
			u.Header.Get("X-Gitlab-Client-Type") != "wend" || u.Header.Get("X-Gitlab-Client-Version") != "wend/0.0.1-test" {
			t.Errorf("upgrade headers: %v", u.Header)
		}
		if u.Query.Get("project_id") != "group/hello" || u.Query.Get("workflow_id") == "" || u.Query.Get("client_type") != "wend" {
			t.Errorf("upgrade query: %v", u.Query)
		}
		return
	}
	mds := srv.GRPCMetadata()
	if len(mds) != 2 || len(upgrades) != 0 {
		t.Fatalf("%d gRPC streams and %d upgrades, want 2 and 0", len(mds), len(upgrades))
	}
	for k, v := range map[string]string{
		"authorization": "Bearer " + srv.ServiceToken, "x-gitlab-authentication-type": "oidc",
		"x-gitlab-realm": "self-managed", "x-gitlab-instance-id": "fake-instance", "x-gitlab-global-user-id": "fake-user",
		"x-gitlab-version": "18.7.0", "x-gitlab-client-type": "wend",
	} {
		if got := mds[0][k]; len(got) != 1 || got[0] != v {
			t.Errorf("gRPC metadata %s = %v, want %q", k, got, v)
		}
	}
}

// assertReceived checks every ClientEvent the fake got.
func assertReceived(t *testing.T, srv *duotest.Server, workflowID string, incremental bool) {
	t.Helper()
	starts := srv.Starts()
	if len(starts) != 2 {
		t.Fatalf("%d startRequests, want 2", len(starts))
	}
	s1, s2 := starts[0], starts[1]
	if s1.GetWorkflowID() != workflowID || s2.GetWorkflowID() != workflowID {
		t.Errorf("workflow ids %q, %q, want %q", s1.GetWorkflowID(), s2.GetWorkflowID(), workflowID)
	}
	if s1.GetWorkflowDefinition() != "software_development" || s2.GetWorkflowDefinition() != "software_development" {
		t.Errorf("workflowDefinition %q, %q", s1.GetWorkflowDefinition(), s2.GetWorkflowDefinition())
	}
	if s1.GetClientVersion() != "wend/0.0.1-test" || s1.GetGoal() != "Fix the typo in the greeting" || s1.GetWorkflowMetadata() != duo.DefaultWorkflowMetadata {
		t.Errorf("start 1: %v", s1)
	}
	for _, c := range []string{"shell_command", "read_file_chunked", "command_timeout", "grep_fixed_strings"} {
		if !slices.Contains(s1.GetClientCapabilities(), c) {
			t.Errorf("capability %s not declared: %v", c, s1.GetClientCapabilities())
		}
	}
	if slices.Contains(s1.GetClientCapabilities(), "incremental_streaming") != incremental {
		t.Errorf("incremental_streaming declared=%v, want %v", !incremental, incremental)
	}
	if ac := s1.GetAdditionalContext(); len(ac) != 1 || ac[0].GetCategory() != "file" || ac[0].GetMetadata() != "{}" {
		t.Errorf("additional_context: %v", ac)
	}
	ap := s2.GetApproval().GetApproval()
	if s2.GetGoal() != "" || ap == nil || ap.GetToolName() != "run_git_command" || !strings.Contains(ap.GetToolArgsJson(), `"status"`) {
		t.Errorf("start 2: %v", s2)
	}

	type resp struct {
		Stream              int
		ID, Kind, Text, Err string
	}
	var got []resp
	heartbeats := 0
	for _, r := range srv.Received() {
		switch {
		case r.Event.GetActionResponse() != nil:
			ar := r.Event.GetActionResponse()
			p := ar.GetPlainTextResponse()
			kind := "plainText"
			if p == nil {
				kind = fmt.Sprintf("%T", ar.GetResponseType())
			}
			got = append(got, resp{r.Stream, ar.GetRequestID(), kind, p.GetResponse(), p.GetError()})
		case r.Event.GetHeartbeat() != nil:
			heartbeats++
			if ts := time.UnixMilli(r.Event.GetHeartbeat().GetTimestamp()); time.Since(ts) > time.Minute || time.Since(ts) < 0 {
				t.Errorf("heartbeat timestamp %v is not Unix milliseconds of now", ts)
			}
		}
		if r.Transport == "websocket" && len(r.Raw) > 0 && strings.Contains(string(r.Raw), "startRequest") &&
			!strings.Contains(string(r.Raw), `"clientCapabilities"`) {
			t.Errorf("start frame is not protojson with the contract's names: %s", r.Raw)
		}
	}
	want := []resp{
		{1, "req-1-2", "plainText", "1: package main\n2: \n3: func main() { println(\"Hello, wrold\") }\n", ""},
		{1, "req-1-4", "plainText", "edited main.go", ""},
		{1, "req-1-6", "plainText", "Exit code: 0\nok  \thello\t0.01s", ""},
		{2, "req-2-2", "plainText", " M main.go", ""},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("action responses (-want +got):\n%s", d)
	}
	if heartbeats == 0 {
		t.Errorf("no JSON heartbeat reached the fake")
	}
}
