package gitlab

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
)

// Threads on a whole file and on a point of an image say so, instead of
// pointing at a line 0 that does not exist.
func TestNotesOnAFileAndAnImage(t *testing.T) {
	srv := gitlabtest.New(t)
	c, _ := testClient(t, srv)
	it, err := c.Resolve(bg, mustRef(t, fmt.Sprintf("!%d", gitlabtest.PositionsMRIID)), Options{Budget: 20000})
	if err != nil {
		t.Fatal(err)
	}
	md := it.Markdown
	for _, want := range []string{
		"### Thread 1 · unresolved · on file assets/LICENSE\n",
		"### Thread 2 · unresolved · on image assets/logo.png at (140,88) of 512×256\n",
		"Is CC-BY-4.0 compatible", "The edge of the mark is blurred here.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("merge request lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, ":0\n") || strings.Contains(md, "← here") {
		t.Errorf("a file or image thread was placed on a line:\n%s", md)
	}
}

// An issue whose answer has odd fields (iid as text, labels as objects, an
// assignees object, a null author, a time in another layout, a due date that
// is not a date) still renders: every readable field as usual, the rest as
// unknown, with a note naming them.
func TestIssueWithOddFieldsStillRenders(t *testing.T) {
	srv := gitlabtest.New(t)
	c, _ := testClient(t, srv)
	it, err := c.Resolve(bg, mustRef(t, fmt.Sprintf("#%d", gitlabtest.OddIssueIID)), Options{Budget: 20000})
	if err != nil {
		t.Fatalf("one odd field sank the issue: %v", err)
	}
	md := it.Markdown
	for _, want := range []string{
		"# Issue group/sub/proj#15: Login page shows a blank screen on Safari",
		"- state: opened", "- labels: bug, browser::safari", "- assignees: unknown", "- milestone: none",
		"- author: @unknown, opened 2023-07-05 16:38, updated 2026-11-02 09:30",
		"- url: https://gitlab.example.com/group/sub/proj/-/issues/15",
		"Steps: open /login on Safari 17.",
		"**@bob** · 2026-11-03 10:00", "Reproduced on Safari 17.1.",
		"**@unknown** · 2026-11-02 12:00", "A note whose author was deleted.",
		"could not read; they show as unknown: assignees (got an object {\"id\": 7,",
		"due_date (got text \"next sprint\", want a date (YYYY-MM-DD))", "time_stats (got text \"none\", want an object)",
		"wend doctor --report",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("issue lacks %q:\n%s", want, md)
		}
	}
	if it.Ref != "group/sub/proj#15" || it.State != "opened" {
		t.Errorf("item %q %q", it.Ref, it.State)
	}
}

// A pipeline in a state no release had when wend was written, with a
// duration as text and a job whose stage is a number, still renders.
func TestPipelineWithOddFieldsStillRenders(t *testing.T) {
	srv := gitlabtest.New(t)
	c, _ := testClient(t, srv)
	r := mustRef(t, fmt.Sprintf("https://gitlab.example.com/%s/-/pipelines/%d", gitlabtest.Project, gitlabtest.OddPipelineID))
	r.Scheme, r.Host = "http", c.Host()
	it, err := c.Resolve(bg, r, Options{Budget: 20000})
	if err != nil {
		t.Fatalf("one odd field sank the pipeline: %v", err)
	}
	md := it.Markdown
	// The pipeline's "user" came as a list; wend does not render it, so it
	// must simply not matter.
	for _, want := range []string{"# Pipeline #993: canceling", "- duration: 7m0s", "? test — canceling", "### 2", "could not read"} {
		if !strings.Contains(md, want) {
			t.Errorf("pipeline lacks %q:\n%s", want, md)
		}
	}
}

// When GitLab's answer cannot be read at all, the error says so, names what
// and why, asks for a report, and does not blame the network.
func TestUnreadableAnswerIsNotANetworkProblem(t *testing.T) {
	for name, body := range map[string]string{
		"html":  "<!DOCTYPE html><html><body>Sign in</body></html>",
		"list":  `[{"iid": 12}]`,
		"wrong": `{"iid": 12`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := gitlabtest.New(t)
			srv.Data.Raw["issues/12"] = body
			c, _ := testClient(t, srv)
			_, err := c.Resolve(bg, mustRef(t, "#12"), Options{})
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, want := range []string{"GitLab answered, but wend could not read issue group/sub/proj#12: (the whole answer): ", "please report this with `wend doctor --report`"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q: %s", want, msg)
				}
			}
			if strings.Contains(msg, "network") || strings.Contains(msg, "SSL_CERT_FILE") || strings.Contains(msg, "PROXY") {
				t.Errorf("a decode failure explained as a network problem: %s", msg)
			}
		})
	}
}

// client-go's own strict decoding (calls wend does not read itself) gets the
// same explanation, naming the field.
func TestClientGoDecodeErrorExplained(t *testing.T) {
	srv := gitlabtest.New(t)
	c, _ := testClient(t, srv)
	var is gl.BasicMergeRequest
	decodeErr := json.Unmarshal([]byte(`{"iid": {"value": 12}}`), &is)
	err := c.explain(fmt.Errorf("GET projects: %w", decodeErr), "merge requests of group/sub/proj", nil)
	want := "GitLab answered, but wend could not read merge requests of group/sub/proj: iid: got a JSON object, want int64; please report this with `wend doctor --report`"
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
	var ge *Error
	if !errors.As(err, &ge) || StatusOf(err) != 0 {
		t.Errorf("%T status %d", err, StatusOf(err))
	}
}

func TestDecodeLenientShapes(t *testing.T) {
	var is gl.Issue
	ps, err := decodeLenient([]byte(`{"iid": "12", "labels": [{"name": "bug"}, "plain"], "author": null, "created_at": "2023-07-05 16:38:53 UTC",
		"milestone": {"title": "17.6", "id": "m-1"}, "upvotes": 2.0, "confidential": "true", "title": 5}`), &is)
	if err != nil {
		t.Fatal(err)
	}
	if is.IID != 12 || strings.Join(is.Labels, ",") != "bug,plain" || is.Author != nil || is.CreatedAt == nil || is.CreatedAt.Year() != 2023 ||
		is.Milestone == nil || is.Milestone.Title != "17.6" || is.Upvotes != 2 || !is.Confidential || is.Title != "5" {
		t.Errorf("decoded %+v", is)
	}
	if len(ps) != 1 || ps[0].Path != "milestone.id" {
		t.Errorf("problems %+v", ps)
	}
}
