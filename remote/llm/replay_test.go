package llm_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/remote/llm/llmtest"
)

// conversation runs a two-call session against p: a task, a tool call, its
// result, and a follow-up the user typed. facts and output stand for what
// differs between machines.
func conversation(t *testing.T, p llm.Provider, facts, output, followUp string) ([]*llm.Response, []*deltas, error) {
	t.Helper()
	req := testRequest("m")
	req.Messages[0].Content[0] = llm.Text(facts)
	var resps []*llm.Response
	var seen []*deltas
	for call := 0; call < 2; call++ {
		d := &deltas{}
		seen = append(seen, d)
		resp, err := p.Stream(context.Background(), req, d.add)
		if err != nil {
			return resps, seen, err
		}
		resps = append(resps, resp)
		var results []llm.Block
		for _, b := range resp.Message.Content {
			if b.Type == llm.BlockToolUse {
				results = append(results, llm.Block{Type: llm.BlockToolResult, ToolUseID: b.ID, Content: output})
			}
		}
		req.Messages = append(req.Messages, resp.Message, llm.Message{Role: llm.RoleUser,
			Content: append(results, llm.Text(followUp))})
	}
	return resps, seen, nil
}

func record(t *testing.T) string {
	t.Helper()
	srv := llmtest.Start(t, llmtest.Anthropic, llmtest.Script{APIKey: testKey, Turns: []llmtest.Turn{
		{Text: "I will read the test file to see what fails.", ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: json.RawMessage(`{"path":"x_test.go"}`)}},
			Usage: &llm.Usage{InputTokens: 500, OutputTokens: 30, CacheWriteTokens: 400}},
		{Text: "The assertion compares the wrong field; I changed it.", Usage: &llm.Usage{InputTokens: 60, OutputTokens: 12, CacheReadTokens: 400}},
	}})
	var sl sleeper
	path := filepath.Join(t.TempDir(), "conversation.jsonl")
	rec := llm.NewRecorder(newProvider(llmtest.Anthropic, srv.URL, &sl), path)
	if rec.Name() != "anthropic" {
		t.Errorf("recorder name %q", rec.Name())
	}
	if _, _, err := conversation(t, rec, "Repo at /home/alice/proj", "package x // alice's copy", "Also run the tests."); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRecordThenReplay(t *testing.T) {
	path := record(t)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("recording mode %v, want 0600", st.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), testKey) {
		t.Error("the recording contains the API key")
	}
	if n := strings.Count(string(data), "\n"); n != 2 {
		t.Errorf("%d lines, want one per exchange (2)", n)
	}

	p, err := llm.NewReplay(path)
	if err != nil {
		t.Fatal(err)
	}
	// Another machine: other repository facts and tool output, same conversation.
	resps, seen, err := conversation(t, p, "Repo at /Users/bob/src/proj", "package x // bob's copy", "Also run the tests.")
	if err != nil {
		t.Fatal(err)
	}
	want := []*llm.Response{
		{Message: llm.Message{Role: llm.RoleAssistant, Content: []llm.Block{
			llm.Text("I will read the test file to see what fails."),
			{Type: llm.BlockToolUse, ID: "toolu_01", Name: "read_file", Input: json.RawMessage(`{"path":"x_test.go"}`)}}},
			StopReason: llm.StopToolUse, Usage: llm.Usage{InputTokens: 500, OutputTokens: 30, CacheWriteTokens: 400}},
		{Message: llm.Message{Role: llm.RoleAssistant, Content: []llm.Block{llm.Text("The assertion compares the wrong field; I changed it.")}},
			StopReason: llm.StopEnd, Usage: llm.Usage{InputTokens: 60, OutputTokens: 12, CacheReadTokens: 400}},
	}
	if diff := cmp.Diff(want, resps); diff != "" {
		t.Errorf("replayed responses (-want +got):\n%s", diff)
	}
	if got := seen[0].text(); got != "I will read the test file to see what fails." || len(seen[0].of("text")) < 3 {
		t.Errorf("replayed text %q in %d pieces, want it streamed in several", got, len(seen[0].of("text")))
	}
	if diff := cmp.Diff([]string{"read_file"}, seen[0].of("tool")); diff != "" {
		t.Errorf("ToolStarted (-want +got):\n%s", diff)
	}

	// A third call runs past the end of the recording.
	_, err = p.Stream(context.Background(), testRequest("m"), nil)
	e := mustKind(t, err, llm.ErrDiverged)
	if !strings.Contains(e.Message, "past the end") || !strings.Contains(e.Message, "2 exchanges") {
		t.Errorf("message %q", e.Message)
	}
}

func TestReplayDivergence(t *testing.T) {
	path := record(t)
	cases := []struct {
		name string
		run  func(p llm.Provider) error
		want []string
	}{
		{"the user typed something else", func(p llm.Provider) error {
			_, _, err := conversation(t, p, "facts", "out", "Deploy it.")
			return err
		}, []string{"exchange 2 of 2", "message 3", `"Deploy it."`, `"Also run the tests."`}},
		{"the assistant turn differs", func(p llm.Provider) error {
			req := testRequest("m")
			if _, err := p.Stream(context.Background(), req, nil); err != nil {
				return err
			}
			req.Messages = append(req.Messages,
				llm.Message{Role: llm.RoleAssistant, Content: []llm.Block{{Type: llm.BlockToolUse, ID: "toolu_09", Name: "grep", Input: json.RawMessage(`{}`)}}},
				llm.Message{Role: llm.RoleUser, Content: []llm.Block{{Type: llm.BlockToolResult, ToolUseID: "toolu_09"}, llm.Text("Also run the tests.")}})
			_, err := p.Stream(context.Background(), req, nil)
			return err
		}, []string{"exchange 2", "message 2", "toolu_09 grep", "toolu_01 read_file"}},
		{"a tool result answers another call", func(p llm.Provider) error {
			req := testRequest("m")
			resp, err := p.Stream(context.Background(), req, nil)
			if err != nil {
				return err
			}
			req.Messages = append(req.Messages, resp.Message,
				llm.Message{Role: llm.RoleUser, Content: []llm.Block{{Type: llm.BlockToolResult, ToolUseID: "toolu_07"}, llm.Text("Also run the tests.")}})
			_, err = p.Stream(context.Background(), req, nil)
			return err
		}, []string{"exchange 2", "message 3 answers tool calls", "toolu_07 (no such call)", "toolu_01 read_file"}},
		{"a message is missing", func(p llm.Provider) error {
			req := testRequest("m")
			req.Messages = append(req.Messages, llm.Message{Role: llm.RoleAssistant, Content: []llm.Block{llm.Text("hi")}})
			_, err := p.Stream(context.Background(), req, nil)
			return err
		}, []string{"exchange 1 of 2", "2 messages, the recording 1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := llm.NewReplay(path)
			if err != nil {
				t.Fatal(err)
			}
			e := mustKind(t, c.run(p), llm.ErrDiverged)
			t.Log(e)
			for _, w := range c.want {
				if !strings.Contains(e.Message, w) {
					t.Errorf("message %q does not mention %q", e.Message, w)
				}
			}
		})
	}
}

func TestReplayRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.jsonl")
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(empty, []byte("\n"), 0o600)
	os.WriteFile(bad, []byte(`{"request":{}}`+"\n{oops\n"), 0o600)
	for path, want := range map[string]string{empty: "no exchanges", bad: "line 2", filepath.Join(dir, "missing"): "no such file"} {
		if _, err := llm.NewReplay(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NewReplay(%s) = %v, want an error mentioning %q", filepath.Base(path), err, want)
		}
	}
}
