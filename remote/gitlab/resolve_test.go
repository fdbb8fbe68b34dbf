package gitlab

import (
	"strings"
	"testing"

	"gitlab.com/wend/wend/context/refs"
	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
)

func mustRef(t *testing.T, s string) refs.Ref {
	t.Helper()
	r, err := refs.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestResolveIssue(t *testing.T) {
	srv := gitlabtest.New(t)
	srv.BasePath = "/gitlab"
	c, sink := testClient(t, srv)
	it, err := c.Resolve(bg, mustRef(t, "#12"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	md := it.Markdown
	for _, want := range []string{
		"# Issue group/sub/proj#12: Crash when the config file is missing",
		"- state: opened", "- labels: bug, priority::1", "- assignees: @alice", "- milestone: 17.6",
		"## Related merge requests", "!34 Handle a missing config file (opened)",
		"## Notes (130;", "system event(s)", "**@bob**",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("missing %q in:\n%s", want, md)
		}
	}
	// Newest first: note 130 is a system note, 129 is a user note with a secret.
	if strings.Index(md, "Comment 127") > strings.Index(md, "Comment 1:") && strings.Contains(md, "Comment 1:") {
		t.Error("notes are not newest first")
	}
	if len(md) > DefaultBudget+2000 {
		t.Errorf("markdown is %d bytes, budget %d", len(md), DefaultBudget)
	}
	// Page 2 of the notes was fetched (130 notes > one page of 100).
	var page2 bool
	for _, r := range srv.Requests() {
		if strings.Contains(r, "/notes") && isPage2(r) {
			page2 = true
		}
	}
	if !page2 && !strings.Contains(md, "older notes") {
		t.Error("neither fetched page 2 nor said notes were cut")
	}
	if !strings.Contains(md, "[REDACTED]") {
		t.Error("the secret in the description was not redacted")
	}
	noToken(t, md, sink.dump(t))
}

func TestResolveIssueSmallBudgetSaysWhatWasCut(t *testing.T) {
	srv := gitlabtest.New(t)
	c, _ := testClient(t, srv)
	it, err := c.Resolve(bg, mustRef(t, "group/sub/proj#12"), Options{Budget: 3000})
	if err != nil {
		t.Fatal(err)
	}
	if len(it.Markdown) > 3600 {
		t.Errorf("markdown %d bytes for budget 3000", len(it.Markdown))
	}
	if !strings.Contains(it.Markdown, "older notes of 130") || !strings.Contains(it.Markdown, `gitlab_get_issue {"ref": "group/sub/proj#12", "skip": `) {
		t.Errorf("cut not explained:\n%s", it.Markdown)
	}
	for _, r := range srv.Requests() {
		if isPage2(r) {
			t.Errorf("fetched page 2 although the budget was used up: %s", r)
		}
	}
}

func TestResolveMergeRequest(t *testing.T) {
	srv := gitlabtest.New(t)
	c, sink := testClient(t, srv)
	it, err := c.Resolve(bg, mustRef(t, "!34"), Options{Diff: true, Budget: 40000})
	if err != nil {
		t.Fatal(err)
	}
	md := it.Markdown
	for _, want := range []string{
		"# Merge request group/sub/proj!34: Handle a missing config file",
		"Closes #12", "head pipeline: #991 failed",
		"## Discussions (3 threads, 1 unresolved)",
		"### Thread 1 · resolved · internal/config/load.go:42",
		"errors.Is(err, fs.ErrNotExist)", "← here",
		"### Thread 2 · unresolved", "Please add a test",
		"## Changes (25 files", "internal/generated/big.go (+6000 −0) new",
		"diff of internal/generated/big.go cut", `"file": "internal/generated/big.go"`,
	} {
		if !strings.Contains(md, want) {
			t.Errorf("missing %q in:\n%s", want, md)
		}
	}
	if strings.Contains(md, "changed the description") {
		t.Error("system note shown in discussions")
	}
	if len(md) > 40000+3000 {
		t.Errorf("markdown %d bytes for budget 40000", len(md))
	}
	noToken(t, md, sink.dump(t))

	one, err := c.Resolve(bg, mustRef(t, "!34"), Options{File: gitlabtest.DiffNotePath})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(one.Markdown, "### "+gitlabtest.DiffNotePath) || strings.Contains(one.Markdown, "big.go") {
		t.Errorf("single-file diff:\n%s", one.Markdown)
	}
}

func TestResolvePipelineWithLogExcerpt(t *testing.T) {
	srv := gitlabtest.New(t)
	c, sink := testClient(t, srv)
	for _, ref := range []string{"!34 pipeline", "https://gitlab.example.com/group/sub/proj/-/pipelines/991"} {
		r := mustRef(t, ref)
		if r.Host != "" {
			r.Scheme, r.Host = "http", c.Host()
		}
		it, err := c.Resolve(bg, r, Options{})
		if err != nil {
			t.Fatal(err)
		}
		md := it.Markdown
		errLine := gitlabtest.JobLogErrorLine(srv.Data.Logs[gitlabtest.FailedJobID])
		for _, want := range []string{
			"# Pipeline #991: failed", "### build", "### test", "### deploy",
			"✗ test:unit — failed (script_failure), 5m12s, job 5002",
			"## Failed job test:unit (job 5002", "▸ prepare_executor", "▾ (first error here) step_script",
			"--- FAIL: TestLoadMissingFile", "ERROR: Job failed: exit code 1",
			"gitlab_get_job_log {\"job\": 5002",
			" | --- FAIL: TestLoadMissingFile",
		} {
			if !strings.Contains(md, want) {
				t.Errorf("%s: missing %q in:\n%s", ref, want, md)
			}
		}
		if !strings.Contains(md, itoa(errLine)+" | --- FAIL") {
			t.Errorf("error line number %d not shown:\n%s", errLine, md)
		}
		if strings.Contains(md, "\x1b") || strings.Contains(md, "section_start") {
			t.Errorf("ANSI or section markers left in:\n%s", md)
		}
		if strings.Index(md, "### build") > strings.Index(md, "### test") {
			t.Error("stages not in run order")
		}
		noToken(t, md, sink.dump(t))
	}
}

func TestResolveEpicAndJob(t *testing.T) {
	srv := gitlabtest.New(t)
	c, _ := testClient(t, srv)
	it, err := c.Resolve(bg, mustRef(t, "group&5"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(it.Markdown, "# Epic group&5: Configuration overhaul") || !strings.Contains(it.Markdown, "group/sub/proj#12 Crash") {
		t.Errorf("epic:\n%s", it.Markdown)
	}
	job, err := c.Resolve(bg, refs.Ref{Kind: refs.Job, ID: gitlabtest.FailedJobID}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(job.Markdown, "# Job test:unit (job 5002): failed") || !strings.Contains(job.Markdown, "TestLoadMissingFile") {
		t.Errorf("job:\n%s", job.Markdown)
	}
}

func TestResolveOtherInstanceAndFileRefused(t *testing.T) {
	srv := gitlabtest.New(t)
	c, _ := testClient(t, srv)
	if _, err := c.Resolve(bg, mustRef(t, "https://elsewhere.example/g/p/-/issues/1"), Options{}); err == nil || !strings.Contains(err.Error(), "GITLAB_URL") {
		t.Errorf("other instance: %v", err)
	}
	if _, err := c.Resolve(bg, mustRef(t, "@main.go"), Options{}); err == nil {
		t.Error("file reference resolved")
	}
}

func isPage2(req string) bool {
	return strings.Contains(req, "?page=2&") || strings.Contains(req, "&page=2&") || strings.HasSuffix(req, "page=2")
}

// Without X-Total-Pages (GitLab omits it above 10,000 items) the notes are
// followed page by page through X-Next-Page.
func TestPagesWithoutTotals(t *testing.T) {
	srv := gitlabtest.New(t)
	srv.OmitTotals = true
	c, _ := testClient(t, srv)
	it, err := c.Resolve(bg, mustRef(t, "#12"), Options{Budget: 100000})
	if err != nil {
		t.Fatal(err)
	}
	var page2 bool
	for _, r := range srv.Requests() {
		page2 = page2 || strings.Contains(r, "/notes") && isPage2(r)
	}
	if !page2 || !strings.Contains(it.Markdown, "Comment 1:") {
		t.Errorf("page 2 fetched: %v; oldest note shown: %v", page2, strings.Contains(it.Markdown, "Comment 1:"))
	}
	if !strings.Contains(it.Markdown, "## Notes (130;") {
		t.Errorf("note count without X-Total:\n%.600s", it.Markdown)
	}
}

func TestUnknownNoteTotalIsSaid(t *testing.T) {
	srv := gitlabtest.New(t)
	srv.OmitTotals = true
	c, _ := testClient(t, srv)
	it, err := c.Resolve(bg, mustRef(t, "#12"), Options{Budget: 4000})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(it.Markdown, "## Notes (more than 100;") || !strings.Contains(it.Markdown, "notes older than the") {
		t.Errorf("unknown total not said:\n%s", it.Markdown)
	}
}

func TestSkipPagesThroughNotes(t *testing.T) {
	srv := gitlabtest.New(t)
	c, _ := testClient(t, srv)
	it, err := c.Resolve(bg, mustRef(t, "#12"), Options{Budget: 3000, Skip: 120})
	if err != nil {
		t.Fatal(err)
	}
	md := it.Markdown
	if !strings.Contains(md, "after the newest 120") || !strings.Contains(md, "Comment 9:") || strings.Contains(md, "Comment 11:") || strings.Contains(md, "## Description") {
		t.Errorf("skip 120:\n%s", md)
	}
}

func TestResolveIn(t *testing.T) {
	srv := gitlabtest.New(t)
	c, _ := testClient(t, srv)
	res := c.ResolveIn(bg, "Fix #12 (see !34 and #12 again), touching @internal/config/load.go", Options{Budget: 4000})
	if len(res) != 2 || res[0].Ref.Kind != refs.Issue || res[1].Ref.Kind != refs.MergeRequest {
		t.Fatalf("results %+v", res)
	}
	for _, r := range res {
		if r.Err != nil || r.Item.Markdown == "" {
			t.Errorf("%s: %v", r.Ref, r.Err)
		}
	}
}
