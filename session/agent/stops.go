package agent

import (
	"encoding/json"
	"fmt"
	"strings"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/tools"
)

// Why the model stopped decides what the run does next; no stop reason is
// ignored, so a refusal, an answer cut at the output limit or a stop wend
// does not know never ends a run as finished.
const (
	// maxContinuations bounds how often an answer cut at the output limit is
	// continued before the run fails saying so.
	maxContinuations = 2
	// maxCutTurns bounds consecutive turns whose tool call was cut at the
	// limit: the model was asked for a smaller step and did not take one.
	maxCutTurns = 3
	// maxPauses bounds consecutive paused turns (pause_turn) sent back.
	maxPauses = 10
)

// stopState is what the loop remembers across turns about stops.
type stopState struct {
	continuations int
	cutTurns      int
	pauses        int
	// answer holds the text of turns cut at the limit or paused, which the
	// next turn continues: the summary is all of it.
	answer strings.Builder
}

const continuePrompt = "[wend] Your answer was cut at the output limit. Continue exactly where you stopped, without repeating anything."

// afterStop handles the stop reason of one response before its tool calls
// run. It returns an outcome when the run ends here, or next=true when it
// has already put what the next request needs into conv.
func (e *Engine) afterStop(conv *conversation, resp *llm.Response, st *stopState) (end *outcome, next bool) {
	calls := hasToolUse(resp.Message)
	if resp.StopReason != llm.StopPauseTurn {
		st.pauses = 0
	}
	if calls {
		st.answer.Reset() // a text cut earlier was not the final answer
	}
	switch resp.StopReason {
	case llm.StopEnd, llm.StopToolUse:
		st.cutTurns = 0
		return nil, false
	case llm.StopRefusal:
		return &outcome{state: session.StateFailed, err: refusalError(resp)}, false
	case llm.StopPauseTurn:
		if calls {
			return nil, false // the calls need their results like any other
		}
		if st.pauses++; st.pauses > maxPauses {
			return &outcome{state: session.StateFailed, err: fmt.Errorf("the provider paused the model's turn %d times in a row without an answer; try again", st.pauses)}, false
		}
		// Sent back unchanged, the model's own content lets it continue.
		if len(resp.Message.Content) > 0 {
			st.answer.WriteString(rawText(resp.Message))
			conv.messages = append(conv.messages, resp.Message)
		}
		return nil, true
	case llm.StopMaxTokens:
		if calls {
			if cutCall(resp.Message) {
				if st.cutTurns++; st.cutTurns >= maxCutTurns {
					return &outcome{state: session.StateFailed, err: fmt.Errorf(
						"the model's tool call was cut at the output limit%s %d turns in a row, though it was asked for smaller steps each time; raise max_tokens in the config or narrow the task", e.limitNote(), st.cutTurns)}, false
				}
			}
			return nil, false // runTools tells the model which call was cut
		}
		text := rawText(resp.Message)
		if strings.TrimSpace(text) == "" {
			return &outcome{state: session.StateFailed, err: fmt.Errorf(
				"the model reached the output limit%s before writing any answer (a reasoning model may spend it all thinking); raise max_tokens in the config", e.limitNote())}, false
		}
		if st.continuations >= maxContinuations {
			return &outcome{state: session.StateFailed, err: fmt.Errorf(
				"the model's answer hit the output limit%s %d times and is still incomplete; raise max_tokens in the config or narrow the task", e.limitNote(), st.continuations+1)}, false
		}
		st.continuations++
		st.answer.WriteString(text)
		e.log.Append(session.Notice{Level: "warn", Text: fmt.Sprintf(
			"the answer hit the output limit%s; asking the model to continue (%d/%d)", e.limitNote(), st.continuations, maxContinuations)})
		conv.messages = append(conv.messages, resp.Message,
			llm.Message{Role: llm.RoleUser, Content: []llm.Block{llm.Text(continuePrompt)}})
		return nil, true
	}
	if calls {
		return nil, false // complete calls; the stop's name changes nothing
	}
	return &outcome{state: session.StateFailed, err: fmt.Errorf(
		"the model stopped for a reason wend does not know (%q), so its answer may be incomplete: %s", resp.StopReason, clip(textOf(resp.Message), 500))}, false
}

// answered ends a run whose model replied without calling a tool: its text,
// with what earlier cut or paused turns wrote, is the summary.
func (e *Engine) answered(resp *llm.Response, st *stopState) outcome {
	summary := strings.TrimSpace(st.answer.String() + rawText(resp.Message))
	if summary == "" {
		return outcome{state: session.StateFailed, err: fmt.Errorf("the model ended its turn with no answer and no tool call (stop reason %q); try again", resp.StopReason)}
	}
	return outcome{state: session.StateFinished, summary: summary}
}

// refusalError carries the model's own words (and the provider's explanation
// when it gives one), never a summary of them.
func refusalError(resp *llm.Response) error {
	words := strings.TrimSpace(rawText(resp.Message))
	detail := strings.TrimSpace(resp.StopDetail)
	switch {
	case detail != "" && words != "":
		return fmt.Errorf("the model refused the task: %s; it had written: %s", detail, clip(words, 2000))
	case detail != "":
		return fmt.Errorf("the model refused the task: %s", detail)
	case words != "":
		return fmt.Errorf("the model refused the task: %s", words)
	}
	return fmt.Errorf("the model refused the task without giving a reason")
}

// unusableCall is the result of a call that must not run: its arguments were
// cut at the output limit or are not a JSON object. The model reads why.
func (e *Engine) unusableCall(b llm.Block, raw json.RawMessage) tools.Result {
	if b.CutAtLimit {
		e.log.Append(session.Notice{Level: "warn", Text: fmt.Sprintf(
			"the model's call to %s was cut at the output limit%s while it wrote the arguments; it was not run, and the model was asked for a smaller step", b.Name, e.limitNote())})
		return tools.Result{IsError: true, Summary: "cut at the output limit; not run",
			Output: fmt.Sprintf("Your call to %s was cut at the output limit%s while you were still writing its arguments, so it was not run. "+
				"Take a smaller step: write a large file in parts (create_file with the first part, then edit_file to add the rest), or make several smaller edit_file calls.", b.Name, e.limitNote())}
	}
	var text string
	if json.Unmarshal(raw, &text) != nil {
		text = string(raw)
	}
	return tools.Result{IsError: true, Summary: "invalid arguments: not one JSON object; not run",
		Output: fmt.Sprintf("Your call to %s was not run: %s. You sent: %s\nCall it again with its arguments as one JSON object.", b.Name, b.InputError, clip(text, 1000))}
}

func (e *Engine) limitNote() string {
	if e.cfg.MaxTokens > 0 {
		return fmt.Sprintf(" (max_tokens %d)", e.cfg.MaxTokens)
	}
	return ""
}

func hasToolUse(m llm.Message) bool {
	for _, b := range m.Content {
		if b.Type == llm.BlockToolUse {
			return true
		}
	}
	return false
}

func cutCall(m llm.Message) bool {
	for _, b := range m.Content {
		if b.Type == llm.BlockToolUse && b.CutAtLimit {
			return true
		}
	}
	return false
}

// rawText joins the text blocks untrimmed, so a continued answer joins up
// exactly where it was cut.
func rawText(m llm.Message) string {
	var b strings.Builder
	for _, blk := range m.Content {
		if blk.Type == llm.BlockText {
			b.WriteString(blk.Text)
		}
	}
	return b.String()
}
