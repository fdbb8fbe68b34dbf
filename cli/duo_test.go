package cli

import (
	"context"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"gitlab.com/wend/wend/remote/duo/duotest"
	"gitlab.com/wend/wend/remote/gitlab"
	"gitlab.com/wend/wend/remote/health"
	"gitlab.com/wend/wend/session"
)

// The "done when": in a repository whose remote points at a fake GitLab
// with Duo, `wend run --provider gitlab-duo --approval full-auto --json "fix the
// failing test"` runs to FINISHED with the fix staged as a proposal, over each
// transport.
func TestDuoRunFixesFailingTest(t *testing.T) {
	for _, transport := range []string{"websocket", "grpc"} {
		t.Run(transport, func(t *testing.T) {
			sc, err := duotest.LoadScript("../testdata/duo/fix.json")
			if err != nil {
				t.Fatal(err)
			}
			srv := duotest.New(t, sc)
			dir := demoRepo(t)
			if out, err := exec.Command("git", "-C", dir, "remote", "add", "origin", srv.URL+"/group/stats.git").CombinedOutput(); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if goTest(t, dir) == nil {
				t.Fatal("the sample's test should fail before the run")
			}
			env := wendEnv(t, map[string]string{"GITLAB_TOKEN": srv.Token, "GITLAB_URL": srv.URL, "WEND_DUO_TRANSPORT": transport})
			code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "gitlab-duo", "--approval", "full-auto", "--json", "fix the failing test")
			if code != ExitOK {
				t.Fatalf("exit %d\nstderr: %s\nstdout: %s", code, errOut, out)
			}
			for _, f := range srv.Failures() {
				t.Errorf("fake: %s", f)
			}
			if err := goTest(t, dir); err != nil {
				t.Fatalf("the test still fails after the run: %v", err)
			}
			evs := decodeEvents(t, out)
			var types []string
			for _, e := range evs {
				types = append(types, e.Payload.Type())
			}
			for _, want := range []string{"session_started", "plan_proposed", "step_started", "tool_called", "tool_finished", "change_staged", "step_finished", "usage_reported", "text_delta", "session_finished"} {
				if !slices.Contains(types, want) {
					t.Errorf("no %s event in %v", want, types)
				}
			}
			if st := evs[0].Payload.(session.SessionStarted); st.Engine != "gitlab-duo" || st.Provider != "gitlab-duo" {
				t.Errorf("session started %+v", st)
			}
			fin := evs[len(evs)-1].Payload.(session.SessionFinished)
			if fin.State != session.StateFinished || !strings.Contains(fin.Summary, "Fixed Mean") {
				t.Fatalf("finished %+v", fin)
			}
			if done, total := fin.Plan.Done(); done != 3 || total != 3 {
				t.Fatalf("plan %d/%d done", done, total)
			}

			// The fix is a proposal waiting for review, as with wend's own agent.
			code, out, errOut = wend(t, env, "-C", dir, "changes", "--json")
			if code != ExitOK {
				t.Fatalf("changes: exit %d: %s", code, errOut)
			}
			var ch struct {
				Changes []session.FileChange `json:"changes"`
			}
			if err := json.Unmarshal([]byte(out), &ch); err != nil {
				t.Fatal(err)
			}
			if len(ch.Changes) != 1 || ch.Changes[0].Path != "stats.go" || ch.Changes[0].Added != 1 || ch.Changes[0].Deleted != 1 {
				t.Fatalf("proposals %+v", ch.Changes)
			}

			starts := srv.Starts()
			if len(starts) != 1 || starts[0].GetWorkflowDefinition() != "software_development" {
				t.Fatalf("starts %v", starts)
			}
			if transport == "grpc" && len(srv.GRPCMetadata()) != 1 {
				t.Errorf("the run did not go over gRPC")
			}
			if strings.Contains(out+errOut, srv.Token) {
				t.Error("the token appears in the output")
			}
		})
	}
}

func TestDuoRunNeedsGitLab(t *testing.T) {
	dir := demoRepo(t)
	env := wendEnv(t, nil)
	code, _, errOut := wend(t, env, "-C", dir, "run", "--provider", "gitlab-duo", "fix it")
	if code != ExitUsage || !strings.Contains(errOut, "gitlab-duo needs the project's GitLab") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestDuoSettingsFromFlagsAndEnv(t *testing.T) {
	for _, tc := range []struct {
		args          []string
		env           map[string]string
		flow, tr, err string
	}{
		{nil, nil, "software_development", "websocket", ""},
		{[]string{"--flow", "chat", "--duo-transport", "grpc"}, nil, "chat", "grpc", ""},
		{[]string{"--flow", "developer/v1"}, map[string]string{"WEND_DUO_TRANSPORT": "grpc"}, "developer/v1", "grpc", ""},
		{nil, map[string]string{"WEND_DUO_FLOW": "chat"}, "chat", "websocket", ""},
		{[]string{"--flow", "chat"}, map[string]string{"WEND_DUO_FLOW": "developer/v1"}, "chat", "websocket", ""},
		{[]string{"--flow", "nonsense"}, nil, "", "", "unknown --flow"},
		{[]string{"--duo-transport", "carrier-pigeon"}, nil, "", "", "unknown --duo-transport"},
	} {
		g := &globals{env: func(k string) string { return tc.env[k] }}
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		addDuoFlags(g, fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		flow, tr, err := duoSettings(g)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || flow != tc.flow || tr != tc.tr {
			t.Errorf("%v %v: got %s %s %v, want %s %s", tc.args, tc.env, flow, tr, err, tc.flow, tc.tr)
		}
	}
}

// Doctor's Duo checks pass against the fake and fail with a fix for a bad token.
func TestDuoDoctorChecks(t *testing.T) {
	srv := duotest.New(t, nil)
	ctx := context.Background()
	status := func(rs []health.Result) map[string]health.Status {
		m := map[string]health.Status{}
		for _, r := range rs {
			m[r.Name] = r.Status
		}
		return m
	}
	good := duoDoctorChecks(ctx, gitlab.Config{BaseURL: srv.URL, Token: srv.Token, Project: "group/stats"}, 5*time.Second)
	for _, r := range good {
		if r.Status != health.Pass {
			t.Errorf("%s: %s %s (%s)", r.Name, r.Status, r.Reason, r.Fix)
		}
	}
	if len(good) != 3 {
		t.Fatalf("%d results", len(good))
	}
	if len(srv.Starts()) != 0 {
		t.Error("doctor started a workflow")
	}
	bad := duoDoctorChecks(ctx, gitlab.Config{BaseURL: srv.URL, Token: "wrong", Project: "group/stats"}, 5*time.Second)
	for name, st := range status(bad) {
		if st != health.Fail {
			t.Errorf("%s with a bad token: %s", name, st)
		}
	}
	for _, r := range bad {
		if r.Fix == "" {
			t.Errorf("%s failed without a fix: %s", r.Name, r.Reason)
		}
	}
	duotest.Version = "18.2.0-ee"
	defer func() { duotest.Version = "18.7.0-ee" }()
	old := duoDoctorChecks(ctx, gitlab.Config{BaseURL: srv.URL, Token: srv.Token}, 5*time.Second)
	if st := status(old)[CheckDuoVersion]; st != health.Warn {
		t.Errorf("18.2: version check %s", st)
	}
	skipped := duoDoctorChecks(ctx, gitlab.Config{}, time.Second)
	if st := status(skipped)[CheckDuoWorkflows]; st != health.Skip {
		t.Errorf("without GitLab: %s", st)
	}
}
