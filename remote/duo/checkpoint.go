package duo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gitlab.com/wend/wend/remote/duo/contract"
)

// Checkpoint statuses (NewCheckpoint.status, upper case; DUO-WORKFLOW.md §1.4).
const (
	StatusCreated                  = "CREATED"
	StatusRunning                  = "RUNNING"
	StatusPaused                   = "PAUSED"
	StatusInputRequired            = "INPUT_REQUIRED"
	StatusPlanApprovalRequired     = "PLAN_APPROVAL_REQUIRED"
	StatusToolCallApprovalRequired = "TOOL_CALL_APPROVAL_REQUIRED"
	StatusFinished                 = "FINISHED"
	StatusFailed                   = "FAILED"
	StatusStopped                  = "STOPPED"
)

// Rails workflow statuses (Workflow.status and the REST API; lower case).
const (
	WorkflowCreated                  = "created"
	WorkflowRunning                  = "running"
	WorkflowPaused                   = "paused"
	WorkflowFinished                 = "finished"
	WorkflowFailed                   = "failed"
	WorkflowStopped                  = "stopped"
	WorkflowInputRequired            = "input_required"
	WorkflowPlanApprovalRequired     = "plan_approval_required"
	WorkflowToolCallApprovalRequired = "tool_call_approval_required"
)

// IsTerminal reports a checkpoint status after which the workflow does not go on.
func IsTerminal(status string) bool {
	switch status {
	case StatusFinished, StatusFailed, StatusStopped:
		return true
	}
	return false
}

// NeedsUser reports a checkpoint status that waits for the user: the answer goes
// into the next stream's startRequest (goal, approval) or a workflow event.
func NeedsUser(status string) bool {
	switch status {
	case StatusInputRequired, StatusPlanApprovalRequired, StatusToolCallApprovalRequired:
		return true
	}
	return false
}

// IsTurnEnd reports a status after which DWS ends the stream.
func IsTurnEnd(status string) bool { return IsTerminal(status) || NeedsUser(status) }

// ui_chat_log vocabulary.
const (
	MessageAgent       = "agent"
	MessageUser        = "user"
	MessageTool        = "tool"
	MessageRequest     = "request" // approval or plan request
	MessageWorkflowEnd = "workflow_end"

	SubTypeTodoWrite     = "todo_write"
	SubTypeCommandOutput = "command_output"
	SubTypeReasoning     = "reasoning"
	SubTypeApproval      = "approval"

	ToolPending   = "pending"
	ToolSuccess   = "success"
	ToolFailure   = "failure"
	ToolTimedOut  = "timed_out"
	ToolCancelled = "cancelled"
)

// Plan step statuses of legacy workflows (channel_values.plan.steps).
const (
	StepNotStarted = "Not Started"
	StepInProgress = "In Progress"
	StepCompleted  = "Completed"
	StepCancelled  = "Cancelled"
)

// StepState is a plan step's status in one vocabulary for both plan sources.
type StepState string

const (
	StatePending   StepState = "pending"
	StateRunning   StepState = "running"
	StateDone      StepState = "done"
	StateSkipped   StepState = "skipped"
	StateCancelled StepState = "cancelled"
	StateFailed    StepState = "failed"
)

// NormalizeStepStatus maps a legacy plan status or a todo_write status to a
// StepState; anything unknown is pending.
func NormalizeStepStatus(s string) StepState {
	switch strings.ToLower(strings.NewReplacer(" ", "_", "-", "_").Replace(strings.TrimSpace(s))) {
	case "in_progress", "running", "active":
		return StateRunning
	case "completed", "done", "success":
		return StateDone
	case "cancelled", "canceled":
		return StateCancelled
	case "skipped":
		return StateSkipped
	case "failed", "failure", "error":
		return StateFailed
	}
	return StatePending
}

// ChatEntry is one ui_chat_log entry. Unknown keys are ignored and a value of an
// unexpected type is kept as its JSON text, so a newer service does not break it.
type ChatEntry struct {
	MessageID      string
	MessageType    string // MessageAgent, ...
	MessageSubType string
	Content        string
	Timestamp      string
	Status         string // ToolSuccess, ... or empty
	CorrelationID  string
	ToolInfo       *ToolInfo
	ComponentName  string
	SubsessionID   string
	// AdditionalContext and RequiredPlan are passed through as JSON (or nil).
	AdditionalContext json.RawMessage
	RequiredPlan      json.RawMessage
}

// ToolInfo is a chat entry's tool_info.
type ToolInfo struct {
	Name string
	// Args is the JSON object of the call's arguments.
	Args json.RawMessage
	// Response is tool_response as JSON (a string or an object), or nil.
	Response          json.RawMessage
	SuggestedPatterns []string
	ToolVersion       string
}

// ResponseText returns tool_response as text: the string itself, the "content"
// of a ToolMessage-like object, or else the JSON.
func (ti *ToolInfo) ResponseText() string {
	if ti == nil || len(ti.Response) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(ti.Response, &s) == nil {
		return s
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(ti.Response, &obj) == nil {
		if c, ok := obj["content"]; ok {
			return jsonText(c)
		}
	}
	return string(ti.Response)
}

// PlanStep is one checklist item.
type PlanStep struct {
	ID          string
	Description string
	Status      string // as sent
	State       StepState
}

// PlanSource says where a Plan came from.
type PlanSource string

const (
	PlanFromSteps     PlanSource = "plan.steps"
	PlanFromTodoWrite PlanSource = "todo_write"
)

// Plan is the workflow's checklist.
type Plan struct {
	Source PlanSource // empty when there is no plan
	Steps  []PlanStep
}

// TokenUsage is one agent's context usage (agent_context_usage).
type TokenUsage struct {
	Total int
	Max   int
}

// Checkpoint is a parsed NewCheckpoint.
type Checkpoint struct {
	Status string
	Goal   string
	Errors []string
	// ChatLog is ui_chat_log as sent: the whole log, or with incremental_streaming
	// the entries from the last sent message on. Feed it to a ChatLog.
	ChatLog []ChatEntry
	// PlanSteps is channel_values.plan.steps (often empty for flow-registry flows;
	// see PlanOf).
	PlanSteps []PlanStep
	Usage     map[string]TokenUsage
}

// ParseCheckpoint parses a NewCheckpoint. An empty checkpoint string is allowed;
// one that is not a JSON object is an error naming its first bytes.
func ParseCheckpoint(nc *contract.NewCheckpoint) (*Checkpoint, error) {
	cp := &Checkpoint{Status: nc.GetStatus(), Goal: nc.GetGoal(), Errors: append([]string(nil), nc.GetErrors()...)}
	if u := nc.GetAgentContextUsage(); len(u) > 0 {
		cp.Usage = make(map[string]TokenUsage, len(u))
		for k, v := range u {
			cp.Usage[k] = TokenUsage{Total: int(v.GetTotalTokens()), Max: int(v.GetMaxTokens())}
		}
	}
	raw := strings.TrimSpace(nc.GetCheckpoint())
	if raw == "" {
		return cp, nil
	}
	var doc struct {
		ChannelValues struct {
			UIChatLog []json.RawMessage `json:"ui_chat_log"`
			Plan      json.RawMessage   `json:"plan"`
		} `json:"channel_values"`
	}
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		return nil, fmt.Errorf("duo: checkpoint is not the expected JSON (starts with %s): %w", firstBytes([]byte(raw)), err)
	}
	for _, e := range doc.ChannelValues.UIChatLog {
		entry, ok := parseChatEntry(e)
		if ok {
			cp.ChatLog = append(cp.ChatLog, entry)
		}
	}
	var plan struct {
		Steps []map[string]json.RawMessage `json:"steps"`
	}
	if len(doc.ChannelValues.Plan) > 0 && json.Unmarshal(doc.ChannelValues.Plan, &plan) == nil {
		for i, st := range plan.Steps {
			cp.PlanSteps = append(cp.PlanSteps, parseStep(st, i))
		}
	}
	return cp, nil
}

func parseStep(m map[string]json.RawMessage, i int) PlanStep {
	s := PlanStep{ID: jsonText(m["id"]), Description: jsonText(m["description"]), Status: jsonText(m["status"])}
	if s.Description == "" {
		s.Description = jsonText(m["content"])
	}
	if s.ID == "" {
		s.ID = strconv.Itoa(i + 1)
	}
	s.State = NormalizeStepStatus(s.Status)
	return s
}

func parseChatEntry(raw json.RawMessage) (ChatEntry, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return ChatEntry{}, false
	}
	e := ChatEntry{
		MessageID:      jsonText(m["message_id"]),
		MessageType:    jsonText(m["message_type"]),
		MessageSubType: jsonText(m["message_sub_type"]),
		Content:        jsonText(m["content"]),
		Timestamp:      jsonText(m["timestamp"]),
		Status:         jsonText(m["status"]),
		CorrelationID:  jsonText(m["correlation_id"]),
		ComponentName:  jsonText(m["component_name"]),
		SubsessionID:   jsonText(m["subsession_id"]),
	}
	e.AdditionalContext = nonNull(m["additional_context"])
	e.RequiredPlan = nonNull(m["required_plan"])
	var ti map[string]json.RawMessage
	if t := nonNull(m["tool_info"]); t != nil && json.Unmarshal(t, &ti) == nil {
		e.ToolInfo = &ToolInfo{
			Name:        jsonText(ti["name"]),
			Args:        nonNull(ti["args"]),
			Response:    nonNull(ti["tool_response"]),
			ToolVersion: jsonText(ti["tool_version"]),
		}
		var pats []string
		if json.Unmarshal(ti["suggested_patterns"], &pats) == nil {
			e.ToolInfo.SuggestedPatterns = pats
		}
	}
	return e, true
}

// jsonText is a JSON string's value, "" for null or absent, else the compact JSON
// text.
func jsonText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(nonNull(raw))
}

// nonNull returns a compact copy of raw, or nil for null or absent. The copy keeps
// entries from pinning the whole checkpoint text in memory.
func nonNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return append(json.RawMessage(nil), raw...)
	}
	return b.Bytes()
}

// ChatChange is one entry a checkpoint added or changed.
type ChatChange struct {
	Index int // position in the log
	Entry ChatEntry
	New   bool
	// Delta is the text appended to Content when the entry grew by appending
	// (streamed tokens); empty when the content was replaced or unchanged.
	Delta string
}

// ChatLog is the chat as the client has it. With incremental streaming each
// checkpoint carries the entries from the last sent message_id on, which are
// upserted by message_id; otherwise each checkpoint carries the whole log. Not
// safe for concurrent use.
type ChatLog struct {
	entries []ChatEntry
	index   map[string]int // message_id → position
}

// Entries returns a copy of the log.
func (l *ChatLog) Entries() []ChatEntry { return append([]ChatEntry(nil), l.entries...) }

// Len is the number of entries.
func (l *ChatLog) Len() int { return len(l.entries) }

// Apply merges one checkpoint's ui_chat_log and returns what changed, in log order.
func (l *ChatLog) Apply(entries []ChatEntry, incremental bool) []ChatChange {
	if l.index == nil {
		l.index = map[string]int{}
	}
	if !incremental {
		return l.replace(entries)
	}
	var changes []ChatChange
	for _, e := range entries {
		i, ok := -1, false
		if e.MessageID != "" {
			i, ok = l.index[e.MessageID]
		}
		if !ok {
			l.entries = append(l.entries, e)
			i = len(l.entries) - 1
			if e.MessageID != "" {
				l.index[e.MessageID] = i
			}
			changes = append(changes, ChatChange{Index: i, Entry: e, New: true, Delta: e.Content})
			continue
		}
		if c, changed := diffEntry(i, l.entries[i], e); changed {
			l.entries[i] = e
			changes = append(changes, c)
		}
	}
	return changes
}

// replace installs a full log, reporting entries that are new or differ from the
// entry with the same message_id (or, without ids, at the same position).
func (l *ChatLog) replace(entries []ChatEntry) []ChatChange {
	old, oldIndex := l.entries, l.index
	l.entries = append([]ChatEntry(nil), entries...)
	l.index = map[string]int{}
	var changes []ChatChange
	for i, e := range l.entries {
		j, ok := -1, false
		if e.MessageID != "" {
			l.index[e.MessageID] = i
			j, ok = oldIndex[e.MessageID]
		} else if i < len(old) && old[i].MessageID == "" {
			j, ok = i, true
		}
		if !ok {
			changes = append(changes, ChatChange{Index: i, Entry: e, New: true, Delta: e.Content})
			continue
		}
		if c, changed := diffEntry(i, old[j], e); changed {
			changes = append(changes, c)
		}
	}
	return changes
}

func diffEntry(i int, prev, next ChatEntry) (ChatChange, bool) {
	if reflect.DeepEqual(prev, next) {
		return ChatChange{}, false
	}
	c := ChatChange{Index: i, Entry: next}
	if len(next.Content) > len(prev.Content) && strings.HasPrefix(next.Content, prev.Content) {
		c.Delta = next.Content[len(prev.Content):]
	}
	return c, true
}

// PlanOf returns the plan: plan.steps when there are any, else the todos of the
// latest todo_write entry in the chat log (what flow-registry flows use), else an
// empty Plan.
func PlanOf(steps []PlanStep, log []ChatEntry) Plan {
	if len(steps) > 0 {
		return Plan{Source: PlanFromSteps, Steps: append([]PlanStep(nil), steps...)}
	}
	for i := len(log) - 1; i >= 0; i-- {
		e := log[i]
		if e.MessageSubType != SubTypeTodoWrite && (e.ToolInfo == nil || e.ToolInfo.Name != SubTypeTodoWrite) {
			continue
		}
		if e.ToolInfo == nil {
			continue
		}
		var args struct {
			Todos []map[string]json.RawMessage `json:"todos"`
		}
		if json.Unmarshal(e.ToolInfo.Args, &args) != nil || len(args.Todos) == 0 {
			continue
		}
		p := Plan{Source: PlanFromTodoWrite}
		for j, t := range args.Todos {
			p.Steps = append(p.Steps, parseStep(t, j))
		}
		return p
	}
	return Plan{}
}

// PendingApproval returns the latest approval request in the log (a "request"
// entry with tool_info), or nil. After TOOL_CALL_APPROVAL_REQUIRED it names the
// tool and arguments to show the user.
func PendingApproval(log []ChatEntry) *ChatEntry {
	for i := len(log) - 1; i >= 0; i-- {
		if log[i].MessageType == MessageRequest && log[i].ToolInfo != nil {
			e := log[i]
			return &e
		}
	}
	return nil
}

// Tracker folds successive checkpoints of one workflow into chat, plan, status and
// usage. Keep one per workflow across its streams; not safe for concurrent use.
type Tracker struct {
	// Incremental must match whether the client declared incremental_streaming.
	Incremental bool

	Log    ChatLog
	Status string
	Plan   Plan
	Usage  map[string]TokenUsage
}

// Update is what one checkpoint changed.
type Update struct {
	Status        string
	StatusChanged bool
	Goal          string
	Errors        []string
	Chat          []ChatChange
	Plan          Plan
	PlanChanged   bool
	Usage         map[string]TokenUsage // this checkpoint's, nil when absent
}

// Apply parses a checkpoint and merges it.
func (t *Tracker) Apply(nc *contract.NewCheckpoint) (Update, error) {
	cp, err := ParseCheckpoint(nc)
	if err != nil {
		return Update{}, err
	}
	u := Update{Status: cp.Status, Goal: cp.Goal, Errors: cp.Errors, Usage: cp.Usage}
	u.StatusChanged = cp.Status != t.Status
	t.Status = cp.Status
	u.Chat = t.Log.Apply(cp.ChatLog, t.Incremental)
	plan := PlanOf(cp.PlanSteps, t.Log.entries)
	u.PlanChanged = !reflect.DeepEqual(plan, t.Plan)
	t.Plan, u.Plan = plan, plan
	if cp.Usage != nil {
		t.Usage = cp.Usage
	}
	return u, nil
}

// UsageTotal sums the agents' token counts; useful for a status line.
func UsageTotal(u map[string]TokenUsage) (total, limit int) {
	for _, v := range u {
		total += v.Total
		limit += v.Max
	}
	return total, limit
}
