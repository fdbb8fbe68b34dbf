package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/llm"
)

func post(t *testing.T, url, body string) (int, []byte) {
	t.Helper()
	res, err := http.Post(url+"/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, data
}

// The demo model's answer is a function of the request: the same
// conversation gets the same bytes (no clock, no randomness, no state).
func TestServerAnswersDeterministically(t *testing.T) {
	srv, err := Start(0)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	body := `{"model":"wend-demo","stream":true,"messages":[{"role":"system","content":"s"},{"role":"user","content":"# Task\nThe tests fail. Find out why and fix the bug.\n"}]}`
	code, first := post(t, srv.URL, body)
	_, again := post(t, srv.URL, body)
	if code != http.StatusOK || !bytes.Equal(first, again) {
		t.Fatalf("%d\n%s\n---\n%s", code, first, again)
	}
	if !bytes.Contains(first, []byte(`"name":"set_plan"`)) || !bytes.HasSuffix(first, []byte("data: [DONE]\n\n")) {
		t.Fatalf("%s", first)
	}
}

// wend's own OpenAI adapter reads the demo model's stream: text, tool calls
// with their arguments, and usage.
func TestServerSpeaksTheOpenAIWire(t *testing.T) {
	srv, err := Start(0)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	p := llm.NewOpenAI(llm.Config{BaseURL: srv.URL})
	var streamed strings.Builder
	resp, err := p.Stream(context.Background(), llm.Request{Model: "wend-demo", System: "s", Messages: []llm.Message{
		{Role: llm.RoleUser, Content: []llm.Block{llm.Text("# Task\nnow add a Median function\n")}},
	}}, func(d llm.Delta) { streamed.WriteString(d.Text) })
	if err != nil {
		t.Fatal(err)
	}
	if resp.StopReason != llm.StopToolUse || len(resp.Message.Content) != 2 || resp.Usage.InputTokens == 0 {
		t.Fatalf("%+v", resp)
	}
	call := resp.Message.Content[1]
	var args struct{ Steps []string }
	if err := json.Unmarshal(call.Input, &args); err != nil || call.Name != "set_plan" || len(args.Steps) != len(medianPlan) {
		t.Fatalf("%+v %v", call, err)
	}
	if streamed.String() != resp.Message.Content[0].Text {
		t.Fatalf("streamed %q, answered %q", streamed.String(), resp.Message.Content[0].Text)
	}
}

// A request that is not a chat completion is refused with the reason, which
// the adapter shows.
func TestServerRefusesGarbage(t *testing.T) {
	srv, err := Start(0)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	code, body := post(t, srv.URL, `{"messages": 3}`)
	if code != http.StatusBadRequest || !bytes.Contains(body, []byte("wend demo model: the request is not a JSON chat completion request")) {
		t.Fatalf("%d %s", code, body)
	}
}

// An unknown task gets an honest answer and no tool call.
func TestUnknownTaskIsAnsweredHonestly(t *testing.T) {
	got := Next([]Message{{Role: "system", Text: "s"}, {Role: "user", Text: "# Task\nwrite me a poem\n\n# Repository\n- x"}})
	if len(got.Calls) != 0 || !strings.Contains(got.Text, "cannot do “write me a poem”") {
		t.Fatalf("%+v", got)
	}
}

// A rejected Median is not reported as added, and tests that ran before the
// rejection are not reported as passing.
func TestRejectedMedianIsNotClaimed(t *testing.T) {
	msgs := []Message{
		{Role: "system", Text: "s"},
		{Role: "user", Text: "# Task\nadd a Median function\n"},
		{Role: "assistant", Calls: []Call{
			{ID: "c1", Name: "edit_file", Args: json.RawMessage(`{"path":"stats.go","old_string":"x","new_string":"x\nfunc Median(xs []float64) float64 {"}`)},
			{ID: "c2", Name: "run_command", Args: json.RawMessage(`{"command":"go test ./..."}`)}}},
		{Role: "tool", CallID: "c1", Text: "Edited stats.go: replaced 1 line."},
		{Role: "tool", CallID: "c2", Text: "ok  \texample.com/stats\t0.01s\nExit code: 0"},
		{Role: "user", Text: "[wend] The user rejected a hunk of your change to stats.go; the file is back to its previous content there. Reason: not now\n@@ -19,3 +19,16 @@\n+func Median(xs []float64) float64 {\n"},
	}
	st := read(msgs)
	got := st.summary()
	if strings.Contains(got, "Added `Median`") || strings.Contains(got, "passes") || !strings.Contains(got, "You rejected `Median`") {
		t.Fatalf("%s", got)
	}
	if len(st.acks) != 1 || st.acks[0] != "You rejected my change to stats.go: “not now”." {
		t.Fatalf("%q", st.acks)
	}
}
