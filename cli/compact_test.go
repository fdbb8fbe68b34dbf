package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/cli/config"
	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/remote/llm/llmtest"
	"gitlab.com/wend/wend/session"
)

// A long session near the model's context window (context_window): the older
// turns are summarised by the model in one request, which the transcript
// shows as a notice; the next request carries the summary and the recent
// turns, not the old ones, and its prefix (system prompt and tools) is the
// bytes every earlier request began with. The full record stays in the log.
func TestLongSessionIsSummarised(t *testing.T) {
	dir := notesRepo(t)
	for i := 1; i <= 4; i++ {
		var b strings.Builder
		for j := 0; j < 120; j++ {
			fmt.Fprintf(&b, "part %d line %03d: some text that fills the context window\n", i, j)
		}
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("part%d.txt", i)), []byte(b.String()), 0o644)
	}
	git(t, dir, "add", "-A")
	git(t, dir, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "parts")
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	os.MkdirAll(filepath.Dir(config.UserConfigPath()), 0o700)
	if err := os.WriteFile(config.UserConfigPath(), []byte("context_window = 12000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const summary = "SUMMARY: parts 1 to 3 were read."
	reads := 0
	decide := func(r llmtest.Request) llmtest.Turn {
		msgs := r.Parsed.Messages
		last := msgs[len(msgs)-1]
		for _, b := range last.Content {
			if b.Type == llm.BlockText && strings.Contains(b.Text, "# Summarise") {
				return llmtest.Turn{Text: summary}
			}
		}
		if reads++; reads <= 4 {
			return llmtest.Turn{ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: json.RawMessage(fmt.Sprintf(`{"path":"part%d.txt"}`, reads))}}}
		}
		return finishTurn("read them all")
	}
	turns := make([]llmtest.Turn, 12)
	for i := range turns {
		turns[i].Func = decide
	}
	model := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: turns})
	code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "openai", "--model", "m", "--approval", "auto-edit",
		"--base-url", model.URL, "--json", "read the parts")
	if code != 0 {
		t.Fatalf("run: %d %s %s", code, out, errOut)
	}
	reqs := model.Requests()
	var asks []int
	for i, r := range reqs {
		if bytes.Contains(r.Body, []byte("# Summarise")) {
			asks = append(asks, i)
		}
	}
	if len(asks) != 1 || asks[0] != 4 || len(reqs) != 6 {
		t.Fatalf("%d requests, summarising ones at %v (want one, the fifth)", len(reqs), asks)
	}
	// The prefix a prompt cache keys on: the system message and the tools.
	sys0, tools0 := bodyMessages(t, reqs[0].Body)
	for i, r := range reqs {
		msgs, tools := bodyMessages(t, r.Body)
		if !bytes.Equal(tools, tools0) || !bytes.Equal(msgs[0], sys0[0]) {
			t.Errorf("request %d does not begin with the first request's system prompt and tools", i+1)
		}
	}
	// The request after the summary: the summary, then the recent turns as
	// they were sent before (parts 2 to 4), not the oldest (part 1).
	before, _ := bodyMessages(t, reqs[3].Body)
	after, _ := bodyMessages(t, reqs[5].Body)
	if !bytes.Contains(after[1], []byte(summary)) || !bytes.Contains(after[1], []byte("summarised")) {
		t.Errorf("the request after the summary opens with %s", after[1])
	}
	// before: system, task, (call, result) for parts 1 to 3; after: system,
	// summary, (call, result) for parts 2 to 4.
	if len(before) != 8 || len(after) != 8 {
		t.Fatalf("messages before %d, after %d", len(before), len(after))
	}
	for i := 2; i < 6; i++ {
		if !bytes.Equal(after[i], before[i+2]) {
			t.Errorf("recent message %d changed:\n%s\n%s", i, after[i], before[i+2])
		}
	}
	if b := reqs[5].Body; bytes.Contains(b, []byte("part 1 line")) || !bytes.Contains(b, []byte("part 2 line")) || !bytes.Contains(b, []byte("part 4 line")) {
		t.Errorf("the request after the summary carries the wrong turns")
	}
	// The transcript says so, and keeps every turn.
	id := sessionsJSON(t, env, dir)[0].ID
	var notice bool
	results := 0
	for _, e := range loadEvents(t, dir, id) {
		switch p := e.Payload.(type) {
		case session.Notice:
			notice = notice || p.Text == "Earlier conversation summarised (1 turn)"
		case session.ToolFinished:
			if p.Tool == "read_file" {
				results++
			}
		}
	}
	if !notice || results != 4 {
		t.Errorf("the log: notice %v, %d read results", notice, results)
	}
	recs, err := os.ReadFile(filepath.Join(dir, ".git", "wend", id, "conversation.jsonl"))
	if err != nil || !bytes.Contains(recs, []byte("part 1 line")) {
		t.Errorf("the stored conversation lost the summarised turns: %v", err)
	}
}
