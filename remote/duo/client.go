// Package duo is the wire side of GitLab's Duo Workflow Service (DWS) executor
// protocol: the workflows REST API, the Workhorse WebSocket
// (/api/v4/ai/duo_workflows/ws), direct gRPC to DWS, and parsing of the checkpoints
// DWS sends. DWS plans and decides; an executor runs the Actions a Stream yields and
// answers each with an ActionResponse echoing its request id.
//
// A run is a sequence of streams ("turns") on one workflow: a stream ends after a
// checkpoint whose status needs the user (IsTurnEnd), and the user's answer goes in
// the startRequest of a new stream with the same workflow id.
//
// The package imports nothing of wend's but remote/httpx, the request policy
// (no credentials across origins, bounded waits and sizes). Auditing, proxies and test transports plug
// in through Options.HTTPClient and GRPCOptions.DialOptions.
package duo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"gitlab.com/wend/wend/remote/duo/contract"
	"gitlab.com/wend/wend/remote/httpx"
)

// Client capabilities wend declares (DUO-WORKFLOW.md §1.6). Workhorse passes on only
// the ones on its allowlist, and DWS honours them only for instances ≥ 18.7.0.
const (
	CapIncrementalStreaming = "incremental_streaming"
	CapShellCommand         = "shell_command"
	CapReadFileChunked      = "read_file_chunked"
	CapCommandTimeout       = "command_timeout"
	CapGrepFixedStrings     = "grep_fixed_strings"
	CapToolCallStreaming    = "tool_call_streaming"
	CapScheduleNotification = "schedule_notification"
	CapReadFileImage        = "read_file_image"
	CapWebSearch            = "web_search"
	CapAutoMode             = "auto_mode"
)

// DefaultCapabilities is what Start declares when StartOptions.Capabilities is nil.
var DefaultCapabilities = []string{
	CapIncrementalStreaming, CapShellCommand, CapReadFileChunked, CapCommandTimeout, CapGrepFixedStrings,
}

// Workflow definitions and environments for CreateWorkflow.
const (
	DefinitionSoftwareDevelopment = "software_development"
	DefinitionChat                = "chat"
	DefinitionConvertToGitLabCI   = "convert_to_gitlab_ci"
	DefinitionIssueToMR           = "issue_to_merge_request"

	// EnvironmentIDE is deprecated upstream in favour of "chat", but every instance
	// that has the API accepts it, so it is the default.
	EnvironmentIDE         = "ide"
	EnvironmentChat        = "chat"
	EnvironmentChatPartial = "chat_partial"
	EnvironmentAmbient     = "ambient"
)

// Agent privileges (Rails Ai::DuoWorkflows::Workflow). The server default is 1–6.
const (
	PrivilegeReadWriteFiles  = 1
	PrivilegeReadOnlyGitLab  = 2
	PrivilegeReadWriteGitLab = 3
	PrivilegeRunCommands     = 4
	PrivilegeUseGit          = 5
	PrivilegeRunMCPTools     = 6
	PrivilegeStartFlows      = 7
)

// DefaultWorkflowMetadata is sent as startRequest.workflowMetadata when none is given.
const DefaultWorkflowMetadata = `{"extended_logging":false}`

// Options configure a Client.
type Options struct {
	// BaseURL is the instance, e.g. https://gitlab.com or https://host/gitlab.
	BaseURL string
	// Token is a personal access token (api scope) or OAuth token.
	Token string
	// HTTPClient carries REST calls and the WebSocket upgrade; nil means a plain
	// &http.Client{}. Plug auditing in here.
	HTTPClient *http.Client
	// ClientVersion goes into startRequest.clientVersion and X-Gitlab-Client-Version.
	ClientVersion string
	// ClientType goes into X-Gitlab-Client-Type and the ws client_type parameter.
	ClientType string
	// Header is added to every REST and WebSocket request.
	Header http.Header
	// Limits bound every REST request and the WebSocket upgrade (remote/httpx).
	// Zero fields take the defaults.
	Limits httpx.Limits
}

// Client talks to one GitLab instance. It is safe for concurrent use.
type Client struct {
	base *url.URL
	opts Options
	hc   *http.Client
}

// New checks the options and returns a Client.
func New(opts Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("duo: base URL %q: want http(s)://host[/path]", opts.BaseURL)
	}
	if opts.Token == "" {
		return nil, errors.New("duo: no token")
	}
	return &Client{base: u, opts: opts, hc: httpx.Secure(opts.HTTPClient, gitlabLimits(opts.Limits))}, nil
}

// gitlabLimits names GitLab and gitlab_url in the policy's errors.
func gitlabLimits(l httpx.Limits) httpx.Limits {
	if l.Peer == "" {
		l.Peer = "GitLab"
	}
	if l.URLKey == "" {
		l.URLKey = "gitlab_url"
	}
	return l
}

// HTTPClient is the client the REST calls and the WebSocket upgrade use: the
// one from Options under the request policy (remote/httpx).
func (c *Client) HTTPClient() *http.Client { return c.hc }

// BaseURL returns the instance URL without a trailing slash.
func (c *Client) BaseURL() string { return c.base.String() }

// Origin is the Origin header Workhorse expects on the WebSocket upgrade.
func (c *Client) Origin() string { return c.base.Scheme + "://" + c.base.Host }

// Flow names a flow-registry flow (startRequest fields 12, 14 and 15).
type Flow struct {
	ID            string // e.g. "developer"
	SchemaVersion string // "v1" or "experimental"
	Version       string // semver, e.g. "1.0.0"
}

// StartOptions describe one stream: which workflow (existing, or created here) and
// what goes into its startRequest.
type StartOptions struct {
	// WorkflowID continues an existing workflow. When empty, Start creates one with
	// the workflow fields below.
	WorkflowID string
	// Workflow creation (POST /api/v4/ai/duo_workflows/workflows). ProjectID and
	// NamespaceID also go into the WebSocket query.
	ProjectID                  string // numeric id or full path
	NamespaceID                string
	WorkflowDefinition         string // default software_development
	Environment                string // default EnvironmentIDE
	AgentPrivileges            []int
	PreApprovedAgentPrivileges []int
	AllowAgentToRequestUser    *bool

	// startRequest. DWS picks the flow from each startRequest, so every stream of
	// a workflow must name the same WorkflowDefinition or Flow.
	Goal               string
	Flow               *Flow
	Capabilities       []string // nil means DefaultCapabilities
	WorkflowMetadata   string   // JSON; default DefaultWorkflowMetadata
	AdditionalContext  []*contract.AdditionalContext
	MCPTools           []*contract.McpTool
	PreapprovedTools   []string
	Approval           *contract.Approval // see Approve and Reject
	Streaming          *bool
	ResumeCheckpointTS string

	// Transport carries the stream; nil means c.WebSocket with the ids above.
	Transport Transport
}

// StartRequest builds the startRequest for o without touching the network. The
// caller's messages are cloned, and an AdditionalContext without metadata gets "{}"
// because DWS parses it as JSON.
func (c *Client) StartRequest(o StartOptions) *contract.StartWorkflowRequest {
	caps := o.Capabilities
	if caps == nil {
		caps = DefaultCapabilities
	}
	meta := o.WorkflowMetadata
	if meta == "" {
		meta = DefaultWorkflowMetadata
	}
	req := &contract.StartWorkflowRequest{
		ClientVersion:      c.opts.ClientVersion,
		WorkflowID:         o.WorkflowID,
		WorkflowDefinition: o.WorkflowDefinition,
		Goal:               o.Goal,
		WorkflowMetadata:   meta,
		ClientCapabilities: append([]string(nil), caps...),
		PreapprovedTools:   append([]string(nil), o.PreapprovedTools...),
		Streaming:          o.Streaming,
	}
	if o.Flow == nil && req.WorkflowDefinition == "" {
		req.WorkflowDefinition = DefinitionSoftwareDevelopment // what CreateWorkflow defaults to
	}
	if o.Flow != nil {
		req.FlowConfigId = proto.String(o.Flow.ID)
		req.FlowConfigSchemaVersion = proto.String(o.Flow.SchemaVersion)
		req.FlowVersion = proto.String(o.Flow.Version)
		req.WorkflowDefinition = ""
	}
	if o.ResumeCheckpointTS != "" {
		req.ResumeCheckpointTs = proto.String(o.ResumeCheckpointTS)
	}
	for _, ac := range o.AdditionalContext {
		ac = proto.CloneOf(ac)
		if ac.GetMetadata() == "" {
			ac.Metadata = proto.String("{}")
		}
		req.AdditionalContext = append(req.AdditionalContext, ac)
	}
	for _, t := range o.MCPTools {
		req.McpTools = append(req.McpTools, proto.CloneOf(t))
	}
	if o.Approval != nil {
		req.Approval = proto.CloneOf(o.Approval)
	}
	return req
}

// Start opens a stream: it creates the workflow when o.WorkflowID is empty, opens
// the transport and sends the startRequest. ctx bounds the setup only; the stream
// lives until Close.
func (c *Client) Start(ctx context.Context, o StartOptions) (*Stream, error) {
	var wf *Workflow
	if o.WorkflowID == "" {
		var err error
		wf, err = c.CreateWorkflow(ctx, CreateWorkflowOptions{
			ProjectID:                  o.ProjectID,
			NamespaceID:                o.NamespaceID,
			Goal:                       o.Goal,
			WorkflowDefinition:         o.WorkflowDefinition,
			Environment:                o.Environment,
			AgentPrivileges:            o.AgentPrivileges,
			PreApprovedAgentPrivileges: o.PreApprovedAgentPrivileges,
			AllowAgentToRequestUser:    o.AllowAgentToRequestUser,
		})
		if err != nil {
			return nil, err
		}
		o.WorkflowID = strconv.FormatInt(wf.ID, 10)
	}
	t := o.Transport
	if t == nil {
		t = c.WebSocket(WebSocketOptions{
			ProjectID:          o.ProjectID,
			NamespaceID:        o.NamespaceID,
			WorkflowDefinition: o.WorkflowDefinition,
		})
	}
	s, err := t.Open(ctx, c.StartRequest(o))
	if err != nil {
		return nil, err
	}
	s.Workflow = wf
	return s, nil
}

// Approve is a startRequest.approval that approves the pending tool call.
// toolName and argsJSON may be empty; remember approves it for the session.
func Approve(toolName, argsJSON string, remember bool) *contract.Approval {
	a := &contract.Approval_Approved{ApprovalSource: contract.Approval_APPROVAL_SOURCE_USER_EXPLICIT.Enum()}
	if remember {
		a.RememberApproval = proto.Bool(true)
	}
	if toolName != "" {
		a.ToolName = proto.String(toolName)
	}
	if argsJSON != "" {
		a.ToolArgsJson = proto.String(argsJSON)
	}
	return &contract.Approval{UserDecision: &contract.Approval_Approval{Approval: a}}
}

// Reject is a startRequest.approval that rejects the pending tool call; message
// reaches the agent.
func Reject(message string) *contract.Approval {
	r := &contract.Approval_Rejected{}
	if message != "" {
		r.Message = proto.String(message)
	}
	return &contract.Approval{UserDecision: &contract.Approval_Rejection{Rejection: r}}
}
