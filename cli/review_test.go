package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
	"gitlab.com/wend/wend/remote/llm/llmtest"
	"gitlab.com/wend/wend/session"
)

// reviewScript answers the three hunks of !36 in order: a comment with a
// suggestion on upload.go's new line 12, nothing for the second hunk, a
// comment on README.md's new line 4.
func reviewScript() llmtest.Script {
	return llmtest.Script{Turns: []llmtest.Turn{
		{Text: "```json\n{\"comments\": [{\"line\": 12, \"side\": \"new\", \"body\": \"Retry with a back-off, not at once.\", \"suggestion\": \"\\tfor i := 0; i < maxTries; i++ {\"}]}\n```"},
		{Text: `{"comments": []}`},
		{Text: `{"comments": [{"line": 4, "side": "new", "body": "Say how long it waits between tries."}]}`},
	}}
}

func reviewSetup(t *testing.T) (*gitlabtest.Server, *llmtest.Server, string, func(string) string) {
	t.Helper()
	srv := gitlabtest.New(t)
	gitlabtest.ReviewFixture(srv.Data)
	srv.Data.MRs[gitlabtest.ReviewMRIID].Description += "\n\nDebug token: " + gitlabtest.Secret
	dir := gitlabRepo(t, srv)
	model := llmtest.Start(t, llmtest.OpenAI, reviewScript())
	env := wendEnv(t, map[string]string{"GITLAB_TOKEN": gitlabtest.Token, "OPENAI_API_KEY": "k"})
	return srv, model, dir, env
}

func TestReviewJSONDraftsWithoutPosting(t *testing.T) {
	srv, model, dir, env := reviewSetup(t)
	code, out, errOut := wend(t, env, "-C", dir, "--provider", "openai", "--base-url", model.URL, "--model", "m", "review", "!36", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep reviewReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.Hunks != 3 || rep.Drafted != 3 || len(rep.Comments) != 2 || rep.Published {
		t.Fatalf("report: %+v", rep)
	}
	c := rep.Comments[0]
	if c.NewPath != "upload.go" || c.NewLine != 12 || c.OldLine != 0 || c.Hunk != "upload.go#1" ||
		!strings.Contains(c.Body, "```suggestion:-0+0\n\tfor i := 0; i < maxTries; i++ {\n```") {
		t.Errorf("first comment: %+v", c)
	}
	if c := rep.Comments[1]; c.NewPath != "README.md" || c.NewLine != 4 {
		t.Errorf("second comment: %+v", c)
	}
	for _, r := range srv.Requests() {
		if !strings.HasPrefix(r, "GET ") {
			t.Fatalf("--json wrote to GitLab: %s", r)
		}
	}
	reqs := model.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d model requests", len(reqs))
	}
	first := string(reqs[0].Body)
	for _, want := range []string{"Retry the upload", "retry them three times", "12  +", "[REDACTED"} {
		if !strings.Contains(first, want) {
			t.Errorf("the model's context lacks %q: %s", want, first)
		}
	}
	noSecrets(t, dir, out, errOut, first)
}

func TestReviewPublishPostsOneDraftReview(t *testing.T) {
	srv, model, dir, env := reviewSetup(t)
	code, out, errOut := wend(t, env, "-C", dir, "--provider", "openai", "--base-url", model.URL, "--model", "m", "review", "!36", "--publish")
	if code != 0 || !strings.Contains(out, "Published 2 comment(s) as one draft review") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	if srv.Published() != 2 {
		t.Fatalf("published %d", srv.Published())
	}
	var writes []string
	for _, r := range srv.Requests() {
		if !strings.HasPrefix(r, "GET ") {
			writes = append(writes, r)
		}
	}
	if len(writes) != 3 || !strings.HasSuffix(writes[2], "/draft_notes/bulk_publish") {
		t.Fatalf("writes: %v", writes)
	}
}

func TestReviewRefusesWhatIsNotAMergeRequest(t *testing.T) {
	env := wendEnv(t, nil)
	for _, arg := range []string{"#12", "&5", "main"} {
		if code, _, errOut := wend(t, env, "review", arg); code != ExitUsage || !strings.Contains(errOut, "is not a merge request") {
			t.Errorf("%s: exit %d: %s", arg, code, errOut)
		}
	}
}

func TestParseHunksAndDraftAnchors(t *testing.T) {
	hs := parseHunks("a.go", "@@ -8,3 +8,4 @@ func f() {\n ctx\n-old\n+new1\n+new2\n ctx2\n\\ No newline at end of file\n@@ -20 +21 @@\n-x\n+y\n")
	if len(hs) != 2 || hs[0].OldStart != 8 || hs[0].NewLines != 4 || hs[1].OldLines != 1 || hs[1].NewStart != 21 || hs[1].ID != "a.go#2" {
		t.Fatalf("%+v", hs)
	}
	f := session.FileChange{Path: "a.go"}
	lines := numberLines(hs[0])
	got, err := parseDrafts(`{"comments":[{"line":9,"side":"old","body":"why"},{"line":8,"side":"new","body":"ctx"},{"line":77,"body":"lost?","suggestion":"z"}]}`, f, hs[0], lines)
	if err != nil || len(got) != 3 {
		t.Fatalf("%v %+v", err, got)
	}
	if got[0].OldLine != 9 || got[0].NewLine != 0 {
		t.Errorf("removed line: %+v", got[0])
	}
	if got[1].OldLine != 8 || got[1].NewLine != 8 {
		t.Errorf("unchanged line needs both: %+v", got[1])
	}
	if got[2].OldLine != 9 || !strings.Contains(got[2].Body, "line 77") || strings.Contains(got[2].Body, "suggestion") {
		t.Errorf("unknown line: %+v", got[2])
	}
	if _, err := parseDrafts("I have no comments.", f, hs[0], lines); err == nil {
		t.Error("prose was taken for JSON")
	}
	if s := suggestion("a ``` b"); !strings.HasPrefix(s, "````suggestion:-0+0\n") || !strings.HasSuffix(s, "\n````") {
		t.Errorf("fence: %q", s)
	}
}
