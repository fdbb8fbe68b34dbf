package assemble

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"gitlab.com/wend/wend/remote/duo"
	"gitlab.com/wend/wend/remote/gitlab"
	"gitlab.com/wend/wend/remote/redact"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/duoengine"
	"gitlab.com/wend/wend/session/tools"
)

// newDuo runs GitLab's Duo Workflow Service as the engine, with wend as its
// executor (issue 7): the project's GitLab instance and token, wend's tools
// and staging in the checkout, and the transport the user chose.
func newDuo(ctx context.Context, o Options) (*Session, error) {
	policy, err := session.ParseApprovalPolicy(o.Settings.Approval)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	if o.Duo == nil {
		return nil, errors.New("assemble: a GitLab Duo session needs Options.Duo")
	}
	flow, transport, err := o.Duo()
	if err != nil {
		return nil, err
	}
	id := NewSessionID(time.Now())
	glc, err := GitLabConfig(ctx, o.Repo.Root(), o.Settings, o.Wrap, id)
	if err != nil {
		return nil, &UsageError{fmt.Errorf("--provider gitlab-duo needs the project's GitLab: %w", err)}
	}
	if glc.Token == "" {
		return nil, usageErr("--provider gitlab-duo needs a GitLab token with the api scope: set GITLAB_TOKEN (or gitlab_token_file in the config)")
	}
	if glc.Project == "" {
		return nil, usageErr("--provider gitlab-duo needs the project: add a GitLab remote named origin")
	}
	client, hc, err := DuoClient(glc)
	if err != nil {
		return nil, err
	}
	cfg := duoengine.Config{
		SessionID: id, Client: client, TransportName: transport, ProjectID: glc.Project, Flow: flow,
		Policy: policy, Interactive: o.Interactive, Root: o.Repo.Root(),
		Repo: filepath.Base(o.Repo.Root()), Branch: o.Branch,
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
	stage, err := NewStaging(ctx, o, id)
	if err != nil {
		closeAll()
		return nil, err
	}
	closers = append(closers, stage.Close)
	reg, err := tools.New(ToolConfig(o.Settings, o.ConfigFile, tools.Config{Root: stage.Repo.Root(), Repo: stage.Repo, Workspace: stage.Workspace}))
	if err != nil {
		closeAll()
		return nil, err
	}
	log, w, err := openSessionLog(ctx, o, id)
	if err != nil {
		closeAll()
		return nil, err
	}
	cfg.Tools, cfg.Review, cfg.Log = reg, stage.Review, log
	eng := duoengine.New(cfg)
	return &Session{
		ID: id, Engine: eng, Log: log, writer: w, Model: "gitlab-duo " + flow,
		Review: stage.Review, closers: closers, opts: o,
	}, nil
}

// DuoClient is the workflows API client on wend's GitLab transport: the
// instance's CA roots, proxies from the environment, and the audit trail.
func DuoClient(glc gitlab.Config) (*duo.Client, *http.Client, error) {
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
