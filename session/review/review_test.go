package review_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/internal/gittest"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/review"
	"gitlab.com/wend/wend/session/steer"
)

// rows is a file of n numbered lines; the agent's version changes lines far
// apart, so each change is a hunk of its own.
func rows(n int, changed ...int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		line := fmt.Sprintf("row %02d", i)
		for _, c := range changed {
			if c == i {
				line += " (agent)"
			}
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// staged starts a gitops session on a fresh repository in which the agent
// changed notes.txt in three places and created new.txt.
func staged(t *testing.T) (dir string, gs *gitops.Session) {
	t.Helper()
	ctx := context.Background()
	dir = gittest.NewRepo(t, map[string]string{"notes.txt": rows(60)})
	gs, err := gitops.Start(ctx, dir, "s1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gs.Close() })
	if err := gs.WriteFile(ctx, "notes.txt", []byte(rows(60, 5, 30, 55)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := gs.WriteFile(ctx, "new.txt", []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, gs
}

// port is the review port as an engine offers it: the steer skeleton over
// Controls over the staging adapter.
func port(gs *gitops.Session) (session.Review, *steer.Controls, *session.Log) {
	log := session.NewLog(nil)
	c := steer.New(steer.Config{Log: log, Review: review.New(gs), Listener: "the model"})
	return steer.NewSkeleton(c), c, log
}

// One accept through the port computes the proposal list once (it used to
// be computed to tell a path from a hunk id, then again to find the hunk),
// and lands in git's index.
func TestOneAcceptComputesTheProposalsOnce(t *testing.T) {
	ctx := context.Background()
	dir, gs := staged(t)
	rv, _, log := port(gs)
	fcs, err := rv.Changes(ctx)
	if err != nil || len(fcs) != 2 || fcs[1].Path != "notes.txt" || len(fcs[1].Hunks) != 3 {
		t.Fatalf("changes: %v %+v", err, fcs)
	}
	for _, target := range []string{fcs[1].Hunks[0].ID, "new.txt"} {
		before := gs.ProposalsComputed()
		if err := rv.Decide(ctx, session.Decision{Action: session.ReviewAccept, Targets: []string{target}}); err != nil {
			t.Fatal(err)
		}
		if n := gs.ProposalsComputed() - before; n != 1 {
			t.Fatalf("accepting %s computed the proposals %d times, want 1", target, n)
		}
	}
	if got := gittest.Run(t, dir, "show", ":notes.txt"); !strings.Contains(got, "row 05 (agent)") || strings.Contains(got, "row 30 (agent)") {
		t.Fatalf("index after accepting the first hunk:\n%s", got)
	}
	if got := gittest.Run(t, dir, "show", ":new.txt"); got != "hello\n" {
		t.Fatalf("index after accepting new.txt: %q", got)
	}
	var decided int
	for _, e := range log.Snapshot(0) {
		if _, ok := e.Payload.(session.ReviewDecided); ok {
			decided++
		}
	}
	if decided != 2 {
		t.Fatalf("ReviewDecided events: %d, want 2", decided)
	}
}

// A rejection's reason reaches the model's queue through the same route, as
// text built by the adapter; the content the editor opens is the agent's.
func TestRejectionFeedbackAndContentThroughThePort(t *testing.T) {
	ctx := context.Background()
	_, gs := staged(t)
	rv, c, _ := port(gs)
	fcs, err := rv.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rv.Decide(ctx, session.Decision{Kind: session.DecideApproval, Action: session.ReviewReject,
		Targets: []string{fcs[1].Hunks[1].ID}, Reason: "keep row 30"}); err != nil {
		t.Fatal(err)
	}
	notes := c.Take()
	if len(notes) != 1 || !strings.Contains(notes[0].Text, "The user rejected a hunk of your change to notes.txt") ||
		!strings.Contains(notes[0].Text, "Reason: keep row 30") {
		t.Fatalf("queued for the model: %+v", notes)
	}
	got, err := rv.ChangeContent(ctx, "notes.txt")
	if err != nil || !strings.Contains(got, "row 55 (agent)") {
		t.Fatalf("content: %v %q", err, got)
	}
	if err := rv.Decide(ctx, session.Decision{Action: session.ReviewAccept, Targets: []string{"no-such-hunk"}}); err == nil {
		t.Fatal("an unknown target was accepted")
	}
}

// Decisions on different hunks from two clients at once, while a third
// lists, all land; none is lost to the other.
func TestConcurrentDecisionsThroughThePort(t *testing.T) {
	ctx := context.Background()
	dir, gs := staged(t)
	rv, _, _ := port(gs)
	fcs, err := rv.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for _, h := range fcs[1].Hunks {
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			errs <- rv.Decide(ctx, session.Decision{Action: session.ReviewAccept, Targets: []string{id}})
		}(h.ID)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := rv.Changes(ctx)
		errs <- err
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := gittest.Run(t, dir, "show", ":notes.txt"); got != rows(60, 5, 30, 55) {
		t.Fatalf("index:\n%s", got)
	}
	left, err := rv.Changes(ctx)
	if err != nil || len(left) != 1 || left[0].Path != "new.txt" {
		t.Fatalf("left: %v %+v", err, left)
	}
}

// Without staging the port refuses plainly.
func TestReviewPortWithoutStaging(t *testing.T) {
	rv := steer.NewSkeleton(steer.New(steer.Config{Log: session.NewLog(nil)}))
	if _, err := rv.Changes(context.Background()); err == nil || err.Error() != "this session does not stage changes" {
		t.Fatalf("changes: %v", err)
	}
	if err := rv.Decide(context.Background(), session.Decision{Action: session.ReviewAccept, Targets: []string{"all"}}); err == nil {
		t.Fatal("decided without staging")
	}
}
