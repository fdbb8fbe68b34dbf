package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"gitlab.com/wend/wend/cli/demo"
	"gitlab.com/wend/wend/remote/llm/llmtest"
	"gitlab.com/wend/wend/session"
)

var updateDemo = flag.Bool("update-demo", false, "re-record testdata/demo/conversation.jsonl from testdata/demo/script.json")

// responses extracts the model's side of a recording: that is what the demo
// replays, and unlike the requests it does not depend on the machine.
func responses(t *testing.T, data []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ex struct {
			Response json.RawMessage `json:"response"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ex); err != nil {
			t.Fatal(err)
		}
		out = append(out, string(ex.Response))
	}
	return out
}

// Tests of the replay provider (and of the verbs that read a session) replay a
// conversation recorded from the scripted server of the tests, the demo's
// task on the demo's sample. This test records it again and fails when the
// committed recording is stale.
func TestDemoRecordingIsCurrent(t *testing.T) {
	script, err := llmtest.LoadScript("../testdata/demo/script.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := llmtest.Start(t, llmtest.OpenAI, script)
	dir := demoRepo(t)
	rec := filepath.Join(t.TempDir(), "conversation.jsonl")
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "openai", "--base-url", srv.URL,
		"--model", "recorded-demo", "--approval", "full-auto", "--record", rec, demo.Task)
	if code != ExitOK {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	got, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	if *updateDemo {
		if err := os.WriteFile(demoRecording, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, gotR := responses(t, demoConversation(t)), responses(t, got)
	if len(want) != len(gotR) {
		t.Fatalf("recording has %d exchanges, the committed one %d; run: go test ./cli -run TestDemoRecordingIsCurrent -update-demo", len(gotR), len(want))
	}
	for i := range want {
		if want[i] != gotR[i] {
			t.Fatalf("exchange %d differs; run: go test ./cli -run TestDemoRecordingIsCurrent -update-demo\nwant %s\ngot  %s", i+1, want[i], gotR[i])
		}
	}
}

func TestDemoRunsOfflineHeadless(t *testing.T) {
	env := wendEnv(t, nil)
	code, out, errOut := wend(t, env, "demo", "--headless", "--json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	evs := decodeEvents(t, out)
	fin := evs[len(evs)-1].Payload.(session.SessionFinished)
	if fin.State != session.StateFinished {
		t.Fatalf("%+v", fin)
	}
	var sawPassing bool
	for _, e := range evs {
		if f, ok := e.Payload.(session.ToolFinished); ok && f.Tool == "run_command" && !f.IsError && bytes.Contains([]byte(f.Output), []byte("ok")) {
			sawPassing = true
		}
	}
	if !sawPassing {
		t.Fatal("the demo's final go test did not pass")
	}
}

const demoRecording = "../testdata/demo/conversation.jsonl"

func demoConversation(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(demoRecording)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
