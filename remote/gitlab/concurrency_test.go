package gitlab

import (
	"testing"
	"time"

	"gitlab.com/wend/wend/context/refs"
	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
)

// issue + MR + its pipeline: with every response delayed, a serial chain
// would cost (number of requests × latency); parallel rounds cost a few
// latencies. The server's in-flight high-water mark proves the overlap.
func TestResolveAllRunsIndependentRequestsConcurrently(t *testing.T) {
	srv := gitlabtest.New(t)
	srv.Latency = 100 * time.Millisecond
	c, _ := testClient(t, srv)
	list := []refs.Ref{mustRef(t, "#12"), mustRef(t, "!34"), mustRef(t, "!34 pipeline")}
	start := time.Now()
	res := c.ResolveAll(bg, list, Options{})
	elapsed := time.Since(start)
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Ref, r.Err)
		}
	}
	n := len(srv.Requests())
	serial := time.Duration(n) * srv.Latency
	t.Logf("%d requests, max in flight %d, %v (a serial chain: %v)", n, srv.MaxInFlight(), elapsed, serial)
	if srv.MaxInFlight() < 6 {
		t.Errorf("max in flight %d, want >= 6 (issue 3 + MR 3 + pipeline head in the first round)", srv.MaxInFlight())
	}
}

// BenchmarkResolveIssueMRPipeline resolves #12, !34 and !34's pipeline with a
// 20 ms server latency; the /serial variant bounds the client to one request
// at a time, which is what a chain of calls would cost.
func BenchmarkResolveIssueMRPipeline(b *testing.B) {
	b.Run("parallel", func(b *testing.B) { benchResolve(b, 0) })
	b.Run("serial", func(b *testing.B) { benchResolve(b, 1) })
}

func benchResolve(b *testing.B, concurrency int) {
	srv := gitlabtest.New(b)
	srv.Latency = 20 * time.Millisecond
	c, _ := testClient(b, srv)
	if concurrency > 0 {
		c.sem = make(chan struct{}, concurrency)
	}
	list := []refs.Ref{{Kind: refs.Issue, IID: 12}, {Kind: refs.MergeRequest, IID: 34}, {Kind: refs.MergeRequest, IID: 34, HeadPipeline: true}}
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range c.ResolveAll(bg, list, Options{}) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
	b.ReportMetric(float64(srv.MaxInFlight()), "max-in-flight")
	b.ReportMetric(float64(len(srv.Requests()))/float64(b.N), "requests/op")
}
