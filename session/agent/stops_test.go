package agent

import (
	"context"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/session"
)

// stopTurn answers with text and a stop reason (and an explanation).
func stopTurn(text string, stop llm.StopReason, detail string) turn {
	return func(ctx context.Context, req llm.Request) (*llm.Response, error) {
		r := respond(len(req.Messages), text)
		r.StopReason, r.StopDetail = stop, detail
		return r, nil
	}
}

func TestPauseTurnSendsTheContentBackUnchanged(t *testing.T) {
	model := newScripted(stopTurn("Searching the docs", llm.StopPauseTurn, ""), reply(" found it: use n."))
	h := newHarness(t, map[string]string{"a.txt": "x\n"}, model, nil)
	h.start("task")
	fin := h.wait()
	if fin.State != session.StateFinished || fin.Summary != "Searching the docs found it: use n." {
		t.Fatalf("state %s summary %q err %q", fin.State, fin.Summary, fin.Error)
	}
	second := model.request(1)
	last := second.Messages[len(second.Messages)-1]
	if last.Role != llm.RoleAssistant || len(last.Content) != 1 || last.Content[0].Text != "Searching the docs" {
		t.Fatalf("the paused content was not sent back as it was: %+v", second.Messages)
	}
}

func TestRefusalFailsWithTheExplanation(t *testing.T) {
	model := newScripted(stopTurn("", llm.StopRefusal, "This request asks for malware."))
	h := newHarness(t, map[string]string{"a.txt": "x\n"}, model, nil)
	h.start("task")
	fin := h.wait()
	if fin.State != session.StateFailed || !strings.Contains(fin.Error, "This request asks for malware.") || fin.Summary != "" {
		t.Fatalf("state %s summary %q err %q", fin.State, fin.Summary, fin.Error)
	}
}

func TestUnknownStopReasonIsNotFinished(t *testing.T) {
	model := newScripted(stopTurn("Half an answ", llm.StopReason("abort"), ""))
	h := newHarness(t, map[string]string{"a.txt": "x\n"}, model, nil)
	h.start("task")
	fin := h.wait()
	if fin.State != session.StateFailed || !strings.Contains(fin.Error, `"abort"`) {
		t.Fatalf("state %s err %q", fin.State, fin.Error)
	}
}

func TestEmptyAnswerIsNotFinished(t *testing.T) {
	model := newScripted(reply(""))
	h := newHarness(t, map[string]string{"a.txt": "x\n"}, model, nil)
	h.start("task")
	if fin := h.wait(); fin.State != session.StateFailed || !strings.Contains(fin.Error, "no answer") {
		t.Fatalf("state %s err %q", fin.State, fin.Error)
	}
}

func TestToolCallCutAtTheLimitThreeTimesFails(t *testing.T) {
	cut := func(ctx context.Context, req llm.Request) (*llm.Response, error) {
		r := respond(len(req.Messages), "", "create_file", `{}`)
		r.Message.Content[0].CutAtLimit = true
		r.StopReason = llm.StopMaxTokens
		return r, nil
	}
	model := newScripted(cut, cut, cut)
	h := newHarness(t, map[string]string{"a.txt": "x\n"}, model, func(c *Config) { c.MaxTokens = 4096 })
	h.start("task")
	fin := h.wait()
	if fin.State != session.StateFailed || !strings.Contains(fin.Error, "output limit (max_tokens 4096) 3 turns in a row") {
		t.Fatalf("state %s err %q", fin.State, fin.Error)
	}
	if res := toolResults(model.request(1)); len(res) != 1 || !res[0].IsError || !strings.Contains(res[0].Content, "smaller step") {
		t.Fatalf("the model was not asked for a smaller step: %+v", res)
	}
}
