package assemble

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gitlab.com/wend/wend/cli/config"
	"gitlab.com/wend/wend/context/refs"
	"gitlab.com/wend/wend/internal/gitrun"
	"gitlab.com/wend/wend/remote/gitlab"
	"gitlab.com/wend/wend/remote/redact"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/tools"
)

// ErrNoGitLab means neither the settings nor the git remote name a GitLab instance.
var ErrNoGitLab = errors.New("no GitLab instance: set GITLAB_URL (or gitlab_url in the config), or add a GitLab remote named origin")

// GitLabConfig finds the instance and project of the repository at root from
// the settings and the git remote; wrap (the audit trail) is added to its
// requests as session sessionID's.
func GitLabConfig(ctx context.Context, root string, s *config.Settings, wrap Wrap, sessionID string) (gitlab.Config, error) {
	remote, _ := gitrun.Run(ctx, gitrun.Cmd{Dir: root, Args: []string{"remote", "get-url", "origin"}})
	in := gitlab.DiscoverInput{
		InstanceURL: s.GitLabURL,
		RemoteURL:   strings.TrimSpace(string(remote)),
		Token:       s.GitLabToken,
		TokenOrigin: s.Origin["gitlab_token"],
	}
	if in.InstanceURL == "" && in.RemoteURL == "" {
		return gitlab.Config{}, ErrNoGitLab
	}
	in = overrideRemoteHost(in)
	cfg, err := gitlab.Discover(in)
	if err != nil {
		return gitlab.Config{}, err
	}
	if wrap != nil {
		cfg.Wrap = func(rt http.RoundTripper) http.RoundTripper { return wrap(rt, sessionID) }
	}
	cfg.Limits = GitLabLimits(s)
	return cfg, nil
}

// overrideRemoteHost lets GITLAB_URL / --gitlab-url / gitlab_url win over
// origin's host when the two differ: an SSH alias (git@work:group/proj.git) or a
// separate SSH host (ssh.gitlab.example.com) names no web host, so the project
// path comes from origin and the instance from the setting.
func overrideRemoteHost(in gitlab.DiscoverInput) gitlab.DiscoverInput {
	if in.InstanceURL == "" || in.RemoteURL == "" || in.Project != "" {
		return in
	}
	r, err := gitlab.ParseRemote(in.RemoteURL, in.InstanceURL)
	if err != nil {
		return in
	}
	iu, err := url.Parse(strings.TrimRight(in.InstanceURL, "/"))
	ru, rerr := url.Parse(r.BaseURL)
	if err != nil || rerr != nil || strings.EqualFold(iu.Host, ru.Host) {
		return in // same host: ParseRemote already applied the instance's root
	}
	in.Project, in.RemoteURL = r.Project, ""
	return in
}

// GitLabClient connects to the project's GitLab, or returns ErrNoGitLab.
func GitLabClient(ctx context.Context, root string, s *config.Settings, wrap Wrap, sessionID string) (*gitlab.Client, error) {
	cfg, err := GitLabConfig(ctx, root, s, wrap, sessionID)
	if err != nil {
		return nil, err
	}
	return gitlab.New(cfg)
}

// registerGitLabTools adds the gitlab_* tools to the registry; they only read.
func registerGitLabTools(reg *tools.Registry, c *gitlab.Client) error {
	for _, t := range c.Tools(0) {
		run := t.Run
		err := reg.Register(tools.Spec{Name: t.Name, Description: t.Description, Schema: t.Schema, Effect: session.EffectRead},
			func(ctx context.Context, args json.RawMessage) tools.Result {
				out, summary, err := run(ctx, args)
				if err != nil {
					return tools.Result{IsError: true, Output: err.Error(), Summary: t.Name + ": " + firstLine(err.Error())}
				}
				return tools.Result{Output: out, Summary: summary}
			})
		if err != nil {
			return err
		}
	}
	return nil
}

// attacher fetches what the task's references point at: GitLab items through the
// client (nil when there is no GitLab), @files from the working tree.
func attacher(root string, c *gitlab.Client) func(context.Context, session.Task, func(string, string)) session.Task {
	return func(ctx context.Context, task session.Task, notify func(string, string)) session.Task {
		var remote []refs.Ref
		for _, r := range refs.Find(task.Text) {
			if r.Kind == refs.File {
				item, err := fileContext(root, r.Path)
				if err != nil {
					notify("warn", err.Error())
					continue
				}
				task.Context = append(task.Context, item)
				notify("info", "attached @"+r.Path)
				continue
			}
			remote = append(remote, r)
		}
		// "fix the failing pipeline on !42": the MR's head pipeline too, with
		// its failed jobs' log excerpts (mrtask.go).
		if iid := PipelineMR(task.Text); iid != 0 {
			head := refs.Ref{Kind: refs.MergeRequest, IID: iid, HeadPipeline: true}
			if !slices.ContainsFunc(remote, func(r refs.Ref) bool { return r == head }) {
				remote = append(remote, head)
			}
		}
		if len(remote) == 0 {
			return task
		}
		if c == nil {
			notify("warn", fmt.Sprintf("%d GitLab reference(s) not fetched: %v", len(remote), ErrNoGitLab))
			return task
		}
		notify("info", fmt.Sprintf("fetching %d GitLab reference(s)…", len(remote)))
		for _, res := range c.ResolveAll(ctx, remote, gitlab.Options{}) {
			if res.Err != nil {
				notify("warn", fmt.Sprintf("could not fetch %s: %v", res.Ref, res.Err))
				continue
			}
			task.Context = append(task.Context, session.ContextItem{Ref: res.Item.Ref, Title: res.Item.Title, Body: res.Item.Markdown})
			notify("info", fmt.Sprintf("attached %s: %s", res.Item.Ref, res.Item.Title))
		}
		return task
	}
}

// maxFileContext bounds an @file attachment; the model can read the rest.
const maxFileContext = 32 << 10

// fileContext reads an @path reference, confined to the repository.
func fileContext(root, rel string) (session.ContextItem, error) {
	clean := filepath.Clean(filepath.FromSlash(rel))
	if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return session.ContextItem{}, fmt.Errorf("@%s is outside the repository; not attached", rel)
	}
	abs := filepath.Join(root, clean)
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return session.ContextItem{}, fmt.Errorf("@%s: no such file in the repository", rel)
	}
	realRoot, _ := filepath.EvalSymlinks(root)
	if real != realRoot && !strings.HasPrefix(real, realRoot+string(filepath.Separator)) {
		return session.ContextItem{}, fmt.Errorf("@%s leads outside the repository; not attached", rel)
	}
	data, err := os.ReadFile(real)
	if err != nil {
		return session.ContextItem{}, fmt.Errorf("@%s: %v", rel, err)
	}
	// An @file reaches the model and the log like read_file's output, so it is
	// masked the same way (see tools.Config.Redact).
	body := redact.String(string(data))
	if len(body) > maxFileContext {
		body = body[:maxFileContext] + fmt.Sprintf("\n[cut at %d KiB; read_file %s with an offset for the rest]", maxFileContext>>10, rel)
	}
	return session.ContextItem{Ref: "@" + rel, Title: rel, Body: "```\n" + body + "\n```"}, nil
}
