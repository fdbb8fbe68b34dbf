package gitlab

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
)

// waits records the watcher's pauses instead of sleeping through them.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = append(w.d, d)
	return ctx.Err()
}

func threeJobs() []gitlabtest.LiveJob {
	return []gitlabtest.LiveJob{
		{ID: 801, Name: "build", Stage: "build", Statuses: []string{"pending", "running", "success"}, Duration: 12},
		{ID: 802, Name: "test", Stage: "test", Statuses: []string{"created", "created", "running", "running", "running", "running", "success"}, Duration: 40},
		{ID: 803, Name: "lint", Stage: "test", Statuses: []string{"created", "created", "running", "success"}, Duration: 5},
	}
}

// One poll is one request for the pipeline and one for its jobs, however many
// jobs; unchanged answers come back as 304 and are used; the wait grows while
// nothing changes and drops back when something does.
func TestWatchPipelineOnePairPerPollAndUses304(t *testing.T) {
	srv := gitlabtest.New(t)
	srv.AddLivePipeline(&gitlabtest.LivePipeline{ID: 900, SHA: "abc123", Ref: "main", Every: 3, Jobs: threeJobs()})
	c, _ := testClient(t, srv)
	w := &waits{}
	var updates []PipelineState
	st, err := c.WatchPipeline(context.Background(), WatchOptions{Pipeline: 900, Interval: time.Second, MaxInterval: 8 * time.Second,
		Update: func(s PipelineState) { updates = append(updates, s) }, sleep: w.sleep})
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != "success" || len(st.Jobs) != 3 || st.Jobs[0].Name != "build" || st.Jobs[1].Duration != 40*time.Second {
		t.Fatalf("final state %+v", st)
	}
	stats := srv.Stats()
	polls := len(w.d) + 1
	if stats.PipelineGets != polls || stats.JobsGets != polls {
		t.Fatalf("%d polls made %d pipeline and %d jobs requests; want one of each per poll", polls, stats.PipelineGets, stats.JobsGets)
	}
	if len(srv.Requests()) != 2*polls {
		t.Fatalf("%d requests for %d polls: %v", len(srv.Requests()), polls, srv.Requests())
	}
	if stats.NotModified == 0 {
		t.Fatal("no 304: If-None-Match was not sent or not honoured")
	}
	t.Logf("%d polls, %d requests, %d answered 304; waits %v", polls, 2*polls, stats.NotModified, w.d)
	if len(updates) < 3 || updates[0].Status != "pending" || updates[len(updates)-1].Status != "success" {
		t.Fatalf("updates %+v", updates)
	}
	for i := 1; i < len(updates); i++ {
		if equalState(updates[i], updates[i-1]) {
			t.Fatalf("update %d repeats the one before", i)
		}
	}
	grew, reset := false, false
	for i := 1; i < len(w.d); i++ {
		if w.d[i] > w.d[i-1] {
			grew = true
		}
		if w.d[i] < w.d[i-1] && w.d[i] == time.Second {
			reset = true
		}
		if w.d[i] > 8*time.Second {
			t.Fatalf("wait %s above the maximum", w.d[i])
		}
	}
	if !grew || !reset {
		t.Fatalf("waits %v: want growth while unchanged and a reset after a change", w.d)
	}
}

func TestWatchPipelineHonoursRetryAfterAndPollInterval(t *testing.T) {
	srv := gitlabtest.New(t)
	srv.AddLivePipeline(&gitlabtest.LivePipeline{ID: 901, SHA: "abc124", Ref: "main", Jobs: []gitlabtest.LiveJob{
		{ID: 811, Name: "test", Stage: "test", Statuses: []string{"running", "running", "failed"}},
	}})
	srv.Fail("/pipelines/901", "7", 429)
	c, _ := testClient(t, srv)
	w := &waits{}
	st, err := c.WatchPipeline(context.Background(), WatchOptions{Pipeline: 901, Interval: time.Second, sleep: w.sleep})
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != "failed" || len(st.Failed()) != 1 || st.Failed()[0].FailureReason != "script_failure" {
		t.Fatalf("state %+v", st)
	}
	if len(w.d) == 0 || w.d[0] < 7*time.Second {
		t.Fatalf("after a 429 with Retry-After: 7 the watcher waited %v", w.d)
	}
	// The 429 was not retried inside the poll: the next request came after the wait.
	reqs := srv.Requests()
	if !strings.HasSuffix(reqs[0], "/pipelines/901") || !strings.HasSuffix(reqs[1], "/pipelines/901") {
		t.Fatalf("requests %v", reqs)
	}
}

func TestWatchPipelineFindsTheCommitsPipeline(t *testing.T) {
	srv := gitlabtest.New(t)
	srv.AddLivePipeline(&gitlabtest.LivePipeline{ID: 902, SHA: "feed01", Ref: "fix", Jobs: []gitlabtest.LiveJob{
		{ID: 821, Name: "test", Stage: "test", Statuses: []string{"success"}},
	}})
	c, _ := testClient(t, srv)
	w := &waits{}
	st, err := c.WatchPipeline(context.Background(), WatchOptions{SHA: "feed01", sleep: w.sleep})
	if err != nil || st.ID != 902 || st.Status != "success" {
		t.Fatalf("%+v %v", st, err)
	}
	// A commit with no pipeline: a clear error once the wait is over, not a hang.
	_, err = c.WatchPipeline(context.Background(), WatchOptions{SHA: "0000aa", Interval: time.Millisecond, FindTimeout: 20 * time.Millisecond,
		sleep: func(ctx context.Context, d time.Duration) error { return sleepCtx(ctx, d) }})
	if !errors.Is(err, ErrNoPipeline) || !strings.Contains(err.Error(), "ci skip") {
		t.Fatalf("no pipeline: %v", err)
	}
}

// A pipeline that does not exist, or a token that cannot read it, ends the
// watch at once with GitLab's reason.
func TestWatchPipelineStopsOnPermanentErrors(t *testing.T) {
	srv := gitlabtest.New(t)
	c, _ := testClient(t, srv)
	w := &waits{}
	_, err := c.WatchPipeline(context.Background(), WatchOptions{Pipeline: 4040, sleep: w.sleep})
	if err == nil || len(w.d) != 0 || !strings.Contains(err.Error(), "4040") {
		t.Fatalf("err %v after %d waits", err, len(w.d))
	}
	srv.AddLivePipeline(&gitlabtest.LivePipeline{ID: 903, SHA: "x", Jobs: threeJobs()})
	srv.Fail("/pipelines/903", "", 502, 502, 502, 502, 502, 502)
	_, err = c.WatchPipeline(context.Background(), WatchOptions{Pipeline: 903, MaxErrors: 3, sleep: w.sleep})
	if err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("after 5xx in a row: %v", err)
	}
}
