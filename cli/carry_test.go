package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/remote/llm/llmtest"
)

// A rejection decided after its session ended (`wend reject --reason`) never
// reached that session's model. The next session in the repository carries it
// in its first model request, and only once that request succeeded is it
// acknowledged in the old session's journal; a next session whose first
// request fails leaves it pending for the one after.
func TestEarlierFeedbackReachesTheNextSession(t *testing.T) {
	dir := notesRepo(t)
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	runScripted(t, env, dir, "first task", editCall("row-02\n", "FIRST\n"))
	if code, out, errOut := wend(t, env, "-C", dir, "reject", "notes.txt", "--reason", "keep row two as it is"); code != 0 {
		t.Fatalf("reject: %d %s %s", code, out, errOut)
	}
	first := sessionIDs(t, env, dir)["first task"]
	pending := func() []gitops.Decision {
		t.Helper()
		gs, err := gitops.Open(context.Background(), dir, first)
		if err != nil {
			t.Fatal(err)
		}
		defer gs.Close()
		return gs.Feedback()
	}
	if fb := pending(); len(fb) != 1 {
		t.Fatalf("feedback before: %+v", fb)
	}

	// A session whose first request fails does not take the feedback away.
	failing := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{{Fault: &llmtest.Fault{Status: 400, Message: "bad request"}}}})
	wend(t, env, "-C", dir, "run", "--provider", "openai", "--base-url", failing.URL, "--model", "m", "second task")
	if reqs := failing.Requests(); len(reqs) != 1 || !strings.Contains(string(reqs[0].Body), "keep row two as it is") {
		t.Fatalf("the failed session's request did not carry the feedback: %d requests", len(reqs))
	}
	if fb := pending(); len(fb) != 1 {
		t.Fatalf("feedback acknowledged though its request failed: %+v", fb)
	}

	srv := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{
		{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: json.RawMessage(`{"summary":"ok"}`)}}},
	}})
	if code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "openai", "--base-url", srv.URL, "--model", "m", "third task"); code != 0 {
		t.Fatalf("third run: %d %s %s", code, out, errOut)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("requests: %d", len(reqs))
	}
	body := string(reqs[0].Body)
	if !strings.Contains(body, "[wend] Earlier review feedback not yet delivered") || !strings.Contains(body, "keep row two as it is") {
		t.Fatalf("the first request did not carry the earlier feedback:\n%s", body)
	}
	if fb := pending(); len(fb) != 0 {
		t.Fatalf("delivered feedback still pending in session %s: %+v", first, fb)
	}
	if code, out, _ := wend(t, env, "-C", dir, "changes"); code != 0 || strings.Contains(out, "not yet delivered") {
		t.Fatalf("changes after delivery: %d %s", code, out)
	}
}
