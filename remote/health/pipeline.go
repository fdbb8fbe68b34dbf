package health

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// Checks of the pipeline loop (wend commit --push --watch, wend run
// --watch-pipeline, fixing an MR's pipeline): can the token read pipelines
// and jobs, can wend push, open merge requests and write draft notes, and
// does the project have a runner to run the pipeline at all.
const (
	CheckCIRead    = "gitlab.ci.read"
	CheckCIWrite   = "gitlab.ci.write"
	CheckCIRunners = "gitlab.ci.runners"
)

// PipelineChecks runs the pipeline loop's checks concurrently, each within
// cfg.Timeout. Without an instance, a project or a token they are skipped.
func PipelineChecks(ctx context.Context, cfg Config) []Result {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	skip := func(why string) []Result {
		return []Result{{Name: CheckCIRead, Status: Skip, Reason: why}, {Name: CheckCIWrite, Status: Skip, Reason: why},
			{Name: CheckCIRunners, Status: Skip, Reason: why}}
	}
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	switch {
	case cfg.BaseURL == "" || err != nil || u.Host == "":
		return skip("no GitLab instance configured")
	case cfg.Project == "":
		return skip("no project (no GitLab remote)")
	case cfg.Token == "":
		return skip("no token")
	}
	if cfg.Proxy == nil {
		cfg.Proxy = httpproxy.FromEnvironment().ProxyFunc()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &api{cfg: cfg, base: u}
	out := make([]Result, 3)
	var wg sync.WaitGroup
	for i, fn := range []func(context.Context) Result{a.ciRead, a.ciWrite, a.runners} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
			defer cancel()
			start := time.Now()
			out[i] = fn(cctx)
			out[i].Duration = time.Since(start)
		}()
	}
	wg.Wait()
	return out
}

func (a *api) pid() string { return url.PathEscape(a.cfg.Project) }

// ciRead: the newest pipeline and its jobs are readable.
func (a *api) ciRead(ctx context.Context) Result {
	r := Result{Name: CheckCIRead}
	var list []struct {
		ID int64 `json:"id"`
	}
	status, err := a.get(ctx, "/projects/"+a.pid()+"/pipelines?per_page=1", &list)
	switch {
	case err != nil && status == 0:
		return transportFailure(ctx, CheckCIRead, err, a.cfg.Timeout)
	case status == http.StatusForbidden || status == http.StatusNotFound:
		r.Status, r.Reason = Fail, fmt.Sprintf("the token cannot read %s's pipelines (%d): CI/CD may be off for the project, or its pipelines visible to members only", a.cfg.Project, status)
		r.Fix = "enable CI/CD (Settings > General > Visibility) or ask for the Reporter role or above"
		return r
	case status != http.StatusOK || err != nil:
		r.Status, r.Reason = Fail, fmt.Sprintf("GET pipelines answered %d", status)
		return r
	}
	if len(list) == 0 {
		r.Status, r.Reason = Pass, "pipelines are readable (the project has none yet)"
		return r
	}
	var jobs []struct {
		ID int64 `json:"id"`
	}
	status, err = a.get(ctx, fmt.Sprintf("/projects/%s/pipelines/%d/jobs?per_page=1", a.pid(), list[0].ID), &jobs)
	switch {
	case err != nil && status == 0:
		return transportFailure(ctx, CheckCIRead, err, a.cfg.Timeout)
	case status != http.StatusOK:
		r.Status, r.Reason = Fail, fmt.Sprintf("pipeline %d is readable but its jobs are not (%d)", list[0].ID, status)
		r.Fix = "job logs need the Reporter role or above on private projects"
		return r
	}
	r.Status, r.Reason = Pass, fmt.Sprintf("pipelines and jobs are readable (newest pipeline %d)", list[0].ID)
	return r
}

// ciWrite: pushing a branch and creating merge requests need the Developer
// role; merge requests and draft notes need a token with the api scope (git
// pushes with the user's own git credentials, not with this token).
func (a *api) ciWrite(ctx context.Context) Result {
	r := Result{Name: CheckCIWrite}
	var tok struct {
		Scopes []string `json:"scopes"`
	}
	status, err := a.get(ctx, "/personal_access_tokens/self", &tok)
	if err != nil && status == 0 {
		return transportFailure(ctx, CheckCIWrite, err, a.cfg.Timeout)
	}
	scopesKnown := status == http.StatusOK
	api := false
	for _, s := range tok.Scopes {
		api = api || s == "api"
	}
	var p struct {
		Permissions struct {
			Project *struct {
				AccessLevel int `json:"access_level"`
			} `json:"project_access"`
			Group *struct {
				AccessLevel int `json:"access_level"`
			} `json:"group_access"`
		} `json:"permissions"`
	}
	status, err = a.get(ctx, "/projects/"+a.pid(), &p)
	if err != nil && status == 0 {
		return transportFailure(ctx, CheckCIWrite, err, a.cfg.Timeout)
	}
	if status != http.StatusOK {
		r.Status, r.Reason, r.Fix = Fail, fmt.Sprintf("project %s is not readable (%d)", a.cfg.Project, status), "see the role check"
		return r
	}
	level := 0
	if p.Permissions.Project != nil {
		level = p.Permissions.Project.AccessLevel
	}
	if p.Permissions.Group != nil {
		level = max(level, p.Permissions.Group.AccessLevel)
	}
	var missing []string
	if level < 30 {
		missing = append(missing, fmt.Sprintf("your role (%s) cannot push branches or open merge requests: Developer or above can", roleName(level)))
	}
	if scopesKnown && !api {
		missing = append(missing, fmt.Sprintf("the token's scopes (%s) cannot create merge requests or draft notes: the api scope can", strings.Join(tok.Scopes, ", ")))
	}
	switch {
	case len(missing) > 0:
		r.Status, r.Reason = Fail, strings.Join(missing, "; ")
		r.Fix = "ask a Maintainer for the Developer role, and use a token with the api scope (" + a.tokenPage() + ")"
	case !scopesKnown:
		r.Status, r.Reason = Warn, fmt.Sprintf("%s can push and open merge requests; the token's scopes are not readable (%d), so merge requests and draft notes are untested", roleName(level), status)
	default:
		r.Status, r.Reason = Pass, fmt.Sprintf("%s with an api token: push (with your git credentials), merge requests and draft notes", roleName(level))
	}
	return r
}

func roleName(level int) string {
	if n, ok := roles[level]; ok {
		return n
	}
	return fmt.Sprintf("level %d", level)
}

// runners: an online runner can pick the pipeline's jobs up. Listing a
// project's runners needs the Maintainer role; below it the check says so
// rather than guessing.
func (a *api) runners(ctx context.Context) Result {
	r := Result{Name: CheckCIRunners}
	var list []struct {
		ID          int64  `json:"id"`
		Description string `json:"description"`
		Status      string `json:"status"`
	}
	status, err := a.get(ctx, "/projects/"+a.pid()+"/runners?status=online&per_page=100", &list)
	switch {
	case err != nil && status == 0:
		return transportFailure(ctx, CheckCIRunners, err, a.cfg.Timeout)
	case status == http.StatusForbidden:
		r.Status, r.Reason = Warn, "listing the project's runners needs the Maintainer role, so whether one is online is unknown"
		r.Fix = "look at Settings > CI/CD > Runners, or watch whether a pipeline's jobs stay pending"
		return r
	case status != http.StatusOK || err != nil:
		r.Status, r.Reason = Warn, fmt.Sprintf("GET runners answered %d", status)
		return r
	case len(list) == 0:
		r.Status, r.Reason = Fail, "no runner is online for "+a.cfg.Project+": pipelines would wait in pending and wend would watch them forever"
		r.Fix = "register a runner or enable instance runners (Settings > CI/CD > Runners)"
		return r
	}
	r.Status, r.Reason = Pass, fmt.Sprintf("%d runner(s) online", len(list))
	return r
}
