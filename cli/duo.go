package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"gitlab.com/wend/wend/remote/duo"
	"gitlab.com/wend/wend/remote/gitlab"
	"gitlab.com/wend/wend/remote/redact"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/duoengine"
	"gitlab.com/wend/wend/session/tools"
)

// Duo's settings. The flags are registered on the root command by addDuoFlags;
// WEND_DUO_FLOW and WEND_DUO_TRANSPORT are read when a flag is not given.
const (
	defaultDuoFlow      = duo.DefinitionSoftwareDevelopment
	defaultDuoTransport = "websocket"
)

// duoFlagValues holds the flag values of each invocation (globals is per run).
var duoFlagValues sync.Map // *globals → *duoFlags

type duoFlags struct {
	flow, transport string
	set             func(name string) bool
}

// addDuoFlags registers --flow and --duo-transport. Call it from newRoot with the
// root's persistent flag set.
func addDuoFlags(g *globals, f *pflag.FlagSet) {
	df := &duoFlags{}
	f.StringVar(&df.flow, "flow", defaultDuoFlow, "GitLab Duo flow for --provider gitlab-duo: software_development, chat or developer/v1")
	f.StringVar(&df.transport, "duo-transport", defaultDuoTransport, "how --provider gitlab-duo reaches the service: websocket (through GitLab) or grpc (direct_access)")
	df.set = func(name string) bool { return f.Changed(name) }
	duoFlagValues.Store(g, df)
}

// duoSettings returns the flow and transport: a flag the user set, else the
// environment, else the default. Both are validated.
func duoSettings(g *globals) (flow, transport string, err error) {
	flow, transport = defaultDuoFlow, defaultDuoTransport
	if v := g.env("WEND_DUO_FLOW"); v != "" {
		flow = v
	}
	if v := g.env("WEND_DUO_TRANSPORT"); v != "" {
		transport = v
	}
	if v, ok := duoFlagValues.Load(g); ok {
		df := v.(*duoFlags)
		if df.set("flow") {
			flow = df.flow
		}
		if df.set("duo-transport") {
			transport = df.transport
		}
	}
	switch flow {
	case duo.DefinitionSoftwareDevelopment, duo.DefinitionChat, duo.DefinitionConvertToGitLabCI, duo.DefinitionIssueToMR:
	default:
		if name, schema, ok := strings.Cut(flow, "/"); !ok || name == "" || schema == "" || strings.ContainsAny(flow, " \t") {
			return "", "", usageErr("unknown --flow %q (use software_development, chat, or a flow-registry name/schema such as developer/v1)", flow)
		}
	}
	if transport != "websocket" && transport != "grpc" {
		return "", "", usageErr("unknown --duo-transport %q (use websocket or grpc)", transport)
	}
	return flow, transport, nil
}

// prepareDuoSession runs GitLab's Duo Workflow Service as the engine, with wend as
// its executor (issue 7): the project's GitLab instance and token, wend's tools
// and staging in the checkout, and the transport the user chose.
func prepareDuoSession(ctx context.Context, g *globals, ws *workspace, interactive bool) (*liveSession, error) {
	policy, err := session.ParseApprovalPolicy(ws.settings.Approval)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	flow, transport, err := duoSettings(g)
	if err != nil {
		return nil, err
	}
	id := newSessionID(time.Now())
	glc, err := g.gitlabConfig(ctx, ws, id)
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: fmt.Errorf("--provider gitlab-duo needs the project's GitLab: %w", err)}
	}
	if glc.Token == "" {
		return nil, usageErr("--provider gitlab-duo needs a GitLab token with the api scope: set GITLAB_TOKEN (or gitlab_token_file in the config)")
	}
	if glc.Project == "" {
		return nil, usageErr("--provider gitlab-duo needs the project: add a GitLab remote named origin")
	}
	client, hc, err := duoClient(glc)
	if err != nil {
		return nil, err
	}
	cfg := duoengine.Config{
		SessionID: id, Client: client, TransportName: transport, ProjectID: glc.Project, Flow: flow,
		Policy: policy, Interactive: interactive, Root: ws.repo.Root(),
		Repo: filepath.Base(ws.repo.Root()), Branch: ws.branch,
		HTTPBaseURL: glc.BaseURL, HTTPToken: glc.Token, HTTPClient: hc,
	}
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	switch transport {
	case "grpc":
		da, err := client.DirectAccess(ctx, duo.DirectAccessOptions{WorkflowDefinition: flow, ProjectID: glc.Project})
		if err != nil {
			return nil, fmt.Errorf("--duo-transport grpc: %w", err)
		}
		tlsCfg, err := gitlab.TLSConfig(glc.CAFile)
		if err != nil {
			return nil, err
		}
		tr, err := duo.NewGRPCTransport(duo.GRPCOptions{Access: da, TLSConfig: tlsCfg})
		if err != nil {
			return nil, err
		}
		closers = append(closers, func() { tr.Close() })
		cfg.Transport = tr
		// On the direct path DWS sends every GitLab call through the executor,
		// to be made with the workflow's own token.
		cfg.HTTPBaseURL, cfg.HTTPToken = da.GitLabRails.BaseURL, da.GitLabRails.Token
		// The workflow's own tokens are credentials like the user's: masked
		// wherever they would show (tool output, GitLab answers, the log).
		redact.Register(da.GitLabRails.Token, da.Service.Token)
		if m := strings.TrimSpace(string(da.WorkflowMetadata)); m != "" && m != "null" {
			cfg.WorkflowMetadata = m
		}
	default:
		cfg.Transport = client.WebSocket(duo.WebSocketOptions{ProjectID: glc.Project, WorkflowDefinition: flow})
	}
	stage, err := newStaging(ctx, g, ws, id)
	if err != nil {
		closeAll()
		return nil, err
	}
	closers = append(closers, stage.close)
	reg, err := tools.New(g.redacting(ws.settings, g.protect(ws.settings, g.sandboxed(ws.settings, tools.Config{Root: stage.repo.Root(), Repo: stage.repo, Workspace: stage.workspace}))))
	if err != nil {
		closeAll()
		return nil, err
	}
	log, w, err := openSessionLog(ctx, ws, id)
	if err != nil {
		closeAll()
		return nil, err
	}
	cfg.Tools, cfg.Review, cfg.Log = reg, stage.review, log
	eng := duoengine.New(cfg)
	return &liveSession{
		id: id, engine: eng, log: log, writer: w, model: "gitlab-duo " + flow,
		review: stage.review, closers: closers,
	}, nil
}

// duoClient is the workflows API client on wend's GitLab transport: the
// instance's CA roots, proxies from the environment, and the audit trail.
func duoClient(glc gitlab.Config) (*duo.Client, *http.Client, error) {
	tr, err := gitlab.NewTransport(glc.CAFile)
	if err != nil {
		return nil, nil, err
	}
	var rt http.RoundTripper = tr
	if glc.Wrap != nil {
		rt = glc.Wrap(rt)
	}
	c, err := duo.New(duo.Options{BaseURL: glc.BaseURL, Token: glc.Token, HTTPClient: &http.Client{Transport: rt},
		ClientVersion: "wend", Limits: glc.Limits})
	if err != nil {
		return nil, nil, errors.New("--provider gitlab-duo: " + err.Error())
	}
	// The client's own HTTP client carries the request policy (no redirect to
	// another host, bounded waits), for the doctor checks and runHTTPRequest too.
	return c, c.HTTPClient(), nil
}
