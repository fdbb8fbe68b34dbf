package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
	"gitlab.com/wend/wend/remote/llm/llmtest"
)

// writes lists the requests that changed GitLab.
func writes(srv *gitlabtest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		if !strings.HasPrefix(r, "GET ") {
			out = append(out, r)
		}
	}
	return out
}

// The review of !36 in a real terminal: its thread shows at its line; C
// drafts comments for every hunk (scripted model); the first is edited in
// place, the second in $EDITOR, the third dropped; nothing reaches GitLab
// until p and y, and then the two kept comments go up as one draft review.
func TestReviewFlowInTmux(t *testing.T) {
	bin := wendBinary(t)
	srv := gitlabtest.New(t)
	gitlabtest.ReviewFixture(srv.Data)
	dir := gitlabRepo(t, srv)
	model := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{
		{Text: `{"comments": [{"line": 12, "side": "new", "body": "Retry with a back-off, not at once."}]}`},
		{Text: `{"comments": [{"line": 38, "side": "new", "body": "Log the error of Close.", "suggestion": "\tif err := c.conn.Close(); err != nil {\n\t\tlog.Print(err)\n\t}"}]}`},
		{Text: `{"comments": [{"line": 4, "side": "new", "body": "Nit: say how long it waits."}]}`},
	}})
	home := t.TempDir()
	editor := filepath.Join(home, "edit.sh")
	os.WriteFile(editor, []byte("#!/bin/sh\nsed -i 's/^Log the error of Close./EDITED: log the error of Close./' \"$1\"\n"), 0o755)
	p := newPane(t, 120, 45, []string{"HOME=" + home, "XDG_STATE_HOME=" + home, "XDG_CONFIG_HOME=" + home, "OPENAI_API_KEY=k",
		"GITLAB_TOKEN=" + gitlabtest.Token, "TERM=xterm-256color", "EDITOR=" + editor},
		bin, "-C", dir, "--provider", "openai", "--base-url", model.URL, "--model", "m", "review", "!36")
	p.waitFor("Retry the upload")
	p.waitFor("Should this back off between attempts?") // bob's thread, at upload.go:12
	p.keys("C")
	p.waitFor("3 drafted")
	p.waitFor("Retry with a back-off")
	p.keys("i") // the cursor is on the first drafted comment: edit it in place
	p.waitFor("editing comment 1")
	p.typeText(" Start at 100ms.")
	p.keys("C-s")
	p.waitFor("comment 1 edited and kept")
	p.keys("]", "e") // the second in $EDITOR
	p.waitFor("EDITED: log the error of Close.")
	p.waitFor("comment 2 edited and kept")
	p.keys("]", "d") // drop the third
	p.waitFor("comment 3 dropped")
	if w := writes(srv); len(w) != 0 {
		t.Fatalf("GitLab was written before publishing: %v", w)
	}
	p.keys("p")
	p.waitFor("Publish 2 comment(s) as one draft review? y/n")
	if w := writes(srv); len(w) != 0 {
		t.Fatalf("GitLab was written before the confirmation: %v", w)
	}
	p.keys("y")
	p.waitFor("Published 2 comment(s) as one draft review")
	w := writes(srv)
	if len(w) != 3 || !strings.HasSuffix(w[2], "/draft_notes/bulk_publish") {
		t.Fatalf("writes: %v", w)
	}
	threads := srv.Threads(gitlabtest.ReviewMRIID)
	if len(threads) != 3 {
		t.Fatalf("%d threads", len(threads))
	}
	first, second := threads[1].Notes[0], threads[2].Notes[0]
	if first.Body != "Retry with a back-off, not at once. Start at 100ms." || *first.Position.NewLine != 12 {
		t.Errorf("edited comment: %q at %+v", first.Body, first.Position)
	}
	if !strings.HasPrefix(second.Body, "EDITED: log the error of Close.") || !strings.Contains(second.Body, "```suggestion:-0+0\n\tif err := c.conn.Close(); err != nil {") || *second.Position.NewLine != 38 {
		t.Errorf("kept comment: %q", second.Body)
	}
	for _, th := range threads {
		if strings.Contains(th.Notes[0].Body, "Nit:") {
			t.Error("the dropped comment was posted")
		}
	}
	p.keys("q")
}
