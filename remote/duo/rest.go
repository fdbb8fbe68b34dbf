package duo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"gitlab.com/wend/wend/remote/httpx"
)

const apiPrefix = "/api/v4/ai/duo_workflows"

// CreateWorkflowOptions are the parameters of POST /api/v4/ai/duo_workflows/workflows.
// Empty fields are left out so the server's defaults apply.
type CreateWorkflowOptions struct {
	ProjectID                  string // numeric id or full path; exclusive with NamespaceID
	NamespaceID                string
	Goal                       string
	WorkflowDefinition         string // default software_development
	Environment                string // default EnvironmentIDE
	AgentPrivileges            []int
	PreApprovedAgentPrivileges []int
	AllowAgentToRequestUser    *bool
	SourceBranch               string
	IssueID                    int64
	MergeRequestID             int64
	AdditionalContext          []RESTContext
}

// RESTContext is one additional_context item of the REST call; Rails spells the
// keys with capitals.
type RESTContext struct {
	Category string `json:"Category"`
	Content  string `json:"Content,omitempty"`
	Metadata string `json:"Metadata,omitempty"`
}

// Workflow is the Rails Workflow entity.
type Workflow struct {
	ID                              int64    `json:"id"`
	ProjectID                       int64    `json:"project_id,omitempty"`
	NamespaceID                     int64    `json:"namespace_id,omitempty"`
	AgentPrivileges                 []int    `json:"agent_privileges,omitempty"`
	AgentPrivilegesNames            []string `json:"agent_privileges_names,omitempty"`
	PreApprovedAgentPrivileges      []int    `json:"pre_approved_agent_privileges,omitempty"`
	PreApprovedAgentPrivilegesNames []string `json:"pre_approved_agent_privileges_names,omitempty"`
	WorkflowDefinition              string   `json:"workflow_definition,omitempty"`
	// Status is the Rails state name (WorkflowCreated, ...).
	Status                  string `json:"status,omitempty"`
	Summary                 string `json:"summary,omitempty"`
	AllowAgentToRequestUser bool   `json:"allow_agent_to_request_user,omitempty"`
	Image                   string `json:"image,omitempty"`
	Environment             string `json:"environment,omitempty"`
	MCPEnabled              bool   `json:"mcp_enabled,omitempty"`
	GitLabURL               string `json:"gitlab_url,omitempty"`
}

// CreateWorkflow registers a workflow and returns it; its id goes into startRequest.
// A token with only the ai_workflows scope is refused here (403).
func (c *Client) CreateWorkflow(ctx context.Context, o CreateWorkflowOptions) (*Workflow, error) {
	if o.ProjectID != "" && o.NamespaceID != "" {
		return nil, fmt.Errorf("duo: create workflow: project and namespace are mutually exclusive")
	}
	def := o.WorkflowDefinition
	if def == "" {
		def = DefinitionSoftwareDevelopment
	}
	env := o.Environment
	if env == "" {
		env = EnvironmentIDE
	}
	body := map[string]any{"workflow_definition": def, "environment": env}
	put := func(k string, v any, ok bool) {
		if ok {
			body[k] = v
		}
	}
	put("project_id", o.ProjectID, o.ProjectID != "")
	put("namespace_id", o.NamespaceID, o.NamespaceID != "")
	put("goal", o.Goal, o.Goal != "")
	put("agent_privileges", o.AgentPrivileges, len(o.AgentPrivileges) > 0)
	put("pre_approved_agent_privileges", o.PreApprovedAgentPrivileges, len(o.PreApprovedAgentPrivileges) > 0)
	put("allow_agent_to_request_user", o.AllowAgentToRequestUser, o.AllowAgentToRequestUser != nil)
	put("source_branch", o.SourceBranch, o.SourceBranch != "")
	put("issue_id", o.IssueID, o.IssueID != 0)
	put("merge_request_id", o.MergeRequestID, o.MergeRequestID != 0)
	put("additional_context", o.AdditionalContext, len(o.AdditionalContext) > 0)
	var wf Workflow
	if err := c.do(ctx, "create workflow", http.MethodPost, apiPrefix+"/workflows", body, &wf); err != nil {
		return nil, err
	}
	if wf.ID == 0 {
		return nil, &Error{Op: "create workflow", Kind: KindMalformed, Reason: "response has no workflow id"}
	}
	return &wf, nil
}

// GetWorkflow reads a workflow (an internal endpoint, meant for ai_workflows tokens;
// whether a user token may call it is unconfirmed).
func (c *Client) GetWorkflow(ctx context.Context, id string) (*Workflow, error) {
	var wf Workflow
	if err := c.do(ctx, "get workflow", http.MethodGet, apiPrefix+"/workflows/"+url.PathEscape(id), nil, &wf); err != nil {
		return nil, err
	}
	return &wf, nil
}

// StatusEvent is a Rails state-machine event for UpdateStatus.
type StatusEvent string

const (
	StatusEventStart  StatusEvent = "start"
	StatusEventPause  StatusEvent = "pause"
	StatusEventResume StatusEvent = "resume"
	StatusEventRetry  StatusEvent = "retry"
	StatusEventFinish StatusEvent = "finish"
	StatusEventDrop   StatusEvent = "drop"
	StatusEventStop   StatusEvent = "stop"
)

// UpdateStatus sends PATCH …/workflows/:id {status_event}; StatusEventStop stops a
// workflow that has no open stream. Internal endpoint: see GetWorkflow.
func (c *Client) UpdateStatus(ctx context.Context, id string, ev StatusEvent) (*Workflow, error) {
	var wf Workflow
	err := c.do(ctx, "update workflow status", http.MethodPatch, apiPrefix+"/workflows/"+url.PathEscape(id),
		map[string]any{"status_event": string(ev)}, &wf)
	if err != nil {
		return nil, err
	}
	return &wf, nil
}

// EventType is a human event for SendEvent.
type EventType string

const (
	EventPause        EventType = "pause"
	EventResume       EventType = "resume" // approves a plan at the plan-approval gate
	EventStop         EventType = "stop"
	EventMessage      EventType = "message" // feedback: the agent replans
	EventResponse     EventType = "response"
	EventRequireInput EventType = "require_input"
)

// WorkflowEvent is a queued human event.
type WorkflowEvent struct {
	ID            int64  `json:"id"`
	EventType     string `json:"event_type"`
	EventStatus   string `json:"event_status,omitempty"` // queued or delivered
	Message       string `json:"message,omitempty"`
	CorrelationID string `json:"correlation_id,omitempty"`
}

// SendEvent queues a human event (POST …/workflows/:id/events). DWS reads it when
// the next stream starts (legacy workflows) or between agent steps (stop). After a
// plan-approval stop: EventResume approves, EventMessage sends feedback; then open a
// new stream. correlationID is optional (a UUID).
func (c *Client) SendEvent(ctx context.Context, id string, typ EventType, message, correlationID string) (*WorkflowEvent, error) {
	body := map[string]any{"event_type": string(typ)}
	if message != "" {
		body["message"] = message
	}
	if correlationID != "" {
		body["correlation_id"] = correlationID
	}
	var ev WorkflowEvent
	if err := c.do(ctx, "send workflow event", http.MethodPost, apiPrefix+"/workflows/"+url.PathEscape(id)+"/events", body, &ev); err != nil {
		return nil, err
	}
	return &ev, nil
}

// QueuedEvents lists the events still queued (GET …/workflows/:id/events).
func (c *Client) QueuedEvents(ctx context.Context, id string) ([]WorkflowEvent, error) {
	var evs []WorkflowEvent
	if err := c.do(ctx, "list workflow events", http.MethodGet, apiPrefix+"/workflows/"+url.PathEscape(id)+"/events", nil, &evs); err != nil {
		return nil, err
	}
	return evs, nil
}

// ResumeCI answers a catalog flow that runs in CI (POST …/workflows/:id/resume).
// It does not apply to workflows this executor runs: for those, open a new stream.
func (c *Client) ResumeCI(ctx context.Context, id string, approve bool, message string) error {
	body := map[string]any{"human_approval": approve}
	if message != "" {
		body["human_message"] = message
	}
	return c.do(ctx, "resume workflow", http.MethodPost, apiPrefix+"/workflows/"+url.PathEscape(id)+"/resume", body, nil)
}

// DirectAccessOptions are the parameters of POST …/direct_access.
type DirectAccessOptions struct {
	WorkflowDefinition string
	RootNamespaceID    string
	ProjectID          string
}

// DirectAccess is what direct_access returns: where DWS is and how to authenticate.
type DirectAccess struct {
	GitLabRails struct {
		BaseURL        string `json:"base_url"`
		Token          string `json:"token"`
		TokenExpiresAt string `json:"token_expires_at"`
	} `json:"gitlab_rails"`
	Service struct {
		BaseURL        string            `json:"base_url"` // host:port
		Token          string            `json:"token"`    // DWS JWT
		TokenExpiresAt int64             `json:"token_expires_at"`
		Headers        map[string]string `json:"headers"`
		Secure         bool              `json:"secure"`
	} `json:"duo_workflow_service"`
	// WorkflowMetadata is a suggested startRequest.workflowMetadata (JSON).
	WorkflowMetadata   json.RawMessage `json:"workflow_metadata"`
	ServerCapabilities []string        `json:"server_capabilities"`
}

// DirectAccess asks Rails for the DWS address and a DWS token. Rate-limited (429);
// refused for ai_workflows-only tokens.
func (c *Client) DirectAccess(ctx context.Context, o DirectAccessOptions) (*DirectAccess, error) {
	body := map[string]any{}
	if o.WorkflowDefinition != "" {
		body["workflow_definition"] = o.WorkflowDefinition
	}
	if o.RootNamespaceID != "" {
		body["root_namespace_id"] = o.RootNamespaceID
	}
	if o.ProjectID != "" {
		body["project_id"] = o.ProjectID
	}
	var da DirectAccess
	if err := c.do(ctx, "direct access", http.MethodPost, apiPrefix+"/direct_access", body, &da); err != nil {
		return nil, err
	}
	if da.Service.BaseURL == "" {
		return nil, &Error{Op: "direct access", Kind: KindMalformed, Reason: "response has no duo_workflow_service.base_url"}
	}
	return &da, nil
}

func (c *Client) url(path string) string {
	return c.base.String() + path
}

func (c *Client) setHeaders(h http.Header) {
	for k, vs := range c.opts.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	h.Set("Authorization", "Bearer "+c.opts.Token)
	if c.opts.ClientVersion != "" {
		h.Set("X-Gitlab-Client-Version", c.opts.ClientVersion)
	}
	if c.opts.ClientType != "" {
		h.Set("X-Gitlab-Client-Type", c.opts.ClientType)
	}
}

func (c *Client) do(ctx context.Context, op, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("duo: %s: %w", op, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(path), body)
	if err != nil {
		return fmt.Errorf("duo: %s: %w", op, err)
	}
	c.setHeaders(req.Header)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return &Error{Op: op, Kind: transportKind(err), Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return &Error{Op: op, Kind: transportKind(err), HTTPStatus: resp.StatusCode, Err: err}
	}
	if resp.StatusCode/100 != 2 {
		return httpError(op, resp.StatusCode, data)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &Error{Op: op, Kind: KindMalformed, HTTPStatus: resp.StatusCode,
			Reason: "response is not the expected JSON: " + firstBytes(data), Err: err}
	}
	return nil
}

// transportKind classifies a failed exchange: a bound of the request policy
// (a redirect to another host, a stall past its limit) is not retried, since it
// would recur and the user has waited already; anything else is a dropped
// connection, which a new attempt may cure.
func transportKind(err error) Kind {
	var limit *httpx.Error
	if errors.As(err, &limit) && limit.Kind != httpx.KindConnect {
		return KindOther
	}
	return KindUnavailable
}

// httpError classifies a failed REST call or WebSocket upgrade.
func httpError(op string, status int, body []byte) *Error {
	e := &Error{Op: op, HTTPStatus: status, Reason: restMessage(body)}
	switch {
	case status == http.StatusUnauthorized:
		e.Kind, e.Hint = KindUnauthorized, hintUnauthorized
	case status == http.StatusForbidden:
		e.Kind = KindForbidden
		switch op {
		case opOpenWS:
			e.Hint = hintForbiddenWS
		default:
			e.Hint = hintForbiddenCreate
		}
	case status == http.StatusNotFound:
		e.Kind, e.Hint = KindNotFound, hintNotFound
	case status == http.StatusTooManyRequests:
		e.Kind, e.Hint = KindRateLimited, hintRateLimit
	case status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
		e.Kind = KindUnavailable
	case status >= 500:
		e.Kind = KindServer
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity || status == http.StatusConflict:
		e.Kind = KindInvalid
	default:
		e.Kind = KindOther
	}
	return e
}

// restMessage pulls GitLab's {"message": ...} or {"error": ...} out of a body, or
// else shows its first bytes.
func restMessage(body []byte) string {
	var m struct {
		Message json.RawMessage `json:"message"`
		Error   json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &m) == nil {
		for _, raw := range []json.RawMessage{m.Message, m.Error} {
			if len(raw) == 0 {
				continue
			}
			var s string
			if json.Unmarshal(raw, &s) == nil {
				return s
			}
			return string(raw)
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return ""
	}
	return firstBytes(body)
}

// firstBytes quotes the start of a payload for an error message.
func firstBytes(b []byte) string {
	const n = 64
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		return fmt.Sprintf("%q…", s[:n])
	}
	return fmt.Sprintf("%q", s)
}
