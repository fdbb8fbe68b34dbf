package duotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// Script is a conversation the fake plays: one StreamScript per ExecuteWorkflow
// stream, in the order streams arrive (over either transport). Load one from JSON
// with LoadScript; the field names below are the JSON keys.
type Script struct {
	Streams []StreamScript `json:"streams"`
	// HTTPFaults answer matching requests with an error instead of serving them.
	HTTPFaults []HTTPFault `json:"http_faults,omitempty"`
}

// StreamScript is one stream: its expected startRequest, then the steps the fake
// takes. After the last step the fake ends the stream normally (WebSocket close
// 1000, gRPC status OK), as DWS does after a turn-ending checkpoint.
type StreamScript struct {
	Name        string       `json:"name,omitempty"`
	ExpectStart *ExpectStart `json:"expect_start,omitempty"`
	Steps       []Step       `json:"steps"`
}

// ExpectStart is checked against the stream's startRequest; mismatches are
// recorded as failures (Server.Failures).
type ExpectStart struct {
	Goal *string `json:"goal,omitempty"`
	// Approval is "approved", "rejected", "none" (must be absent) or "" (not checked).
	Approval string `json:"approval,omitempty"`
	// Capabilities must all be declared.
	Capabilities []string `json:"capabilities,omitempty"`
}

// Step is exactly one of Action, RawAction, Checkpoint or Fault.
type Step struct {
	// Action is a protojson Action, e.g. {"runReadFile":{"filepath":"main.go"}}.
	// requestID may be left out; the fake assigns "req-<stream>-<step>". Unless it
	// is a newCheckpoint, the fake waits for the response before the next step.
	Action json.RawMessage `json:"action,omitempty"`
	// RawAction is sent as the frame text unchanged (WebSocket) or as its parse
	// (gRPC): for frames with unknown fields or that are not JSON at all. When it
	// parses as an Action needing an answer, the fake waits for it.
	RawAction string `json:"raw_action,omitempty"`
	// Checkpoint makes the fake send a newCheckpoint built from its chat state.
	Checkpoint *Checkpoint `json:"checkpoint,omitempty"`
	// Fault ends the stream abnormally.
	Fault *Fault `json:"fault,omitempty"`
	// Expect checks the response to Action or RawAction.
	Expect *Expect `json:"expect,omitempty"`
}

// Checkpoint describes one newCheckpoint. The fake keeps each workflow's whole
// ui_chat_log: UIChatLog entries are upserted into it by message_id. It then sends
// the whole log, or, when the client declared incremental_streaming, the entries
// from the last message_id it sent on this stream (inclusive) onwards, as DWS does.
type Checkpoint struct {
	Status string   `json:"status"`
	Goal   string   `json:"goal,omitempty"`
	Errors []string `json:"errors,omitempty"`
	// UIChatLog entries are JSON objects with the keys of DWS's UiChatLog
	// (message_id, message_type, content, tool_info, ...).
	UIChatLog []map[string]any `json:"ui_chat_log,omitempty"`
	// PlanSteps replaces plan.steps when non-nil; otherwise the last plan stays.
	PlanSteps []map[string]any `json:"plan_steps,omitempty"`
	// Usage is agent_context_usage: agent → [total_tokens, max_tokens].
	Usage map[string][2]int32 `json:"agent_context_usage,omitempty"`
	// Extra keys merged into channel_values (e.g. to test unknown keys).
	Extra map[string]any `json:"extra,omitempty"`
}

// Fault is how a stream breaks. On gRPC, close codes map to statuses: 1001 →
// UNAVAILABLE, 4400 → INVALID_ARGUMENT, 1008 → RESOURCE_EXHAUSTED, others →
// INTERNAL; Drop → UNAVAILABLE.
type Fault struct {
	Close  int    `json:"close,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Drop cuts the connection without a close frame.
	Drop bool `json:"drop,omitempty"`
}

// Expect checks an ActionResponse; mismatches are recorded as failures.
type Expect struct {
	// Contains must occur in plainTextResponse.response (or httpResponse.body).
	Contains string `json:"contains,omitempty"`
	// Error, when set, says whether plainTextResponse.error must be non-empty.
	Error *bool `json:"error,omitempty"`
	// HTTP requires an httpResponse rather than a plainTextResponse.
	HTTP bool `json:"http,omitempty"`
}

// HTTPFault makes the fake answer Method+Path (exact; Method "" matches any) with
// Status and a GitLab-style {"message": Message} body.
type HTTPFault struct {
	Method  string `json:"method,omitempty"`
	Path    string `json:"path"`
	Status  int    `json:"status"`
	Message string `json:"message,omitempty"`
}

// LoadScript reads a Script from a JSON file; unknown keys are errors, so typos in
// scripts do not pass silently.
func LoadScript(path string) (*Script, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Script
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("duotest: %s: %w", path, err)
	}
	for i, st := range s.Streams {
		for j, step := range st.Steps {
			n := 0
			for _, set := range []bool{len(step.Action) > 0, step.RawAction != "", step.Checkpoint != nil, step.Fault != nil} {
				if set {
					n++
				}
			}
			if n != 1 {
				return nil, fmt.Errorf("duotest: %s: stream %d step %d: want exactly one of action, raw_action, checkpoint, fault", path, i+1, j+1)
			}
		}
	}
	return &s, nil
}

// Bool is a helper for Expect.Error.
func Bool(b bool) *bool { return &b }

// String is a helper for ExpectStart.Goal.
func String(s string) *string { return &s }
