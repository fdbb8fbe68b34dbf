package gitlab

import (
	"encoding/json"
	"strings"
	"testing"

	"gitlab.com/wend/wend/context/refs"
	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
)

func TestToolsSchemasAndCalls(t *testing.T) {
	srv := gitlabtest.New(t)
	c, sink := testClient(t, srv)
	tools := map[string]Tool{}
	var names []string
	for _, tl := range c.Tools(0) {
		var v map[string]any
		if err := json.Unmarshal(tl.Schema, &v); err != nil || v["type"] != "object" {
			t.Errorf("%s: schema %s: %v", tl.Name, tl.Schema, err)
		}
		if tl.Description == "" || tl.Run == nil {
			t.Errorf("%s: incomplete", tl.Name)
		}
		tools[tl.Name] = tl
		names = append(names, tl.Name)
	}
	if got := strings.Join(names, ","); got != "gitlab_get_issue,gitlab_get_merge_request,gitlab_get_epic,gitlab_get_pipeline,gitlab_get_job_log,gitlab_search" {
		t.Fatalf("tools %s", got)
	}
	calls := []struct {
		tool, args string
		want       []string
		summary    string
	}{
		{"gitlab_get_issue", `{"ref": "#12"}`, []string{"# Issue group/sub/proj#12"}, "group/sub/proj#12: Crash"},
		{"gitlab_get_merge_request", `{"ref": "!34", "include_diff": true}`, []string{"```diff", "big.go"}, "group/sub/proj!34"},
		{"gitlab_get_merge_request", `{"ref": "!34", "file": "internal/pkg07/file.go"}`, []string{"const v = 8"}, ""},
		{"gitlab_get_epic", `{"ref": "group&5"}`, []string{"Child issues (2)"}, ""},
		{"gitlab_get_pipeline", `{"ref": 991}`, []string{"# Pipeline #991: failed"}, ""},
		{"gitlab_get_pipeline", `{"ref": "!34"}`, []string{"# Pipeline #991: failed"}, ""},
		{"gitlab_get_job_log", `{"job": 5002}`, []string{"--- FAIL: TestLoadMissingFile", "Sections (folded)"}, "job 5002 log:"},
		{"gitlab_get_job_log", `{"job": "5002", "start_line": 4, "end_line": 6}`, []string{"lines 4–6 of", "Getting source"}, "job 5002 log lines 4–6"},
		{"gitlab_search", `{"scope": "issues", "query": "config"}`, []string{"#12 Crash", "#13 Document"}, "3 hits"},
		{"gitlab_search", `{"scope": "merge_requests", "query": "missing"}`, []string{"!34 Handle"}, ""},
	}
	for _, cl := range calls {
		out, sum, err := tools[cl.tool].Run(bg, json.RawMessage(cl.args))
		if err != nil {
			t.Errorf("%s %s: %v", cl.tool, cl.args, err)
			continue
		}
		for _, w := range cl.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s %s: missing %q in\n%.2000s", cl.tool, cl.args, w, out)
			}
		}
		if !strings.Contains(sum, cl.summary) {
			t.Errorf("%s summary %q lacks %q", cl.tool, sum, cl.summary)
		}
		noToken(t, out, sum)
	}
	bad := []struct{ tool, args, want string }{
		{"gitlab_get_issue", `{"ref": "!34"}`, "is a merge request reference"},
		{"gitlab_get_issue", `{"reff": "#1"}`, "bad arguments"},
		{"gitlab_get_pipeline", `{"ref": "#12x"}`, "pass a pipeline id"},
		{"gitlab_get_job_log", `{"job": 5002, "start_line": 9, "end_line": 3}`, "before start_line"},
		{"gitlab_search", `{"scope": "wiki", "query": "x"}`, "scope must be"},
	}
	for _, b := range bad {
		_, _, err := tools[b.tool].Run(bg, json.RawMessage(b.args))
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s %s: error %v, want %q", b.tool, b.args, err, b.want)
		}
	}
	noToken(t, sink.dump(t))
}

func TestSuggest(t *testing.T) {
	srv := gitlabtest.New(t)
	c, _ := testClient(t, srv)
	hits, err := c.Suggest(bg, refs.Issue, "")
	if err != nil || len(hits) != 3 || !hits[0].Assigned {
		t.Fatalf("issues: %+v %v", hits, err)
	}
	hits, err = c.Suggest(bg, refs.Issue, "xdg")
	if err != nil || hits[0].Ref != "#14" && !hits[0].Assigned {
		t.Errorf("issue search: %+v %v", hits, err)
	}
	var found bool
	for _, h := range hits {
		found = found || h.Ref == "#14"
	}
	if !found {
		t.Errorf("typed text did not find #14: %+v", hits)
	}
	mrs, err := c.Suggest(bg, refs.MergeRequest, "")
	if err != nil || len(mrs) != 1 || mrs[0].Ref != "!34" || !mrs[0].Assigned {
		t.Errorf("MRs: %+v %v", mrs, err)
	}
	epics, err := c.Suggest(bg, refs.Epic, "config")
	if err != nil || len(epics) != 1 || epics[0].Ref != "&5" {
		t.Errorf("epics: %+v %v", epics, err)
	}
}

func TestWriteActions(t *testing.T) {
	srv := gitlabtest.New(t)
	c, _ := testClient(t, srv)
	mr, err := c.CreateMergeRequest(bg, NewMergeRequest{SourceBranch: "12-missing-config", Title: "Handle a missing config",
		Description: "Checks the file first. Token was " + gitlabtest.Secret, Issue: 12, Draft: true})
	if err != nil {
		t.Fatal(err)
	}
	if mr.Ref != "group/sub/proj!99" || !strings.HasSuffix(mr.URL, "/merge_requests/99") {
		t.Errorf("created %+v", mr)
	}
	body := srv.Body("/merge_requests")
	var m map[string]string
	json.Unmarshal(body, &m)
	if m["title"] != "Draft: Handle a missing config" || m["target_branch"] != "main" || !strings.HasSuffix(m["description"], "Closes #12") {
		t.Errorf("sent %s", body)
	}
	noToken(t, string(body))

	n, err := c.AddNote(bg, mustRef(t, "#12"), "Summary: fixed in !99.")
	if err != nil || n.ID == 0 || !strings.Contains(n.URL, "/-/issues/12#note_") {
		t.Errorf("note %+v %v", n, err)
	}
	if _, err := c.AddNote(bg, mustRef(t, "!34"), "LGTM"); err != nil {
		t.Error(err)
	}
	if _, err := c.AddNote(bg, mustRef(t, "&5"), "x"); err == nil {
		t.Error("note on an epic accepted")
	}
	if _, err := c.CreateMergeRequest(bg, NewMergeRequest{Title: "x"}); err == nil {
		t.Error("MR without a source branch accepted")
	}
}

func TestClosingDescription(t *testing.T) {
	cases := map[string]string{
		"":                 "Closes #12",
		"Fixes #12 today":  "Fixes #12 today",
		"Refs #120":        "Refs #120\n\nCloses #12",
		"closes #3":        "closes #3\n\nCloses #12",
		"Task: fix #12":    "Task: fix #12\n\nCloses #12",
		"Plan:\nFixes #12": "Plan:\nFixes #12",
	}
	for in, want := range cases {
		if got := ClosingDescription(in, 12); got != want {
			t.Errorf("ClosingDescription(%q) = %q, want %q", in, got, want)
		}
	}
}
