package rpc_test

import (
	"context"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/rpc"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/uitest"
)

// The review port's decisions cross the socket as plain data, from the
// controlling client only; a watcher may read the review but not decide, and
// a session without staging says so.
func TestReviewDecisionsCrossThePort(t *testing.T) {
	changes := &uitest.Changes{Files: []session.FileChange{{Path: "a.go", Kind: session.ChangeModified, Added: 1,
		Hunks: []session.Hunk{{ID: "h1", Lines: []string{"+x"}}}}}}
	path, _ := serve(t, uitest.NewBackend(), rpc.Options{Session: "s1", Review: changes})
	ctl, watch := dial(t, path, true), dial(t, path, false)
	ctx := context.Background()
	d := session.Decision{Action: session.ReviewModify, Targets: []string{"a.go"}, Content: "edited\n", Reason: "mine"}
	if err := ctl.Decide(ctx, d); err != nil {
		t.Fatal(err)
	}
	got := changes.CallsOf("Decide")
	if len(got) != 1 {
		t.Fatalf("decisions that arrived: %v", got)
	}
	if g := got[0].(session.Decision); g.Kind != session.DecideReview || g.Action != d.Action || g.Targets[0] != "a.go" ||
		g.Content != d.Content || g.Reason != d.Reason {
		t.Fatalf("arrived as %+v", g)
	}
	if err := watch.Decide(ctx, d); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("a watcher's decision: %v", err)
	}
	if n := len(changes.CallsOf("Decide")); n != 1 {
		t.Fatalf("%d decisions reached the review", n)
	}

	path, _ = serve(t, uitest.NewBackend(), rpc.Options{Session: "s2"})
	if err := dial(t, path, true).Decide(ctx, d); err == nil || !strings.Contains(err.Error(), "does not stage changes") {
		t.Fatalf("deciding without staging: %v", err)
	}
}
