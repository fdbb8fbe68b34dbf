package session

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Event is one thing that happened in a session. Seq numbers are assigned by the
// session's Log, start at 1 and have no gaps; Payload is one of the types below.
// On the wire an event is a flat JSON object: {"seq":..,"time":..,"type":..,fields}.
type Event struct {
	Seq     int64
	Time    time.Time
	Payload Payload
}

// Payload is the body of an event. Its Type is the snake_case name used on the wire
// (plan_proposed, step_started, ...).
type Payload interface{ Type() string }

// State is where a session stands as a whole.
type State string

const (
	StateStarting State = "starting"
	StateRunning  State = "running"
	StatePaused   State = "paused"
	StateWaiting  State = "waiting" // on the user: an approval or a question
	StateFinished State = "finished"
	StateFailed   State = "failed"
	StateStopped  State = "stopped"
	// StateInterrupted is never an engine's state: it is how a stored session
	// is reported whose owner process died (killed, crashed) before it could
	// record an end.
	StateInterrupted State = "interrupted"
)

// Ended reports whether the session will do no more work.
func (s State) Ended() bool {
	return s == StateFinished || s == StateFailed || s == StateStopped || s == StateInterrupted
}

type (
	// SessionStarted opens every session's log, and every later task of the
	// same session (a follow-up, a retry, a resume).
	SessionStarted struct {
		SessionID string `json:"session_id"`
		Task      string `json:"task"`
		Repo      string `json:"repo"`
		Branch    string `json:"branch,omitempty"`
		Provider  string `json:"provider,omitempty"`
		Model     string `json:"model,omitempty"`
		Approval  string `json:"approval,omitempty"`
		// Engine is "wend" or "gitlab-duo".
		Engine string `json:"engine,omitempty"`
		// TaskIndex counts the session's tasks: 0 for the first (and in logs
		// written before follow-ups existed), 1 for the first follow-up typed
		// after a task ended, and so on. Each task ends with its own
		// SessionFinished, so a reader waiting for the end of "the run" still
		// sees one.
		TaskIndex int `json:"task_index,omitempty"`
		// Retry is set when the task repeats the previous one (`/retry`,
		// `wend run --continue --retry`).
		Retry bool `json:"retry,omitempty"`
	}
	// PlanProposed carries the whole plan after the model set it.
	PlanProposed struct {
		Plan Plan `json:"plan"`
		// AwaitingApproval is set when the plan waits for the user's go.
		AwaitingApproval bool `json:"awaiting_approval,omitempty"`
	}
	// PlanEdited carries the whole plan after the user changed it.
	PlanEdited struct {
		Plan    Plan     `json:"plan"`
		Edit    PlanEdit `json:"edit"`
		Summary string   `json:"summary"`
	}
	StepStarted struct {
		StepID string `json:"step_id"`
		Title  string `json:"title"`
	}
	StepFinished struct {
		StepID string     `json:"step_id"`
		Status StepStatus `json:"status"`
		Note   string     `json:"note,omitempty"`
	}
	// TextDelta is a piece of the model's visible answer. Consecutive deltas may be
	// coalesced by a slow reader; TextFinished always follows the last one.
	TextDelta struct {
		Text string `json:"text"`
	}
	// TextFinished closes a block of model text.
	TextFinished struct {
		Chars int `json:"chars"`
	}
	ToolCalled struct {
		CallID string          `json:"call_id"`
		Tool   string          `json:"tool"`
		Args   json.RawMessage `json:"args,omitempty"`
		StepID string          `json:"step_id,omitempty"`
	}
	ToolFinished struct {
		CallID   string        `json:"call_id"`
		Tool     string        `json:"tool"`
		IsError  bool          `json:"is_error,omitempty"`
		Summary  string        `json:"summary"`
		Output   string        `json:"output,omitempty"`
		Duration time.Duration `json:"duration_ns"`
	}
	// ChangeStaged reports a proposed change to a file: the agent's version against
	// the session's baseline.
	ChangeStaged struct {
		Path    string     `json:"path"`
		OldPath string     `json:"old_path,omitempty"`
		Kind    ChangeKind `json:"kind"`
		Added   int        `json:"added"`
		Deleted int        `json:"deleted"`
		Hunks   []string   `json:"hunks,omitempty"`
	}
	ApprovalRequested struct {
		Request ApprovalRequest `json:"request"`
	}
	ApprovalResolved struct {
		RequestID string        `json:"request_id"`
		Approved  bool          `json:"approved"`
		Scope     ApprovalScope `json:"scope,omitempty"`
		Reason    string        `json:"reason,omitempty"`
	}
	Paused struct {
		Reason string `json:"reason,omitempty"`
	}
	Resumed struct{}
	// AdjustQueued: the user's sentence will reach the model at the next boundary.
	AdjustQueued struct {
		ID   string `json:"id"`
		Text string `json:"text"`
	}
	AdjustWithdrawn struct {
		ID string `json:"id"`
	}
	AdjustDelivered struct {
		ID string `json:"id"`
	}
	InputRequested struct {
		RequestID string `json:"request_id"`
		Question  string `json:"question"`
	}
	InputAnswered struct {
		RequestID string `json:"request_id"`
		Answer    string `json:"answer"`
	}
	// ReviewDecided records a user's decision on proposed changes.
	ReviewDecided struct {
		Action  ReviewAction `json:"action"`
		Targets []string     `json:"targets"`
		Reason  string       `json:"reason,omitempty"`
	}
	UsageReported struct {
		InputTokens      int64   `json:"input_tokens"`
		OutputTokens     int64   `json:"output_tokens"`
		CacheReadTokens  int64   `json:"cache_read_tokens,omitempty"`
		CacheWriteTokens int64   `json:"cache_write_tokens,omitempty"`
		ContextTokens    int64   `json:"context_tokens,omitempty"`
		CostUSD          float64 `json:"cost_usd,omitempty"`
	}
	// Notice is something the user should know that is not an error of the session:
	// a retry after a rate limit, a context item that could not be fetched.
	Notice struct {
		Level string `json:"level"` // info, warn, error
		Text  string `json:"text"`
	}
	SessionFinished struct {
		State   State  `json:"state"`
		Summary string `json:"summary,omitempty"`
		Error   string `json:"error,omitempty"`
		Plan    Plan   `json:"plan"`
	}
)

func (SessionStarted) Type() string    { return "session_started" }
func (PlanProposed) Type() string      { return "plan_proposed" }
func (PlanEdited) Type() string        { return "plan_edited" }
func (StepStarted) Type() string       { return "step_started" }
func (StepFinished) Type() string      { return "step_finished" }
func (TextDelta) Type() string         { return "text_delta" }
func (TextFinished) Type() string      { return "text_finished" }
func (ToolCalled) Type() string        { return "tool_called" }
func (ToolFinished) Type() string      { return "tool_finished" }
func (ChangeStaged) Type() string      { return "change_staged" }
func (ApprovalRequested) Type() string { return "approval_requested" }
func (ApprovalResolved) Type() string  { return "approval_resolved" }
func (Paused) Type() string            { return "paused" }
func (Resumed) Type() string           { return "resumed" }
func (AdjustQueued) Type() string      { return "adjust_queued" }
func (AdjustWithdrawn) Type() string   { return "adjust_withdrawn" }
func (AdjustDelivered) Type() string   { return "adjust_delivered" }
func (InputRequested) Type() string    { return "input_requested" }
func (InputAnswered) Type() string     { return "input_answered" }
func (ReviewDecided) Type() string     { return "review_decided" }
func (UsageReported) Type() string     { return "usage_reported" }
func (Notice) Type() string            { return "notice" }
func (SessionFinished) Type() string   { return "session_finished" }

// payloadTypes builds an empty payload for a wire type name.
var payloadTypes = map[string]func() Payload{}

func init() {
	for _, p := range []Payload{
		SessionStarted{}, PlanProposed{}, PlanEdited{}, StepStarted{}, StepFinished{},
		TextDelta{}, TextFinished{}, ToolCalled{}, ToolFinished{}, ChangeStaged{},
		ApprovalRequested{}, ApprovalResolved{}, Paused{}, Resumed{}, AdjustQueued{},
		AdjustWithdrawn{}, AdjustDelivered{}, InputRequested{}, InputAnswered{},
		ReviewDecided{}, UsageReported{}, Notice{}, SessionFinished{},
		PipelineUpdated{}, PipelineFinished{}, // pipeline.go
	} {
		p := p
		payloadTypes[p.Type()] = func() Payload { return p }
	}
}

// Lossy reports whether a slow reader may coalesce the event with its neighbours.
// Only text deltas are; every other event must arrive.
func (e Event) Lossy() bool { _, ok := e.Payload.(TextDelta); return ok }

// MarshalJSON writes the flat wire form.
func (e Event) MarshalJSON() ([]byte, error) {
	body, err := json.Marshal(e.Payload)
	if err != nil {
		return nil, err
	}
	// The head by hand, byte for byte what encoding/json writes for it (type
	// names are plain snake_case; times RFC 3339 in UTC), at a fraction of
	// the cost: every event on disk and on the host's socket has one.
	t := e.Time.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("event %d: time %v cannot be written as RFC 3339", e.Seq, t)
	}
	out := make([]byte, 0, 64+len(body))
	out = append(out, `{"seq":`...)
	out = strconv.AppendInt(out, e.Seq, 10)
	out = append(out, `,"time":"`...)
	out = t.AppendFormat(out, time.RFC3339Nano)
	out = append(out, `","type":"`...)
	out = append(out, e.Payload.Type()...)
	out = append(out, '"')
	if len(body) <= 2 { // "{}"
		return append(out, '}'), nil
	}
	out = append(out, ',')
	return append(out, body[1:]...), nil
}

// UnmarshalJSON reads the flat wire form back into a typed payload.
func (e *Event) UnmarshalJSON(b []byte) error {
	// What MarshalJSON wrote starts with its head in a fixed shape: read it
	// without a JSON pass, so the payload's is the only one (a reattaching
	// client or a resumed session reads tens of thousands of events).
	if seq, at, typ, ok := fastHead(b); ok {
		if mk, known := payloadTypes[typ]; known {
			p, err := decodePayload(mk(), b)
			if err != nil {
				return fmt.Errorf("event %d (%s): %w", seq, typ, err)
			}
			e.Seq, e.Time, e.Payload = seq, at, p
			return nil
		}
	}
	var head struct {
		Seq  int64     `json:"seq"`
		Time time.Time `json:"time"`
		Type string    `json:"type"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	mk, ok := payloadTypes[head.Type]
	if !ok {
		return fmt.Errorf("unknown event type %q", head.Type)
	}
	p, err := decodePayload(mk(), b)
	if err != nil {
		return fmt.Errorf("event %d (%s): %w", head.Seq, head.Type, err)
	}
	e.Seq, e.Time, e.Payload = head.Seq, head.Time, p
	return nil
}

// fastHead reads `{"seq":N,"time":"T","type":"X"` from the start of b, the
// exact head MarshalJSON writes; anything else (another writer's order,
// escapes, spaces) is left to encoding/json.
func fastHead(b []byte) (seq int64, at time.Time, typ string, ok bool) {
	rest, found := bytes.CutPrefix(b, []byte(`{"seq":`))
	if !found {
		return
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		seq = seq*10 + int64(rest[i]-'0')
		i++
	}
	if i == 0 || i > 18 {
		return
	}
	if rest, found = bytes.CutPrefix(rest[i:], []byte(`,"time":"`)); !found {
		return
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return
	}
	t, err := time.Parse(time.RFC3339Nano, string(rest[:end]))
	if err != nil {
		return
	}
	if rest, found = bytes.CutPrefix(rest[end+1:], []byte(`,"type":"`)); !found {
		return
	}
	if end = bytes.IndexByte(rest, '"'); end < 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return
	}
	return seq, t, string(rest[:end]), true
}

// decodePayload fills a fresh value of p's dynamic type from b.
func decodePayload(p Payload, b []byte) (Payload, error) { return decodeGeneric(p, b) }
